/* Unit tests for the flow-key extractor (lib/flow.cc). */
#include <config.h>

#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "lib/flow.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;

TEST(FlowExtract, Ipv4Tcp)
{
    Bytes frame = test::ipv4_frame(kIpProtoTcp, test::tcp(1234, 80, kTcpSyn | kTcpAck));
    FlowKey key{};
    key.in_port = 7;
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.in_port, 7u) << "metadata survives extraction";
    EXPECT_EQ(key.dl_src, test::kMacA);
    EXPECT_EQ(key.dl_dst, test::kMacB);
    EXPECT_EQ(key.dl_type.value(), kEthTypeIpv4);
    EXPECT_EQ(key.n_vlans, 0);
    EXPECT_EQ(key.nw_src, test::ip4(10, 0, 0, 1));
    EXPECT_EQ(key.nw_dst, test::ip4(10, 0, 0, 2));
    EXPECT_EQ(key.nw_proto, kIpProtoTcp);
    EXPECT_EQ(key.nw_tos, 0x2e);
    EXPECT_EQ(key.nw_ttl, 64);
    EXPECT_EQ(key.nw_frag, 0);
    EXPECT_EQ(key.tp_src.value(), 1234);
    EXPECT_EQ(key.tp_dst.value(), 80);
    EXPECT_EQ(key.tcp_flags.value(), kTcpSyn | kTcpAck);
    EXPECT_EQ(layout.l3, 14);
    EXPECT_EQ(layout.l4, 34);
    EXPECT_EQ(layout.l4_end, 54);
}

TEST(FlowExtract, Ipv4OptionsAndPadding)
{
    Bytes l4 = test::udp(53, 5353, 2);
    Bytes frame = test::concat(
        {test::eth(kEthTypeIpv4),
         test::ipv4(kIpProtoUdp, l4.size(), test::ip4(1, 2, 3, 4), test::ip4(5, 6, 7, 8),
                    0, Bytes{0x94, 0x04, 0x00, 0x00}),
         l4});
    frame.resize(frame.size() + 20, 0xee);   /* Ethernet padding after the IP packet. */
    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(frame, key, &layout), FlowError::kNone);
    EXPECT_EQ(key.tp_src.value(), 53);
    EXPECT_EQ(key.tp_dst.value(), 5353);
    EXPECT_EQ(layout.l4, 14 + 24);
    EXPECT_EQ(layout.l4_end, 14 + 24 + 10) << "padding is not payload";
}

TEST(FlowExtract, Ipv4Fragments)
{
    FlowKey key{};
    Bytes l4 = test::udp(1, 2);
    Bytes first = test::concat({test::eth(kEthTypeIpv4),
                                test::ipv4(kIpProtoUdp, l4.size(), test::ip4(1, 1, 1, 1),
                                           test::ip4(2, 2, 2, 2), kIpv4MoreFragments),
                                l4});
    ASSERT_EQ(test::extract_exact(first, key), FlowError::kNone);
    EXPECT_EQ(key.nw_frag, kFlowFragAny);
    EXPECT_EQ(key.tp_src.value(), 1) << "a first fragment has ports";

    /* A later fragment has no L4 header; its first bytes are data. */
    Bytes later = test::concat({test::eth(kEthTypeIpv4),
                                test::ipv4(kIpProtoUdp, 3, test::ip4(1, 1, 1, 1),
                                           test::ip4(2, 2, 2, 2), 185),
                                Bytes{1, 2, 3}});
    ASSERT_EQ(test::extract_exact(later, key), FlowError::kNone);
    EXPECT_EQ(key.nw_frag, kFlowFragAny | kFlowFragLater);
    EXPECT_EQ(key.nw_proto, kIpProtoUdp);
    EXPECT_EQ(key.tp_src.value(), 0);
}

