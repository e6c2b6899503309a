/* Bonds in the datapath: the bond_output action and the receive rules.
 *
 * The control side (ofproto/bond) decides everything about a bond (which
 * members are enabled, which one is active, which member each of the 256
 * buckets sends on) and publishes the result as an immutable BondTable.
 * The datapath threads use the published tables per packet:
 *
 *   - bond_output(bond) picks a member for the packet as the table's
 *     transmit rule says and counts the packet and its bytes on its bucket;
 *   - a frame received on a member passes the table's receive rules before
 *     flow lookup, or is dropped and counted under its reason.
 *
 * A new table replaces the old one in one atomic step (the threads pick up
 * the new set between batches), so failover, bucket moves and rebalancing
 * never flush or revalidate a flow cache.  Megaflows that output to a bond
 * match only what translation read: the hash of bond_output reads the
 * packet's own fields per packet, so no field is unwildcarded for it.
 *
 * Nothing here allocates or makes a virtual call per packet. */
#ifndef BRAID_LIB_DP_BOND_H
#define BRAID_LIB_DP_BOND_H 1

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lib/dp-packet.h"
#include "lib/flow.h"
#include "lib/packets.h"
#include "lib/xmit-hash.h"

namespace braid::dp {

inline constexpr size_t kBondBuckets = 256;
inline constexpr uint32_t kBondBucketMask = kBondBuckets - 1;
/* Bond ids are 0 .. kMaxBonds - 1. */
inline constexpr uint32_t kMaxBonds = 1024;
/* A bond has at most this many members. */
inline constexpr size_t kMaxBondMembers = 64;
/* ARP and NS monitor targets: up to 16 IPv4 and 16 IPv6 addresses. */
inline constexpr size_t kBondMaxTargets = 32;

/* How bond_output picks a member. */
enum class BondTx : uint8_t {
    kDrop,          /* Nothing may be sent (no member, LACP not negotiated). */
    kActive,        /* The active member (active-backup). */
    kBuckets,       /* buckets[hash & 0xff] (slb, tcp, 802.3ad, tlb, alb). */
    kModulo,        /* enabled[hash % n] (balance-xor, as Linux). */
    kRoundRobin,    /* enabled[(count / packets_per_member) % n], 0: random. */
    kBroadcast,     /* Every enabled member. */
};

/* Which hash feeds kBuckets and kModulo. */
enum class BondHash : uint8_t {
    kSrcMacVlan,    /* Source MAC and output VLAN with the basis (OVS SLB). */
    kSymmetricL34,  /* Addresses, protocol and ports, symmetric (OVS TCP). */
    kPolicy,        /* The Linux transmit hash policy 'policy'. */
};

/* How a frame received on a member is judged (BRIEF §4).  Rules apply in
 * this order; the first that drops wins. */
enum class BondRx : uint8_t {
    kDropAll,       /* LACP configured and not negotiated, no fallback. */
    kEnabled,       /* LACP negotiated: any enabled member. */
    kActiveOnly,    /* active-backup: the active member only. */
    kBalanced,      /* Multicast on the active member only (unless
                     * all_members_active); unicast on any member, and for
                     * tlb/slb/alb ('dst_bucket_rule') only on the member
                     * that the destination's bucket sends on. */
};

/* Why a received frame was dropped, counted per bond. */
enum class BondDrop : uint8_t {
    kNotNegotiated,     /* LACP configured, not negotiated. */
    kDisabledMember,    /* Member not enabled. */
    kBackupMember,      /* active-backup: received on a backup member. */
    kMulticastBackup,   /* Multicast/broadcast on a non-active member. */
    kWrongMember,       /* Unicast for a MAC whose bucket uses another member
                         * (a copy flooded by a non-LAG switch). */
    kNoMember,          /* Transmit: no member to send on. */
    kCount
};
const char *bond_drop_to_string(BondDrop reason);

struct BondTable {
    uint32_t bond_id = 0;
    BondTx tx = BondTx::kDrop;
    BondHash hash = BondHash::kSrcMacVlan;
    XmitHashPolicy policy = XmitHashPolicy::kLayer2;
    uint32_t basis = 0;
    uint32_t packets_per_member = 1;

