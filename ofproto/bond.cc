/* One bond: member states, the active member, buckets and rebalancing. */
#include <config.h>

#include "ofproto/bond.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "lib/coverage.h"
#include "lib/dpif-netdev.h"
#include "lib/hash.h"
#include "lib/rtnetlink.h"
#include "lib/timeval.h"
#include "lib/vlog.h"
#include "ofproto/bond-liveness.h"
#include "ofproto/mac-learning.h"
#include "ofproto/xlate.h"

BRAID_LOG_MODULE(bond);
BRAID_COVERAGE_DEFINE(bond_config_rejected);
BRAID_COVERAGE_DEFINE(bond_member_enabled);
BRAID_COVERAGE_DEFINE(bond_member_disabled);
BRAID_COVERAGE_DEFINE(bond_failover);
BRAID_COVERAGE_DEFINE(bond_rebalanced);
BRAID_COVERAGE_DEFINE(bond_slow_frame_without_lacp);
BRAID_COVERAGE_DEFINE(bond_lacp_frame);

namespace braid::ofproto {
namespace {

/* Every bond in existence, for the commands (control thread only). */
std::set<Bond *> &all_bonds()
{
    static std::set<Bond *> bonds;
    return bonds;
}

/* Rebalancing stops when the imbalance is below this many bytes. */
constexpr uint64_t kMinOverload = 100000;

bool mode_needs_lacp(BondMode mode)
{
    return mode == BondMode::kBalanceTcp || mode == BondMode::k8023ad;
}

}  // namespace

Bond::Bond(std::string bridge, std::string name, dp::Datapath *datapath, EventLoop *loop,
           std::function<void()> status_changed)
    : bridge_(std::move(bridge)),
      name_(std::move(name)),
      datapath_(datapath),
      loop_(loop),
      status_changed_(std::move(status_changed))
{
    bucket_member_.fill(-1);
    bond_id_ = datapath_ ? datapath_->add_bond() : 0;
    if (bond_id_ == UINT32_MAX) {
        VLOG_ERR("bond {}: the datapath has no free bond id; the bond will not send", name_);
    } else if (datapath_) {
        /* Counters of an earlier bond with this id are not ours. */
        dp::BondStats st = datapath_->bond_stats(bond_id_);
        bucket_seen_ = st.bytes;
        drops_seen_ = st.drops;
    }
    all_bonds().insert(this);
    listener_ = Netdev::add_change_listener([this] { link_changed(); });
    if (BondLiveness *live = BondLiveness::get()) {
        live->add(this);
    }
}

Bond::~Bond()
{
    if (BondLiveness *live = BondLiveness::get()) {
        live->remove(this);
    }
    Netdev::remove_change_listener(listener_);
    timer_.stop();
    all_bonds().erase(this);
    if (datapath_ && bond_id_ != UINT32_MAX) {
        datapath_->remove_bond(bond_id_);
    }
}

bool Bond::balanced_buckets() const
{
    switch (config_.mode) {
    case BondMode::kBalanceSlb:
    case BondMode::kBalanceTcp:
    case BondMode::k8023ad:
    case BondMode::kBalanceTlb:
    case BondMode::kBalanceAlb:
        return true;
    default:
        return false;
    }
}

bool Bond::rebalancing() const
{
    if (!config_.rebalance_interval) {
        return false;
    }
    switch (config_.mode) {
    case BondMode::kBalanceSlb:
    case BondMode::kBalanceTcp:
    case BondMode::kBalanceAlb:
        return true;
    case BondMode::kBalanceTlb:
        return config_.tlb_dynamic_lb;
    default:
        return false;
    }
}

bool Bond::reflection_rule() const
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    switch (config_.mode) {
    case BondMode::kBalanceSlb:
    case BondMode::kBalanceTlb:
    case BondMode::kBalanceAlb:
    case BondMode::kBalanceRr:
    case BondMode::kBalanceXor:
    case BondMode::kBroadcast:
        return !lacp_negotiated_;
    default:
        return false;
    }
}

int Bond::find_member(const std::string &name) const
{
    for (size_t i = 0; i < members_.size(); i++) {
        if (members_[i].in.name == name) {
            return int(i);
        }
    }
    return -1;
}

