/* Parsing of a bond's configuration (see ofproto/bond-settings.h).
 *
 * parse_bond_config() reads every key into a local BondConfig in a fixed
 * order and stops at the first bad value, so the caller's config is only
 * assigned once everything has been checked.  Cross-key rules (the primary
 * member, the detect mode and the ARP monitor) run after all single keys
 * have parsed. */
#include <config.h>

#include "ofproto/bond-settings.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "lib/coverage.h"
#include "lib/util.h"

BRAID_COVERAGE_DEFINE(bond_settings_rejected);

namespace braid::ofproto {

namespace {

constexpr long long kInt32Max = INT32_MAX;
constexpr long long kInt32Min = INT32_MIN;

/* The ARP monitor's interval when none is given. */
constexpr int64_t kDefaultArpInterval = 1000;

/* The MII monitor's interval when none is given. */
constexpr int64_t kDefaultMiimonInterval = 200;

/* The shortest rebalance interval; shorter nonzero ones are raised to it. */
constexpr int64_t kMinRebalanceInterval = 1000;

struct ModeName {
    BondMode mode;
    const char *name;
    const char *number;     /* Linux number, or nullptr. */
};

constexpr std::array<ModeName, 9> kModeNames{{
    {BondMode::kActiveBackup, "active-backup", "1"},
    {BondMode::kBalanceSlb, "balance-slb", nullptr},
    {BondMode::kBalanceTcp, "balance-tcp", nullptr},
    {BondMode::kBalanceRr, "balance-rr", "0"},
    {BondMode::kBalanceXor, "balance-xor", "2"},
    {BondMode::kBroadcast, "broadcast", "3"},
    {BondMode::k8023ad, "802.3ad", "4"},
    {BondMode::kBalanceTlb, "balance-tlb", "5"},
    {BondMode::kBalanceAlb, "balance-alb", "6"},
}};

std::optional<BondDetectMode> detect_mode_from_string(std::string_view s)
{
    if (s == "carrier") {
        return BondDetectMode::kCarrier;
    } else if (s == "miimon") {
        return BondDetectMode::kMiimon;
    } else if (s == "arp") {
        return BondDetectMode::kArp;
    } else if (s == "ns") {
        return BondDetectMode::kNs;
    }
    return std::nullopt;
}

std::optional<PrimaryReselect> primary_reselect_from_string(std::string_view s)
{
    if (s == "always" || s == "0") {
        return PrimaryReselect::kAlways;
    } else if (s == "better" || s == "1") {
        return PrimaryReselect::kBetter;
    } else if (s == "failure" || s == "2") {
        return PrimaryReselect::kFailure;
    }
    return std::nullopt;
}

std::optional<ArpValidate> arp_validate_from_string(std::string_view s)
{
    static constexpr std::array<ArpValidate, 7> kAll{
        ArpValidate::kNone,   ArpValidate::kActive,       ArpValidate::kBackup,
        ArpValidate::kAll,    ArpValidate::kFilter,       ArpValidate::kFilterActive,
        ArpValidate::kFilterBackup,
    };
    for (ArpValidate v : kAll) {
        if (s == arp_validate_to_string(v)) {
            return v;
        }
    }
    long long n;
    if (s.size() == 1 && parse_int(s, 0, 6, &n)) {
        return static_cast<ArpValidate>(n);
    }
    return std::nullopt;
}

/* Whether the Linux ARP monitor may run in 'mode'.  Linux refuses it with
 * 802.3ad, balance-tlb and balance-alb; balance-tcp is Braid's LACP mode. */
bool mode_allows_arp_monitor(BondMode mode)
{
    switch (mode) {
    case BondMode::kBalanceTcp:
    case BondMode::k8023ad:
    case BondMode::kBalanceTlb:
    case BondMode::kBalanceAlb:
        return false;
    case BondMode::kActiveBackup:
    case BondMode::kBalanceSlb:
    case BondMode::kBalanceRr:
    case BondMode::kBalanceXor:
    case BondMode::kBroadcast:
        return true;
    }
    return false;
}

/* Splits 'value' at commas and white space, dropping empty items. */
std::vector<std::string_view> split_list(std::string_view value)
{
    std::vector<std::string_view> items;
    size_t start = 0;
    for (size_t i = 0; i <= value.size(); i++) {
        if (i == value.size() || value[i] == ',' || value[i] == ' ' || value[i] == '\t'
            || value[i] == '\n') {
            if (i > start) {
                items.push_back(value.substr(start, i - start));
            }
            start = i + 1;
        }
    }
    return items;
}

/* Reads one port's keys, remembering the first problem in 'error_'. */
class Parser {
public:
    explicit Parser(const PortSettings &port) : port_(port) {}