    uint32_t active = 0;                        /* Datapath port, 0 for none. */
    std::vector<uint32_t> enabled;              /* Enabled members' ports. */
    /* Ports of members that may receive but not send: LACP's independent
     * control has them collecting, not yet distributing.  BondRx::kEnabled
     * accepts on them too. */
    std::vector<uint32_t> collecting;
    std::array<uint32_t, kBondBuckets> buckets{};   /* Port per bucket, 0: none. */

    /* Receive. */
    BondRx rx = BondRx::kActiveOnly;
    bool all_members_active = false;
    bool dst_bucket_rule = false;
    /* For a short while after buckets move, a frame is also accepted on
     * the member the bucket used before. */
    std::array<uint32_t, kBondBuckets> prev_buckets{};
    uint32_t prev_basis = 0;                    /* The hash basis before. */
    int64_t grace_until = 0;                    /* Braid clock, ms. */

    /* ARP/NS link monitor: when 'monitor' is set, every frame received on
     * member members[i] is noted in the counters' last_rx[i] (only ARP and
     * NDP frames if 'filter'), and an ARP frame whose sender or target
     * address is arp_targets[t] (or an NS/NA for ns_targets[t]) in
     * last_target_rx[i][t] (IPv4 targets first, then IPv6); a frame that
     * a target sent itself (ARP sender, or IPv6 source) also in
     * last_reply_rx[i]. */
    bool monitor = false;
    bool filter = false;
    std::vector<uint32_t> members;              /* Every member's port. */

    /* balance-alb receive balancing.  ARP requests and replies that the
     * bridge's own port (MAC 'host_mac') sends leave on the member that the
     * peer's address (the ARP target) hashes to, with that member's MAC as
     * Ethernet source and ARP sender, so the peer sends to that member (a
     * broadcast request may also move bystanders that know us onto that
     * member, which costs balance, not reachability); a frame received for
     * a member's MAC goes on as one for 'host_mac'. */
    bool alb = false;
    EthAddr host_mac;
    std::vector<EthAddr> member_macs;           /* Parallel to 'members'. */
    std::vector<be32> arp_targets;
    std::vector<In6Addr> ns_targets;

    friend bool operator==(const BondTable &, const BondTable &) = default;
};

/* The hash of bucket selection for 'table' (before "& 0xff" or "% n").
 * 'frame' is the packet as it leaves: its outer VLAN tag, if any, gives
 * the VLAN for kSrcMacVlan (0 if it leaves untagged), so that the receive
 * rule can hash a frame coming back on the same wire the same way; 'key'
 * holds the fields of the received packet. */
/* 'out_vid', if not -1, is the VLAN id the frame leaves with (0 for
 * untagged), so that the frame need not be read. */
uint32_t bond_hash(const BondTable &table, const FlowKey &key, std::span<const uint8_t> frame,
                   int out_vid = -1);

/* Mixes 'x' and 'basis' into 32 well-spread bits (a 64-bit multiply,
 * xor-shift finalizer): short enough to run per packet. */
inline uint32_t bond_mix64(uint64_t x, uint32_t basis) noexcept
{
    x ^= uint64_t(basis) * 0x9e3779b97f4a7c15ULL;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 32;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return uint32_t(x >> 32);
}

/* The SLB hash of (mac, vlan) with 'basis', as bond/hash prints it (the
 * bucket is the low 8 bits): the six octets as they lie in memory, the VLAN
 * id above them, mixed. */
inline uint32_t bond_hash_mac(const EthAddr &mac, uint16_t vlan, uint32_t basis) noexcept
{
    /* Two loads straight into registers: assembling the word in memory
     * from a 4- and a 2-byte store would stall the 8-byte load that
     * follows (no store forwarding). */
    uint32_t lo;
    uint16_t hi;
    std::memcpy(&lo, mac.b.data(), 4);
    std::memcpy(&hi, mac.b.data() + 4, 2);
    uint64_t word = lo | uint64_t(hi) << 32 | uint64_t(vlan & kVlanVidMask) << 48;
    return bond_mix64(word, basis);
}

/* The symmetric L3/L4 hash of balance-tcp: the same for both directions of
 * a connection. */
uint32_t bond_hash_symmetric_l34(const FlowKey &key, uint32_t basis);

/* Per datapath thread, per bond: what bond_output and the receive rules
 * counted.  Written by one thread, read by any. */
struct BondCounters {
    std::array<std::atomic<uint64_t>, kBondBuckets> packets{};
    std::array<std::atomic<uint64_t>, kBondBuckets> bytes{};
    std::array<std::atomic<uint64_t>, size_t(BondDrop::kCount)> drops{};
    /* The ARP/NS monitor's receive times (Braid clock, ms; 0: never). */
    std::array<std::atomic<int64_t>, kMaxBondMembers> last_rx{};
    std::array<std::array<std::atomic<int64_t>, kBondMaxTargets>, kMaxBondMembers>
        last_target_rx{};
    std::array<std::atomic<int64_t>, kMaxBondMembers> last_reply_rx{};
    uint32_t rr_index = 0;                      /* Round robin: the member, */
    uint32_t rr_count = 0;                      /* and packets sent on it. */
    uint64_t rng = 0x9e3779b97f4a7c15ULL;       /* For packets_per_member 0. */

