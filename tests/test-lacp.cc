/* Unit tests for LACP (ofproto/lacp.cc, lacp-machines.cc, lacp-selection.cc).
 *
 * Bonds ("nodes", each a Lacp) are wired member to member by simulated
 * cables.  Time is a plain number: the network steps every node to each
 * time one of them asks to wake up (next_wake()), and delivers every frame
 * at once, until all are quiet. */
#include <config.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lib/packet-compose.h"
#include "lib/slow-protocols.h"
#include "ofproto/lacp.h"
#include "tests/frame-builder.h"

namespace braid::ofproto {
namespace {

using test::Bytes;

constexpr uint8_t kInSyncState = kLacpStateActivity | kLacpStateTimeout
                                 | kLacpStateAggregation | kLacpStateSynchronization
                                 | kLacpStateCollecting | kLacpStateDistributing;

/* The system id of node 'n', and the address of its member 'port'. */
EthAddr system_mac(uint8_t n)
{
    return EthAddr{{0x02, 0xaa, 0x00, 0x00, 0x00, n}};
}

EthAddr port_mac(uint8_t n, uint16_t port)
{
    return EthAddr{{0x02, 0xbb, 0x00, 0x00, n, uint8_t(port)}};
}

LacpSettings make_settings(uint8_t n, bool fast, bool active = true,
                           LacpAdSelect ad_select = LacpAdSelect::kStable,
                           uint16_t system_priority = kLacpDefaultSystemPriority)
{
    LacpSettings s;
    s.name = "bond" + std::to_string(n);
    s.active = active;
    s.fast = fast;
    s.system_id = system_mac(n);
    s.system_priority = system_priority;
    s.ad_select = ad_select;
    return s;
}

LacpMemberSettings make_member(uint8_t n, uint16_t port, uint16_t key = 0)
{
    LacpMemberSettings m;
    m.name = "p" + std::to_string(port);
    m.mac = port_mac(n, port);
    m.port = port;
    m.key = key;
    return m;
}

/* A bond whose members have ids 1 to 'members', equal to their port
 * numbers. */
struct Node {
    Node(uint8_t num, const LacpSettings &s, int members, uint16_t key = 0) : n(num)
    {
        std::string error;
        EXPECT_TRUE(lacp.reconfigure(s, 0, &error)) << error;
        for (int i = 1; i <= members; i++) {
            EXPECT_TRUE(lacp.set_member(i, make_member(n, i, key), 0, &error)) << error;
        }
    }

    LacpMemberStatus member(LacpMemberId id) const
    {
        for (const LacpMemberStatus &m : lacp.status().members) {
            if (m.id == id) {
                return m;
            }
        }
        ADD_FAILURE() << "no member " << id;
        return {};
    }

    uint8_t n;
    Lacp lacp;
};

/* A status without counters, to compare states. */
LacpStatus without_stats(LacpStatus s)
{
    for (LacpMemberStatus &m : s.members) {
        m.stats = {};
    }
    s.rx_unknown_member = 0;
    return s;
}

class Net {
public:
    struct End {
        Node *node;
        LacpMemberId member;
    };
    struct Sent {
        int64_t time;
        Node *node;
        LacpMemberId member;
        uint8_t subtype;
    };

    void add(Node &node) { nodes_.push_back(&node); }

    /* Cables member 'ma' of 'a' to member 'mb' of 'b' and brings both links
     * up.  Returns the cable's number. */
    size_t connect(Node &a, LacpMemberId ma, Node &b, LacpMemberId mb)
    {
        cables_.push_back({{&a, ma}, {&b, mb}, true});
        a.lacp.set_member_enabled(ma, true, now_);
        b.lacp.set_member_enabled(mb, true, now_);
        return cables_.size() - 1;
    }

    /* Stops frames on cable 'c' both ways; with 'carrier', both links go
     * down too. */
    void cut(size_t c, bool carrier = false)
    {
        cables_[c].up = false;
        if (carrier) {
            cables_[c].a.node->lacp.set_member_enabled(cables_[c].a.member, false, now_);
            cables_[c].b.node->lacp.set_member_enabled(cables_[c].b.member, false, now_);
        }
    }

