/* Unit tests for the bond configuration parser (ofproto/bond-settings.cc).
 *
 * Every failing case also checks that the caller's config is left exactly as
 * it was: it starts as a config that differs from the defaults in every
 * field (kSentinel below) and must compare equal to it afterwards. */
#include <config.h>

#include "ofproto/bond-settings.h"

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace braid::ofproto {
namespace {

using Keys = std::map<std::string, std::string>;

/* A port named "bond0" with interfaces "eth0" and "eth1" and 'keys' in its
 * other_config. */
PortSettings make_port(const Keys &keys = {})
{
    PortSettings port;
    port.name = "bond0";
    for (const char *name : {"eth0", "eth1"}) {
        InterfaceSettings iface;
        iface.name = name;
        port.interfaces.push_back(iface);
    }
    port.other_config = keys;
    return port;
}

/* A config in which every field differs from its default. */
BondConfig make_sentinel()
{
    BondConfig c;
    c.mode = BondMode::kBalanceXor;
    c.xmit_hash_policy = XmitHashPolicy::kLayer34;
    c.packets_per_member = 7;
    c.detect_mode = BondDetectMode::kArp;
    c.miimon_interval = 123;
    c.updelay = 11;
    c.downdelay = 22;
    c.rebalance_interval = 3333;
    c.hash_basis = 99;
    c.primary = "eth1";
    c.primary_reselect = PrimaryReselect::kFailure;
    c.member_prio = {{"eth0", 5}};
    c.min_links = 2;
    c.all_members_active = true;
    c.lacp_fallback_ab = true;
    c.lacp = "passive";
    c.arp_interval = 444;
    c.arp_targets = {*ipv4_parse("198.51.100.7")};
    c.ns_targets = {*In6Addr::parse("2001:db8::7")};
    c.arp_validate = ArpValidate::kFilterBackup;
    c.arp_all_targets = true;
    c.arp_missed_max = 9;
    c.num_peer_notif = 3;
    c.peer_notif_delay = 55;
    c.resend_igmp = 4;
    c.tlb_dynamic_lb = false;
    c.lp_interval = 6;
    return c;
}

/* The result of parsing a port. */
struct Result {
    bool ok;
    BondConfig config;
    std::string error;
};

/* Parses 'port' into a copy of the sentinel. */
Result parse_port(const PortSettings &port)
{
    Result r{false, make_sentinel(), ""};
    r.ok = parse_bond_config(port, &r.config, &r.error);
    return r;
}

Result parse(const Keys &keys)
{
    return parse_port(make_port(keys));
}

/* Parses 'keys', expects success, and returns the config. */
BondConfig parse_ok(const Keys &keys)
{
    Result r = parse(keys);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.error, "");
    return r.config;
}

/* Expects that parsing 'port' fails with a message that begins with "key: ",
 * quotes 'value', has no trailing period, and leaves the config alone. */
void expect_port_error(const PortSettings &port, const std::string &key,
                       const std::string &value)
{
    Result r = parse_port(port);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.rfind(key + ": ", 0), 0u) << r.error;
    EXPECT_NE(r.error.find("\"" + value + "\""), std::string::npos) << r.error;
    ASSERT_FALSE(r.error.empty());
    EXPECT_NE(r.error.back(), '.') << r.error;
    EXPECT_EQ(r.error.find('\n'), std::string::npos) << r.error;
    EXPECT_TRUE(r.config == make_sentinel()) << "config changed on error: " << r.error;
}

void expect_error(const Keys &keys, const std::string &key, const std::string &value)
{
    expect_port_error(make_port(keys), key, value);
}

/* 'n' distinct IPv4 targets 192.0.2.1, 192.0.2.2, ..., joined by 'sep'. */
std::string ipv4_list(int n, const char *sep = ",")
{
    std::string s;
    for (int i = 1; i <= n; i++) {
        s += fmt::format("{}192.0.2.{}", i > 1 ? sep : "", i);
    }
    return s;
}

/* 'n' distinct IPv6 targets 2001:db8::1, 2001:db8::2, ..., joined by 'sep'. */
std::string ipv6_list(int n, const char *sep = ",")
{
    std::string s;
    for (int i = 1; i <= n; i++) {
        s += fmt::format("{}2001:db8::{:x}", i > 1 ? sep : "", i);
    }
    return s;
}

TEST(BondSettings, SentinelDiffersFromDefaultsEverywhere)
{
    /* The untouched-config checks only mean something if the sentinel is not
     * what a successful parse of an empty port yields. */
    BondConfig d;
    d.lacp = "off";
    BondConfig s = make_sentinel();
    EXPECT_NE(s.mode, d.mode);
    EXPECT_NE(s.detect_mode, d.detect_mode);
    EXPECT_NE(s.lacp, d.lacp);
    EXPECT_NE(s.arp_targets, d.arp_targets);
    EXPECT_NE(s.member_prio, d.member_prio);
    EXPECT_FALSE(s == d);
}

