/* Unit tests for LACP (ofproto/lacp.cc, lacp-machines.cc,
 * lacp-selection.cc): negotiation, timers, the transmission rate and
 * aggregator selection, on the simulated network of tests/lacp-net.h.
 * tests/test-lacp-frames.cc has the frames: markers, loops, bad input. */
#include <config.h>

#include "tests/lacp-net.h"

namespace braid::ofproto {
namespace {

using namespace lacp_test;

/* ---- Negotiation ---------------------------------------------------------------- */

TEST(Lacp, NegotiatesFastInTwoSeconds)
{
    Pair pair(make_settings(1, true), make_settings(2, true), 1);
    auto &[a, b, net, cables] = pair;

    net.advance_to(1999);
    for (Node *node : {&a, &b}) {
        LacpMemberStatus m = node->member(1);
        EXPECT_EQ(m.rx, LacpRxState::kCurrent);
        EXPECT_EQ(m.mux, LacpMuxState::kWaiting);
        EXPECT_EQ(m.selected, LacpSelected::kSelected);
        EXPECT_FALSE(node->lacp.member_may_enable(1));
        EXPECT_FALSE(node->lacp.negotiated());
    }

    net.advance_to(2000);
    for (Node *node : {&a, &b}) {
        Node *other = node == &a ? &b : &a;
        LacpMemberStatus m = node->member(1);
        EXPECT_EQ(m.mux, LacpMuxState::kCollectingDistributing);
        EXPECT_TRUE(node->lacp.member_may_enable(1));
        EXPECT_TRUE(node->lacp.negotiated());
        EXPECT_TRUE(node->lacp.member_current(1));
        EXPECT_FALSE(node->lacp.member_defaulted(1));
        EXPECT_EQ(m.actor, (LacpPortInfo{kLacpDefaultSystemPriority, system_mac(node->n), 1,
                                         kLacpDefaultPortPriority, 1, kInSyncState}));
        EXPECT_EQ(m.partner, (LacpPortInfo{kLacpDefaultSystemPriority, system_mac(other->n),
                                           1, kLacpDefaultPortPriority, 1, kInSyncState}));
        EXPECT_EQ(m.aggregator, 1u);
        EXPECT_EQ(node->lacp.active_aggregator(), 1u);
        EXPECT_EQ(m.periodic, LacpPeriodicState::kFastPeriodic);
        EXPECT_EQ(m.tx, LacpTxState::kIdle);
        EXPECT_EQ(m.actor_churn, LacpChurnState::kNoChurn);
        EXPECT_EQ(m.partner_churn, LacpChurnState::kNoChurn);
        /* INITIALIZE, PORT_DISABLED, EXPIRED, CURRENT; DETACHED, WAITING,
         * ATTACHED, COLLECTING_DISTRIBUTING. */
        EXPECT_EQ(m.stats.state_changes, 6u);
        EXPECT_EQ(m.stats.expired, 0u);
        EXPECT_EQ(m.stats.defaulted, 0u);
        EXPECT_EQ(m.stats.rx_bad, 0u);
        EXPECT_EQ(m.stats.rx_pdus, other->member(1).stats.tx_pdus);
    }

    /* Steady state: one LACPDU a second each way, nothing else. */
    net.advance_to(13000);
    EXPECT_EQ(net.lacpdus_between(a, 1, 3000, 13000), 10u);
    EXPECT_EQ(net.lacpdus_between(b, 1, 3000, 13000), 10u);
    EXPECT_EQ(a.member(1).stats.state_changes, 6u);
    net.check_rate_limits();
}

TEST(Lacp, NegotiatesSlowAndSendsEvery30s)
{
    Pair pair(make_settings(1, false), make_settings(2, false), 1);
    auto &[a, b, net, cables] = pair;

    net.advance_to(1999);
    EXPECT_EQ(a.member(1).mux, LacpMuxState::kWaiting);
    net.advance_to(2000);
    for (Node *node : {&a, &b}) {
        LacpMemberStatus m = node->member(1);
        EXPECT_EQ(m.mux, LacpMuxState::kCollectingDistributing);
        EXPECT_EQ(m.periodic, LacpPeriodicState::kSlowPeriodic);
        EXPECT_EQ(m.actor.state, kInSyncState & ~kLacpStateTimeout);
        EXPECT_EQ(m.partner.state, kInSyncState & ~kLacpStateTimeout);
    }
    net.advance_to(130000);
    EXPECT_EQ(net.lacpdus_between(a, 1, 10000, 130000), 4u);
    EXPECT_EQ(net.lacpdus_between(b, 1, 10000, 130000), 4u);
    EXPECT_TRUE(a.lacp.negotiated());
    EXPECT_TRUE(b.lacp.negotiated());
    net.check_rate_limits();
}

TEST(Lacp, TwoMemberPairsShareOneAggregator)
{
    for (bool fast : {true, false}) {
        Pair pair(make_settings(1, fast), make_settings(2, fast), 2);
        auto &[a, b, net, cables] = pair;
        net.advance_to(1999);
        EXPECT_FALSE(a.lacp.negotiated());
        net.advance_to(2000);
        for (Node *node : {&a, &b}) {
            LacpStatus st = node->lacp.status();
            ASSERT_EQ(st.aggregators.size(), 1u);
            EXPECT_EQ(st.aggregators[0].id, 1u);
            EXPECT_TRUE(st.aggregators[0].active);
            EXPECT_EQ(st.aggregators[0].members, (std::vector<LacpMemberId>{1, 2}));
            EXPECT_EQ(st.aggregators[0].actor_key, 1);
            EXPECT_EQ(st.aggregators[0].partner_key, 1);
            EXPECT_EQ(st.aggregators[0].partner_system, system_mac(node == &a ? 2 : 1));
            EXPECT_TRUE(st.negotiated);
            for (LacpMemberId m : {1u, 2u}) {
                EXPECT_TRUE(node->lacp.member_may_enable(m)) << fast << " " << m;
                EXPECT_EQ(node->lacp.member_aggregator(m), 1u);
            }
        }
        net.advance_to(100000);
        EXPECT_TRUE(a.lacp.member_may_enable(2));
        net.check_rate_limits();
    }
}

TEST(Lacp, ActivePassiveNegotiatesBothWays)
{
    for (bool a_active : {true, false}) {
        Pair pair(make_settings(1, true, a_active), make_settings(2, true, !a_active), 1);
        auto &[a, b, net, cables] = pair;
        net.advance_to(1999);
        EXPECT_FALSE(a.lacp.negotiated());
        net.advance_to(2000);
        EXPECT_TRUE(a.lacp.negotiated()) << a_active;
        EXPECT_TRUE(b.lacp.negotiated()) << a_active;
        Node &passive = a_active ? b : a;
        LacpMemberStatus m = passive.member(1);
        EXPECT_EQ(m.actor.state, kInSyncState & ~kLacpStateActivity);
        EXPECT_EQ(m.periodic, LacpPeriodicState::kFastPeriodic);
        net.advance_to(60000);
        EXPECT_TRUE(a.lacp.member_may_enable(1));
        EXPECT_TRUE(b.lacp.member_may_enable(1));
        net.check_rate_limits();
    }
}

TEST(Lacp, PassivePassiveNeverNegotiates)
{
    Pair pair(make_settings(1, true, false), make_settings(2, true, false), 1);
    auto &[a, b, net, cables] = pair;
    net.advance_to(2999);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kExpired);
    net.advance_to(3000);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kDefaulted);
    net.advance_to(200000);
    EXPECT_EQ(net.frames_sent(), 0u);
    for (Node *node : {&a, &b}) {
        LacpMemberStatus m = node->member(1);
        EXPECT_FALSE(node->lacp.negotiated());
        EXPECT_EQ(m.rx, LacpRxState::kDefaulted);
        EXPECT_EQ(m.mux, LacpMuxState::kDetached);
        EXPECT_EQ(m.periodic, LacpPeriodicState::kNoPeriodic);
        EXPECT_EQ(m.tx, LacpTxState::kNoTransmit);
        EXPECT_EQ(m.aggregator, 0u);
        EXPECT_EQ(m.stats.tx_pdus, 0u);
        EXPECT_EQ(m.stats.expired, 0u);     /* Never was CURRENT. */
        EXPECT_EQ(m.stats.defaulted, 1u);
        EXPECT_EQ(m.actor_churn, LacpChurnState::kChurn);
        EXPECT_EQ(m.partner_churn, LacpChurnState::kChurn);
        EXPECT_EQ(m.stats.actor_churns, 1u);
        EXPECT_EQ(m.stats.partner_churns, 1u);
        EXPECT_EQ(m.actor.state, kLacpStateTimeout | kLacpStateAggregation
                                     | kLacpStateDefaulted);
        EXPECT_EQ(node->lacp.next_wake(200000), kLacpNever);
    }
}