    void repair(size_t c, bool carrier = false)
    {
        cables_[c].up = true;
        if (carrier) {
            cables_[c].a.node->lacp.set_member_enabled(cables_[c].a.member, true, now_);
            cables_[c].b.node->lacp.set_member_enabled(cables_[c].b.member, true, now_);
        }
    }

    /* Takes every node's frames at the current time and delivers them,
     * until no node has more. */
    void step()
    {
        for (int round = 0; round < 1000; round++) {
            bool any = false;
            for (Node *node : nodes_) {
                for (auto &[member, frame] : node->lacp.take_tx(now_)) {
                    any = true;
                    uint8_t subtype = frame.size() > kEthHeaderLen ? frame[kEthHeaderLen] : 0;
                    sent_.push_back({now_, node, member, subtype});
                    if (tap) {
                        tap(*node, member, frame);
                    }
                    if (const End *peer = peer_of(node, member)) {
                        last_rx_[{peer->node, peer->member}] = now_;
                        test::ExactCopy copy(frame);
                        peer->node->lacp.process_pdu(peer->member, copy.span(), now_);
                    }
                }
            }
            if (!any) {
                return;
            }
        }
        ADD_FAILURE() << "frames never stopped at " << now_;
    }

    /* Runs to 'until', stepping only at the times the nodes ask to wake up
     * (so a next_wake() later than a timer shows up as a late transition). */
    void advance_to(int64_t until)
    {
        int same = 0;
        while (true) {
            int64_t wake = kLacpNever;
            for (Node *node : nodes_) {
                int64_t w = node->lacp.next_wake(now_);
                EXPECT_GE(w, now_);
                wake = std::min(wake, w);
            }
            if (wake > until) {
                break;
            }
            if (wake == now_ && ++same > 100) {
                ADD_FAILURE() << "next_wake() stuck at " << wake;
                break;
            }
            if (wake != now_) {
                same = 0;
            }
            now_ = wake;
            step();
        }
        now_ = until;
    }

    /* Runs to 'until' in fixed steps of 'dt', ignoring next_wake(). */
    void tick_to(int64_t until, int64_t dt)
    {
        step();
        while (now_ + dt <= until) {
            now_ += dt;
            step();
        }
    }

    int64_t now() const { return now_; }

    /* When member 'm' of 'node' last received a frame. */
    int64_t last_rx(Node &node, LacpMemberId m) { return last_rx_[{&node, m}]; }

    /* The times member 'm' of 'node' sent LACPDUs, in order. */
    std::vector<int64_t> lacpdu_times(const Node &node, LacpMemberId m) const
    {
        std::vector<int64_t> times;
        for (const Sent &s : sent_) {
            if (s.node == &node && s.member == m && s.subtype == kSlowSubtypeLacp) {
                times.push_back(s.time);
            }
        }
        return times;
    }

    /* LACPDUs member 'm' of 'node' sent in (from, to]. */
    size_t lacpdus_between(const Node &node, LacpMemberId m, int64_t from, int64_t to) const
    {
        size_t n = 0;
        for (int64_t t : lacpdu_times(node, m)) {
            n += t > from && t <= to;
        }
        return n;
    }

    size_t frames_sent() const { return sent_.size(); }

    /* Checks that no member sent more than 3 LACPDUs in any 1 s window. */
    void check_rate_limits() const
    {
        std::map<std::pair<const Node *, LacpMemberId>, std::vector<int64_t>> by_member;
        for (const Sent &s : sent_) {
            if (s.subtype == kSlowSubtypeLacp) {
                by_member[{s.node, s.member}].push_back(s.time);
            }
        }
        for (const auto &[who, times] : by_member) {
            for (size_t i = 0; i + kLacpMaxTxPerWindow < times.size(); i++) {
                EXPECT_GE(times[i + kLacpMaxTxPerWindow] - times[i], kLacpTxWindowMs)
                    << "node " << int(who.first->n) << " member " << who.second << " at "
                    << times[i];
            }
        }
    }

    /* Sees every frame sent, if set. */
    std::function<void(Node &, LacpMemberId, const Bytes &)> tap;

private:
    struct Cable {
        End a;
        End b;
        bool up;
    };

