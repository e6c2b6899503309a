/* Unit tests for the frame composers (lib/packet-compose.cc).
 *
 * Each composed frame is parsed back with flow_extract() and its remaining
 * fields are checked at their literal offsets.  Expected checksums are
 * literal constants computed independently from the RFC 1071 definition, or
 * are verified with csum_verify() over the bytes on the wire. */
#include <config.h>

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "lib/csum.h"
#include "lib/flow.h"
#include "lib/packet-compose.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;

uint16_t get16(const Bytes &b, size_t offset)
{
    return b.at(offset) << 8 | b.at(offset + 1);
}

uint32_t get32(const Bytes &b, size_t offset)
{
    return uint32_t(get16(b, offset)) << 16 | get16(b, offset + 2);
}

/* The 'len' bytes of 'b' at 'offset', or an empty vector (and a test
 * failure) if 'b' is too short. */
Bytes slice(const Bytes &b, size_t offset, size_t len)
{
    EXPECT_LE(offset + len, b.size());
    if (offset + len > b.size()) {
        return {};
    }
    return Bytes(b.begin() + offset, b.begin() + offset + len);
}

bool all_zero(const Bytes &b, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (b.at(i)) {
            return false;
        }
    }
    return true;
}

constexpr EthAddr kZeroMac{};
constexpr EthAddr kMacHost{{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}};

/* Checks the ARP header bytes that a flow key does not hold: hardware type
 * 1, protocol type 0x0800, lengths 6 and 4. */
void expect_arp_fixed_fields(const Bytes &frame)
{
    EXPECT_EQ(get16(frame, 14), 1);
    EXPECT_EQ(get16(frame, 16), 0x0800);
    EXPECT_EQ(frame.at(18), 6);
    EXPECT_EQ(frame.at(19), 4);
}

TEST(Compose, MulticastAddressMapping)
{
    EXPECT_EQ(eth_addr_from_ipv4_multicast(test::ip4(224, 0, 0, 251)),
              (EthAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}}));
    /* Only the low 23 bits: the top bit of the second octet is dropped. */
    EXPECT_EQ(eth_addr_from_ipv4_multicast(test::ip4(239, 129, 2, 3)),
              (EthAddr{{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}}));
    EXPECT_EQ(eth_addr_from_ipv4_multicast(test::ip4(239, 255, 255, 250)),
              (EthAddr{{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}}));

    EXPECT_EQ(eth_addr_from_ipv6_multicast(kIn6AddrAllNodes),
              (EthAddr{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}}));
    In6Addr addr = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0xabcd, 0x1234});
    EXPECT_EQ(ipv6_solicited_node(addr),
              test::ip6({0xff02, 0, 0, 0, 0, 1, 0xffcd, 0x1234}));
    EXPECT_EQ(eth_addr_from_ipv6_multicast(ipv6_solicited_node(addr)),
              (EthAddr{{0x33, 0x33, 0xff, 0xcd, 0x12, 0x34}}));
    EXPECT_EQ(kIn6AddrAllNodes.to_string(), "ff02::1");
    EXPECT_EQ(ipv4_to_string(kIgmpv3ReportAddr), "224.0.0.22");
}

TEST(Compose, Arp)
{
    Bytes frame = compose_arp(kArpOpReply, test::kMacA, test::kMacB, kMacHost,
                              test::ip4(192, 0, 2, 1), test::kMacB, test::ip4(192, 0, 2, 2));
    ASSERT_EQ(frame.size(), 60u);
    EXPECT_TRUE(all_zero(frame, 42, 60)) << "padding after the 28-byte ARP header";
    FlowKey key{};
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.dl_src, test::kMacA);
    EXPECT_EQ(key.dl_dst, test::kMacB);
    EXPECT_EQ(key.dl_type.value(), kEthTypeArp);
    EXPECT_EQ(key.n_vlans, 0);
    EXPECT_EQ(key.nw_proto, kArpOpReply);
    EXPECT_EQ(key.nw_src, test::ip4(192, 0, 2, 1));
    EXPECT_EQ(key.nw_dst, test::ip4(192, 0, 2, 2));
    EXPECT_EQ(key.arp_sha, kMacHost);
    EXPECT_EQ(key.arp_tha, test::kMacB);
    expect_arp_fixed_fields(frame);
    EXPECT_EQ(get16(frame, 20), 2);
}

