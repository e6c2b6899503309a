/* Scenario tests of LACP on bonds of dummy ports, with the clock stopped
 * and warped, against a partner in the test process (see
 * tests/scenario-lacp.h). */
#include <config.h>

#include <sys/wait.h>

#include "tests/scenario-lacp.h"

namespace braid::test {
namespace {

TEST_F(LacpScenario, ActiveActiveNegotiatesAndCarriesTraffic)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=active",
                          "other_config:lacp-time=fast"});
    make_peer();
    EXPECT_FALSE(negotiated());
    advance(3000);
    EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_EQ(rx_state("b"), "current");
    EXPECT_EQ(mux_state("a"), "collecting_distributing");
    EXPECT_TRUE(member_enabled("a")) << bond_show();
    EXPECT_TRUE(member_enabled("b")) << bond_show();
    EXPECT_TRUE(peer_.negotiated());
    EXPECT_TRUE(peer_.member_may_enable(1));
    EXPECT_TRUE(peer_.member_may_enable(2));
    std::string s = lacp_show();
    EXPECT_TRUE(contains(s, "status: active negotiated\n")) << s;
    EXPECT_TRUE(contains(s, "partner sys_id: 02:99:00:00:00:01\n")) << s;
    EXPECT_TRUE(contains(s, "sys_id: 02:aa:00:00:00:01\n")) << s;
    std::string linux_text = appctl_out({"bond/show-linux", "bond0"});
    EXPECT_TRUE(contains(linux_text, "\n802.3ad info\nLACP active: on\nLACP rate: fast\n"))
        << linux_text;
    EXPECT_TRUE(contains(linux_text, "\tNumber of ports: 2\n")) << linux_text;
    EXPECT_TRUE(contains(linux_text, "\tPartner Mac Address: 02:99:00:00:00:01\n"))
        << linux_text;

    /* Traffic crosses the bond both ways. */
    size_t before = sent_data("a").size() + sent_data("b").size();
    inject("vm", {udp_frame(mac(1), mac(90), 1000, 2000)});
    EXPECT_EQ(sent_data("a").size() + sent_data("b").size(), before + 1);
    inject("b", {udp_frame(mac(90), mac(1), 2000, 1000)});
    EXPECT_EQ(sent("vm").size(), 1u);
}

/* The slow protocol frames 'frames' holds. */
size_t count_slow(const std::vector<Bytes> &frames)
{
    size_t n = 0;
    for (const Bytes &f : frames) {
        n += f.size() >= 14 && f[12] == 0x88 && f[13] == 0x09;
    }
    return n;
}

/* 'n' UDP frames from the VM, each a flow of its own. */
std::vector<Bytes> vm_flows(size_t n, uint16_t first_port = 1000)
{
    std::vector<Bytes> v;
    for (size_t i = 0; i < n; i++) {
        v.push_back(udp_frame(mac(1), mac(90), uint16_t(first_port + i), 2000));
    }
    return v;
}

/* ---- Active and passive ------------------------------------------------------- */

TEST_F(LacpScenario, ActiveBraidNegotiatesWithPassivePartner)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=active",
                          "other_config:lacp-time=fast"});
    make_peer(/*active=*/false);
    expect_both_negotiated("active");
}

TEST_F(LacpScenario, PassiveBraidNegotiatesWithActivePartner)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=passive",
                          "other_config:lacp-time=fast"});
    advance(2000);
    /* A passive Braid with nobody speaking says nothing. */
    EXPECT_EQ(count_slow(sent("a")) + count_slow(sent("b")), 0u);
    make_peer(/*active=*/true);
    expect_both_negotiated("passive");
    /* Once spoken to, a passive member answers. */
    EXPECT_GT(braid_tx_["a"], 0u);
    EXPECT_GT(braid_tx_["b"], 0u);
}

/* other_config:lacp-mux-control=independent: the members go through
 * COLLECTING to DISTRIBUTING, with a partner of either control. */
