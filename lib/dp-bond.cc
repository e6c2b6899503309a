/* Bonds in the datapath. */
#include <config.h>

#include "lib/dp-bond.h"

#include <cstring>

#include "lib/hash.h"

namespace braid::dp {
namespace {

/* The VLAN id of the outermost tag of 'frame', or 0 if untagged. */
uint16_t frame_vid(std::span<const uint8_t> frame) noexcept
{
    if (frame.size() < kEthHeaderLen + sizeof(VlanHeader)) {
        return 0;
    }
    uint16_t type = uint16_t(frame[12] << 8 | frame[13]);
    if (!eth_type_is_vlan(type)) {
        return 0;
    }
    return vlan_tci_to_vid(uint16_t(frame[14] << 8 | frame[15]));
}

/* xorshift64*: a cheap generator for "packets_per_member 0" (a random
 * member per packet), per thread and bond. */
uint64_t next_random(uint64_t &state) noexcept
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dULL;
}

}  // namespace

const char *bond_drop_to_string(BondDrop reason)
{
    switch (reason) {
    case BondDrop::kNotNegotiated:
        return "lacp-not-negotiated";
    case BondDrop::kDisabledMember:
        return "disabled-member";
    case BondDrop::kBackupMember:
        return "backup-member";
    case BondDrop::kMulticastBackup:
        return "multicast-on-backup";
    case BondDrop::kWrongMember:
        return "unicast-on-wrong-member";
    case BondDrop::kNoMember:
        return "tx-no-member";
    case BondDrop::kCount:
        break;
    }
    return "unknown";
}

uint32_t bond_hash_symmetric_l34(const FlowKey &key, uint32_t basis)
{
    /* Each source/destination pair enters in sorted order, which is the
     * same in both directions and, unlike XORing the two, keeps distinct
     * pairs apart (10.0.0.1-10.0.0.2 and 10.0.0.5-10.0.0.6 would XOR
     * alike).  Two 64-bit words and one mixing round: short enough to run
     * per packet (flow_hash_symmetric_l4() of lib/hash.h covers the same
     * fields plus MACs and VLANs, at twice the cost).  IP packets hash
     * their addresses (an IPv6 address folded to 32 bits first), protocol
     * and (TCP, UDP, SCTP, not later fragments) ports; anything else its
     * MAC addresses and EtherType. */
    auto sorted64 = [](uint64_t a, uint64_t b) { return a < b ? a << 32 | b : b << 32 | a; };
    uint16_t type = key.dl_type.value();
    uint64_t addrs;
    uint64_t rest = uint64_t(type) << 48;
    if (type == kEthTypeIpv4 || type == kEthTypeIpv6) {
        if (type == kEthTypeIpv4) {
            addrs = sorted64(key.nw_src.value(), key.nw_dst.value());
        } else {
            auto fold = [](const In6Addr &a) {
                uint32_t w[4];
                std::memcpy(w, a.b.data(), 16);
                return uint64_t(w[0] ^ (w[1] * 0x01000193u) ^ (w[2] * 0x0100019bu)
                                ^ (w[3] * 0x010001a3u));
            };
            addrs = sorted64(fold(key.ipv6_src), fold(key.ipv6_dst));
        }
        rest |= uint64_t(key.nw_proto) << 32;
        if (!(key.nw_frag & kFlowFragLater)
            && (key.nw_proto == kIpProtoTcp || key.nw_proto == kIpProtoUdp
                || key.nw_proto == kIpProtoSctp)) {
            uint32_t a = key.tp_src.value(), b = key.tp_dst.value();
            rest |= a < b ? a << 16 | b : b << 16 | a;
        }
    } else {
        uint64_t a = key.dl_src.to_u64(), b = key.dl_dst.to_u64();
        addrs = a < b ? a : b;
        rest ^= a < b ? b : a;
    }
    return bond_mix64(addrs * 0x9e3779b97f4a7c15ULL ^ rest, basis);
}

namespace {

/* The Linux policies, out of line: vlan+srcmac needs a key of its own. */
[[gnu::noinline]] uint32_t policy_hash(const BondTable &table, const FlowKey &key,
                                       std::span<const uint8_t> frame, int out_vid)
{
    if (table.policy == XmitHashPolicy::kEncap23 || table.policy == XmitHashPolicy::kEncap34) {
        return xmit_hash_frame(table.policy, frame, key);
    }
    if (table.policy == XmitHashPolicy::kVlanSrcMac) {
        /* The VID of the frame as it leaves, as Linux sees the tag. */
        FlowKey k = key;
        uint16_t vid = out_vid >= 0 ? uint16_t(out_vid) : frame_vid(frame);
        k.n_vlans = vid ? 1 : 0;
        k.vlans[0].tci = be16::from_host(vid);
        k.vlans[0].tpid = be16::from_host(vid ? kEthTypeVlan8021Q : 0);
        return xmit_hash(table.policy, k);
    }
    return xmit_hash(table.policy, key);
}

}  // namespace

