/* System tests of LACP between Braid and the real Open vSwitch: a Braid
 * bridge whose 2-member LACP bond is wired, member to member, to the
 * 2-member LACP bond of a real ovs-vswitchd (userspace datapath), each
 * bridge with a test host behind it.
 *
 *   namespace "lacp-ha"      test namespace: both daemons        namespace "lacp-hb"
 *   eth0 10.0.9.1/24 -- ba [br0 Braid] bond0 = bm0 --- om0 = bond1 [br1 OVS] oa -- eth0
 *                                              bm1 --- om1                   10.0.9.2/24
 *
 * Each daemon has a sandbox of its own (tests/sandbox.h: its own
 * ovsdb-server, database, run directory and control sockets), and both run
 * in the test's private network namespace (tests/system-main.cc), where
 * their ports are: a netdev port is opened in the namespace of the daemon.
 *
 * The tests measure and print, on lines starting with "lacp-interop:",
 * how long negotiation takes and how long each side takes to drop a member
 * whose link is cut (carrier loss, or LACPDUs dropped by nft with the
 * carrier up) and to take it back after the repair.  Only Braid's times are
 * asserted; Open vSwitch's are measured in the same run for comparison.
 * Every wait is a bounded poll; every namespace, device, nft table and
 * process made here is removed again, also when a test fails. */
#include <config.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/sandbox.h"
#include "tests/system-helpers.h"