TEST(BondSettings, DefaultsWithEmptyPort)
{
    PortSettings port;
    Result r = parse_port(port);
    ASSERT_TRUE(r.ok) << r.error;
    const BondConfig &c = r.config;
    EXPECT_EQ(c.mode, BondMode::kActiveBackup);
    EXPECT_EQ(c.xmit_hash_policy, XmitHashPolicy::kLayer2);
    EXPECT_EQ(c.packets_per_member, 1u);
    EXPECT_EQ(c.detect_mode, BondDetectMode::kCarrier);
    EXPECT_EQ(c.miimon_interval, 200);
    EXPECT_EQ(c.updelay, 0);
    EXPECT_EQ(c.downdelay, 0);
    EXPECT_EQ(c.rebalance_interval, 10000);
    EXPECT_EQ(c.hash_basis, 0u);
    EXPECT_EQ(c.primary, "");
    EXPECT_EQ(c.primary_reselect, PrimaryReselect::kAlways);
    EXPECT_TRUE(c.member_prio.empty());
    EXPECT_EQ(c.min_links, 0u);
    EXPECT_FALSE(c.all_members_active);
    EXPECT_FALSE(c.lacp_fallback_ab);
    EXPECT_EQ(c.lacp, "off");
    EXPECT_EQ(c.arp_interval, 0);
    EXPECT_TRUE(c.arp_targets.empty());
    EXPECT_TRUE(c.ns_targets.empty());
    EXPECT_EQ(c.arp_validate, ArpValidate::kNone);
    EXPECT_FALSE(c.arp_all_targets);
    EXPECT_EQ(c.arp_missed_max, 2u);
    EXPECT_EQ(c.num_peer_notif, 1u);
    EXPECT_EQ(c.peer_notif_delay, 0);
    EXPECT_EQ(c.resend_igmp, 1u);
    EXPECT_TRUE(c.tlb_dynamic_lb);
    EXPECT_EQ(c.lp_interval, 1);

    /* The same holds for a port with interfaces but no keys. */
    BondConfig expected;
    expected.lacp = "off";
    EXPECT_TRUE(parse_ok({}) == expected);
}

TEST(BondSettings, ModeNamesAndNumbers)
{
    const std::vector<std::pair<std::string, BondMode>> cases = {
        {"active-backup", BondMode::kActiveBackup}, {"balance-slb", BondMode::kBalanceSlb},
        {"balance-tcp", BondMode::kBalanceTcp},     {"balance-rr", BondMode::kBalanceRr},
        {"balance-xor", BondMode::kBalanceXor},     {"broadcast", BondMode::kBroadcast},
        {"802.3ad", BondMode::k8023ad},             {"balance-tlb", BondMode::kBalanceTlb},
        {"balance-alb", BondMode::kBalanceAlb},     {"0", BondMode::kBalanceRr},
        {"1", BondMode::kActiveBackup},             {"2", BondMode::kBalanceXor},
        {"3", BondMode::kBroadcast},                {"4", BondMode::k8023ad},
        {"5", BondMode::kBalanceTlb},               {"6", BondMode::kBalanceAlb},
    };
    for (const auto &[text, mode] : cases) {
        SCOPED_TRACE(text);
        EXPECT_EQ(bond_mode_from_string(text), mode);
        EXPECT_EQ(parse_ok({{"bond-mode", text}}).mode, mode);
        PortSettings port = make_port();
        port.bond.bond_mode = text;
        Result r = parse_port(port);
        ASSERT_TRUE(r.ok) << r.error;
        EXPECT_EQ(r.config.mode, mode);
    }
    for (const char *bad : {"", "7", "-1", "01", "Active-Backup", "balance-foo", "802.3ad "}) {
        SCOPED_TRACE(bad);
        EXPECT_EQ(bond_mode_from_string(bad), std::nullopt);
    }
}

TEST(BondSettings, ModeToStringRoundTrips)
{
    for (BondMode mode : {BondMode::kActiveBackup, BondMode::kBalanceSlb, BondMode::kBalanceTcp,
                          BondMode::kBalanceRr, BondMode::kBalanceXor, BondMode::kBroadcast,
                          BondMode::k8023ad, BondMode::kBalanceTlb, BondMode::kBalanceAlb}) {
        EXPECT_EQ(bond_mode_from_string(bond_mode_to_string(mode)), mode);
    }
    EXPECT_STREQ(bond_mode_to_string(BondMode::k8023ad), "802.3ad");
    EXPECT_STREQ(bond_mode_to_string(BondMode::kBalanceSlb), "balance-slb");
}