TEST(Compose, GratuitousArp)
{
    Bytes frame = compose_gratuitous_arp(kMacHost, test::ip4(10, 1, 2, 3));
    ASSERT_EQ(frame.size(), 60u);
    EXPECT_TRUE(all_zero(frame, 42, 60));
    FlowKey key{};
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, kEthAddrBroadcast);
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.dl_type.value(), kEthTypeArp);
    EXPECT_EQ(key.nw_proto, kArpOpRequest);
    EXPECT_EQ(key.nw_src, test::ip4(10, 1, 2, 3));
    EXPECT_EQ(key.nw_dst, test::ip4(10, 1, 2, 3));
    EXPECT_EQ(key.arp_sha, kMacHost);
    EXPECT_EQ(key.arp_tha, kZeroMac);
    expect_arp_fixed_fields(frame);

    /* The whole frame, byte for byte. */
    Bytes expected = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                      0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
                      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 10, 1, 2, 3,
                      0, 0, 0, 0, 0, 0, 10, 1, 2, 3};
    expected.resize(60, 0);
    EXPECT_EQ(frame, expected);
}

TEST(Compose, ArpRequest)
{
    Bytes frame = compose_arp_request(kMacHost, be32(), test::ip4(192, 168, 7, 1));
    ASSERT_EQ(frame.size(), 60u);
    FlowKey key{};
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, kEthAddrBroadcast);
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.dl_type.value(), kEthTypeArp);
    EXPECT_EQ(key.nw_proto, kArpOpRequest);
    EXPECT_EQ(key.nw_src.value(), 0u);
    EXPECT_EQ(key.nw_dst, test::ip4(192, 168, 7, 1));
    EXPECT_EQ(key.arp_sha, kMacHost);
    EXPECT_EQ(key.arp_tha, kZeroMac);
    expect_arp_fixed_fields(frame);

    frame = compose_arp_request(kMacHost, test::ip4(192, 168, 7, 9), test::ip4(192, 168, 7, 1));
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.nw_src, test::ip4(192, 168, 7, 9));
}

TEST(Compose, Rarp)
{
    Bytes frame = compose_rarp(kMacHost);
    ASSERT_EQ(frame.size(), 60u);
    EXPECT_TRUE(all_zero(frame, 42, 60));
    FlowKey key{};
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, kEthAddrBroadcast);
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.dl_type.value(), kEthTypeRarp);
    EXPECT_EQ(key.nw_proto, kArpOpRequestReverse);
    EXPECT_EQ(key.nw_src.value(), 0u);
    EXPECT_EQ(key.nw_dst.value(), 0u);
    EXPECT_EQ(key.arp_sha, kMacHost);
    EXPECT_EQ(key.arp_tha, kMacHost);
    EXPECT_EQ(get16(frame, 12), 0x8035);
    expect_arp_fixed_fields(frame);
    EXPECT_EQ(get16(frame, 20), 3);
}

/* Checks the IPv6 and ICMPv6 parts of a composed ND frame that flow keys do
 * not hold: version/class/label, payload length, checksum. */
void expect_nd_wire(const Bytes &frame, const FlowKey &key, const FlowLayout &layout,
                    size_t icmp6_len, uint16_t expected_csum)
{
    ASSERT_EQ(layout.l3, 14);
    ASSERT_EQ(layout.l4, 54);
    ASSERT_EQ(layout.l4_end, 54 + icmp6_len);
    EXPECT_EQ(get32(frame, 14), 0x60000000u);
    EXPECT_EQ(get16(frame, 18), icmp6_len);
    EXPECT_EQ(frame.at(20), kIpProtoIcmpv6);
    EXPECT_EQ(frame.at(21), 255);
    Bytes icmp6 = slice(frame, 54, icmp6_len);
    EXPECT_TRUE(csum_verify(
        csum_pseudo_ipv6(key.ipv6_src, key.ipv6_dst, kIpProtoIcmpv6, icmp6_len), icmp6));
    EXPECT_EQ(get16(frame, 56), expected_csum);
}