bool Bond::reconfigure(const PortSettings &port, const std::vector<BondMemberInput> &members,
                       std::shared_ptr<MacLearning> mac_learning, uint32_t port_id)
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    int64_t now = timeval::msec();
    BondConfig cfg;
    std::string error;
    bool ok = parse_bond_config(port, &cfg, &error);
    if (!ok) {
        COVERAGE_INC(bond_config_rejected);
        if (error != config_error_) {
            VLOG_WARN("bond {}: rejected configuration ({}); {}", name_, error,
                      configured_ ? "keeping the previous one" : "using the defaults");
        }
        config_error_ = error;
        if (!configured_) {
            cfg = BondConfig{};
        } else {
            cfg = config_;
        }
    } else {
        config_error_.clear();
    }

    if (!configured_ || cfg.mode != config_.mode) {
        bucket_member_.fill(-1);
        bucket_load_.fill(0);
    } else if (cfg.hash_basis != config_.hash_basis) {
        /* Keep every bucket where it is: frames in flight on the old
         * buckets' members stay acceptable for a while, and the switches
         * relearn from the learning packets. */
        for (size_t b = 0; b < dp::kBondBuckets; b++) {
            int m = bucket_member_[b];
            prev_ports_[b] = m >= 0 ? members_[size_t(m)].in.dp_port : 0;
        }
        prev_basis_ = config_.hash_basis;
        grace_until_ = now + kMoveGraceMs;
        learning_pending_ = true;
    }
    if (!configured_ || cfg.rebalance_interval != config_.rebalance_interval) {
        next_rebalance_ = now + (cfg.rebalance_interval ? cfg.rebalance_interval : kDecayIntervalMs);
    }
    if (!configured_ && port.bond.active_member) {
        restore_mac_ = port.bond.active_member;
    }
    bool monitor_was_on = configured_ && arp_monitor();
    config_ = cfg;
    configured_ = true;
    if (arp_monitor() && !monitor_was_on) {
        /* Every member gets missed_max intervals to answer. */
        for (Member &m : members_) {
            m.monitor_since = now;
            m.arp_ok = true;
        }
        next_arp_ = now;
    }
    vlan_ = port.vlan;
    mac_learning_ = std::move(mac_learning);
    port_id_ = port_id;

    /* Members: keep the state of those that stay. */
    std::vector<Member> next;
    std::vector<int> old_to_new(members_.size(), -1);
    for (const BondMemberInput &in : members) {
        if (next.size() >= dp::kMaxBondMembers) {
            VLOG_WARN("bond {}: ignoring member {}: a bond has at most {} members", name_,
                      in.name, dp::kMaxBondMembers);
            continue;
        }
        Member m;
        int old = find_member(in.name);
        if (old >= 0) {
            m = members_[size_t(old)];
            old_to_new[size_t(old)] = int(next.size());
        }
        if (!(m.in.netdev == in.netdev)) {
            m.kernel_carrier.reset();       /* Another device. */
        }
        m.in = in;
        m.ifindex = 0;
        if (in.netdev) {
            in.netdev->get_etheraddr(&m.mac);
            int ifindex = in.netdev->get_ifindex();
            m.ifindex = ifindex > 0 ? ifindex : 0;
        }
        if (old < 0) {
            m.monitor_since = now;
            /* A new member starts as its link is, without a delay; with
             * LACP on, it waits for LACP. */
            m.link = read_link(m);
            m.lacp_enable = cfg.lacp != "active" && cfg.lacp != "passive";
            m.link_up = m.link && m.lacp_enable;
            m.enabled = m.link_up;
            member_came_up_ |= m.enabled;
        }
        auto prio = config_.member_prio.find(in.name);
        m.prio = prio != config_.member_prio.end() ? prio->second : 0;
        next.push_back(std::move(m));
    }
    active_ = active_ >= 0 ? old_to_new[size_t(active_)] : -1;
    for (int &b : bucket_member_) {
        b = b >= 0 ? old_to_new[size_t(b)] : -1;
    }
    members_ = std::move(next);
    lacp_reconfigure(port, now);

    run();
    return ok && lacp_error_.empty();
}

bool Bond::read_link(const Member &m) const
{
    return carrier(m) && (!arp_monitor() || m.arp_ok);
}

bool Bond::carrier(const Member &m) const
{
    /* The liveness path's news from the kernel, when there is some, is
     * newer than the device's own view. */
    return m.in.netdev && m.in.dp_port
           && (m.kernel_carrier ? *m.kernel_carrier : m.in.netdev->get_carrier());
}

void Bond::link_changed()
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    if (config_.detect_mode == BondDetectMode::kCarrier) {
        run();
    }
}