    const End *peer_of(const Node *node, LacpMemberId m) const
    {
        for (const Cable &c : cables_) {
            if (!c.up) {
                continue;
            }
            if (c.a.node == node && c.a.member == m) {
                return &c.b;
            }
            if (c.b.node == node && c.b.member == m) {
                return &c.a;
            }
        }
        return nullptr;
    }

    std::vector<Node *> nodes_;
    std::vector<Cable> cables_;
    std::vector<Sent> sent_;
    std::map<std::pair<Node *, LacpMemberId>, int64_t> last_rx_;
    int64_t now_ = 0;
};

/* Two bonds, A (node 1, settings 'sa') and B (node 2, settings 'sb'), with
 * 'members' members each, member i of A cabled to member i of B (cable
 * i - 1).  Tests take its parts apart: auto &[a, b, net, cables] = pair. */
struct Pair {
    Pair(const LacpSettings &sa, const LacpSettings &sb, int members)
        : a(1, sa, members), b(2, sb, members)
    {
        net.add(a);
        net.add(b);
        for (int i = 1; i <= members; i++) {
            cables.push_back(net.connect(a, i, b, i));
        }
    }

    Node a;
    Node b;
    Net net;
    std::vector<size_t> cables;
};

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

/* ---- Marker responder -------------------------------------------------------------- */

Bytes marker_frame(uint16_t port, EthAddr system, uint32_t transaction,
                   uint8_t tlv_type = kMarkerTlvInformation)
{
    MarkerPdu pdu = test::marker_info(port, system, transaction);
    pdu.tlv_type = tlv_type;
    return test::concat({test::eth(kEthTypeSlow, kEthAddrSlowProtocols, port_mac(2, 1)),
                         test::bytes_of(pdu)});
}

TEST(Lacp, MarkerRequestIsAnswered)
{
    Pair pair(make_settings(1, true), make_settings(2, true), 1);
    auto &[a, b, net, cables] = pair;
    net.advance_to(2500);
    LacpStatus before = without_stats(a.lacp.status());

    EXPECT_EQ(a.lacp.process_pdu(1, marker_frame(7, system_mac(2), 0xdeadbeef), 2500),
              LacpRxResult::kMarkerAnswered);
    Lacp::TxFrames out = a.lacp.take_tx(2500);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].first, 1u);
    const Bytes &frame = out[0].second;
    MarkerPdu response;
    ASSERT_EQ(parse_marker(frame, response), SlowError::kNone);
    EXPECT_EQ(response.tlv_type, kMarkerTlvResponse);
    EXPECT_EQ(response.requester_port.value(), 7);
    EXPECT_EQ(response.requester_system, system_mac(2));
    EXPECT_EQ(response.requester_transaction_id.value(), 0xdeadbeefu);
    EthHeader eth;
    std::memcpy(&eth, frame.data(), sizeof eth);
    EXPECT_EQ(eth.dst, kEthAddrSlowProtocols);
    EXPECT_EQ(eth.src, port_mac(1, 1));
    EXPECT_EQ(without_stats(a.lacp.status()), before);

    /* A Marker Response is only counted. */
    EXPECT_EQ(a.lacp.process_pdu(1, marker_frame(7, system_mac(2), 1, kMarkerTlvResponse),
                                 2500),
              LacpRxResult::kMarkerResponse);
    EXPECT_TRUE(a.lacp.take_tx(2500).empty());

    /* At most 5 answers a second. */
    for (uint32_t i = 0; i < 8; i++) {
        EXPECT_EQ(a.lacp.process_pdu(1, marker_frame(7, system_mac(2), 100 + i), 2600),
                  i < 4 ? LacpRxResult::kMarkerAnswered : LacpRxResult::kMarkerDropped)
            << i;
    }
    out = a.lacp.take_tx(2600);
    ASSERT_EQ(out.size(), 4u);
    for (uint32_t i = 0; i < 4; i++) {
        ASSERT_EQ(parse_marker(out[i].second, response), SlowError::kNone);
        EXPECT_EQ(response.requester_transaction_id.value(), 100 + i);
    }
    EXPECT_EQ(a.lacp.process_pdu(1, marker_frame(7, system_mac(2), 200), 3499),
              LacpRxResult::kMarkerDropped);
    EXPECT_EQ(a.lacp.process_pdu(1, marker_frame(7, system_mac(2), 201), 3500),
              LacpRxResult::kMarkerAnswered);

