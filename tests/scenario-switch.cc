/* Scenario tests of L2 switching (the NORMAL action) through the datapath,
 * with dummy ports: frames go in with netdev-dummy/receive and come out in
 * each port's tx_pcap capture; the clock is stopped and warped. */
#include <config.h>

#include <map>
#include <random>
#include <regex>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lib/flow.h"
#include "lib/pcap-file.h"
#include "tests/frame-builder.h"
#include "tests/sandbox.h"

namespace braid::test {
namespace {

EthAddr mac(uint8_t last, uint8_t first = 0x02)
{
    return EthAddr{{first, 0, 0, 0, 0, last}};
}

/* A broadcast ARP request from 'src', with the given outer tag (vid < 0:
 * untagged). */
Bytes broadcast(EthAddr src, int vid = -1)
{
    Bytes eth = vid < 0 ? test::eth(kEthTypeArp, kEthAddrBroadcast, src)
                        : test::eth_vlans({{kEthTypeVlan8021Q, uint16_t(vid)}}, kEthTypeArp,
                                          kEthAddrBroadcast, src);
    return test::concat({eth, test::arp(kArpOpRequest)});
}

Bytes unicast(EthAddr src, EthAddr dst)
{
    return test::concat({test::eth(kEthTypeArp, dst, src), test::arp(kArpOpReply)});
}

class SwitchScenario : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(sb_.start({"--enable-dummy=override"})) << sb_.last_error();
        vsctl({"add-br", "br0"});
    }
    void TearDown() override { EXPECT_EQ(sb_.unexpected_log_lines(), ""); }

    RunResult vsctl(const std::vector<std::string> &args)
    {
        std::vector<std::string> argv = {"ovs-vsctl", "--timeout=5"};
        argv.insert(argv.end(), args.begin(), args.end());
        RunResult r = sb_.run(argv);
        EXPECT_EQ(r.status, 0) << r.err;
        return r;
    }

    /* Adds a dummy port whose transmissions go to <name>.pcap, with extra
     * Port settings such as "tag=10". */
    void add_port(const std::string &name, std::vector<std::string> settings = {})
    {
        std::vector<std::string> args = {"add-port", "br0", name};
        args.insert(args.end(), settings.begin(), settings.end());
        for (const std::string &a : {std::string("--"), std::string("set"),
                                     std::string("Interface"), name,
                                     "options:tx_pcap=" + sb_.path(name + ".pcap")}) {
            args.push_back(a);
        }
        vsctl(args);
    }

    /* Injects 'frames' on 'port' and waits until the datapath handled them. */
    void inject(const std::string &port, const std::vector<Bytes> &frames)
    {
        RunResult r = sb_.receive(port, frames);
        ASSERT_EQ(r.status, 0) << r.err;
        ASSERT_EQ(sb_.appctl({"dpif-netdev/sync"}).status, 0);
    }

    /* Every frame 'port' has sent so far. */
    std::vector<Bytes> sent(const std::string &port)
    {
        std::string error;
        auto frames = pcap_read_all(sb_.path(port + ".pcap"), &error);
        EXPECT_TRUE(frames) << error;
        return frames.value_or(std::vector<Bytes>{});
    }

    std::string appctl_out(const std::vector<std::string> &args)
    {
        RunResult r = sb_.appctl(args);
        EXPECT_EQ(r.status, 0) << r.err;
        return r.out;
    }

    Sandbox sb_;
};

TEST_F(SwitchScenario, LearnsFloodsAndForwards)
{
    add_port("p1");
    add_port("p2");
    add_port("p3");
    Bytes hello = broadcast(mac(1));
    inject("p1", {hello});
    EXPECT_EQ(sent("p2"), std::vector<Bytes>{hello}) << "flooded";
    EXPECT_EQ(sent("p3"), std::vector<Bytes>{hello});
    EXPECT_TRUE(sent("p1").empty()) << "never back to the input";
    EXPECT_TRUE(contains(appctl_out({"fdb/show", "br0"}),
                         "    1     0  02:00:00:00:00:01    0\n"));

    /* The answer goes only to where 02:..:01 lives, and teaches 02:..:02. */
    Bytes reply = unicast(mac(2), mac(1));
    inject("p2", {reply});
    EXPECT_EQ(sent("p1"), std::vector<Bytes>{reply});
    EXPECT_EQ(sent("p3").size(), 1u) << "not flooded";
    std::string fdb = appctl_out({"fdb/show", "br0"});
    EXPECT_TRUE(contains(fdb, "    2     0  02:00:00:00:00:02    0\n")) << fdb;

    /* Unknown unicast floods. */
    inject("p3", {unicast(mac(3), mac(99))});
    EXPECT_EQ(sent("p1").size(), 2u);
    EXPECT_EQ(sent("p2").size(), 2u);

    /* A frame for a MAC on the input port itself is dropped. */
    inject("p1", {unicast(mac(4), mac(1))});
    EXPECT_EQ(sent("p2").size(), 2u);
    EXPECT_EQ(sent("p3").size(), 1u);
}

