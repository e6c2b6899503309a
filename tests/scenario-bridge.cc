/* Scenario tests of the management plane: the real ovs-vsctl and
 * ovsdb-server configure braid-vswitchd (with dummy devices), and
 * everything they wait for or read is written back. */
#include <config.h>

#include <signal.h>
#include <unistd.h>

#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/sandbox.h"

namespace braid::test {
namespace {

/* ovs-vsctl output without the trailing newline. */
std::string chomp(std::string s)
{
    while (!s.empty() && s.back() == '\n') {
        s.pop_back();
    }
    return s;
}

class BridgeScenario : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(sb_.start({"--enable-dummy=override"})) << sb_.last_error();
    }
    void TearDown() override
    {
        EXPECT_EQ(sb_.unexpected_log_lines(allowed_), "") << "unexpected warnings in the log";
    }

    /* ovs-vsctl with libvirt's time limit: every change must be applied
     * (cur_cfg caught up) within 5 s.  Fails the test on a non-zero exit. */
    RunResult vsctl(const std::vector<std::string> &args)
    {
        std::vector<std::string> argv = {"ovs-vsctl", "--timeout=5"};
        argv.insert(argv.end(), args.begin(), args.end());
        RunResult r = sb_.run(argv);
        EXPECT_EQ(r.status, 0) << "ovs-vsctl " << fmt_args(args) << ": " << r.err;
        return r;
    }

    std::string get(const std::string &table, const std::string &record,
                    const std::string &column)
    {
        return chomp(vsctl({"get", table, record, column}).out);
    }

    static std::string fmt_args(const std::vector<std::string> &args)
    {
        std::string s;
        for (const auto &a : args) {
            s += a + " ";
        }
        return s;
    }

    Sandbox sb_;
    std::vector<std::regex> allowed_;
};

TEST_F(BridgeScenario, AddBrWritesEverythingVsctlWaitsFor)
{
    RunResult r = vsctl({"add-br", "br0"});
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(get("Interface", "br0", "ofport"), "65534");
    EXPECT_EQ(get("Interface", "br0", "error"), "[]");
    EXPECT_EQ(get("Open_vSwitch", ".", "cur_cfg"), get("Open_vSwitch", ".", "next_cfg"));
    std::string dpid = get("Bridge", "br0", "datapath_id");
    EXPECT_TRUE(std::regex_match(dpid, std::regex(R"("[0-9a-f]{16}")"))) << dpid;
    EXPECT_EQ(get("Interface", "br0", "admin_state"), "up");
    EXPECT_EQ(get("Interface", "br0", "link_state"), "up");
    EXPECT_EQ(get("Interface", "br0", "mtu"), "1500");
    EXPECT_TRUE(std::regex_match(get("Interface", "br0", "mac_in_use"),
                                 std::regex(R"("([0-9a-f]{2}:){5}[0-9a-f]{2}")")));
    EXPECT_TRUE(contains(get("Open_vSwitch", ".", "iface_types"), "internal"));
    EXPECT_TRUE(contains(get("Open_vSwitch", ".", "datapath_types"), "netdev"));

    /* The bridge's own interface is internal, and datapath_id is stable:
     * the same after a restart. */
    r = sb_.appctl({"bridge/show"});
    EXPECT_TRUE(contains(r.out, "bridge br0: datapath_id " + dpid.substr(1, 16))) << r.out;
    EXPECT_TRUE(contains(r.out, "interface br0: type internal, ofport 65534")) << r.out;
}

TEST_F(BridgeScenario, PortsGetStableLowestFreeNumbers)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "p1"});
    vsctl({"add-port", "br0", "p2"});
    EXPECT_EQ(get("Interface", "p1", "ofport"), "1");
    EXPECT_EQ(get("Interface", "p2", "ofport"), "2");
    vsctl({"del-port", "br0", "p1"});
    vsctl({"add-port", "br0", "p3"});
    EXPECT_EQ(get("Interface", "p3", "ofport"), "1") << "the lowest free number";
    EXPECT_EQ(get("Interface", "p2", "ofport"), "2") << "others keep theirs";
    EXPECT_EQ(chomp(vsctl({"list-ports", "br0"}).out), "p2\np3");

    RunResult r = sb_.appctl({"bridge/show", "br0"});
    EXPECT_TRUE(contains(r.out, "interface p2: type system, ofport 2, admin up, link up"))
        << r.out;
    EXPECT_FALSE(contains(r.out, "p1")) << r.out;
    r = sb_.appctl({"bridge/show", "nope"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "no bridge named nope")) << r.err;

    vsctl({"del-br", "br0"});
    EXPECT_EQ(sb_.appctl({"bridge/show"}).out, "");
}