void Bond::update_links()
{
    int64_t now = timeval::msec();
    bool poll = config_.detect_mode != BondDetectMode::kMiimon || now >= next_miimon_;
    if (config_.detect_mode == BondDetectMode::kMiimon && poll) {
        next_miimon_ = now + std::max<int64_t>(1, config_.miimon_interval);
    }
    for (Member &m : members_) {
        m.link = poll ? read_link(m) : m.link;
    }
    /* LACP learns of the links first, and may change its mind on them. */
    lacp_run(now);
    for (Member &m : members_) {
        bool up = m.link && m.lacp_enable && !m.admin_disabled;
        if (up != m.link_up) {
            m.link_up = up;
            if (up == m.enabled) {
                if (m.delay_expires) {
                    VLOG_INFO("bond {}: member {}: link state {}, will not be {}", name_,
                              m.in.name, up ? "up" : "down", up ? "disabled" : "enabled");
                }
                m.delay_expires.reset();
            } else {
                /* A member without a device or datapath port cannot carry
                 * anything: no downdelay for it. */
                bool gone = !m.in.netdev || !m.in.dp_port;
                int64_t delay = m.admin_disabled || gone ? 0
                                : up                     ? config_.updelay
                                                         : config_.downdelay;
                m.delay_expires = now + delay;
                if (delay) {
                    VLOG_INFO("bond {}: member {}: link state {}, {} in {} ms", name_, m.in.name,
                              up ? "up" : "down", up ? "enabling" : "disabling", delay);
                }
            }
        }
        if (m.delay_expires && now >= *m.delay_expires) {
            m.delay_expires.reset();
            set_enabled(m, m.link_up);
        }
    }

    /* With no member enabled, the first one whose link is up is used at
     * once, whatever remains of its updelay. */
    bool any = std::any_of(members_.begin(), members_.end(),
                           [](const Member &m) { return m.enabled; });
    if (!any) {
        Member *best = nullptr;
        for (Member &m : members_) {
            if (m.link_up && m.delay_expires
                && (!best || *m.delay_expires < *best->delay_expires)) {
                best = &m;
            }
        }
        if (best) {
            VLOG_INFO("bond {}: member {}: skipping remaining {} ms updelay (since no member "
                      "was enabled)", name_, best->in.name, *best->delay_expires - now);
            best->delay_expires.reset();
            set_enabled(*best, true);
        }
    }
}

void Bond::set_enabled(Member &m, bool enabled)
{
    if (m.enabled == enabled) {
        return;
    }
    m.enabled = enabled;
    if (enabled) {
        COVERAGE_INC(bond_member_enabled);
        VLOG_INFO("bond {}: member {}: enabled", name_, m.in.name);
        member_came_up_ = true;
    } else {
        COVERAGE_INC(bond_member_disabled);
        m.link_failures++;
        VLOG_INFO("bond {}: member {}: disabled", name_, m.in.name);
        learning_pending_ = true;
        if (config_.mode == BondMode::kBalanceAlb) {
            /* Peers that were sending to this member's MAC learn the
             * bridge's own MAC again from the gratuitous ARPs. */
            notif_remaining_ = std::max<uint32_t>(1, config_.num_peer_notif);
            next_notif_ = timeval::msec();
        }
    }
}

void Bond::choose_active()
{
    int64_t now = timeval::msec();
    int cur = active_;
    bool cur_ok = cur >= 0 && members_[size_t(cur)].enabled;
    int primary = config_.primary.empty() ? -1 : find_member(config_.primary);
    bool primary_ok = primary >= 0 && members_[size_t(primary)].enabled;
    int next = cur_ok ? cur : -1;

    if (cur_ok && primary_ok && primary != cur) {
        switch (config_.primary_reselect) {
        case PrimaryReselect::kAlways:
            next = primary;
            break;
        case PrimaryReselect::kBetter:
            if (members_[size_t(primary)].prio > members_[size_t(cur)].prio) {
                next = primary;
            }
            break;
        case PrimaryReselect::kFailure:
            break;
        }
    }
    if (!cur_ok) {
        /* With the ARP or NS monitor, a member counts as up if it hears
         * anything, such as the probes of another member that the switch
         * floods.  When some member heard a target itself, the choice is
         * among those: the others may be up only by hearsay. */
        bool any_answered = false;
        for (const Member &m : members_) {
            any_answered |= m.enabled && target_answered(m, now);
        }
        auto candidate = [&](int i) {
            const Member &m = members_[size_t(i)];
            return m.enabled && (!any_answered || target_answered(m, now));
        };
        if (primary >= 0 && candidate(primary)) {
            next = primary;
        } else {
            for (size_t i = 0; i < members_.size(); i++) {
                if (candidate(int(i)) && restore_mac_ && members_[i].mac == *restore_mac_) {
                    next = int(i);
                    break;
                }
            }
        }
        if (next < 0) {
            for (size_t i = 0; i < members_.size(); i++) {
                if (candidate(int(i))
                    && (next < 0 || members_[i].prio > members_[size_t(next)].prio)) {
                    next = int(i);
                }
            }
        }
    }
    if (next == active_) {
        return;
    }
    if (next >= 0) {
        COVERAGE_INC(bond_failover);
        if (active_ >= 0) {
            failovers_++;
        }
        VLOG_INFO("bond {}: active member is now {}", name_, members_[size_t(next)].in.name);
        restore_mac_ = members_[size_t(next)].mac;
        /* A backup has sent no probes of its own: as the active member it
         * gets missed_max intervals from now to be answered. */
        Member &m = members_[size_t(next)];
        m.monitor_since = std::max(m.monitor_since, now);
    } else {
        VLOG_WARN("bond {}: all members disabled", name_);
    }
    active_ = next;
    learning_pending_ = true;
    /* The bridge writes the new Port.bond_active_slave. */
    if (status_changed_) {
        status_changed_();
    }
    if (next >= 0 && (config_.mode == BondMode::kActiveBackup || config_.mode == BondMode::kBalanceTlb
                      || config_.mode == BondMode::kBalanceAlb)) {
        notif_remaining_ = config_.num_peer_notif;
        next_notif_ = timeval::msec();
        igmp_remaining_ = config_.resend_igmp;
        next_igmp_ = timeval::msec();
    }
}

