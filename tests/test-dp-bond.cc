/* Unit tests for the datapath side of bonds (lib/dp-bond.cc): the member
 * that bond_choose() picks under each transmit rule, the counters it keeps,
 * and the receive rules of bond_admit().
 *
 * Most tables below give bucket b the port 1000 + b, so that the port
 * bond_choose() returns names the bucket it used.  Exact values of the
 * Linux policies are worked out by hand as in tests/test-xmit-hash.cc:
 *
 *   layer2, kMacA -> kMacB, IPv4: 0x55 ^ 0xbb ^ 0x0800 = 0x08ee.
 *   layer3+4, 10.0.0.1:1234 -> 10.0.0.2:80: port word 0x5000d204, addresses
 *       0x0100000a ^ 0x0200000a = 0x03000000, so 0x5300d204; then
 *       ^ (h >> 16) = 0x53008104, ^ (h >> 8) = 0x53538185, >> 1 = 0x29a9c0c2.
 *   vlan+srcmac, kMacA: 0x001122 ^ 0x334455 = 0x335577, ^ VID. */
#include <config.h>

#include "lib/dp-bond.h"

#include <functional>
#include <memory>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "lib/dp-packet.h"
#include "lib/flow.h"
#include "lib/xmit-hash.h"
#include "tests/frame-builder.h"

namespace braid::dp {
namespace {

using test::Bytes;
using test::ip4;
using test::kMacA;
using test::kMacB;

constexpr uint32_t kBasis = 0x5eed1234;
constexpr uint32_t kOtherBasis = 0x0badcafe;
constexpr EthAddr kMulticastMac{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};

/* A frame to send or receive: its key (extracted from an exact-size copy,
 * so that AddressSanitizer checks the parser) and a packet holding it. */
struct Frame {
    FlowKey key{};
    std::unique_ptr<DpPacket> packet;
};

Frame make_frame(const Bytes &bytes)
{
    Frame f;
    EXPECT_EQ(test::extract_exact(bytes, f.key), FlowError::kNone);
    f.packet = DpPacket::copy_of(bytes);
    return f;
}

/* An Ethernet header from 'src' to 'dst' with EtherType 'type': untagged
 * if 'tags' is empty, otherwise with those {tpid, tci} tags, outermost
 * first. */
Bytes l2(EthAddr src, EthAddr dst, uint16_t type,
         std::vector<std::pair<uint16_t, uint16_t>> tags = {})
{
    if (tags.empty()) {
        return test::eth(type, dst, src);
    }
    Bytes out;
    test::append(out, dst);
    test::append(out, src);
    for (auto [tpid, tci] : tags) {
        test::append(out, be16::from_host(tpid));
        test::append(out, be16::from_host(tci));
    }
    test::append(out, be16::from_host(type));
    return out;
}

/* A UDP/IPv4 frame with the given addresses and ports, padded to 'size'
 * bytes (if it is shorter). */
Bytes udp4(EthAddr src, EthAddr dst, be32 nw_src, be32 nw_dst, uint16_t sport, uint16_t dport,
           std::vector<std::pair<uint16_t, uint16_t>> tags = {}, size_t size = 64)
{
    Bytes l4 = test::udp(sport, dport);
    Bytes f = test::concat({l2(src, dst, kEthTypeIpv4, std::move(tags)),
                            test::ipv4(kIpProtoUdp, l4.size(), nw_src, nw_dst), l4});
    if (f.size() < size) {
        f.resize(size);
    }
    return f;
}

/* A TCP/IPv4 frame from kMacA to kMacB. */
Bytes tcp4(be32 nw_src, be32 nw_dst, uint16_t sport, uint16_t dport)
{
    return test::ipv4_frame(kIpProtoTcp, test::tcp(sport, dport, kTcpAck), nw_src, nw_dst);
}

/* The locally administered MAC 02:00:00:00:hi:lo for 'i'. */
EthAddr mac_n(unsigned i)
{
    return EthAddr{{0x02, 0x00, 0x00, 0x00, uint8_t(i >> 8), uint8_t(i)}};
}

/* The first mac_n(i) for which 'pred' holds (the tests that use it need
 * MACs whose buckets differ in some way). */
EthAddr find_mac(const std::function<bool(const EthAddr &)> &pred)
{
    for (unsigned i = 1; i < 65536; i++) {
        if (pred(mac_n(i))) {
            return mac_n(i);
        }
    }
    ADD_FAILURE() << "no MAC found";
    return mac_n(0);
}

uint32_t mac_bucket(const EthAddr &mac, uint16_t vid, uint32_t basis)
{
    return bond_hash_mac(mac, vid, basis) & kBondBucketMask;
}

/* A kBuckets table with members 1 and 2 whose bucket b sends on port
 * 1000 + b. */
BondTable buckets_table(BondHash hash, XmitHashPolicy policy = XmitHashPolicy::kLayer2)
{
    BondTable t;
    t.tx = BondTx::kBuckets;
    t.hash = hash;
    t.policy = policy;
    t.basis = kBasis;
    t.enabled = {1, 2};
    t.active = 1;
    for (size_t b = 0; b < kBondBuckets; b++) {
        t.buckets[b] = uint32_t(1000 + b);
    }
    return t;
}

/* A table with members 'enabled' and transmit rule 'tx'. */
BondTable members_table(BondTx tx, std::vector<uint32_t> enabled)
{
    BondTable t;
    t.tx = tx;
    t.basis = kBasis;
    t.enabled = std::move(enabled);
    t.active = t.enabled.empty() ? 0 : t.enabled[0];
    return t;
}

uint64_t drops(const BondCounters &c, BondDrop why)
{
    return c.drops[size_t(why)].load();
}

uint64_t total_packets(const BondCounters &c)
{
    uint64_t n = 0;
    for (const auto &p : c.packets) {
        n += p.load();
    }
    return n;
}

uint64_t total_drops(const BondCounters &c)
{
    uint64_t n = 0;
    for (const auto &d : c.drops) {
        n += d.load();
    }
    return n;
}

/* bond_choose() for one frame, expecting at most one port: returns it, or
 * 0 if none was chosen. */
uint32_t choose_one(const BondTable &t, const Frame &f, BondCounters &c)
{
    uint32_t ports[kMaxBondMembers] = {};
    size_t n = bond_choose(t, f.key, *f.packet, c, ports);
    EXPECT_LE(n, 1u);
    return n ? ports[0] : 0;
}

/* ---- Names --------------------------------------------------------------- */

TEST(DpBond, DropNames)
{
    EXPECT_STREQ(bond_drop_to_string(BondDrop::kNotNegotiated), "lacp-not-negotiated");
    EXPECT_STREQ(bond_drop_to_string(BondDrop::kDisabledMember), "disabled-member");
    EXPECT_STREQ(bond_drop_to_string(BondDrop::kBackupMember), "backup-member");
    EXPECT_STREQ(bond_drop_to_string(BondDrop::kMulticastBackup), "multicast-on-backup");
    EXPECT_STREQ(bond_drop_to_string(BondDrop::kWrongMember), "unicast-on-wrong-member");
    EXPECT_STREQ(bond_drop_to_string(BondDrop::kNoMember), "tx-no-member");
    EXPECT_STREQ(bond_drop_to_string(BondDrop::kCount), "unknown");
}

/* ---- Transmit: kDrop and kActive ----------------------------------------- */

TEST(DpBond, DropModeSendsNothing)
{
    BondTable t = members_table(BondTx::kDrop, {1, 2});
    for (uint32_t &b : t.buckets) {
        b = 1;      /* Buckets are not consulted. */
    }
    BondCounters c;
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    uint32_t ports[kMaxBondMembers] = {77, 77};
    EXPECT_EQ(bond_choose(t, f.key, *f.packet, c, ports), 0u);
    EXPECT_EQ(ports[0], 77u);
    EXPECT_EQ(bond_choose(t, f.key, *f.packet, c, ports), 0u);
    EXPECT_EQ(drops(c, BondDrop::kNoMember), 2u);
    EXPECT_EQ(total_drops(c), 2u);
    EXPECT_EQ(total_packets(c), 0u);
}

TEST(DpBond, ActiveSendsOnActiveMember)
{
    BondTable t = members_table(BondTx::kActive, {4, 5});
    t.active = 5;
    BondCounters c;
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80,
                              {}, 100));
    Frame g = make_frame(udp4(mac_n(9), kMacB, ip4(10, 0, 0, 3), ip4(10, 0, 0, 2), 99, 80));
    EXPECT_EQ(choose_one(t, f, c), 5u);
    EXPECT_EQ(choose_one(t, g, c), 5u);
    EXPECT_EQ(choose_one(t, f, c), 5u);
    /* Everything is counted on bucket 0. */
    EXPECT_EQ(c.packets[0].load(), 3u);
    EXPECT_EQ(c.bytes[0].load(), 100u + 64u + 100u);
    EXPECT_EQ(total_packets(c), 3u);
    EXPECT_EQ(total_drops(c), 0u);