TEST_F(BridgeScenario, OfportRequestsAndConflicts)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "p5", "--", "set", "Interface", "p5", "ofport_request=5"});
    EXPECT_EQ(get("Interface", "p5", "ofport"), "5");

    /* A second request for 5: the holder keeps it; the newcomer fails with a
     * plain error, which ovs-vsctl's post-check reports. */
    allowed_.push_back(std::regex("already taken"));
    RunResult r =
        vsctl({"add-port", "br0", "p6", "--", "set", "Interface", "p6", "ofport_request=5"});
    EXPECT_EQ(get("Interface", "p6", "ofport"), "-1");
    EXPECT_EQ(get("Interface", "p6", "error"),
              "\"ofport_request 5 is already taken by interface p5, which requested it too\"");
    EXPECT_TRUE(contains(r.err, "ovs-vsctl: Error detected while setting up 'p6': ofport_request "
                                "5 is already taken by interface p5, which requested it too."))
        << r.err;

    /* Fixing the row heals it. */
    vsctl({"set", "Interface", "p6", "ofport_request=6"});
    EXPECT_EQ(get("Interface", "p6", "ofport"), "6");
    EXPECT_EQ(get("Interface", "p6", "error"), "[]");

    /* A request displaces an interface that did not ask for its number. */
    vsctl({"add-port", "br0", "p7"});
    EXPECT_EQ(get("Interface", "p7", "ofport"), "1");
    vsctl({"set", "Interface", "p5", "ofport_request=1"});
    EXPECT_EQ(get("Interface", "p5", "ofport"), "1");
    EXPECT_EQ(get("Interface", "p7", "ofport"), "2");
}

TEST_F(BridgeScenario, BadTypeAndBadOptionHeal)
{
    allowed_.push_back(std::regex(R"(\|netdev\|WARN\|bad1: could not set configuration)"));
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "ok1"});

    RunResult r = vsctl({"add-port", "br0", "bad0", "--", "set", "Interface", "bad0",
                         "type=bogus"});
    EXPECT_EQ(get("Interface", "bad0", "ofport"), "-1");
    EXPECT_EQ(get("Interface", "bad0", "error"),
              "\"could not open network device bad0 (unknown type \\\"bogus\\\")\"");
    EXPECT_TRUE(contains(r.err, "Error detected while setting up 'bad0'")) << r.err;
    EXPECT_EQ(get("Interface", "ok1", "ofport"), "1") << "the rest keeps working";

    r = vsctl({"add-port", "br0", "bad1", "--", "set", "Interface", "bad1", "type=dummy",
               "options:frobnicate=1"});
    EXPECT_EQ(get("Interface", "bad1", "ofport"), "-1");
    EXPECT_TRUE(contains(get("Interface", "bad1", "error"), "unknown option \\\"frobnicate\\\""));

    /* A successful add prints nothing. */
    r = vsctl({"add-port", "br0", "ok2"});
    EXPECT_EQ(r.err, "");

    vsctl({"set", "Interface", "bad0", "type=dummy"});
    vsctl({"remove", "Interface", "bad1", "options", "frobnicate"});
    EXPECT_NE(get("Interface", "bad0", "ofport"), "-1");
    EXPECT_EQ(get("Interface", "bad0", "error"), "[]");
    EXPECT_NE(get("Interface", "bad1", "ofport"), "-1");
    EXPECT_EQ(get("Interface", "bad1", "error"), "[]");
}

TEST_F(BridgeScenario, BadMacHeals)
{
    vsctl({"add-br", "br0"});
    RunResult r = sb_.run({"ovs-vsctl", "--timeout=5", "add-port", "br0", "vx", "--", "set",
                           "Interface", "vx", "mac=\"nonsense\""});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "Error detected while setting up 'vx'")) << r.err;
    EXPECT_EQ(get("Interface", "vx", "ofport"), "-1");
    EXPECT_TRUE(contains(get("Interface", "vx", "error"), "is not a unicast Ethernet address"));
    vsctl({"clear", "Interface", "vx", "mac"});
    EXPECT_NE(get("Interface", "vx", "ofport"), "-1");
    EXPECT_EQ(get("Interface", "vx", "error"), "[]");
}