    static void add(std::atomic<uint64_t> &c, uint64_t n)
    {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

/* The members a packet goes to: at most one, except broadcast.  Returns
 * the number of ports written to 'ports' (which has room for all enabled
 * members), counting the packet on its bucket in 'counters'.  'out_vid' is
 * as for bond_hash(); the bond_output action carries it.  For a balance-alb
 * ARP from the host, sets '*alb_source' (if not null) to the MAC the frame
 * must carry (see bond_alb_rewrite_source()), else leaves it alone. */
size_t bond_choose(const BondTable &table, const FlowKey &key, const DpPacket &packet,
                   BondCounters &counters, uint32_t *ports, int out_vid = -1,
                   EthAddr *alb_source = nullptr);

/* For balance-alb: rewrites the Ethernet source and the ARP sender address
 * of ARP frame 'packet' to 'mac' (what bond_choose() asked for in
 * '*alb_source').  Returns false, changing nothing, if 'packet' is not a
 * whole ARP frame (with up to one VLAN tag). */
bool bond_alb_rewrite_source(DpPacket &packet, const EthAddr &mac);

/* For balance-alb: if 'key' is a frame received on member 'port' for that
 * member's own MAC, rewrites its destination (in 'packet' and 'key') to the
 * table's host MAC and returns true. */
bool bond_alb_rx(const BondTable &table, uint32_t port, FlowKey &key, DpPacket &packet);

/* Whether a frame with key 'key' received on member port 'port' of
 * 'table' passes the receive rules at time 'now_ms'; if not, counts the
 * reason in 'counters'.  Slow protocol frames (LACP, marker) always pass:
 * they are LACP's. */
bool bond_admit(const BondTable &table, uint32_t port, const FlowKey &key, int64_t now_ms,
                BondCounters &counters);

/* Notes, for the ARP/NS monitor, that a frame with key 'key' arrived on
 * member port 'port' at 'now_ms' (see BondTable::monitor).  Runs before the
 * receive rules: a backup's frames count even though they are dropped. */
void bond_monitor_rx(const BondTable &table, uint32_t port, const FlowKey &key, int64_t now_ms,
                     BondCounters &counters);

/* Every published table, as the datapath threads see it: an immutable
 * snapshot indexed by bond id, plus the bond of each member port. */
struct BondSet {
    std::vector<std::shared_ptr<const BondTable>> bonds;   /* By bond id. */
    std::vector<int32_t> port_bond;             /* By port number; -1: none. */

    const BondTable *bond_of_port(uint32_t port) const
    {
        if (port >= port_bond.size() || port_bond[port] < 0) {
            return nullptr;
        }
        return bonds[size_t(port_bond[port])].get();
    }
    const BondTable *bond(uint32_t id) const
    {
        return id < bonds.size() ? bonds[id].get() : nullptr;
    }
};

/* What the datapath reports of one bond, summed over its threads. */
struct BondStats {
    std::array<uint64_t, kBondBuckets> packets{};
    std::array<uint64_t, kBondBuckets> bytes{};
    std::array<uint64_t, size_t(BondDrop::kCount)> drops{};
    /* The latest of the threads' monitor times, by member slot. */
    std::array<int64_t, kMaxBondMembers> last_rx{};
    std::array<std::array<int64_t, kBondMaxTargets>, kMaxBondMembers> last_target_rx{};
    std::array<int64_t, kMaxBondMembers> last_reply_rx{};
};

}  // namespace braid::dp

#endif  // BRAID_LIB_DP_BOND_H