TEST(Compose, NeighborSolicitation)
{
    In6Addr src = test::ip6({0xfe80, 0, 0, 0, 0x0211, 0x22ff, 0xfe33, 0x4455});
    In6Addr target = test::ip6({0xfe80, 0, 0, 0, 0, 0, 0, 1});
    Bytes frame = compose_nd_ns(kMacHost, src, target);
    ASSERT_EQ(frame.size(), 86u);
    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, (EthAddr{{0x33, 0x33, 0xff, 0x00, 0x00, 0x01}}));
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.dl_type.value(), kEthTypeIpv6);
    EXPECT_EQ(key.ipv6_src, src);
    EXPECT_EQ(key.ipv6_dst, test::ip6({0xff02, 0, 0, 0, 0, 1, 0xff00, 1}));
    EXPECT_EQ(key.ipv6_label.value(), 0u);
    EXPECT_EQ(key.nw_tos, 0);
    EXPECT_EQ(key.nw_ttl, 255);
    EXPECT_EQ(key.nw_proto, kIpProtoIcmpv6);
    EXPECT_EQ(key.tp_src.value(), kIcmp6NeighborSolicit);
    EXPECT_EQ(key.tp_dst.value(), 0);
    EXPECT_EQ(key.nd_target, target);
    EXPECT_EQ(key.arp_sha, kMacHost) << "source link-layer address option";
    EXPECT_EQ(key.arp_tha, kZeroMac);
    expect_nd_wire(frame, key, layout, 32, 0xae68);
    EXPECT_EQ(get32(frame, 58), 0u) << "reserved";
    EXPECT_EQ(slice(frame, 78, 8), (Bytes{1, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55}));
}

TEST(Compose, NeighborSolicitationForDad)
{
    In6Addr target = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0xabcd, 0x1234});
    Bytes frame = compose_nd_ns(kMacHost, In6Addr{}, target);
    ASSERT_EQ(frame.size(), 78u) << "no source link-layer address option from ::";
    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, (EthAddr{{0x33, 0x33, 0xff, 0xcd, 0x12, 0x34}}));
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_TRUE(key.ipv6_src.is_zero());
    EXPECT_EQ(key.ipv6_dst, test::ip6({0xff02, 0, 0, 0, 0, 1, 0xffcd, 0x1234}));
    EXPECT_EQ(key.nw_ttl, 255);
    EXPECT_EQ(key.tp_src.value(), kIcmp6NeighborSolicit);
    EXPECT_EQ(key.nd_target, target);
    EXPECT_EQ(key.arp_sha, kZeroMac);
    expect_nd_wire(frame, key, layout, 24, 0x7bec);
}

TEST(Compose, UnsolicitedNeighborAdvertisement)
{
    In6Addr ip = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
    Bytes frame = compose_unsolicited_na(kMacHost, ip);
    ASSERT_EQ(frame.size(), 86u);
    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, (EthAddr{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}}));
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.dl_type.value(), kEthTypeIpv6);
    EXPECT_EQ(key.ipv6_src, ip);
    EXPECT_EQ(key.ipv6_dst, test::ip6({0xff02, 0, 0, 0, 0, 0, 0, 1}));
    EXPECT_EQ(key.nw_ttl, 255);
    EXPECT_EQ(key.nw_proto, kIpProtoIcmpv6);
    EXPECT_EQ(key.tp_src.value(), kIcmp6NeighborAdvert);
    EXPECT_EQ(key.tp_dst.value(), 0);
    EXPECT_EQ(key.nd_target, ip);
    EXPECT_EQ(key.arp_sha, kZeroMac);
    EXPECT_EQ(key.arp_tha, kMacHost) << "target link-layer address option";
    expect_nd_wire(frame, key, layout, 32, 0x9492);
    EXPECT_EQ(get32(frame, 58), 0x20000000u) << "Override only";
    EXPECT_EQ(slice(frame, 78, 8), (Bytes{2, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55}));
}

TEST(Compose, NeighborAdvertisementUnicastAndFlags)
{
    In6Addr src = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
    In6Addr dst = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2});
    In6Addr target = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x99});
    Bytes frame = compose_nd_na(kMacHost, test::kMacB, src, target,
                                kNdSolicited | kNdOverride | 0x0000ffff, dst);
    ASSERT_EQ(frame.size(), 86u);
    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, test::kMacB);
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.ipv6_src, src);
    EXPECT_EQ(key.ipv6_dst, dst);
    EXPECT_EQ(key.tp_src.value(), kIcmp6NeighborAdvert);
    EXPECT_EQ(key.nd_target, target);
    EXPECT_EQ(key.arp_tha, kMacHost);
    EXPECT_EQ(get32(frame, 58), 0x60000000u) << "S and O; other bits cleared";
    EXPECT_EQ(get16(frame, 18), 32);
    EXPECT_TRUE(csum_verify(csum_pseudo_ipv6(src, dst, kIpProtoIcmpv6, 32),
                            slice(frame, 54, 32)));

    /* The multicast form derives the Ethernet destination. */
    frame = compose_nd_na(kMacHost, src, target, kNdRouter, kIn6AddrAllNodes);
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, (EthAddr{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}}));
    EXPECT_EQ(key.ipv6_dst, kIn6AddrAllNodes);
    EXPECT_EQ(get32(frame, 58), 0x80000000u);
    EXPECT_TRUE(csum_verify(csum_pseudo_ipv6(src, kIn6AddrAllNodes, kIpProtoIcmpv6, 32),
                            slice(frame, 54, 32)));
}