TEST_F(BridgeScenario, BondsAreOnePortWithSeveralInterfaces)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-bond", "br0", "bond0", "e1", "e2", "bond_mode=balance-slb", "lacp=active"});
    EXPECT_EQ(get("Interface", "e1", "ofport"), "1");
    EXPECT_EQ(get("Interface", "e2", "ofport"), "2");
    RunResult r = sb_.appctl({"bridge/show"});
    EXPECT_TRUE(contains(r.out, "port bond0: vlan trunk, bond (bond_mode balance-slb, lacp "
                                "active)"))
        << r.out;
    vsctl({"add-bond-iface", "bond0", "e3"});
    EXPECT_EQ(get("Interface", "e3", "ofport"), "3");
    vsctl({"del-bond-iface", "bond0", "e1"});
    r = sb_.appctl({"bridge/show"});
    EXPECT_FALSE(contains(r.out, "interface e1")) << r.out;
}

TEST_F(BridgeScenario, MayExistAndIfExists)
{
    vsctl({"add-br", "br0"});
    vsctl({"--may-exist", "add-br", "br0"});
    vsctl({"add-port", "br0", "p1"});
    vsctl({"--may-exist", "add-port", "br0", "p1"});
    vsctl({"--if-exists", "del-port", "br0", "nope"});
    vsctl({"--if-exists", "del-br", "nope"});
    EXPECT_EQ(get("Interface", "p1", "ofport"), "1");
    RunResult r = sb_.run({"ovs-vsctl", "--timeout=5", "add-port", "br0", "p1"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.err, "already exists")) << r.err;
}

/* VLAN columns set and cleared: exercises every kind of update2 diff
 * (scalar replaced, set XORed, map changed) end to end. */
TEST_F(BridgeScenario, VlanColumnsFollowTheDatabase)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "p1", "tag=10"});
    auto show = [&] { return sb_.appctl({"bridge/show", "br0"}).out; };
    EXPECT_TRUE(contains(show(), "port p1: vlan access tag 10\n")) << show();
    vsctl({"set", "Port", "p1", "trunks=1,2", "vlan_mode=native-untagged"});
    EXPECT_TRUE(contains(show(), "port p1: vlan native-untagged tag 10 trunks 1,2\n")) << show();
    vsctl({"set", "Port", "p1", "trunks=2,3"});
    EXPECT_TRUE(contains(show(), "port p1: vlan native-untagged tag 10 trunks 2,3\n")) << show();
    vsctl({"clear", "Port", "p1", "tag", "--", "clear", "Port", "p1", "vlan_mode"});
    EXPECT_TRUE(contains(show(), "port p1: vlan trunk trunks 2,3\n")) << show();
    vsctl({"set", "Port", "p1", "other_config:a=1"});
    vsctl({"set", "Port", "p1", "other_config:a=2", "--", "clear", "Port", "p1", "trunks"});
    EXPECT_TRUE(contains(show(), "port p1: vlan trunk\n")) << show();
}

TEST_F(BridgeScenario, FakeBridges)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-br", "fake10", "br0", "10"});
    EXPECT_EQ(chomp(vsctl({"br-to-parent", "fake10"}).out), "br0");
    EXPECT_EQ(chomp(vsctl({"br-to-vlan", "fake10"}).out), "10");
    std::string ofport = get("Interface", "fake10", "ofport");
    EXPECT_NE(ofport, "-1");
    RunResult r = sb_.appctl({"bridge/show", "br0"});
    EXPECT_TRUE(contains(r.out, "port fake10: vlan access tag 10, fake bridge")) << r.out;
    vsctl({"add-port", "fake10", "vm1"});
    EXPECT_EQ(chomp(vsctl({"port-to-br", "vm1"}).out), "fake10");
    EXPECT_EQ(get("Port", "vm1", "tag"), "10");
}