    /* Failover to the other member. */
    t.active = 4;
    EXPECT_EQ(choose_one(t, g, c), 4u);
    EXPECT_EQ(c.packets[0].load(), 4u);
}

TEST(DpBond, ActiveWithoutActiveMemberDrops)
{
    BondTable t = members_table(BondTx::kActive, {4, 5});
    t.active = 0;
    BondCounters c;
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    EXPECT_EQ(choose_one(t, f, c), 0u);
    EXPECT_EQ(choose_one(t, f, c), 0u);
    EXPECT_EQ(drops(c, BondDrop::kNoMember), 2u);
    EXPECT_EQ(total_drops(c), 2u);
    EXPECT_EQ(total_packets(c), 0u);
    EXPECT_EQ(c.bytes[0].load(), 0u);
}

/* ---- Transmit: kBuckets -------------------------------------------------- */

/* SLB hashes the source MAC with the VLAN of the frame as it leaves: the
 * tag of the packet, not the VLAN the key was received with. */
TEST(DpBond, BucketsSrcMacVlanUsesOutgoingTag)
{
    BondTable t = buckets_table(BondHash::kSrcMacVlan);
    EthAddr mac = find_mac([](const EthAddr &m) {
        return mac_bucket(m, 10, kBasis) != mac_bucket(m, 0, kBasis)
               && mac_bucket(m, 20, kBasis) != mac_bucket(m, 0, kBasis);
    });
    uint32_t h0 = bond_hash_mac(mac, 0, kBasis);
    uint32_t h10 = bond_hash_mac(mac, 10, kBasis);
    ASSERT_NE(h0 & 0xff, h10 & 0xff);

    Bytes untagged = udp4(mac, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80);
    /* PCP 5, VID 10: the priority bits are not part of the VLAN. */
    Bytes tagged = udp4(mac, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80,
                        {{kEthTypeVlan8021Q, 0xa00a}});
    Bytes tagged20 = udp4(mac, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80,
                          {{kEthTypeVlan8021Q, 20}});
    FlowKey key_untagged{}, key_tagged20{};
    ASSERT_EQ(test::extract_exact(untagged, key_untagged), FlowError::kNone);
    ASSERT_EQ(test::extract_exact(tagged20, key_tagged20), FlowError::kNone);
    auto pkt_untagged = DpPacket::copy_of(untagged);
    auto pkt_tagged = DpPacket::copy_of(tagged);

    /* Received untagged (an access port), leaves tagged with VLAN 10. */
    EXPECT_EQ(bond_hash(t, key_untagged, pkt_tagged->frame()), h10);
    /* Received untagged, leaves untagged. */
    EXPECT_EQ(bond_hash(t, key_untagged, pkt_untagged->frame()), h0);
    /* Received on VLAN 20, leaves untagged (the tag was popped). */
    EXPECT_EQ(bond_hash(t, key_tagged20, pkt_untagged->frame()), h0);

    BondCounters c;
    uint32_t ports[kMaxBondMembers] = {};
    ASSERT_EQ(bond_choose(t, key_untagged, *pkt_tagged, c, ports), 1u);
    EXPECT_EQ(ports[0], 1000 + (h10 & 0xff));
    ASSERT_EQ(bond_choose(t, key_untagged, *pkt_untagged, c, ports), 1u);
    EXPECT_EQ(ports[0], 1000 + (h0 & 0xff));
    ASSERT_EQ(bond_choose(t, key_tagged20, *pkt_untagged, c, ports), 1u);
    EXPECT_EQ(ports[0], 1000 + (h0 & 0xff));
    EXPECT_EQ(c.packets[h10 & 0xff].load(), 1u);
    EXPECT_EQ(c.packets[h0 & 0xff].load(), 2u);
    EXPECT_EQ(c.bytes[h10 & 0xff].load(), tagged.size());
    EXPECT_EQ(c.bytes[h0 & 0xff].load(), 2 * untagged.size());
}

