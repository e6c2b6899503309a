/* The MAC learning table of one bridge, for the NORMAL action.
 *
 * Each entry maps a (MAC, VLAN) pair to the OpenFlow port number on which
 * frames from that MAC were last received, with the time they were last
 * seen.  The port number is opaque here (any uint32_t, including 0).
 *
 * Behaviour follows ovs-vswitchd (lib/mac-learning.c, checked against the
 * real 3.1.0 running with a warped clock):
 *
 *   - Aging.  An entry not seen for the aging time (Bridge
 *     other_config:mac-aging-time, default 300 s, forced into 15..3600 s) is
 *     dead: lookups miss it at once, and expire() removes it (counted as
 *     "expired").  An entry is dead when now - last_seen >= aging time.
 *
 *   - Bound.  The table holds at most max_entries entries (Bridge
 *     other_config:mac-table-size, default 8192, forced into
 *     10..1,000,000).  Learning a new MAC in a full table first removes the
 *     least recently seen entry (counted as "evicted").  Shrinking the bound
 *     removes least recently seen entries at once; like OVS, these count as
 *     "expired", not "evicted".  (OVS picks the victim of a full table among
 *     the entries of the port with the most entries; Braid uses plain LRU.)
 *
 *   - Multicast source MACs, the all-zero MAC and VLANs above 4095 are never
 *     learned.
 *
 *   - Gratuitous ARP lock.  A gratuitous ARP received on a port that is not
 *     a bond (re)arms a 5-second lock on its entry, whether that learned,
 *     moved or merely refreshed the entry.  While the lock holds, a
 *     gratuitous ARP received on a bond for that entry changes nothing
 *     (kLocked): it is most likely our own announcement reflected back by the
 *     physical switch, and learning from it would move a local VM onto the
 *     bond.  Other frames are not affected by the lock; the bond's receive
 *     rules drop reflected frames before learning, using find() to see
 *     whether an entry is locked.  After the lock, a gratuitous ARP on a bond
 *     moves the entry as any frame would (a VM that migrated away).
 *
 * Memory: entries live in a pool that grows geometrically up to the bound
 * and is reused, so learning allocates only when the table reaches a new
 * high-water mark, never per frame in steady state.  Every operation except
 * the flushes, entries(), show() and shrinking the bound is O(1).  The hash
 * is keyed with a per-table random secret (SipHash), so a VM sending chosen
 * source MACs cannot build long hash chains.
 *
 * Thread safety: every member function may be called from any thread.  A
 * std::shared_mutex protects the table: lookup(), find(), next_expiry(),
 * size(), entries(), show() and the statistics take it shared (datapath
 * threads look up in parallel); learn(), refresh(), expire(), the flushes
 * and the setters take it exclusive.  learn() first checks under the shared
 * lock whether the frame would change anything (it usually does not: same
 * port, already the most recent entry this millisecond) and takes the
 * exclusive lock only when it would.
 *
 * generation() is an atomic counter bumped whenever an answer of lookup()
 * may have changed for some key: a MAC learned, a MAC moved to another port,
 * an entry expired, evicted or flushed.  A refresh does not bump it.  The
 * datapath revalidates its cached flows when it changes.  Entries dying of
 * age make lookup() miss before expire() removes them and bumps the
 * generation, so the owner should call expire() at next_expiry(). */
#ifndef BRAID_OFPROTO_MAC_LEARNING_H
#define BRAID_OFPROTO_MAC_LEARNING_H 1

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "lib/packets.h"

namespace braid::ofproto {

/* Bounds and defaults of the table size (entries). */
inline constexpr size_t kMacDefaultMaxEntries = 8192;
inline constexpr size_t kMacMinMaxEntries = 10;
inline constexpr size_t kMacMaxMaxEntries = 1000000;

/* Bounds and defaults of the aging time (seconds). */
inline constexpr unsigned kMacDefaultIdleTime = 300;
inline constexpr unsigned kMacMinIdleTime = 15;
inline constexpr unsigned kMacMaxIdleTime = 3600;

/* How long a gratuitous ARP on a non-bond port locks its entry (ms). */
inline constexpr int64_t kMacGratArpLockMsec = 5000;

/* The highest VLAN id a key may hold. */
inline constexpr uint16_t kMacMaxVlan = 4095;

/* What a frame that learn() is told about was. */
struct LearnSource {
    /* The frame is a gratuitous ARP: ARP to the broadcast address that is
     * either a reply or a request whose sender and target IP are equal. */
    bool gratuitous_arp = false;
    /* The frame was received on a bond. */
    bool on_bond = false;
};

/* What learn() did. */
enum class LearnResult {
    kLearned,       /* A new entry: the MAC was unknown (or dead). */
    kMoved,         /* The entry now names a different port. */
    kRefreshed,     /* Same port; the entry's time was updated. */
    kLocked,        /* Gratuitous ARP on a bond during the lock: no change. */
    kNotLearned,    /* Multicast or zero MAC, or VLAN > 4095: no change. */
};

/* "learned", "moved", "refreshed", "locked", "not-learned". */
const char *learn_result_to_string(LearnResult result);

/* One entry, as find() and entries() report it. */
struct MacEntry {
    /* The key: the source MAC and the VLAN (0-4095) it was seen in. */
    EthAddr mac;
    uint16_t vlan = 0;
    /* The OpenFlow port number the MAC was last seen on. */
    uint32_t port = 0;
    /* When frames from the MAC were last seen (timeval::msec()). */
    int64_t last_seen = 0;
    /* Whole seconds since 'last_seen', as fdb/show prints it. */
    int age = 0;
    /* Whether the gratuitous ARP lock holds at the time of the call. */
    bool grat_arp_locked = false;