void Bond::fill_buckets(bool level)
{
    if (!balanced_buckets()) {
        return;
    }
    int64_t now = timeval::msec();
    std::vector<int> enabled;
    for (size_t i = 0; i < members_.size(); i++) {
        if (members_[i].enabled) {
            enabled.push_back(int(i));
        }
    }
    std::array<uint32_t, dp::kBondBuckets> before{};
    for (size_t b = 0; b < dp::kBondBuckets; b++) {
        int m = bucket_member_[b];
        before[b] = m >= 0 && members_[size_t(m)].enabled ? members_[size_t(m)].in.dp_port : 0;
    }
    if (enabled.empty()) {
        bucket_member_.fill(-1);
        return;
    }
    size_t n = enabled.size();
    std::vector<size_t> count(members_.size(), 0);
    std::vector<uint32_t> orphans;
    bool all_empty = true;
    for (size_t b = 0; b < dp::kBondBuckets; b++) {
        int m = bucket_member_[b];
        if (m >= 0 && members_[size_t(m)].enabled) {
            count[size_t(m)]++;
            all_empty = false;
        } else {
            bucket_member_[b] = -1;
            orphans.push_back(uint32_t(b));
        }
    }
    if (all_empty) {
        /* A fresh start: bucket b on enabled[b % n], which for 802.3ad is
         * the member Linux picks (hash % n) whenever n divides 256. */
        for (size_t b = 0; b < dp::kBondBuckets; b++) {
            bucket_member_[b] = enabled[b % n];
        }
        return;
    }

    auto lightest_of = [&](int m) {
        int best = -1;
        for (size_t b = 0; b < dp::kBondBuckets; b++) {
            if (bucket_member_[b] == m
                && (best < 0 || bucket_load_[b] < bucket_load_[size_t(best)])) {
                best = int(b);
            }
        }
        return best;
    };
    auto least_loaded = [&]() {
        int best = enabled[0];
        for (int m : enabled) {
            if (count[size_t(m)] < count[size_t(best)]) {
                best = m;
            }
        }
        return best;
    };

    size_t lo = dp::kBondBuckets / n;
    size_t hi = lo + (dp::kBondBuckets % n ? 1 : 0);
    if (level) {
        /* A member came up: it gets its fair share now, taken from the
         * lightest buckets of the members that have more. */
        for (int m : enabled) {
            while (count[size_t(m)] > hi) {
                int b = lightest_of(m);
                bucket_member_[size_t(b)] = -1;
                count[size_t(m)]--;
                orphans.push_back(uint32_t(b));
            }
        }
    }
    std::sort(orphans.begin(), orphans.end());
    for (uint32_t b : orphans) {
        int m = least_loaded();
        bucket_member_[b] = m;
        count[size_t(m)]++;
    }
    if (level) {
        for (;;) {
            int poor = least_loaded();
            if (count[size_t(poor)] >= lo) {
                break;
            }
            int rich = enabled[0];
            for (int m : enabled) {
                if (count[size_t(m)] > count[size_t(rich)]) {
                    rich = m;
                }
            }
            if (count[size_t(rich)] <= lo) {
                break;
            }
            int b = lightest_of(rich);
            bucket_member_[size_t(b)] = poor;
            count[size_t(rich)]--;
            count[size_t(poor)]++;
        }
    }

    /* Buckets taken from a member that is still up stay acceptable there
     * for a moment (see the receive rules). */
    bool moved = false;
    for (size_t b = 0; b < dp::kBondBuckets; b++) {
        uint32_t now_port = members_[size_t(bucket_member_[b])].in.dp_port;
        moved |= before[b] && before[b] != now_port;
    }
    if (moved) {
        prev_ports_ = before;
        prev_basis_ = config_.hash_basis;
        grace_until_ = now + kMoveGraceMs;
        learning_pending_ = true;
    }
}

void Bond::account()
{
    if (!datapath_ || bond_id_ == UINT32_MAX) {
        return;
    }
    dp::BondStats stats = datapath_->bond_stats(bond_id_);
    for (size_t b = 0; b < dp::kBondBuckets; b++) {
        uint64_t now = stats.bytes[b];
        uint64_t delta = now >= bucket_seen_[b] ? now - bucket_seen_[b] : now;
        bucket_seen_[b] = now;
        bucket_load_[b] += delta;
    }
    for (size_t i = 0; i < drops_.size(); i++) {
        uint64_t now = stats.drops[i];
        uint64_t delta = now >= drops_seen_[i] ? now - drops_seen_[i] : now;
        drops_seen_[i] = now;
        drops_[i] += delta;
    }
}