/* The exact command lines libvirt runs (ovs-vswitchd contract §6). */
TEST_F(BridgeScenario, LibvirtCommandLines)
{
    vsctl({"add-br", "br0"});
    RunResult r = sb_.run(
        {"ovs-vsctl", "--timeout=5", "--", "--may-exist", "add-port", "br0", "vnet0", "--",
         "set", "Interface", "vnet0", "external-ids:attached-mac=\"52:54:00:12:34:56\"", "--",
         "set", "Interface", "vnet0",
         "external-ids:iface-id=\"5b6c7d8e-0000-4000-8000-000000000001\"", "--", "set",
         "Interface", "vnet0", "external-ids:vm-id=\"5b6c7d8e-0000-4000-8000-000000000002\"",
         "--", "set", "Interface", "vnet0", "external-ids:iface-status=active"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(get("Interface", "vnet0", "ofport"), "1");

    r = sb_.run({"ovs-vsctl", "--timeout=5", "iface-to-br", "vnet0"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "br0\n");

    /* Statistics, as libvirt reads them for domifstat. */
    r = sb_.run({"ovs-vsctl", "--timeout=5", "--if-exists", "--format=list", "--data=json",
                 "--no-headings", "--columns=statistics", "list", "Interface", "vnet0"});
    ASSERT_EQ(r.status, 0) << r.err;
    for (const char *counter : {"rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
                                "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"}) {
        EXPECT_TRUE(contains(r.out, std::string("[\"") + counter + "\",")) << counter << r.out;
    }

    /* VLAN update on a live interface. */
    r = sb_.run({"ovs-vsctl", "--timeout=5", "--", "--if-exists", "clear", "Port", "vnet0",
                 "tag", "--", "--if-exists", "clear", "Port", "vnet0", "trunk", "--",
                 "--if-exists", "clear", "Port", "vnet0", "vlan_mode", "--", "--if-exists",
                 "set", "Port", "vnet0", "tag=42"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(get("Port", "vnet0", "tag"), "42");

    r = sb_.run({"ovs-vsctl", "--timeout=5", "--", "--if-exists", "del-port", "vnet0"});
    EXPECT_EQ(r.status, 0) << r.err;
    r = sb_.run({"ovs-vsctl", "--timeout=5", "iface-to-br", "vnet0"});
    EXPECT_NE(r.status, 0) << "gone";
}

/* Statistics every 5 s of the (warped) clock; link changes at once. */
TEST_F(BridgeScenario, StatisticsAndLinkStateWriteBack)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "p1"});
    ASSERT_EQ(sb_.appctl({"time/stop"}).status, 0);
    std::string frame = "ffffffffffff00112233445508060001080006040001001122334455c0000201"
                        "000000000000c0000202";
    ASSERT_EQ(sb_.appctl({"netdev-dummy/receive", "p1", frame, frame, frame}).status, 0);
    ASSERT_EQ(sb_.appctl({"time/warp", "5000"}).status, 0);
    RunResult r = vsctl({"wait-until", "Interface", "p1", "statistics:rx_packets=3"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(get("Interface", "p1", "statistics:rx_bytes"), std::to_string(3 * 42));

    ASSERT_EQ(sb_.appctl({"netdev-dummy/set-carrier", "p1", "down"}).status, 0);
    vsctl({"wait-until", "Interface", "p1", "link_state=down"});
    EXPECT_EQ(get("Interface", "p1", "link_resets"), "1");
    ASSERT_EQ(sb_.appctl({"netdev-dummy/set-carrier", "p1", "up"}).status, 0);
    vsctl({"wait-until", "Interface", "p1", "link_state=up"});
    EXPECT_EQ(get("Interface", "p1", "link_resets"), "2") << "every change counts";
    ASSERT_EQ(sb_.appctl({"netdev-dummy/set-admin-state", "p1", "down"}).status, 0);
    vsctl({"wait-until", "Interface", "p1", "admin_state=down"});

    r = sb_.appctl({"netdev-dummy/receive", "p1", "00112233445566778899aabbxyz"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "not a frame in hexadecimal (bad character 'x')")) << r.err;
    r = sb_.appctl({"netdev-dummy/receive", "p1", "abc"});
    EXPECT_TRUE(contains(r.err, "needs an even number of digits")) << r.err;
    r = sb_.appctl({"netdev-dummy/receive", "p1", "0011"});
    EXPECT_TRUE(contains(r.err, "shorter than an Ethernet header")) << r.err;
    r = sb_.appctl({"netdev-dummy/receive", "nope", frame});
    EXPECT_TRUE(contains(r.err, "no such dummy netdev \"nope\"")) << r.err;
    r = sb_.appctl({"netdev-dummy/set-carrier", "p1", "sideways"});
    EXPECT_TRUE(contains(r.err, "expected \"up\" or \"down\"")) << r.err;
}

TEST_F(BridgeScenario, CapturesToPcap)
{
    vsctl({"add-br", "br0"});
    std::string rx = sb_.path("p1-rx.pcap");
    vsctl({"add-port", "br0", "p1", "--", "set", "Interface", "p1", "options:rx_pcap=" + rx});
    std::string frame = "0a0000000001" "0a0000000002" "88b5" "68656c6c6f";
    ASSERT_EQ(sb_.appctl({"netdev-dummy/receive", "p1", frame}).status, 0);
    RunResult r = sb_.run({"tcpdump", "-nn", "-e", "-r", rx});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "0a:00:00:00:00:02 > 0a:00:00:00:00:01, ethertype Unknown "
                                "(0x88b5), length 19"))
        << r.out;
}

TEST_F(BridgeScenario, KillAndRestartKeepsOfports)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "a"});
    vsctl({"add-port", "br0", "b"});
    vsctl({"add-port", "br0", "c"});
    vsctl({"del-port", "br0", "a"});
    std::string dpid = get("Bridge", "br0", "datapath_id");

    auto kill_and_restart = [&] {
        auto pid = sb_.vswitchd_pid();
        ASSERT_TRUE(pid);
        ASSERT_EQ(kill(*pid, SIGKILL), 0);
        ASSERT_TRUE(Sandbox::wait_for_exit(*pid));
    };
    auto restart = [&] {
        RunResult r = sb_.ctl({"--no-ovsdb-server", "--vswitchd-opt=--enable-dummy=override",
                               "start"});
        ASSERT_EQ(r.status, 0) << r.out << r.err;
    };

    /* Same configuration: same numbers, same datapath id. */
    kill_and_restart();
    restart();
    vsctl({"add-br", "br1"});       /* Returns once the restarted daemon caught up. */
    EXPECT_EQ(get("Interface", "b", "ofport"), "2");
    EXPECT_EQ(get("Interface", "c", "ofport"), "3");
    EXPECT_EQ(get("Bridge", "br0", "datapath_id"), dpid);

    /* The database changes while the daemon is down. */
    kill_and_restart();
    RunResult r = sb_.run({"ovs-vsctl", "--no-wait", "add-port", "br0", "d"});
    ASSERT_EQ(r.status, 0) << r.err;
    restart();
    vsctl({"add-port", "br0", "e"});
    EXPECT_EQ(get("Interface", "b", "ofport"), "2");
    EXPECT_EQ(get("Interface", "c", "ofport"), "3");
    EXPECT_EQ(get("Interface", "d", "ofport"), "1") << "lowest free";
    EXPECT_EQ(get("Interface", "e", "ofport"), "4");
}