TEST(FlowExtract, Ipv4IcmpIgmpSctp)
{
    FlowKey key{};
    ASSERT_EQ(test::extract_exact(
                  test::ipv4_frame(kIpProtoIcmp, test::icmp(kIcmpEchoRequest, 0)), key),
              FlowError::kNone);
    EXPECT_EQ(key.tp_src.value(), kIcmpEchoRequest);
    EXPECT_EQ(key.tp_dst.value(), 0);

    ASSERT_EQ(test::extract_exact(
                  test::ipv4_frame(kIpProtoIgmp, test::igmp(kIgmpV2MembershipReport,
                                                            test::ip4(239, 1, 2, 3))),
                  key),
              FlowError::kNone);
    EXPECT_EQ(key.tp_src.value(), kIgmpV2MembershipReport);
    EXPECT_EQ(key.igmp_group, test::ip4(239, 1, 2, 3));

    ASSERT_EQ(test::extract_exact(test::ipv4_frame(kIpProtoSctp, test::sctp(3868, 3869)), key),
              FlowError::kNone);
    EXPECT_EQ(key.tp_src.value(), 3868);
    EXPECT_EQ(key.tp_dst.value(), 3869);
}

TEST(FlowExtract, UnknownIpProtocolHasNoL4)
{
    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(test::ipv4_frame(kIpProtoGre, Bytes{0, 0}), key, &layout),
              FlowError::kNone);
    EXPECT_EQ(key.nw_proto, kIpProtoGre);
    EXPECT_EQ(layout.l4, FlowLayout::kNone);
}

TEST(FlowExtract, ArpAndRarp)
{
    FlowKey key{};
    ASSERT_EQ(test::extract_exact(
                  test::concat({test::eth(kEthTypeArp), test::arp(kArpOpReply)}), key),
              FlowError::kNone);
    EXPECT_EQ(key.dl_type.value(), kEthTypeArp);
    EXPECT_EQ(key.nw_proto, kArpOpReply);
    EXPECT_EQ(key.nw_src, test::ip4(192, 0, 2, 1));
    EXPECT_EQ(key.nw_dst, test::ip4(192, 0, 2, 2));
    EXPECT_EQ(key.arp_sha, test::kMacA);
    EXPECT_EQ(key.arp_tha, test::kMacB);

    ASSERT_EQ(test::extract_exact(
                  test::concat({test::eth(kEthTypeRarp), test::arp(kArpOpRequestReverse)}), key),
              FlowError::kNone);
    EXPECT_EQ(key.dl_type.value(), kEthTypeRarp);
    EXPECT_EQ(key.nw_proto, kArpOpRequestReverse);

    /* ARP for another hardware type is a valid frame with L2 fields only. */
    Bytes other = test::arp(kArpOpRequest);
    other[1] = 6;   /* htype 6 (IEEE 802). */
    ASSERT_EQ(test::extract_exact(test::concat({test::eth(kEthTypeArp), other}), key),
              FlowError::kNone);
    EXPECT_EQ(key.nw_proto, 0);
    EXPECT_TRUE(key.arp_sha.is_zero());
}