void Bond::rebalance()
{
    struct Bal {
        int member;
        uint64_t load = 0;
        std::vector<uint32_t> buckets;      /* Heaviest first. */
    };
    std::vector<Bal> bals;
    for (size_t i = 0; i < members_.size(); i++) {
        if (members_[i].enabled) {
            bals.push_back(Bal{int(i), 0, {}});
        }
    }
    for (uint32_t b = 0; b < dp::kBondBuckets; b++) {
        for (Bal &bal : bals) {
            if (bal.member == bucket_member_[b] && bucket_load_[b]) {
                bal.buckets.push_back(b);
                bal.load += bucket_load_[b];
            }
        }
    }
    for (Bal &bal : bals) {
        std::stable_sort(bal.buckets.begin(), bal.buckets.end(), [&](uint32_t a, uint32_t b) {
            return bucket_load_[a] > bucket_load_[b];
        });
    }
    auto by_load = [](const Bal &a, const Bal &b) { return a.load > b.load; };
    std::stable_sort(bals.begin(), bals.end(), by_load);

    std::array<uint32_t, dp::kBondBuckets> before{};
    for (size_t b = 0; b < dp::kBondBuckets; b++) {
        int m = bucket_member_[b];
        before[b] = m >= 0 ? members_[size_t(m)].in.dp_port : 0;
    }
    bool moved = false;
    while (bals.size() >= 2) {
        Bal &from = bals.front();
        Bal &to = bals.back();
        uint64_t overload = from.load - to.load;
        if (overload < (to.load >> 5) || overload < kMinOverload) {
            break;
        }
        std::vector<uint32_t> chosen;
        uint64_t delta = 0;
        if (from.buckets.size() > 1) {
            uint64_t ideal = (from.load + to.load) / 2 - to.load;
            uint64_t threshold = ideal / 10;
            for (uint32_t b : from.buckets) {
                if (delta + bucket_load_[b] <= ideal) {
                    chosen.push_back(b);
                    delta += bucket_load_[b];
                    if (ideal - delta < threshold) {
                        break;
                    }
                }
            }
            if (chosen.empty()) {
                chosen.push_back(from.buckets.back());
                delta = bucket_load_[from.buckets.back()];
            }
            uint64_t new_low = std::min(from.load - delta, to.load + delta);
            if (new_low < to.load || new_low - to.load < threshold) {
                chosen.clear();
            }
        }
        if (chosen.empty()) {
            bals.erase(bals.begin());
            continue;
        }
        for (uint32_t b : chosen) {
            bucket_member_[b] = to.member;
            from.buckets.erase(std::find(from.buckets.begin(), from.buckets.end(), b));
        }
        from.load -= delta;
        to.load += delta;
        moved = true;
        std::stable_sort(bals.begin(), bals.end(), by_load);
    }
    if (moved) {
        COVERAGE_INC(bond_rebalanced);
        std::string carrying;
        for (size_t i = 0; i < members_.size(); i++) {
            if (!members_[i].enabled) {
                continue;
            }
            uint64_t load = 0;
            for (size_t b = 0; b < dp::kBondBuckets; b++) {
                load += bucket_member_[b] == int(i) ? bucket_load_[b] : 0;
            }
            carrying += fmt::format("{}{}:{}kB", carrying.empty() ? "" : " and ",
                                    members_[i].in.name, load / 1024);
        }
        VLOG_INFO("bond {}: rebalanced (now carrying: {})", name_, carrying);
        prev_ports_ = before;
        prev_basis_ = config_.hash_basis;
        grace_until_ = timeval::msec() + kMoveGraceMs;
        learning_pending_ = true;
    }
    for (uint64_t &load : bucket_load_) {
        load /= 2;
    }
}

EthAddr Bond::alb_mac(const Member &m) const
{
    /* Not the device's own address: the kernel would take frames for it
     * into its own IP stack as well, and answer them itself.  A locally
     * administered address made from the bridge's and the member's name
     * instead, the same after every restart. */
    EthAddr mac = host_.mac;
    uint32_t h = hash_bytes(m.in.name.data(), m.in.name.size(), 0x616c62);
    mac.b[0] = uint8_t((mac.b[0] | 0x02) & ~0x01);
    mac.b[3] ^= uint8_t(h >> 16);
    mac.b[4] ^= uint8_t(h >> 8);
    mac.b[5] ^= uint8_t(h | 1);
    if (mac == host_.mac) {
        mac.b[5] ^= 0x80;
    }
    return mac;
}

const std::set<Bond *> &Bond::all()
{
    return all_bonds();
}