/* ---- Losing and regaining the partner ---------------------------------------- */

TEST(Lacp, PartnerLossFastExpiresIn3sAndDefaultsIn3sMore)
{
    Pair pair(make_settings(1, true), make_settings(2, true), 1);
    auto &[a, b, net, cables] = pair;
    size_t cable = cables[0];
    net.advance_to(5500);
    net.cut(cable);
    int64_t last = net.last_rx(a, 1);
    EXPECT_EQ(last, 5000);

    net.advance_to(last + 2999);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kCurrent);
    EXPECT_TRUE(a.lacp.member_may_enable(1));

    net.advance_to(last + 3000);
    LacpMemberStatus m = a.member(1);
    EXPECT_EQ(m.rx, LacpRxState::kExpired);
    EXPECT_EQ(m.mux, LacpMuxState::kAttached);
    EXPECT_FALSE(a.lacp.member_may_enable(1));
    EXPECT_FALSE(a.lacp.negotiated());
    EXPECT_EQ(m.actor.state, kLacpStateActivity | kLacpStateTimeout | kLacpStateAggregation
                                 | kLacpStateSynchronization | kLacpStateExpired);
    EXPECT_EQ(m.partner.state, kInSyncState & ~kLacpStateSynchronization);
    EXPECT_EQ(m.stats.expired, 1u);

    net.advance_to(last + 5999);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kExpired);
    net.advance_to(last + 6000);
    m = a.member(1);
    EXPECT_EQ(m.rx, LacpRxState::kDefaulted);
    EXPECT_TRUE(a.lacp.member_defaulted(1));
    EXPECT_EQ(m.mux, LacpMuxState::kDetached);
    EXPECT_EQ(m.selected, LacpSelected::kUnselected);
    EXPECT_EQ(m.aggregator, 0u);
    EXPECT_EQ(a.lacp.active_aggregator(), 0u);
    EXPECT_EQ(m.partner, (LacpPortInfo{0, EthAddr{}, 0, 0, 0, kLacpStateTimeout}));
    EXPECT_EQ(m.actor.state, kLacpStateActivity | kLacpStateTimeout | kLacpStateAggregation
                                 | kLacpStateDefaulted);
    EXPECT_EQ(m.stats.expired, 1u);
    EXPECT_EQ(m.stats.defaulted, 1u);

    /* Defaulted with lacp-time fast: still one LACPDU a second. */
    net.advance_to(last + 16000);
    EXPECT_EQ(net.lacpdus_between(a, 1, last + 6000, last + 16000), 10u);
    net.check_rate_limits();
}