TEST(FlowExtract, VlanTags)
{
    FlowKey key{};
    Bytes l4 = test::udp(10, 20);
    Bytes one = test::concat({test::eth_vlans({{kEthTypeVlan8021Q, 0xa00a}}, kEthTypeIpv4),
                              test::ipv4(kIpProtoUdp, l4.size()), l4});
    ASSERT_EQ(test::extract_exact(one, key), FlowError::kNone);
    EXPECT_EQ(key.n_vlans, 1);
    EXPECT_EQ(key.vlans[0].tpid.value(), kEthTypeVlan8021Q);
    EXPECT_EQ(key.vlans[0].vid(), 10);
    EXPECT_EQ(vlan_tci_to_pcp(key.vlans[0].tci.value()), 5);
    EXPECT_FALSE(key.vlans[1].present());
    EXPECT_EQ(key.dl_type.value(), kEthTypeIpv4);
    EXPECT_EQ(key.tp_dst.value(), 20);

    Bytes two = test::concat(
        {test::eth_vlans({{kEthTypeVlan8021AD, 100}, {kEthTypeVlan8021Q, 200}}, kEthTypeIpv4),
         test::ipv4(kIpProtoUdp, l4.size()), l4});
    ASSERT_EQ(test::extract_exact(two, key), FlowError::kNone);
    EXPECT_EQ(key.n_vlans, 2);
    EXPECT_EQ(key.vlans[0].tpid.value(), kEthTypeVlan8021AD);
    EXPECT_EQ(key.vlans[0].vid(), 100);
    EXPECT_EQ(key.vlans[1].tpid.value(), kEthTypeVlan8021Q);
    EXPECT_EQ(key.vlans[1].vid(), 200);
    EXPECT_EQ(key.tp_src.value(), 10);

    /* A third tag is beyond what a key holds: parsing stops at its TPID. */
    Bytes three = test::concat({test::eth_vlans({{kEthTypeVlan8021AD, 1},
                                                 {kEthTypeVlan8021Q, 2},
                                                 {kEthTypeVlan8021Q, 3}},
                                                kEthTypeIpv4),
                                test::ipv4(kIpProtoUdp, l4.size()), l4});
    ASSERT_EQ(test::extract_exact(three, key), FlowError::kNone);
    EXPECT_EQ(key.n_vlans, 2);
    EXPECT_EQ(key.dl_type.value(), kEthTypeVlan8021Q);
    EXPECT_EQ(key.nw_proto, 0);
}

TEST(FlowExtract, LlcSnap)
{
    FlowKey key{};
    /* 802.3 length field, LLC/SNAP with OUI 0 carrying ARP. */
    Bytes frame = test::concat({test::eth(36), Bytes{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06},
                                test::arp(kArpOpRequest)});
    ASSERT_EQ(test::extract_exact(frame, key), FlowError::kNone);
    EXPECT_EQ(key.dl_type.value(), kEthTypeArp);
    EXPECT_EQ(key.nw_proto, kArpOpRequest);

    /* Plain LLC (e.g. STP BPDUs) has no EtherType. */
    Bytes stp = test::concat({test::eth(38), Bytes{0x42, 0x42, 0x03, 0, 0, 0}});
    ASSERT_EQ(test::extract_exact(stp, key), FlowError::kNone);
    EXPECT_EQ(key.dl_type.value(), kEthTypeNone);

    /* A SNAP header cut short is no EtherType either, not an error. */
    ASSERT_EQ(test::extract_exact(test::concat({test::eth(8), Bytes{0xaa, 0xaa, 0x03, 0}}), key),
              FlowError::kNone);
    EXPECT_EQ(key.dl_type.value(), kEthTypeNone);
}

TEST(FlowExtract, Ipv6Tcp)
{
    FlowKey key{};
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoTcp, test::tcp(40000, 443, kTcpAck)),
                                  key, &layout),
              FlowError::kNone);
    EXPECT_EQ(key.dl_type.value(), kEthTypeIpv6);
    EXPECT_EQ(key.ipv6_src, test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}));
    EXPECT_EQ(key.ipv6_dst, test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2}));
    EXPECT_EQ(key.ipv6_label.value(), 0x12345u);
    EXPECT_EQ(key.nw_tos, 0xb8);
    EXPECT_EQ(key.nw_ttl, 255);
    EXPECT_EQ(key.nw_proto, kIpProtoTcp);
    EXPECT_EQ(key.tp_src.value(), 40000);
    EXPECT_EQ(key.tp_dst.value(), 443);
    EXPECT_EQ(layout.l4, 54);
}