namespace braid::test {
namespace {

/* The test hosts: A behind Braid, B behind Open vSwitch. */
const char kHostA[] = "lacp-ha";
const char kHostB[] = "lacp-hb";
const char kIpA[] = "10.0.9.1";
const char kIpB[] = "10.0.9.2";

/* The bridges, bonds, access ports and members of each side.  Member i of
 * Braid is wired to member i of Open vSwitch. */
const char kBraidBridge[] = "br0";
const char kBraidBond[] = "bond0";
const char kBraidAccess[] = "ba";
const char *const kBraidMembers[] = {"bm0", "bm1"};
const char kOvsBridge[] = "br1";
const char kOvsBond[] = "bond1";
const char kOvsAccess[] = "oa";
const char *const kOvsMembers[] = {"om0", "om1"};

/* The nft table (family netdev, in the test namespace) that cuts LACP on a
 * member link. */
const char kNftTable[] = "lacpcut";

/* How often the tests read lacp/show while they wait for a change, ms. */
constexpr int kPollMs = 50;

/* How long iperf3 sends, s. */
constexpr int kIperfSeconds = 3;

const char kTshark[] = "/usr/bin/tshark";

/* One member in the text of lacp/show (Braid prints Open vSwitch's text
 * first, so one parser reads both). */
struct LacpMemberView {
    std::string rx;             /* "current", "expired", "defaulted", ... */
    bool attached = false;
    bool may_enable = false;
};

/* The text of lacp/show for one bond. */
struct LacpView {
    bool parsed = false;
    bool negotiated = false;
    std::string status;         /* "active negotiated", "passive", ... */
    std::string sys_id;
    std::map<std::string, LacpMemberView> members;
    std::string text;
};

LacpView parse_lacp_show(const std::string &text)
{
    LacpView v;
    v.text = text;
    std::istringstream in(text);
    std::string member;
    static const std::regex member_re(R"(^member: (\S+): (\S+) (attached|detached)$)");
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (line.rfind("---- ", 0) == 0) {
            v.parsed = true;
        } else if (line.rfind("  status: ", 0) == 0) {
            v.status = line.substr(10);
            v.negotiated = contains(v.status, "negotiated");
        } else if (line.rfind("  sys_id: ", 0) == 0) {
            v.sys_id = line.substr(10);
        } else if (std::regex_search(line, m, member_re)) {
            member = m[1];
            v.members[member].rx = m[2];
            v.members[member].attached = m[3] == "attached";
        } else if (!member.empty() && line == "  may_enable: true") {
            v.members[member].may_enable = true;
        }
    }
    return v;
}

/* Whether 'member' of 'v' is there and may carry frames. */
bool enabled(const LacpView &v, const std::string &member)
{
    auto it = v.members.find(member);
    return it != v.members.end() && it->second.may_enable;
}

/* Whether 'v' negotiated with both of 'members' enabled. */
bool all_enabled(const LacpView &v, const char *const (&members)[2])
{
    return v.negotiated && v.members.size() == 2 && enabled(v, members[0])
           && enabled(v, members[1]);
}

/* Whether 'member' of 'v' is there with its partner information in
 * Receive state 'rx'. */
bool rx_state_is(const LacpView &v, const std::string &member, const std::string &rx)
{
    auto it = v.members.find(member);
    return it != v.members.end() && it->second.rx == rx;
}

/* A duration in ms as "1.2 s", or "never" for a negative one. */
std::string secs(int64_t ms)
{
    return ms < 0 ? std::string("never") : fmt::format("{:.1f} s", double(ms) / 1000);
}

/* The numbers after "RX PDUs: " and "RX Bad PDUs: " in a lacp/show-stats
 * text (Open vSwitch's part, which Braid prints too), one per member. */
void pdu_counts(const std::string &stats, std::vector<long> *good, std::vector<long> *bad)
{
    static const std::regex re(R"(\n  RX (Bad )?PDUs: (\d+))");
    for (auto it = std::sregex_iterator(stats.begin(), stats.end(), re);
         it != std::sregex_iterator(); ++it) {
        ((*it)[1].matched ? bad : good)->push_back(std::stol((*it)[2]));
    }
}

/* The frames counted by the kernel on device 'dev' here ('what' is
 * "tx_packets" or "rx_packets"), or -1. */
long dev_counter(const std::string &dev, const std::string &what)
{
    std::optional<std::string> s = read_file("/sys/class/net/" + dev + "/statistics/" + what);
    return s ? std::atol(s->c_str()) : -1;
}

/* When each side first met a condition, ms after the start of the wait, or
 * -1 if it did not in time. */
struct Times {
    int64_t braid = -1;
    int64_t ovs = -1;
};

/* How the two bonds are set up. */
struct BondSetup {
    std::string mode = "balance-tcp";
    std::string braid_lacp = "active";
    std::string ovs_lacp = "active";
};

class SystemLacp : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!have_ovs_vswitchd()) {
            GTEST_SKIP() << kOvsVswitchd << " is not installed";
        }
        /* The test blocks Braid's main thread on purpose. */
        allowed_.emplace_back(R"(blocking the main thread for \d+ ms)");
        /* A frame sent in the moment between a cut and the news of it
         * reaching Braid finds the veth without its peer. */
        allowed_.emplace_back(R"(\|WARN\|bm[01]: dropped \d+ of \d+ frames on transmit)");
    }

    void TearDown() override
    {
        for (pid_t pid : std::vector<pid_t>(pids_)) {
            stop_process(pid, SIGTERM);
        }
        if (HasFailure()) {
            dump_state();
        }
        if (braid_started_) {
            EXPECT_EQ(braid_.unexpected_log_lines(allowed_), "");
        }
        if (nft_table_) {
            run_here({"nft", "delete", "table", "netdev", kNftTable});
        }
        for (const std::string &ns : namespaces_) {
            run_here({"ip", "netns", "del", ns});
        }
        for (const std::string &link : links_) {
            run_here({"ip", "link", "del", link});
        }
        /* The daemons stop in the sandboxes' destructors. */
    }

    /* For the diagnosis of a failure: both sides' LACP and their logs'
     * LACP and bond lines. */
    void dump_state()
    {
        std::printf("---- Braid lacp/show ----\n%s", braid_.appctl({"lacp/show"}).out.c_str());
        std::printf("---- Open vSwitch lacp/show ----\n%s",
                    ovs_.appctl({"lacp/show"}).out.c_str());
        for (Sandbox *sb : {&braid_, &ovs_}) {
            std::printf("---- %s log (LACP and bond lines) ----\n",
                        sb == &braid_ ? "Braid" : "Open vSwitch");
            std::istringstream log(sb->vswitchd_log());
            for (std::string line; std::getline(log, line);) {
                if (contains(line, "lacp") || contains(line, "bond") || contains(line, "|WARN|")
                    || contains(line, "|ERR|")) {
                    std::printf("%s\n", line.c_str());
                }
            }
        }
        std::fflush(stdout);
    }

    /* Runs a command in the test namespace, in no sandbox's environment. */
    static RunResult run_here(const std::vector<std::string> &argv, int timeout_ms = 10000)
    {
        return test::run(argv, {}, timeout_ms);
    }

    /* Runs a command that must succeed. */
    static void sh(const std::vector<std::string> &argv)
    {
        RunResult r = run_here(argv);
        std::string cmd;
        for (const std::string &a : argv) {
            cmd += (cmd.empty() ? "" : " ") + a;
        }
        ASSERT_EQ(r.status, 0) << cmd << ": " << r.out << r.err;
    }

    /* Stops a process this test started and has not reaped yet: 'signo',
     * then SIGKILL if it is still there after 3 s.  By its saved pid
     * only: until it is reaped here, the pid is still the child's, even
     * if it has exited. */
    void stop_process(pid_t pid, int signo)
    {
        if (std::find(pids_.begin(), pids_.end(), pid) == pids_.end()) {
            return;
        }
        kill(pid, signo);
        if (!wait_exit(pid, 3000)) {
            kill(pid, SIGKILL);
            wait_exit(pid, 3000);
        }
        forget(pid);
    }

    /* Forgets 'pid' once it has been reaped. */
    void forget(pid_t pid)
    {
        pids_.erase(std::remove(pids_.begin(), pids_.end(), pid), pids_.end());
    }

    /* Starts 'argv' in the background (output to 'output' in Braid's
     * sandbox) and remembers it for TearDown. */
    pid_t spawn(const std::vector<std::string> &argv, const std::string &output)
    {
        pid_t pid = braid_.spawn(argv, output);
        EXPECT_GT(pid, 0) << argv[0];
        if (pid > 0) {
            pids_.push_back(pid);
        }
        return pid;
    }

    /* The two daemons, each in its sandbox. */
    void start_daemons()
    {
        ASSERT_TRUE(braid_.start()) << braid_.last_error();
        braid_started_ = true;
        RunResult r = start_ovs_vswitchd(ovs_);
        ASSERT_EQ(r.status, 0) << r.out << r.err;
    }

    /* Test host 'ns' at 'ip' wired to 'port' here.  The host's transmit
     * offloads are off, as Open vSwitch's own userspace tests do: the
     * userspace datapath of Open vSwitch 3.1 reads its ports without the
     * virtio-net header, so a TSO frame or a frame with its checksum left
     * to the device would reach it as it is and be dropped or forwarded
     * broken. */
    void add_host(const std::string &ns, const std::string &ip, const std::string &port)
    {
        ASSERT_NO_FATAL_FAILURE(sh({"ip", "netns", "add", ns}));
        namespaces_.push_back(ns);
        for (const char *var : {"net.ipv6.conf.all.disable_ipv6=1",
                                "net.ipv6.conf.default.disable_ipv6=1"}) {
            ASSERT_NO_FATAL_FAILURE(sh({"ip", "netns", "exec", ns, "sysctl", "-qw", var}));
        }
        ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "add", port, "type", "veth", "peer", "name",
                                    ns + "-e"}));
        links_.push_back(port);
        ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "set", ns + "-e", "netns", ns, "name", "eth0"}));
        ASSERT_NO_FATAL_FAILURE(sh({"ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0"}));
        ASSERT_NO_FATAL_FAILURE(
            sh({"ip", "netns", "exec", ns, "ethtool", "-K", "eth0", "tx", "off"}));
        ASSERT_NO_FATAL_FAILURE(sh({"ip", "-n", ns, "link", "set", "eth0", "up"}));
        ASSERT_NO_FATAL_FAILURE(sh({"ip", "-n", ns, "link", "set", "lo", "up"}));
        ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "set", port, "up"}));
    }

    /* Both daemons, both hosts and the member links, without bridges. */
    void make_topology()
    {
        ASSERT_NO_FATAL_FAILURE(start_daemons());
        ASSERT_NO_FATAL_FAILURE(add_host(kHostA, kIpA, kBraidAccess));
        ASSERT_NO_FATAL_FAILURE(add_host(kHostB, kIpB, kOvsAccess));
        for (int i = 0; i < 2; i++) {
            ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "add", kBraidMembers[i], "type", "veth",
                                        "peer", "name", kOvsMembers[i]}));
            links_.push_back(kBraidMembers[i]);
            ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "set", kBraidMembers[i], "up"}));
            ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "set", kOvsMembers[i], "up"}));
        }
    }

    /* The ovs-vsctl arguments that make 'bridge' (userspace datapath) with
     * access port 'access' and LACP bond 'bond' over 'members'. */
    static std::vector<std::string> bridge_args(const char *bridge, const char *access,
                                                const char *bond,
                                                const char *const (&members)[2],
                                                const std::string &mode, const std::string &lacp)
    {
        return {"add-br", bridge, "--", "set", "Bridge", bridge, "datapath_type=netdev",
                "--", "add-port", bridge, access, "--", "add-bond", bridge, bond, members[0],
                members[1], "bond_mode=" + mode, "lacp=" + lacp,
                "other_config:lacp-time=fast"};
    }

    static void vsctl(const Sandbox &sb, const std::vector<std::string> &args)
    {
        RunResult r = sb.vsctl(args);
        ASSERT_EQ(r.status, 0) << "ovs-vsctl: " << r.out << r.err;
    }

    void add_braid_bridge(const BondSetup &s)
    {
        vsctl(braid_, bridge_args(kBraidBridge, kBraidAccess, kBraidBond, kBraidMembers, s.mode,
                                  s.braid_lacp));
    }

    void add_ovs_bridge(const BondSetup &s)
    {
        vsctl(ovs_, bridge_args(kOvsBridge, kOvsAccess, kOvsBond, kOvsMembers, s.mode,
                                s.ovs_lacp));
    }

    /* Each side's lacp/show of its bond. */
    LacpView braid_lacp() const
    {
        return parse_lacp_show(braid_.appctl({"lacp/show", kBraidBond}).out);
    }
    LacpView ovs_lacp() const
    {
        return parse_lacp_show(ovs_.appctl({"lacp/show", kOvsBond}).out);
    }

    /* Reads both sides' lacp/show every kPollMs until each has met its
     * condition once, or until 'timeout_ms' after 'since' (now_ms()).
     * The last texts read stay in last_braid_ and last_ovs_. */
    Times wait_for(const std::function<bool(const LacpView &)> &braid_done,
                   const std::function<bool(const LacpView &)> &ovs_done, int64_t since,
                   int timeout_ms)
    {
        Times t;
        for (;;) {
            if (t.braid < 0 && braid_done(last_braid_ = braid_lacp())) {
                t.braid = now_ms() - since;
            }
            if (t.ovs < 0 && ovs_done(last_ovs_ = ovs_lacp())) {
                t.ovs = now_ms() - since;
            }
            if ((t.braid >= 0 && t.ovs >= 0) || now_ms() - since >= timeout_ms) {
                return t;
            }
            pause_ms(kPollMs);
        }
    }

    /* Waits (up to 'timeout_ms') for both bonds to negotiate with both
     * members enabled on each side. */
    Times wait_attached(int64_t since, int timeout_ms)
    {
        return wait_for([](const LacpView &v) { return all_enabled(v, kBraidMembers); },
                        [](const LacpView &v) { return all_enabled(v, kOvsMembers); }, since,
                        timeout_ms);
    }

    /* Both sides' lacp/show, for failure messages. */
    std::string both_texts() const
    {
        return "Braid:\n" + last_braid_.text + "Open vSwitch:\n" + last_ovs_.text;
    }

    /* Each side received LACPDUs on both members, none of them bad, and
     * Open vSwitch logged no complaint about LACP. */
    void expect_clean_lacp_stats()
    {
        for (const Sandbox *sb : {&braid_, &ovs_}) {
            const char *who = sb == &braid_ ? "Braid" : "Open vSwitch";
            RunResult r = sb->appctl({"lacp/show-stats", sb == &braid_ ? kBraidBond : kOvsBond});
            std::vector<long> good, bad;
            pdu_counts(r.out, &good, &bad);
            EXPECT_EQ(good.size(), 2u) << who << ":\n" << r.out << r.err;
            EXPECT_EQ(bad, std::vector<long>(good.size(), 0)) << who << ":\n" << r.out;
            for (long n : good) {
                EXPECT_GT(n, 0) << who << ":\n" << r.out;
            }
        }
        std::istringstream log(ovs_.vswitchd_log());
        for (std::string line; std::getline(log, line);) {
            EXPECT_FALSE(contains(line, "|lacp|WARN|") || contains(line, "|lacp|ERR|")) << line;
        }
    }

    /* Makes the topology with both bridges, Braid's first, waits for the
     * bonds to negotiate and reports the attach time: from the start of
     * Open vSwitch's add-bond to both sides attached. */
    void negotiate(const BondSetup &s, const std::string &label)
    {
        ASSERT_NO_FATAL_FAILURE(make_topology());
        ASSERT_NO_FATAL_FAILURE(add_braid_bridge(s));
        const int64_t start = now_ms();
        ASSERT_NO_FATAL_FAILURE(add_ovs_bridge(s));
        Times t = wait_attached(start, 20000);
        report(fmt::format("{}: attach {} (braid {}, ovs {}) from add-bond on the second side",
                           label, secs(std::max(t.braid, t.ovs)), secs(t.braid), secs(t.ovs)));
        ASSERT_GE(t.braid, 0) << "Braid did not negotiate\n" << both_texts();
        ASSERT_GE(t.ovs, 0) << "Open vSwitch did not negotiate\n" << both_texts();
        EXPECT_EQ(last_braid_.status, s.braid_lacp + " negotiated") << last_braid_.text;
    }

    /* Prints a "lacp-interop:" line and records it in the test's XML
     * output. */
    void report(const std::string &line)
    {
        std::printf("lacp-interop: %s\n", line.c_str());
        std::fflush(stdout);
        RecordProperty("lacp_interop_" + std::to_string(reports_++), line);
    }

    /* Whether host A reaches host B (up to 5 tries of 1 s). */
    bool ping_ok()
    {
        for (int i = 0; i < 5; i++) {
            if (run_here({"ip", "netns", "exec", kHostA, "ping", "-c", "1", "-W", "1", "-q",
                          kIpB},
                         5000)
                    .status
                == 0) {
                return true;
            }
        }
        return false;
    }

    /* 'count' pings from host A to host B, 10 ms apart, all of which must
     * be answered once. */
    void expect_clean_ping(int count, const std::string &what)
    {
        RunResult r = run_here({"ip", "netns", "exec", kHostA, "ping", "-c",
                                std::to_string(count), "-i", "0.01", "-W", "1", kIpB},
                               20000);
        PingStats s = parse_ping(r.out);
        EXPECT_EQ(s.received, count) << what << ": " << r.out << r.err;
        EXPECT_FALSE(s.duplicates) << what << ": " << r.out;
    }

    /* Starts pings from host A to host B every 10 ms for at most 'seconds'
     * s, output to 'output'; stop_ping() ends them and returns the count. */
    pid_t start_ping(int seconds, const std::string &output)
    {
        return spawn({"ip", "netns", "exec", kHostA, "ping", "-i", "0.01", "-W", "1", "-q",
                      "-w", std::to_string(seconds), kIpB},
                     output);
    }

    PingStats stop_ping(pid_t pid, const std::string &output)
    {
        /* SIGINT makes ping print its summary and exit. */
        stop_process(pid, SIGINT);
        std::string out = read_file(braid_.path(output)).value_or("");
        PingStats s = parse_ping(out);
        EXPECT_TRUE(s.parsed) << out;
        return s;
    }

    /* Starts tcpdump on 'dev' for LACP frames ('extra' are more options),
     * bounded to 'seconds', and waits until it listens.  -Z root: tcpdump
     * would otherwise open a file it writes as user tcpdump, who may not
     * enter the sandbox. */
    pid_t start_capture(const std::string &dev, const std::vector<std::string> &extra,
                        int seconds, const std::string &output)
    {
        std::vector<std::string> argv = {"timeout", std::to_string(seconds), "tcpdump", "-Z",
                                         "root", "-n", "-p", "-i", dev};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back("ether proto 0x8809");
        pid_t pid = spawn(argv, output);
        bool listening = false;
        for (int64_t deadline = now_ms() + 5000; pid > 0 && !listening && now_ms() < deadline;) {
            listening = contains(read_file(braid_.path(output)).value_or(""), "listening on");
            if (!listening) {
                pause_ms(20);
            }
        }
        EXPECT_TRUE(listening) << read_file(braid_.path(output)).value_or("");
        return pid;
    }

    /* Runs iperf3 from host A to host B with 8 parallel streams for
     * kIperfSeconds; returns the rate received in Mbit/s, or -1. */
    double iperf();

    /* The cut-and-repair measurement of member link 'i' by 'how'
     * ("carrier" or "nft"). */
    void cut_and_repair(int i, const std::string &how);

    /* Braid with Port lacp 'braid_mode', Open vSwitch with 'ovs_mode', in
     * balance-tcp: both negotiate, and Open vSwitch says so with
     * 'ovs_status'. */
    void one_side_passive(const std::string &braid_mode, const std::string &ovs_mode,
                          const std::string &ovs_status)
    {
        BondSetup s;
        s.braid_lacp = braid_mode;
        s.ovs_lacp = ovs_mode;
        ASSERT_NO_FATAL_FAILURE(negotiate(s, "balance-tcp braid " + braid_mode + ", ovs "
                                                 + ovs_mode));
        EXPECT_EQ(last_ovs_.status, ovs_status) << last_ovs_.text;
        ASSERT_TRUE(ping_ok()) << both_texts();
    }

    Sandbox braid_;             /* Braid and its ovsdb-server. */
    Sandbox ovs_;               /* Open vSwitch and its ovsdb-server. */
    bool braid_started_ = false;
    std::vector<std::string> namespaces_;
    std::vector<std::string> links_;
    bool nft_table_ = false;
    std::vector<pid_t> pids_;   /* Processes started here. */
    std::vector<std::regex> allowed_;
    LacpView last_braid_, last_ovs_;
    int reports_ = 0;
    int iperf_runs_ = 0;
};