TEST_F(LacpScenario, IndependentMuxControlNegotiatesAndCarriesTraffic)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=active",
                          "other_config:lacp-time=fast",
                          "other_config:lacp-mux-control=independent"});
    make_peer();
    advance(3000);
    ASSERT_TRUE(negotiated()) << lacp_show();
    EXPECT_TRUE(contains(lacp_show(), "braid: mux control independent\n")) << lacp_show();
    for (const char *m : {"a", "b"}) {
        EXPECT_EQ(mux_state(m), "distributing");
        EXPECT_TRUE(member_enabled(m)) << bond_show();
    }
    inject("vm", vm_flows(32));
    EXPECT_EQ(data_sent_on({"a", "b"}), 32u);
    EXPECT_GT(sent_data("a").size(), 0u);
    EXPECT_GT(sent_data("b").size(), 0u);
    inject("a", {udp_frame(mac(90), mac(1), 2000, 1000)});
    EXPECT_EQ(sent("vm").size(), 1u);

    /* Back to coupled control at run time: nothing is lost. */
    vsctl({"set", "Port", "bond0", "other_config:lacp-mux-control=coupled"});
    advance(1000);
    EXPECT_EQ(mux_state("a"), "collecting_distributing");
    EXPECT_TRUE(member_enabled("a"));
    EXPECT_TRUE(negotiated());
}

/* Two passive ends never speak: no aggregate, no member enabled. */
TEST_F(LacpScenario, PassiveBraidAndPassivePartnerNeverAggregate)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=passive",
                          "other_config:lacp-time=fast"});
    make_peer(/*active=*/false);
    advance(10000, 500);
    EXPECT_EQ(count_slow(sent("a")), 0u);
    EXPECT_EQ(count_slow(sent("b")), 0u);
    EXPECT_EQ(braid_tx_["a"] + braid_tx_["b"], 0u);
    EXPECT_FALSE(negotiated()) << bond_show();
    EXPECT_FALSE(peer_.negotiated());
    EXPECT_FALSE(member_enabled("a")) << bond_show();
    EXPECT_FALSE(member_enabled("b")) << bond_show();
    EXPECT_TRUE(contains(lacp_show(), "status: passive\n")) << lacp_show();
    EXPECT_TRUE(contains(lacp_show(), "braid: ad-select stable, fallback-ab false, "
                                      "active aggregator none\n")) << lacp_show();

    /* Nothing crosses the bond. */
    inject("vm", vm_flows(4));
    EXPECT_EQ(data_sent_on({"a", "b"}), 0u);
}

/* ---- Transmission rate ------------------------------------------------------------- */

/* A partner that asks for the short timeout gets a LACPDU a second on each
 * member, whatever Braid's own lacp-time. */
TEST_F(LacpScenario, PartnerAskingFastGetsOnePduPerSecond)
{
    ASSERT_NO_FATAL_FAILURE(negotiate_bond(4000, "slow", /*peer_fast=*/true));
    EXPECT_TRUE(contains(lacp_show(), "periodic fast_periodic")) << lacp_show();
    std::map<std::string, uint64_t> before = braid_tx_;
    advance(10000, 1000);
    for (const char *m : {"a", "b"}) {
        uint64_t n = braid_tx_[m] - before[m];
        EXPECT_GE(n, 10u) << m;
        EXPECT_LE(n, 11u) << m;
    }
    EXPECT_TRUE(negotiated());
}

/* A partner that asks for the long timeout gets a LACPDU every 30 s. */
TEST_F(LacpScenario, PartnerAskingSlowGetsOnePduPer30Seconds)
{
    ASSERT_NO_FATAL_FAILURE(negotiate_bond(4000, "slow", /*peer_fast=*/false));
    EXPECT_TRUE(contains(lacp_show(), "periodic slow_periodic")) << lacp_show();
    std::map<std::string, uint64_t> before = braid_tx_;
    advance(120000, 5000, 1000);
    for (const char *m : {"a", "b"}) {
        uint64_t n = braid_tx_[m] - before[m];
        EXPECT_GE(n, 4u) << m;
        EXPECT_LE(n, 5u) << m;
    }
    /* Just after a periodic LACPDU: nothing for 29 s, then the next one
     * at 30 s. */
    const uint64_t count = braid_tx_["a"];
    ASSERT_GE(advance_until([&] { return braid_tx_["a"] > count; }, 31000, 1000), 0);
    before = braid_tx_;
    advance(29000, 5000, 1000);
    EXPECT_EQ(braid_tx_["a"], before["a"]);
    advance(1000, 1000);
    EXPECT_EQ(braid_tx_["a"], before["a"] + 1);
    EXPECT_TRUE(negotiated());
}