    friend bool operator==(const MacEntry &, const MacEntry &) = default;
};

/* Totals since creation or the last clear_stats(), as fdb/stats-show
 * prints them. */
struct MacLearningStats {
    uint64_t learned = 0;   /* New entries. */
    uint64_t expired = 0;   /* Removed by age, or by shrinking the bound. */
    uint64_t evicted = 0;   /* Removed to make room for a new entry. */
    uint64_t moved = 0;     /* Entries that changed port. */

    friend bool operator==(const MacLearningStats &, const MacLearningStats &) = default;
};

class MacLearning {
public:
    /* An empty table with the given bound and aging time (seconds), both
     * forced into their ranges. */
    explicit MacLearning(size_t max_entries = kMacDefaultMaxEntries,
                         unsigned idle_time = kMacDefaultIdleTime);
    ~MacLearning();
    /* Not copyable: the owner shares one table among threads. */
    MacLearning(const MacLearning &) = delete;
    MacLearning &operator=(const MacLearning &) = delete;

    /* Forces a configured value into its range, as OVS does for
     * mac-table-size and mac-aging-time. */
    static size_t normalize_max_entries(int64_t max_entries) noexcept;
    static unsigned normalize_idle_time(int64_t idle_time) noexcept;

    /* Changes the bound (forced into range).  Shrinking below the current
     * size removes the least recently seen entries at once. */
    void set_max_entries(size_t max_entries);
    /* The bound in force. */
    size_t max_entries() const;

    /* Changes the aging time (seconds, forced into range).  It applies to
     * existing entries too: shortening it removes the entries it makes
     * dead at once. */
    void set_idle_time(unsigned idle_time);
    /* The aging time in force, in seconds. */
    unsigned idle_time() const;

    /* Records that a frame from 'mac' in 'vlan' was received on 'port', and
     * returns what changed.  See the file comment for the rules. */
    LearnResult learn(EthAddr mac, uint16_t vlan, uint32_t port,
                      LearnSource source = {});

    /* The port for 'mac' in 'vlan', or nullopt if it is unknown, dead of
     * age, multicast, or 'vlan' is above 4095. */
    std::optional<uint32_t> lookup(EthAddr mac, uint16_t vlan) const;

    /* Like lookup(), with the whole entry. */
    std::optional<MacEntry> find(EthAddr mac, uint16_t vlan) const;

    /* Records that 'mac' in 'vlan' was seen again on 'port' (from flow
     * statistics).  Updates the time only if a live entry names 'port';
     * returns whether it did.  Never learns or moves. */
    bool refresh(EthAddr mac, uint16_t vlan, uint32_t port);

    /* Removes the dead entries and returns how many. */
    size_t expire();

    /* The time (timeval::msec()) at which expire() next has work, or -1 if
     * the table is empty.  May be in the past. */
    int64_t next_expiry() const;

    /* Remove all entries, those naming 'port', or those in 'vlan', and
     * return how many.  None of them counts in the statistics. */
    size_t flush();
    size_t flush_port(uint32_t port);
    size_t flush_vlan(uint16_t vlan);

    /* The number of entries held, dead ones included until expire(). */
    size_t size() const;

    /* See the file comment. */
    uint64_t generation() const noexcept
    {
        return generation_.load(std::memory_order_acquire);
    }

    /* The statistics of fdb/stats-show. */
    MacLearningStats stats() const;
    /* Zeroes the statistics (fdb/stats-clear). */
    void clear_stats();

    /* The live entries, sorted by port, then VLAN, then MAC. */
    std::vector<MacEntry> entries() const;

    /* The text of "ovs-appctl fdb/show": a header line, then one line per
     * live entry, least recently seen first (the order OVS prints), each
     * ending in "\n".  Port 65534 prints as "LOCAL". */
    std::string show() const;

    /* The text of "ovs-appctl fdb/stats-show 'bridge'" (OVS 3.x, including
     * its line for static entries, which Braid does not have: always 0). */
    std::string stats_show(const std::string &bridge) const;

private:
    struct Node;

    static constexpr uint32_t kNil = UINT32_MAX;

    uint32_t hash(EthAddr mac, uint16_t vlan) const noexcept;
    uint32_t find_node(EthAddr mac, uint16_t vlan) const noexcept;
    bool is_dead(const Node &node, int64_t now) const noexcept;
    MacEntry make_entry(const Node &node, int64_t now) const;
    void lru_unlink(uint32_t i) noexcept;
    void lru_push_back(uint32_t i) noexcept;
    void chain_unlink(uint32_t i) noexcept;
    void remove_node(uint32_t i) noexcept;
    uint32_t alloc_node();
    void resize_buckets();
    size_t remove_lru_while_over(size_t limit);
    size_t expire_locked(int64_t now);
    template <typename Pred>
    size_t remove_if(Pred pred);
    LearnResult learn_locked(EthAddr mac, uint16_t vlan, uint32_t port,
                             LearnSource source, int64_t now);
    void bump() noexcept { generation_.fetch_add(1, std::memory_order_acq_rel); }

    mutable std::shared_mutex mutex_;
    std::vector<Node> nodes_;           /* The pool; indices are stable. */
    std::vector<uint32_t> buckets_;     /* Heads of the hash chains. */
    uint32_t free_ = kNil;              /* Free nodes, chained by 'chain'. */
    uint32_t lru_head_ = kNil;          /* Least recently seen. */
    uint32_t lru_tail_ = kNil;          /* Most recently seen. */
    size_t count_ = 0;
    size_t max_entries_;
    unsigned idle_time_;
    uint64_t secret_[2];
    MacLearningStats stats_;
    std::atomic<uint64_t> generation_{0};
};

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_MAC_LEARNING_H
