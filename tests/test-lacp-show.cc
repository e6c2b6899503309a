/* Unit tests for the lacp/show and lacp/show-stats text
 * (ofproto/lacp-show.cc).
 *
 * Most cases build a LacpStatus by hand and compare the whole text; the
 * first reproduces the Open vSwitch example of lacp/show line for line.  One
 * case runs two real Lacp objects cabled to each other until they have
 * negotiated and checks the text of the result. */
#include <config.h>

#include "ofproto/lacp-show.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lib/packets.h"
#include "lib/slow-protocols.h"
#include "ofproto/lacp.h"

namespace braid::ofproto {
namespace {

constexpr uint8_t kInSync = kLacpStateActivity | kLacpStateTimeout | kLacpStateAggregation
                            | kLacpStateSynchronization | kLacpStateCollecting
                            | kLacpStateDistributing;

EthAddr mac(const char *s)
{
    std::optional<EthAddr> a = EthAddr::parse(s);
    EXPECT_TRUE(a.has_value()) << s;
    return a.value_or(EthAddr{});
}

LacpPortInfo port_info(const char *system, uint16_t system_priority, uint16_t port,
                       uint16_t port_priority, uint16_t key, uint8_t state)
{
    LacpPortInfo i;
    i.system = mac(system);
    i.system_priority = system_priority;
    i.port = port;
    i.port_priority = port_priority;
    i.key = key;
    i.state = state;
    return i;
}

/* A member of bond0 (system aa:55:aa:55:00:00, key 2) in sync with port
 * 'partner_port' of aa:66:aa:66:00:00 (key 4), collecting and
 * distributing in aggregator 1. */
LacpMemberStatus negotiated_member(LacpMemberId id, const char *name, uint16_t port,
                                   uint16_t partner_port)
{
    LacpMemberStatus m;
    m.id = id;
    m.settings.name = name;
    m.settings.port = port;
    m.link_up = true;
    m.may_enable = true;
    m.rx = LacpRxState::kCurrent;
    m.periodic = LacpPeriodicState::kFastPeriodic;
    m.mux = LacpMuxState::kCollectingDistributing;
    m.tx = LacpTxState::kIdle;
    m.actor_churn = LacpChurnState::kNoChurn;
    m.partner_churn = LacpChurnState::kNoChurn;
    m.selected = LacpSelected::kSelected;
    m.aggregator = 1;
    m.actor = port_info("aa:55:aa:55:00:00", 65534, port, 65535, 2, kInSync);
    m.partner = port_info("aa:66:aa:66:00:00", 65534, partner_port, 65535, 4, kInSync);
    return m;
}

/* bond0 of the Open vSwitch test "lacp - negotiation" after convergence:
 * members p0 (port 1) and p1 (port 2), given in reverse order of name. */
LacpStatus negotiated_status()
{
    LacpStatus s;
    s.settings.name = "bond0";
    s.settings.active = true;
    s.settings.fast = true;
    s.settings.system_id = mac("aa:55:aa:55:00:00");
    s.settings.system_priority = 65534;
    s.settings.key = 2;
    s.negotiated = true;
    s.active_aggregator = 1;

    LacpAggregatorStatus a;
    a.id = 1;
    a.active = true;
    a.actor_key = 2;
    a.partner_system_priority = 65534;
    a.partner_system = mac("aa:66:aa:66:00:00");
    a.partner_key = 4;
    a.members = {1, 2};
    s.aggregators.push_back(a);

    s.members.push_back(negotiated_member(1, "p1", 2, 4));
    s.members.push_back(negotiated_member(2, "p0", 1, 3));
    return s;
}

TEST(LacpShow, NegotiatedBondMatchesOpenVswitch)
{
    const std::string expected = R"(---- bond0 ----
  status: active negotiated
  sys_id: aa:55:aa:55:00:00
  sys_priority: 65534
  aggregation key: 2
  lacp_time: fast

member: p0: current attached
  port_id: 1
  port_priority: 65535
  may_enable: true

  actor sys_id: aa:55:aa:55:00:00
  actor sys_priority: 65534
  actor port_id: 1
  actor port_priority: 65535
  actor key: 2
  actor state: activity timeout aggregation synchronized collecting distributing

  partner sys_id: aa:66:aa:66:00:00
  partner sys_priority: 65534
  partner port_id: 3
  partner port_priority: 65535
  partner key: 4
  partner state: activity timeout aggregation synchronized collecting distributing

member: p1: current attached
  port_id: 2
  port_priority: 65535
  may_enable: true

  actor sys_id: aa:55:aa:55:00:00
  actor sys_priority: 65534
  actor port_id: 2
  actor port_priority: 65535
  actor key: 2
  actor state: activity timeout aggregation synchronized collecting distributing

  partner sys_id: aa:66:aa:66:00:00
  partner sys_priority: 65534
  partner port_id: 4
  partner port_priority: 65535
  partner key: 4
  partner state: activity timeout aggregation synchronized collecting distributing

braid: ad-select stable, fallback-ab false, active aggregator 1
braid: mux control coupled
)"
        "braid: aggregator 1: active true, individual false, actor key 2, "
        "partner system priority 65534, partner system aa:66:aa:66:00:00, "
        "partner key 4, members p0, p1\n"
        "braid: member p0: link up, rx current, mux collecting_distributing, "
        "periodic fast_periodic, tx idle, selection selected, aggregator 1, "
        "actor churn none, partner churn none\n"
        "braid: member p1: link up, rx current, mux collecting_distributing, "
        "periodic fast_periodic, tx idle, selection selected, aggregator 1, "
        "actor churn none, partner churn none\n";
    EXPECT_EQ(lacp_show_text(negotiated_status(), "bond0"), expected);
}

TEST(LacpShow, DefaultedPassiveSlowMemberAndStandbyAggregator)
{
    LacpStatus s;
    s.settings.name = "ignored";
    s.settings.active = false;
    s.settings.fast = false;
    s.settings.system_id = mac("02:00:00:00:00:01");
    s.settings.system_priority = 100;
    s.settings.ad_select = LacpAdSelect::kCount;
    s.settings.independent_control = true;
    s.settings.fallback_ab = true;
    s.active_aggregator = 7;

    /* Aggregator 7 is active with member "b"; aggregator 3 is standby with
     * an individual partner and member "c". */
    LacpAggregatorStatus standby;
    standby.id = 3;
    standby.individual = true;
    standby.actor_key = 5;
    standby.partner_system_priority = 1;
    standby.partner_system = mac("02:00:00:00:00:99");
    standby.partner_key = 9;
    standby.members = {30};
    LacpAggregatorStatus active;
    active.id = 7;
    active.active = true;
    active.actor_key = 5;
    active.partner_system_priority = 2;
    active.partner_system = mac("02:00:00:00:00:88");
    active.partner_key = 8;
    active.members = {20};
    s.aggregators = {standby, active};

    /* "a": link down, defaulted, no partner, no aggregator. */
    LacpMemberStatus a;
    a.id = 10;
    a.settings.name = "a";
    a.settings.port = 5;
    a.settings.port_priority = 10;
    a.rx = LacpRxState::kDefaulted;
    a.mux = LacpMuxState::kDetached;
    a.actor = port_info("02:00:00:00:00:01", 100, 5, 10, 5,
                        kLacpStateAggregation | kLacpStateDefaulted);

    /* "b": attached, waiting for its partner's sync. */
    LacpMemberStatus b = a;
    b.id = 20;
    b.settings.name = "b";
    b.settings.port = 6;
    b.link_up = true;
    b.rx = LacpRxState::kCurrent;
    b.periodic = LacpPeriodicState::kSlowPeriodic;
    b.mux = LacpMuxState::kAttached;
    b.tx = LacpTxState::kIdle;
    b.selected = LacpSelected::kSelected;
    b.aggregator = 7;
    b.actor_churn = LacpChurnState::kNoChurn;
    b.partner_churn = LacpChurnState::kChurn;
    b.actor = port_info("02:00:00:00:00:01", 100, 6, 10, 5,
                        kLacpStateAggregation | kLacpStateSynchronization);
    b.partner = port_info("02:00:00:00:00:88", 2, 60, 1, 8, kLacpStateActivity);

    /* "c": standby in the other aggregator, expired. */
    LacpMemberStatus c = b;
    c.id = 30;
    c.settings.name = "c";
    c.settings.port = 7;
    c.rx = LacpRxState::kExpired;
    c.mux = LacpMuxState::kWaiting;
    c.selected = LacpSelected::kStandby;
    c.aggregator = 3;
    c.partner_churn = LacpChurnState::kMonitor;
    c.actor = port_info("02:00:00:00:00:01", 100, 7, 10, 5,
                        kLacpStateAggregation | kLacpStateExpired);
    c.partner = port_info("02:00:00:00:00:99", 1, 70, 1, 9,
                          kLacpStateActivity | kLacpStateTimeout);

    s.members = {c, a, b};

    const std::string expected = R"(---- bond1 ----
  status: passive
  sys_id: 02:00:00:00:00:01
  sys_priority: 100
  aggregation key: 5
  lacp_time: slow

member: a: defaulted detached
  port_id: 5
  port_priority: 10
  may_enable: false

  actor sys_id: 02:00:00:00:00:01
  actor sys_priority: 100
  actor port_id: 5
  actor port_priority: 10
  actor key: 5
  actor state: aggregation defaulted

  partner sys_id: 00:00:00:00:00:00
  partner sys_priority: 0
  partner port_id: 0
  partner port_priority: 0
  partner key: 0
  partner state:

member: b: current attached
  port_id: 6
  port_priority: 10
  may_enable: false

  actor sys_id: 02:00:00:00:00:01
  actor sys_priority: 100
  actor port_id: 6
  actor port_priority: 10
  actor key: 5
  actor state: aggregation synchronized

  partner sys_id: 02:00:00:00:00:88
  partner sys_priority: 2
  partner port_id: 60
  partner port_priority: 1
  partner key: 8
  partner state: activity

member: c: expired detached
  port_id: 7
  port_priority: 10
  may_enable: false

  actor sys_id: 02:00:00:00:00:01
  actor sys_priority: 100
  actor port_id: 7
  actor port_priority: 10
  actor key: 5
  actor state: aggregation expired

  partner sys_id: 02:00:00:00:00:99
  partner sys_priority: 1
  partner port_id: 70
  partner port_priority: 1
  partner key: 9
  partner state: activity timeout

braid: ad-select count, fallback-ab true, active aggregator 7
braid: mux control independent
)"
        "braid: aggregator 3: active false, individual true, actor key 5, "
        "partner system priority 1, partner system 02:00:00:00:00:99, partner "
        "key 9, members c\n"
        "braid: aggregator 7: active true, individual false, actor key 5, "
        "partner system priority 2, partner system 02:00:00:00:00:88, partner "
        "key 8, members b\n"
        "braid: member a: link down, rx defaulted, mux detached, periodic "
        "no_periodic, tx no_transmit, selection unselected, aggregator none, "
        "actor churn monitoring, partner churn monitoring\n"
        "braid: member b: link up, rx current, mux attached, periodic "
        "slow_periodic, tx idle, selection selected, aggregator 7, actor churn "
        "none, partner churn churned\n"
        "braid: member c: link up, rx expired, mux waiting, periodic "
        "slow_periodic, tx idle, selection standby, aggregator 3, actor churn "
        "none, partner churn monitoring\n";
    /* "aggregation key" is the lowest port number: LacpSettings::key is 0. */
    EXPECT_EQ(lacp_show_text(s, "bond1"), expected);
}