/* ---- Timeouts ---------------------------------------------------------------------- */

TEST_F(LacpScenario, FastTimeoutExpiresIn3sAndDefaultsIn3sMore)
{
    ASSERT_NO_FATAL_FAILURE(negotiate_bond(4000));
    EXPECT_EQ(lacp_stat("a", "Link Expired"), 0);
    EXPECT_EQ(lacp_stat("a", "Link Defaulted"), 0);

    cut("a", true);
    const int64_t last = peer_tx_at_["a"];
    int64_t expired_at = -1, defaulted_at = -1;
    for (int i = 0; i < 40 && defaulted_at < 0; i++) {
        advance(250);
        std::string rx = rx_state("a");
        if (expired_at < 0 && rx != "current") {
            expired_at = peer_now_ - last;
            EXPECT_EQ(rx, "expired");
            EXPECT_FALSE(member_enabled("a")) << "an expired member stops\n" << bond_show();
        }
        if (rx == "defaulted") {
            defaulted_at = peer_now_ - last;
        }
        /* The other member never falters. */
        EXPECT_EQ(rx_state("b"), "current");
        EXPECT_TRUE(member_enabled("b")) << bond_show();
    }
    /* The partner's last LACPDU on a came at 'last'; the short timeout is
     * 3 s after it and the default 3 s after that. */
    EXPECT_GE(expired_at, 3000);
    EXPECT_LE(expired_at, 3250);
    EXPECT_GE(defaulted_at, 6000);
    EXPECT_LE(defaulted_at, 6250);
    EXPECT_FALSE(member_enabled("a")) << bond_show();
    EXPECT_TRUE(contains(bond_show(), "member a: disabled\n")) << bond_show();
    EXPECT_TRUE(negotiated());
    EXPECT_EQ(lacp_stat("a", "Link Expired"), 1);
    EXPECT_EQ(lacp_stat("a", "Link Defaulted"), 1);
    EXPECT_EQ(lacp_stat("b", "Link Expired"), 0);
    EXPECT_EQ(lacp_stat("b", "Link Defaulted"), 0);

    /* Traffic keeps to b. */
    size_t a_before = sent_data("a").size(), b_before = sent_data("b").size();
    inject("vm", vm_flows(16));
    EXPECT_EQ(sent_data("a").size(), a_before);
    EXPECT_EQ(sent_data("b").size(), b_before + 16);
}

TEST_F(LacpScenario, SlowTimeoutIs90s)
{
    ASSERT_NO_FATAL_FAILURE(negotiate_bond(4000, "slow", /*peer_fast=*/false));

    cut("a", true);
    const int64_t last = peer_tx_at_["a"];
    ASSERT_GT(last, 0);
    advance(last + 80000 - peer_now_, 5000, 1000);
    EXPECT_EQ(rx_state("a"), "current") << "80 s after the partner's last LACPDU";
    EXPECT_TRUE(member_enabled("a")) << bond_show();
    advance(last + 89750 - peer_now_, 5000, 1000);
    EXPECT_EQ(rx_state("a"), "current") << "89.75 s after the partner's last LACPDU";
    advance(500);
    EXPECT_EQ(rx_state("a"), "expired") << "90.25 s after the partner's last LACPDU";
    EXPECT_FALSE(member_enabled("a")) << bond_show();
    EXPECT_EQ(rx_state("b"), "current");
    EXPECT_TRUE(member_enabled("b")) << bond_show();
    EXPECT_EQ(lacp_stat("a", "Link Expired"), 1);
    EXPECT_EQ(lacp_stat("a", "Link Defaulted"), 0);
}