    LacpMemberStats st = a.member(1).stats;
    EXPECT_EQ(st.rx_markers, 11u);
    EXPECT_EQ(st.tx_marker_responses, 5u);
    EXPECT_EQ(st.marker_responses_dropped, 5u);
    EXPECT_EQ(st.rx_marker_responses, 1u);

    /* Not on a member whose link is down. */
    a.lacp.set_member_enabled(1, false, 3600);
    EXPECT_EQ(a.lacp.process_pdu(1, marker_frame(7, system_mac(2), 300), 3600),
              LacpRxResult::kLinkDown);
    EXPECT_TRUE(a.lacp.take_tx(3600).empty());
    EXPECT_EQ(a.member(1).stats.rx_link_down, 1u);
}

/* ---- Loopback ---------------------------------------------------------------------- */

TEST(Lacp, LoopedBackLacpduIsIgnoredAndCounted)
{
    Node a(1, make_settings(1, true), 2);
    a.lacp.set_member_enabled(1, true, 0);
    a.lacp.set_member_enabled(2, true, 0);
    a.lacp.run(0);
    a.lacp.take_tx(0);
    LacpStatus before = without_stats(a.lacp.status());

    /* Our own member 2's LACPDU arriving on member 1. */
    LacpPortInfo ours = a.member(2).actor;
    Bytes frame = compose_lacpdu(port_mac(1, 2), ours.to_wire(), LacpPortInfo{}.to_wire(), 0);
    EXPECT_EQ(a.lacp.process_pdu(1, frame, 0), LacpRxResult::kLoopback);
    EXPECT_EQ(a.member(1).stats.rx_loopback, 1u);
    EXPECT_EQ(a.member(1).stats.rx_pdus, 0u);
    EXPECT_EQ(without_stats(a.lacp.status()), before);
    EXPECT_TRUE(a.lacp.take_tx(0).empty());

    /* Our system id with a port number we do not have is another bond of
     * the same system, not a loop. */
    LacpPortInfo other = ours;
    other.port = 40;
    frame = compose_lacpdu(port_mac(1, 40), other.to_wire(), LacpPortInfo{}.to_wire(), 0);
    EXPECT_EQ(a.lacp.process_pdu(1, frame, 0), LacpRxResult::kLacpdu);
}

TEST(Lacp, CableLoopBetweenTwoMembersNeverNegotiates)
{
    Node a(1, make_settings(1, true), 2);
    Net net;
    net.add(a);
    net.connect(a, 1, a, 2);
    net.advance_to(30000);
    for (LacpMemberId m : {1u, 2u}) {
        LacpMemberStatus st = a.member(m);
        EXPECT_EQ(st.rx, LacpRxState::kDefaulted);
        EXPECT_EQ(st.mux, LacpMuxState::kDetached);
        EXPECT_EQ(st.stats.rx_pdus, 0u);
        EXPECT_EQ(st.stats.rx_loopback, a.member(m == 1 ? 2 : 1).stats.tx_pdus);
        EXPECT_GT(st.stats.rx_loopback, 25u);
    }
    EXPECT_FALSE(a.lacp.negotiated());
}

/* ---- Bad input ----------------------------------------------------------------------- */

/* The reason the library's parsers give for 'frame', dispatched as Lacp
 * dispatches (Marker subtype to parse_marker(), anything else to
 * parse_lacpdu()). */
SlowError expected_error(const Bytes &frame)
{
    std::optional<uint8_t> subtype = slow_subtype(frame);
    if (subtype && *subtype == kSlowSubtypeMarker) {
        MarkerPdu marker;
        return parse_marker(frame, marker);
    }
    LacpPdu pdu;
    return parse_lacpdu(frame, pdu);
}

/* Two bonds of two members, negotiated, at 2.5 s. */
struct Negotiated : Pair {
    Negotiated() : Pair(make_settings(1, true), make_settings(2, true), 2)
    {
        net.advance_to(2500);
        EXPECT_TRUE(a.lacp.negotiated());
    }