    bool run(BondConfig *out);
    const std::string &error() const { return error_; }

private:
    const std::string *find(const std::string &key) const
    {
        auto it = port_.other_config.find(key);
        return it == port_.other_config.end() ? nullptr : &it->second;
    }

    /* The value of other_config 'key', or "" if it has none. */
    std::string value_of(const std::string &key) const
    {
        const std::string *s = find(key);
        return s ? *s : std::string();
    }

    bool fail(std::string_view key, std::string_view problem, std::string_view value)
    {
        error_ = fmt::format("{}: {} \"{}\"", key, problem, value);
        return false;
    }

    /* Parses other_config 'key', if present, as an integer in [min, max]
     * into '*value'.  Sets '*present' (if nonnull) to whether the key was
     * there. */
    template <typename T>
    bool get_int(const std::string &key, long long min, long long max, T *value,
                 bool *present = nullptr)
    {
        const std::string *s = find(key);
        if (present) {
            *present = s != nullptr;
        }
        if (!s) {
            return true;
        }
        long long n;
        if (!parse_int(*s, min, max, &n)) {
            return fail(key, fmt::format("not a number in {}..{}", min, max), *s);
        }
        *value = static_cast<T>(n);
        return true;
    }

    /* Parses other_config 'key', if present, as "true" or "false". */
    bool get_bool(const std::string &key, bool *value)
    {
        const std::string *s = find(key);
        if (!s) {
            return true;
        }
        if (*s == "true") {
            *value = true;
        } else if (*s == "false") {
            *value = false;
        } else {
            return fail(key, "not true or false", *s);
        }
        return true;
    }

    bool parse_mode(BondConfig &c);
    bool parse_enums(BondConfig &c);
    bool parse_numbers(BondConfig &c);
    bool parse_members(BondConfig &c);
    bool parse_lacp(BondConfig &c);
    bool parse_targets(BondConfig &c);
    bool choose_detect_mode(BondConfig &c);

    const PortSettings &port_;
    std::string error_;