/* ---- Repair -------------------------------------------------------------------------- */

TEST_F(LacpScenario, RepairedMemberIsBackWithin3s)
{
    ASSERT_NO_FATAL_FAILURE(negotiate_bond(4000));
    cut("a", true);
    ASSERT_GE(advance_until([&] { return rx_state("a") == "defaulted"; }, 8000), 0)
        << lacp_show();
    EXPECT_FALSE(member_enabled("a"));
    /* Defaulted a while, as a link under repair is. */
    advance(5000, 500);
    EXPECT_EQ(rx_state("a"), "defaulted");

    cut("a", false);
    int64_t took = advance_until(
        [&] { return mux_state("a") == "collecting_distributing" && member_enabled("a"); },
        6000);
    EXPECT_GE(took, 0) << lacp_show() << bond_show();
    /* At most a period until the next LACPDU, plus a step: the member
     * joins a formed aggregator without the aggregate wait. */
    EXPECT_LE(took, 1250) << lacp_show();
    RecordProperty("reattach_ms", std::to_string(took));
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_TRUE(peer_.member_may_enable(1));

    /* Both members carry traffic again. */
    inject("vm", vm_flows(32));
    EXPECT_GT(sent_data("a").size(), 0u);
    EXPECT_GT(sent_data("b").size(), 0u);
    EXPECT_EQ(data_sent_on({"a", "b"}), 32u);
}

/* ---- Aggregator selection ----------------------------------------------------------- */

/* Member c, whose partner key differs, gets an aggregator of its own, on
 * standby: it must not be enabled, or it would carry flows its partner
 * (not collecting) drops. */
TEST_F(LacpScenario, PartnerKeyMismatchMakesSeparateAggregators)
{
    add_bond({"a", "b", "c"}, {"bond_mode=balance-tcp", "lacp=active",
                               "other_config:lacp-time=fast"});
    make_peer(true, true, 7, kPeerSystem, {7, 7, 8});
    advance(5000);
    ASSERT_TRUE(negotiated()) << lacp_show();
    std::vector<std::string> aggs = aggregator_lines();
    ASSERT_EQ(aggs.size(), 2u) << lacp_show();
    int active = 0;
    for (const std::string &line : aggs) {
        if (contains(line, "active true")) {
            active++;
            EXPECT_TRUE(contains(line, "partner key 7,")) << line;
            EXPECT_TRUE(contains(line, "members a, b")) << line;
        } else {
            EXPECT_TRUE(contains(line, "active false")) << line;
            EXPECT_TRUE(contains(line, "partner key 8,")) << line;
            EXPECT_TRUE(contains(line, "members c")) << line;
        }
    }
    EXPECT_EQ(active, 1) << lacp_show();
    EXPECT_TRUE(member_enabled("a")) << bond_show();
    EXPECT_TRUE(member_enabled("b")) << bond_show();
    EXPECT_FALSE(member_enabled("c")) << bond_show();
    EXPECT_NE(mux_state("c"), "collecting_distributing");
    EXPECT_TRUE(contains(lacp_show(), "selection standby")) << lacp_show();

    /* Traffic uses the active aggregator only. */
    inject("vm", vm_flows(32));
    EXPECT_EQ(data_sent_on({"a", "b"}), 32u);
    EXPECT_EQ(sent_data("c").size(), 0u);
}

/* An MC-LAG peer that reboots with another system id on one member: the
 * member that still agrees keeps carrying traffic the whole time. */
