/* Unit tests for the bonding transmit hash policies (lib/xmit-hash.cc).
 *
 * Every expected hash below was worked out by hand from the formulas of the
 * Linux bonding documentation, with the byte-order conventions of
 * lib/xmit-hash.h; the comments show the arithmetic.  Recurring values:
 *
 *   MACs:  src kMacA 00:11:22:33:44:55, dst kMacB 66:77:88:99:aa:bb, so
 *          src MAC[5] ^ dst MAC[5] = 0x55 ^ 0xbb = 0xee.
 *   IPv4 addresses as little-endian words of their wire octets:
 *          10.0.0.1 = 0x0100000a        10.0.0.2 = 0x0200000a
 *          192.0.2.1 = 0x010200c0       192.0.2.2 = 0x020200c0
 *          10.1.1.1 = 0x0101010a        10.2.2.2 = 0x0202020a
 *          192.168.1.10 = 0x0a01a8c0    172.16.5.200 = 0xc80510ac
 *   IPv6 addresses folded (XOR of the four words, each loaded likewise):
 *          2001:db8::1 = 0xb80d0120 ^ 0x01000000 = 0xb90d0120
 *          2001:db8::2 = 0xb80d0120 ^ 0x02000000 = 0xba0d0120
 *          2001:db8:1:2:3:4:5:6 = 0xb80d0120 ^ 0x02000100 ^ 0x04000300
 *                                 ^ 0x06000500 = 0xb80d0620
 *          fe80::1234:5678 = 0x000080fe ^ 0x78563412 = 0x7856b4ec
 *   Port words (src, dst octets in wire order, loaded little-endian):
 *          1234 -> 80:      04 d2 00 50 = 0x5000d204
 *          40000 -> 443:    9c 40 01 bb = 0xbb01409c
 *          0x1234 -> 0x5678: 12 34 56 78 = 0x78563412
 *          50000 -> 4789:   c3 50 12 b5 = 0xb51250c3 */
#include <config.h>

#include "lib/xmit-hash.h"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lib/flow.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;
using P = XmitHashPolicy;