TEST(FlowExtract, Ipv6ExtensionHeaders)
{
    FlowKey key{};
    Bytes ah = test::ah6(kIpProtoUdp, 2);     /* (2 + 2) * 4 = 16 bytes. */
    Bytes payload = test::concat({test::ext6(kIpProtoRouting, 0), test::ext6(kIpProtoDstOpts, 1),
                                  test::ext6(kIpProtoAh, 0), ah, test::udp(546, 547)});
    FlowLayout layout;
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoHopOpts, payload), key, &layout),
              FlowError::kNone);
    EXPECT_EQ(key.nw_proto, kIpProtoUdp);
    EXPECT_EQ(key.tp_src.value(), 546);
    EXPECT_EQ(layout.l4, 14 + 40 + 8 + 16 + 8 + 16);
}

TEST(FlowExtract, Ipv6Fragments)
{
    FlowKey key{};
    Bytes first = test::concat({test::frag6(kIpProtoUdp, kIpv6MoreFragments), test::udp(1, 2)});
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoFragment, first), key),
              FlowError::kNone);
    EXPECT_EQ(key.nw_frag, kFlowFragAny);
    EXPECT_EQ(key.nw_proto, kIpProtoUdp);
    EXPECT_EQ(key.tp_dst.value(), 2);

    Bytes later = test::concat({test::frag6(kIpProtoUdp, 0x0008), Bytes{9, 9, 9}});
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoFragment, later), key),
              FlowError::kNone);
    EXPECT_EQ(key.nw_frag, kFlowFragAny | kFlowFragLater);
    EXPECT_EQ(key.nw_proto, kIpProtoUdp);
    EXPECT_EQ(key.tp_src.value(), 0);

    /* An atomic fragment (offset 0, no M bit) is a whole packet. */
    Bytes atomic = test::concat({test::frag6(kIpProtoUdp, 0), test::udp(3, 4)});
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoFragment, atomic), key),
              FlowError::kNone);
    EXPECT_EQ(key.nw_frag, 0);
    EXPECT_EQ(key.tp_src.value(), 3);
}

TEST(FlowExtract, NeighborDiscovery)
{
    FlowKey key{};
    In6Addr target = test::ip6({0xfe80, 0, 0, 0, 0, 0, 0, 9});
    Bytes ns = test::nd(kIcmp6NeighborSolicit, target,
                        test::lla_option(kNdOptSourceLinkAddr, test::kMacA));
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoIcmpv6, ns), key), FlowError::kNone);
    EXPECT_EQ(key.tp_src.value(), kIcmp6NeighborSolicit);
    EXPECT_EQ(key.nd_target, target);
    EXPECT_EQ(key.arp_sha, test::kMacA);
    EXPECT_TRUE(key.arp_tha.is_zero());

    Bytes na = test::nd(kIcmp6NeighborAdvert, target,
                        test::lla_option(kNdOptTargetLinkAddr, test::kMacB));
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoIcmpv6, na), key), FlowError::kNone);
    EXPECT_EQ(key.tp_src.value(), kIcmp6NeighborAdvert);
    EXPECT_EQ(key.arp_tha, test::kMacB);

    /* Unknown options are skipped. */
    Bytes unknown = test::nd(kIcmp6NeighborSolicit, target,
                             Bytes{14, 1, 0, 0, 0, 0, 0, 0});   /* Nonce option. */
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoIcmpv6, unknown), key),
              FlowError::kNone);
    EXPECT_EQ(key.nd_target, target);

    /* An echo request is plain ICMPv6. */
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoIcmpv6,
                                                   Bytes{kIcmp6EchoRequest, 0, 0, 0, 0, 1, 0, 1}),
                                  key),
              FlowError::kNone);
    EXPECT_EQ(key.tp_src.value(), kIcmp6EchoRequest);
}