uint32_t bond_hash(const BondTable &table, const FlowKey &key, std::span<const uint8_t> frame,
                   int out_vid)
{
    switch (table.hash) {
    case BondHash::kSrcMacVlan:
        return bond_hash_mac(key.dl_src, out_vid >= 0 ? uint16_t(out_vid) : frame_vid(frame),
                             table.basis);
    case BondHash::kSymmetricL34:
        return bond_hash_symmetric_l34(key, table.basis);
    case BondHash::kPolicy:
        return policy_hash(table, key, frame, out_vid);
    }
    return 0;
}

size_t bond_choose(const BondTable &table, const FlowKey &key, const DpPacket &packet,
                   BondCounters &counters, uint32_t *ports, int out_vid, EthAddr *alb_source)
{
    uint32_t port = 0;
    uint32_t bucket = 0;
    if (table.alb && alb_source && key.dl_type.value() == kEthTypeArp && key.n_vlans <= 1
        && key.dl_src == table.host_mac
        && (key.nw_proto == kArpOpReply || key.nw_proto == kArpOpRequest)
        && !table.enabled.empty() && key.nw_dst.value()) {
        /* The peer (the ARP target) learns the member's MAC for us. */
        uint32_t hash = hash_finish(hash_add(table.basis, key.nw_dst.value()), 4);
        uint32_t member = table.enabled[hash % table.enabled.size()];
        EthAddr mac;
        for (size_t i = 0; i < table.members.size() && i < table.member_macs.size(); i++) {
            if (table.members[i] == member) {
                mac = table.member_macs[i];
            }
        }
        /* A member whose own MAC is the host's (the bridge often takes
         * its MAC from a member) is not used this way: the host's MAC must
         * stay on the member of its bucket, or the switch would see it
         * move. */
        if (!mac.is_zero() && mac != table.host_mac) {
            *alb_source = mac;
            bucket = hash & kBondBucketMask;
            BondCounters::add(counters.packets[bucket], 1);
            BondCounters::add(counters.bytes[bucket], packet.size());
            ports[0] = member;
            return 1;
        }
    }
    switch (table.tx) {
    case BondTx::kDrop:
        break;
    case BondTx::kActive:
        port = table.active;
        break;
    case BondTx::kBuckets: {
        uint32_t hash = bond_hash(table, key, packet.frame(), out_vid);
        bucket = hash & kBondBucketMask;
        port = table.buckets[bucket];
        break;
    }
    case BondTx::kModulo: {
        size_t n = table.enabled.size();
        if (n) {
            uint32_t hash = bond_hash(table, key, packet.frame(), out_vid);
            bucket = hash & kBondBucketMask;
            port = table.enabled[hash % n];
        }
        break;
    }
    case BondTx::kRoundRobin: {
        uint32_t n = uint32_t(table.enabled.size());
        if (n) {
            uint32_t i;
            if (table.packets_per_member) {
                /* No division per packet: the position wraps by hand. */
                if (counters.rr_index >= n) {
                    counters.rr_index = 0;
                }
                i = counters.rr_index;
                if (++counters.rr_count >= table.packets_per_member) {
                    counters.rr_count = 0;
                    counters.rr_index = i + 1 < n ? i + 1 : 0;
                }
            } else {
                i = uint32_t((next_random(counters.rng) >> 32) * n >> 32);
            }
            port = table.enabled[i];
            bucket = i & kBondBucketMask;
        }
        break;
    }
    case BondTx::kBroadcast: {
        size_t n = table.enabled.size();
        for (size_t i = 0; i < n; i++) {
            ports[i] = table.enabled[i];
        }
        if (n) {
            BondCounters::add(counters.packets[0], 1);
            BondCounters::add(counters.bytes[0], packet.size());
        } else {
            BondCounters::add(counters.drops[size_t(BondDrop::kNoMember)], 1);
        }
        return n;
    }
    }
    if (!port) {
        BondCounters::add(counters.drops[size_t(BondDrop::kNoMember)], 1);
        return 0;
    }
    BondCounters::add(counters.packets[bucket], 1);
    BondCounters::add(counters.bytes[bucket], packet.size());
    ports[0] = port;
    return 1;
}