TEST(Lacp, PartnerLossSlowExpiresIn90s)
{
    Pair pair(make_settings(1, false), make_settings(2, false), 1);
    auto &[a, b, net, cables] = pair;
    size_t cable = cables[0];
    net.advance_to(65000);
    net.cut(cable);
    int64_t last = net.last_rx(a, 1);
    EXPECT_EQ(last, 60000);

    net.advance_to(last + 89999);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kCurrent);
    EXPECT_TRUE(a.lacp.member_may_enable(1));
    net.advance_to(last + 90000);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kExpired);
    EXPECT_FALSE(a.lacp.member_may_enable(1));
    /* Expired: asks for fast PDUs, so transmits every second itself. */
    EXPECT_EQ(a.member(1).periodic, LacpPeriodicState::kFastPeriodic);
    net.advance_to(last + 92999);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kExpired);
    net.advance_to(last + 93000);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kDefaulted);
    EXPECT_EQ(a.member(1).stats.defaulted, 1u);

    /* Defaulted with lacp-time slow: every 30 s. */
    EXPECT_EQ(a.member(1).periodic, LacpPeriodicState::kSlowPeriodic);
    net.advance_to(last + 213000);
    EXPECT_EQ(net.lacpdus_between(a, 1, last + 93000, last + 213000), 4u);
    net.check_rate_limits();
}

TEST(Lacp, RepairedLinkReattachesWithin3sInFastMode)
{
    /* The cable stops carrying frames (no carrier change) until both sides
     * are defaulted, then works again at various phases of the periodic
     * timers; 1000 is the worst case (just after both sent). */
    for (int64_t phase : {0, 250, 500, 750, 999, 1000}) {
        Pair pair(make_settings(1, true), make_settings(2, true), 1);
        auto &[a, b, net, cables] = pair;
        size_t cable = cables[0];
        net.advance_to(5500);
        net.cut(cable);
        net.advance_to(19000 + phase);
        ASSERT_TRUE(a.lacp.member_defaulted(1));
        ASSERT_TRUE(b.lacp.member_defaulted(1));
        int64_t repaired = net.now();
        net.repair(cable);
        net.advance_to(repaired + 1999);
        EXPECT_FALSE(a.lacp.member_may_enable(1)) << phase;
        net.advance_to(repaired + 3000);
        EXPECT_TRUE(a.lacp.member_may_enable(1)) << phase;
        EXPECT_TRUE(b.lacp.member_may_enable(1)) << phase;
        EXPECT_EQ(a.member(1).stats.defaulted, 1u);
        net.check_rate_limits();
    }
}

/* With the other member still attached, the aggregator is formed: the
 * repaired member joins it without the 2 s aggregate wait, within one
 * periodic interval. */
TEST(Lacp, RepairedLinkJoinsAFormedAggregatorWithoutWaiting)
{
    for (int64_t phase : {0, 500, 999}) {
        Pair pair(make_settings(1, true), make_settings(2, true), 2);
        auto &[a, b, net, cables] = pair;
        net.advance_to(5500);
        net.cut(cables[1]);
        net.advance_to(19000 + phase);
        ASSERT_TRUE(a.lacp.member_defaulted(2));
        ASSERT_TRUE(a.lacp.member_may_enable(1));
        int64_t repaired = net.now();
        net.repair(cables[1]);
        net.advance_to(repaired + 1000);
        EXPECT_TRUE(a.lacp.member_may_enable(2)) << phase;
        EXPECT_TRUE(b.lacp.member_may_enable(2)) << phase;
        EXPECT_TRUE(a.lacp.member_may_enable(1)) << phase;
        EXPECT_EQ(a.member(2).aggregator, a.member(1).aggregator);
        net.check_rate_limits();
    }
}