TEST(FlowExtract, BadNdOptions)
{
    FlowKey key{};
    In6Addr target = test::ip6({0xfe80, 0, 0, 0, 0, 0, 0, 9});
    struct Case {
        const char *what;
        Bytes message;
        FlowError expected;
    } cases[] = {
        {"zero-length option",
         test::nd(kIcmp6NeighborSolicit, target, Bytes{1, 0, 0, 0, 0, 0, 0, 0}),
         FlowError::kNdBadOption},
        {"option longer than the message",
         test::nd(kIcmp6NeighborSolicit, target, Bytes{1, 2, 0, 0, 0, 0, 0, 0}),
         FlowError::kNdOptionTruncated},
        {"lone option byte", test::nd(kIcmp6NeighborSolicit, target, Bytes{1}),
         FlowError::kNdOptionTruncated},
        {"two source addresses",
         test::nd(kIcmp6NeighborSolicit, target,
                  test::concat({test::lla_option(kNdOptSourceLinkAddr, test::kMacA),
                                test::lla_option(kNdOptSourceLinkAddr, test::kMacB)})),
         FlowError::kNdBadOption},
        {"target address in a solicitation",
         test::nd(kIcmp6NeighborSolicit, target,
                  test::lla_option(kNdOptTargetLinkAddr, test::kMacB)),
         FlowError::kNdBadOption},
        {"source address in an advertisement",
         test::nd(kIcmp6NeighborAdvert, target,
                  test::lla_option(kNdOptSourceLinkAddr, test::kMacA)),
         FlowError::kNdBadOption},
    };
    for (const Case &c : cases) {
        EXPECT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoIcmpv6, c.message), key),
                  c.expected) << c.what;
        EXPECT_TRUE(key.nd_target.is_zero()) << c.what;
        EXPECT_TRUE(key.arp_sha.is_zero()) << c.what;
        EXPECT_EQ(key.tp_src.value(), c.message[0]) << c.what << ": ICMPv6 type is kept";
    }
}

TEST(FlowExtract, BadIpHeaders)
{
    FlowKey key{};
    Bytes l4 = test::udp(1, 2);
    Bytes good = test::ipv4_frame(kIpProtoUdp, l4);

    Bytes bad_version = good;
    bad_version[14] = 0x65;
    EXPECT_EQ(test::extract_exact(bad_version, key), FlowError::kIpv4BadVersion);

    Bytes short_ihl = good;
    short_ihl[14] = 0x44;
    EXPECT_EQ(test::extract_exact(short_ihl, key), FlowError::kIpv4BadHeaderLen);

    Bytes long_ihl = good;
    long_ihl[14] = 0x4f;   /* 60-byte header in a 28-byte packet. */
    EXPECT_EQ(test::extract_exact(long_ihl, key), FlowError::kIpv4OptionsTruncated);

    Bytes small_total = good;
    small_total[16] = 0;
    small_total[17] = 19;
    EXPECT_EQ(test::extract_exact(small_total, key), FlowError::kIpv4BadTotalLen);

    Bytes big_total = good;
    big_total[17] += 1;
    EXPECT_EQ(test::extract_exact(big_total, key), FlowError::kIpv4PayloadTruncated);
    EXPECT_EQ(key.dl_type.value(), kEthTypeIpv4) << "L2 fields are kept";
    EXPECT_EQ(key.dl_src, test::kMacA);
    EXPECT_EQ(key.nw_proto, 0) << "fields of the bad layer are not";

    Bytes v6 = test::ipv6_frame(kIpProtoUdp, l4);
    Bytes bad_v6 = v6;
    bad_v6[14] = 0x40;
    EXPECT_EQ(test::extract_exact(bad_v6, key), FlowError::kIpv6BadVersion);
    Bytes big_payload = v6;
    big_payload[19] += 1;
    EXPECT_EQ(test::extract_exact(big_payload, key), FlowError::kIpv6PayloadTruncated);

    Bytes tcp_bad_offset = test::ipv4_frame(kIpProtoTcp, test::tcp(1, 2));
    tcp_bad_offset[14 + 20 + 12] = 0x40;   /* Data offset 4. */
    EXPECT_EQ(test::extract_exact(tcp_bad_offset, key), FlowError::kTcpBadOffset);
}