TEST(BondSettings, OtherToStrings)
{
    EXPECT_STREQ(bond_detect_mode_to_string(BondDetectMode::kCarrier), "carrier");
    EXPECT_STREQ(bond_detect_mode_to_string(BondDetectMode::kMiimon), "miimon");
    EXPECT_STREQ(bond_detect_mode_to_string(BondDetectMode::kArp), "arp");
    EXPECT_STREQ(bond_detect_mode_to_string(BondDetectMode::kNs), "ns");
    EXPECT_STREQ(primary_reselect_to_string(PrimaryReselect::kAlways), "always");
    EXPECT_STREQ(primary_reselect_to_string(PrimaryReselect::kBetter), "better");
    EXPECT_STREQ(primary_reselect_to_string(PrimaryReselect::kFailure), "failure");
    EXPECT_STREQ(arp_validate_to_string(ArpValidate::kNone), "none");
    EXPECT_STREQ(arp_validate_to_string(ArpValidate::kActive), "active");
    EXPECT_STREQ(arp_validate_to_string(ArpValidate::kBackup), "backup");
    EXPECT_STREQ(arp_validate_to_string(ArpValidate::kAll), "all");
    EXPECT_STREQ(arp_validate_to_string(ArpValidate::kFilter), "filter");
    EXPECT_STREQ(arp_validate_to_string(ArpValidate::kFilterActive), "filter_active");
    EXPECT_STREQ(arp_validate_to_string(ArpValidate::kFilterBackup), "filter_backup");
}

TEST(BondSettings, BondModeKeyOverridesColumn)
{
    PortSettings port = make_port({{"bond-mode", "balance-xor"}});
    port.bond.bond_mode = "balance-slb";
    Result r = parse_port(port);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.config.mode, BondMode::kBalanceXor);

    /* Without the key the column counts; an empty column is active-backup. */
    port.other_config.clear();
    r = parse_port(port);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.config.mode, BondMode::kBalanceSlb);
    port.bond.bond_mode = "";
    r = parse_port(port);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.config.mode, BondMode::kActiveBackup);

    /* A bad key is an error even if the column is good, and a bad column
     * is an error when there is no key. */
    port.bond.bond_mode = "balance-tcp";
    port.other_config = {{"bond-mode", "balance-foo"}};
    expect_port_error(port, "bond-mode", "balance-foo");
    port.other_config.clear();
    port.bond.bond_mode = "round-robin";
    expect_port_error(port, "bond_mode", "round-robin");
}

TEST(BondSettings, XmitHashPolicy)
{
    const std::vector<std::pair<std::string, XmitHashPolicy>> cases = {
        {"layer2", XmitHashPolicy::kLayer2},     {"layer2+3", XmitHashPolicy::kLayer23},
        {"layer3+4", XmitHashPolicy::kLayer34},  {"encap2+3", XmitHashPolicy::kEncap23},
        {"encap3+4", XmitHashPolicy::kEncap34},  {"vlan+srcmac", XmitHashPolicy::kVlanSrcMac},
        {"0", XmitHashPolicy::kLayer2},          {"1", XmitHashPolicy::kLayer34},
        {"2", XmitHashPolicy::kLayer23},         {"3", XmitHashPolicy::kEncap23},
        {"4", XmitHashPolicy::kEncap34},         {"5", XmitHashPolicy::kVlanSrcMac},
    };
    for (const auto &[text, policy] : cases) {
        SCOPED_TRACE(text);
        EXPECT_EQ(parse_ok({{"bond-xmit-hash-policy", text}}).xmit_hash_policy, policy);
    }
    expect_error({{"bond-xmit-hash-policy", "layer4"}}, "bond-xmit-hash-policy", "layer4");
    expect_error({{"bond-xmit-hash-policy", "6"}}, "bond-xmit-hash-policy", "6");
}

TEST(BondSettings, PacketsPerMember)
{
    EXPECT_EQ(parse_ok({{"bond-packets-per-member", "0"}}).packets_per_member, 0u);
    EXPECT_EQ(parse_ok({{"bond-packets-per-member", "3"}}).packets_per_member, 3u);
    EXPECT_EQ(parse_ok({{"bond-packets-per-member", "65535"}}).packets_per_member, 65535u);
    expect_error({{"bond-packets-per-member", "65536"}}, "bond-packets-per-member", "65536");
    expect_error({{"bond-packets-per-member", "-1"}}, "bond-packets-per-member", "-1");
    expect_error({{"bond-packets-per-member", "x"}}, "bond-packets-per-member", "x");
}