TEST(Lacp, LinkDownAndUpReattachesIn2s)
{
    Pair pair(make_settings(1, true), make_settings(2, true), 1);
    auto &[a, b, net, cables] = pair;
    size_t cable = cables[0];
    net.advance_to(5500);
    net.cut(cable, true);
    LacpMemberStatus m = a.member(1);
    EXPECT_EQ(m.rx, LacpRxState::kPortDisabled);
    EXPECT_EQ(m.mux, LacpMuxState::kDetached);
    EXPECT_EQ(m.periodic, LacpPeriodicState::kNoPeriodic);
    EXPECT_FALSE(a.lacp.negotiated());
    EXPECT_EQ(m.stats.link_changes, 2u);
    size_t sent = net.frames_sent();
    net.advance_to(20300);
    EXPECT_EQ(net.frames_sent(), sent);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kPortDisabled);

    net.repair(cable, true);
    net.advance_to(20300);
    EXPECT_EQ(a.member(1).rx, LacpRxState::kCurrent);
    EXPECT_EQ(a.member(1).mux, LacpMuxState::kWaiting);
    net.advance_to(22299);
    EXPECT_FALSE(a.lacp.member_may_enable(1));
    net.advance_to(22300);
    EXPECT_TRUE(a.lacp.member_may_enable(1));
    EXPECT_TRUE(b.lacp.member_may_enable(1));
    net.check_rate_limits();
}

/* ---- Transmission rate ------------------------------------------------------------ */

TEST(Lacp, NeverMoreThan3LacpdusPerSecond)
{
    Node a(1, make_settings(1, true), 1);
    a.lacp.set_member_enabled(1, true, 0);
    LacpPortInfo us = a.member(1).actor;
    std::vector<int64_t> sent;
    for (int64_t t = 0; t < 3000; t += 10) {
        /* A partner that gets our information wrong every other PDU (so
         * each PDU asks for a transmission) and changes its key every
         * 100 ms (so we reselect). */
        LacpPortInfo them{100, system_mac(9), uint16_t(5 + (t / 100) % 2), 1, 1,
                          kLacpStateActivity | kLacpStateTimeout | kLacpStateAggregation
                              | kLacpStateSynchronization};
        LacpPortInfo view = us;
        view.port_priority = (t / 10) % 2 ? 7 : us.port_priority;
        if (t == 1500 || t == 1600) {
            a.lacp.set_member_enabled(1, false, t);
            a.lacp.set_member_enabled(1, true, t);
        }
        Bytes frame = compose_lacpdu(port_mac(9, 1), them.to_wire(), view.to_wire(), 0);
        a.lacp.process_pdu(1, frame, t);
        for (auto &[member, out] : a.lacp.take_tx(t)) {
            ASSERT_EQ(member, 1u);
            if (out[kEthHeaderLen] == kSlowSubtypeLacp) {
                sent.push_back(t);
            }
        }
    }
    for (size_t i = 0; i + 3 < sent.size(); i++) {
        EXPECT_GE(sent[i + 3] - sent[i], 1000) << "at " << sent[i];
    }
    /* Always something to say, so exactly 3 in each second. */
    EXPECT_EQ(sent.size(), 9u);
    for (int64_t second = 0; second < 3; second++) {
        EXPECT_EQ(std::count_if(sent.begin(), sent.end(),
                                [&](int64_t t) { return t / 1000 == second; }),
                  3)
            << second;
    }
    EXPECT_EQ(a.member(1).stats.tx_pdus, 9u);
    /* Something is still waiting to go out, at the end of the window. */
    EXPECT_EQ(a.lacp.next_wake(2990), sent[6] + 1000);
}

/* ---- Aggregator selection --------------------------------------------------------- */

struct TwoPartners {
    /* A has members 1-3: 3 goes to C (one member) from time 0, 1 and 2 go to
     * B (two members) from 5 s on. */
    TwoPartners(LacpAdSelect ad_select, uint16_t c_priority)
        : a(1, make_settings(1, true, true, ad_select), 3),
          b(2, make_settings(2, true), 2),
          c(3, make_settings(3, true, true, LacpAdSelect::kStable, c_priority), 1)
    {
        net.add(a);
        net.add(b);
        net.add(c);
        net.connect(a, 3, c, 1);
        net.advance_to(5000);
        EXPECT_TRUE(a.lacp.member_may_enable(3));
        EXPECT_EQ(a.lacp.active_aggregator(), 3u);
        net.connect(a, 1, b, 1);
        net.connect(a, 2, b, 2);
        net.advance_to(6999);
    }

    Node a;
    Node b;
    Node c;
    Net net;
};