double SystemLacp::iperf()
{
    /* "ip netns exec" becomes the server itself, so the pid is the
     * server's.  It serves one test and quits, or quits after 15 s
     * without a client; each run has a port of its own. */
    const std::string port = std::to_string(5301 + iperf_runs_++);
    pid_t server = spawn({"ip", "netns", "exec", kHostB, "iperf3", "-s", "-1", "--idle-timeout",
                          "15", "-B", kIpB, "-p", port},
                         "iperf3-server.log");
    if (server <= 0) {
        return -1;
    }
    /* The client fails at once while the server is not yet listening:
     * try again, a bounded number of times. */
    const std::vector<std::string> client = {
        "ip", "netns", "exec", kHostA, "timeout", "20", "iperf3", "-c", kIpB, "-p", port, "-t",
        std::to_string(kIperfSeconds), "-P", "8", "-J", "--connect-timeout", "2000"};
    RunResult r;
    for (int attempt = 0; attempt < 50; attempt++) {
        r = run_here(client, 30000);
        if (!contains(r.out, "Connection refused")) {
            break;
        }
        pause_ms(100);
    }
    stop_process(server, SIGTERM);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("end") || !j["end"].contains("sum_received")
        || !j["end"]["sum_received"]["bits_per_second"].is_number()) {
        ADD_FAILURE() << "iperf3 printed no result: " << r.out << r.err;
        return -1;
    }
    return j["end"]["sum_received"]["bits_per_second"].get<double>() / 1e6;
}