    /* The LACPDU b's member 1 would send now. */
    Bytes good_lacpdu()
    {
        LacpMemberStatus m = b.member(1);
        return compose_lacpdu(port_mac(2, 1), m.actor.to_wire(), m.partner.to_wire(), 0);
    }
};

TEST(Lacp, BadFramesAreCountedByReasonAndChangeNothing)
{
    Negotiated n;
    LacpStatus before = without_stats(n.a.lacp.status());
    LacpMemberStats stats_before = n.a.member(1).stats;
    Bytes good = n.good_lacpdu();
    Bytes marker = marker_frame(1, system_mac(2), 1);

    std::vector<std::pair<Bytes, SlowError>> cases;
    for (size_t len = 0; len < good.size(); len++) {
        if (len >= kEthHeaderLen + kSlowPduLen) {
            break;
        }
        SlowError e = len < kEthHeaderLen    ? SlowError::kEthTruncated
                      : len == kEthHeaderLen ? SlowError::kSubtypeTruncated
                                             : SlowError::kPduTruncated;
        cases.emplace_back(Bytes(good.begin(), good.begin() + len), e);
    }
    auto mutate = [](Bytes frame, size_t at, uint8_t value) {
        frame[at] = value;
        return frame;
    };
    cases.emplace_back(mutate(good, 14, 0), SlowError::kUnknownSubtype);
    cases.emplace_back(mutate(good, 14, 3), SlowError::kUnknownSubtype);
    cases.emplace_back(mutate(good, 14, 0xff), SlowError::kUnknownSubtype);
    cases.emplace_back(mutate(good, 15, 0), SlowError::kLacpBadVersion);
    cases.emplace_back(mutate(good, 16, 5), SlowError::kLacpBadActorTlv);
    cases.emplace_back(mutate(good, 17, 19), SlowError::kLacpBadActorTlv);
    cases.emplace_back(mutate(good, 36, 1), SlowError::kLacpBadPartnerTlv);
    cases.emplace_back(mutate(good, 37, 21), SlowError::kLacpBadPartnerTlv);
    cases.emplace_back(mutate(good, 56, 2), SlowError::kLacpBadCollectorTlv);
    cases.emplace_back(mutate(good, 57, 15), SlowError::kLacpBadCollectorTlv);
    cases.emplace_back(mutate(good, 72, 1), SlowError::kLacpBadTerminator);
    cases.emplace_back(mutate(good, 73, 5), SlowError::kLacpBadTerminator);
    cases.emplace_back(mutate(good, 12, 0x08), SlowError::kNotSlow);
    Bytes tagged = good;
    ASSERT_TRUE(push_vlan(tagged, kEthTypeVlan8021Q, 5));
    cases.emplace_back(tagged, SlowError::kVlanTagged);
    Bytes qinq = good;
    ASSERT_TRUE(push_vlan(qinq, kEthTypeVlan8021AD, 7));
    cases.emplace_back(qinq, SlowError::kVlanTagged);
    cases.emplace_back(mutate(marker, 15, 0), SlowError::kMarkerBadVersion);
    cases.emplace_back(mutate(marker, 16, 3), SlowError::kMarkerBadTlvType);
    cases.emplace_back(mutate(marker, 17, 15), SlowError::kMarkerBadTlvLen);
    cases.emplace_back(mutate(marker, 32, 1), SlowError::kMarkerBadTerminator);
    cases.emplace_back(Bytes(marker.begin(), marker.begin() + 50), SlowError::kPduTruncated);

    std::array<uint64_t, size_t(SlowError::kCount)> expected{};
    for (const auto &[frame, error] : cases) {
        ASSERT_EQ(expected_error(frame), error) << slow_error_to_string(error);
        test::ExactCopy copy(frame);
        EXPECT_EQ(n.a.lacp.process_pdu(1, copy.span(), 2500), LacpRxResult::kMalformed)
            << slow_error_to_string(error);
        expected[size_t(error)]++;
    }
    EXPECT_TRUE(n.a.lacp.take_tx(2500).empty());
    EXPECT_EQ(without_stats(n.a.lacp.status()), before);
    LacpMemberStats st = n.a.member(1).stats;
    EXPECT_EQ(st.rx_bad_by_reason, expected);
    EXPECT_EQ(st.rx_bad, cases.size());
    EXPECT_EQ(st.rx_frames, stats_before.rx_frames + cases.size());
    EXPECT_EQ(st.rx_pdus, stats_before.rx_pdus);

    /* Still negotiated afterwards, on time. */
    n.net.advance_to(20000);
    EXPECT_TRUE(n.a.lacp.member_may_enable(1));
    EXPECT_EQ(n.a.member(1).stats.state_changes, 6u);
}