/* The SLB hash is bond_hash_mac() of the source MAC, depends on the basis,
 * and spreads MACs over the buckets. */
TEST(DpBond, BucketsSrcMacVlanHash)
{
    BondTable t = buckets_table(BondHash::kSrcMacVlan);
    BondTable t2 = t;
    t2.basis = kOtherBasis;
    std::set<uint32_t> buckets;
    int basis_changed = 0;
    BondCounters c;
    for (unsigned i = 0; i < 64; i++) {
        /* The destination and L3/L4 fields vary too, and do not matter. */
        Frame f = make_frame(udp4(mac_n(i), mac_n(1000 + i), ip4(10, 0, 0, uint8_t(i)),
                                  ip4(10, 0, 1, 1), uint16_t(1000 + i), 80));
        uint32_t h = bond_hash(t, f.key, f.packet->frame());
        EXPECT_EQ(h, bond_hash_mac(mac_n(i), 0, kBasis)) << i;
        EXPECT_EQ(choose_one(t, f, c), 1000 + (h & 0xff)) << i;
        buckets.insert(h & 0xff);
        basis_changed += bond_hash(t2, f.key, f.packet->frame()) != h;

        Frame g = make_frame(udp4(mac_n(i), kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1, 2));
        EXPECT_EQ(bond_hash(t, g.key, g.packet->frame()), h) << i;
    }
    EXPECT_GE(buckets.size(), 40u);
    EXPECT_EQ(basis_changed, 64);
    EXPECT_EQ(total_packets(c), 64u);
}

TEST(DpBond, BucketsSymmetricL34)
{
    BondTable t = buckets_table(BondHash::kSymmetricL34);
    std::set<uint32_t> buckets;
    BondCounters c;
    for (unsigned i = 0; i < 64; i++) {
        Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2),
                                  uint16_t(40000 + i), 443));
        uint32_t h = bond_hash(t, f.key, f.packet->frame());
        EXPECT_EQ(h, bond_hash_symmetric_l34(f.key, kBasis)) << i;
        EXPECT_EQ(choose_one(t, f, c), t.buckets[h & 0xff]) << i;
        EXPECT_GT(c.packets[h & 0xff].load(), 0u) << i;
        buckets.insert(h & 0xff);
    }
    /* The MACs are the same for all: the ports spread the flows. */
    EXPECT_GE(buckets.size(), 40u);
    EXPECT_EQ(total_packets(c), 64u);
}

/* 802.3ad with xmit_hash_policy layer3+4: the Linux hash, by bucket. */
TEST(DpBond, BucketsPolicyLayer34)
{
    BondTable t = buckets_table(BondHash::kPolicy, XmitHashPolicy::kLayer34);
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    EXPECT_EQ(bond_hash(t, f.key, f.packet->frame()), 0x29a9c0c2u);
    BondCounters c;
    EXPECT_EQ(choose_one(t, f, c), 1000u + 0xc2);
    EXPECT_EQ(c.packets[0xc2].load(), 1u);
    EXPECT_EQ(c.bytes[0xc2].load(), 64u);

    for (unsigned i = 0; i < 32; i++) {
        Frame g = make_frame(udp4(mac_n(i), kMacB, ip4(10, 0, 0, uint8_t(i)),
                                  ip4(10, 0, 2, 2), uint16_t(5000 + 7 * i), 53));
        uint32_t h = xmit_hash(XmitHashPolicy::kLayer34, g.key);
        EXPECT_EQ(bond_hash(t, g.key, g.packet->frame()), h) << i;
        EXPECT_EQ(choose_one(t, g, c), t.buckets[h & 0xff]) << i;
    }
}

/* vlan+srcmac reads the VID of the frame as it leaves. */
TEST(DpBond, BucketsPolicyVlanSrcMacUsesOutgoingTag)
{
    BondTable t = buckets_table(BondHash::kPolicy, XmitHashPolicy::kVlanSrcMac);
    FlowKey key{};
    Bytes untagged = udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80);
    ASSERT_EQ(test::extract_exact(untagged, key), FlowError::kNone);
    auto tagged = DpPacket::copy_of(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2),
                                         1234, 80, {{kEthTypeVlan8021Q, 0xa00a}}));
    auto plain = DpPacket::copy_of(untagged);
    EXPECT_EQ(bond_hash(t, key, tagged->frame()), 0x335577u ^ 10);
    EXPECT_EQ(bond_hash(t, key, plain->frame()), 0x335577u);

    BondCounters c;
    uint32_t ports[kMaxBondMembers] = {};
    ASSERT_EQ(bond_choose(t, key, *tagged, c, ports), 1u);
    EXPECT_EQ(ports[0], 1000u + 0x7d);
    ASSERT_EQ(bond_choose(t, key, *plain, c, ports), 1u);
    EXPECT_EQ(ports[0], 1000u + 0x77);
}