TEST(LacpShow, RxStatesOpenVswitchLacks)
{
    LacpStatus s = negotiated_status();
    s.members.resize(1);
    s.aggregators.clear();
    s.active_aggregator = 0;
    s.negotiated = false;
    LacpMemberStatus &m = s.members[0];
    m.mux = LacpMuxState::kDetached;
    m.aggregator = 0;

    for (auto [rx, word] : {std::pair{LacpRxState::kPortDisabled, "port_disabled"},
                            std::pair{LacpRxState::kLacpDisabled, "lacp_disabled"},
                            std::pair{LacpRxState::kInitialize, "initialize"}}) {
        m.rx = rx;
        std::string text = lacp_show_text(s, "bond0");
        EXPECT_NE(text.find(fmt::format("\nmember: p1: {} detached\n", word)), std::string::npos)
            << text;
        EXPECT_NE(text.find(fmt::format(", rx {}, ", word)), std::string::npos) << text;
        EXPECT_NE(text.find("  status: active\n"), std::string::npos) << text;
        EXPECT_NE(text.find("active aggregator none\n"), std::string::npos) << text;
    }
}

TEST(LacpShow, NoMembers)
{
    LacpStatus s;
    s.settings.system_id = mac("02:00:00:00:00:01");
    EXPECT_EQ(lacp_show_text(s, "lonely"), R"(---- lonely ----
  status: active
  sys_id: 02:00:00:00:00:01
  sys_priority: 65534
  aggregation key: none
  lacp_time: slow

braid: ad-select stable, fallback-ab false, active aggregator none
braid: mux control coupled
)");
    EXPECT_EQ(lacp_show_stats_text(s, "lonely"), R"(---- lonely statistics ----

braid: rx frames for unknown members 0
)");

    /* A bond key shows even without members; an aggregator without members
     * says so. */
    s.settings.key = 9;
    LacpAggregatorStatus a;
    a.id = 4;
    s.aggregators.push_back(a);
    std::string text = lacp_show_text(s, "lonely");
    EXPECT_NE(text.find("  aggregation key: 9\n"), std::string::npos) << text;
    EXPECT_NE(text.find("braid: aggregator 4: active false, individual false, actor key 0, "
                        "partner system priority 0, partner system 00:00:00:00:00:00, "
                        "partner key 0, members none\n"),
              std::string::npos)
        << text;
}