TEST(Lacp, RandomFramesNeverChangeState)
{
    Negotiated n;
    LacpStatus before = without_stats(n.a.lacp.status());
    LacpMemberStats stats_before = n.a.member(2).stats;
    Bytes good = n.good_lacpdu();
    Bytes marker = marker_frame(1, system_mac(2), 1);
    std::mt19937 rng(20240611);
    auto byte = [&rng]() { return uint8_t(rng()); };

    std::array<uint64_t, size_t(SlowError::kCount)> expected{};
    int frames = 0;
    for (int attempt = 0; frames < 2000 && attempt < 100000; attempt++) {
        Bytes frame;
        switch (rng() % 3) {
        case 0:     /* Anything. */
            frame.resize(rng() % 200);
            for (uint8_t &b : frame) {
                b = byte();
            }
            break;
        case 1:     /* A slow protocols header, then anything. */
            frame = test::eth(kEthTypeSlow, kEthAddrSlowProtocols, port_mac(2, 2));
            frame.push_back(rng() % 4 ? uint8_t(1 + rng() % 2) : byte());
            for (size_t i = rng() % 130; i > 0; i--) {
                frame.push_back(byte());
            }
            break;
        default:    /* A valid PDU with a few bytes changed, maybe cut short. */
            frame = rng() % 2 ? good : marker;
            for (int i = 1 + rng() % 3; i > 0; i--) {
                frame[12 + rng() % (frame.size() - 12)] = byte();
            }
            if (rng() % 4 == 0) {
                frame.resize(rng() % frame.size());
            }
            break;
        }
        SlowError error = expected_error(frame);
        if (error == SlowError::kNone) {
            continue;
        }
        test::ExactCopy copy(frame);
        ASSERT_EQ(n.a.lacp.process_pdu(2, copy.span(), 2500), LacpRxResult::kMalformed);
        expected[size_t(error)]++;
        frames++;
    }
    ASSERT_EQ(frames, 2000);
    EXPECT_TRUE(n.a.lacp.take_tx(2500).empty());
    EXPECT_EQ(without_stats(n.a.lacp.status()), before);
    LacpMemberStats st = n.a.member(2).stats;
    EXPECT_EQ(st.rx_bad_by_reason, expected);
    EXPECT_EQ(st.rx_bad, 2000u);
    EXPECT_EQ(st.rx_frames, stats_before.rx_frames + 2000);
    /* Most reasons were reached. */
    size_t reasons = std::count_if(expected.begin(), expected.end(),
                                   [](uint64_t c) { return c > 0; });
    EXPECT_GE(reasons, 10u);
}

TEST(Lacp, FramesForUnknownOrLacpDisabledMembers)
{
    Negotiated n;
    Bytes good = n.good_lacpdu();
    EXPECT_EQ(n.a.lacp.process_pdu(99, good, 2500), LacpRxResult::kUnknownMember);
    EXPECT_EQ(n.a.lacp.status().rx_unknown_member, 1u);

    /* A member kept out of LACP ignores LACPDUs and never sends one. */
    Node c(3, make_settings(3, true), 0);
    LacpMemberSettings ms = make_member(3, 1);
    ms.lacp_enabled = false;
    std::string error;
    ASSERT_TRUE(c.lacp.set_member(1, ms, 0, &error)) << error;
    Node d(4, make_settings(4, true), 1);
    Net net;
    net.add(c);
    net.add(d);
    net.connect(c, 1, d, 1);
    net.advance_to(10000);
    LacpMemberStatus m = c.member(1);
    EXPECT_EQ(m.rx, LacpRxState::kLacpDisabled);
    EXPECT_EQ(m.periodic, LacpPeriodicState::kNoPeriodic);
    EXPECT_EQ(m.stats.tx_pdus, 0u);
    EXPECT_EQ(m.stats.rx_lacp_disabled, d.member(1).stats.tx_pdus);
    EXPECT_GT(m.stats.rx_lacp_disabled, 5u);
    EXPECT_EQ(m.actor.state & kLacpStateAggregation, 0);
    EXPECT_TRUE(d.lacp.member_defaulted(1));
    EXPECT_FALSE(c.lacp.negotiated());

    /* Enabling LACP on it restarts its machines and it negotiates. */
    ms.lacp_enabled = true;
    ASSERT_TRUE(c.lacp.set_member(1, ms, 10000, &error)) << error;
    net.advance_to(12000);
    EXPECT_TRUE(c.lacp.member_may_enable(1));
    EXPECT_TRUE(d.lacp.member_may_enable(1));
}