TEST(DpBond, BucketsCountPacketsAndBytesPerBucket)
{
    BondTable t = buckets_table(BondHash::kSrcMacVlan);
    EthAddr m1 = mac_n(1);
    EthAddr m2 = find_mac([&](const EthAddr &m) {
        return mac_bucket(m, 0, kBasis) != mac_bucket(m1, 0, kBasis);
    });
    EthAddr m3 = find_mac([&](const EthAddr &m) {
        return mac_bucket(m, 0, kBasis) != mac_bucket(m1, 0, kBasis)
               && mac_bucket(m, 0, kBasis) != mac_bucket(m2, 0, kBasis);
    });
    uint32_t b1 = mac_bucket(m1, 0, kBasis);
    uint32_t b2 = mac_bucket(m2, 0, kBasis);
    uint32_t b3 = mac_bucket(m3, 0, kBasis);

    auto frame = [](EthAddr src, size_t size) {
        return make_frame(udp4(src, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80, {},
                               size));
    };
    BondCounters c;
    Frame f1a = frame(m1, 64), f1b = frame(m1, 1514), f2 = frame(m2, 100), f3 = frame(m3, 300);
    EXPECT_EQ(choose_one(t, f1a, c), 1000 + b1);
    EXPECT_EQ(choose_one(t, f1b, c), 1000 + b1);
    EXPECT_EQ(choose_one(t, f2, c), 1000 + b2);
    for (int i = 0; i < 3; i++) {
        EXPECT_EQ(choose_one(t, f3, c), 1000 + b3);
    }
    EXPECT_EQ(c.packets[b1].load(), 2u);
    EXPECT_EQ(c.bytes[b1].load(), 64u + 1514u);
    EXPECT_EQ(c.packets[b2].load(), 1u);
    EXPECT_EQ(c.bytes[b2].load(), 100u);
    EXPECT_EQ(c.packets[b3].load(), 3u);
    EXPECT_EQ(c.bytes[b3].load(), 900u);
    EXPECT_EQ(total_packets(c), 6u);
    EXPECT_EQ(total_drops(c), 0u);
}

TEST(DpBond, BucketsWithoutPortDrop)
{
    BondTable t = buckets_table(BondHash::kSrcMacVlan);
    EthAddr m1 = mac_n(1);
    EthAddr m2 = find_mac([&](const EthAddr &m) {
        return mac_bucket(m, 0, kBasis) != mac_bucket(m1, 0, kBasis);
    });
    t.buckets.fill(0);
    t.buckets[mac_bucket(m1, 0, kBasis)] = 2;

    BondCounters c;
    Frame f1 = make_frame(udp4(m1, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    Frame f2 = make_frame(udp4(m2, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    uint32_t ports[kMaxBondMembers] = {55};
    EXPECT_EQ(bond_choose(t, f2.key, *f2.packet, c, ports), 0u);
    EXPECT_EQ(ports[0], 55u);
    EXPECT_EQ(drops(c, BondDrop::kNoMember), 1u);
    EXPECT_EQ(total_packets(c), 0u);
    EXPECT_EQ(c.bytes[mac_bucket(m2, 0, kBasis)].load(), 0u);

    EXPECT_EQ(choose_one(t, f1, c), 2u);
    EXPECT_EQ(c.packets[mac_bucket(m1, 0, kBasis)].load(), 1u);
    EXPECT_EQ(drops(c, BondDrop::kNoMember), 1u);
}

/* ---- Transmit: kModulo --------------------------------------------------- */

/* balance-xor, layer2: enabled[hash % n], with the hash worked out from the
 * Linux formula; the packet is counted on bucket hash & 0xff. */
TEST(DpBond, ModuloLayer2)
{
    BondTable t = members_table(BondTx::kModulo, {11, 12, 13});
    t.hash = BondHash::kPolicy;
    t.policy = XmitHashPolicy::kLayer2;
    BondCounters c;

    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    EXPECT_EQ(bond_hash(t, f.key, f.packet->frame()), 0x08eeu);
    EXPECT_EQ(choose_one(t, f, c), 11u);    /* 0x08ee = 2286 = 3 * 762. */
    EXPECT_EQ(c.packets[0xee].load(), 1u);

    std::set<uint32_t> used;
    for (unsigned i = 0; i < 32; i++) {
        EthAddr dst = kMacB;
        dst.b[5] = uint8_t(i);
        Frame g = make_frame(udp4(kMacA, dst, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
        uint32_t want = 0x55u ^ i ^ 0x0800u;
        uint32_t h = xmit_hash(XmitHashPolicy::kLayer2, g.key);
        EXPECT_EQ(h, want) << i;
        uint32_t port = choose_one(t, g, c);
        EXPECT_EQ(port, t.enabled[want % 3]) << i;
        EXPECT_EQ(port, t.enabled[xmit_hash_member(h, 3)]) << i;
        used.insert(port);
    }
    EXPECT_EQ(used.size(), 3u);
    EXPECT_EQ(total_packets(c), 33u);
    EXPECT_EQ(total_drops(c), 0u);
}

TEST(DpBond, ModuloLayer34)
{
    BondTable t = members_table(BondTx::kModulo, {11, 12, 13});
    t.hash = BondHash::kPolicy;
    t.policy = XmitHashPolicy::kLayer34;
    BondCounters c;

    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    EXPECT_EQ(choose_one(t, f, c), 13u);    /* 0x29a9c0c2 % 3 = 2. */
    EXPECT_EQ(c.packets[0xc2].load(), 1u);
    EXPECT_EQ(c.bytes[0xc2].load(), 64u);

    std::set<uint32_t> used;
    for (unsigned i = 0; i < 32; i++) {
        Frame g = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2),
                                  uint16_t(30000 + i), 80));
        uint32_t h = xmit_hash(XmitHashPolicy::kLayer34, g.key);
        EXPECT_EQ(bond_hash(t, g.key, g.packet->frame()), h) << i;
        uint32_t port = choose_one(t, g, c);
        EXPECT_EQ(port, t.enabled[xmit_hash_member(h, 3)]) << i;
        used.insert(port);
    }
    EXPECT_EQ(used.size(), 3u);

    /* With two members the same hash picks by hash % 2. */
    t.enabled = {21, 22};
    EXPECT_EQ(choose_one(t, f, c), 21u);    /* 0x29a9c0c2 is even. */
}

TEST(DpBond, ModuloWithoutMembersDrops)
{
    BondTable t = members_table(BondTx::kModulo, {});
    t.hash = BondHash::kPolicy;
    t.policy = XmitHashPolicy::kLayer2;
    BondCounters c;
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    EXPECT_EQ(choose_one(t, f, c), 0u);
    EXPECT_EQ(drops(c, BondDrop::kNoMember), 1u);
    EXPECT_EQ(total_packets(c), 0u);
}

/* ---- Transmit: kRoundRobin ----------------------------------------------- */

TEST(DpBond, RoundRobinOnePacketPerMember)
{
    BondTable t = members_table(BondTx::kRoundRobin, {11, 12, 13});
    t.packets_per_member = 1;
    BondCounters c;
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    std::vector<uint32_t> got;
    for (int i = 0; i < 7; i++) {
        got.push_back(choose_one(t, f, c));
    }
    EXPECT_EQ(got, (std::vector<uint32_t>{11, 12, 13, 11, 12, 13, 11}));
    /* The bucket is the member's index. */
    EXPECT_EQ(c.packets[0].load(), 3u);
    EXPECT_EQ(c.packets[1].load(), 2u);
    EXPECT_EQ(c.packets[2].load(), 2u);
    EXPECT_EQ(c.bytes[0].load(), 3u * 64);
    EXPECT_EQ(total_packets(c), 7u);
}

TEST(DpBond, RoundRobinThreePacketsPerMember)
{
    BondTable t = members_table(BondTx::kRoundRobin, {11, 12});
    t.packets_per_member = 3;
    BondCounters c;
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    std::vector<uint32_t> got;
    for (int i = 0; i < 8; i++) {
        got.push_back(choose_one(t, f, c));
    }
    EXPECT_EQ(got, (std::vector<uint32_t>{11, 11, 11, 12, 12, 12, 11, 11}));
    EXPECT_EQ(c.packets[0].load(), 5u);
    EXPECT_EQ(c.packets[1].load(), 3u);
    EXPECT_EQ(total_packets(c), 8u);
}

TEST(DpBond, RoundRobinRandom)
{
    BondTable t = members_table(BondTx::kRoundRobin, {11, 12});
    t.packets_per_member = 0;
    BondCounters c;
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    int n11 = 0, n12 = 0, switches = 0;
    uint32_t last = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t port = choose_one(t, f, c);
        n11 += port == 11;
        n12 += port == 12;
        switches += last && port != last;
        last = port;
    }
    EXPECT_EQ(n11 + n12, 1000);
    EXPECT_GE(n11, 400);
    EXPECT_LE(n11, 600);
    EXPECT_GE(n12, 400);
    EXPECT_LE(n12, 600);
    /* Random, not alternating and not in long runs. */
    EXPECT_GT(switches, 300);
    EXPECT_LT(switches, 700);
    EXPECT_EQ(c.packets[0].load(), uint64_t(n11));
    EXPECT_EQ(c.packets[1].load(), uint64_t(n12));
}

TEST(DpBond, RoundRobinWithoutMembersDrops)
{
    BondTable t = members_table(BondTx::kRoundRobin, {});
    BondCounters c;
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80));
    EXPECT_EQ(choose_one(t, f, c), 0u);
    EXPECT_EQ(drops(c, BondDrop::kNoMember), 1u);
    EXPECT_EQ(total_packets(c), 0u);
}