/* Checks the IPv4 header of a composed IGMP frame: IHL 6 with Router Alert,
 * TOS 0xc0, ID 0, DF, TTL 1, protocol 2, valid checksum. */
void expect_igmp_ipv4(const Bytes &frame, size_t igmp_len, uint16_t expected_csum)
{
    EXPECT_EQ(frame.at(14), 0x46);
    EXPECT_EQ(frame.at(15), 0xc0);
    EXPECT_EQ(get16(frame, 16), 24 + igmp_len);
    EXPECT_EQ(get16(frame, 18), 0);
    EXPECT_EQ(get16(frame, 20), 0x4000);
    EXPECT_EQ(frame.at(22), 1);
    EXPECT_EQ(frame.at(23), kIpProtoIgmp);
    EXPECT_EQ(get16(frame, 24), expected_csum);
    EXPECT_EQ(slice(frame, 34, 4), (Bytes{0x94, 0x04, 0x00, 0x00}));
    EXPECT_TRUE(csum_verify(0, slice(frame, 14, 24)));
}

TEST(Compose, Igmpv2Report)
{
    Bytes frame = compose_igmpv2_report(kMacHost, test::ip4(192, 168, 1, 10),
                                        test::ip4(224, 0, 0, 251));
    ASSERT_EQ(frame.size(), 60u);
    EXPECT_TRUE(all_zero(frame, 46, 60)) << "padding";
    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, (EthAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}}));
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.dl_type.value(), kEthTypeIpv4);
    EXPECT_EQ(key.nw_src, test::ip4(192, 168, 1, 10));
    EXPECT_EQ(key.nw_dst, test::ip4(224, 0, 0, 251));
    EXPECT_EQ(key.nw_proto, kIpProtoIgmp);
    EXPECT_EQ(key.nw_tos, 0xc0);
    EXPECT_EQ(key.nw_ttl, 1);
    EXPECT_EQ(key.nw_frag, 0);
    EXPECT_EQ(key.tp_src.value(), kIgmpV2MembershipReport);
    EXPECT_EQ(key.tp_dst.value(), 0) << "max response time";
    EXPECT_EQ(key.igmp_group, test::ip4(224, 0, 0, 251));
    EXPECT_EQ(layout.l4, 38);
    EXPECT_EQ(layout.l4_end, 46);
    expect_igmp_ipv4(frame, 8, 0x416a);
    EXPECT_EQ(get16(frame, 40), 0x0904) << "IGMP checksum";
    EXPECT_TRUE(csum_verify(0, slice(frame, 38, 8)));
}

TEST(Compose, Igmpv3Report)
{
    const be32 groups[] = {test::ip4(239, 1, 2, 3), test::ip4(239, 255, 255, 250)};
    Bytes frame = compose_igmpv3_report(kMacHost, test::ip4(192, 168, 1, 10), groups);
    ASSERT_EQ(frame.size(), 14u + 24 + 8 + 2 * 8);
    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, (EthAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x16}}));
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.nw_src, test::ip4(192, 168, 1, 10));
    EXPECT_EQ(key.nw_dst, test::ip4(224, 0, 0, 22));
    EXPECT_EQ(key.nw_proto, kIpProtoIgmp);
    EXPECT_EQ(key.nw_ttl, 1);
    EXPECT_EQ(key.tp_src.value(), kIgmpV3MembershipReport);
    EXPECT_EQ(layout.l4, 38);
    EXPECT_EQ(layout.l4_end, 62);
    expect_igmp_ipv4(frame, 24, 0x423f);

    /* Report header: type, reserved, checksum, reserved, record count. */
    EXPECT_EQ(frame.at(38), 0x22);
    EXPECT_EQ(frame.at(39), 0);
    EXPECT_EQ(get16(frame, 40), 0xf8fd);
    EXPECT_EQ(get16(frame, 42), 0);
    EXPECT_EQ(get16(frame, 44), 2);
    /* Records: MODE_IS_EXCLUDE, no aux data, no sources, group. */
    EXPECT_EQ(slice(frame, 46, 8), (Bytes{2, 0, 0, 0, 239, 1, 2, 3}));
    EXPECT_EQ(slice(frame, 54, 8), (Bytes{2, 0, 0, 0, 239, 255, 255, 250}));
    EXPECT_TRUE(csum_verify(0, slice(frame, 38, 24)));
}