TEST_F(SwitchScenario, MegaflowsMatchOnlyWhatNormalRead)
{
    add_port("p1");
    add_port("p2");
    ASSERT_EQ(sb_.appctl({"time/stop"}).status, 0);
    /* Two TCP packets of different connections between the same MACs: one
     * megaflow, since NORMAL reads nothing above L2. */
    Bytes a = test::ipv4_frame(kIpProtoTcp, test::tcp(1000, 80));
    Bytes b = test::ipv4_frame(kIpProtoTcp, test::tcp(2000, 443));
    inject("p1", {a, b});
    std::string flows = appctl_out({"dpctl/dump-flows"});
    EXPECT_EQ(flows,
              "in_port(2),eth(src=00:11:22:33:44:55,dst=66:77:88:99:aa:bb),vlan(none), "
              "packets:2, bytes:108, used:0.000s, flags:0x002, actions:1,3\n")
        << flows;
    EXPECT_FALSE(contains(flows, "eth_type")) << "no L3 field in the mask";

    std::string stats = appctl_out({"dpif-netdev/pmd-stats-show"});
    EXPECT_TRUE(contains(stats, "  packets received: 2\n")) << stats;
    EXPECT_TRUE(contains(stats, "  emc hits: 0\n")) << stats;
    EXPECT_TRUE(contains(stats, "  megaflow hits: 1\n")) << "another key, same megaflow";
    EXPECT_TRUE(contains(stats, "  miss with success upcall: 1\n")) << stats;
    EXPECT_TRUE(contains(stats, "  avg. processing time per packet: ")) << stats;
#if defined(__x86_64__) || defined(__i386__)
    EXPECT_TRUE(contains(stats, "  avg. cycles per packet: ")) << stats;
#endif
    std::string show = appctl_out({"dpif/show"});
    EXPECT_EQ(show, "netdev@ovs-netdev: hit:1 missed:1\n  br0:\n    br0 65534/1: (internal)\n"
                    "    p1 1/2: (system)\n    p2 2/3: (system)\n");

    ASSERT_EQ(sb_.appctl({"dpif-netdev/pmd-stats-clear"}).status, 0);
    EXPECT_TRUE(contains(appctl_out({"dpif-netdev/pmd-stats-show"}),
                         "  packets received: 0\n"));

    ASSERT_EQ(sb_.appctl({"dpctl/del-flows"}).status, 0);
    EXPECT_EQ(appctl_out({"dpctl/dump-flows"}), "");

}

TEST_F(SwitchScenario, MacAgingOnTheWarpedClock)
{
    add_port("p1");
    add_port("p2");
    add_port("p3");
    ASSERT_EQ(sb_.appctl({"time/stop"}).status, 0);
    inject("p1", {broadcast(mac(1))});
    inject("p2", {unicast(mac(2), mac(1))});
    EXPECT_EQ(sent("p3").size(), 1u) << "known: not flooded";

    /* Traffic keeps an entry alive: the revalidator refreshes it from the
     * flows that carried packets. */
    ASSERT_EQ(sb_.appctl({"time/warp", "200000", "1000"}).status, 0);
    inject("p1", {unicast(mac(1), mac(2))});
    ASSERT_EQ(sb_.appctl({"time/warp", "200000", "1000"}).status, 0);
    std::string fdb = appctl_out({"fdb/show", "br0"});
    EXPECT_TRUE(contains(fdb, "02:00:00:00:00:01")) << "seen 200 s ago: alive\n" << fdb;
    EXPECT_FALSE(contains(fdb, "02:00:00:00:00:02")) << "silent 400 s: aged out\n" << fdb;

    /* Unicast to the aged MAC floods again. */
    inject("p1", {unicast(mac(1), mac(2))});
    EXPECT_EQ(sent("p3").size(), 2u);
    EXPECT_TRUE(contains(appctl_out({"fdb/stats-show", "br0"}),
                         "Total number of expired MAC entries     : 1\n"));

    ASSERT_EQ(appctl_out({"fdb/flush", "br0"}), "table successfully flushed\n");
    EXPECT_EQ(appctl_out({"fdb/show", "br0"}), " port  VLAN  MAC                Age\n");
    ASSERT_EQ(appctl_out({"fdb/stats-clear", "br0"}), "statistics successfully cleared\n");
    EXPECT_TRUE(contains(appctl_out({"fdb/stats-show", "br0"}),
                         "Total number of expired MAC entries     : 0\n"));
    RunResult r = sb_.appctl({"fdb/show", "nope"});
    EXPECT_EQ(r.status, 2);
}

