/* Unit tests for the LACP configuration parser (ofproto/lacp-settings.cc).
 *
 * Every failing case also checks that the caller's outputs are left exactly
 * as they were: they start as values that differ from anything the parser
 * would produce (make_sentinel() below) and must compare equal to them
 * afterwards. */
#include <config.h>

#include "ofproto/lacp-settings.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace braid::ofproto {
namespace {

using Keys = std::map<std::string, std::string>;
using Members = std::map<std::string, LacpMemberSettings>;
using Ofports = std::map<std::string, int64_t>;

constexpr EthAddr kBridgeMac{{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};

/* A port named "bond0" with Port.lacp 'lacp', 'keys' in its other_config,
 * and interfaces "eth0" and "eth1" with 'eth0_keys' and 'eth1_keys' in
 * theirs. */
PortSettings make_port(const std::string &lacp, const Keys &keys = {},
                       const Keys &eth0_keys = {}, const Keys &eth1_keys = {})
{
    PortSettings port;
    port.name = "bond0";
    port.bond.lacp = lacp;
    port.other_config = keys;
    for (const auto &[name, iface_keys] : {std::pair{"eth0", eth0_keys},
                                           std::pair{"eth1", eth1_keys}}) {
        InterfaceSettings iface;
        iface.name = name;
        iface.other_config = iface_keys;
        port.interfaces.push_back(iface);
    }
    return port;
}

const Ofports kOfports = {{"eth0", 1}, {"eth1", 2}};

/* What parse_lacp_config() produced. */
struct Result {
    bool ok = false;
    bool enabled = false;
    LacpSettings settings;
    Members members;
    std::string error;
};

/* Outputs that differ from anything the parser produces. */
Result make_sentinel()
{
    Result r;
    r.enabled = true;
    r.settings.name = "sentinel";
    r.settings.active = false;
    r.settings.fast = true;
    r.settings.system_id = EthAddr{{0x02, 0xde, 0xad, 0xbe, 0xef, 0x00}};
    r.settings.system_priority = 7;
    r.settings.key = 9;
    r.settings.ad_select = LacpAdSelect::kCount;
    r.settings.fallback_ab = true;
    r.settings.collector_max_delay = 3;
    LacpMemberSettings m;
    m.name = "sentinel0";
    m.port = 77;
    m.port_priority = 5;
    m.key = 6;
    m.lacp_enabled = false;
    r.members["sentinel0"] = m;
    return r;
}

/* Parses 'port' into a copy of the sentinel. */
Result parse_port(const PortSettings &port, EthAddr bridge_mac = kBridgeMac,
                  const Ofports &ofports = kOfports)
{
    Result r = make_sentinel();
    r.ok = parse_lacp_config(port, bridge_mac, ofports, &r.enabled, &r.settings, &r.members,
                             &r.error);
    return r;
}

/* Parses 'port', expects success, and returns the outputs. */
Result parse_ok(const PortSettings &port, EthAddr bridge_mac = kBridgeMac,
                const Ofports &ofports = kOfports)
{
    Result r = parse_port(port, bridge_mac, ofports);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.error, "");
    return r;
}

/* Expects that parsing 'port' fails with a message that begins with "key: ",
 * quotes 'value', is one line without a trailing period, and leaves the
 * outputs alone.  Returns the message. */
std::string expect_error(const PortSettings &port, const std::string &key,
                         const std::string &value, EthAddr bridge_mac = kBridgeMac,
                         const Ofports &ofports = kOfports)
{
    Result r = parse_port(port, bridge_mac, ofports);
    Result sentinel = make_sentinel();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.rfind(key + ": ", 0), 0u) << r.error;
    EXPECT_NE(r.error.find("\"" + value + "\""), std::string::npos) << r.error;
    EXPECT_FALSE(r.error.empty());
    if (!r.error.empty()) {
        EXPECT_NE(r.error.back(), '.') << r.error;
    }
    EXPECT_EQ(r.error.find('\n'), std::string::npos) << r.error;
    EXPECT_EQ(r.enabled, sentinel.enabled) << "enabled changed on error: " << r.error;
    EXPECT_TRUE(r.settings == sentinel.settings) << "settings changed on error: " << r.error;
    EXPECT_TRUE(r.members == sentinel.members) << "members changed on error: " << r.error;
    return r.error;
}

LacpMemberSettings member(const std::string &name, uint16_t port, uint16_t port_priority = 65535,
                          uint16_t key = 0)
{
    LacpMemberSettings m;
    m.name = name;
    m.port = port;
    m.port_priority = port_priority;
    m.key = key;
    m.lacp_enabled = true;
    return m;
}