void Bond::run()
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    int64_t now = timeval::msec();
    arp_tick(now);
    update_links();
    choose_active();
    bool level = member_came_up_;
    member_came_up_ = false;
    fill_buckets(level);
    /* A failover goes to the datapath first; reading its counters (which
     * may wait for the control thread) comes after. */
    publish();
    account();
    if (rebalancing() && now >= next_rebalance_) {
        next_rebalance_ = now + config_.rebalance_interval;
        rebalance();
    } else if (!rebalancing() && now >= next_rebalance_) {
        /* The loads shown by bond/show still decay, every 10 s. */
        next_rebalance_ = now + kDecayIntervalMs;
        for (uint64_t &load : bucket_load_) {
            load /= 2;
        }
    }
    publish();
    if (learning_pending_ && now - last_learning_ >= kLearningIntervalMs) {
        send_learning_packets();
    }
    send_peer_notifications();
    schedule();
}

int64_t Bond::next_wake() const
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    int64_t now = timeval::msec();
    if (!configured_) {
        return INT64_MAX;
    }
    int64_t next = now + 1000;          /* Keep the loads fresh. */
    for (const Member &m : members_) {
        if (m.delay_expires) {
            next = std::min(next, *m.delay_expires);
        }
    }
    next = std::min(next, next_rebalance_);
    if (config_.detect_mode == BondDetectMode::kMiimon) {
        next = std::min(next, next_miimon_);
    }
    if (learning_pending_) {
        next = std::min(next, last_learning_ + kLearningIntervalMs);
    }
    if (arp_monitor()) {
        next = std::min(next, next_arp_);
    }
    if (notif_remaining_) {
        next = std::min(next, next_notif_);
    }
    if (igmp_remaining_) {
        next = std::min(next, next_igmp_);
    }
    if (lacp_) {
        next = std::min(next, lacp_->next_wake(now));
    }
    return next;
}

void Bond::tick()
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    if (configured_ && timeval::msec() >= next_wake()) {
        run();
    }
}

void Bond::carrier_event(int ifindex, bool carrier)
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    bool changed = false;
    for (Member &m : members_) {
        if (m.ifindex && m.ifindex == ifindex && m.kernel_carrier != carrier) {
            m.kernel_carrier = carrier;
            changed = true;
        }
    }
    if (changed && config_.detect_mode != BondDetectMode::kMiimon) {
        run();
    }
}

void Bond::slow_frame(uint32_t port_no, const std::vector<uint8_t> &frame)
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    int member = -1;
    for (size_t i = 0; i < members_.size(); i++) {
        if (members_[i].in.dp_port == port_no) {
            member = int(i);
        }
    }
    if (member < 0) {
        return;
    }
    if (!lacp_) {
        static vlog::RateLimit rl(5, 20);
        COVERAGE_INC(bond_slow_frame_without_lacp);
        VLOG_DBG_RL(rl, "bond {}: member {}: dropping a slow protocol frame ({} bytes): LACP "
                    "is off", name_, members_[size_t(member)].in.name, frame.size());
        return;
    }
    COVERAGE_INC(bond_lacp_frame);
    int64_t now = timeval::msec();
    lacp_slow_frame(members_[size_t(member)], frame, now);
    /* Answers go out at once; the rest of the bond runs only if LACP
     * changed its mind about a member (a flood of PDUs costs little). */
    if (lacp_run(now)) {
        run();
    } else {
        schedule();
    }
}

void Bond::carrier_resync()
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    for (Member &m : members_) {
        RtnlLink link;
        if (m.ifindex && !rtnetlink_get_link_by_index(m.ifindex, &link)) {
            m.kernel_carrier = link.has_carrier();
        }
    }
    run();
}

void Bond::schedule()
{
    if (BondLiveness *live = BondLiveness::get()) {
        live->wake();
        return;
    }
    if (!loop_) {
        return;
    }
    int64_t now = timeval::msec();
    timer_.start_at(*loop_, std::max(next_wake(), now), [this] { run(); });
}