/* 1: balance-tcp, both sides active with fast timeouts, negotiates; TCP
 * with 8 streams uses both members in both directions. */
TEST_F(SystemLacp, BalanceTcpNegotiatesWithOvsAndUsesBothMembers)
{
    ASSERT_NO_FATAL_FAILURE(negotiate({}, "balance-tcp active/active fast"));
    for (int i = 0; i < 2; i++) {
        EXPECT_EQ(last_braid_.members[kBraidMembers[i]].rx, "current") << last_braid_.text;
        EXPECT_EQ(last_ovs_.members[kOvsMembers[i]].rx, "current") << last_ovs_.text;
    }
    ASSERT_TRUE(ping_ok()) << both_texts();
    expect_clean_ping(20, "host A to host B");

    /* Eight streams hash to one member with a chance of 1 in 128 (per
     * direction); a second run with new source ports makes that 1 in
     * 16384. */
    long tx[2] = {0, 0}, rx[2] = {0, 0};
    double mbps = -1;
    for (int run = 0; run < 2; run++) {
        long tx0[2], rx0[2];
        for (int i = 0; i < 2; i++) {
            tx0[i] = dev_counter(kBraidMembers[i], "tx_packets");
            rx0[i] = dev_counter(kBraidMembers[i], "rx_packets");
        }
        mbps = iperf();
        for (int i = 0; i < 2; i++) {
            tx[i] = dev_counter(kBraidMembers[i], "tx_packets") - tx0[i];
            rx[i] = dev_counter(kBraidMembers[i], "rx_packets") - rx0[i];
        }
        if (mbps < 0 || std::min({tx[0], tx[1], rx[0], rx[1]}) >= 1000) {
            break;
        }
    }
    report(fmt::format("iperf3 -P 8 host A to host B: {:.0f} Mbit/s; Braid sent {} + {}, "
                       "received {} + {} frames on bm0 + bm1",
                       mbps, tx[0], tx[1], rx[0], rx[1]));
    EXPECT_GT(mbps, 0);
    /* Data from host A leaves Braid on both members; the acknowledgements
     * that Open vSwitch spreads come in on both. */
    EXPECT_GE(tx[0], 1000);
    EXPECT_GE(tx[1], 1000);
    EXPECT_GE(rx[0], 1000);
    EXPECT_GE(rx[1], 1000);
    /* Still both attached (a first reading is all it takes). */
    Times t = wait_attached(now_ms(), 1000);
    EXPECT_GE(t.braid, 0) << both_texts();
    EXPECT_GE(t.ovs, 0) << both_texts();
    expect_clean_lacp_stats();
}