TEST_F(SwitchScenario, TableBoundHoldsUnderARandomMacFlood)
{
    vsctl({"set", "Bridge", "br0", "other_config:mac-table-size=50"});
    add_port("p1");
    add_port("p2");
    std::mt19937 rng(4242);
    std::vector<Bytes> flood;
    for (int i = 0; i < 1000; i++) {
        EthAddr src = EthAddr::from_u64((uint64_t(rng()) << 16 | rng()) & 0xfeffffffffffull);
        flood.push_back(broadcast(src));
        if (flood.size() == 100) {
            inject("p1", flood);
            flood.clear();
        }
    }
    std::string stats = appctl_out({"fdb/stats-show", "br0"});
    EXPECT_TRUE(contains(stats, "  Current/maximum MAC entries in the table: 50/50\n")) << stats;
    EXPECT_TRUE(contains(stats, "  Total number of evicted MAC entries     : 950\n")) << stats;
    EXPECT_EQ(sent("p2").size(), 1000u) << "every frame still forwarded";
}

/* Every vlan_mode, tagged and untagged in, tagged and untagged out. */
TEST_F(SwitchScenario, VlanMatrix)
{
    add_port("a10", {"tag=10"});
    add_port("a20", {"tag=20"});
    add_port("t", {"trunks=10,20"});
    add_port("nu", {"tag=10", "trunks=10,20", "vlan_mode=native-untagged"});
    add_port("nt", {"tag=20", "trunks=10,20", "vlan_mode=native-tagged"});
    add_port("tall");
    const std::vector<std::string> ports = {"a10", "a20", "t", "nu", "nt", "tall"};

    struct Case {
        std::string in;
        int vid_in;                         /* -1: untagged. */
        std::map<std::string, int> out;     /* Port -> vid out (-1 untagged). */
    };
    const std::vector<Case> cases = {
        {"a10", -1, {{"t", 10}, {"nu", -1}, {"nt", 10}, {"tall", 10}}},
        {"t", 20, {{"a20", -1}, {"nu", 20}, {"nt", 20}, {"tall", 20}}},
        {"t", -1, {}},                      /* VLAN 0 is not in trunks=10,20. */
        {"tall", -1, {}},                   /* VLAN 0: nobody else carries it. */
        {"a10", 10, {}},                    /* Tagged on an access port. */
        {"t", 30, {}},                      /* Not in trunks. */
        {"nt", -1, {{"a20", -1}, {"t", 20}, {"nu", 20}, {"tall", 20}}},
        {"nu", 10, {{"a10", -1}, {"t", 10}, {"nt", 10}, {"tall", 10}}},
        {"nu", 0, {{"a10", -1}, {"t", 10}, {"nt", 10}, {"tall", 10}}},  /* Priority tag. */
        {"tall", 10, {{"a10", -1}, {"t", 10}, {"nu", -1}, {"nt", 10}}},
    };
    uint8_t n = 0;
    for (const Case &c : cases) {
        SCOPED_TRACE(fmt::format("in {} vid {}", c.in, c.vid_in));
        std::map<std::string, size_t> before;
        for (const std::string &p : ports) {
            before[p] = sent(p).size();
        }
        inject(c.in, {broadcast(mac(++n, 0x0a), c.vid_in)});
        for (const std::string &p : ports) {
            std::vector<Bytes> frames = sent(p);
            auto want = c.out.find(p);
            if (want == c.out.end()) {
                EXPECT_EQ(frames.size(), before[p]) << p << " must not get it";
                continue;
            }
            ASSERT_EQ(frames.size(), before[p] + 1) << p << " must get it";
            FlowKey key{};
            flow_extract(frames.back(), key);
            if (want->second < 0) {
                EXPECT_EQ(key.n_vlans, 0) << p << " untagged";
            } else {
                ASSERT_EQ(key.n_vlans, 1) << p << " tagged";
                EXPECT_EQ(key.vlans[0].vid(), want->second) << p;
                EXPECT_EQ(key.vlans[0].tpid.value(), kEthTypeVlan8021Q);
            }
            EXPECT_EQ(key.dl_type.value(), kEthTypeArp) << p << " payload intact";
        }
    }
    RunResult r = sb_.appctl({"coverage/read-counter", "normal_drop_invalid_vlan"});
    EXPECT_EQ(r.out, "3\n") << "tagged on access, VLAN 30 and VLAN 0 on t";
}

}  // namespace
}  // namespace braid::test