TEST_F(BridgeScenario, SurvivesOvsdbServerRestart)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "p1"});
    auto pid = sb_.vswitchd_pid();
    RunResult r = sb_.ctl({"--no-vswitchd", "stop"});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    r = sb_.ctl({"--no-vswitchd", "start"});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    vsctl({"add-port", "br0", "p2"});     /* Needs braid-vswitchd back on. */
    EXPECT_EQ(get("Interface", "p2", "ofport"), "2");
    EXPECT_EQ(get("Interface", "p1", "ofport"), "1");
    EXPECT_EQ(sb_.vswitchd_pid(), pid) << "the same process";
}

/* A second switch daemon on the same database waits on the lock. */
TEST_F(BridgeScenario, SecondDaemonWaitsOnTheLock)
{
    vsctl({"add-br", "br0"});
    std::string second_ctl = sb_.path("second.ctl");
    RunResult r = sb_.run({builddir() + "/vswitchd/braid-vswitchd", "--enable-dummy=override",
                           "--pidfile=second.pid", "--unixctl=second.ctl", "--detach",
                           "--no-chdir", "--log-file=second.log", "-vconsole:off"});
    ASSERT_EQ(r.status, 0) << r.err;
    std::string error;
    ASSERT_TRUE(sb_.wait_until([&] {
        return contains(read_file(sb_.path("second.log")).value_or(""),
                        "another ovs-vswitchd process is running");
    }));
    r = sb_.run({"ovs-appctl", "-t", second_ctl, "bridge/show"});
    EXPECT_EQ(r.out, "database lock held by another process: not configuring\n");

    /* The first keeps serving. */
    vsctl({"add-port", "br0", "p1"});
    EXPECT_EQ(get("Interface", "p1", "ofport"), "1");

    /* When the first goes away, the second takes over. */
    ASSERT_EQ(sb_.ctl({"--no-ovsdb-server", "stop"}).status, 0);
    ASSERT_TRUE(sb_.wait_until([&] {
        return contains(sb_.run({"ovs-appctl", "-t", second_ctl, "bridge/show"}).out,
                        "interface p1");
    }));
    vsctl({"add-port", "br0", "p2"});
    EXPECT_EQ(get("Interface", "p2", "ofport"), "2");
    r = sb_.run({"ovs-appctl", "-t", second_ctl, "exit"});
    EXPECT_EQ(r.status, 0);
}