TEST(LacpShow, StatsMatchOpenVswitchThenBraid)
{
    LacpStatus s = negotiated_status();
    s.rx_unknown_member = 4;

    LacpMemberStats &p1 = s.members[0].stats;   /* Member "p1" is first by id. */
    p1.rx_frames = 130;
    p1.rx_pdus = 120;
    p1.tx_pdus = 123;
    p1.rx_markers = 2;
    p1.tx_marker_responses = 1;
    p1.marker_responses_dropped = 1;
    p1.rx_marker_responses = 3;
    p1.rx_bad = 3;
    p1.rx_bad_by_reason[size_t(SlowError::kLacpBadVersion)] = 2;
    p1.rx_bad_by_reason[size_t(SlowError::kMarkerBadTlvLen)] = 1;
    p1.rx_loopback = 1;
    p1.rx_link_down = 1;
    p1.rx_lacp_disabled = 0;
    p1.state_changes = 9;
    p1.expired = 2;
    p1.defaulted = 1;
    p1.actor_churns = 5;
    p1.partner_churns = 6;
    p1.link_changes = 7;

    LacpMemberStats &p0 = s.members[1].stats;
    p0.rx_frames = 10;
    p0.rx_pdus = 10;
    p0.tx_pdus = 11;
    p0.state_changes = 4;

    const std::string expected = R"(---- bond0 statistics ----

member: p0:
  TX PDUs: 11
  RX PDUs: 10
  RX Bad PDUs: 0
  RX Marker Request PDUs: 0
  Link Expired: 0
  Link Defaulted: 0
  Carrier Status Changed: 0

member: p1:
  TX PDUs: 123
  RX PDUs: 130
  RX Bad PDUs: 3
  RX Marker Request PDUs: 2
  Link Expired: 2
  Link Defaulted: 1
  Carrier Status Changed: 7

braid: rx frames for unknown members 4
)"
        "braid: member p0: rx lacpdus 10, rx marker responses 0, tx marker "
        "responses 0, marker responses dropped 0, rx loopback 0, rx link down "
        "0, rx lacp disabled 0, state changes 4, actor churns 0, partner "
        "churns 0\n"
        "braid: member p0: rx bad by reason: none\n"
        "braid: member p1: rx lacpdus 120, rx marker responses 3, tx marker "
        "responses 1, marker responses dropped 1, rx loopback 1, rx link down "
        "1, rx lacp disabled 0, state changes 9, actor churns 5, partner "
        "churns 6\n"
        "braid: member p1: rx bad by reason: lacp version is 0 (2), marker tlv "
        "length is not 16 (1)\n";
    EXPECT_EQ(lacp_show_stats_text(s, "bond0"), expected);
}

