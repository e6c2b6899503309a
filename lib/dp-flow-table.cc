/* The datapath's flow caches. */
#include <config.h>

#include "lib/dp-flow-table.h"

#include <algorithm>
#include <cstring>

namespace braid::dp {
namespace {

constexpr size_t kWords = sizeof(FlowKey) / sizeof(uint64_t);
static_assert(sizeof(FlowKey) % sizeof(uint64_t) == 0);

inline uint64_t word(const FlowKey &key, size_t i) noexcept
{
    uint64_t w;
    std::memcpy(&w, reinterpret_cast<const unsigned char *>(&key) + i * 8, 8);
    return w;
}

inline uint64_t mix(uint64_t h, uint64_t w) noexcept
{
    h ^= w;
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

}  // namespace

uint32_t flow_key_hash(const FlowKey &key) noexcept
{
    /* Four lanes so that the multiplications of neighbouring words run in
     * parallel; 15 words = 3 full rounds of 4 plus 3. */
    uint64_t a = 0x243f6a8885a308d3ull, b = 0x13198a2e03707344ull;
    uint64_t c = 0xa4093822299f31d0ull, d = 0x082efa98ec4e6c89ull;
    size_t i = 0;
    for (; i + 4 <= kWords; i += 4) {
        a = mix(a, word(key, i));
        b = mix(b, word(key, i + 1));
        c = mix(c, word(key, i + 2));
        d = mix(d, word(key, i + 3));
    }
    for (; i < kWords; i++) {
        a = mix(a, word(key, i));
    }
    uint64_t h = mix(mix(a, b), mix(c, d));
    h ^= h >> 32;
    return uint32_t(h);
}

void flow_key_mask(const FlowKey &key, const FlowKey &mask, FlowKey *out) noexcept
{
    const auto *k = reinterpret_cast<const unsigned char *>(&key);
    const auto *m = reinterpret_cast<const unsigned char *>(&mask);
    auto *o = reinterpret_cast<unsigned char *>(out);
    for (size_t i = 0; i < kWords; i++) {
        uint64_t kw, mw;
        std::memcpy(&kw, k + i * 8, 8);
        std::memcpy(&mw, m + i * 8, 8);
        uint64_t ow = kw & mw;
        std::memcpy(o + i * 8, &ow, 8);
    }
}

FlowKey flow_key_all_ones() noexcept
{
    FlowKey k;
    std::memset(static_cast<void *>(&k), 0xff, sizeof k);
    return k;
}

FlowTable::FlowTable() : emc_(std::make_unique<std::array<EmcEntry, kEmcEntries>>()) {}

FlowTable::~FlowTable() = default;

uint32_t FlowTable::Subtable::hash_of(const FlowKey &key) const noexcept
{
    uint64_t h = 0x243f6a8885a308d3ull ^ n_words;
    for (size_t i = 0; i < n_words; i++) {
        h = mix(h, word(key, words[i]) & word(mask, words[i]));
    }
    h = mix(h, h >> 31);
    return uint32_t(h ^ (h >> 32));
}

bool FlowTable::Subtable::matches(const Megaflow &flow, const FlowKey &key) const noexcept
{
    for (size_t i = 0; i < n_words; i++) {
        size_t w = words[i];
        if ((word(key, w) & word(mask, w)) != word(flow.key, w)) {
            return false;
        }
    }
    return true;
}

Megaflow *FlowTable::Subtable::find(const FlowKey &key, uint32_t h) const noexcept
{
    if (index.empty()) {
        return nullptr;
    }
    size_t cap_mask = index.size() - 1;
    for (size_t i = h & cap_mask;; i = (i + 1) & cap_mask) {
        const Slot &s = index[i];
        if (!s.flow) {
            return nullptr;
        }
        if (s.hash == h && matches(*s.flow, key)) {
            return s.flow;
        }
    }
}

void FlowTable::Subtable::index_add(Megaflow *flow)
{
    if ((flows.size() + 1) * 2 > index.size()) {
        /* Grow to keep at most half full, re-adding every flow. */
        size_t cap = std::max<size_t>(16, index.size() * 2);
        while (cap < (flows.size() + 1) * 2) {
            cap *= 2;
        }
        std::vector<Slot> old = std::move(index);
        index.assign(cap, Slot{});
        for (const Slot &s : old) {
            if (s.flow) {
                index_add(s.flow);
            }
        }
    }
    size_t cap_mask = index.size() - 1;
    size_t i = flow->hash & cap_mask;
    while (index[i].flow) {
        i = (i + 1) & cap_mask;
    }
    index[i] = Slot{flow->hash, flow};
}

void FlowTable::Subtable::index_remove(const Megaflow *flow)
{
    size_t cap_mask = index.size() - 1;
    size_t i = flow->hash & cap_mask;
    while (index[i].flow != flow) {
        if (!index[i].flow) {
            return;
        }
        i = (i + 1) & cap_mask;
    }
    /* Backward-shift deletion: move later entries of the probe run into
     * the hole when their home slot allows it, so no tombstones are
     * needed. */
    size_t hole = i;
    for (size_t j = (i + 1) & cap_mask; index[j].flow; j = (j + 1) & cap_mask) {
        size_t home = index[j].hash & cap_mask;
        /* 'j' may move to 'hole' unless its home lies cyclically in
         * (hole, j]. */
        bool home_after_hole = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_after_hole) {
            index[hole] = index[j];
            hole = j;
        }
    }
    index[hole] = Slot{};
}

void FlowTable::Subtable::index_replace(const Megaflow *old_flow, Megaflow *new_flow)
{
    size_t cap_mask = index.size() - 1;
    for (size_t i = old_flow->hash & cap_mask; index[i].flow; i = (i + 1) & cap_mask) {
        if (index[i].flow == old_flow) {
            index[i].flow = new_flow;
            return;
        }
    }
}

FlowTable::Subtable *FlowTable::find_subtable(const FlowKey &mask)
{
    for (auto &st : subtables_) {
        if (st->mask == mask) {
            return st.get();
        }
    }
    return nullptr;
}

Megaflow *FlowTable::lookup(const FlowKey &key, uint32_t hash, uint64_t generation,
                            bool *emc_hit, int *subtables)
{
    *emc_hit = false;
    *subtables = 0;
    /* Two ways: the slot of the hash and its neighbour. */
    for (size_t way = 0; way < 2; way++) {
        EmcEntry &e = (*emc_)[(hash + way) & (kEmcEntries - 1)];
        if (e.flow && e.hash == hash && !e.flow->dead && e.flow->generation == generation
            && flow_key_equal(e.key, key)) {
            *emc_hit = true;
            return e.flow;
        }
    }
    for (auto &st : subtables_) {
        ++*subtables;
        Megaflow *flow = st->find(key, st->hash_of(key));
        if (flow && flow->generation == generation) {
            st->hits++;
            emc_insert(key, hash, flow);
            return flow;
        }
    }
    return nullptr;
}

void FlowTable::emc_insert(const FlowKey &key, uint32_t hash, Megaflow *flow)
{
    /* Take an empty or stale way, else replace the first. */
    EmcEntry *victim = &(*emc_)[hash & (kEmcEntries - 1)];
    for (size_t way = 0; way < 2; way++) {
        EmcEntry &e = (*emc_)[(hash + way) & (kEmcEntries - 1)];
        if (!e.flow || e.flow->dead || (e.hash == hash && flow_key_equal(e.key, key))) {
            victim = &e;
            break;
        }
    }
    victim->hash = hash;
    victim->flow = flow;
    victim->key = key;
}

Megaflow *FlowTable::insert(const FlowKey &key, uint32_t hash, const FlowKey &mask,
                            Actions actions, uint64_t generation, const LearnInfo &learn)
{
    Subtable *st = find_subtable(mask);
    if (!st) {
        subtables_.push_back(std::make_unique<Subtable>());
        st = subtables_.back().get();
        st->mask = mask;
        for (size_t w = 0; w < kWords; w++) {
            if (word(mask, w)) {
                st->words[st->n_words++] = uint8_t(w);
            }
        }
    }
    auto flow = std::make_unique<Megaflow>();
    flow_key_mask(key, mask, &flow->key);
    flow->mask = mask;
    flow->actions = std::move(actions);
    flow->hash = st->hash_of(flow->key);
    flow->generation = generation;
    flow->learn = learn;
    Megaflow *raw = flow.get();

    auto it = st->flows.find(flow->key);
    if (it != st->flows.end()) {
        /* Replaces an older (stale) megaflow with the same match. */
        st->index_replace(it->second.get(), raw);
        it->second->dead = true;
        graveyard_.push_back(std::move(it->second));
        it->second = std::move(flow);
    } else {
        st->index_add(raw);
        st->flows.emplace(raw->key, std::move(flow));
        n_flows_++;
    }
    emc_insert(key, hash, raw);
    return raw;
}

void FlowTable::remove(Megaflow *flow)
{
    Subtable *st = find_subtable(flow->mask);
    if (!st) {
        return;
    }
    auto it = st->flows.find(flow->key);
    if (it == st->flows.end() || it->second.get() != flow) {
        return;
    }
    flow->dead = true;
    st->index_remove(flow);
    graveyard_.push_back(std::move(it->second));
    st->flows.erase(it);
    n_flows_--;
    if (st->flows.empty()) {
        std::erase_if(subtables_, [st](const auto &p) { return p.get() == st; });
    }
}

void FlowTable::purge()
{
    if (graveyard_.empty()) {
        return;
    }
    for (EmcEntry &e : *emc_) {
        if (e.flow && e.flow->dead) {
            e.flow = nullptr;
        }
    }
    graveyard_.clear();
}

void FlowTable::clear()
{
    for (auto &st : subtables_) {
        for (auto &[k, flow] : st->flows) {
            flow->dead = true;
            graveyard_.push_back(std::move(flow));
        }
    }
    subtables_.clear();
    n_flows_ = 0;
    purge();
}

void FlowTable::sort_subtables()
{
    std::stable_sort(subtables_.begin(), subtables_.end(),
                     [](const auto &a, const auto &b) { return a->hits > b->hits; });
    for (auto &st : subtables_) {
        st->hits /= 2;      /* Recent hits count more. */
    }
}

}  // namespace braid::dp