/* ---- Configuration ---------------------------------------------------------------- */

TEST(Lacp, ReconfigureIsIdempotentAndAppliesChanges)
{
    Negotiated n;
    LacpStatus before = n.a.lacp.status();
    std::string error;
    ASSERT_TRUE(n.a.lacp.reconfigure(make_settings(1, true), 2500, &error)) << error;
    ASSERT_TRUE(n.a.lacp.set_member(1, make_member(1, 1), 2500, &error)) << error;
    EXPECT_TRUE(n.a.lacp.take_tx(2500).empty());
    EXPECT_EQ(n.a.lacp.status(), before);

    /* Bad system ids are refused and change nothing. */
    LacpSettings bad = make_settings(1, false);
    bad.system_id = EthAddr{};
    EXPECT_FALSE(n.a.lacp.reconfigure(bad, 2500, &error));
    EXPECT_NE(error.find("system id"), std::string::npos) << error;
    bad.system_id = EthAddr{{0x01, 0, 0, 0, 0, 1}};
    EXPECT_FALSE(n.a.lacp.reconfigure(bad, 2500, nullptr));
    EXPECT_EQ(n.a.lacp.status(), before);

    /* lacp-time slow: the change goes out at once, nothing detaches. */
    ASSERT_TRUE(n.a.lacp.reconfigure(make_settings(1, false), 2500, &error)) << error;
    Lacp::TxFrames out = n.a.lacp.take_tx(2500);
    ASSERT_EQ(out.size(), 2u);
    LacpPdu pdu;
    ASSERT_EQ(parse_lacpdu(out[0].second, pdu), SlowError::kNone);
    EXPECT_EQ(pdu.actor.state, kInSyncState & ~kLacpStateTimeout);
    n.net.advance_to(10000);
    EXPECT_TRUE(n.a.lacp.member_may_enable(1));
    EXPECT_EQ(n.b.member(1).periodic, LacpPeriodicState::kSlowPeriodic);
    EXPECT_EQ(n.a.member(1).stats.state_changes, 6u);

    /* A new key is a new LAG: both sides reselect and are back 2 s later. */
    LacpSettings keyed = make_settings(1, false);
    keyed.key = 7;
    ASSERT_TRUE(n.a.lacp.reconfigure(keyed, 10000, &error)) << error;
    EXPECT_FALSE(n.a.lacp.member_may_enable(1));
    n.net.advance_to(11999);
    EXPECT_FALSE(n.a.lacp.negotiated());
    n.net.advance_to(12000);
    EXPECT_TRUE(n.a.lacp.member_may_enable(1));
    EXPECT_TRUE(n.a.lacp.member_may_enable(2));
    EXPECT_TRUE(n.b.lacp.member_may_enable(1));
    EXPECT_EQ(n.a.member(1).actor.key, 7);
    EXPECT_EQ(n.b.member(1).partner.key, 7);
    n.net.check_rate_limits();
}