/* 2: active-backup with LACP. */
TEST_F(SystemLacp, ActiveBackupWithLacpNegotiates)
{
    BondSetup s;
    s.mode = "active-backup";
    ASSERT_NO_FATAL_FAILURE(negotiate(s, "active-backup active/active fast"));
    ASSERT_TRUE(ping_ok()) << both_texts();
    expect_clean_ping(20, "host A to host B over active-backup");
    RunResult show = braid_.appctl({"bond/show", kBraidBond});
    EXPECT_TRUE(
        std::regex_search(show.out, std::regex(R"(active member mac: [0-9a-f:]+\(bm[01]\))")))
        << show.out;
}

/* 3: one side active, the other passive, both ways. */
TEST_F(SystemLacp, BraidActiveOvsPassiveNegotiates)
{
    one_side_passive("active", "passive", "passive negotiated");
}

TEST_F(SystemLacp, BraidPassiveOvsActiveNegotiates)
{
    one_side_passive("passive", "active", "active negotiated");
}

void SystemLacp::cut_and_repair(int i, const std::string &how)
{
    const std::string bm = kBraidMembers[i], om = kOvsMembers[i];
    const std::string ping_out = "ping-" + how + ".out";
    pid_t ping = start_ping(40, ping_out);
    ASSERT_GT(ping, 0);
    pause_ms(500);

    /* The cut. */
    const int64_t cut = now_ms();
    if (how == "carrier") {
        /* Open vSwitch's end goes down: Braid's end loses its carrier. */
        ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "set", om, "down"}));
    } else {
        /* LACPDUs (and markers) leaving either end are dropped; everything
         * else passes and the carrier stays up.  Egress hooks, because a
         * packet socket (both daemons read their ports with one) sees a
         * frame before the ingress hook could drop it. */
        nft_table_ = true;
        const std::string t = std::string("netdev ") + kNftTable;
        for (const std::string &cmd :
             {"add table " + t,
              "add chain " + t + " b { type filter hook egress device " + bm + " priority 0 ; }",
              "add chain " + t + " o { type filter hook egress device " + om + " priority 0 ; }",
              "add rule " + t + " b ether type 0x8809 counter drop",
              "add rule " + t + " o ether type 0x8809 counter drop"}) {
            RunResult r = run_here({"nft", cmd});
            ASSERT_EQ(r.status, 0) << "nft " << cmd << ": " << r.err;
        }
    }
    const Times detach = wait_for([&](const LacpView &v) { return !enabled(v, bm); },
                                  [&](const LacpView &v) { return !enabled(v, om); }, cut, 8000);
    const std::string detached_texts = both_texts();

    Times defaulted;
    if (how == "nft") {
        EXPECT_EQ(read_file("/sys/class/net/" + bm + "/carrier").value_or(""), "1\n");
        EXPECT_EQ(read_file("/sys/class/net/" + om + "/carrier").value_or(""), "1\n");
        /* Both sides give up on the partner (defaulted) 3 s after it
         * expired; the repair comes after that, the longer way back. */
        defaulted = wait_for([&](const LacpView &v) { return rx_state_is(v, bm, "defaulted"); },
                             [&](const LacpView &v) { return rx_state_is(v, om, "defaulted"); },
                             cut, 10000);
    }

    /* Traffic keeps going over the other member. */
    expect_clean_ping(50, "while " + bm + " is cut");

    /* The repair. */
    std::string nft_counters;
    const int64_t repair = now_ms();
    if (how == "carrier") {
        ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "set", om, "up"}));
    } else {
        nft_counters = run_here({"nft", "list", "table", "netdev", kNftTable}).out;
        RunResult r = run_here({"nft", "delete", "table", "netdev", kNftTable});
        EXPECT_EQ(r.status, 0) << r.err;
        nft_table_ = r.status != 0;
    }
    const Times reattach = wait_for([&](const LacpView &v) { return enabled(v, bm); },
                                    [&](const LacpView &v) { return enabled(v, om); }, repair,
                                    10000);
    pause_ms(300);
    const PingStats p = stop_ping(ping, ping_out);

    report(fmt::format("{} cut of {}/{}: braid detach {}, re-attach {}; ovs detach {}, "
                       "re-attach {}{}; ping lost {} of {}",
                       how, bm, om, secs(detach.braid), secs(reattach.braid), secs(detach.ovs),
                       secs(reattach.ovs),
                       how == "nft" ? fmt::format(" (defaulted: braid {}, ovs {}, repaired at {})",
                                                  secs(defaulted.braid), secs(defaulted.ovs),
                                                  secs(repair - cut))
                                    : std::string(),
                       p.lost(), p.transmitted));

    ASSERT_GE(detach.braid, 0) << "Braid kept " << bm << " enabled\n" << detached_texts;
    EXPECT_GE(detach.ovs, 0) << "Open vSwitch kept " << om << " enabled\n" << detached_texts;
    if (how == "carrier") {
        /* The liveness thread hears of the carrier at once. */
        EXPECT_LE(detach.braid, 1000) << detached_texts;
    } else {
        /* Three fast periods without a LACPDU. */
        EXPECT_LE(detach.braid, 4000) << detached_texts;
        EXPECT_GE(defaulted.braid, 0) << detached_texts;
        /* Both directions were cut, by the counters. */
        std::smatch m;
        std::string rest = nft_counters;
        int hit = 0;
        while (std::regex_search(rest, m, std::regex(R"(counter packets (\d+))"))) {
            hit += std::stoi(m[1]) > 0;
            rest = m.suffix();
        }
        EXPECT_EQ(hit, 2) << nft_counters;
    }
    EXPECT_GE(reattach.braid, 0) << "Braid did not take " << bm << " back\n" << both_texts();
    EXPECT_GE(reattach.ovs, 0) << "Open vSwitch did not take " << om << " back\n"
                               << both_texts();
    /* A fast partner sends within 1 s, then the 2 s aggregate wait. */
    EXPECT_LE(reattach.braid, 3500) << both_texts();
    /* Pings on the cut link are lost only while the two sides disagree
     * about it: for a carrier loss a moment, for the nft cut up to the
     * time between the two sides' timeouts, which run from the last
     * LACPDU each received and so end up to one period (1 s) apart; no
     * LACPDU can tell the other side in between.  A ping every 10 ms. */
    EXPECT_LE(p.lost(), how == "carrier" ? 20 : 130)
        << read_file(braid_.path(ping_out)).value_or("");
    EXPECT_FALSE(p.duplicates);
}