TEST_F(LacpScenario, PartnerSystemChangeOnOneMemberKeepsTheOther)
{
    ASSERT_NO_FATAL_FAILURE(negotiate_bond(4000));
    ASSERT_TRUE(member_enabled("a") && member_enabled("b")) << bond_show();

    const EthAddr rebooted{{0x02, 0x99, 0, 0, 0, 0x02}};
    move_to_peer2("b", rebooted);
    size_t sent_before = data_sent_on({"a", "b"});
    for (int i = 0; i < 32; i++) {
        advance(250);
        SCOPED_TRACE(fmt::format("{} ms after the change", (i + 1) * 250));
        EXPECT_EQ(mux_state("a"), "collecting_distributing");
        EXPECT_TRUE(member_enabled("a")) << bond_show();
        EXPECT_TRUE(negotiated());
        /* A frame crosses the bond at every step. */
        inject("vm", {udp_frame(mac(1), mac(90), uint16_t(3000 + i), 2000)});
        EXPECT_EQ(data_sent_on({"a", "b"}), sent_before + size_t(i) + 1);
    }
    /* b went to an aggregator of its own, which is not the active one. */
    std::string s = lacp_show();
    std::vector<std::string> aggs = aggregator_lines();
    ASSERT_EQ(aggs.size(), 2u) << s;
    for (const std::string &line : aggs) {
        if (contains(line, "active true")) {
            EXPECT_TRUE(contains(line, "partner system 02:99:00:00:00:01,")) << line;
            EXPECT_TRUE(line.ends_with("members a")) << line;
        } else {
            EXPECT_TRUE(contains(line, "partner system 02:99:00:00:00:02,")) << line;
            EXPECT_TRUE(line.ends_with("members b")) << line;
        }
    }
    EXPECT_EQ(rx_state("b"), "current");
    EXPECT_FALSE(member_enabled("b")) << bond_show();
    EXPECT_TRUE(peer_.member_may_enable(1));
}

/* ---- Bond options ------------------------------------------------------------------- */

TEST_F(LacpScenario, MinLinksStopsTheBondWithOneMemberDefaulted)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=active",
                          "other_config:lacp-time=fast", "other_config:bond-min-links=2"});
    make_peer();
    advance(4000);
    ASSERT_TRUE(negotiated()) << lacp_show();
    inject("vm", vm_flows(4));
    EXPECT_EQ(data_sent_on({"a", "b"}), 4u);
    EXPECT_TRUE(contains(bond_show(), ", carrier ok\n")) << bond_show();

    cut("a", true);
    ASSERT_GE(advance_until([&] { return rx_state("a") == "defaulted"; }, 8000), 0);
    EXPECT_FALSE(member_enabled("a"));
    EXPECT_TRUE(member_enabled("b"));
    EXPECT_TRUE(contains(bond_show(), ", carrier down\n")) << bond_show();
    int64_t drops = bond_drops("tx-no-member");
    inject("vm", vm_flows(4, 2000));
    EXPECT_EQ(data_sent_on({"a", "b"}), 4u) << "the bond sent below min-links";
    EXPECT_EQ(bond_drops("tx-no-member"), drops + 4);

    cut("a", false);
    ASSERT_GE(advance_until([&] { return member_enabled("a"); }, 6000), 0) << lacp_show();
    EXPECT_TRUE(contains(bond_show(), ", carrier ok\n")) << bond_show();
    inject("vm", vm_flows(4, 3000));
    EXPECT_EQ(data_sent_on({"a", "b"}), 8u);
}

/* Nothing is sent while LACP still waits for a partner; once the members
 * are defaulted, the bond runs as active-backup. */