/* ---- Transmit: kBroadcast ------------------------------------------------ */

TEST(DpBond, BroadcastSendsOnEveryEnabledMember)
{
    BondTable t = members_table(BondTx::kBroadcast, {11, 12, 13});
    BondCounters c;
    Frame f = make_frame(udp4(kMacA, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80,
                              {}, 200));
    uint32_t ports[kMaxBondMembers] = {};
    ASSERT_EQ(bond_choose(t, f.key, *f.packet, c, ports), 3u);
    EXPECT_EQ(ports[0], 11u);
    EXPECT_EQ(ports[1], 12u);
    EXPECT_EQ(ports[2], 13u);
    EXPECT_EQ(ports[3], 0u);
    /* Counted once, not once per member. */
    EXPECT_EQ(c.packets[0].load(), 1u);
    EXPECT_EQ(c.bytes[0].load(), 200u);
    EXPECT_EQ(total_packets(c), 1u);

    ASSERT_EQ(bond_choose(t, f.key, *f.packet, c, ports), 3u);
    EXPECT_EQ(c.packets[0].load(), 2u);
    EXPECT_EQ(c.bytes[0].load(), 400u);

    t.enabled = {12};
    ASSERT_EQ(bond_choose(t, f.key, *f.packet, c, ports), 1u);
    EXPECT_EQ(ports[0], 12u);
    EXPECT_EQ(total_drops(c), 0u);

    t.enabled = {};
    EXPECT_EQ(bond_choose(t, f.key, *f.packet, c, ports), 0u);
    EXPECT_EQ(drops(c, BondDrop::kNoMember), 1u);
    EXPECT_EQ(c.packets[0].load(), 3u);
}

/* ---- The symmetric L3/L4 hash -------------------------------------------- */

TEST(DpBond, SymmetricL34SameBothDirections)
{
    std::set<uint32_t> hashes;
    for (unsigned i = 0; i < 64; i++) {
        uint16_t port = uint16_t(40000 + i);
        FlowKey fwd{}, rev{};
        ASSERT_EQ(test::extract_exact(tcp4(ip4(10, 0, 0, 1), ip4(192, 0, 2, 9), port, 443), fwd),
                  FlowError::kNone);
        ASSERT_EQ(test::extract_exact(tcp4(ip4(192, 0, 2, 9), ip4(10, 0, 0, 1), 443, port), rev),
                  FlowError::kNone);
        /* The reply also has the MACs swapped. */
        std::swap(rev.dl_src, rev.dl_dst);
        uint32_t h = bond_hash_symmetric_l34(fwd, kBasis);
        EXPECT_EQ(h, bond_hash_symmetric_l34(rev, kBasis)) << i;
        EXPECT_NE(h, bond_hash_symmetric_l34(fwd, kOtherBasis)) << i;
        hashes.insert(h);
    }
    /* Different source ports give different hashes. */
    EXPECT_GE(hashes.size(), 63u);

    /* And so do different destination ports and addresses. */
    FlowKey a{}, b{}, d{};
    test::extract_exact(tcp4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 80), a);
    test::extract_exact(tcp4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1234, 81), b);
    test::extract_exact(tcp4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 3), 1234, 80), d);
    EXPECT_NE(bond_hash_symmetric_l34(a, kBasis), bond_hash_symmetric_l34(b, kBasis));
    EXPECT_NE(bond_hash_symmetric_l34(a, kBasis), bond_hash_symmetric_l34(d, kBasis));
}