TEST(Lacp, AdSelectStableKeepsTheFirstAggregator)
{
    TwoPartners t(LacpAdSelect::kStable, kLacpDefaultSystemPriority);
    t.net.advance_to(20000);
    LacpStatus st = t.a.lacp.status();
    EXPECT_EQ(st.active_aggregator, 3u);
    ASSERT_EQ(st.aggregators.size(), 2u);
    EXPECT_EQ(st.aggregators[0].id, 1u);
    EXPECT_EQ(st.aggregators[0].members, (std::vector<LacpMemberId>{1, 2}));
    EXPECT_EQ(st.aggregators[0].partner_system, system_mac(2));
    EXPECT_FALSE(st.aggregators[0].active);
    EXPECT_EQ(st.aggregators[1].id, 3u);
    EXPECT_EQ(st.aggregators[1].members, (std::vector<LacpMemberId>{3}));
    EXPECT_TRUE(st.aggregators[1].active);
    EXPECT_TRUE(t.a.lacp.member_may_enable(3));
    for (LacpMemberId m : {1u, 2u}) {
        EXPECT_EQ(t.a.member(m).selected, LacpSelected::kStandby);
        EXPECT_EQ(t.a.member(m).mux, LacpMuxState::kWaiting);
        EXPECT_FALSE(t.a.lacp.member_may_enable(m));
        /* B attaches but its partner (A) never says it is in sync. */
        EXPECT_EQ(t.b.member(m).mux, LacpMuxState::kAttached);
    }
    EXPECT_FALSE(t.b.lacp.negotiated());
    EXPECT_TRUE(t.c.lacp.negotiated());
    t.net.check_rate_limits();
}

TEST(Lacp, AdSelectCountPicksTheLargerAggregator)
{
    for (LacpAdSelect policy : {LacpAdSelect::kCount, LacpAdSelect::kBandwidth}) {
        TwoPartners t(policy, kLacpDefaultSystemPriority);
        /* The larger aggregator became active at 5 s: 3 left at once and 1
         * and 2 are waiting to attach. */
        EXPECT_EQ(t.a.lacp.active_aggregator(), 1u);
        EXPECT_FALSE(t.a.lacp.member_may_enable(3));
        EXPECT_EQ(t.a.member(3).selected, LacpSelected::kStandby);
        EXPECT_EQ(t.a.member(3).mux, LacpMuxState::kWaiting);
        EXPECT_EQ(t.a.member(1).mux, LacpMuxState::kWaiting);
        EXPECT_EQ(t.c.member(1).mux, LacpMuxState::kAttached);
        t.net.advance_to(7000);
        EXPECT_TRUE(t.a.lacp.member_may_enable(1));
        EXPECT_TRUE(t.a.lacp.member_may_enable(2));
        EXPECT_FALSE(t.a.lacp.member_may_enable(3));
        EXPECT_EQ(t.a.member(3).aggregator, 3u);
        EXPECT_TRUE(t.b.lacp.negotiated());
        EXPECT_FALSE(t.c.lacp.negotiated());
        t.net.advance_to(60000);
        EXPECT_EQ(t.a.lacp.active_aggregator(), 1u);
        EXPECT_TRUE(t.a.lacp.member_may_enable(1));
        t.net.check_rate_limits();
    }
}

TEST(Lacp, AdSelectPrioPicksTheBetterPartner)
{
    {
        /* C has the better system priority: it stays, though smaller. */
        TwoPartners t(LacpAdSelect::kPrio, 100);
        t.net.advance_to(20000);
        EXPECT_EQ(t.a.lacp.active_aggregator(), 3u);
        EXPECT_TRUE(t.a.lacp.member_may_enable(3));
        EXPECT_FALSE(t.a.lacp.member_may_enable(1));
    }
    {
        /* C has the worse one: B's aggregator takes over. */
        TwoPartners t(LacpAdSelect::kPrio, 65535);
        t.net.advance_to(20000);
        EXPECT_EQ(t.a.lacp.active_aggregator(), 1u);
        EXPECT_FALSE(t.a.lacp.member_may_enable(3));
        EXPECT_TRUE(t.a.lacp.member_may_enable(1));
        EXPECT_TRUE(t.a.lacp.member_may_enable(2));
    }
}

TEST(Lacp, DifferentPartnerKeysFormSeparateAggregators)
{
    Node a(1, make_settings(1, true), 2);
    Node b(2, make_settings(2, true), 0);
    std::string error;
    ASSERT_TRUE(b.lacp.set_member(1, make_member(2, 1, 10), 0, &error)) << error;
    ASSERT_TRUE(b.lacp.set_member(2, make_member(2, 2, 20), 0, &error)) << error;
    Net net;
    net.add(a);
    net.add(b);
    net.connect(a, 1, b, 1);
    net.connect(a, 2, b, 2);
    net.advance_to(10000);
    for (Node *node : {&a, &b}) {
        LacpStatus st = node->lacp.status();
        ASSERT_EQ(st.aggregators.size(), 2u);
        EXPECT_EQ(st.aggregators[0].members, (std::vector<LacpMemberId>{1}));
        EXPECT_EQ(st.aggregators[1].members, (std::vector<LacpMemberId>{2}));
        EXPECT_EQ(st.active_aggregator, 1u);
        EXPECT_TRUE(node->lacp.member_may_enable(1));
        EXPECT_FALSE(node->lacp.member_may_enable(2));
        EXPECT_EQ(node->member(2).selected, LacpSelected::kStandby);
    }
    EXPECT_EQ(a.lacp.status().aggregators[0].partner_key, 10);
    EXPECT_EQ(a.lacp.status().aggregators[1].partner_key, 20);
    EXPECT_EQ(b.lacp.status().aggregators[1].actor_key, 20);
}