bool bond_admit(const BondTable &table, uint32_t port, const FlowKey &key, int64_t now_ms,
                BondCounters &counters)
{
    if (key.dl_type.value() == kEthTypeSlow) {
        return true;
    }
    auto drop = [&](BondDrop why) {
        BondCounters::add(counters.drops[size_t(why)], 1);
        return false;
    };
    switch (table.rx) {
    case BondRx::kDropAll:
        return drop(BondDrop::kNotNegotiated);
    case BondRx::kEnabled:
        for (uint32_t p : table.enabled) {
            if (p == port) {
                return true;
            }
        }
        for (uint32_t p : table.collecting) {
            if (p == port) {
                return true;
            }
        }
        return drop(BondDrop::kDisabledMember);
    case BondRx::kActiveOnly:
        return port == table.active ? true : drop(BondDrop::kBackupMember);
    case BondRx::kBalanced:
        break;
    }

    bool enabled = false;
    for (uint32_t p : table.enabled) {
        enabled |= p == port;
    }
    if (!enabled) {
        return drop(BondDrop::kDisabledMember);
    }
    if (table.alb) {
        for (size_t i = 0; i < table.members.size() && i < table.member_macs.size(); i++) {
            if (table.member_macs[i] == key.dl_dst) {
                /* A peer balanced onto member i: accepted there; a copy
                 * that a switch that forgot the MAC flooded to the other
                 * members is not. */
                return table.members[i] == port ? true : drop(BondDrop::kWrongMember);
            }
        }
    }
    if (key.dl_dst.is_multicast()) {
        if (port != table.active && !table.all_members_active) {
            return drop(BondDrop::kMulticastBackup);
        }
        return true;
    }
    if (table.dst_bucket_rule) {
        /* A switch that does not know the bond is a LAG floods unknown
         * unicast to every member.  It learned our MACs on the member each
         * sends on, which is the member of its bucket: accept there only,
         * so each frame is delivered once. */
        uint16_t vid = key.n_vlans ? vlan_tci_to_vid(key.vlans[0].tci.value()) : 0;
        uint32_t bucket = bond_hash_mac(key.dl_dst, vid, table.basis) & kBondBucketMask;
        if (table.buckets[bucket] == port) {
            return true;
        }
        if (now_ms < table.grace_until) {
            uint32_t prev = bond_hash_mac(key.dl_dst, vid, table.prev_basis) & kBondBucketMask;
            if (table.prev_buckets[prev] == port) {
                return true;
            }
        }
        return drop(BondDrop::kWrongMember);
    }
    return true;
}

bool bond_alb_rewrite_source(DpPacket &packet, const EthAddr &mac)
{
    uint8_t *p = packet.data();
    size_t size = packet.size();
    size_t l3 = kEthHeaderLen;
    if (size < kEthHeaderLen) {
        return false;
    }
    uint16_t type = uint16_t(p[12] << 8 | p[13]);
    if (eth_type_is_vlan(type)) {
        if (size < kEthHeaderLen + sizeof(VlanHeader)) {
            return false;
        }
        type = uint16_t(p[16] << 8 | p[17]);
        l3 += sizeof(VlanHeader);
    }
    if (type != kEthTypeArp || size < l3 + sizeof(ArpHeader)) {
        return false;
    }
    std::memcpy(p + 6, mac.b.data(), 6);
    std::memcpy(p + l3 + 8, mac.b.data(), 6);      /* Sender hardware address. */
    return true;
}

bool bond_alb_rx(const BondTable &table, uint32_t port, FlowKey &key, DpPacket &packet)
{
    if (!table.alb || key.dl_dst == table.host_mac) {
        return false;
    }
    for (size_t i = 0; i < table.members.size() && i < table.member_macs.size(); i++) {
        if (table.members[i] == port && table.member_macs[i] == key.dl_dst) {
            if (packet.size() >= kEthHeaderLen) {
                std::memcpy(packet.data(), table.host_mac.b.data(), 6);
                key.dl_dst = table.host_mac;
                return true;
            }
        }
    }
    return false;
}

void bond_monitor_rx(const BondTable &table, uint32_t port, const FlowKey &key, int64_t now_ms,
                     BondCounters &counters)
{
    size_t slot = 0;
    while (slot < table.members.size() && table.members[slot] != port) {
        slot++;
    }
    if (slot >= table.members.size() || slot >= kMaxBondMembers) {
        return;
    }
    uint16_t type = key.dl_type.value();
    bool is_arp = type == kEthTypeArp;
    bool is_nd = type == kEthTypeIpv6 && key.nw_proto == kIpProtoIcmpv6
                 && (key.tp_src.value() == kIcmp6NeighborSolicit
                     || key.tp_src.value() == kIcmp6NeighborAdvert);
    if (!table.filter || is_arp || is_nd) {
        counters.last_rx[slot].store(now_ms, std::memory_order_relaxed);
    }
    if (is_arp) {
        for (size_t t = 0; t < table.arp_targets.size() && t < kBondMaxTargets; t++) {
            if (key.nw_src == table.arp_targets[t] || key.nw_dst == table.arp_targets[t]) {
                counters.last_target_rx[slot][t].store(now_ms, std::memory_order_relaxed);
            }
            if (key.nw_src == table.arp_targets[t]) {
                counters.last_reply_rx[slot].store(now_ms, std::memory_order_relaxed);
            }
        }
    } else if (is_nd) {
        size_t base = table.arp_targets.size();
        for (size_t t = 0; t < table.ns_targets.size() && base + t < kBondMaxTargets; t++) {
            if (key.ipv6_src == table.ns_targets[t] || key.nd_target == table.ns_targets[t]) {
                counters.last_target_rx[slot][base + t].store(now_ms, std::memory_order_relaxed);
            }
            if (key.ipv6_src == table.ns_targets[t]) {
                counters.last_reply_rx[slot].store(now_ms, std::memory_order_relaxed);
            }
        }
    }
}

}  // namespace braid::dp