void Bond::publish()
{
    if (!datapath_ || bond_id_ == UINT32_MAX) {
        return;
    }
    auto t = std::make_shared<dp::BondTable>();
    t->bond_id = bond_id_;
    t->policy = config_.xmit_hash_policy;
    t->basis = config_.hash_basis;
    t->packets_per_member = config_.packets_per_member;
    t->all_members_active = config_.all_members_active && config_.mode == BondMode::kBalanceSlb;

    std::vector<uint32_t> ports;
    for (const Member &m : members_) {
        if (m.in.dp_port) {
            ports.push_back(m.in.dp_port);
        }
        if (m.enabled && m.in.dp_port) {
            t->enabled.push_back(m.in.dp_port);
        }
    }
    t->active = active_ >= 0 ? members_[size_t(active_)].in.dp_port : 0;
    for (size_t b = 0; b < dp::kBondBuckets; b++) {
        int m = bucket_member_[b];
        t->buckets[b] = m >= 0 ? members_[size_t(m)].in.dp_port : 0;
    }
    for (const Member &m : members_) {
        if (m.in.dp_port) {
            t->member_macs.push_back(alb_mac(m));
        }
    }
    t->host_mac = host_.mac;
    t->monitor = arp_monitor();
    t->filter = unsigned(config_.arp_validate) & 4u;
    t->members = ports;
    t->arp_targets = config_.arp_targets;
    t->ns_targets = config_.ns_targets;
    t->prev_buckets = prev_ports_;
    t->prev_basis = prev_basis_;
    t->grace_until = grace_until_;

    BondMode mode = config_.mode;
    bool lacp_on = lacp_ != nullptr;
    bool as_backup = false;
    bool dead = false;
    if (lacp_on && !lacp_negotiated_) {
        if (config_.lacp_fallback_ab) {
            as_backup = true;
        } else {
            dead = true;
        }
    } else if (!lacp_on && mode_needs_lacp(mode)) {
        dead = !config_.lacp_fallback_ab;
        as_backup = config_.lacp_fallback_ab;
    }
    if (as_backup) {
        mode = BondMode::kActiveBackup;
    }

    switch (mode) {
    case BondMode::kActiveBackup:
        t->tx = dp::BondTx::kActive;
        t->rx = dp::BondRx::kActiveOnly;
        break;
    case BondMode::kBalanceSlb:
    case BondMode::kBalanceTlb:
    case BondMode::kBalanceAlb:
        t->tx = dp::BondTx::kBuckets;
        t->hash = dp::BondHash::kSrcMacVlan;
        t->rx = dp::BondRx::kBalanced;
        t->dst_bucket_rule = true;
        break;
    case BondMode::kBalanceTcp:
        t->tx = dp::BondTx::kBuckets;
        t->hash = dp::BondHash::kSymmetricL34;
        t->rx = dp::BondRx::kBalanced;
        break;
    case BondMode::k8023ad:
        t->tx = dp::BondTx::kBuckets;
        t->hash = dp::BondHash::kPolicy;
        t->rx = dp::BondRx::kBalanced;
        break;
    /* balance-xor, balance-rr and broadcast need a static link aggregate
     * on the switch, which may send any frame, broadcast included, on any
     * link: every enabled member receives, as in Linux. */
    case BondMode::kBalanceXor:
        t->tx = dp::BondTx::kModulo;
        t->hash = dp::BondHash::kPolicy;
        t->rx = dp::BondRx::kEnabled;
        break;
    case BondMode::kBalanceRr:
        t->tx = dp::BondTx::kRoundRobin;
        t->rx = dp::BondRx::kEnabled;
        break;
    case BondMode::kBroadcast:
        t->tx = dp::BondTx::kBroadcast;
        t->rx = dp::BondRx::kEnabled;
        break;
    }
    t->alb = mode == BondMode::kBalanceAlb && !host_.mac.is_zero();
    /* With LACP's independent control a member collects before it
     * distributes: it receives, the bond does not send on it. */
    for (const Member &m : members_) {
        if (lacp_on && m.lacp_collecting && !m.enabled && m.link && !m.admin_disabled
            && m.in.dp_port) {
            t->collecting.push_back(m.in.dp_port);
        }
    }
    if (lacp_on && (lacp_negotiated_ || !t->collecting.empty())) {
        t->rx = dp::BondRx::kEnabled;
        t->dst_bucket_rule = false;
    }
    if (dead) {
        t->tx = dp::BondTx::kDrop;
        if (t->collecting.empty()) {
            t->rx = dp::BondRx::kDropAll;
        }
    }
    if (t->enabled.size() < config_.min_links) {
        t->tx = dp::BondTx::kDrop;
    }
    if (t->tx == dp::BondTx::kDrop) {
        t->alb = false;         /* Nothing leaves, ARP included. */
    }
    carrier_ok_ = t->tx != dp::BondTx::kDrop;

    /* Republish only what changed: a new table costs the threads an
     * atomic swap, nothing more, but there is no need for it. */
    if (table_ && *table_ == *t && ports == published_ports_) {
        return;
    }
    table_ = t;
    published_ports_ = ports;
    datapath_->set_bond(t, ports);
}

std::string Bond::config_error() const
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    return !config_error_.empty() ? config_error_ : lacp_error_;
}

std::optional<EthAddr> Bond::active_member_mac() const
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    if (active_ < 0) {
        return std::nullopt;
    }
    return members_[size_t(active_)].mac;
}