TEST(Lacp, PartnerChangingSystemOnOneMemberLeavesTheOthersAttached)
{
    /* Member 1's port number names the aggregator both share, so when 1
     * moves it must take another number; when 2 moves, it takes its own. */
    for (LacpMemberId moved : {2u, 1u}) {
        LacpMemberId stays = moved == 1 ? 2 : 1;
        Node a(1, make_settings(1, true), 2);
        Node b(2, make_settings(2, true), 2);
        Node c(3, make_settings(3, true), 1);
        Net net;
        net.add(a);
        net.add(b);
        net.add(c);
        size_t cables[3] = {0, net.connect(a, 1, b, 1), net.connect(a, 2, b, 2)};
        net.advance_to(10000);
        ASSERT_TRUE(a.lacp.member_may_enable(1));
        ASSERT_TRUE(a.lacp.member_may_enable(2));
        ASSERT_EQ(a.lacp.member_aggregator(1), 1u);
        ASSERT_EQ(a.lacp.member_aggregator(2), 1u);

        /* Member 'moved''s partner is now another system (an MC-LAG peer
         * that rebooted with a new system id). */
        net.cut(cables[moved]);
        net.connect(a, moved, c, 1);
        for (int64_t t = 10000; t <= 30000; t += 100) {
            net.advance_to(t);
            ASSERT_TRUE(a.lacp.member_may_enable(stays)) << moved << " " << t;
            ASSERT_EQ(a.lacp.member_aggregator(stays), 1u) << moved << " " << t;
            ASSERT_EQ(a.member(stays).stats.state_changes, 6u) << moved << " " << t;
            ASSERT_TRUE(b.lacp.member_may_enable(stays)) << moved << " " << t;
        }
        LacpMemberStatus m = a.member(moved);
        EXPECT_EQ(m.partner.system, system_mac(3));
        EXPECT_EQ(m.aggregator, 2u);
        EXPECT_EQ(m.selected, LacpSelected::kStandby);
        EXPECT_EQ(m.mux, LacpMuxState::kWaiting);
        EXPECT_EQ(a.lacp.active_aggregator(), 1u);
        LacpStatus st = a.lacp.status();
        ASSERT_EQ(st.aggregators.size(), 2u);
        EXPECT_EQ(st.aggregators[0].id, 1u);
        EXPECT_EQ(st.aggregators[0].members, (std::vector<LacpMemberId>{stays}));
        EXPECT_EQ(st.aggregators[0].partner_system, system_mac(2));
        EXPECT_EQ(st.aggregators[1].id, 2u);
        EXPECT_EQ(st.aggregators[1].members, (std::vector<LacpMemberId>{moved}));
        EXPECT_EQ(st.aggregators[1].partner_system, system_mac(3));
        EXPECT_TRUE(a.lacp.negotiated());
        EXPECT_TRUE(b.lacp.member_defaulted(moved));
        net.check_rate_limits();
    }
}

/* A LACPDU from a partner played by the test (system 9, key 5), which
 * reports 'state' for itself and 'view' as what it knows of us. */
Bytes scripted_pdu(uint16_t port, uint8_t state, const LacpPortInfo &view)
{
    LacpPortInfo them{100, system_mac(9), 5, 1, port, state};
    return compose_lacpdu(port_mac(9, port), them.to_wire(), view.to_wire(), 0);
}

TEST(Lacp, PartnerIsInSyncOnlyIfItKnowsUs)
{
    Node a(1, make_settings(1, true), 1);
    a.lacp.set_member_enabled(1, true, 0);
    /* It claims to be in sync, collecting and distributing, but has our key
     * wrong. */
    for (int64_t t = 0; t <= 6000; t += 500) {
        LacpPortInfo view = a.member(1).actor;
        view.key = 99;
        ASSERT_EQ(a.lacp.process_pdu(1, scripted_pdu(1, kInSyncState, view), t),
                  LacpRxResult::kLacpdu);
        a.lacp.take_tx(t);
    }
    LacpMemberStatus m = a.member(1);
    EXPECT_EQ(m.mux, LacpMuxState::kAttached);
    EXPECT_EQ(m.partner.state, kInSyncState & ~kLacpStateSynchronization);
    EXPECT_FALSE(a.lacp.member_may_enable(1));

    /* Once it has us right, it is in sync. */
    ASSERT_EQ(a.lacp.process_pdu(1, scripted_pdu(1, kInSyncState, a.member(1).actor), 6100),
              LacpRxResult::kLacpdu);
    EXPECT_EQ(a.member(1).mux, LacpMuxState::kCollectingDistributing);
    EXPECT_EQ(a.member(1).partner.state, kInSyncState);

    /* And a partner that reports itself out of sync takes us out of
     * COLLECTING_DISTRIBUTING, into ATTACHED. */
    ASSERT_EQ(a.lacp.process_pdu(1,
                                 scripted_pdu(1, kLacpStateActivity | kLacpStateTimeout
                                                     | kLacpStateAggregation,
                                              a.member(1).actor),
                                 6200),
              LacpRxResult::kLacpdu);
    EXPECT_EQ(a.member(1).mux, LacpMuxState::kAttached);
}