TEST(Compose, Igmpv3ReportSizes)
{
    /* No groups: 46 bytes, padded. */
    Bytes frame = compose_igmpv3_report(kMacHost, test::ip4(10, 0, 0, 1), {});
    ASSERT_EQ(frame.size(), 60u);
    EXPECT_TRUE(all_zero(frame, 46, 60));
    EXPECT_EQ(get16(frame, 16), 32);
    EXPECT_EQ(get16(frame, 44), 0);
    EXPECT_TRUE(csum_verify(0, slice(frame, 38, 8)));

    /* The most that fit in a 1500-byte IP packet: 183 records, 1496 bytes. */
    std::vector<be32> groups;
    for (size_t i = 0; i < kIgmpv3ReportMaxGroups; i++) {
        groups.push_back(test::ip4(239, 0, i >> 8, i & 0xff));
    }
    EXPECT_EQ(kIgmpv3ReportMaxGroups, 183u);
    frame = compose_igmpv3_report(kMacHost, test::ip4(10, 0, 0, 1), groups);
    ASSERT_EQ(frame.size(), 14u + 1496);
    EXPECT_EQ(get16(frame, 16), 1496);
    EXPECT_EQ(get16(frame, 44), 183);
    EXPECT_EQ(slice(frame, 46 + 182 * 8, 8), (Bytes{2, 0, 0, 0, 239, 0, 0, 182}));
    EXPECT_TRUE(csum_verify(0, slice(frame, 14, 24)));
    EXPECT_TRUE(csum_verify(0, slice(frame, 38, 8 + 183 * 8)));
    FlowKey key{};
    EXPECT_EQ(test::extract_exact(frame, key), FlowError::kNone);

    groups.push_back(test::ip4(239, 9, 9, 9));
    EXPECT_TRUE(compose_igmpv3_report(kMacHost, test::ip4(10, 0, 0, 1), groups).empty());
}

TEST(Compose, Lacpdu)
{
    LacpInfo actor = test::lacp_info(0x8000, test::kMacA, 0x1234, 0x00ff, 7, 0x3d);
    actor.reserved = {1, 2, 3};     /* Copied as given. */
    LacpInfo partner = test::lacp_info(0x0100, test::kMacB, 0x0021, 0x8000, 0x0102, 0x0d);
    Bytes frame = compose_lacpdu(kMacHost, actor, partner, 0x1f40);
    ASSERT_EQ(frame.size(), 124u);

    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, (EthAddr{{0x01, 0x80, 0xc2, 0x00, 0x00, 0x02}}));
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.dl_type.value(), kEthTypeSlow);
    EXPECT_EQ(layout.l3, FlowLayout::kNone);

    Bytes expected = {
        /* Subtype, version. */
        0x01, 0x01,
        /* Actor TLV. */
        0x01, 20, 0x80, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x12, 0x34, 0x00, 0xff,
        0x00, 0x07, 0x3d, 1, 2, 3,
        /* Partner TLV. */
        0x02, 20, 0x01, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x21, 0x80, 0x00,
        0x01, 0x02, 0x0d, 0, 0, 0,
        /* Collector TLV: max delay, 12 reserved. */
        0x03, 16, 0x1f, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        /* Terminator. */
        0x00, 0x00};
    expected.resize(110, 0);    /* 50 reserved octets. */
    EXPECT_EQ(slice(frame, 14, 110), expected);
}

TEST(Compose, MarkerResponse)
{
    MarkerPdu request = test::marker_info(0x0203, test::kMacB, 0xdeadbeef);
    request.pad = {0xaa, 0xbb};             /* Not echoed. */
    request.reserved.fill(0xcc);            /* Not echoed. */
    Bytes frame = compose_marker_response(kMacHost, request);
    ASSERT_EQ(frame.size(), 124u);

    FlowKey key{};
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, kEthAddrSlowProtocols);
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.dl_type.value(), kEthTypeSlow);

    Bytes expected = {0x02, 0x01, 0x02, 16, 0x02, 0x03, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                      0xde, 0xad, 0xbe, 0xef, 0, 0, 0x00, 0x00};
    expected.resize(110, 0);
    EXPECT_EQ(slice(frame, 14, 110), expected);
}

