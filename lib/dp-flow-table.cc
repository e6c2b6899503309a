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
            && e.key == key) {
            *emc_hit = true;
            return e.flow;
        }
    }
    for (auto &st : subtables_) {
        ++*subtables;
        FlowKey masked;
        flow_key_mask(key, st->mask, &masked);
        auto it = st->flows.find(masked);
        if (it != st->flows.end() && it->second->generation == generation) {
            st->hits++;
            emc_insert(key, hash, it->second.get());
            return it->second.get();
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
        if (!e.flow || e.flow->dead || (e.hash == hash && e.key == key)) {
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
    }
    auto flow = std::make_unique<Megaflow>();
    flow_key_mask(key, mask, &flow->key);
    flow->mask = mask;
    flow->actions = std::move(actions);
    flow->hash = flow_key_hash(flow->key);
    flow->generation = generation;
    flow->learn = learn;
    Megaflow *raw = flow.get();

    auto it = st->flows.find(flow->key);
    if (it != st->flows.end()) {
        /* Replaces an older (stale) megaflow with the same match. */
        it->second->dead = true;
        graveyard_.push_back(std::move(it->second));
        it->second = std::move(flow);
    } else {
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