TEST(LacpSettingsParse, DefaultsOfAnActiveBond)
{
    Result r = parse_ok(make_port("active"));
    EXPECT_TRUE(r.enabled);

    LacpSettings expected;
    expected.name = "bond0";
    expected.active = true;
    expected.fast = false;
    expected.system_id = kBridgeMac;
    expected.system_priority = 65534;
    expected.key = 0;
    expected.ad_select = LacpAdSelect::kStable;
    expected.fallback_ab = false;
    expected.collector_max_delay = 0;
    EXPECT_TRUE(r.settings == expected);
    EXPECT_EQ(r.settings.system_priority, 65534);

    Members expected_members = {{"eth0", member("eth0", 1)}, {"eth1", member("eth1", 2)}};
    EXPECT_TRUE(r.members == expected_members);
    EXPECT_TRUE(r.members["eth0"].mac.is_zero());
}

TEST(LacpSettingsParse, PassiveIsEnabledButNotActive)
{
    Result r = parse_ok(make_port("passive"));
    EXPECT_TRUE(r.enabled);
    EXPECT_FALSE(r.settings.active);
}

TEST(LacpSettingsParse, OffOrEmptyIsDisabled)
{
    for (const char *lacp : {"off", ""}) {
        SCOPED_TRACE(lacp);
        Result r = parse_ok(make_port(lacp));
        EXPECT_FALSE(r.enabled);
        /* The outputs are filled in all the same. */
        EXPECT_EQ(r.settings.name, "bond0");
        EXPECT_EQ(r.members.size(), 2u);
    }
}

TEST(LacpSettingsParse, SingleInterfacePortHasSystemPriority65535)
{
    PortSettings port = make_port("active");
    port.interfaces.pop_back();
    Result r = parse_ok(port);
    EXPECT_EQ(r.settings.system_priority, 65535);
    EXPECT_EQ(r.members.size(), 1u);

    port.other_config["lacp-system-priority"] = "100";
    EXPECT_EQ(parse_ok(port).settings.system_priority, 100);
}

TEST(LacpSettingsParse, EveryKeySet)
{
    Result r = parse_ok(make_port("active",
                                  {{"lacp-time", "fast"},
                                   {"lacp-system-id", "02:AA:bb:cc:dd:01"},
                                   {"lacp-system-priority", "1"},
                                   {"lacp-fallback-ab", "true"},
                                   {"lacp-ad-select", "prio"}},
                                  {{"lacp-port-id", "65535"},
                                   {"lacp-port-priority", "1"},
                                   {"lacp-aggregation-key", "42"}},
                                  {{"lacp-port-priority", "300"},
                                   {"lacp-aggregation-key", "65535"}}));
    EXPECT_TRUE(r.enabled);
    EXPECT_TRUE(r.settings.active);
    EXPECT_TRUE(r.settings.fast);
    EXPECT_EQ(r.settings.system_id.to_string(), "02:aa:bb:cc:dd:01");
    EXPECT_EQ(r.settings.system_priority, 1);
    EXPECT_TRUE(r.settings.fallback_ab);
    EXPECT_EQ(r.settings.ad_select, LacpAdSelect::kPrio);
    EXPECT_EQ(r.settings.key, 0);

    Members expected = {{"eth0", member("eth0", 65535, 1, 42)},
                        {"eth1", member("eth1", 2, 300, 65535)}};
    EXPECT_TRUE(r.members == expected);
}

TEST(LacpSettingsParse, ExplicitDefaultsAndOtherSpellings)
{
    Result r = parse_ok(make_port("passive", {{"lacp-time", "slow"},
                                              {"lacp-fallback-ab", "false"},
                                              {"lacp-system-priority", "65535"},
                                              {"lacp-system-id", "02-00-00-00-00-09"}}));
    EXPECT_FALSE(r.settings.fast);
    EXPECT_FALSE(r.settings.fallback_ab);
    EXPECT_EQ(r.settings.system_priority, 65535);
    EXPECT_EQ(r.settings.system_id.to_string(), "02:00:00:00:00:09");
}

TEST(LacpSettingsParse, AdSelectNamesAndLinuxNumbers)
{
    const std::vector<std::pair<std::string, LacpAdSelect>> cases = {
        {"stable", LacpAdSelect::kStable},   {"0", LacpAdSelect::kStable},
        {"bandwidth", LacpAdSelect::kBandwidth}, {"1", LacpAdSelect::kBandwidth},
        {"count", LacpAdSelect::kCount},     {"2", LacpAdSelect::kCount},
        {"prio", LacpAdSelect::kPrio},
    };
    for (const auto &[value, ad_select] : cases) {
        SCOPED_TRACE(value);
        EXPECT_EQ(parse_ok(make_port("active", {{"lacp-ad-select", value}})).settings.ad_select,
                  ad_select);
    }
}