    /* What choose_detect_mode() needs from the earlier steps. */
    const std::string *detect_mode_value_ = nullptr;
    int64_t miimon_interval_ = 0;
    int64_t arp_interval_ = 0;
};

bool Parser::parse_mode(BondConfig &c)
{
    if (const std::string *s = find("bond-mode")) {
        std::optional<BondMode> mode = bond_mode_from_string(*s);
        if (!mode) {
            return fail("bond-mode", "unknown mode", *s);
        }
        c.mode = *mode;
    } else if (!port_.bond.bond_mode.empty()) {
        std::optional<BondMode> mode = bond_mode_from_string(port_.bond.bond_mode);
        if (!mode) {
            return fail("bond_mode", "unknown mode", port_.bond.bond_mode);
        }
        c.mode = *mode;
    }
    return true;
}

bool Parser::parse_enums(BondConfig &c)
{
    if (const std::string *s = find("bond-xmit-hash-policy")) {
        std::optional<XmitHashPolicy> policy = xmit_hash_policy_from_string(*s);
        if (!policy) {
            return fail("bond-xmit-hash-policy", "unknown policy", *s);
        }
        c.xmit_hash_policy = *policy;
    }
    if (const std::string *s = find("bond-detect-mode")) {
        std::optional<BondDetectMode> mode = detect_mode_from_string(*s);
        if (!mode) {
            return fail("bond-detect-mode", "unknown mode", *s);
        }
        c.detect_mode = *mode;
        detect_mode_value_ = s;
    }
    if (const std::string *s = find("bond-primary-reselect")) {
        std::optional<PrimaryReselect> r = primary_reselect_from_string(*s);
        if (!r) {
            return fail("bond-primary-reselect", "unknown policy", *s);
        }
        c.primary_reselect = *r;
    }
    if (const std::string *s = find("bond-arp-validate")) {
        std::optional<ArpValidate> v = arp_validate_from_string(*s);
        if (!v) {
            return fail("bond-arp-validate", "unknown value", *s);
        }
        c.arp_validate = *v;
    }
    if (const std::string *s = find("bond-arp-all-targets")) {
        if (*s == "any" || *s == "0") {
            c.arp_all_targets = false;
        } else if (*s == "all" || *s == "1") {
            c.arp_all_targets = true;
        } else {
            return fail("bond-arp-all-targets", "unknown value", *s);
        }
    }
    return get_bool("all-members-active", &c.all_members_active)
           && get_bool("lacp-fallback-ab", &c.lacp_fallback_ab)
           && get_bool("bond-tlb-dynamic-lb", &c.tlb_dynamic_lb);
}

bool Parser::parse_numbers(BondConfig &c)
{
    if (!get_int("bond-packets-per-member", 0, 65535, &c.packets_per_member)
        || !get_int("bond-miimon-interval", 0, kInt32Max, &miimon_interval_)
        || !get_int("bond-arp-interval", 0, kInt32Max, &arp_interval_)
        || !get_int("bond-rebalance-interval", 0, kInt32Max, &c.rebalance_interval)
        || !get_int("bond-hash-basis", 0, UINT32_MAX, &c.hash_basis)
        || !get_int("bond-min-links", 0, 1 << 16, &c.min_links)
        || !get_int("bond-arp-missed-max", 1, 255, &c.arp_missed_max)
        || !get_int("bond-num-peer-notif", 0, 255, &c.num_peer_notif)
        || !get_int("bond-peer-notif-delay", 0, kInt32Max, &c.peer_notif_delay)
        || !get_int("bond-resend-igmp", 0, 255, &c.resend_igmp)
        || !get_int("bond-lp-interval", 1, kInt32Max, &c.lp_interval)) {
        return false;
    }
    c.miimon_interval = miimon_interval_ > 0 ? miimon_interval_ : kDefaultMiimonInterval;
    if (c.rebalance_interval > 0 && c.rebalance_interval < kMinRebalanceInterval) {
        c.rebalance_interval = kMinRebalanceInterval;
    }
    c.updelay = std::clamp<int64_t>(port_.bond.updelay, 0, INT32_MAX);
    c.downdelay = std::clamp<int64_t>(port_.bond.downdelay, 0, INT32_MAX);
    return true;
}

bool Parser::parse_members(BondConfig &c)
{
    for (const InterfaceSettings &iface : port_.interfaces) {
        auto it = iface.other_config.find("bond-member-prio");
        if (it == iface.other_config.end()) {
            continue;
        }
        long long prio;
        if (!parse_int(it->second, kInt32Min, kInt32Max, &prio)) {
            return fail("bond-member-prio",
                        fmt::format("not a number in {}..{} for interface {}", kInt32Min,
                                    kInt32Max, iface.name),
                        it->second);
        }
        c.member_prio[iface.name] = prio;
    }
    if (const std::string *s = find("bond-primary"); s && !s->empty()) {
        bool found = std::any_of(port_.interfaces.begin(), port_.interfaces.end(),
                                 [s](const InterfaceSettings &i) { return i.name == *s; });
        if (!found) {
            return fail("bond-primary", fmt::format("not an interface of port {}", port_.name),
                        *s);
        }
        c.primary = *s;
    }
    return true;
}

bool Parser::parse_lacp(BondConfig &c)
{
    const std::string &lacp = port_.bond.lacp;
    if (lacp.empty() || lacp == "off") {
        c.lacp = "off";
    } else if (lacp == "active" || lacp == "passive") {
        c.lacp = lacp;
    } else {
        return fail("lacp", "not active, passive or off", lacp);
    }
    return true;
}

bool Parser::parse_targets(BondConfig &c)
{
    if (const std::string *s = find("bond-arp-ip-targets")) {
        static const std::string kKey = "bond-arp-ip-targets";
        std::vector<std::string_view> items = split_list(*s);
        if (items.size() > kBondMaxArpTargets) {
            return fail(kKey, fmt::format("more than {} targets", kBondMaxArpTargets), *s);
        }
        for (std::string_view item : items) {
            std::optional<be32> addr = ipv4_parse(item);
            if (!addr) {
                return fail(kKey, "not an IPv4 address", item);
            }
            const uint8_t *b = addr->data();
            bool broadcast = b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255;
            if (b[0] == 0 || broadcast) {
                return fail(kKey, "not a usable target address", item);
            }
            if (std::find(c.arp_targets.begin(), c.arp_targets.end(), *addr)
                != c.arp_targets.end()) {
                return fail(kKey, "duplicate target", item);
            }
            c.arp_targets.push_back(*addr);
        }
    }
    if (const std::string *s = find("bond-ns-ip6-targets")) {
        static const std::string kKey = "bond-ns-ip6-targets";
        std::vector<std::string_view> items = split_list(*s);
        if (items.size() > kBondMaxArpTargets) {
            return fail(kKey, fmt::format("more than {} targets", kBondMaxArpTargets), *s);
        }
        for (std::string_view item : items) {
            std::optional<In6Addr> addr = In6Addr::parse(item);
            if (!addr) {
                return fail(kKey, "not an IPv6 address", item);
            }
            static constexpr In6Addr kLoopback{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
            if (addr->is_zero() || addr->is_multicast() || *addr == kLoopback) {
                return fail(kKey, "not a usable target address", item);
            }
            if (std::find(c.ns_targets.begin(), c.ns_targets.end(), *addr)
                != c.ns_targets.end()) {
                return fail(kKey, "duplicate target", item);
            }
            c.ns_targets.push_back(*addr);
        }
    }
    return true;
}

bool Parser::choose_detect_mode(BondConfig &c)
{
    /* The key that asked for the ARP monitor, and its value, for errors. */
    std::string key;
    std::string value;

    if (detect_mode_value_) {
        /* Explicit: c.detect_mode is already set. */
        key = "bond-detect-mode";
        value = *detect_mode_value_;
    } else if (arp_interval_ > 0 && miimon_interval_ > 0) {
        return fail("bond-arp-interval",
                    "cannot be used with bond-miimon-interval without bond-detect-mode",
                    value_of("bond-arp-interval"));
    } else if (arp_interval_ > 0) {
        c.detect_mode = !c.arp_targets.empty() || c.ns_targets.empty() ? BondDetectMode::kArp
                                                                       : BondDetectMode::kNs;
        key = "bond-arp-interval";
        value = value_of("bond-arp-interval");
    } else if (miimon_interval_ > 0) {
        c.detect_mode = BondDetectMode::kMiimon;
    } else if (!c.arp_targets.empty()) {
        c.detect_mode = BondDetectMode::kArp;
        key = "bond-arp-ip-targets";
        value = value_of("bond-arp-ip-targets");
    } else if (!c.ns_targets.empty()) {
        c.detect_mode = BondDetectMode::kNs;
        key = "bond-ns-ip6-targets";
        value = value_of("bond-ns-ip6-targets");
    } else {
        c.detect_mode = BondDetectMode::kCarrier;
    }

    if (c.detect_mode != BondDetectMode::kArp && c.detect_mode != BondDetectMode::kNs) {
        c.arp_interval = 0;
        return true;
    }
    if (!mode_allows_arp_monitor(c.mode)) {
        return fail(key,
                    fmt::format("the ARP monitor cannot be used in mode {}",
                                bond_mode_to_string(c.mode)),
                    value);
    }
    if (c.arp_targets.empty() && c.ns_targets.empty()) {
        return fail(key, "the ARP monitor needs bond-arp-ip-targets or bond-ns-ip6-targets",
                    value);
    }
    c.arp_interval = arp_interval_ > 0 ? arp_interval_ : kDefaultArpInterval;
    return true;
}

bool Parser::run(BondConfig *out)
{
    BondConfig c;
    if (!parse_mode(c) || !parse_enums(c) || !parse_numbers(c) || !parse_members(c)
        || !parse_lacp(c) || !parse_targets(c) || !choose_detect_mode(c)) {
        return false;
    }
    *out = std::move(c);
    return true;
}

}  // namespace

const char *bond_mode_to_string(BondMode mode)
{
    for (const ModeName &m : kModeNames) {
        if (m.mode == mode) {
            return m.name;
        }
    }
    return "<unknown>";
}

std::optional<BondMode> bond_mode_from_string(const std::string &s)
{
    for (const ModeName &m : kModeNames) {
        if (s == m.name || (m.number && s == m.number)) {
            return m.mode;
        }
    }
    return std::nullopt;
}

const char *bond_detect_mode_to_string(BondDetectMode mode)
{
    switch (mode) {
    case BondDetectMode::kCarrier:
        return "carrier";
    case BondDetectMode::kMiimon:
        return "miimon";
    case BondDetectMode::kArp:
        return "arp";
    case BondDetectMode::kNs:
        return "ns";
    }
    return "<unknown>";
}

const char *primary_reselect_to_string(PrimaryReselect r)
{
    switch (r) {
    case PrimaryReselect::kAlways:
        return "always";
    case PrimaryReselect::kBetter:
        return "better";
    case PrimaryReselect::kFailure:
        return "failure";
    }
    return "<unknown>";
}

const char *arp_validate_to_string(ArpValidate v)
{
    switch (v) {
    case ArpValidate::kNone:
        return "none";
    case ArpValidate::kActive:
        return "active";
    case ArpValidate::kBackup:
        return "backup";
    case ArpValidate::kAll:
        return "all";
    case ArpValidate::kFilter:
        return "filter";
    case ArpValidate::kFilterActive:
        return "filter_active";
    case ArpValidate::kFilterBackup:
        return "filter_backup";
    }
    return "<unknown>";
}

bool parse_bond_config(const PortSettings &port, BondConfig *config, std::string *error)
{
    Parser parser(port);
    if (!parser.run(config)) {
        COVERAGE_INC(bond_settings_rejected);
        *error = parser.error();
        return false;
    }
    return true;
}

}  // namespace braid::ofproto
