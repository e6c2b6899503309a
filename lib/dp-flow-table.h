/* The datapath's flow caches: megaflows in a classifier, fronted by an
 * exact-match cache.
 *
 * A megaflow is a flow key with a mask (the fields that mattered when the
 * slow path decided what to do) and the actions to run.  The classifier
 * keeps one subtable per distinct mask; looking a packet up masks its key
 * with each subtable's mask and probes that subtable's hash table, most
 * used subtables first.  The exact-match cache (EMC) maps a packet's full
 * key straight to the megaflow it matched last time, so most packets need
 * one hash and one comparison.
 *
 * A megaflow carries the generation it was made in; when the slow path's
 * answers may have changed (configuration, MAC learning), the generation is
 * bumped and older megaflows stop matching, so the next packet of each goes
 * to the slow path again and its megaflow is replaced.
 *
 * One FlowTable belongs to one datapath thread.  It is not thread-safe: the
 * owner holds its mutex() while it works on a batch, and others (dumps,
 * expiry) take the same mutex. */
#ifndef BRAID_LIB_DP_FLOW_TABLE_H
#define BRAID_LIB_DP_FLOW_TABLE_H 1

#include <array>
#include <atomic>
#include <cstring>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "lib/dp-actions.h"
#include "lib/flow.h"

namespace braid::dp {

/* What the slow path learned while deciding a flow, so that later packets
 * of the flow (which skip the slow path) can keep the MAC table fresh. */
struct LearnInfo {
    bool valid = false;
    uint32_t bridge = 0;        /* Opaque to the datapath. */
    EthAddr mac;
    uint16_t vlan = 0;
    uint32_t port = 0;
};

struct Megaflow {
    FlowKey key;                /* Masked. */
    FlowKey mask;
    Actions actions;
    uint32_t hash = 0;          /* Of the masked key, as its subtable hashes it. */
    uint64_t generation = 0;
    LearnInfo learn;

    std::atomic<uint64_t> packets{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<int64_t> used{0};           /* Clock of the last packet, ms. */
    std::atomic<uint16_t> tcp_flags{0};
    bool dead = false;          /* Removed; EMC entries to it are stale. */
};

/* A hash of the whole key: four independent multiply-xor lanes over its
 * fifteen 64-bit words, then a final mix.  Fast (no dependency chain across
 * lanes); used by the EMC and the classifier. */
uint32_t flow_key_hash(const FlowKey &key) noexcept;

/* Whether two keys are equal, compared as raw memory (faster than the
 * member-wise operator==; keys are always zero-initialised, so padding
 * compares equal). */
inline bool flow_key_equal(const FlowKey &a, const FlowKey &b) noexcept
{
    return std::memcmp(&a, &b, sizeof a) == 0;
}

/* 'out' = 'key' & 'mask', word by word. */
void flow_key_mask(const FlowKey &key, const FlowKey &mask, FlowKey *out) noexcept;

/* A FlowKey with every bit set, for exact-match masks. */
FlowKey flow_key_all_ones() noexcept;

class FlowTable {
public:
    static constexpr size_t kEmcEntries = 8192;         /* Power of two. */

    FlowTable();
    ~FlowTable();
    FlowTable(const FlowTable &) = delete;
    FlowTable &operator=(const FlowTable &) = delete;

    /* Finds the megaflow for 'key' (whose flow_key_hash() is 'hash') made
     * in 'generation': first in the EMC, then in the classifier (adding it
     * to the EMC).  '*emc_hit' says which; '*subtables' counts the subtables
     * probed.  Returns null on a miss. */
    Megaflow *lookup(const FlowKey &key, uint32_t hash, uint64_t generation, bool *emc_hit,
                     int *subtables);

    /* Adds a megaflow (replacing any with the same masked key and mask) and
     * puts it in the EMC for 'key'.  Returns it. */
    Megaflow *insert(const FlowKey &key, uint32_t hash, const FlowKey &mask, Actions actions,
                     uint64_t generation, const LearnInfo &learn);

    /* Removes 'flow' from the classifier.  It stays allocated (and marked
     * dead, so EMC entries to it miss) until purge(). */
    void remove(Megaflow *flow);

    /* Frees removed megaflows after clearing the EMC entries that point to
     * them: one pass over the EMC for any number of removals. */
    void purge();

    /* Removes every megaflow. */
    void clear();

    /* Calls 'fn' for every megaflow; 'fn' may not change the table. */
    template <typename Fn>
    void for_each(Fn fn) const
    {
        for (const auto &st : subtables_) {
            for (const auto &[k, flow] : st->flows) {
                fn(*flow);
            }
        }
    }

    size_t n_flows() const { return n_flows_; }
    size_t n_subtables() const { return subtables_.size(); }

    /* Orders the subtables by recent hits, most first; call now and then. */
    void sort_subtables();

    std::mutex &mutex() { return mutex_; }

private:
    struct KeyHash {
        size_t operator()(const FlowKey &k) const noexcept { return flow_key_hash(k); }
    };
    struct KeyEqual {
        bool operator()(const FlowKey &a, const FlowKey &b) const noexcept
        {
            return flow_key_equal(a, b);
        }
    };
    /* One slot of a subtable's lookup index. */
    struct Slot {
        uint32_t hash = 0;
        Megaflow *flow = nullptr;   /* Null: empty. */
    };
    struct Subtable {
        FlowKey mask;
        /* The 64-bit words of the key that the mask does not wildcard
         * entirely: lookups hash and compare only these. */
        std::array<uint8_t, sizeof(FlowKey) / 8> words{};
        size_t n_words = 0;
        /* Owns the megaflows, by masked key. */
        std::unordered_map<FlowKey, std::unique_ptr<Megaflow>, KeyHash, KeyEqual> flows;
        /* The fast path's index over 'flows': open addressing with linear
         * probing, at most half full, by the hash of the masked words. */
        std::vector<Slot> index;
        uint64_t hits = 0;

        uint32_t hash_of(const FlowKey &key) const noexcept;
        bool matches(const Megaflow &flow, const FlowKey &key) const noexcept;
        Megaflow *find(const FlowKey &key, uint32_t h) const noexcept;
        void index_add(Megaflow *flow);
        void index_remove(const Megaflow *flow);
        void index_replace(const Megaflow *old_flow, Megaflow *new_flow);
    };
    struct EmcEntry {
        uint32_t hash = 0;
        Megaflow *flow = nullptr;
        FlowKey key;
    };

    Subtable *find_subtable(const FlowKey &mask);
    void emc_insert(const FlowKey &key, uint32_t hash, Megaflow *flow);

    std::mutex mutex_;
    std::vector<std::unique_ptr<Subtable>> subtables_;
    std::unique_ptr<std::array<EmcEntry, kEmcEntries>> emc_;
    std::vector<std::unique_ptr<Megaflow>> graveyard_;
    size_t n_flows_ = 0;
};

}  // namespace braid::dp

#endif  // BRAID_LIB_DP_FLOW_TABLE_H