TEST_F(LacpScenario, FallbackAbCarriesTrafficWithoutPartner)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=active",
                          "other_config:lacp-time=fast", "other_config:lacp-fallback-ab=true"});
    /* Until the partner information is defaulted, fallback does not
     * apply: the members wait for LACP. */
    advance(1000);
    EXPECT_EQ(rx_state("a"), "expired") << lacp_show();
    EXPECT_FALSE(member_enabled("a")) << bond_show();
    EXPECT_FALSE(member_enabled("b")) << bond_show();
    inject("vm", vm_flows(4, 5000));
    EXPECT_EQ(data_sent_on({"a", "b"}), 0u) << "sent before the members were defaulted";

    advance(6000, 500);
    EXPECT_EQ(rx_state("a"), "defaulted") << lacp_show();
    EXPECT_EQ(rx_state("b"), "defaulted") << lacp_show();
    EXPECT_FALSE(negotiated());
    std::string s = bond_show();
    EXPECT_TRUE(contains(s, "lacp_status: configured\n")) << s;
    EXPECT_TRUE(contains(s, "lacp_fallback_ab: true\n")) << s;
    EXPECT_GT(braid_tx_["a"], 0u) << "Braid still speaks LACP";

    /* Active-backup: every flow on the one active member. */
    EXPECT_TRUE(member_enabled("a")) << bond_show();
    EXPECT_TRUE(member_enabled("b")) << bond_show();
    size_t a0 = sent_data("a").size(), b0 = sent_data("b").size();
    inject("vm", vm_flows(16));
    size_t on_a = sent_data("a").size() - a0, on_b = sent_data("b").size() - b0;
    EXPECT_EQ(on_a + on_b, 16u) << bond_show();
    EXPECT_TRUE(on_a == 0 || on_b == 0) << "a " << on_a << ", b " << on_b;
    const std::string active = on_a ? "a" : "b";
    const std::string show = bond_show();
    EXPECT_TRUE(std::regex_search(
        show, std::regex("active member mac: [0-9a-f:]{17}\\(" + active + "\\)\n")))
        << show;

    /* From outside, the active member delivers. */
    inject(active, {udp_frame(mac(90), mac(1), 2000, 1000)});
    EXPECT_EQ(sent("vm").size(), 1u);
}

/* Without fallback, no member is enabled and the bond drops everything. */
TEST_F(LacpScenario, NoFallbackAbCarriesNothingWithoutPartner)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=active",
                          "other_config:lacp-time=fast"});
    advance(7000, 500);
    EXPECT_EQ(rx_state("a"), "defaulted") << lacp_show();
    EXPECT_EQ(rx_state("b"), "defaulted") << lacp_show();
    EXPECT_FALSE(negotiated());
    EXPECT_FALSE(member_enabled("a"));
    EXPECT_FALSE(member_enabled("b"));
    int64_t tx_drops = bond_drops("tx-no-member");
    int64_t rx_drops = bond_drops("lacp-not-negotiated");
    inject("vm", vm_flows(8));
    EXPECT_EQ(data_sent_on({"a", "b"}), 0u);
    EXPECT_EQ(bond_drops("tx-no-member"), tx_drops + 8) << bond_show();
    inject("a", {udp_frame(mac(90), mac(1), 2000, 1000)});
    inject("b", {udp_frame(mac(91), mac(1), 2000, 1000)});
    EXPECT_EQ(sent("vm").size(), 0u);
    EXPECT_EQ(bond_drops("lacp-not-negotiated"), rx_drops + 2) << bond_show();
}

/* ---- Bond modes --------------------------------------------------------------------- */

TEST_F(LacpScenario, BalanceTcpSpreadsFlowsOverNegotiatedMembers)
{
    ASSERT_NO_FATAL_FAILURE(negotiate_bond(4000));
    inject("vm", vm_flows(64));
    size_t on_a = sent_data("a").size(), on_b = sent_data("b").size();
    EXPECT_EQ(on_a + on_b, 64u);
    EXPECT_GT(on_a, 8u) << "flows spread over both members";
    EXPECT_GT(on_b, 8u) << "flows spread over both members";
    /* Both members deliver, as in any link aggregate. */
    inject("a", {udp_frame(mac(90), mac(1), 2000, 1000)});
    inject("b", {udp_frame(mac(90), mac(1), 2001, 1000)});
    EXPECT_EQ(sent("vm").size(), 2u);
}

