/* The MAC learning table.
 *
 * Entries are nodes of a pool (a vector, addressed by index so that growing
 * it moves nothing that matters).  Each node is on two intrusive lists:
 *
 *   - a singly linked hash chain starting in 'buckets_' (free nodes reuse
 *     the same link for the free list);
 *   - the doubly linked LRU list, least recently seen at the head.  Every
 *     update of 'last_seen' moves the node to the tail and the clock never
 *     goes back, so the list is sorted by 'last_seen': the dead entries are
 *     a prefix of it and the head is the next to die. */
#include <config.h>

#include "ofproto/mac-learning.h"

#include <algorithm>
#include <iterator>
#include <bit>
#include <mutex>
#include <random>
#include <tuple>

#include <fmt/format.h>

#include "lib/coverage.h"
#include "lib/timeval.h"

BRAID_COVERAGE_DEFINE(mac_learning_learned);
BRAID_COVERAGE_DEFINE(mac_learning_expired);
BRAID_COVERAGE_DEFINE(mac_learning_evicted);
BRAID_COVERAGE_DEFINE(mac_learning_moved);

namespace braid::ofproto {

/* One entry of the pool. */
struct MacLearning::Node {
    EthAddr mac;
    uint16_t vlan = 0;
    uint32_t port = 0;
    int64_t last_seen = 0;
    int64_t lock_until = 0;     /* Gratuitous ARP lock; 0 if never set. */
    uint32_t chain = kNil;      /* Next in the hash chain or free list. */
    uint32_t prev = kNil;       /* LRU neighbours. */
    uint32_t next = kNil;
};

namespace {

/* The OpenFlow port number of a bridge's own interface, printed by name.
 * (ofproto/ofproto.h has it as kOfpPortLocal; repeated here so the table
 * does not depend on the bridge.) */
constexpr uint32_t kPortLocal = 65534;

/* One SipHash round on the state 'v'. */
inline void sip_round(uint64_t v[4]) noexcept
{
    v[0] += v[1];
    v[1] = std::rotl(v[1], 13);
    v[1] ^= v[0];
    v[0] = std::rotl(v[0], 32);
    v[2] += v[3];
    v[3] = std::rotl(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = std::rotl(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = std::rotl(v[1], 17);
    v[1] ^= v[2];
    v[2] = std::rotl(v[2], 32);
}

/* SipHash-2-4 (Aumasson and Bernstein) of the 8-byte little-endian encoding
 * of 'm' under the key 'k0', 'k1'. */
uint64_t siphash_u64(uint64_t k0, uint64_t k1, uint64_t m) noexcept
{
    uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
                     k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
    v[3] ^= m;
    sip_round(v);
    sip_round(v);
    v[0] ^= m;

    const uint64_t last = uint64_t{8} << 56;    /* Message length, no tail. */
    v[3] ^= last;
    sip_round(v);
    sip_round(v);
    v[0] ^= last;

    v[2] ^= 0xff;
    for (int i = 0; i < 4; i++) {
        sip_round(v);
    }
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The port as fdb/show prints it. */
std::string port_name(uint32_t port)
{
    return port == kPortLocal ? std::string("LOCAL") : fmt::format("{}", port);
}

bool is_learnable(EthAddr mac, uint16_t vlan) noexcept
{
    return vlan <= kMacMaxVlan && !mac.is_multicast() && !mac.is_zero();
}

}  // namespace

const char *learn_result_to_string(LearnResult result)
{
    switch (result) {
    case LearnResult::kLearned:
        return "learned";
    case LearnResult::kMoved:
        return "moved";
    case LearnResult::kRefreshed:
        return "refreshed";
    case LearnResult::kLocked:
        return "locked";
    case LearnResult::kNotLearned:
        return "not-learned";
    }
    return "unknown";
}

MacLearning::MacLearning(size_t max_entries, unsigned idle_time)
    : max_entries_(normalize_max_entries(static_cast<int64_t>(
          std::min<size_t>(max_entries, kMacMaxMaxEntries)))),
      idle_time_(normalize_idle_time(idle_time))
{
    std::random_device rd;
    for (uint64_t &word : secret_) {
        word = (uint64_t{rd()} << 32) | rd();
    }
    resize_buckets();
}

MacLearning::~MacLearning() = default;

size_t MacLearning::normalize_max_entries(int64_t max_entries) noexcept
{
    return max_entries < static_cast<int64_t>(kMacMinMaxEntries) ? kMacMinMaxEntries
           : max_entries > static_cast<int64_t>(kMacMaxMaxEntries) ? kMacMaxMaxEntries
           : static_cast<size_t>(max_entries);
}

unsigned MacLearning::normalize_idle_time(int64_t idle_time) noexcept
{
    return idle_time < kMacMinIdleTime ? kMacMinIdleTime
           : idle_time > kMacMaxIdleTime ? kMacMaxIdleTime
           : static_cast<unsigned>(idle_time);
}

/* ---- Internals; the caller holds the lock ------------------------------- */

uint32_t MacLearning::hash(EthAddr mac, uint16_t vlan) const noexcept
{
    uint64_t key = (mac.to_u64() << 12) | vlan;
    return static_cast<uint32_t>(siphash_u64(secret_[0], secret_[1], key));
}

uint32_t MacLearning::find_node(EthAddr mac, uint16_t vlan) const noexcept
{
    uint32_t i = buckets_[hash(mac, vlan) & (buckets_.size() - 1)];
    while (i != kNil) {
        const Node &node = nodes_[i];
        if (node.mac == mac && node.vlan == vlan) {
            return i;
        }
        i = node.chain;
    }
    return kNil;
}

bool MacLearning::is_dead(const Node &node, int64_t now) const noexcept
{
    return now - node.last_seen >= int64_t{idle_time_} * 1000;
}

MacEntry MacLearning::make_entry(const Node &node, int64_t now) const
{
    MacEntry e;
    e.mac = node.mac;
    e.vlan = node.vlan;
    e.port = node.port;
    e.last_seen = node.last_seen;
    e.age = static_cast<int>((now - node.last_seen) / 1000);
    e.grat_arp_locked = now < node.lock_until;
    return e;
}

void MacLearning::lru_unlink(uint32_t i) noexcept
{
    Node &node = nodes_[i];
    (node.prev != kNil ? nodes_[node.prev].next : lru_head_) = node.next;
    (node.next != kNil ? nodes_[node.next].prev : lru_tail_) = node.prev;
    node.prev = node.next = kNil;
}

void MacLearning::lru_push_back(uint32_t i) noexcept
{
    Node &node = nodes_[i];
    node.prev = lru_tail_;
    node.next = kNil;
    (lru_tail_ != kNil ? nodes_[lru_tail_].next : lru_head_) = i;
    lru_tail_ = i;
}

void MacLearning::chain_unlink(uint32_t i) noexcept
{
    const Node &node = nodes_[i];
    uint32_t *link = &buckets_[hash(node.mac, node.vlan) & (buckets_.size() - 1)];
    while (*link != i) {
        link = &nodes_[*link].chain;
    }
    *link = node.chain;
}

void MacLearning::remove_node(uint32_t i) noexcept
{
    chain_unlink(i);
    lru_unlink(i);
    nodes_[i].chain = free_;
    free_ = i;
    count_--;
}

/* Returns a free node, unlinked.  The caller must have made room: count_ <
 * max_entries_, which bounds the pool's growth. */
uint32_t MacLearning::alloc_node()
{
    uint32_t i;
    if (free_ != kNil) {
        i = free_;
        free_ = nodes_[i].chain;
    } else {
        i = static_cast<uint32_t>(nodes_.size());
        nodes_.emplace_back();
    }
    nodes_[i] = Node{};
    return i;
}

/* Sizes the hash table for the current bound (one bucket per entry, at
 * least 16, a power of 2) and rehashes the entries. */
void MacLearning::resize_buckets()
{
    size_t n = std::bit_ceil(std::max<size_t>(max_entries_, 16));
    if (n == buckets_.size()) {
        return;
    }
    buckets_.assign(n, kNil);
    for (uint32_t i = lru_head_; i != kNil; i = nodes_[i].next) {
        uint32_t &head = buckets_[hash(nodes_[i].mac, nodes_[i].vlan) & (n - 1)];
        nodes_[i].chain = head;
        head = i;
    }
}

/* Removes least recently seen entries until at most 'limit' remain. */
size_t MacLearning::remove_lru_while_over(size_t limit)
{
    size_t n = 0;
    while (count_ > limit) {
        remove_node(lru_head_);
        n++;
    }
    return n;
}

size_t MacLearning::expire_locked(int64_t now)
{
    size_t n = 0;
    while (lru_head_ != kNil && is_dead(nodes_[lru_head_], now)) {
        remove_node(lru_head_);
        n++;
    }
    stats_.expired += n;
    COVERAGE_ADD(mac_learning_expired, n);
    return n;
}

template <typename Pred>
size_t MacLearning::remove_if(Pred pred)
{
    size_t n = 0;
    for (uint32_t i = lru_head_; i != kNil;) {
        uint32_t next = nodes_[i].next;
        if (pred(nodes_[i])) {
            remove_node(i);
            n++;
        }
        i = next;
    }
    if (n) {
        bump();
    }
    return n;
}

/* ---- Configuration ------------------------------------------------------ */

void MacLearning::set_max_entries(size_t max_entries)
{
    std::unique_lock lock(mutex_);
    max_entries_ = normalize_max_entries(
        static_cast<int64_t>(std::min<size_t>(max_entries, kMacMaxMaxEntries)));
    size_t n = remove_lru_while_over(max_entries_);
    if (n) {
        /* OVS removes these in mac_learning_run() and counts them as
         * expired, so fdb/stats-show does too. */
        stats_.expired += n;
        COVERAGE_ADD(mac_learning_expired, n);
        bump();
    }
    resize_buckets();
}

size_t MacLearning::max_entries() const
{
    std::shared_lock lock(mutex_);
    return max_entries_;
}

void MacLearning::set_idle_time(unsigned idle_time)
{
    std::unique_lock lock(mutex_);
    idle_time_ = normalize_idle_time(idle_time);
    if (expire_locked(timeval::msec())) {
        bump();
    }
}

unsigned MacLearning::idle_time() const
{
    std::shared_lock lock(mutex_);
    return idle_time_;
}

/* ---- Learning and lookup ------------------------------------------------ */

LearnResult MacLearning::learn(EthAddr mac, uint16_t vlan, uint32_t port,
                               LearnSource source)
{
    if (!is_learnable(mac, vlan)) {
        return LearnResult::kNotLearned;
    }
    int64_t now = timeval::msec();
    bool arms_lock = source.gratuitous_arp && !source.on_bond;
    bool lockable = source.gratuitous_arp && source.on_bond;

    /* The common cases that change nothing need only the shared lock. */
    {
        std::shared_lock lock(mutex_);
        uint32_t i = find_node(mac, vlan);
        if (i != kNil && !is_dead(nodes_[i], now)) {
            const Node &node = nodes_[i];
            if (lockable && now < node.lock_until) {
                return LearnResult::kLocked;
            }
            if (node.port == port && node.last_seen == now && i == lru_tail_
                && !arms_lock) {
                return LearnResult::kRefreshed;
            }
        }
    }

    std::unique_lock lock(mutex_);
    return learn_locked(mac, vlan, port, source, timeval::msec());
}

LearnResult MacLearning::learn_locked(EthAddr mac, uint16_t vlan, uint32_t port,
                                      LearnSource source, int64_t now)
{
    LearnResult result;
    uint32_t i = find_node(mac, vlan);
    if (i != kNil && is_dead(nodes_[i], now)) {
        /* Dead of age but not yet expired: it counts as expired, and the
         * frame learns the MAC afresh. */
        remove_node(i);
        stats_.expired++;
        COVERAGE_INC(mac_learning_expired);
        i = kNil;
    }

    if (i == kNil) {
        if (count_ >= max_entries_) {
            remove_lru_while_over(max_entries_ - 1);
            stats_.evicted++;
            COVERAGE_INC(mac_learning_evicted);
        }
        i = alloc_node();
        Node &node = nodes_[i];
        node.mac = mac;
        node.vlan = vlan;
        node.port = port;
        uint32_t &head = buckets_[hash(mac, vlan) & (buckets_.size() - 1)];
        node.chain = head;
        head = i;
        count_++;
        stats_.learned++;
        COVERAGE_INC(mac_learning_learned);
        result = LearnResult::kLearned;
    } else {
        Node &node = nodes_[i];
        if (source.gratuitous_arp && source.on_bond && now < node.lock_until) {
            return LearnResult::kLocked;
        }
        lru_unlink(i);
        if (node.port != port) {
            node.port = port;
            stats_.moved++;
            COVERAGE_INC(mac_learning_moved);
            result = LearnResult::kMoved;
        } else {
            result = LearnResult::kRefreshed;
        }
    }

    Node &node = nodes_[i];
    node.last_seen = now;
    lru_push_back(i);
    if (source.gratuitous_arp && !source.on_bond) {
        node.lock_until = now + kMacGratArpLockMsec;
    }
    if (result != LearnResult::kRefreshed) {
        bump();
    }
    return result;
}

std::optional<uint32_t> MacLearning::lookup(EthAddr mac, uint16_t vlan) const
{
    if (vlan > kMacMaxVlan || mac.is_multicast()) {
        return std::nullopt;
    }
    int64_t now = timeval::msec();
    std::shared_lock lock(mutex_);
    uint32_t i = find_node(mac, vlan);
    if (i == kNil || is_dead(nodes_[i], now)) {
        return std::nullopt;
    }
    return nodes_[i].port;
}

std::optional<MacEntry> MacLearning::find(EthAddr mac, uint16_t vlan) const
{
    if (vlan > kMacMaxVlan || mac.is_multicast()) {
        return std::nullopt;
    }
    int64_t now = timeval::msec();
    std::shared_lock lock(mutex_);
    uint32_t i = find_node(mac, vlan);
    if (i == kNil || is_dead(nodes_[i], now)) {
        return std::nullopt;
    }
    return make_entry(nodes_[i], now);
}

bool MacLearning::refresh(EthAddr mac, uint16_t vlan, uint32_t port)
{
    if (!is_learnable(mac, vlan)) {
        return false;
    }
    std::unique_lock lock(mutex_);
    int64_t now = timeval::msec();
    uint32_t i = find_node(mac, vlan);
    if (i == kNil || is_dead(nodes_[i], now) || nodes_[i].port != port) {
        return false;
    }
    nodes_[i].last_seen = now;
    lru_unlink(i);
    lru_push_back(i);
    return true;
}

/* ---- Removal ------------------------------------------------------------ */

size_t MacLearning::expire()
{
    std::unique_lock lock(mutex_);
    size_t n = expire_locked(timeval::msec());
    if (n) {
        bump();
    }
    return n;
}

int64_t MacLearning::next_expiry() const
{
    std::shared_lock lock(mutex_);
    if (lru_head_ == kNil) {
        return -1;
    }
    return nodes_[lru_head_].last_seen + int64_t{idle_time_} * 1000;
}

size_t MacLearning::flush()
{
    std::unique_lock lock(mutex_);
    size_t n = count_;
    /* Also gives the pool's memory back. */
    nodes_.clear();
    nodes_.shrink_to_fit();
    std::fill(buckets_.begin(), buckets_.end(), kNil);
    free_ = lru_head_ = lru_tail_ = kNil;
    count_ = 0;
    if (n) {
        bump();
    }
    return n;
}

size_t MacLearning::flush_port(uint32_t port)
{
    std::unique_lock lock(mutex_);
    return remove_if([port](const Node &node) { return node.port == port; });
}

size_t MacLearning::flush_vlan(uint16_t vlan)
{
    std::unique_lock lock(mutex_);
    return remove_if([vlan](const Node &node) { return node.vlan == vlan; });
}

/* ---- Reporting ---------------------------------------------------------- */

size_t MacLearning::size() const
{
    std::shared_lock lock(mutex_);
    return count_;
}

MacLearningStats MacLearning::stats() const
{
    std::shared_lock lock(mutex_);
    return stats_;
}

void MacLearning::clear_stats()
{
    std::unique_lock lock(mutex_);
    stats_ = {};
}

std::vector<MacEntry> MacLearning::entries() const
{
    std::vector<MacEntry> list;
    {
        int64_t now = timeval::msec();
        std::shared_lock lock(mutex_);
        list.reserve(count_);
        for (uint32_t i = lru_head_; i != kNil; i = nodes_[i].next) {
            if (!is_dead(nodes_[i], now)) {
                list.push_back(make_entry(nodes_[i], now));
            }
        }
    }
    std::sort(list.begin(), list.end(), [](const MacEntry &a, const MacEntry &b) {
        return std::tie(a.port, a.vlan, a.mac) < std::tie(b.port, b.vlan, b.mac);
    });
    return list;
}

std::string MacLearning::show() const
{
    std::string s = " port  VLAN  MAC                Age\n";
    int64_t now = timeval::msec();
    std::shared_lock lock(mutex_);
    for (uint32_t i = lru_head_; i != kNil; i = nodes_[i].next) {
        const Node &node = nodes_[i];
        if (!is_dead(node, now)) {
            fmt::format_to(std::back_inserter(s), "{:>5}  {:>4}  {}  {:>3}\n",
                           port_name(node.port), node.vlan, node.mac.to_string(),
                           (now - node.last_seen) / 1000);
        }
    }
    return s;
}

std::string MacLearning::stats_show(const std::string &bridge) const
{
    std::shared_lock lock(mutex_);
    return fmt::format("Statistics for bridge \"{}\":\n"
                       "  Current/maximum MAC entries in the table: {}/{}\n"
                       "  Current static MAC entries in the table : 0\n"
                       "  Total number of learned MAC entries     : {}\n"
                       "  Total number of expired MAC entries     : {}\n"
                       "  Total number of evicted MAC entries     : {}\n"
                       "  Total number of port moved MAC entries  : {}\n",
                       bridge, count_, max_entries_, stats_.learned, stats_.expired,
                       stats_.evicted, stats_.moved);
}

}  // namespace braid::ofproto