TEST(Lacp, MemberSettingsAreChecked)
{
    Lacp lacp;
    std::string error;
    EXPECT_FALSE(lacp.set_member(1, make_member(1, 1), 0, &error));
    EXPECT_NE(error.find("configured"), std::string::npos) << error;
    ASSERT_TRUE(lacp.reconfigure(make_settings(1, true), 0, &error)) << error;
    EXPECT_FALSE(lacp.set_member(1, make_member(1, 0), 0, &error));
    EXPECT_NE(error.find("port number 0"), std::string::npos) << error;
    EXPECT_TRUE(lacp.set_member(1, make_member(1, 4), 0, &error)) << error;
    EXPECT_FALSE(lacp.set_member(2, make_member(1, 4), 0, &error));
    EXPECT_NE(error.find("already used by p4"), std::string::npos) << error;
    EXPECT_TRUE(lacp.set_member(1, make_member(1, 4), 0, &error)) << error;
    EXPECT_TRUE(lacp.set_member(1, make_member(1, 5), 0, &error)) << error;
    EXPECT_TRUE(lacp.set_member(2, make_member(1, 4), 0, &error)) << error;
    EXPECT_EQ(lacp.status().members.size(), 2u);
    /* The default key is the lowest port number. */
    EXPECT_EQ(lacp.status().members[0].actor.key, 4);
    EXPECT_EQ(lacp.status().members[1].actor.key, 4);
    lacp.remove_member(2, 0);
    EXPECT_EQ(lacp.status().members[0].actor.key, 5);
    lacp.remove_member(7, 0);
    EXPECT_FALSE(lacp.member_may_enable(7));
    EXPECT_FALSE(lacp.member_defaulted(7));
    EXPECT_EQ(lacp.member_aggregator(7), 0u);
}

/* ---- Timers ----------------------------------------------------------------------------- */

TEST(Lacp, WakingOnNextWakeMatchesTickingEvery10ms)
{
    struct Run : Pair {
        Run() : Pair(make_settings(1, true), make_settings(2, true), 2) {}
    };
    Run by_wake;
    Run by_tick;
    for (int64_t t : {1000, 2000, 5500, 9000, 12000, 20250, 22000, 23250, 40000}) {
        by_wake.net.advance_to(t);
        by_tick.net.tick_to(t, 10);
        ASSERT_EQ(by_wake.a.lacp.status(), by_tick.a.lacp.status()) << t;
        ASSERT_EQ(by_wake.b.lacp.status(), by_tick.b.lacp.status()) << t;
        if (t == 5500) {
            by_wake.net.cut(by_wake.cables[0]);
            by_tick.net.cut(by_tick.cables[0]);
        } else if (t == 20250) {
            by_wake.net.repair(by_wake.cables[0]);
            by_tick.net.repair(by_tick.cables[0]);
        }
    }
    EXPECT_TRUE(by_wake.a.lacp.member_may_enable(1));
    EXPECT_EQ(by_wake.a.member(1).stats.expired, 1u);
    EXPECT_EQ(by_wake.a.member(1).stats.defaulted, 1u);
}

TEST(Lacp, Names)
{
    EXPECT_EQ(lacp_state_to_string(kInSyncState),
              "activity timeout aggregation synchronized collecting distributing");
    EXPECT_EQ(lacp_state_to_string(kLacpStateDefaulted | kLacpStateExpired),
              "defaulted expired");
    EXPECT_EQ(lacp_state_to_string(0), "");
    EXPECT_STREQ(lacp_rx_state_to_string(LacpRxState::kPortDisabled), "port_disabled");
    EXPECT_STREQ(lacp_mux_state_to_string(LacpMuxState::kCollectingDistributing),
                 "collecting_distributing");
    EXPECT_STREQ(lacp_periodic_state_to_string(LacpPeriodicState::kSlowPeriodic),
                 "slow_periodic");
    EXPECT_STREQ(lacp_tx_state_to_string(LacpTxState::kNoTransmit), "no_transmit");
    EXPECT_STREQ(lacp_churn_state_to_string(LacpChurnState::kChurn), "churned");
    EXPECT_STREQ(lacp_selected_to_string(LacpSelected::kStandby), "standby");
    EXPECT_STREQ(lacp_ad_select_to_string(LacpAdSelect::kBandwidth), "bandwidth");
    EXPECT_STREQ(lacp_rx_result_to_string(LacpRxResult::kLoopback),
                 "lacpdu looped back from our own system");
    LacpPortInfo info{0x1234, system_mac(5), 0x5678, 0x9abc, 0xdef0, 0x3f};
    EXPECT_EQ(LacpPortInfo::from_wire(info.to_wire()), info);
}

}  // namespace
}  // namespace braid::ofproto