/* A frame and, for every cut inside it, the error expected: 'boundaries'
 * lists the end offset of each header with the error a cut before it gives. */
struct TruncationCase {
    const char *name;
    Bytes frame;
    std::vector<std::pair<size_t, FlowError>> boundaries;
};

void check_every_cut(const TruncationCase &tc)
{
    for (size_t len = 0; len < tc.frame.size(); len++) {
        FlowError expected = FlowError::kNone;
        for (auto [end, error] : tc.boundaries) {
            if (len < end) {
                expected = error;
                break;
            }
        }
        FlowKey key{};
        EXPECT_EQ(test::extract_exact(test::head(tc.frame, len), key), expected)
            << tc.name << " cut to " << len << " bytes: expected \""
            << flow_error_to_string(expected) << "\"";
    }
    FlowKey key{};
    EXPECT_EQ(test::extract_exact(tc.frame, key), FlowError::kNone) << tc.name << " whole";
}

/* Cutting a frame anywhere in its L2 or L3 headers. */
TEST(FlowExtract, TruncatedLowerLayers)
{
    Bytes l4 = test::udp(1, 2);
    Bytes opts{0x94, 0x04, 0, 0};
    const TruncationCase cases[] = {
        {"ipv4", test::ipv4_frame(kIpProtoUdp, l4),
         {{14, FlowError::kEthTruncated},
          {34, FlowError::kIpv4Truncated},
          {42, FlowError::kIpv4PayloadTruncated}}},
        {"ipv4 with options",
         test::concat({test::eth(kEthTypeIpv4),
                       test::ipv4(kIpProtoUdp, l4.size(), test::ip4(1, 1, 1, 1),
                                  test::ip4(2, 2, 2, 2), 0, opts),
                       l4}),
         {{14, FlowError::kEthTruncated},
          {34, FlowError::kIpv4Truncated},
          {38, FlowError::kIpv4OptionsTruncated},
          {46, FlowError::kIpv4PayloadTruncated}}},
        {"802.1q",
         test::concat({test::eth_vlans({{kEthTypeVlan8021Q, 5}}, kEthTypeIpv4),
                       test::ipv4(kIpProtoUdp, l4.size()), l4}),
         {{14, FlowError::kEthTruncated},
          {18, FlowError::kVlanTruncated},
          {38, FlowError::kIpv4Truncated},
          {46, FlowError::kIpv4PayloadTruncated}}},
        {"802.1ad",
         test::concat({test::eth_vlans({{kEthTypeVlan8021AD, 5}, {kEthTypeVlan8021Q, 6}},
                                       kEthTypeIpv4),
                       test::ipv4(kIpProtoUdp, l4.size()), l4}),
         {{14, FlowError::kEthTruncated},
          {18, FlowError::kVlanTruncated},
          {22, FlowError::kVlanTruncated},
          {42, FlowError::kIpv4Truncated},
          {50, FlowError::kIpv4PayloadTruncated}}},
        {"arp", test::concat({test::eth(kEthTypeArp), test::arp(kArpOpRequest)}),
         {{14, FlowError::kEthTruncated}, {42, FlowError::kArpTruncated}}},
        {"rarp", test::concat({test::eth(kEthTypeRarp), test::arp(kArpOpRequestReverse)}),
         {{14, FlowError::kEthTruncated}, {42, FlowError::kArpTruncated}}},
        {"ipv6", test::ipv6_frame(kIpProtoUdp, l4),
         {{14, FlowError::kEthTruncated},
          {54, FlowError::kIpv6Truncated},
          {62, FlowError::kIpv6PayloadTruncated}}},
    };
    for (const TruncationCase &tc : cases) {
        check_every_cut(tc);
    }
}

/* Cutting each L4 header (and the IPv6 extension headers) at every byte,
 * with IP lengths that match the cut, so that the error comes from the
 * upper layer itself. */