TEST(Compose, PushAndPopVlan)
{
    const Bytes original = compose_gratuitous_arp(kMacHost, test::ip4(10, 1, 2, 3));
    Bytes frame = original;

    ASSERT_TRUE(push_vlan(frame, kEthTypeVlan8021Q, 0xa00a));
    ASSERT_EQ(frame.size(), 64u);
    EXPECT_EQ(slice(frame, 12, 6), (Bytes{0x81, 0x00, 0xa0, 0x0a, 0x08, 0x06}));
    FlowKey key{};
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.dl_dst, kEthAddrBroadcast);
    EXPECT_EQ(key.dl_src, kMacHost);
    EXPECT_EQ(key.n_vlans, 1);
    EXPECT_EQ(key.vlans[0].tpid.value(), kEthTypeVlan8021Q);
    EXPECT_EQ(key.vlans[0].tci.value(), 0xa00a);
    EXPECT_EQ(key.dl_type.value(), kEthTypeArp);
    EXPECT_EQ(key.nw_src, test::ip4(10, 1, 2, 3));
    EXPECT_EQ(key.arp_sha, kMacHost);

    /* A second push becomes the outermost tag. */
    ASSERT_TRUE(push_vlan(frame, kEthTypeVlan8021AD, 100));
    ASSERT_EQ(frame.size(), 68u);
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.n_vlans, 2);
    EXPECT_EQ(key.vlans[0].tpid.value(), kEthTypeVlan8021AD);
    EXPECT_EQ(key.vlans[0].tci.value(), 100);
    EXPECT_EQ(key.vlans[1].tpid.value(), kEthTypeVlan8021Q);
    EXPECT_EQ(key.vlans[1].tci.value(), 0xa00a);
    EXPECT_EQ(key.dl_type.value(), kEthTypeArp);

    /* Pops remove the outermost tag first. */
    ASSERT_TRUE(pop_vlan(frame));
    ASSERT_EQ(frame.size(), 64u);
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.n_vlans, 1);
    EXPECT_EQ(key.vlans[0].tpid.value(), kEthTypeVlan8021Q);
    EXPECT_EQ(key.vlans[0].tci.value(), 0xa00a);

    ASSERT_TRUE(pop_vlan(frame));
    EXPECT_EQ(frame, original);
    EXPECT_FALSE(pop_vlan(frame)) << "untagged";
    EXPECT_EQ(frame, original);
}

TEST(Compose, PushAndPopVlanEdges)
{
    /* Too short for an Ethernet header: nothing is pushed. */
    Bytes shortf(13, 0xee);
    EXPECT_FALSE(push_vlan(shortf, kEthTypeVlan8021Q, 1));
    EXPECT_EQ(shortf, Bytes(13, 0xee));

    /* Exactly an Ethernet header. */
    Bytes hdr = test::eth(kEthTypeIpv4);
    ASSERT_TRUE(push_vlan(hdr, kEthTypeVlanQinQ9100, 0xffff));
    EXPECT_EQ(hdr.size(), 18u);
    EXPECT_EQ(slice(hdr, 12, 6), (Bytes{0x91, 0x00, 0xff, 0xff, 0x08, 0x00}));

    /* A VLAN TPID without the whole tag is not popped. */
    Bytes truncated = test::head(hdr, 17);
    EXPECT_FALSE(pop_vlan(truncated));
    EXPECT_EQ(truncated.size(), 17u);

    /* Popping below 60 bytes pads with zeros. */
    Bytes small = test::eth_vlans({{kEthTypeVlan8021Q, 5}}, kEthTypeIpv4);
    small.push_back(0x77);
    ASSERT_EQ(small.size(), 19u);
    ASSERT_TRUE(pop_vlan(small));
    ASSERT_EQ(small.size(), 60u);
    EXPECT_EQ(get16(small, 12), kEthTypeIpv4);
    EXPECT_EQ(small.at(14), 0x77);
    EXPECT_TRUE(all_zero(small, 15, 60));

    /* An 802.3 length field is not a tag. */
    Bytes llc = test::eth(100);
    llc.resize(60, 0);
    EXPECT_FALSE(pop_vlan(llc));
}

}  // namespace
}  // namespace braid