TEST(BondSettings, DetectModeExplicit)
{
    EXPECT_EQ(parse_ok({{"bond-detect-mode", "carrier"}}).detect_mode,
              BondDetectMode::kCarrier);

    BondConfig c = parse_ok({{"bond-detect-mode", "miimon"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kMiimon);
    EXPECT_EQ(c.miimon_interval, 200);
    c = parse_ok({{"bond-detect-mode", "miimon"}, {"bond-miimon-interval", "0"}});
    EXPECT_EQ(c.miimon_interval, 200);
    c = parse_ok({{"bond-detect-mode", "miimon"}, {"bond-miimon-interval", "50"}});
    EXPECT_EQ(c.miimon_interval, 50);

    c = parse_ok({{"bond-detect-mode", "arp"}, {"bond-arp-ip-targets", "192.0.2.1"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kArp);
    EXPECT_EQ(c.arp_interval, 1000);
    c = parse_ok({{"bond-detect-mode", "ns"}, {"bond-ns-ip6-targets", "2001:db8::1"},
                  {"bond-arp-interval", "250"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kNs);
    EXPECT_EQ(c.arp_interval, 250);

    /* An explicit mode wins over the intervals. */
    c = parse_ok({{"bond-detect-mode", "carrier"}, {"bond-miimon-interval", "100"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kCarrier);
    EXPECT_EQ(c.miimon_interval, 100);
    c = parse_ok({{"bond-detect-mode", "miimon"}, {"bond-arp-interval", "100"},
                  {"bond-arp-ip-targets", "192.0.2.1"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kMiimon);
    EXPECT_EQ(c.arp_interval, 0);
    EXPECT_EQ(c.arp_targets.size(), 1u);

    expect_error({{"bond-detect-mode", "mii"}}, "bond-detect-mode", "mii");
    expect_error({{"bond-detect-mode", ""}}, "bond-detect-mode", "");
}

TEST(BondSettings, DetectModeInference)
{
    BondConfig c = parse_ok({{"bond-miimon-interval", "100"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kMiimon);
    EXPECT_EQ(c.miimon_interval, 100);
    EXPECT_EQ(c.arp_interval, 0);

    /* A zero interval turns its monitor off, as in Linux. */
    c = parse_ok({{"bond-miimon-interval", "0"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kCarrier);
    EXPECT_EQ(c.miimon_interval, 200);
    c = parse_ok({{"bond-arp-interval", "0"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kCarrier);
    EXPECT_EQ(c.arp_interval, 0);

    c = parse_ok({{"bond-arp-interval", "300"}, {"bond-arp-ip-targets", "192.0.2.1"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kArp);
    EXPECT_EQ(c.arp_interval, 300);
    c = parse_ok({{"bond-arp-interval", "300"}, {"bond-ns-ip6-targets", "2001:db8::1"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kNs);
    EXPECT_EQ(c.arp_interval, 300);
    c = parse_ok({{"bond-arp-interval", "300"}, {"bond-arp-ip-targets", "192.0.2.1"},
                  {"bond-ns-ip6-targets", "2001:db8::1"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kArp);
    EXPECT_EQ(c.arp_targets.size(), 1u);
    EXPECT_EQ(c.ns_targets.size(), 1u);

    /* Targets alone ask for the ARP monitor at its default interval. */
    c = parse_ok({{"bond-ns-ip6-targets", "2001:db8::1"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kNs);
    EXPECT_EQ(c.arp_interval, 1000);
    c = parse_ok({{"bond-arp-ip-targets", "192.0.2.1"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kArp);
    EXPECT_EQ(c.arp_interval, 1000);

    /* The MII monitor's interval is stronger evidence than targets. */
    c = parse_ok({{"bond-miimon-interval", "100"}, {"bond-arp-ip-targets", "192.0.2.1"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kMiimon);
    EXPECT_EQ(c.arp_interval, 0);

    /* Both monitors' intervals without a detect mode is a contradiction. */
    expect_error({{"bond-miimon-interval", "100"}, {"bond-arp-interval", "100"},
                  {"bond-arp-ip-targets", "192.0.2.1"}},
                 "bond-arp-interval", "100");
    c = parse_ok({{"bond-miimon-interval", "100"}, {"bond-arp-interval", "100"},
                  {"bond-arp-ip-targets", "192.0.2.1"}, {"bond-detect-mode", "arp"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kArp);
    EXPECT_EQ(c.arp_interval, 100);
}

TEST(BondSettings, Intervals)
{
    expect_error({{"bond-miimon-interval", "-1"}}, "bond-miimon-interval", "-1");
    expect_error({{"bond-miimon-interval", "2147483648"}}, "bond-miimon-interval",
                 "2147483648");
    expect_error({{"bond-miimon-interval", "100ms"}}, "bond-miimon-interval", "100ms");
    expect_error({{"bond-arp-interval", "-5"}}, "bond-arp-interval", "-5");
    expect_error({{"bond-arp-interval", ""}}, "bond-arp-interval", "");
    EXPECT_EQ(parse_ok({{"bond-miimon-interval", "2147483647"}}).miimon_interval, 2147483647);
}

TEST(BondSettings, RebalanceIntervalClamping)
{
    const std::vector<std::pair<std::string, int64_t>> cases = {
        {"0", 0},       {"1", 1000},       {"500", 1000},
        {"999", 1000},  {"1000", 1000},    {"1001", 1001},
        {"5000", 5000}, {"2147483647", 2147483647},
    };
    for (const auto &[text, expected] : cases) {
        SCOPED_TRACE(text);
        EXPECT_EQ(parse_ok({{"bond-rebalance-interval", text}}).rebalance_interval, expected);
    }
    expect_error({{"bond-rebalance-interval", "-1"}}, "bond-rebalance-interval", "-1");
    expect_error({{"bond-rebalance-interval", "2147483648"}}, "bond-rebalance-interval",
                 "2147483648");
}

TEST(BondSettings, HashBasis)
{
    EXPECT_EQ(parse_ok({{"bond-hash-basis", "0"}}).hash_basis, 0u);
    EXPECT_EQ(parse_ok({{"bond-hash-basis", "12345"}}).hash_basis, 12345u);
    EXPECT_EQ(parse_ok({{"bond-hash-basis", "4294967295"}}).hash_basis, 4294967295u);
    expect_error({{"bond-hash-basis", "4294967296"}}, "bond-hash-basis", "4294967296");
    expect_error({{"bond-hash-basis", "-1"}}, "bond-hash-basis", "-1");
    expect_error({{"bond-hash-basis", "0x10"}}, "bond-hash-basis", "0x10");
}

TEST(BondSettings, Primary)
{
    EXPECT_EQ(parse_ok({{"bond-primary", "eth1"}}).primary, "eth1");
    EXPECT_EQ(parse_ok({{"bond-primary", "eth0"}}).primary, "eth0");
    EXPECT_EQ(parse_ok({{"bond-primary", ""}}).primary, "");
    expect_error({{"bond-primary", "eth9"}}, "bond-primary", "eth9");
    expect_error({{"bond-primary", "bond0"}}, "bond-primary", "bond0");
    expect_error({{"bond-primary", "ETH0"}}, "bond-primary", "ETH0");

    /* A port without interfaces has no member to name. */
    PortSettings port;
    port.name = "empty";
    port.other_config = {{"bond-primary", "eth0"}};
    expect_port_error(port, "bond-primary", "eth0");
}

TEST(BondSettings, PrimaryReselect)
{
    const std::vector<std::pair<std::string, PrimaryReselect>> cases = {
        {"always", PrimaryReselect::kAlways}, {"better", PrimaryReselect::kBetter},
        {"failure", PrimaryReselect::kFailure}, {"0", PrimaryReselect::kAlways},
        {"1", PrimaryReselect::kBetter},        {"2", PrimaryReselect::kFailure},
    };
    for (const auto &[text, expected] : cases) {
        SCOPED_TRACE(text);
        EXPECT_EQ(parse_ok({{"bond-primary-reselect", text}}).primary_reselect, expected);
    }
    expect_error({{"bond-primary-reselect", "3"}}, "bond-primary-reselect", "3");
    expect_error({{"bond-primary-reselect", "never"}}, "bond-primary-reselect", "never");
}

TEST(BondSettings, MemberPrio)
{
    PortSettings port = make_port();
    port.interfaces[1].other_config["bond-member-prio"] = "-7";
    Result r = parse_port(port);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.config.member_prio, (std::map<std::string, int64_t>{{"eth1", -7}}));

    port.interfaces[0].other_config["bond-member-prio"] = "2147483647";
    port.interfaces[1].other_config["bond-member-prio"] = "-2147483648";
    r = parse_port(port);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.config.member_prio,
              (std::map<std::string, int64_t>{{"eth0", 2147483647}, {"eth1", -2147483648LL}}));

    /* A prio in the port's own other_config is not a member's. */
    r = parse_port(make_port({{"bond-member-prio", "5"}}));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(r.config.member_prio.empty());

    port.interfaces[0].other_config["bond-member-prio"] = "2147483648";
    expect_port_error(port, "bond-member-prio", "2147483648");
    Result bad = parse_port(port);
    EXPECT_NE(bad.error.find("eth0"), std::string::npos) << bad.error;
    port.interfaces[0].other_config["bond-member-prio"] = "high";
    expect_port_error(port, "bond-member-prio", "high");
}

TEST(BondSettings, MinLinks)
{
    EXPECT_EQ(parse_ok({{"bond-min-links", "0"}}).min_links, 0u);
    EXPECT_EQ(parse_ok({{"bond-min-links", "2"}}).min_links, 2u);
    EXPECT_EQ(parse_ok({{"bond-min-links", "65536"}}).min_links, 65536u);
    expect_error({{"bond-min-links", "65537"}}, "bond-min-links", "65537");
    expect_error({{"bond-min-links", "-1"}}, "bond-min-links", "-1");
}

TEST(BondSettings, Booleans)
{
    for (const char *key : {"all-members-active", "lacp-fallback-ab"}) {
        SCOPED_TRACE(key);
        BondConfig c = parse_ok({{key, "true"}});
        EXPECT_TRUE(std::string(key) == "all-members-active" ? c.all_members_active
                                                              : c.lacp_fallback_ab);
        c = parse_ok({{key, "false"}});
        EXPECT_FALSE(c.all_members_active);
        EXPECT_FALSE(c.lacp_fallback_ab);
    }
    EXPECT_FALSE(parse_ok({{"bond-tlb-dynamic-lb", "false"}}).tlb_dynamic_lb);
    EXPECT_TRUE(parse_ok({{"bond-tlb-dynamic-lb", "true"}}).tlb_dynamic_lb);
    for (const char *key : {"all-members-active", "lacp-fallback-ab", "bond-tlb-dynamic-lb"}) {
        for (const char *bad : {"yes", "1", "True", ""}) {
            SCOPED_TRACE(fmt::format("{}={}", key, bad));
            expect_error({{key, bad}}, key, bad);
        }
    }
}

TEST(BondSettings, Lacp)
{
    PortSettings port = make_port();
    for (const auto &[in, out] : std::vector<std::pair<std::string, std::string>>{
             {"", "off"}, {"off", "off"}, {"active", "active"}, {"passive", "passive"}}) {
        SCOPED_TRACE(in);
        port.bond.lacp = in;
        Result r = parse_port(port);
        ASSERT_TRUE(r.ok) << r.error;
        EXPECT_EQ(r.config.lacp, out);
    }
    port.bond.lacp = "on";
    expect_port_error(port, "lacp", "on");
    port.bond.lacp = "Active";
    expect_port_error(port, "lacp", "Active");
}

TEST(BondSettings, Delays)
{
    PortSettings port = make_port();
    port.bond.updelay = 150;
    port.bond.downdelay = 250;
    Result r = parse_port(port);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.config.updelay, 150);
    EXPECT_EQ(r.config.downdelay, 250);

    port.bond.updelay = -1;
    port.bond.downdelay = -100000;
    r = parse_port(port);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.config.updelay, 0);
    EXPECT_EQ(r.config.downdelay, 0);
}

TEST(BondSettings, ArpTargets)
{
    BondConfig c = parse_ok({{"bond-detect-mode", "arp"},
                             {"bond-arp-ip-targets", "192.0.2.1,198.51.100.2 203.0.113.3"}});
    ASSERT_EQ(c.arp_targets.size(), 3u);
    EXPECT_EQ(c.arp_targets[0], be32::from_host(0xc0000201));
    EXPECT_EQ(c.arp_targets[1], be32::from_host(0xc6336402));
    EXPECT_EQ(c.arp_targets[2], be32::from_host(0xcb007103));

    /* Mixed and repeated separators. */
    c = parse_ok({{"bond-arp-ip-targets", " 192.0.2.1, 192.0.2.2,,192.0.2.3 "}});
    EXPECT_EQ(c.arp_targets.size(), 3u);

    c = parse_ok({{"bond-arp-ip-targets", ipv4_list(16)}});
    EXPECT_EQ(c.arp_targets.size(), 16u);
    c = parse_ok({{"bond-arp-ip-targets", ipv4_list(16, " ")}});
    EXPECT_EQ(c.arp_targets.size(), 16u);
    expect_error({{"bond-arp-ip-targets", ipv4_list(17)}}, "bond-arp-ip-targets",
                 ipv4_list(17));

    expect_error({{"bond-arp-ip-targets", "192.0.2.1,192.0.2"}}, "bond-arp-ip-targets",
                 "192.0.2");
    expect_error({{"bond-arp-ip-targets", "192.0.2.1;192.0.2.2"}}, "bond-arp-ip-targets",
                 "192.0.2.1;192.0.2.2");
    expect_error({{"bond-arp-ip-targets", "2001:db8::1"}}, "bond-arp-ip-targets",
                 "2001:db8::1");
    expect_error({{"bond-arp-ip-targets", "0.0.0.0"}}, "bond-arp-ip-targets", "0.0.0.0");
    expect_error({{"bond-arp-ip-targets", "255.255.255.255"}}, "bond-arp-ip-targets",
                 "255.255.255.255");
    expect_error({{"bond-arp-ip-targets", "192.0.2.1,192.0.2.1"}}, "bond-arp-ip-targets",
                 "192.0.2.1");
}

TEST(BondSettings, NsTargets)
{
    BondConfig c = parse_ok({{"bond-ns-ip6-targets", "2001:db8::1, fe80::2"}});
    ASSERT_EQ(c.ns_targets.size(), 2u);
    EXPECT_EQ(c.ns_targets[0], *In6Addr::parse("2001:db8::1"));
    EXPECT_EQ(c.ns_targets[1], *In6Addr::parse("fe80::2"));

    c = parse_ok({{"bond-ns-ip6-targets", ipv6_list(16)}});
    EXPECT_EQ(c.ns_targets.size(), 16u);
    expect_error({{"bond-ns-ip6-targets", ipv6_list(17, " ")}}, "bond-ns-ip6-targets",
                 ipv6_list(17, " "));

    expect_error({{"bond-ns-ip6-targets", "2001:db8::g"}}, "bond-ns-ip6-targets",
                 "2001:db8::g");
    expect_error({{"bond-ns-ip6-targets", "192.0.2.1"}}, "bond-ns-ip6-targets", "192.0.2.1");
    expect_error({{"bond-ns-ip6-targets", "::"}}, "bond-ns-ip6-targets", "::");
    expect_error({{"bond-ns-ip6-targets", "::1"}}, "bond-ns-ip6-targets", "::1");
    expect_error({{"bond-ns-ip6-targets", "ff02::1"}}, "bond-ns-ip6-targets", "ff02::1");
    expect_error({{"bond-ns-ip6-targets", "2001:db8::1 2001:DB8::1"}}, "bond-ns-ip6-targets",
                 "2001:DB8::1");
}

TEST(BondSettings, ArpMonitorRefusedInSomeModes)
{
    for (const char *mode : {"balance-tcp", "802.3ad", "balance-tlb", "balance-alb"}) {
        SCOPED_TRACE(mode);
        Keys keys = {{"bond-mode", mode}, {"bond-arp-ip-targets", "192.0.2.1"}};
        Keys by_mode = keys;
        by_mode["bond-detect-mode"] = "arp";
        expect_error(by_mode, "bond-detect-mode", "arp");
        Result r = parse(by_mode);
        EXPECT_NE(r.error.find(fmt::format("cannot be used in mode {}", mode)),
                  std::string::npos)
            << r.error;

        Keys by_interval = keys;
        by_interval["bond-arp-interval"] = "100";
        expect_error(by_interval, "bond-arp-interval", "100");

        Keys by_targets = keys;
        expect_error(by_targets, "bond-arp-ip-targets", "192.0.2.1");

        Keys ns = {{"bond-mode", mode}, {"bond-detect-mode", "ns"},
                   {"bond-ns-ip6-targets", "2001:db8::1"}};
        expect_error(ns, "bond-detect-mode", "ns");

        /* The same mode with carrier or miimon detection is fine. */
        Keys miimon = keys;
        miimon["bond-detect-mode"] = "miimon";
        EXPECT_EQ(parse_ok(miimon).detect_mode, BondDetectMode::kMiimon);
    }
    for (const char *mode : {"active-backup", "balance-slb", "balance-rr", "balance-xor",
                             "broadcast"}) {
        SCOPED_TRACE(mode);
        BondConfig c = parse_ok({{"bond-mode", mode},
                                 {"bond-detect-mode", "arp"},
                                 {"bond-arp-ip-targets", "192.0.2.1"}});
        EXPECT_EQ(c.detect_mode, BondDetectMode::kArp);
        EXPECT_EQ(c.arp_interval, 1000);
    }

    /* The mode may come from the column too. */
    PortSettings port = make_port({{"bond-detect-mode", "arp"},
                                   {"bond-arp-ip-targets", "192.0.2.1"}});
    port.bond.bond_mode = "balance-tcp";
    expect_port_error(port, "bond-detect-mode", "arp");
}

TEST(BondSettings, ArpMonitorNeedsTargets)
{
    expect_error({{"bond-detect-mode", "arp"}}, "bond-detect-mode", "arp");
    expect_error({{"bond-detect-mode", "ns"}}, "bond-detect-mode", "ns");
    expect_error({{"bond-arp-interval", "100"}}, "bond-arp-interval", "100");
    expect_error({{"bond-detect-mode", "arp"}, {"bond-arp-ip-targets", " , "}},
                 "bond-detect-mode", "arp");

    /* Detect mode arp with only IPv6 targets uses them. */
    BondConfig c = parse_ok({{"bond-detect-mode", "arp"}, {"bond-ns-ip6-targets", "2001:db8::1"}});
    EXPECT_EQ(c.detect_mode, BondDetectMode::kArp);
    EXPECT_EQ(c.ns_targets.size(), 1u);
}

TEST(BondSettings, ArpOptions)
{
    const std::vector<std::pair<std::string, ArpValidate>> cases = {
        {"none", ArpValidate::kNone},
        {"active", ArpValidate::kActive},
        {"backup", ArpValidate::kBackup},
        {"all", ArpValidate::kAll},
        {"filter", ArpValidate::kFilter},
        {"filter_active", ArpValidate::kFilterActive},
        {"filter_backup", ArpValidate::kFilterBackup},
        {"0", ArpValidate::kNone},
        {"1", ArpValidate::kActive},
        {"2", ArpValidate::kBackup},
        {"3", ArpValidate::kAll},
        {"4", ArpValidate::kFilter},
        {"5", ArpValidate::kFilterActive},
        {"6", ArpValidate::kFilterBackup},
    };
    for (const auto &[text, expected] : cases) {
        SCOPED_TRACE(text);
        EXPECT_EQ(parse_ok({{"bond-arp-validate", text}}).arp_validate, expected);
    }
    expect_error({{"bond-arp-validate", "7"}}, "bond-arp-validate", "7");
    expect_error({{"bond-arp-validate", "filter-active"}}, "bond-arp-validate",
                 "filter-active");
    expect_error({{"bond-arp-validate", "06"}}, "bond-arp-validate", "06");

    EXPECT_FALSE(parse_ok({{"bond-arp-all-targets", "any"}}).arp_all_targets);
    EXPECT_FALSE(parse_ok({{"bond-arp-all-targets", "0"}}).arp_all_targets);
    EXPECT_TRUE(parse_ok({{"bond-arp-all-targets", "all"}}).arp_all_targets);
    EXPECT_TRUE(parse_ok({{"bond-arp-all-targets", "1"}}).arp_all_targets);
    expect_error({{"bond-arp-all-targets", "2"}}, "bond-arp-all-targets", "2");
    expect_error({{"bond-arp-all-targets", "some"}}, "bond-arp-all-targets", "some");

    EXPECT_EQ(parse_ok({{"bond-arp-missed-max", "1"}}).arp_missed_max, 1u);
    EXPECT_EQ(parse_ok({{"bond-arp-missed-max", "255"}}).arp_missed_max, 255u);
    expect_error({{"bond-arp-missed-max", "0"}}, "bond-arp-missed-max", "0");
    expect_error({{"bond-arp-missed-max", "256"}}, "bond-arp-missed-max", "256");
}

TEST(BondSettings, NotificationsAndTlb)
{
    BondConfig c = parse_ok({{"bond-num-peer-notif", "0"},
                             {"bond-peer-notif-delay", "500"},
                             {"bond-resend-igmp", "255"},
                             {"bond-lp-interval", "30"}});
    EXPECT_EQ(c.num_peer_notif, 0u);
    EXPECT_EQ(c.peer_notif_delay, 500);
    EXPECT_EQ(c.resend_igmp, 255u);
    EXPECT_EQ(c.lp_interval, 30);
    EXPECT_EQ(parse_ok({{"bond-num-peer-notif", "255"}}).num_peer_notif, 255u);
    EXPECT_EQ(parse_ok({{"bond-resend-igmp", "0"}}).resend_igmp, 0u);
    EXPECT_EQ(parse_ok({{"bond-lp-interval", "2147483647"}}).lp_interval, 2147483647);

    expect_error({{"bond-num-peer-notif", "256"}}, "bond-num-peer-notif", "256");
    expect_error({{"bond-peer-notif-delay", "-1"}}, "bond-peer-notif-delay", "-1");
    expect_error({{"bond-resend-igmp", "256"}}, "bond-resend-igmp", "256");
    expect_error({{"bond-lp-interval", "0"}}, "bond-lp-interval", "0");
    expect_error({{"bond-lp-interval", "2147483648"}}, "bond-lp-interval", "2147483648");
}

TEST(BondSettings, ErrorMessageWording)
{
    Result r = parse({{"bond-mode", "balance-foo"}});
    EXPECT_EQ(r.error, "bond-mode: unknown mode \"balance-foo\"");
    r = parse({{"bond-packets-per-member", "70000"}});
    EXPECT_EQ(r.error, "bond-packets-per-member: not a number in 0..65535 \"70000\"");
    r = parse({{"bond-primary", "eth9"}});
    EXPECT_EQ(r.error, "bond-primary: not an interface of port bond0 \"eth9\"");
    r = parse({{"bond-mode", "balance-tlb"}, {"bond-arp-interval", "100"},
               {"bond-arp-ip-targets", "192.0.2.1"}});
    EXPECT_EQ(r.error,
              "bond-arp-interval: the ARP monitor cannot be used in mode balance-tlb \"100\"");
}

TEST(BondSettings, FullConfigParses)
{
    PortSettings port = make_port({
        {"bond-mode", "balance-xor"},
        {"bond-xmit-hash-policy", "layer3+4"},
        {"bond-packets-per-member", "7"},
        {"bond-detect-mode", "arp"},
        {"bond-arp-interval", "444"},
        {"bond-arp-ip-targets", "198.51.100.7"},
        {"bond-ns-ip6-targets", "2001:db8::7"},
        {"bond-miimon-interval", "123"},
        {"bond-rebalance-interval", "3333"},
        {"bond-hash-basis", "99"},
        {"bond-primary", "eth1"},
        {"bond-primary-reselect", "failure"},
        {"bond-min-links", "2"},
        {"all-members-active", "true"},
        {"lacp-fallback-ab", "true"},
        {"bond-arp-validate", "filter_backup"},
        {"bond-arp-all-targets", "all"},
        {"bond-arp-missed-max", "9"},
        {"bond-num-peer-notif", "3"},
        {"bond-peer-notif-delay", "55"},
        {"bond-resend-igmp", "4"},
        {"bond-tlb-dynamic-lb", "false"},
        {"bond-lp-interval", "6"},
    });
    port.interfaces[0].other_config["bond-member-prio"] = "5";
    port.bond.lacp = "passive";
    port.bond.updelay = 11;
    port.bond.downdelay = 22;

    /* Parsed into a default config, it yields exactly the sentinel. */
    BondConfig c;
    std::string error;
    ASSERT_TRUE(parse_bond_config(port, &c, &error)) << error;
    EXPECT_TRUE(c == make_sentinel());
}

}  // namespace
}  // namespace braid::ofproto