TEST(FlowExtract, TruncatedUpperLayers)
{
    In6Addr target = test::ip6({0xfe80, 0, 0, 0, 0, 0, 0, 1});
    struct Upper {
        const char *name;
        bool v6;
        uint8_t proto;
        Bytes l4;
        std::vector<std::pair<size_t, FlowError>> boundaries;
    };
    const Upper cases[] = {
        {"tcp", false, kIpProtoTcp, test::tcp(1, 2), {{20, FlowError::kTcpTruncated}}},
        {"tcp with options", false, kIpProtoTcp,
         test::tcp(1, 2, kTcpSyn, Bytes{2, 4, 5, 0xb4, 1, 1, 4, 2}),
         {{20, FlowError::kTcpTruncated}, {28, FlowError::kTcpOptionsTruncated}}},
        {"udp", false, kIpProtoUdp, test::udp(1, 2), {{8, FlowError::kUdpTruncated}}},
        {"sctp", false, kIpProtoSctp, test::sctp(1, 2), {{12, FlowError::kSctpTruncated}}},
        {"icmp", false, kIpProtoIcmp, test::icmp(kIcmpEchoRequest, 0),
         {{8, FlowError::kIcmpTruncated}}},
        {"igmp", false, kIpProtoIgmp,
         test::igmp(kIgmpV2MembershipReport, test::ip4(239, 0, 0, 1)),
         {{8, FlowError::kIgmpTruncated}}},
        {"tcp over ipv6", true, kIpProtoTcp, test::tcp(1, 2), {{20, FlowError::kTcpTruncated}}},
        {"udp over ipv6", true, kIpProtoUdp, test::udp(1, 2), {{8, FlowError::kUdpTruncated}}},
        {"sctp over ipv6", true, kIpProtoSctp, test::sctp(1, 2), {{12, FlowError::kSctpTruncated}}},
        {"icmpv6", true, kIpProtoIcmpv6, Bytes{kIcmp6EchoRequest, 0, 0, 0},
         {{4, FlowError::kIcmpv6Truncated}}},
        {"neighbor solicitation", true, kIpProtoIcmpv6,
         test::nd(kIcmp6NeighborSolicit, target,
                  test::lla_option(kNdOptSourceLinkAddr, test::kMacA)),
         {{4, FlowError::kIcmpv6Truncated},
          {24, FlowError::kNdTruncated},
          {25, FlowError::kNone},   /* No options at all is fine. */
          {32, FlowError::kNdOptionTruncated}}},
        {"neighbor advertisement", true, kIpProtoIcmpv6,
         test::nd(kIcmp6NeighborAdvert, target,
                  test::lla_option(kNdOptTargetLinkAddr, test::kMacB)),
         {{4, FlowError::kIcmpv6Truncated},
          {24, FlowError::kNdTruncated},
          {25, FlowError::kNone},   /* No options at all is fine. */
          {32, FlowError::kNdOptionTruncated}}},
        {"hop-by-hop", true, kIpProtoHopOpts,
         test::concat({test::ext6(kIpProtoUdp, 1), test::udp(1, 2)}),
         {{16, FlowError::kIpv6ExtTruncated}, {24, FlowError::kUdpTruncated}}},
        {"routing", true, kIpProtoRouting,
         test::concat({test::ext6(kIpProtoTcp, 0), test::tcp(1, 2)}),
         {{8, FlowError::kIpv6ExtTruncated}, {28, FlowError::kTcpTruncated}}},
        {"destination options", true, kIpProtoDstOpts,
         test::concat({test::ext6(kIpProtoUdp, 2), test::udp(1, 2)}),
         {{24, FlowError::kIpv6ExtTruncated}, {32, FlowError::kUdpTruncated}}},
        {"fragment", true, kIpProtoFragment,
         test::concat({test::frag6(kIpProtoUdp, kIpv6MoreFragments), test::udp(1, 2)}),
         {{8, FlowError::kIpv6ExtTruncated}, {16, FlowError::kUdpTruncated}}},
    };
    for (const Upper &u : cases) {
        for (size_t n = 0; n <= u.l4.size(); n++) {
            Bytes cut = test::head(u.l4, n);
            Bytes frame = u.v6 ? test::ipv6_frame(u.proto, cut) : test::ipv4_frame(u.proto, cut);
            FlowError expected = FlowError::kNone;
            for (auto [end, error] : u.boundaries) {
                if (n < end) {
                    expected = error;
                    break;
                }
            }
            FlowKey key{};
            EXPECT_EQ(test::extract_exact(frame, key), expected)
                << u.name << " cut to " << n << " bytes: expected \""
                << flow_error_to_string(expected) << "\"";
            if (!u.v6) {
                EXPECT_EQ(key.nw_src, test::ip4(10, 0, 0, 1)) << "L3 fields kept";
            } else {
                EXPECT_FALSE(key.ipv6_src.is_zero()) << "L3 fields kept";
            }
        }
    }
}

