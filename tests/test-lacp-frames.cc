/* Unit tests for LACP (ofproto/lacp.cc, lacp-machines.cc,
 * lacp-selection.cc): the marker responder, loops, bad input,
 * configuration and timers, on the simulated network of tests/lacp-net.h. */
#include <config.h>

#include "tests/lacp-net.h"

namespace braid::ofproto {
namespace {

using namespace lacp_test;

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