TEST(DpBond, SymmetricL34Ipv6)
{
    In6Addr x = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
    In6Addr y = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x99});
    FlowKey fwd{}, rev{}, other{};
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoTcp, test::tcp(5555, 22), x, y), fwd),
              FlowError::kNone);
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoTcp, test::tcp(22, 5555), y, x), rev),
              FlowError::kNone);
    ASSERT_EQ(test::extract_exact(test::ipv6_frame(kIpProtoTcp, test::tcp(5556, 22), x, y),
                                  other),
              FlowError::kNone);
    EXPECT_EQ(bond_hash_symmetric_l34(fwd, kBasis), bond_hash_symmetric_l34(rev, kBasis));
    EXPECT_NE(bond_hash_symmetric_l34(fwd, kBasis), bond_hash_symmetric_l34(other, kBasis));
}

/* ---- Receive rules ------------------------------------------------------- */

/* The key of a frame received from 'src' for 'dst'. */
FlowKey rx_key(EthAddr dst, std::vector<std::pair<uint16_t, uint16_t>> tags = {},
               EthAddr src = kMacA)
{
    FlowKey key{};
    EXPECT_EQ(test::extract_exact(udp4(src, dst, ip4(10, 0, 0, 9), ip4(10, 0, 0, 1), 5000, 80,
                                       std::move(tags)),
                                  key),
              FlowError::kNone);
    return key;
}

FlowKey lacp_key()
{
    Bytes frame = test::eth(kEthTypeSlow, kEthAddrSlowProtocols, mac_n(77));
    frame.push_back(kSlowSubtypeLacp);
    frame.resize(124);
    FlowKey key{};
    test::extract_exact(frame, key);
    return key;
}

/* A kBalanced table with members 1 and 2, 1 active. */
BondTable balanced_table()
{
    BondTable t;
    t.tx = BondTx::kBuckets;
    t.rx = BondRx::kBalanced;
    t.basis = kBasis;
    t.enabled = {1, 2};
    t.active = 1;
    t.buckets.fill(1);
    return t;
}

TEST(DpBond, AdmitSlowProtocolsAlways)
{
    FlowKey lacp = lacp_key();
    ASSERT_EQ(lacp.dl_type.value(), kEthTypeSlow);
    for (BondRx rx : {BondRx::kDropAll, BondRx::kEnabled, BondRx::kActiveOnly,
                      BondRx::kBalanced}) {
        BondTable t = balanced_table();
        t.rx = rx;
        t.dst_bucket_rule = true;
        t.buckets.fill(0);
        BondCounters c;
        /* On the active member, a backup and a disabled member. */
        for (uint32_t port : {1u, 2u, 3u}) {
            EXPECT_TRUE(bond_admit(t, port, lacp, 0, c)) << int(rx) << " " << port;
        }
        EXPECT_EQ(total_drops(c), 0u) << int(rx);
    }
}