TEST(FlowExtract, ErrorNamesAreDistinct)
{
    std::set<std::string> names;
    for (int i = 0; i < int(FlowError::kCount); i++) {
        std::string name = flow_error_to_string(FlowError(i));
        EXPECT_NE(name, "unknown");
        EXPECT_TRUE(names.insert(name).second) << name;
    }
    EXPECT_STREQ(flow_error_to_string(FlowError::kCount), "unknown");
}

/* Random frames and random corruptions of valid frames: extraction must
 * stay inside the frame (AddressSanitizer checks that in the asan build) and
 * return a known reason. */
TEST(FlowExtract, RandomInputNeverFails)
{
    std::mt19937 rng(20261122);
    Bytes seeds[] = {
        test::ipv4_frame(kIpProtoTcp, test::tcp(1, 2)),
        test::ipv6_frame(kIpProtoHopOpts, test::concat({test::ext6(kIpProtoFragment, 0),
                                                        test::frag6(kIpProtoIcmpv6, 1),
                                                        test::nd(kIcmp6NeighborSolicit, {}, {})})),
        test::concat({test::eth_vlans({{kEthTypeVlan8021AD, 1}, {kEthTypeVlan8021Q, 2}},
                                      kEthTypeArp),
                      test::arp(1)}),
    };
    int counts[int(FlowError::kCount)] = {};
    for (int i = 0; i < 20000; i++) {
        Bytes frame;
        if (i % 4 == 0) {
            frame.resize(rng() % 128);
            for (auto &b : frame) {
                b = rng();
            }
        } else {
            frame = seeds[i % std::size(seeds)];
            for (int flips = 1 + rng() % 4; flips > 0; flips--) {
                frame[rng() % frame.size()] = rng();
            }
            frame.resize(rng() % (frame.size() + 1));
        }
        FlowKey key{};
        FlowError error = test::extract_exact(frame, key);
        ASSERT_LT(int(error), int(FlowError::kCount));
        counts[int(error)]++;
    }
    EXPECT_GT(counts[int(FlowError::kNone)], 0);
    EXPECT_GT(counts[int(FlowError::kEthTruncated)], 0);
}

TEST(FlowToString, DescribesKey)
{
    FlowKey key{};
    key.in_port = 3;
    ASSERT_EQ(test::extract_exact(test::ipv4_frame(kIpProtoTcp, test::tcp(1234, 80, kTcpSyn)),
                                  key),
              FlowError::kNone);
    EXPECT_EQ(flow_to_string(key),
              "in_port=3,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,"
              "dl_type=0x0800,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_proto=6,nw_tos=46,"
              "nw_ttl=64,nw_frag=no,tp_src=1234,tp_dst=80,tcp_flags=0x002");
}

}  // namespace
}  // namespace braid