/* 4: a member link cut and repaired, by carrier loss and by dropping
 * LACPDUs with the carrier up; each side's times to detach and re-attach. */
TEST_F(SystemLacp, MemberCutAndRepairedBothWays)
{
    /* Braid's LACPDUs that the nft rule drops on their way out fail to
     * send (and so would one sent as the carrier goes). */
    allowed_.emplace_back(R"(\|WARN\|bond bond0: member bm[01]: could not send a LACP frame)");
    ASSERT_NO_FATAL_FAILURE(negotiate({}, "balance-tcp active/active fast"));
    ASSERT_TRUE(ping_ok()) << both_texts();
    ASSERT_NO_FATAL_FAILURE(cut_and_repair(0, "carrier"));
    /* Everything attached again before the second cut. */
    Times t = wait_attached(now_ms(), 10000);
    ASSERT_GE(t.braid, 0) << both_texts();
    ASSERT_GE(t.ovs, 0) << both_texts();
    ASSERT_NO_FATAL_FAILURE(cut_and_repair(1, "nft"));
    expect_clean_lacp_stats();
}

/* 5: the LACPDUs on a member link during negotiation, decoded by
 * Wireshark's dissector: Braid's are there and none is malformed. */
TEST_F(SystemLacp, LacpdusDecodeCleanlyInTshark)
{
    if (access(kTshark, X_OK) != 0) {
        GTEST_SKIP() << kTshark << " is not installed";
    }
    BondSetup s;
    ASSERT_NO_FATAL_FAILURE(make_topology());
    ASSERT_NO_FATAL_FAILURE(add_braid_bridge(s));
    const std::string pcap = braid_.path("negotiation.pcap");
    pid_t tcpdump = start_capture(kBraidMembers[0], {"-U", "-w", pcap}, 30,
                                  "tcpdump-negotiation.out");
    ASSERT_GT(tcpdump, 0);
    const int64_t start = now_ms();
    ASSERT_NO_FATAL_FAILURE(add_ovs_bridge(s));
    Times t = wait_attached(start, 20000);
    ASSERT_GE(t.braid, 0) << both_texts();
    ASSERT_GE(t.ovs, 0) << both_texts();
    const std::string braid_sys = last_braid_.sys_id, ovs_sys = last_ovs_.sys_id;
    /* A few more PDUs with the negotiated state. */
    pause_ms(2200);
    stop_process(tcpdump, SIGTERM);

    auto tshark = [&](const std::vector<std::string> &args) {
        std::vector<std::string> argv = {kTshark, "-n", "-r", pcap};
        argv.insert(argv.end(), args.begin(), args.end());
        RunResult r = run_here(argv, 30000);
        EXPECT_EQ(r.status, 0) << r.err;
        return r.out;
    };
    const std::string all = tshark({});
    const std::string malformed = tshark({"-Y", "_ws.malformed"});
    const std::string bad_tlvs = tshark({"-Y", "lacp.wrong_tlv_type || lacp.wrong_tlv_length"});
    /* Braid's PDUs: time (from the first frame), actor state flags,
     * partner system, actor port. */
    const std::string braid_pdus = tshark(
        {"-Y", "lacp.actor.sysid == " + braid_sys, "-T", "fields", "-e", "frame.time_relative",
         "-e", "lacp.actor.state_str", "-e", "lacp.partner.sysid", "-e", "lacp.actor.port"});
    const std::string ovs_pdus = tshark({"-Y", "lacp.actor.sysid == " + ovs_sys});
    auto lines = [](const std::string &text) { return std::count(text.begin(), text.end(), '\n'); };
    report(fmt::format("tshark on bm0: {} slow-protocol frames, {} LACPDUs from Braid ({}), {} "
                       "from Open vSwitch ({}), {} malformed, {} with bad TLVs",
                       lines(all), lines(braid_pdus), braid_sys, lines(ovs_pdus), ovs_sys,
                       lines(malformed), lines(bad_tlvs)));
    EXPECT_GE(lines(braid_pdus), 2) << all;
    EXPECT_GE(lines(ovs_pdus), 1) << all;
    EXPECT_EQ(malformed, "");
    EXPECT_EQ(bad_tlvs, "");
    /* The last of Braid's PDUs names Open vSwitch as its partner and says
     * it is in sync, collecting and distributing, not expired or
     * defaulted.  tshark's short form of the state lists the bits from
     * the highest, '*' for one not set: Expired, Defaulted, Distributing,
     * Collecting, Synchronization, aGgregation, Short timeout, Activity. */
    std::string last = braid_pdus.substr(0, braid_pdus.size() - 1);
    last = last.substr(last.rfind('\n') + 1);
    EXPECT_TRUE(contains(last, ovs_sys)) << braid_pdus;
    EXPECT_TRUE(contains(last, "\t**DCSGSA\t")) << braid_pdus;
    std::printf("%s", braid_pdus.c_str());
}