TEST(DpBond, AdmitDropAll)
{
    BondTable t = balanced_table();
    t.rx = BondRx::kDropAll;
    BondCounters c;
    EXPECT_FALSE(bond_admit(t, 1, rx_key(kMacB), 0, c));
    EXPECT_FALSE(bond_admit(t, 2, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_EQ(drops(c, BondDrop::kNotNegotiated), 2u);
    EXPECT_EQ(total_drops(c), 2u);
}

TEST(DpBond, AdmitEnabledMembers)
{
    BondTable t = balanced_table();
    t.rx = BondRx::kEnabled;
    t.enabled = {1, 3};
    BondCounters c;
    EXPECT_TRUE(bond_admit(t, 1, rx_key(kMacB), 0, c));
    EXPECT_TRUE(bond_admit(t, 3, rx_key(kMacB), 0, c));
    EXPECT_TRUE(bond_admit(t, 3, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_EQ(total_drops(c), 0u);
    EXPECT_FALSE(bond_admit(t, 2, rx_key(kMacB), 0, c));
    EXPECT_FALSE(bond_admit(t, 2, rx_key(kMulticastMac), 0, c));
    EXPECT_EQ(drops(c, BondDrop::kDisabledMember), 2u);
    EXPECT_EQ(total_drops(c), 2u);
}

/* LACP's independent control: a collecting member receives before the
 * bond sends on it. */
TEST(DpBond, AdmitCollectingMembers)
{
    BondTable t = balanced_table();
    t.rx = BondRx::kEnabled;
    t.enabled = {1};
    t.collecting = {2};
    BondCounters c;
    EXPECT_TRUE(bond_admit(t, 1, rx_key(kMacB), 0, c));
    EXPECT_TRUE(bond_admit(t, 2, rx_key(kMacB), 0, c));
    EXPECT_FALSE(bond_admit(t, 3, rx_key(kMacB), 0, c));
    EXPECT_EQ(drops(c, BondDrop::kDisabledMember), 1u);
    EXPECT_EQ(total_drops(c), 1u);
}

TEST(DpBond, AdmitActiveOnly)
{
    BondTable t = balanced_table();
    t.rx = BondRx::kActiveOnly;
    t.active = 2;
    BondCounters c;
    EXPECT_TRUE(bond_admit(t, 2, rx_key(kMacB), 0, c));
    EXPECT_TRUE(bond_admit(t, 2, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_EQ(total_drops(c), 0u);
    EXPECT_FALSE(bond_admit(t, 1, rx_key(kMacB), 0, c));
    EXPECT_FALSE(bond_admit(t, 1, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_EQ(drops(c, BondDrop::kBackupMember), 2u);
    EXPECT_EQ(total_drops(c), 2u);

    /* No active member: nothing passes. */
    t.active = 0;
    EXPECT_FALSE(bond_admit(t, 2, rx_key(kMacB), 0, c));
    EXPECT_EQ(drops(c, BondDrop::kBackupMember), 3u);
}

TEST(DpBond, AdmitBalancedDisabledMember)
{
    BondTable t = balanced_table();
    t.all_members_active = true;
    BondCounters c;
    EXPECT_FALSE(bond_admit(t, 3, rx_key(kMacB), 0, c));
    EXPECT_FALSE(bond_admit(t, 3, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_EQ(drops(c, BondDrop::kDisabledMember), 2u);
    EXPECT_EQ(total_drops(c), 2u);
}

TEST(DpBond, AdmitBalancedMulticastOnActiveOnly)
{
    BondTable t = balanced_table();
    BondCounters c;
    EXPECT_TRUE(bond_admit(t, 1, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_TRUE(bond_admit(t, 1, rx_key(kMulticastMac), 0, c));
    EXPECT_EQ(total_drops(c), 0u);
    EXPECT_FALSE(bond_admit(t, 2, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_FALSE(bond_admit(t, 2, rx_key(kMulticastMac), 0, c));
    EXPECT_EQ(drops(c, BondDrop::kMulticastBackup), 2u);
    EXPECT_EQ(total_drops(c), 2u);

    /* Unicast passes on either member without the destination rule. */
    EXPECT_TRUE(bond_admit(t, 1, rx_key(kMacB), 0, c));
    EXPECT_TRUE(bond_admit(t, 2, rx_key(kMacB), 0, c));
    EXPECT_EQ(total_drops(c), 2u);

    /* all_members_active: multicast on every enabled member. */
    t.all_members_active = true;
    EXPECT_TRUE(bond_admit(t, 2, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_TRUE(bond_admit(t, 2, rx_key(kMulticastMac), 0, c));
    EXPECT_EQ(total_drops(c), 2u);

    /* The multicast rule applies with the destination rule too (multicast
     * has no bucket). */
    t.all_members_active = false;
    t.dst_bucket_rule = true;
    t.buckets.fill(2);
    EXPECT_TRUE(bond_admit(t, 1, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_FALSE(bond_admit(t, 2, rx_key(kEthAddrBroadcast), 0, c));
    EXPECT_EQ(drops(c, BondDrop::kMulticastBackup), 3u);
}

TEST(DpBond, AdmitBalancedUnicastOnDestinationBucket)
{
    BondTable t = balanced_table();
    t.dst_bucket_rule = true;
    /* Even buckets send on 1, odd ones on 2. */
    for (size_t b = 0; b < kBondBuckets; b++) {
        t.buckets[b] = 1 + (b & 1);
    }
    BondCounters c;
    int on1 = 0, on2 = 0;
    for (unsigned i = 0; i < 32; i++) {
        EthAddr dst = mac_n(i);
        uint32_t right = t.buckets[mac_bucket(dst, 0, kBasis)];
        uint32_t wrong = 3 - right;
        on1 += right == 1;
        on2 += right == 2;
        /* The source MAC plays no part. */
        EXPECT_TRUE(bond_admit(t, right, rx_key(dst, {}, mac_n(500 + i)), 0, c)) << i;
        EXPECT_FALSE(bond_admit(t, wrong, rx_key(dst), 0, c)) << i;
        EXPECT_EQ(drops(c, BondDrop::kWrongMember), i + 1) << i;
    }
    EXPECT_GT(on1, 0);
    EXPECT_GT(on2, 0);
    EXPECT_EQ(total_drops(c), 32u);

    /* The basis is the table's. */
    EthAddr dst = find_mac([&](const EthAddr &m) {
        return t.buckets[mac_bucket(m, 0, kBasis)] != t.buckets[mac_bucket(m, 0, kOtherBasis)];
    });
    uint32_t right = t.buckets[mac_bucket(dst, 0, kBasis)];
    EXPECT_TRUE(bond_admit(t, right, rx_key(dst), 0, c));
    t.basis = kOtherBasis;
    EXPECT_FALSE(bond_admit(t, right, rx_key(dst), 0, c));
    EXPECT_TRUE(bond_admit(t, 3 - right, rx_key(dst), 0, c));

    /* A frame to a bucket without a port is on the wrong member anywhere. */
    t.buckets.fill(0);
    EXPECT_FALSE(bond_admit(t, 1, rx_key(dst), 0, c));
    EXPECT_FALSE(bond_admit(t, 2, rx_key(dst), 0, c));
    EXPECT_EQ(drops(c, BondDrop::kWrongMember), 35u);
}

/* After buckets move, and the basis changes with them, the member the
 * destination's bucket used before (under the old basis) is accepted until
 * grace_until. */
TEST(DpBond, AdmitBalancedGracePeriodUsesPreviousBasis)
{
    BondTable t = balanced_table();
    t.dst_bucket_rule = true;
    t.basis = kBasis;
    t.prev_basis = kOtherBasis;
    t.grace_until = 5000;
    t.buckets.fill(1);
    EthAddr dst = find_mac([](const EthAddr &m) {
        return mac_bucket(m, 0, kBasis) != mac_bucket(m, 0, kOtherBasis);
    });
    uint32_t b_new = mac_bucket(dst, 0, kBasis);
    uint32_t b_old = mac_bucket(dst, 0, kOtherBasis);
    FlowKey key = rx_key(dst);

    /* Before, the bucket (under the old basis) sent on 2. */
    t.prev_buckets.fill(0);
    t.prev_buckets[b_old] = 2;
    BondCounters c;
    EXPECT_TRUE(bond_admit(t, 1, key, 0, c));
    EXPECT_TRUE(bond_admit(t, 2, key, 0, c));
    EXPECT_TRUE(bond_admit(t, 2, key, 4999, c));
    EXPECT_EQ(total_drops(c), 0u);
    /* The grace period is over. */
    EXPECT_FALSE(bond_admit(t, 2, key, 5000, c));
    EXPECT_FALSE(bond_admit(t, 2, key, 100000, c));
    EXPECT_EQ(drops(c, BondDrop::kWrongMember), 2u);
    EXPECT_TRUE(bond_admit(t, 1, key, 100000, c));
    /* A member that had neither bucket is refused during the grace. */
    t.enabled = {1, 2, 3};
    EXPECT_FALSE(bond_admit(t, 3, key, 0, c));
    EXPECT_EQ(drops(c, BondDrop::kWrongMember), 3u);

    /* The old bucket is found with the old basis, not the new one. */
    t.prev_buckets.fill(0);
    t.prev_buckets[b_new] = 2;
    EXPECT_FALSE(bond_admit(t, 2, key, 0, c));
    EXPECT_EQ(drops(c, BondDrop::kWrongMember), 4u);

    /* Without a basis change, the same bucket's previous member. */
    t.prev_basis = kBasis;
    EXPECT_TRUE(bond_admit(t, 2, key, 0, c));
    EXPECT_FALSE(bond_admit(t, 2, key, 5000, c));
    EXPECT_EQ(drops(c, BondDrop::kWrongMember), 5u);
}

/* The destination rule hashes the VLAN of the frame's outer tag, as the
 * transmit side hashed the frame that left on it. */
TEST(DpBond, AdmitBalancedDestinationRuleUsesOuterVlan)
{
    BondTable t = balanced_table();
    t.dst_bucket_rule = true;
    EthAddr dst = find_mac([](const EthAddr &m) {
        return mac_bucket(m, 10, kBasis) != mac_bucket(m, 0, kBasis)
               && mac_bucket(m, 10, kBasis) != mac_bucket(m, 30, kBasis);
    });
    t.buckets.fill(1);
    t.buckets[mac_bucket(dst, 10, kBasis)] = 2;
    BondCounters c;

    /* Untagged: VLAN 0, bucket on 1. */
    EXPECT_TRUE(bond_admit(t, 1, rx_key(dst), 0, c));
    EXPECT_FALSE(bond_admit(t, 2, rx_key(dst), 0, c));
    /* VLAN 10 (with priority bits): bucket on 2. */
    FlowKey k10 = rx_key(dst, {{kEthTypeVlan8021Q, 0xa00a}});
    EXPECT_TRUE(bond_admit(t, 2, k10, 0, c));
    EXPECT_FALSE(bond_admit(t, 1, k10, 0, c));
    /* VLAN 30: bucket on 1. */
    EXPECT_TRUE(bond_admit(t, 1, rx_key(dst, {{kEthTypeVlan8021Q, 30}}), 0, c));
    /* 802.1ad outer tag 10, inner 30: the outer one counts. */
    FlowKey qinq = rx_key(dst, {{kEthTypeVlan8021AD, 10}, {kEthTypeVlan8021Q, 30}});
    EXPECT_TRUE(bond_admit(t, 2, qinq, 0, c));
    EXPECT_FALSE(bond_admit(t, 1, qinq, 0, c));
    /* Outer 30, inner 10. */
    FlowKey qinq2 = rx_key(dst, {{kEthTypeVlan8021AD, 30}, {kEthTypeVlan8021Q, 10}});
    EXPECT_TRUE(bond_admit(t, 1, qinq2, 0, c));
    EXPECT_FALSE(bond_admit(t, 2, qinq2, 0, c));
    EXPECT_EQ(drops(c, BondDrop::kWrongMember), 4u);
    EXPECT_EQ(total_drops(c), 4u);
}

/* A frame sent by SLB and looped back by the switch lands in the bucket
 * the receive rule computes: transmit and receive agree on the VLAN. */
TEST(DpBond, TransmitAndReceiveAgreeOnBucket)
{
    BondTable t = balanced_table();
    t.hash = BondHash::kSrcMacVlan;
    t.dst_bucket_rule = true;
    for (size_t b = 0; b < kBondBuckets; b++) {
        t.buckets[b] = 1 + (b % 2);
    }
    BondCounters c;
    for (unsigned i = 0; i < 16; i++) {
        EthAddr mac = mac_n(i);
        for (uint16_t vid : {uint16_t(0), uint16_t(10), uint16_t(4094)}) {
            std::vector<std::pair<uint16_t, uint16_t>> tags;
            if (vid) {
                tags.push_back({kEthTypeVlan8021Q, vid});
            }
            /* Sent from 'mac' on VLAN 'vid'... */
            Frame out = make_frame(udp4(mac, kMacB, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1, 2,
                                        tags));
            uint32_t port = choose_one(t, out, c);
            ASSERT_NE(port, 0u);
            /* ...and a reply to 'mac' on the same VLAN is accepted there. */
            FlowKey back = rx_key(mac, tags, kMacB);
            EXPECT_TRUE(bond_admit(t, port, back, 0, c)) << i << " " << vid;
            EXPECT_FALSE(bond_admit(t, 3 - port, back, 0, c)) << i << " " << vid;
        }
    }
    EXPECT_EQ(drops(c, BondDrop::kWrongMember), 48u);
}

}  // namespace
}  // namespace braid::dp

namespace braid::dp {
namespace {

/* Sorting, not XOR: pairs whose XOR is the same still hash apart. */
TEST(DpBondHash, SymmetricHashKeepsPairsWithTheSameXorApart)
{
    auto tcp = [](be32 src, be32 dst, uint16_t sport, uint16_t dport) {
        FlowKey k{};
        k.dl_type = be16::from_host(kEthTypeIpv4);
        k.nw_proto = kIpProtoTcp;
        k.nw_src = src;
        k.nw_dst = dst;
        k.tp_src = be16::from_host(sport);
        k.tp_dst = be16::from_host(dport);
        return k;
    };
    FlowKey a = tcp(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 1234, 80);
    FlowKey b = tcp(test::ip4(10, 0, 0, 5), test::ip4(10, 0, 0, 6), 1234, 80);
    FlowKey c = tcp(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 1234 ^ 3, 80 ^ 3);
    EXPECT_NE(bond_hash_symmetric_l34(a, 0), bond_hash_symmetric_l34(b, 0));
    EXPECT_NE(bond_hash_symmetric_l34(a, 0), bond_hash_symmetric_l34(c, 0));
    FlowKey a_back = tcp(a.nw_dst, a.nw_src, 80, 1234);
    EXPECT_EQ(bond_hash_symmetric_l34(a, 7), bond_hash_symmetric_l34(a_back, 7));
}

}  // namespace
}  // namespace braid::dp