/* Independent control: COLLECTING once the partner is in sync, and
 * DISTRIBUTING only once it collects too; back step by step. */
TEST(Lacp, IndependentControlCollectsBeforeDistributing)
{
    LacpSettings settings = make_settings(1, true);
    settings.independent_control = true;
    Node a(1, settings, 1);
    a.lacp.set_member_enabled(1, true, 0);
    const uint8_t in_sync_only = kLacpStateActivity | kLacpStateTimeout
                                 | kLacpStateAggregation | kLacpStateSynchronization;
    for (int64_t t = 0; t <= 3000; t += 500) {
        ASSERT_EQ(a.lacp.process_pdu(1, scripted_pdu(1, in_sync_only, a.member(1).actor), t),
                  LacpRxResult::kLacpdu);
        a.lacp.run(t);
        a.lacp.take_tx(t);
    }
    LacpMemberStatus m = a.member(1);
    EXPECT_EQ(m.mux, LacpMuxState::kCollecting);
    EXPECT_TRUE(m.actor.state & kLacpStateCollecting);
    EXPECT_FALSE(m.actor.state & kLacpStateDistributing);
    EXPECT_TRUE(a.lacp.member_collecting(1));
    EXPECT_FALSE(a.lacp.member_may_enable(1));
    EXPECT_FALSE(a.lacp.negotiated());

    /* The partner collects: distribute. */
    ASSERT_EQ(a.lacp.process_pdu(1, scripted_pdu(1, kInSyncState, a.member(1).actor), 3100),
              LacpRxResult::kLacpdu);
    m = a.member(1);
    EXPECT_EQ(m.mux, LacpMuxState::kDistributing);
    EXPECT_TRUE(m.actor.state & kLacpStateDistributing);
    EXPECT_TRUE(a.lacp.member_may_enable(1));
    EXPECT_TRUE(a.lacp.negotiated());

    /* The partner stops collecting: back to COLLECTING, still collecting. */
    ASSERT_EQ(a.lacp.process_pdu(1, scripted_pdu(1, in_sync_only, a.member(1).actor), 3200),
              LacpRxResult::kLacpdu);
    EXPECT_EQ(a.member(1).mux, LacpMuxState::kCollecting);
    EXPECT_TRUE(a.lacp.member_collecting(1));
    EXPECT_FALSE(a.lacp.member_may_enable(1));

    /* Out of sync: ATTACHED, neither. */
    ASSERT_EQ(a.lacp.process_pdu(1,
                                 scripted_pdu(1, kLacpStateActivity | kLacpStateTimeout
                                                     | kLacpStateAggregation,
                                              a.member(1).actor),
                                 3300),
              LacpRxResult::kLacpdu);
    EXPECT_EQ(a.member(1).mux, LacpMuxState::kAttached);
    EXPECT_FALSE(a.lacp.member_collecting(1));
    EXPECT_FALSE(a.member(1).actor.state & kLacpStateCollecting);
}

/* Independent control on one side or both negotiates with coupled control,
 * and switching the control at run time keeps the member carrying. */
TEST(Lacp, IndependentAndCoupledControlInteroperate)
{
    for (int sides : {1, 2}) {
        LacpSettings sa = make_settings(1, true);
        LacpSettings sb = make_settings(2, true);
        sa.independent_control = true;
        sb.independent_control = sides == 2;
        Pair pair(sa, sb, 2);
        auto &[a, b, net, cables] = pair;
        net.advance_to(4000);
        for (LacpMemberId m : {1u, 2u}) {
            EXPECT_EQ(a.member(m).mux, LacpMuxState::kDistributing) << sides;
            EXPECT_EQ(b.member(m).mux, sides == 2 ? LacpMuxState::kDistributing
                                                  : LacpMuxState::kCollectingDistributing);
            EXPECT_TRUE(a.lacp.member_may_enable(m));
            EXPECT_TRUE(b.lacp.member_may_enable(m));
        }
        sa.independent_control = false;
        std::string error;
        ASSERT_TRUE(a.lacp.reconfigure(sa, net.now(), &error)) << error;
        net.advance_to(net.now() + 1000);
        EXPECT_EQ(a.member(1).mux, LacpMuxState::kCollectingDistributing);
        EXPECT_TRUE(a.lacp.member_may_enable(1));
        EXPECT_TRUE(b.lacp.member_may_enable(1));
        net.check_rate_limits();
    }
}