/* 6: Braid's LACPDUs keep their 1 s period while its main thread is
 * blocked for 5 s: they come from the liveness thread.  Open vSwitch's
 * side stays negotiated throughout. */
TEST_F(SystemLacp, LacpdusOnTimeWhileMainThreadIsBlocked)
{
    ASSERT_NO_FATAL_FAILURE(negotiate({}, "balance-tcp active/active fast"));
    /* Braid's transmissions on bm0, as text with epoch times. */
    const std::string output = "tcpdump-blocked.out";
    pid_t tcpdump = start_capture(kBraidMembers[0], {"-l", "-tt", "-Q", "out"}, 30, output);
    ASSERT_GT(tcpdump, 0);
    pause_ms(1500);

    const double block_start = wall_seconds();
    const int64_t start = now_ms();
    pid_t blocker = spawn({"ovs-appctl", "--timeout=20", "debug/block-main-thread", "5000"},
                          "block.out");
    ASSERT_GT(blocker, 0);
    /* Open vSwitch's view while Braid's main thread sleeps. */
    int polls = 0, bad = 0;
    std::string bad_text;
    bool ended;
    while (!(ended = wait_exit(blocker, 200)) && now_ms() - start < 15000) {
        LacpView v = ovs_lacp();
        polls++;
        if (!all_enabled(v, kOvsMembers) || !rx_state_is(v, kOvsMembers[0], "current")
            || !rx_state_is(v, kOvsMembers[1], "current")) {
            bad++;
            bad_text = v.text;
        }
    }
    const double block_end = wall_seconds();
    ASSERT_TRUE(ended || wait_exit(blocker, 5000)) << "debug/block-main-thread did not end";
    forget(blocker);
    EXPECT_GE(block_end - block_start, 4.9) << "the main thread was not blocked for 5 s";
    const std::string said = read_file(braid_.path("block.out")).value_or("");
    EXPECT_TRUE(contains(said, "blocked for 5000 ms")) << said;
    pause_ms(1200);
    stop_process(tcpdump, SIGTERM);

    /* "EPOCH.USEC IP ..." lines, one per frame Braid sent on bm0. */
    std::vector<double> times;
    std::istringstream in(read_file(braid_.path(output)).value_or(""));
    for (std::string line; std::getline(in, line);) {
        char *end = nullptr;
        double when = std::strtod(line.c_str(), &end);
        if (end != line.c_str() && when > 1e9) {
            times.push_back(when);
        }
    }
    /* The largest gap between consecutive PDUs that overlaps the blocked
     * window. */
    double max_gap = 0;
    int inside = 0;
    for (size_t k = 0; k < times.size(); k++) {
        inside += times[k] >= block_start && times[k] <= block_end;
        if (k > 0 && times[k] >= block_start && times[k - 1] <= block_end) {
            max_gap = std::max(max_gap, times[k] - times[k - 1]);
        }
    }
    report(fmt::format("main thread blocked {:.1f} s: {} PDUs from Braid on bm0 in it, largest "
                       "gap {:.2f} s; ovs lacp/show not negotiated/current in {} of {} reads",
                       block_end - block_start, inside, max_gap, bad, polls));
    EXPECT_GE(inside, 4) << read_file(braid_.path(output)).value_or("");
    EXPECT_LE(max_gap, 1.5) << read_file(braid_.path(output)).value_or("");
    EXPECT_GE(polls, 10);
    EXPECT_EQ(bad, 0) << bad_text;
    /* Braid answers again, still negotiated. */
    Times t = wait_attached(now_ms(), 2000);
    EXPECT_GE(t.braid, 0) << both_texts();
    expect_clean_lacp_stats();
}

}  // namespace
}  // namespace braid::test