TEST(LacpShow, EveryBadReasonIsNamed)
{
    LacpStatus s = negotiated_status();
    s.members.resize(1);
    LacpMemberStats &st = s.members[0].stats;
    std::string reasons;
    for (size_t i = 1; i < size_t(SlowError::kCount); i++) {
        st.rx_bad_by_reason[i] = i;
        reasons += fmt::format("{}{} ({})", reasons.empty() ? "" : ", ",
                               slow_error_to_string(SlowError(i)), i);
    }
    std::string text = lacp_show_stats_text(s, "bond0");
    EXPECT_NE(text.find("\nbraid: member p1: rx bad by reason: " + reasons + "\n"),
              std::string::npos)
        << text;
    /* SlowError::kNone is never a reason. */
    st.rx_bad_by_reason[0] = 5;
    EXPECT_EQ(lacp_show_stats_text(s, "bond0"), text);
}

/* ---- Two real Lacp objects ------------------------------------------------------ */

/* Bond 'n' with system 02:aa:00:00:00:0n, fast and active, and members
 * 'first' and 'first' + 1 (ids equal to port numbers, named p<port>). */
void configure(Lacp &lacp, uint8_t n, uint16_t first)
{
    LacpSettings s;
    s.name = "bond" + std::to_string(n);
    s.fast = true;
    s.system_id = EthAddr{{0x02, 0xaa, 0, 0, 0, n}};
    std::string error;
    ASSERT_TRUE(lacp.reconfigure(s, 0, &error)) << error;
    for (uint16_t port = first; port < first + 2; port++) {
        LacpMemberSettings m;
        m.name = "p" + std::to_string(port);
        m.mac = EthAddr{{0x02, 0xbb, 0, 0, n, uint8_t(port)}};
        m.port = port;
        ASSERT_TRUE(lacp.set_member(port, m, 0, &error)) << error;
        lacp.set_member_enabled(port, true, 0);
    }
}