/* The real ovs-vswitchd and braid-vswitchd exclude each other through the
 * same database lock, whichever comes first. */
TEST_F(BridgeScenario, RealOvsVswitchdAndBraidShareTheLock)
{
    const std::string ovs = "/usr/lib/openvswitch-switch/ovs-vswitchd";
    if (access(ovs.c_str(), X_OK) != 0) {
        GTEST_SKIP() << ovs << " is not installed";
    }
    /* Not detached: ovs-vswitchd finishes detaching only after its first
     * configuration commits, which the lock prevents. */
    allowed_.push_back(std::regex("another ovs-vswitchd process is running"));
    auto start_ovs = [&] {
        ASSERT_GT(sb_.spawn({ovs, "--enable-dummy=override", "--disable-system",
                             "--disable-system-route", "--pidfile=real.pid",
                             "--unixctl=real.ctl", "--no-chdir",
                             "--log-file=" + sb_.path("real.log"),
                             "-vconsole:off"},
                            "real.out"),
                  0);
        ASSERT_TRUE(sb_.wait_until([&] { return access(sb_.path("real.ctl").c_str(), F_OK) == 0; }));
    };
    vsctl({"add-br", "br0"});

    /* Braid first: the real one waits and changes nothing. */
    start_ovs();
    ASSERT_TRUE(sb_.wait_until([&] {
        return contains(read_file(sb_.path("real.log")).value_or(""),
                        "another ovs-vswitchd process is running");
    }));
    vsctl({"add-port", "br0", "p1"});
    EXPECT_EQ(get("Interface", "p1", "ofport"), "1");
    EXPECT_TRUE(contains(sb_.appctl({"bridge/show"}).out, "interface p1")) << "braid did it";
    ASSERT_EQ(sb_.run({"ovs-appctl", "-t", sb_.path("real.ctl"), "exit"}).status, 0);
    ASSERT_TRUE(sb_.wait_until([&] { return access(sb_.path("real.ctl").c_str(), F_OK) != 0; }));

    /* The real one first: braid waits until it goes away. */
    ASSERT_EQ(sb_.ctl({"--no-ovsdb-server", "stop"}).status, 0);
    start_ovs();
    vsctl({"add-port", "br0", "p2"});        /* Applied by the real one. */
    RunResult r = sb_.ctl({"--no-ovsdb-server", "--vswitchd-opt=--enable-dummy=override",
                           "start"});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    ASSERT_TRUE(sb_.wait_until([&] {
        return contains(sb_.vswitchd_log(), "another ovs-vswitchd process is running");
    }));
    EXPECT_EQ(sb_.appctl({"bridge/show"}).out,
              "database lock held by another process: not configuring\n");
    ASSERT_EQ(sb_.run({"ovs-appctl", "-t", sb_.path("real.ctl"), "exit"}).status, 0);
    ASSERT_TRUE(sb_.wait_until([&] {
        return contains(sb_.appctl({"bridge/show"}).out, "interface p2");
    }));
    vsctl({"add-port", "br0", "p3"});
    EXPECT_TRUE(contains(sb_.appctl({"bridge/show"}).out, "interface p3"));
}

}  // namespace
}  // namespace braid::test