TEST(LacpSettingsParse, MuxControl)
{
    EXPECT_FALSE(parse_ok(make_port("active", {})).settings.independent_control);
    EXPECT_FALSE(parse_ok(make_port("active", {{"lacp-mux-control", "coupled"}}))
                     .settings.independent_control);
    EXPECT_TRUE(parse_ok(make_port("active", {{"lacp-mux-control", "independent"}}))
                    .settings.independent_control);
}

TEST(LacpSettingsParse, PortNumbersComeFromOfportsUnlessSet)
{
    /* An interface missing from 'ofports', or with a number a port id
     * cannot hold, gets 0; other names in 'ofports' are ignored. */
    for (int64_t bad : {int64_t(-1), int64_t(0), int64_t(65536), int64_t(70000)}) {
        SCOPED_TRACE(bad);
        Result r = parse_ok(make_port("active"), kBridgeMac,
                            {{"eth0", 5}, {"eth1", bad}, {"eth9", 6}});
        EXPECT_EQ(r.members["eth0"].port, 5);
        EXPECT_EQ(r.members["eth1"].port, 0);
    }
    Result r = parse_ok(make_port("active"), kBridgeMac, {});
    EXPECT_EQ(r.members["eth0"].port, 0);
    EXPECT_EQ(r.members["eth1"].port, 0);

    /* lacp-port-id wins over the OpenFlow port number. */
    r = parse_ok(make_port("active", {}, {{"lacp-port-id", "2000"}}), kBridgeMac,
                 {{"eth0", 5}, {"eth1", 6}});
    EXPECT_EQ(r.members["eth0"].port, 2000);
    EXPECT_EQ(r.members["eth1"].port, 6);

    /* Swapping numbers is fine. */
    r = parse_ok(make_port("active", {}, {{"lacp-port-id", "2"}}, {{"lacp-port-id", "1"}}));
    EXPECT_EQ(r.members["eth0"].port, 2);
    EXPECT_EQ(r.members["eth1"].port, 1);
}

TEST(LacpSettingsParse, DuplicatePortNumbersAreRejected)
{
    EXPECT_EQ(expect_error(make_port("active", {}, {{"lacp-port-id", "7"}},
                                     {{"lacp-port-id", "7"}}),
                           "lacp-port-id", "7"),
              "lacp-port-id: the same port number for interfaces eth0 and eth1 \"7\"");

    /* An explicit id that is another interface's OpenFlow port number. */
    expect_error(make_port("active", {}, {}, {{"lacp-port-id", "1"}}), "lacp-port-id", "1");
    expect_error(make_port("active", {}, {{"lacp-port-id", "2"}}), "lacp-port-id", "2");

    /* Two interfaces without a number are not duplicates. */
    parse_ok(make_port("active"), kBridgeMac, {});
}

TEST(LacpSettingsParse, BadPortValues)
{
    EXPECT_EQ(expect_error(make_port("on"), "lacp", "on"),
              "lacp: not active, passive or off \"on\"");
    expect_error(make_port("Active"), "lacp", "Active");

    EXPECT_EQ(expect_error(make_port("active", {{"lacp-time", "medium"}}), "lacp-time",
                           "medium"),
              "lacp-time: not fast or slow \"medium\"");
    expect_error(make_port("active", {{"lacp-time", ""}}), "lacp-time", "");
    expect_error(make_port("active", {{"lacp-time", "FAST"}}), "lacp-time", "FAST");

    EXPECT_EQ(expect_error(make_port("active", {{"lacp-system-priority", "0"}}),
                           "lacp-system-priority", "0"),
              "lacp-system-priority: not a number in 1..65535 \"0\"");
    for (const char *bad : {"65536", "-1", "abc", "", "1x", " 5"}) {
        SCOPED_TRACE(bad);
        expect_error(make_port("active", {{"lacp-system-priority", bad}}),
                     "lacp-system-priority", bad);
    }

    EXPECT_EQ(expect_error(make_port("active", {{"lacp-fallback-ab", "yes"}}),
                           "lacp-fallback-ab", "yes"),
              "lacp-fallback-ab: not true or false \"yes\"");

    EXPECT_EQ(expect_error(make_port("active", {{"lacp-ad-select", "fastest"}}),
                           "lacp-ad-select", "fastest"),
              "lacp-ad-select: not stable, bandwidth, count or prio \"fastest\"");
    expect_error(make_port("active", {{"lacp-ad-select", "3"}}), "lacp-ad-select", "3");

    EXPECT_EQ(expect_error(make_port("active", {{"lacp-mux-control", "loose"}}),
                           "lacp-mux-control", "loose"),
              "lacp-mux-control: not coupled or independent \"loose\"");
}