TEST(Lacp, IndividualPartnerLinksGetAggregatorsOfTheirOwn)
{
    Node a(1, make_settings(1, true), 2);
    a.lacp.set_member_enabled(1, true, 0);
    a.lacp.set_member_enabled(2, true, 0);
    /* The same partner system and key on both links, but it reports them
     * individual (no Aggregation bit): they must not share an aggregator. */
    uint8_t individual = kLacpStateActivity | kLacpStateTimeout | kLacpStateSynchronization;
    for (int64_t t = 0; t <= 4000; t += 500) {
        for (LacpMemberId id : {1u, 2u}) {
            ASSERT_EQ(a.lacp.process_pdu(id, scripted_pdu(uint16_t(id), individual,
                                                          a.member(id).actor),
                                         t),
                      LacpRxResult::kLacpdu);
        }
        a.lacp.take_tx(t);
    }
    LacpStatus st = a.lacp.status();
    ASSERT_EQ(st.aggregators.size(), 2u);
    EXPECT_TRUE(st.aggregators[0].individual);
    EXPECT_TRUE(st.aggregators[1].individual);
    EXPECT_EQ(st.aggregators[0].members, (std::vector<LacpMemberId>{1}));
    EXPECT_EQ(st.aggregators[1].members, (std::vector<LacpMemberId>{2}));
    EXPECT_EQ(st.active_aggregator, 1u);
    EXPECT_TRUE(a.lacp.member_may_enable(1));
    EXPECT_FALSE(a.lacp.member_may_enable(2));

    /* Once it reports them aggregatable, they share one. */
    for (int64_t t = 4500; t <= 8000; t += 500) {
        for (LacpMemberId id : {1u, 2u}) {
            a.lacp.process_pdu(id, scripted_pdu(uint16_t(id), kInSyncState, a.member(id).actor),
                               t);
        }
        a.lacp.take_tx(t);
    }
    st = a.lacp.status();
    ASSERT_EQ(st.aggregators.size(), 1u);
    EXPECT_FALSE(st.aggregators[0].individual);
    EXPECT_EQ(st.aggregators[0].members, (std::vector<LacpMemberId>{1, 2}));
    EXPECT_TRUE(a.lacp.member_may_enable(1));
    EXPECT_TRUE(a.lacp.member_may_enable(2));
}

TEST(Lacp, PartnerPortChangeDetachesAndWaitsAgain)
{
    /* B's key is fixed, so that its new port number does not change it. */
    LacpSettings sb = make_settings(2, true);
    sb.key = 1;
    Pair pair(make_settings(1, true), sb, 1);
    auto &[a, b, net, cables] = pair;
    net.advance_to(5000);
    ASSERT_TRUE(a.lacp.member_may_enable(1));

    /* Same partner system and key, another port: another link (802.1AX
     * update_Selected), so it goes through the aggregate wait again. */
    std::string error;
    ASSERT_TRUE(b.lacp.set_member(1, make_member(2, 9), 5000, &error)) << error;
    net.advance_to(5000);
    LacpMemberStatus m = a.member(1);
    EXPECT_EQ(m.partner.port, 9);
    EXPECT_EQ(m.partner.key, 1);
    EXPECT_EQ(m.mux, LacpMuxState::kWaiting);
    EXPECT_EQ(m.aggregator, 1u);
    EXPECT_FALSE(a.lacp.member_may_enable(1));
    EXPECT_FALSE(b.lacp.member_may_enable(1));
    net.advance_to(6999);
    EXPECT_FALSE(a.lacp.member_may_enable(1));
    net.advance_to(7000);
    EXPECT_TRUE(a.lacp.member_may_enable(1));
    EXPECT_TRUE(b.lacp.member_may_enable(1));
    /* Mux: ATTACHED, DETACHED, WAITING, ATTACHED, COLLECTING_DISTRIBUTING. */
    EXPECT_EQ(a.member(1).stats.state_changes, 6u + 5u);
    net.check_rate_limits();
}

TEST(Lacp, RemovingAMemberKeepsTheAggregatorOfTheOthers)
{
    LacpSettings s1 = make_settings(1, true);
    s1.key = 5;
    Pair pair(s1, make_settings(2, true), 2);
    auto &[a, b, net, cables] = pair;
    net.advance_to(5000);
    ASSERT_EQ(a.lacp.member_aggregator(2), 1u);

    /* Member 1's port number names the aggregator; member 2 keeps it. */
    a.lacp.remove_member(1, 5000);
    EXPECT_FALSE(a.lacp.has_member(1));
    net.advance_to(20000);
    EXPECT_TRUE(a.lacp.member_may_enable(2));
    EXPECT_EQ(a.lacp.member_aggregator(2), 1u);
    EXPECT_EQ(a.member(2).stats.state_changes, 6u);
    EXPECT_EQ(a.lacp.status().members.size(), 1u);
    EXPECT_TRUE(b.lacp.member_defaulted(1));
    EXPECT_TRUE(b.lacp.member_may_enable(2));

    /* Added back (the cable is still there): it joins the same aggregator,
     * which is formed, so without the aggregate wait, within a periodic
     * interval; member 2 never notices. */
    std::string error;
    ASSERT_TRUE(a.lacp.set_member(1, make_member(1, 1), 20000, &error)) << error;
    a.lacp.set_member_enabled(1, true, 20000);
    net.advance_to(21000);
    EXPECT_EQ(a.lacp.member_aggregator(1), 1u);
    EXPECT_TRUE(a.lacp.member_may_enable(1));
    EXPECT_TRUE(b.lacp.member_may_enable(1));
    EXPECT_EQ(a.member(2).stats.state_changes, 6u);
    net.check_rate_limits();
}

}  // namespace
}  // namespace braid::ofproto