TEST(LacpShow, TwoRealBondsAfterNegotiation)
{
    /* Bond 1 has ports 1 and 2, bond 2 has ports 3 and 4; 1-3 and 2-4 are
     * cabled. */
    Lacp a;
    Lacp b;
    configure(a, 1, 1);
    configure(b, 2, 3);
    auto deliver = [](Lacp &from, Lacp &to, int64_t now) {
        bool any = false;
        for (auto &[member, frame] : from.take_tx(now)) {
            to.process_pdu(member + 2 - 4 * (member > 2), frame, now);
            any = true;
        }
        return any;
    };
    for (int64_t now = 0; now <= 10000; now += 10) {
        a.run(now);
        b.run(now);
        while (deliver(a, b, now) | deliver(b, a, now)) {
        }
    }
    ASSERT_TRUE(a.negotiated());

    const std::string expected = R"(---- bond1 ----
  status: active negotiated
  sys_id: 02:aa:00:00:00:01
  sys_priority: 65534
  aggregation key: 1
  lacp_time: fast

member: p1: current attached
  port_id: 1
  port_priority: 65535
  may_enable: true

  actor sys_id: 02:aa:00:00:00:01
  actor sys_priority: 65534
  actor port_id: 1
  actor port_priority: 65535
  actor key: 1
  actor state: activity timeout aggregation synchronized collecting distributing

  partner sys_id: 02:aa:00:00:00:02
  partner sys_priority: 65534
  partner port_id: 3
  partner port_priority: 65535
  partner key: 3
  partner state: activity timeout aggregation synchronized collecting distributing

member: p2: current attached
  port_id: 2
  port_priority: 65535
  may_enable: true

  actor sys_id: 02:aa:00:00:00:01
  actor sys_priority: 65534
  actor port_id: 2
  actor port_priority: 65535
  actor key: 1
  actor state: activity timeout aggregation synchronized collecting distributing

  partner sys_id: 02:aa:00:00:00:02
  partner sys_priority: 65534
  partner port_id: 4
  partner port_priority: 65535
  partner key: 3
  partner state: activity timeout aggregation synchronized collecting distributing

braid: ad-select stable, fallback-ab false, active aggregator 1
braid: mux control coupled
)"
        "braid: aggregator 1: active true, individual false, actor key 1, "
        "partner system priority 65534, partner system 02:aa:00:00:00:02, "
        "partner key 3, members p1, p2\n"
        "braid: member p1: link up, rx current, mux collecting_distributing, "
        "periodic fast_periodic, tx idle, selection selected, aggregator 1, "
        "actor churn none, partner churn none\n"
        "braid: member p2: link up, rx current, mux collecting_distributing, "
        "periodic fast_periodic, tx idle, selection selected, aggregator 1, "
        "actor churn none, partner churn none\n";
    EXPECT_EQ(lacp_show_text(a.status(), "bond1"), expected);

    /* The Open vSwitch counters are the member's. */
    LacpStatus st = a.status();
    std::string stats = lacp_show_stats_text(st, "bond1");
    for (const LacpMemberStatus &m : st.members) {
        EXPECT_GT(m.stats.tx_pdus, 0u);
        EXPECT_NE(stats.find(fmt::format("member: {}:\n  TX PDUs: {}\n  RX PDUs: {}\n",
                                         m.settings.name, m.stats.tx_pdus, m.stats.rx_frames)),
                  std::string::npos)
            << stats;
    }
}

}  // namespace
}  // namespace braid::ofproto