constexpr EthAddr kMacC{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
constexpr EthAddr kMacD{{0x02, 0x00, 0x00, 0x00, 0x00, 0x07}};

const In6Addr kIp6A = test::ip6({0x2001, 0xdb8, 1, 2, 3, 4, 5, 6});
const In6Addr kIp6B = test::ip6({0xfe80, 0, 0, 0, 0, 0, 0x1234, 0x5678});

/* Extracts the flow key of a heap copy of exactly 'frame.size()' bytes (so
 * that AddressSanitizer catches reads past the end) and hashes it with
 * xmit_hash_frame().  For the non-encap policies it also checks that
 * xmit_hash() agrees. */
uint32_t hash_frame(P policy, const Bytes &frame)
{
    test::ExactCopy copy(frame);
    std::span<const uint8_t> span = copy.span();
    FlowKey key{};
    flow_extract(span, key);
    uint32_t hash = xmit_hash_frame(policy, span, key);
    if (policy != P::kEncap23 && policy != P::kEncap34) {
        EXPECT_EQ(xmit_hash(policy, key), hash) << xmit_hash_policy_to_string(policy);
    }
    return hash;
}

/* An ARP request from kMacA (10.0.0.1) for 10.0.0.2, to broadcast. */
Bytes arp_request()
{
    return test::concat({test::eth(kEthTypeArp, kEthAddrBroadcast),
                         test::arp(kArpOpRequest, test::kMacA, test::ip4(10, 0, 0, 1), EthAddr{},
                                   test::ip4(10, 0, 0, 2))});
}

/* An IPv4 packet 192.0.2.1 -> 192.0.2.2 carrying 'payload' with protocol
 * 'proto', in an Ethernet frame. */
Bytes outer4(uint8_t proto, const Bytes &payload)
{
    return test::ipv4_frame(proto, payload, test::ip4(192, 0, 2, 1), test::ip4(192, 0, 2, 2));
}

/* The inner packet of several tunnel tests: 10.1.1.1 -> 10.2.2.2, TCP
 * 40000 -> 443. */
Bytes inner_tcp4()
{
    Bytes l4 = test::tcp(40000, 443);
    return test::concat({test::ipv4(kIpProtoTcp, l4.size(), test::ip4(10, 1, 1, 1),
                                    test::ip4(10, 2, 2, 2)),
                         l4});
}

/* The values of a tunnelled frame whose inner headers cannot be used: the
 * outer addresses 192.0.2.1 ^ 192.0.2.2 = 0x03000000, no ports.
 *   encap2+3: 0x03000000 ^ 0x08ee = 0x030008ee; ^ (>> 16 = 0x0300) =
 *             0x03000bee; ^ (>> 8 = 0x0003000b) = 0x03030be5.
 *   encap3+4: 0x03000000; ^ (>> 16) = 0x03000300; ^ (>> 8 = 0x00030003) =
 *             0x03030303; >> 1 = 0x01818181. */
constexpr uint32_t kOuter23 = 0x03030be5;
constexpr uint32_t kOuter34 = 0x01818181;

TEST(XmitHashPolicy, ParsesNamesAndNumbers)
{
    EXPECT_EQ(xmit_hash_policy_from_string("layer2"), P::kLayer2);
    EXPECT_EQ(xmit_hash_policy_from_string("layer2+3"), P::kLayer23);
    EXPECT_EQ(xmit_hash_policy_from_string("layer3+4"), P::kLayer34);
    EXPECT_EQ(xmit_hash_policy_from_string("encap2+3"), P::kEncap23);
    EXPECT_EQ(xmit_hash_policy_from_string("encap3+4"), P::kEncap34);
    EXPECT_EQ(xmit_hash_policy_from_string("vlan+srcmac"), P::kVlanSrcMac);

    /* The Linux numbers. */
    EXPECT_EQ(xmit_hash_policy_from_string("0"), P::kLayer2);
    EXPECT_EQ(xmit_hash_policy_from_string("1"), P::kLayer34);
    EXPECT_EQ(xmit_hash_policy_from_string("2"), P::kLayer23);
    EXPECT_EQ(xmit_hash_policy_from_string("3"), P::kEncap23);
    EXPECT_EQ(xmit_hash_policy_from_string("4"), P::kEncap34);
    EXPECT_EQ(xmit_hash_policy_from_string("5"), P::kVlanSrcMac);

    for (const char *bad : {"layer5", "", "6", "7", "-1", "00", "01", " 1", "Layer2",
                            "layer2 ", "layer2+4", "layer3", "encap", "vlan", "srcmac",
                            "vlan+srcmac\n"}) {
        EXPECT_EQ(xmit_hash_policy_from_string(bad), std::nullopt) << '"' << bad << '"';
    }
    EXPECT_EQ(xmit_hash_policy_from_string(std::string_view("layer2\0", 7)), std::nullopt);
}

TEST(XmitHashPolicy, ToStringRoundTrips)
{
    EXPECT_STREQ(xmit_hash_policy_to_string(P::kLayer2), "layer2");
    EXPECT_STREQ(xmit_hash_policy_to_string(P::kLayer23), "layer2+3");
    EXPECT_STREQ(xmit_hash_policy_to_string(P::kLayer34), "layer3+4");
    EXPECT_STREQ(xmit_hash_policy_to_string(P::kEncap23), "encap2+3");
    EXPECT_STREQ(xmit_hash_policy_to_string(P::kEncap34), "encap3+4");
    EXPECT_STREQ(xmit_hash_policy_to_string(P::kVlanSrcMac), "vlan+srcmac");
    for (P p : {P::kLayer2, P::kLayer23, P::kLayer34, P::kEncap23, P::kEncap34,
                P::kVlanSrcMac}) {
        EXPECT_EQ(xmit_hash_policy_from_string(xmit_hash_policy_to_string(p)), p);
    }
}

TEST(XmitHash, Layer2)
{
    /* 0x55 ^ 0xbb ^ 0x0800 = 0x08ee. */
    EXPECT_EQ(hash_frame(P::kLayer2, test::ipv4_frame(kIpProtoTcp, test::tcp(1234, 80))),
              0x08eeu);
    /* 0xee ^ 0x86dd = 0x8633. */
    EXPECT_EQ(hash_frame(P::kLayer2, test::ipv6_frame(kIpProtoUdp, test::udp(1, 2))), 0x8633u);
    /* VLAN-tagged: the packet type is the inner EtherType, 0x08ee again. */
    Bytes l4 = test::udp(1, 2);
    EXPECT_EQ(hash_frame(P::kLayer2,
                         test::concat({test::eth_vlans({{kEthTypeVlan8021Q, 100}},
                                                       kEthTypeIpv4),
                                       test::ipv4(kIpProtoUdp, l4.size()), l4})),
              0x08eeu);
    /* ARP to broadcast: 0x55 ^ 0xff ^ 0x0806 = 0xaa ^ 0x0806 = 0x08ac. */
    EXPECT_EQ(hash_frame(P::kLayer2, arp_request()), 0x08acu);
    /* Other MACs and EtherType: src 52:54:00:12:34:56, dst 02::07, LLDP:
     * 0x56 ^ 0x07 ^ 0x88cc = 0x51 ^ 0x88cc = 0x889d. */
    EXPECT_EQ(hash_frame(P::kLayer2, test::concat({test::eth(kEthTypeLldp, kMacD, kMacC),
                                                   Bytes(46, 0)})),
              0x889du);
    /* Only the last octets count: changing the first ones changes nothing. */
    EXPECT_EQ(hash_frame(P::kLayer2,
                         test::concat({test::eth(kEthTypeLldp,
                                                 EthAddr{{0xaa, 1, 2, 3, 4, 0x07}},
                                                 EthAddr{{0xbb, 5, 6, 7, 8, 0x56}}),
                                       Bytes(46, 0)})),
              0x889du);
}

TEST(XmitHash, Layer23)
{
    /* 10.0.0.1 -> 10.0.0.2: 0x08ee ^ 0x0100000a ^ 0x0200000a = 0x030008ee;
     * ^ (>> 16 = 0x0300) = 0x03000bee; ^ (>> 8 = 0x0003000b) = 0x03030be5.
     * The ports do not count. */
    EXPECT_EQ(hash_frame(P::kLayer23, test::ipv4_frame(kIpProtoTcp, test::tcp(1234, 80))),
              0x03030be5u);
    EXPECT_EQ(hash_frame(P::kLayer23, test::ipv4_frame(kIpProtoUdp, test::udp(9, 9))),
              0x03030be5u);

    /* 192.168.1.10 -> 172.16.5.200: 0x0a01a8c0 ^ 0xc80510ac = 0xc204b86c;
     * ^ 0x08ee = 0xc204b082; ^ (>> 16 = 0xc204) = 0xc2047286;
     * ^ (>> 8 = 0x00c20472) = 0xc2c676f4. */
    EXPECT_EQ(hash_frame(P::kLayer23,
                         test::ipv4_frame(kIpProtoIcmp, test::icmp(kIcmpEchoRequest, 0, 0x4242),
                                          test::ip4(192, 168, 1, 10),
                                          test::ip4(172, 16, 5, 200))),
              0xc2c676f4u);

    /* VLAN-tagged: the same as untagged. */
    Bytes l4 = test::tcp(1234, 80);
    EXPECT_EQ(hash_frame(P::kLayer23,
                         test::concat({test::eth_vlans({{kEthTypeVlan8021AD, 10},
                                                        {kEthTypeVlan8021Q, 20}},
                                                       kEthTypeIpv4),
                                       test::ipv4(kIpProtoTcp, l4.size()), l4})),
              0x03030be5u);

    /* IPv6 2001:db8::1 -> 2001:db8::2: 0xb90d0120 ^ 0xba0d0120 = 0x03000000;
     * ^ 0x8633 = 0x03008633; ^ (>> 16 = 0x0300) = 0x03008533;
     * ^ (>> 8 = 0x00030085) = 0x030385b6. */
    EXPECT_EQ(hash_frame(P::kLayer23, test::ipv6_frame(kIpProtoUdp, test::udp(1, 2))),
              0x030385b6u);

    /* IPv6 2001:db8:1:2:3:4:5:6 -> fe80::1234:5678:
     * 0xb80d0620 ^ 0x7856b4ec = 0xc05bb2cc; ^ 0x8633 = 0xc05b34ff;
     * ^ (>> 16 = 0xc05b) = 0xc05bf4a4; ^ (>> 8 = 0x00c05bf4) = 0xc09baf50. */
    EXPECT_EQ(hash_frame(P::kLayer23,
                         test::ipv6_frame(kIpProtoTcp, test::tcp(5, 6), kIp6A, kIp6B)),
              0xc09baf50u);

    /* Non-IP: the layer2 formula (see XmitHash.Layer2). */
    EXPECT_EQ(hash_frame(P::kLayer23, arp_request()), 0x08acu);
    EXPECT_EQ(hash_frame(P::kLayer23, test::concat({test::eth(kEthTypeLldp, kMacD, kMacC),
                                                    Bytes(46, 0)})),
              0x889du);
}

TEST(XmitHash, Layer34)
{
    /* TCP 10.0.0.1:1234 -> 10.0.0.2:80: 0x5000d204 ^ 0x03000000 = 0x5300d204;
     * ^ (>> 16 = 0x5300) = 0x53008104; ^ (>> 8 = 0x00530081) = 0x53538185;
     * >> 1 = 0x29a9c0c2. */
    EXPECT_EQ(hash_frame(P::kLayer34, test::ipv4_frame(kIpProtoTcp, test::tcp(1234, 80))),
              0x29a9c0c2u);
    /* UDP with the same ports and addresses: the same. */
    EXPECT_EQ(hash_frame(P::kLayer34, test::ipv4_frame(kIpProtoUdp, test::udp(1234, 80))),
              0x29a9c0c2u);
    /* The MACs do not count. */
    Bytes l4 = test::tcp(1234, 80);
    EXPECT_EQ(hash_frame(P::kLayer34,
                         test::concat({test::eth(kEthTypeIpv4, kMacD, kMacC),
                                       test::ipv4(kIpProtoTcp, l4.size()), l4})),
              0x29a9c0c2u);

    /* No ports: 0x03000000; ^ (>> 16) = 0x03000300; ^ (>> 8 = 0x00030003) =
     * 0x03030303; >> 1 = 0x01818181.  This holds for a first fragment (MF
     * set, offset 0), a later fragment, ICMP and SCTP. */
    EXPECT_EQ(hash_frame(P::kLayer34, test::ipv4_frame(kIpProtoTcp, test::tcp(1234, 80),
                                                       test::ip4(10, 0, 0, 1),
                                                       test::ip4(10, 0, 0, 2),
                                                       kIpv4MoreFragments)),
              0x01818181u);
    EXPECT_EQ(hash_frame(P::kLayer34, test::ipv4_frame(kIpProtoUdp, Bytes(16, 0xab),
                                                       test::ip4(10, 0, 0, 1),
                                                       test::ip4(10, 0, 0, 2), 185)),
              0x01818181u);
    EXPECT_EQ(hash_frame(P::kLayer34,
                         test::ipv4_frame(kIpProtoIcmp, test::icmp(kIcmpEchoRequest, 0, 0x4242))),
              0x01818181u);
    EXPECT_EQ(hash_frame(P::kLayer34, test::ipv4_frame(kIpProtoSctp, test::sctp(1234, 80))),
              0x01818181u);

    /* IPv6 UDP 2001:db8:1:2:3:4:5:6 port 0x1234 -> fe80::1234:5678 port
     * 0x5678: 0x78563412 ^ 0xc05bb2cc = 0xb80d86de; ^ (>> 16 = 0xb80d) =
     * 0xb80d3ed3; ^ (>> 8 = 0x00b80d3e) = 0xb8b533ed; >> 1 = 0x5c5a99f6. */
    EXPECT_EQ(hash_frame(P::kLayer34,
                         test::ipv6_frame(kIpProtoUdp, test::udp(0x1234, 0x5678), kIp6A, kIp6B)),
              0x5c5a99f6u);
    /* The same, VLAN-tagged. */
    Bytes udp = test::udp(0x1234, 0x5678);
    EXPECT_EQ(hash_frame(P::kLayer34,
                         test::concat({test::eth_vlans({{kEthTypeVlan8021Q, 0x2005}},
                                                       kEthTypeIpv6),
                                       test::ipv6(kIpProtoUdp, udp.size(), kIp6A, kIp6B),
                                       udp})),
              0x5c5a99f6u);

    /* IPv6 fragments, first and later: 2001:db8::1 ^ 2001:db8::2 =
     * 0x03000000, no ports: 0x01818181 as for IPv4 above. */
    EXPECT_EQ(hash_frame(P::kLayer34,
                         test::ipv6_frame(kIpProtoFragment,
                                          test::concat({test::frag6(kIpProtoTcp,
                                                                    kIpv6MoreFragments, 7),
                                                        test::tcp(1234, 80)}))),
              0x01818181u);
    EXPECT_EQ(hash_frame(P::kLayer34,
                         test::ipv6_frame(kIpProtoFragment,
                                          test::concat({test::frag6(kIpProtoTcp, 0x00a8, 7),
                                                        Bytes(16, 1)}))),
              0x01818181u);
    /* ICMPv6 has no ports either. */
    EXPECT_EQ(hash_frame(P::kLayer34, test::ipv6_frame(kIpProtoIcmpv6, Bytes{128, 0, 0, 0})),
              0x01818181u);

    /* Non-IP: the layer2 formula. */
    EXPECT_EQ(hash_frame(P::kLayer34, arp_request()), 0x08acu);
}

TEST(XmitHash, VlanSrcMac)
{
    /* kMacA: 0x001122 ^ 0x334455 = 0x335577; untagged, VID 0. */
    EXPECT_EQ(hash_frame(P::kVlanSrcMac, test::ipv4_frame(kIpProtoTcp, test::tcp(1, 2))),
              0x335577u);
    /* VID 100 = 0x064 (PCP 5 in the TCI is ignored): 0x335577 ^ 0x64 = 0x335513. */
    Bytes l4 = test::tcp(1, 2);
    EXPECT_EQ(hash_frame(P::kVlanSrcMac,
                         test::concat({test::eth_vlans({{kEthTypeVlan8021Q, 0xa064}},
                                                       kEthTypeIpv4),
                                       test::ipv4(kIpProtoTcp, l4.size()), l4})),
              0x335513u);
    /* QinQ: the outer VID 10 counts: 0x335577 ^ 0x00a = 0x33557d. */
    EXPECT_EQ(hash_frame(P::kVlanSrcMac,
                         test::concat({test::eth_vlans({{kEthTypeVlan8021AD, 10},
                                                        {kEthTypeVlan8021Q, 20}},
                                                       kEthTypeIpv4),
                                       test::ipv4(kIpProtoTcp, l4.size()), l4})),
              0x33557du);
    /* 52:54:00:12:34:56 in VLAN 4095: 0x525400 ^ 0x123456 = 0x406056;
     * ^ 0xfff = 0x406fa9.  Non-IP makes no difference. */
    EXPECT_EQ(hash_frame(P::kVlanSrcMac,
                         test::concat({test::eth_vlans({{kEthTypeVlan8021Q, 0x0fff}},
                                                       kEthTypeArp, kMacD, kMacC),
                                       Bytes(28, 0)})),
              0x406fa9u);
}

TEST(XmitHash, EncapWithoutTunnelEqualsLayerPolicies)
{
    Bytes tcp4 = test::ipv4_frame(kIpProtoTcp, test::tcp(1234, 80));
    EXPECT_EQ(hash_frame(P::kEncap23, tcp4), 0x03030be5u);     /* See Layer23. */
    EXPECT_EQ(hash_frame(P::kEncap34, tcp4), 0x29a9c0c2u);     /* See Layer34. */
    Bytes udp6 = test::ipv6_frame(kIpProtoUdp, test::udp(0x1234, 0x5678), kIp6A, kIp6B);
    EXPECT_EQ(hash_frame(P::kEncap23, udp6), 0xc09baf50u);
    EXPECT_EQ(hash_frame(P::kEncap34, udp6), 0x5c5a99f6u);
    EXPECT_EQ(hash_frame(P::kEncap34,
                         test::ipv4_frame(kIpProtoIcmp, test::icmp(kIcmpEchoRequest, 0, 0x4242))),
              0x01818181u);
    /* Non-IP: the layer2 formula. */
    EXPECT_EQ(hash_frame(P::kEncap23, arp_request()), 0x08acu);
    EXPECT_EQ(hash_frame(P::kEncap34, arp_request()), 0x08acu);

    /* xmit_hash() on a key alone treats them as layer2+3 and layer3+4. */
    FlowKey key{};
    flow_extract(tcp4, key);
    EXPECT_EQ(xmit_hash(P::kEncap23, key), 0x03030be5u);
    EXPECT_EQ(xmit_hash(P::kEncap34, key), 0x29a9c0c2u);
}

/* Inner packet 10.1.1.1:40000 -> 10.2.2.2:443, outer MACs and EtherType
 * IPv4 (0x08ee):
 *   encap2+3: 0x0101010a ^ 0x0202020a = 0x03030300; ^ 0x08ee = 0x03030bee;
 *             ^ (>> 16 = 0x0303) = 0x030308ed; ^ (>> 8 = 0x00030308) =
 *             0x03000be5.
 *   encap3+4: 0xbb01409c ^ 0x03030300 = 0xb802439c; ^ (>> 16 = 0xb802) =
 *             0xb802fb9e; ^ (>> 8 = 0x00b802fb) = 0xb8baf965; >> 1 =
 *             0x5c5d7cb2. */
constexpr uint32_t kInner23 = 0x03000be5;
constexpr uint32_t kInner34 = 0x5c5d7cb2;

TEST(XmitHashEncap, GreWithKeyAndSequence)
{
    Bytes frame = outer4(kIpProtoGre, test::concat({test::gre(kGreKeyPresent | kGreSeqPresent,
                                                              kEthTypeIpv4, {0xabcd, 77}),
                                                    inner_tcp4()}));
    EXPECT_EQ(hash_frame(P::kEncap23, frame), kInner23);
    EXPECT_EQ(hash_frame(P::kEncap34, frame), kInner34);
    /* The layer policies see the outer GRE packet. */
    EXPECT_EQ(hash_frame(P::kLayer23, frame), kOuter23);
    EXPECT_EQ(hash_frame(P::kLayer34, frame), kOuter34);
}

TEST(XmitHashEncap, GreOptionalFields)
{
    struct Case {
        uint16_t flags;
        std::vector<uint32_t> fields;
    };
    for (const Case &c : {Case{0, {}}, Case{kGreChecksumPresent, {0x12340000}},
                          Case{kGreKeyPresent, {5}}, Case{kGreSeqPresent, {9}},
                          Case{kGreChecksumPresent | kGreKeyPresent | kGreSeqPresent,
                               {0x12340000, 5, 9}}}) {
        Bytes frame = outer4(kIpProtoGre,
                             test::concat({test::gre(c.flags, kEthTypeIpv4, c.fields),
                                           inner_tcp4()}));
        EXPECT_EQ(hash_frame(P::kEncap23, frame), kInner23) << c.flags;
        EXPECT_EQ(hash_frame(P::kEncap34, frame), kInner34) << c.flags;
    }
}

TEST(XmitHashEncap, GreTebCarryingEthernetAndIpv6)
{
    /* Inner UDP 2001:db8:1:2:3:4:5:6 port 0x1234 -> fe80::1234:5678 port
     * 0x5678 (addresses 0xc05bb2cc, see Layer34), with inner MACs that must
     * not count, and the outer Ethernet header (0x08ee) for the L2 part:
     *   encap2+3: 0xc05bb2cc ^ 0x08ee = 0xc05bba22; ^ (>> 16 = 0xc05b) =
     *             0xc05b7a79; ^ (>> 8 = 0x00c05b7a) = 0xc09b2103.
     *   encap3+4: 0x5c5a99f6 (see Layer34). */
    Bytes udp = test::udp(0x1234, 0x5678);
    Bytes inner6 = test::concat({test::ipv6(kIpProtoUdp, udp.size(), kIp6A, kIp6B), udp});
    Bytes frame = outer4(kIpProtoGre,
                         test::concat({test::gre(kGreKeyPresent, kEthTypeTeb, {1}),
                                       test::eth(kEthTypeIpv6, kMacD, kMacC), inner6}));
    EXPECT_EQ(hash_frame(P::kEncap23, frame), 0xc09b2103u);
    EXPECT_EQ(hash_frame(P::kEncap34, frame), 0x5c5a99f6u);

    /* With a VLAN tag on the inner Ethernet header: the same. */
    Bytes tagged = outer4(kIpProtoGre,
                          test::concat({test::gre(0, kEthTypeTeb),
                                        test::eth_vlans({{kEthTypeVlan8021Q, 7}}, kEthTypeIpv6,
                                                        kMacD, kMacC),
                                        inner6}));
    EXPECT_EQ(hash_frame(P::kEncap23, tagged), 0xc09b2103u);
    EXPECT_EQ(hash_frame(P::kEncap34, tagged), 0x5c5a99f6u);

    /* Inner ARP: not IP, the walk stops at the outer header. */
    Bytes arp = outer4(kIpProtoGre, test::concat({test::gre(0, kEthTypeTeb),
                                                   test::eth(kEthTypeArp), Bytes(28, 0)}));
    EXPECT_EQ(hash_frame(P::kEncap23, arp), kOuter23);
    EXPECT_EQ(hash_frame(P::kEncap34, arp), kOuter34);
}

TEST(XmitHashEncap, Ipv4InIpv6)
{
    /* Outer 2001:db8::1 -> 2001:db8::2 (EtherType 0x86dd, L2 part 0x8633),
     * inner TCP 192.168.1.10:1234 -> 172.16.5.200:80 (addresses 0xc204b86c):
     *   encap2+3: 0xc204b86c ^ 0x8633 = 0xc2043e5f; ^ (>> 16 = 0xc204) =
     *             0xc204fc5b; ^ (>> 8 = 0x00c204fc) = 0xc2c6f8a7.
     *   encap3+4: 0x5000d204 ^ 0xc204b86c = 0x92046a68; ^ (>> 16 = 0x9204) =
     *             0x9204f86c; ^ (>> 8 = 0x009204f8) = 0x9296fc94; >> 1 =
     *             0x494b7e4a. */
    Bytes l4 = test::tcp(1234, 80);
    Bytes inner = test::concat({test::ipv4(kIpProtoTcp, l4.size(), test::ip4(192, 168, 1, 10),
                                           test::ip4(172, 16, 5, 200)),
                                l4});
    Bytes frame = test::ipv6_frame(kIpProtoIpip, inner);
    EXPECT_EQ(hash_frame(P::kEncap23, frame), 0xc2c6f8a7u);
    EXPECT_EQ(hash_frame(P::kEncap34, frame), 0x494b7e4au);
    /* The layer policies use the outer IPv6 header: 0x030385b6 (see Layer23)
     * and, with no ports, 0x03000000 -> 0x01818181. */
    EXPECT_EQ(hash_frame(P::kLayer23, frame), 0x030385b6u);
    EXPECT_EQ(hash_frame(P::kLayer34, frame), 0x01818181u);
}

TEST(XmitHashEncap, Ipv6ExtensionHeadersAreWalked)
{
    /* The packet of Ipv4InIpv6 behind Hop-by-Hop (16 bytes), an
     * Authentication Header (24 bytes), an atomic fragment header (not a
     * fragment) and Destination Options (8 bytes): the same values. */
    Bytes l4 = test::tcp(1234, 80);
    Bytes inner = test::concat({test::ipv4(kIpProtoTcp, l4.size(), test::ip4(192, 168, 1, 10),
                                           test::ip4(172, 16, 5, 200)),
                                l4});
    Bytes frame = test::ipv6_frame(kIpProtoHopOpts,
                                   test::concat({test::ext6(kIpProtoAh, 1, 0xee),
                                                 test::ah6(kIpProtoFragment, 4, 0xee),
                                                 test::frag6(kIpProtoDstOpts, 0, 7),
                                                 test::ext6(kIpProtoIpip, 0, 0xee), inner}));
    EXPECT_EQ(hash_frame(P::kEncap23, frame), 0xc2c6f8a7u);
    EXPECT_EQ(hash_frame(P::kEncap34, frame), 0x494b7e4au);

    /* A real fragment (M set) is not followed: the outer values of
     * Ipv4InIpv6. */
    Bytes frag = test::ipv6_frame(
        kIpProtoFragment, test::concat({test::frag6(kIpProtoIpip, kIpv6MoreFragments, 7), inner}));
    EXPECT_EQ(hash_frame(P::kEncap23, frag), 0x030385b6u);
    EXPECT_EQ(hash_frame(P::kEncap34, frag), 0x01818181u);
}

TEST(XmitHashEncap, NestedIpInIp)
{
    /* IPv4 in IPv6 in IPv4, innermost ICMP 192.168.1.10 -> 172.16.5.200,
     * no ports: 0xc204b86c; ^ (>> 16 = 0xc204) = 0xc2047a68;
     * ^ (>> 8 = 0x00c2047a) = 0xc2c67e12; >> 1 = 0x61633f09. */
    Bytes icmp = test::icmp(kIcmpEchoRequest, 0, 0x4242);
    Bytes in4 = test::concat({test::ipv4(kIpProtoIcmp, icmp.size(), test::ip4(192, 168, 1, 10),
                                         test::ip4(172, 16, 5, 200)),
                              icmp});
    Bytes in6 = test::concat({test::ipv6(kIpProtoIpip, in4.size()), in4});
    Bytes frame = outer4(kIpProtoIpv6, in6);
    EXPECT_EQ(hash_frame(P::kEncap34, frame), 0x61633f09u);
    /* encap2+3: 0xc204b86c ^ 0x08ee = 0xc204b082 -> 0xc2c676f4 (see
     * Layer23). */
    EXPECT_EQ(hash_frame(P::kEncap23, frame), 0xc2c676f4u);
}

TEST(XmitHashEncap, InnerFragmentHasNoPorts)
{
    /* Inner 10.1.1.1 -> 10.2.2.2 later fragment, no ports: 0x03030300;
     * ^ (>> 16 = 0x0303) = 0x03030003; ^ (>> 8 = 0x00030300) = 0x03000303;
     * >> 1 = 0x01800181. */
    Bytes payload(24, 0x5a);
    Bytes inner = test::concat({test::ipv4(kIpProtoTcp, payload.size(), test::ip4(10, 1, 1, 1),
                                           test::ip4(10, 2, 2, 2), 100),
                                payload});
    Bytes frame = outer4(kIpProtoGre, test::concat({test::gre(0, kEthTypeIpv4), inner}));
    EXPECT_EQ(hash_frame(P::kEncap34, frame), 0x01800181u);
    /* The same packet as a first fragment: ports omitted as well. */
    Bytes l4 = test::tcp(40000, 443);
    Bytes first = test::concat({test::ipv4(kIpProtoTcp, l4.size(), test::ip4(10, 1, 1, 1),
                                           test::ip4(10, 2, 2, 2), kIpv4MoreFragments),
                                l4});
    EXPECT_EQ(hash_frame(P::kEncap34,
                         outer4(kIpProtoGre, test::concat({test::gre(0, kEthTypeIpv4), first}))),
              0x01800181u);
    /* An outer fragment is not followed into. */
    Bytes gre_frag = test::concat({test::eth(kEthTypeIpv4),
                                   test::ipv4(kIpProtoGre, 4 + 40, test::ip4(192, 0, 2, 1),
                                              test::ip4(192, 0, 2, 2), kIpv4MoreFragments),
                                   test::gre(0, kEthTypeIpv4), inner_tcp4()});
    EXPECT_EQ(hash_frame(P::kEncap34, gre_frag), kOuter34);
    EXPECT_EQ(hash_frame(P::kEncap23, gre_frag), kOuter23);
}

TEST(XmitHashEncap, UdpTunnelsAreNotFollowed)
{
    /* VXLAN: UDP 192.0.2.1:50000 -> 192.0.2.2:4789 carrying a frame.
     *   encap3+4: 0xb51250c3 ^ 0x03000000 = 0xb61250c3; ^ (>> 16 = 0xb612) =
     *             0xb612e6d1; ^ (>> 8 = 0x00b612e6) = 0xb6a4f437; >> 1 =
     *             0x5b527a1b.
     *   encap2+3: the outer addresses, kOuter23. */
    Bytes vxlan{0x08, 0, 0, 0, 0, 0, 0x64, 0};
    Bytes inner = test::concat({test::eth(kEthTypeIpv4), inner_tcp4()});
    Bytes udp = test::udp(50000, 4789, vxlan.size() + inner.size());
    udp.resize(sizeof(UdpHeader));
    Bytes frame = outer4(kIpProtoUdp, test::concat({udp, vxlan, inner}));
    EXPECT_EQ(hash_frame(P::kEncap34, frame), 0x5b527a1bu);
    EXPECT_EQ(hash_frame(P::kEncap23, frame), kOuter23);
}

TEST(XmitHashEncap, MalformedFallsBackToOuterHeader)
{
    Bytes gre_ks = test::gre(kGreKeyPresent | kGreSeqPresent, kEthTypeIpv4, {0xabcd, 77});
    Bytes inner = inner_tcp4();
    std::vector<std::pair<const char *, Bytes>> cases;

    /* The frame ends inside the GRE header or its optional fields. */
    cases.emplace_back("gre truncated", outer4(kIpProtoGre, Bytes{0x30, 0x00}));
    cases.emplace_back("gre key truncated", outer4(kIpProtoGre, test::head(gre_ks, 10)));
    /* The inner IPv4 header is truncated, has a bad version, a short header
     * length or a total length beyond the outer payload. */
    cases.emplace_back("inner ip truncated",
                       outer4(kIpProtoGre, test::concat({gre_ks, test::head(inner, 12)})));
    Bytes bad_version = inner;
    bad_version[0] = 0x65;
    cases.emplace_back("inner ip version",
                       outer4(kIpProtoGre, test::concat({gre_ks, bad_version})));
    Bytes bad_ihl = inner;
    bad_ihl[0] = 0x44;
    cases.emplace_back("inner ip ihl", outer4(kIpProtoGre, test::concat({gre_ks, bad_ihl})));
    Bytes long_ip = inner;
    long_ip[3] += 1;    /* Total length one more than there is. */
    cases.emplace_back("inner ip length",
                       outer4(kIpProtoGre, test::concat({gre_ks, long_ip})));
    /* The inner TCP header is cut before the end of its ports. */
    cases.emplace_back("inner ports truncated",
                       outer4(kIpProtoGre,
                              test::concat({gre_ks, test::ipv4(kIpProtoTcp, 3,
                                                               test::ip4(10, 1, 1, 1),
                                                               test::ip4(10, 2, 2, 2)),
                                            Bytes{0x9c, 0x40, 0x01}})));
    /* An outer total length that ends inside the inner header, although
     * the frame goes on (as with Ethernet padding). */
    cases.emplace_back("outer ip length",
                       test::concat({test::eth(kEthTypeIpv4),
                                     test::ipv4(kIpProtoGre, gre_ks.size() + 10,
                                                test::ip4(192, 0, 2, 1),
                                                test::ip4(192, 0, 2, 2)),
                                     gre_ks, inner}));
    /* IP-in-IP whose inner header is truncated. */
    cases.emplace_back("ipip truncated", outer4(kIpProtoIpip, test::head(inner, 19)));
    cases.emplace_back("ipv6 in ip truncated",
                       outer4(kIpProtoIpv6, test::head(test::ipv6(kIpProtoTcp, 0), 39)));
    /* TEB whose inner Ethernet header or VLAN tag is truncated. */
    cases.emplace_back("teb eth truncated",
                       outer4(kIpProtoGre, test::concat({test::gre(0, kEthTypeTeb),
                                                         test::head(test::eth(kEthTypeIpv4),
                                                                    13)})));
    cases.emplace_back("teb vlan truncated",
                       outer4(kIpProtoGre,
                              test::concat({test::gre(0, kEthTypeTeb),
                                            test::head(test::eth_vlans(
                                                           {{kEthTypeVlan8021Q, 5}},
                                                           kEthTypeIpv4),
                                                       16)})));
    /* GRE that is not followed: routing present, version 1, MPLS payload
     * (each directly followed by a good inner packet, which a walk that
     * ignored the flags would use). */
    cases.emplace_back("gre routing",
                       outer4(kIpProtoGre,
                              test::concat({test::gre(kGreRoutingPresent, kEthTypeIpv4), inner})));
    cases.emplace_back("gre version 1",
                       outer4(kIpProtoGre, test::concat({test::gre(kGreKeyPresent | 1,
                                                                   kEthTypeIpv4, {0}),
                                                         inner})));
    cases.emplace_back("gre mpls",
                       outer4(kIpProtoGre, test::concat({test::gre(0, kEthTypeMpls),
                                                         Bytes{0, 0, 0x11, 0x40}, inner})));

    for (const auto &[name, frame] : cases) {
        EXPECT_EQ(hash_frame(P::kEncap23, frame), kOuter23) << name;
        EXPECT_EQ(hash_frame(P::kEncap34, frame), kOuter34) << name;
        /* Every truncation of the frame is safe, whatever it hashes to. */
        for (size_t n = 0; n <= frame.size(); n++) {
            hash_frame(P::kEncap34, test::head(frame, n));
        }
    }

    /* An outer IPv6 packet whose inner IPv4 is truncated: the outer IPv6
     * fields, 0x030385b6 and 0x01818181 (see Ipv4InIpv6). */
    Bytes v6 = test::ipv6_frame(kIpProtoIpip, test::head(inner, 30));
    EXPECT_EQ(hash_frame(P::kEncap23, v6), 0x030385b6u);
    EXPECT_EQ(hash_frame(P::kEncap34, v6), 0x01818181u);
    /* The same when the IPv6 payload length ends inside the inner header
     * although the frame goes on. */
    Bytes short6 = test::concat({test::eth(kEthTypeIpv6), test::ipv6(kIpProtoIpip, 10), inner});
    EXPECT_EQ(hash_frame(P::kEncap23, short6), 0x030385b6u);
    EXPECT_EQ(hash_frame(P::kEncap34, short6), 0x01818181u);
}

TEST(XmitHashEncap, EveryTruncationIsSafe)
{
    Bytes l4 = test::tcp(1234, 80);
    Bytes in4 = test::concat({test::ipv4(kIpProtoTcp, l4.size()), l4});
    Bytes in6 = test::concat({test::ipv6(kIpProtoIpip, in4.size()), in4});
    Bytes frame = outer4(kIpProtoGre,
                         test::concat({test::gre(kGreChecksumPresent | kGreKeyPresent
                                                     | kGreSeqPresent,
                                                 kEthTypeTeb, {0, 1, 2}),
                                       test::eth_vlans({{kEthTypeVlan8021AD, 1},
                                                        {kEthTypeVlan8021Q, 2}},
                                                       kEthTypeIpv6),
                                       in6}));
    for (size_t n = 0; n <= frame.size(); n++) {
        for (P p : {P::kEncap23, P::kEncap34}) {
            hash_frame(p, test::head(frame, n));
        }
    }
}

TEST(XmitHash, MemberIsHashModuloCount)
{
    EXPECT_EQ(xmit_hash_member(0x08ee, 3), 0u);         /* 2286 = 3 * 762. */
    EXPECT_EQ(xmit_hash_member(0x08ee, 4), 2u);         /* 0xee & 3. */
    EXPECT_EQ(xmit_hash_member(0x03030be5, 7), 2u);     /* 50531301 = 7 * 7218757 + 2. */
    EXPECT_EQ(xmit_hash_member(0x03030be5, 1), 0u);
    EXPECT_EQ(xmit_hash_member(0xffffffff, 0), 0u);     /* No members. */
    EXPECT_EQ(xmit_hash_member(0xffffffff, 10), 5u);    /* 4294967295 = 10 * ... + 5. */
}

}  // namespace
}  // namespace braid