BondStatus Bond::status()
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    account();
    int64_t now = timeval::msec();
    BondStatus s;
    s.name = name_;
    s.bridge = bridge_;
    s.bond_id = bond_id_;
    s.config = config_;
    s.config_error = !config_error_.empty() ? config_error_ : lacp_error_;
    bool lacp_on = lacp_ != nullptr;
    s.lacp_status = !lacp_on ? "off" : lacp_negotiated_ ? "negotiated" : "configured";
    if (active_ >= 0) {
        s.active = members_[size_t(active_)].in.name;
        s.active_mac = members_[size_t(active_)].mac;
    }
    if (rebalancing()) {
        s.next_rebalance = next_rebalance_ - now;
    }
    s.carrier_ok = carrier_ok_;
    s.failovers = failovers_;
    s.drops = drops_;
    for (size_t i = 0; i < members_.size(); i++) {
        const Member &m = members_[i];
        BondMemberStatus ms;
        ms.name = m.in.name;
        ms.ofport = m.in.ofport;
        ms.dp_port = m.in.dp_port;
        ms.mac = m.mac;
        ms.enabled = m.enabled;
        ms.may_enable = m.link_up;
        ms.carrier = m.link;
        ms.admin_disabled = m.admin_disabled;
        ms.active = int(i) == active_;
        ms.primary = !config_.primary.empty() && config_.primary == m.in.name;
        ms.prio = m.prio;
        if (m.delay_expires) {
            ms.delay_remaining = *m.delay_expires - now;
            ms.delay_is_up = m.link_up;
        }
        ms.link_failures = m.link_failures;
        ms.arp_missed = arp_monitor() ? m.arp_missed : 0;
        if (config_.mode == BondMode::kBalanceAlb && !host_.mac.is_zero()) {
            ms.alb_mac = alb_mac(m);
        }
        if (m.in.netdev) {
            NetdevStats st;
            if (!m.in.netdev->get_stats(&st)) {
                ms.tx_packets = st.tx_packets;
                ms.tx_bytes = st.tx_bytes;
            }
        }
        for (uint32_t b = 0; b < dp::kBondBuckets; b++) {
            if (bucket_member_[b] == int(i)) {
                ms.buckets.emplace_back(b, bucket_load_[b]);
            }
        }
        std::stable_sort(ms.buckets.begin(), ms.buckets.end(),
                         [](const auto &a, const auto &b) { return a.second > b.second; });
        s.members.push_back(std::move(ms));
        if (m.lacp_id) {
            s.lacp_ids.emplace_back(m.in.name, m.lacp_id);
        }
    }
    if (lacp_) {
        s.lacp = lacp_->status();
    }
    return s;
}

bool Bond::set_active_member(const std::string &member, std::string *reply)
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    int i = find_member(member);
    if (i < 0) {
        *reply = "no such member";
        return false;
    }
    if (!members_[size_t(i)].enabled) {
        *reply = "cannot make disabled member active";
        return false;
    }
    if (active_ == i) {
        *reply = "no change";
        return true;
    }
    VLOG_INFO("bond {}: active member is now {} (by request)", name_, member);
    active_ = i;
    failovers_++;
    restore_mac_ = members_[size_t(i)].mac;
    learning_pending_ = true;
    if (status_changed_) {
        status_changed_();
    }
    if (config_.mode == BondMode::kActiveBackup || config_.mode == BondMode::kBalanceTlb
        || config_.mode == BondMode::kBalanceAlb) {
        notif_remaining_ = config_.num_peer_notif;
        next_notif_ = timeval::msec();
        igmp_remaining_ = config_.resend_igmp;
        next_igmp_ = timeval::msec();
        send_peer_notifications();
    }
    publish();
    send_learning_packets();
    schedule();
    *reply = "done";
    return true;
}

bool Bond::enable_member(const std::string &member, bool enable, std::string *reply)
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    int i = find_member(member);
    if (i < 0) {
        *reply = "no such member";
        return false;
    }
    Member &m = members_[size_t(i)];
    m.admin_disabled = !enable;
    m.delay_expires.reset();
    m.link_up = m.link && m.lacp_enable && !m.admin_disabled;
    set_enabled(m, m.link_up);
    run();
    *reply = enable ? "enabled" : "disabled";
    return true;
}

bool Bond::migrate(uint32_t bucket, const std::string &member, std::string *reply)
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    if (!balanced_buckets()) {
        *reply = fmt::format("not a bond with buckets (mode {})", bond_mode_to_string(config_.mode));
        return false;
    }
    if (bucket >= dp::kBondBuckets) {
        *reply = "bad hash";
        return false;
    }
    int i = find_member(member);
    if (i < 0) {
        *reply = "no such member";
        return false;
    }
    if (!members_[size_t(i)].enabled) {
        *reply = "cannot migrate to disabled member";
        return false;
    }
    if (bucket_member_[bucket] != i) {
        std::array<uint32_t, dp::kBondBuckets> before{};
        for (size_t b = 0; b < dp::kBondBuckets; b++) {
            int m = bucket_member_[b];
            before[b] = m >= 0 ? members_[size_t(m)].in.dp_port : 0;
        }
        bucket_member_[bucket] = i;
        prev_ports_ = before;
        prev_basis_ = config_.hash_basis;
        grace_until_ = timeval::msec() + kMoveGraceMs;
        learning_pending_ = true;
        publish();
        schedule();
    }
    *reply = "migrated";
    return true;
}

}  // namespace braid::ofproto