TEST_F(LacpScenario, ActiveBackupWithLacpNegotiatesAndUsesOneMember)
{
    add_bond({"a", "b"}, {"bond_mode=active-backup", "lacp=active",
                          "other_config:lacp-time=fast"});
    make_peer();
    advance(4000);
    ASSERT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_TRUE(contains(bond_show(), "bond_mode: active-backup\n")) << bond_show();
    EXPECT_TRUE(member_enabled("a"));
    EXPECT_TRUE(member_enabled("b"));
    inject("vm", vm_flows(16));
    size_t on_a = sent_data("a").size(), on_b = sent_data("b").size();
    EXPECT_EQ(on_a + on_b, 16u);
    EXPECT_TRUE(on_a == 0 || on_b == 0) << "a " << on_a << ", b " << on_b;
    inject(on_a ? "a" : "b", {udp_frame(mac(90), mac(1), 2000, 1000)});
    EXPECT_EQ(sent("vm").size(), 1u);
}

/* ---- Database ---------------------------------------------------------------------- */

TEST_F(LacpScenario, LacpCurrentIsWrittenToTheDatabase)
{
    ASSERT_NO_FATAL_FAILURE(negotiate_bond(4000));
    vsctl({"wait-until", "Interface", "a", "lacp_current=true"});
    vsctl({"wait-until", "Interface", "b", "lacp_current=true"});
    EXPECT_EQ(vsctl({"get", "Interface", "a", "lacp_current"}).out, "true\n");

    cut("a", true);
    ASSERT_GE(advance_until([&] { return rx_state("a") == "defaulted"; }, 8000), 0);
    vsctl({"wait-until", "Interface", "a", "lacp_current=false"});
    EXPECT_EQ(vsctl({"get", "Interface", "a", "lacp_current"}).out, "false\n");
    EXPECT_EQ(vsctl({"get", "Interface", "b", "lacp_current"}).out, "true\n");

    cut("a", false);
    ASSERT_GE(advance_until([&] { return rx_state("a") == "current"; }, 4000), 0);
    vsctl({"wait-until", "Interface", "a", "lacp_current=true"});
}

/* ---- Liveness ------------------------------------------------------------------------ */

/* While the main thread is blocked (debug/block-main-thread), the liveness
 * thread keeps sending LACPDUs on time.  The daemon's clock must run for
 * this one: a warp is a command, which the blocked main thread would not
 * answer.  The test waits for the frames, bounded, and never sleeps. */
TEST_F(LacpScenario, LivenessThreadSendsPdusWhileMainThreadIsBlocked)
{
    allowed_.push_back(std::regex("blocking the main thread for 3000 ms"));
    ASSERT_NO_FATAL_FAILURE(negotiate_bond(4000));

    ASSERT_EQ(sb_.appctl({"time/resume"}).status, 0);
    pid_t blocker = sb_.spawn({"ovs-appctl", "--timeout=20", "debug/block-main-thread", "3000"},
                              "block.out");
    ASSERT_GT(blocker, 0);
    ASSERT_TRUE(sb_.wait_until(
        [&] { return contains(sb_.vswitchd_log(), "blocking the main thread for 3000 ms"); },
        5000));
    const size_t a0 = count_slow(sent("a")), b0 = count_slow(sent("b"));
    /* A LACPDU a second on each member: two each within 2.5 s. */
    bool sent_two = sb_.wait_until(
        [&] { return count_slow(sent("a")) >= a0 + 2 && count_slow(sent("b")) >= b0 + 2; },
        2500);
    int status = 0;
    bool still_blocked = waitpid(blocker, &status, WNOHANG) == 0;
    EXPECT_TRUE(sent_two) << "a sent " << count_slow(sent("a")) - a0 << ", b sent "
                          << count_slow(sent("b")) - b0;
    EXPECT_TRUE(still_blocked) << "the main thread was not blocked while the frames left";

    if (still_blocked) {
        EXPECT_TRUE(Sandbox::wait_for_exit(blocker));
        waitpid(blocker, &status, 0);
    }
    EXPECT_TRUE(contains(read_file(sb_.path("block.out")).value_or(""), "blocked for 3000 ms"));
    ASSERT_EQ(sb_.appctl({"time/stop"}).status, 0);
}

}  // namespace
}  // namespace braid::test