TEST(LacpSettingsParse, BadSystemIds)
{
    EXPECT_EQ(expect_error(make_port("active", {{"lacp-system-id", "00:00:00:00:00:00"}}),
                           "lacp-system-id", "00:00:00:00:00:00"),
              "lacp-system-id: zero address \"00:00:00:00:00:00\"");
    EXPECT_EQ(expect_error(make_port("active", {{"lacp-system-id", "01:00:5e:00:00:01"}}),
                           "lacp-system-id", "01:00:5e:00:00:01"),
              "lacp-system-id: multicast address \"01:00:5e:00:00:01\"");
    EXPECT_EQ(expect_error(make_port("active", {{"lacp-system-id", "xyz"}}), "lacp-system-id",
                           "xyz"),
              "lacp-system-id: not an Ethernet address \"xyz\"");
    for (const char *bad : {"", "02:00:00:00:00", "02:00:00:00:00:00:01", "02:00-00:00:00:01"}) {
        SCOPED_TRACE(bad);
        expect_error(make_port("active", {{"lacp-system-id", bad}}), "lacp-system-id", bad);
    }
}

TEST(LacpSettingsParse, UnusableBridgeAddressMattersOnlyWithLacpOnAndNoSystemId)
{
    const EthAddr zero{};
    const EthAddr multicast{{0x03, 0, 0, 0, 0, 1}};

    EXPECT_EQ(expect_error(make_port("active"), "lacp-system-id", "00:00:00:00:00:00", zero),
              "lacp-system-id: not set, and the bridge's address cannot be used "
              "\"00:00:00:00:00:00\"");
    expect_error(make_port("passive"), "lacp-system-id", "03:00:00:00:00:01", multicast);

    /* An explicit system id does not need the bridge's address. */
    Result r = parse_ok(make_port("active", {{"lacp-system-id", "02:00:00:00:00:01"}}), zero);
    EXPECT_EQ(r.settings.system_id.to_string(), "02:00:00:00:00:01");

    /* With LACP off, nothing uses it. */
    r = parse_ok(make_port("off"), zero);
    EXPECT_FALSE(r.enabled);
}

TEST(LacpSettingsParse, BadInterfaceValues)
{
    EXPECT_EQ(expect_error(make_port("active", {}, {}, {{"lacp-port-id", "0"}}), "lacp-port-id",
                           "0"),
              "lacp-port-id: not a number in 1..65535 for interface eth1 \"0\"");
    EXPECT_EQ(expect_error(make_port("active", {}, {{"lacp-port-priority", "65536"}}),
                           "lacp-port-priority", "65536"),
              "lacp-port-priority: not a number in 1..65535 for interface eth0 \"65536\"");
    EXPECT_EQ(expect_error(make_port("active", {}, {{"lacp-aggregation-key", "-3"}}),
                           "lacp-aggregation-key", "-3"),
              "lacp-aggregation-key: not a number in 1..65535 for interface eth0 \"-3\"");
    for (const char *key : {"lacp-port-id", "lacp-port-priority", "lacp-aggregation-key"}) {
        for (const char *bad : {"0", "65536", "-1", "x", "", "12 "}) {
            SCOPED_TRACE(std::string(key) + "=" + bad);
            expect_error(make_port("active", {}, {{key, bad}}), key, bad);
            expect_error(make_port("active", {}, {}, {{key, bad}}), key, bad);
        }
    }
}

TEST(LacpSettingsParse, KeysAreCheckedWithLacpOff)
{
    expect_error(make_port("off", {{"lacp-time", "medium"}}), "lacp-time", "medium");
    expect_error(make_port("", {{"lacp-system-id", "00:00:00:00:00:00"}}), "lacp-system-id",
                 "00:00:00:00:00:00");
    expect_error(make_port("off", {}, {{"lacp-port-priority", "0"}}), "lacp-port-priority",
                 "0");
}

TEST(LacpSettingsParse, OtherKeysAreIgnored)
{
    Result with = parse_ok(make_port("active", {{"bond-mode", "balance-tcp"},
                                                {"lacp-unknown", "x"}},
                                     {{"bond-member-prio", "5"}}));
    Result without = parse_ok(make_port("active"));
    EXPECT_TRUE(with.settings == without.settings);
    EXPECT_TRUE(with.members == without.members);
}

}  // namespace
}  // namespace braid::ofproto
