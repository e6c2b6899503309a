/* System tests of LACP between Braid and the real Open vSwitch: one
 * bridge whose 2-member LACP bond is wired, member to member, to the
 * 2-member LACP bond of another bridge, each bridge with a test host
 * behind it.  By default side A is Braid and side B is Open vSwitch
 * (userspace datapath); one test also pairs Open vSwitch with itself and
 * Braid with itself.
 *
 *   namespace "lacp-ha"            side A                side B          namespace "lacp-hb"
 *   eth0 10.0.9.1/24 -- ba [br0 Braid] bond0 = bm0 --- om0 = bond1 [br1 OVS] oa -- eth0
 *                                              bm1 --- om1                   10.0.9.2/24
 *
 * Each daemon has a sandbox of its own (tests/sandbox.h: its own
 * ovsdb-server, database, run directory and control sockets), and both run
 * in the test's private network namespace (tests/system-main.cc), where
 * their ports are: a netdev port is opened in the namespace of the daemon.
 * Side B can instead run, with its ports, in a namespace of its own
 * ("lacp-sb"): two userspace ovs-vswitchd cannot share one, because each
 * makes a tap device named "ovs-netdev" for its datapath.
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
#include <memory>
#include <set>
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

/* The two sides, as indexes into the arrays below. */
enum Side { kA = 0, kB = 1 };

/* What runs on a side. */
enum class Daemon { kBraid, kOvs };

/* The names of one side: its test host (a namespace) and the host's
 * address, its bridge, bond, access port (to the host) and members, and
 * the bridge address set where a test fixes one.  Member i of side A is
 * wired to member i of side B. */
struct SideNames {
    const char *host;
    const char *ip;
    const char *bridge;
    const char *bond;
    const char *access;
    const char *members[2];
    const char *hwaddr;
};

const SideNames kSides[2] = {
    {"lacp-ha", "10.0.9.1", "br0", "bond0", "ba", {"bm0", "bm1"}, "02:00:00:0a:09:01"},
    {"lacp-hb", "10.0.9.2", "br1", "bond1", "oa", {"om0", "om1"}, "02:00:00:0a:09:02"},
};

/* The namespace side B runs in when a test gives it one of its own. */
const char kSideNetns[] = "lacp-sb";

/* The nft table (family netdev, in each namespace that holds a cut
 * member) that cuts LACP on a member link. */
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

/* A duration in ms as "1.2 s", or "> 'limit_ms'" for a negative one: the
 * wait for it ended after 'limit_ms' without it. */
std::string secs_within(int64_t ms, int64_t limit_ms)
{
    return ms < 0 ? "> " + secs(limit_ms) : secs(ms);
}

/* The number of counters in an "nft list table" text that counted a
 * packet. */
int nft_counters_hit(const std::string &listing)
{
    static const std::regex re(R"(counter packets (\d+))");
    int hit = 0;
    for (auto it = std::sregex_iterator(listing.begin(), listing.end(), re);
         it != std::sregex_iterator(); ++it) {
        hit += std::stol((*it)[1]) > 0;
    }
    return hit;
}

/* When each side first met a condition, ms after the start of the wait, or
 * -1 if it did not in time; indexed by Side. */
struct Times {
    int64_t at[2] = {-1, -1};
};

/* How the two bonds are set up. */
struct BondSetup {
    std::string mode = "balance-tcp";
    std::string lacp[2] = {"active", "active"};     /* Per side. */
};

/* What cut_and_repair() measured. */
struct CutResult {
    Times detach;               /* From the cut. */
    Times defaulted;            /* From the cut (nft cuts only). */
    Times reattach;             /* From the repair. */
    int64_t repaired_at = -1;   /* ms after the cut. */
    PingStats ping;             /* Host A to host B, 10 ms apart, throughout. */
    std::string detached_texts; /* Both lacp/show texts right after the detach. */
    std::string nft_counters;   /* The nft tables as listed before the repair. */

    /* The pings an nft cut may cost.  Pings on the cut link are lost only
     * while the two sides disagree about it: between their detach times,
     * which run from the last LACPDU each received and so end up to one
     * period (1 s) apart, or more when a LACPDU left late, and between
     * their re-attach times; no LACPDU can tell the other side in
     * between.  One ping every 10 ms, and 300 ms more for the polls that
     * measured the times. */
    long nft_loss_allowed() const
    {
        if (detach.at[0] < 0 || detach.at[1] < 0 || reattach.at[0] < 0 || reattach.at[1] < 0) {
            return 0;
        }
        int64_t disagree = std::abs(detach.at[0] - detach.at[1])
                           + std::abs(reattach.at[0] - reattach.at[1]);
        return long((disagree + 300) / 10);
    }
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
        allowed_.emplace_back(R"(\|WARN\|(bm|om)[01]: dropped \d+ of \d+ frames on transmit)");
    }

    void TearDown() override
    {
        clean_up();
    }

    /* Stops everything the test started and removes everything it made;
     * first, if the current setup failed, prints both sides' state, and
     * checks the logs of the Braid daemons. */
    void clean_up()
    {
        for (pid_t pid : std::vector<pid_t>(pids_)) {
            stop_process(pid, SIGTERM);
        }
        if (failure_count() > failures_before_ && sb_[kA] && sb_[kB]) {
            dump_state();
        }
        failures_before_ = failure_count();
        for (int s : {kA, kB}) {
            if (started_[s] && daemon_[s] == Daemon::kBraid) {
                EXPECT_EQ(sb(s).unexpected_log_lines(allowed_), "") << who(s);
            }
            started_[s] = false;
        }
        /* The daemons go first, so that no process holds a namespace
         * that is deleted below. */
        for (std::unique_ptr<Sandbox> &box : sb_) {
            box.reset();
        }
        for (const std::string &ns : std::set<std::string>(nft_tables_)) {
            run_here(in_ns(ns, {"nft", "delete", "table", "netdev", kNftTable}));
        }
        nft_tables_.clear();
        for (const std::string &ns : namespaces_) {
            run_here({"ip", "netns", "del", ns});
        }
        namespaces_.clear();
        for (const std::string &link : links_) {
            run_here({"ip", "link", "del", link});
        }
        links_.clear();
    }

    /* Makes new sandboxes after clean_up() for another setup in the same
     * test, with 'a' on side A and 'b' on side B, side B in a namespace
     * of its own, and fixed bridge addresses. */
    void new_setup(Daemon a, Daemon b)
    {
        for (std::unique_ptr<Sandbox> &box : sb_) {
            if (!box) {
                box = std::make_unique<Sandbox>();
            }
        }
        daemon_[kA] = a;
        daemon_[kB] = b;
        netns_[kB] = kSideNetns;
        fixed_hwaddr_ = true;
        failures_before_ = failure_count();
        last_[kA] = last_[kB] = LacpView();
    }

    /* The number of failures the test has had so far. */
    static int failure_count()
    {
        const ::testing::TestResult *result =
            ::testing::UnitTest::GetInstance()->current_test_info()->result();
        int n = 0;
        for (int k = 0; k < result->total_part_count(); k++) {
            n += result->GetTestPartResult(k).failed();
        }
        return n;
    }

    Sandbox &sb(int s) const
    {
        return *sb_[s];
    }

    /* The name of side 's' in messages: "Braid" or "Open vSwitch", and
     * the side's letter if both sides run the same daemon. */
    std::string who(int s) const
    {
        return std::string(daemon_[s] == Daemon::kBraid ? "Braid" : "Open vSwitch")
               + (daemon_[kA] == daemon_[kB] ? (s == kA ? " A" : " B") : "");
    }

    /* The same on "lacp-interop:" lines: "braid", "ovs", "braid A", ... */
    std::string tag(int s) const
    {
        return std::string(daemon_[s] == Daemon::kBraid ? "braid" : "ovs")
               + (daemon_[kA] == daemon_[kB] ? (s == kA ? " A" : " B") : "");
    }

    /* For the diagnosis of a failure: both sides' LACP and their logs'
     * LACP and bond lines. */
    void dump_state()
    {
        for (int s : {kA, kB}) {
            std::printf("---- %s lacp/show ----\n%s", who(s).c_str(),
                        sb(s).appctl({"lacp/show"}).out.c_str());
        }
        for (int s : {kA, kB}) {
            std::printf("---- %s log (LACP and bond lines) ----\n", who(s).c_str());
            std::istringstream log(sb(s).vswitchd_log());
            for (std::string line; std::getline(log, line);) {
                if (contains(line, "lacp") || contains(line, "bond") || contains(line, "|WARN|")
                    || contains(line, "|ERR|")) {
                    std::printf("%s\n", line.c_str());
                }
            }
        }
        std::fflush(stdout);
    }

    /* 'argv' to run in namespace 'ns' ("" for the test's own). */
    static std::vector<std::string> in_ns(const std::string &ns, std::vector<std::string> argv)
    {
        if (!ns.empty()) {
            argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
        }
        return argv;
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

    /* The text of /sys/class/net/'dev'/'what' in the namespace of side
     * 's', or "". */
    std::string sys_net(int s, const std::string &dev, const std::string &what) const
    {
        const std::string path = "/sys/class/net/" + dev + "/" + what;
        if (netns_[s].empty()) {
            return read_file(path).value_or("");
        }
        RunResult r = run_here(in_ns(netns_[s], {"cat", path}));
        return r.status == 0 ? r.out : "";
    }

    /* The frames counted by the kernel on device 'dev' of side 's'
     * ('what' is "tx_packets" or "rx_packets"), or -1. */
    long dev_counter(int s, const std::string &dev, const std::string &what) const
    {
        const std::string n = sys_net(s, dev, "statistics/" + what);
        return n.empty() ? -1 : std::atol(n.c_str());
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

    /* Starts 'argv' in the background (output to 'output' in side A's
     * sandbox, in its environment) and remembers it for TearDown. */
    pid_t spawn(const std::vector<std::string> &argv, const std::string &output)
    {
        pid_t pid = sb(kA).spawn(argv, output);
        EXPECT_GT(pid, 0) << argv[0];
        if (pid > 0) {
            pids_.push_back(pid);
        }
        return pid;
    }

    /* The daemon of side 's', in its sandbox and namespace. */
    void start_daemon(int s)
    {
        Sandbox &box = sb(s);
        if (netns_[s].empty()) {
            if (daemon_[s] == Daemon::kBraid) {
                ASSERT_TRUE(box.start()) << box.last_error();
            } else {
                RunResult r = start_ovs_vswitchd(box);
                ASSERT_EQ(r.status, 0) << r.out << r.err;
            }
        } else {
            /* braid-ctl starts ovsdb-server and the daemon, which stay
             * in the namespace; the sandbox's destructor stops them
             * through their pidfiles like any others. */
            std::vector<std::string> argv = {builddir() + "/utilities/braid-ctl",
                                             "--sandbox=" + box.dir()};
            if (daemon_[s] == Daemon::kOvs) {
                /* As start_ovs_vswitchd() does. */
                argv.insert(argv.end(), {std::string("--vswitchd=") + kOvsVswitchd,
                                         "--vswitchd-opt=--disable-system",
                                         "--vswitchd-opt=--disable-system-route"});
            }
            argv.push_back("start");
            RunResult r = box.run(in_ns(netns_[s], argv));
            ASSERT_EQ(r.status, 0) << r.out << r.err;
        }
        started_[s] = true;
    }

    /* Test host 'ns' at 'ip' wired to 'port' of side 's'.  The host's
     * transmit offloads are off, as Open vSwitch's own userspace tests do:
     * the userspace datapath of Open vSwitch 3.1 reads its ports without
     * the virtio-net header, so a TSO frame or a frame with its checksum
     * left to the device would reach it as it is and be dropped or
     * forwarded broken. */
    void add_host(int s)
    {
        const std::string ns = kSides[s].host, ip = kSides[s].ip, port = kSides[s].access;
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
        ASSERT_NO_FATAL_FAILURE(to_side(s, port));
    }

    /* Moves device 'dev' (made in the test namespace) to side 's' and sets
     * it up there. */
    void to_side(int s, const std::string &dev)
    {
        if (!netns_[s].empty()) {
            ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "set", dev, "netns", netns_[s]}));
        }
        ASSERT_NO_FATAL_FAILURE(sh(in_ns(netns_[s], {"ip", "link", "set", dev, "up"})));
    }

    /* Both daemons, both hosts and the member links, without bridges. */
    void make_topology()
    {
        for (int s : {kA, kB}) {
            if (!netns_[s].empty()) {
                ASSERT_NO_FATAL_FAILURE(sh({"ip", "netns", "add", netns_[s]}));
                namespaces_.push_back(netns_[s]);
            }
        }
        ASSERT_NO_FATAL_FAILURE(start_daemon(kA));
        ASSERT_NO_FATAL_FAILURE(start_daemon(kB));
        ASSERT_NO_FATAL_FAILURE(add_host(kA));
        ASSERT_NO_FATAL_FAILURE(add_host(kB));
        for (int i = 0; i < 2; i++) {
            ASSERT_NO_FATAL_FAILURE(sh({"ip", "link", "add", kSides[kA].members[i], "type",
                                        "veth", "peer", "name", kSides[kB].members[i]}));
            links_.push_back(kSides[kA].members[i]);
            ASSERT_NO_FATAL_FAILURE(to_side(kA, kSides[kA].members[i]));
            ASSERT_NO_FATAL_FAILURE(to_side(kB, kSides[kB].members[i]));
        }
    }

    /* The ovs-vsctl arguments that make side 's''s bridge (userspace
     * datapath) with its access port and its LACP bond over its members. */
    std::vector<std::string> bridge_args(int s, const std::string &mode,
                                         const std::string &lacp) const
    {
        const SideNames &n = kSides[s];
        std::vector<std::string> args = {"add-br", n.bridge, "--", "set", "Bridge", n.bridge,
                                         "datapath_type=netdev"};
        if (fixed_hwaddr_) {
            args.push_back(std::string("other_config:hwaddr=") + n.hwaddr);
        }
        args.insert(args.end(), {"--", "add-port", n.bridge, n.access, "--", "add-bond",
                                 n.bridge, n.bond, n.members[0], n.members[1],
                                 "bond_mode=" + mode, "lacp=" + lacp,
                                 "other_config:lacp-time=fast"});
        return args;
    }

    static void vsctl(const Sandbox &box, const std::vector<std::string> &args)
    {
        RunResult r = box.vsctl(args);
        ASSERT_EQ(r.status, 0) << "ovs-vsctl: " << r.out << r.err;
    }

    void add_bridge(int s, const BondSetup &setup)
    {
        vsctl(sb(s), bridge_args(s, setup.mode, setup.lacp[s]));
    }

    /* Side 's''s lacp/show of its bond. */
    LacpView lacp(int s) const
    {
        return parse_lacp_show(sb(s).appctl({"lacp/show", kSides[s].bond}).out);
    }

    /* Reads both sides' lacp/show every kPollMs until each has met 'done'
     * (called with the side and its view) once, or until 'timeout_ms'
     * after 'since' (now_ms()).  The last texts read stay in last_. */
    Times wait_for(const std::function<bool(int, const LacpView &)> &done, int64_t since,
                   int timeout_ms)
    {
        Times t;
        for (;;) {
            for (int s : {kA, kB}) {
                if (t.at[s] < 0 && done(s, last_[s] = lacp(s))) {
                    t.at[s] = now_ms() - since;
                }
            }
            if ((t.at[kA] >= 0 && t.at[kB] >= 0) || now_ms() - since >= timeout_ms) {
                return t;
            }
            pause_ms(kPollMs);
        }
    }

    /* Waits (up to 'timeout_ms') for both bonds to negotiate with both
     * members enabled on each side. */
    Times wait_attached(int64_t since, int timeout_ms)
    {
        return wait_for(
            [](int s, const LacpView &v) { return all_enabled(v, kSides[s].members); }, since,
            timeout_ms);
    }

    /* Both sides' lacp/show, for failure messages. */
    std::string both_texts() const
    {
        return who(kA) + ":\n" + last_[kA].text + who(kB) + ":\n" + last_[kB].text;
    }

    /* Each side received LACPDUs on both members, none of them bad, and
     * Open vSwitch logged no complaint about LACP. */
    void expect_clean_lacp_stats()
    {
        for (int s : {kA, kB}) {
            RunResult r = sb(s).appctl({"lacp/show-stats", kSides[s].bond});
            std::vector<long> good, bad;
            pdu_counts(r.out, &good, &bad);
            EXPECT_EQ(good.size(), 2u) << who(s) << ":\n" << r.out << r.err;
            EXPECT_EQ(bad, std::vector<long>(good.size(), 0)) << who(s) << ":\n" << r.out;
            for (long n : good) {
                EXPECT_GT(n, 0) << who(s) << ":\n" << r.out;
            }
        }
        for (int s : {kA, kB}) {
            if (daemon_[s] != Daemon::kOvs) {
                continue;
            }
            std::istringstream log(sb(s).vswitchd_log());
            for (std::string line; std::getline(log, line);) {
                EXPECT_FALSE(contains(line, "|lacp|WARN|") || contains(line, "|lacp|ERR|"))
                    << who(s) << ": " << line;
            }
        }
    }

    /* Makes the topology with both bridges, side A's first, waits for the
     * bonds to negotiate and, unless 'label' is empty, reports the attach
     * time: from the start of side B's add-bond to both sides attached.
     * The times stay in attach_. */
    void negotiate(const BondSetup &s, const std::string &label)
    {
        ASSERT_NO_FATAL_FAILURE(make_topology());
        ASSERT_NO_FATAL_FAILURE(add_bridge(kA, s));
        const int64_t start = now_ms();
        ASSERT_NO_FATAL_FAILURE(add_bridge(kB, s));
        Times t = attach_ = wait_attached(start, 20000);
        if (!label.empty()) {
            report(fmt::format("{}: attach {} ({} {}, {} {}) from add-bond on the second side",
                               label, secs(std::max(t.at[kA], t.at[kB])), tag(kA),
                               secs(t.at[kA]), tag(kB), secs(t.at[kB])));
        }
        for (int side : {kA, kB}) {
            ASSERT_GE(t.at[side], 0) << who(side) << " did not negotiate\n" << both_texts();
        }
        EXPECT_EQ(last_[kA].status, s.lacp[kA] + " negotiated") << last_[kA].text;
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
            if (run_here({"ip", "netns", "exec", kSides[kA].host, "ping", "-c", "1", "-W", "1",
                          "-q", kSides[kB].ip},
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
        RunResult r = run_here({"ip", "netns", "exec", kSides[kA].host, "ping", "-c",
                                std::to_string(count), "-i", "0.01", "-W", "1", kSides[kB].ip},
                               20000);
        PingStats s = parse_ping(r.out);
        EXPECT_EQ(s.received, count) << what << ": " << r.out << r.err;
        EXPECT_FALSE(s.duplicates) << what << ": " << r.out;
    }

    /* Starts pings from host A to host B every 10 ms for at most 'seconds'
     * s, output to 'output'; stop_ping() ends them and returns the count. */
    pid_t start_ping(int seconds, const std::string &output)
    {
        return spawn({"ip", "netns", "exec", kSides[kA].host, "ping", "-i", "0.01", "-W", "1",
                      "-q", "-w", std::to_string(seconds), kSides[kB].ip},
                     output);
    }

    PingStats stop_ping(pid_t pid, const std::string &output)
    {
        /* SIGINT makes ping print its summary and exit. */
        stop_process(pid, SIGINT);
        std::string out = read_file(sb(kA).path(output)).value_or("");
        PingStats s = parse_ping(out);
        EXPECT_TRUE(s.parsed) << out;
        return s;
    }

    /* Starts tcpdump on 'dev' (in the test namespace) for LACP frames
     * ('extra' are more options), bounded to 'seconds', and waits until
     * it listens.  -Z root: tcpdump would otherwise open a file it writes
     * as user tcpdump, who may not enter the sandbox. */
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
            listening = contains(read_file(sb(kA).path(output)).value_or(""), "listening on");
            if (!listening) {
                pause_ms(20);
            }
        }
        EXPECT_TRUE(listening) << read_file(sb(kA).path(output)).value_or("");
        return pid;
    }

    /* Runs iperf3 from host A to host B with 8 parallel streams for
     * kIperfSeconds; returns the rate received in Mbit/s, or -1. */
    double iperf();

    /* Drops LACPDUs (and markers) leaving either end of member link 'i',
     * with an nft table in each namespace that holds an end. */
    void add_nft_cut(int i);

    /* Cuts member link 'i' by 'how' ("carrier" or "nft"), with pings from
     * host A to host B running for at most 'ping_seconds', waits for both
     * sides to detach it (and, for "nft", to default), repairs the link
     * and waits up to 'reattach_ms' for both to take it back. */
    void cut_and_repair(int i, const std::string &how, int ping_seconds, int reattach_ms,
                        CutResult *result);

    /* The cut and repair of member link 'i' between Braid (side A) and
     * Open vSwitch (side B): reports and checks Braid's times. */
    void cut_and_repair_braid_ovs(int i, const std::string &how);

    /* With 'a' on side A and 'b' on side B, in balance-tcp, both active
     * and fast: the nft cut and repair of member link 1, reported on one
     * line with both sides' times; Braid's are checked. */
    void nft_cut_of_pairing(Daemon a, Daemon b);

    /* Side A with Port lacp 'a_mode', side B with 'b_mode', in
     * balance-tcp: both negotiate, and side B says so with 'b_status'. */
    void one_side_passive(const std::string &a_mode, const std::string &b_mode,
                          const std::string &b_status)
    {
        BondSetup s;
        s.lacp[kA] = a_mode;
        s.lacp[kB] = b_mode;
        ASSERT_NO_FATAL_FAILURE(negotiate(s, "balance-tcp braid " + a_mode + ", ovs " + b_mode));
        EXPECT_EQ(last_[kB].status, b_status) << last_[kB].text;
        ASSERT_TRUE(ping_ok()) << both_texts();
    }

    /* What runs on each side, and the namespace each side's daemon and
     * ports are in ("" for the test's own). */
    Daemon daemon_[2] = {Daemon::kBraid, Daemon::kOvs};
    std::string netns_[2];
    /* Whether the bridges get the addresses in kSides. */
    bool fixed_hwaddr_ = false;
    /* Each side's daemon and its ovsdb-server. */
    std::unique_ptr<Sandbox> sb_[2] = {std::make_unique<Sandbox>(), std::make_unique<Sandbox>()};
    bool started_[2] = {false, false};
    /* The failures the test had before the current setup began. */
    int failures_before_ = 0;
    std::vector<std::string> namespaces_;
    std::vector<std::string> links_;
    std::set<std::string> nft_tables_;  /* The namespaces that hold kNftTable. */
    std::vector<pid_t> pids_;   /* Processes started here. */
    std::vector<std::regex> allowed_;
    LacpView last_[2];
    Times attach_;
    int reports_ = 0;
    int iperf_runs_ = 0;
};
double SystemLacp::iperf()
{
    /* "ip netns exec" becomes the server itself, so the pid is the
     * server's.  It serves one test and quits, or quits after 15 s
     * without a client; each run has a port of its own. */
    const std::string port = std::to_string(5301 + iperf_runs_++);
    pid_t server = spawn({"ip", "netns", "exec", kSides[kB].host, "iperf3", "-s", "-1",
                          "--idle-timeout", "15", "-B", kSides[kB].ip, "-p", port},
                         "iperf3-server.log");
    if (server <= 0) {
        return -1;
    }
    /* The client fails at once while the server is not yet listening:
     * try again, a bounded number of times. */
    const std::vector<std::string> client = {
        "ip", "netns", "exec", kSides[kA].host, "timeout", "20", "iperf3", "-c", kSides[kB].ip,
        "-p", port, "-t", std::to_string(kIperfSeconds), "-P", "8", "-J", "--connect-timeout",
        "2000"};
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
        EXPECT_EQ(last_[kA].members[kSides[kA].members[i]].rx, "current") << last_[kA].text;
        EXPECT_EQ(last_[kB].members[kSides[kB].members[i]].rx, "current") << last_[kB].text;
    }
    ASSERT_TRUE(ping_ok()) << both_texts();
    expect_clean_ping(20, "host A to host B");

    /* Open vSwitch moves a bucket back to a member that returns only when
     * it rebalances, every 10 s by default: a member of its bond that
     * flaps (as one did once, under load) leaves its buckets on the other
     * member until then.  Here its bond rebalances every second. */
    vsctl(sb(kB), {"set", "Port", kSides[kB].bond, "other_config:bond-rebalance-interval=1000"});

    /* Eight streams hash to one member with a chance of 1 in 128 (per
     * direction); more runs with new source ports make that 1 in 16384
     * and less. */
    long tx[2] = {0, 0}, rx[2] = {0, 0};
    double mbps = -1;
    for (int run = 0; run < 3; run++) {
        long tx0[2], rx0[2];
        for (int i = 0; i < 2; i++) {
            tx0[i] = dev_counter(kA, kSides[kA].members[i], "tx_packets");
            rx0[i] = dev_counter(kA, kSides[kA].members[i], "rx_packets");
        }
        mbps = iperf();
        for (int i = 0; i < 2; i++) {
            tx[i] = dev_counter(kA, kSides[kA].members[i], "tx_packets") - tx0[i];
            rx[i] = dev_counter(kA, kSides[kA].members[i], "rx_packets") - rx0[i];
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
    EXPECT_GE(t.at[kA], 0) << both_texts();
    EXPECT_GE(t.at[kB], 0) << both_texts();
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
    RunResult show = sb(kA).appctl({"bond/show", kSides[kA].bond});
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

void SystemLacp::add_nft_cut(int i)
{
    /* Egress hooks, because a packet socket (both daemons read their
     * ports with one) sees a frame before the ingress hook could drop
     * it. */
    const std::string t = std::string("netdev ") + kNftTable;
    for (int s : {kA, kB}) {
        const std::string &ns = netns_[s];
        const std::string chain = s == kA ? "a" : "b";
        std::vector<std::string> cmds;
        if (nft_tables_.insert(ns).second) {
            cmds.push_back("add table " + t);
        }
        cmds.push_back(fmt::format("add chain {} {} {{ type filter hook egress device {} "
                                   "priority 0 ; }}",
                                   t, chain, kSides[s].members[i]));
        cmds.push_back(fmt::format("add rule {} {} ether type 0x8809 counter drop", t, chain));
        for (const std::string &cmd : cmds) {
            RunResult r = run_here(in_ns(ns, {"nft", cmd}));
            ASSERT_EQ(r.status, 0) << "nft " << cmd << ": " << r.err;
        }
    }
}

void SystemLacp::cut_and_repair(int i, const std::string &how, int ping_seconds,
                                int reattach_ms, CutResult *result)
{
    CutResult &r = *result;
    const std::string am = kSides[kA].members[i], bm = kSides[kB].members[i];
    const std::string ping_out = "ping-" + how + ".out";
    pid_t ping = start_ping(ping_seconds, ping_out);
    ASSERT_GT(ping, 0);
    pause_ms(500);

    /* The cut. */
    const int64_t cut = now_ms();
    if (how == "carrier") {
        /* Side B's end goes down: side A's end loses its carrier. */
        ASSERT_NO_FATAL_FAILURE(sh(in_ns(netns_[kB], {"ip", "link", "set", bm, "down"})));
    } else {
        /* LACPDUs (and markers) leaving either end are dropped; everything
         * else passes and the carrier stays up. */
        ASSERT_NO_FATAL_FAILURE(add_nft_cut(i));
    }
    r.detach = wait_for(
        [&](int s, const LacpView &v) { return !enabled(v, kSides[s].members[i]); }, cut, 8000);
    r.detached_texts = both_texts();

    if (how == "nft") {
        EXPECT_EQ(sys_net(kA, am, "carrier"), "1\n");
        EXPECT_EQ(sys_net(kB, bm, "carrier"), "1\n");
        /* Both sides give up on the partner (defaulted) 3 s after it
         * expired; the repair comes after that, the longer way back. */
        r.defaulted = wait_for(
            [&](int s, const LacpView &v) {
                return rx_state_is(v, kSides[s].members[i], "defaulted");
            },
            cut, 10000);
    }

    /* Traffic keeps going over the other member. */
    expect_clean_ping(50, "while " + am + " is cut");

    /* The repair. */
    const int64_t repair = now_ms();
    r.repaired_at = repair - cut;
    if (how == "carrier") {
        ASSERT_NO_FATAL_FAILURE(sh(in_ns(netns_[kB], {"ip", "link", "set", bm, "up"})));
    } else {
        for (const std::string &ns : std::set<std::string>(nft_tables_)) {
            r.nft_counters +=
                run_here(in_ns(ns, {"nft", "list", "table", "netdev", kNftTable})).out;
            RunResult d = run_here(in_ns(ns, {"nft", "delete", "table", "netdev", kNftTable}));
            EXPECT_EQ(d.status, 0) << d.err;
            if (d.status == 0) {
                nft_tables_.erase(ns);
            }
        }
    }
    r.reattach = wait_for(
        [&](int s, const LacpView &v) { return enabled(v, kSides[s].members[i]); }, repair,
        reattach_ms);
    pause_ms(300);
    r.ping = stop_ping(ping, ping_out);
}

void SystemLacp::cut_and_repair_braid_ovs(int i, const std::string &how)
{
    const std::string bm = kSides[kA].members[i], om = kSides[kB].members[i];
    CutResult r;
    ASSERT_NO_FATAL_FAILURE(cut_and_repair(i, how, 40, 10000, &r));
    const Times &detach = r.detach, &reattach = r.reattach;

    report(fmt::format("{} cut of {}/{}: braid detach {}, re-attach {}; ovs detach {}, "
                       "re-attach {}{}; ping lost {} of {}",
                       how, bm, om, secs(detach.at[kA]), secs(reattach.at[kA]),
                       secs(detach.at[kB]), secs(reattach.at[kB]),
                       how == "nft" ? fmt::format(" (defaulted: braid {}, ovs {}, repaired at {})",
                                                  secs(r.defaulted.at[kA]),
                                                  secs(r.defaulted.at[kB]), secs(r.repaired_at))
                                    : std::string(),
                       r.ping.lost(), r.ping.transmitted));

    ASSERT_GE(detach.at[kA], 0) << "Braid kept " << bm << " enabled\n" << r.detached_texts;
    EXPECT_GE(detach.at[kB], 0) << "Open vSwitch kept " << om << " enabled\n"
                                << r.detached_texts;
    if (how == "carrier") {
        /* The liveness thread hears of the carrier at once. */
        EXPECT_LE(detach.at[kA], 1000) << r.detached_texts;
    } else {
        /* Three fast periods without a LACPDU. */
        EXPECT_LE(detach.at[kA], 4000) << r.detached_texts;
        EXPECT_GE(r.defaulted.at[kA], 0) << r.detached_texts;
        /* Both directions were cut, by the counters. */
        EXPECT_EQ(nft_counters_hit(r.nft_counters), 2) << r.nft_counters;
    }
    EXPECT_GE(reattach.at[kA], 0) << "Braid did not take " << bm << " back\n" << both_texts();
    EXPECT_GE(reattach.at[kB], 0) << "Open vSwitch did not take " << om << " back\n"
                                  << both_texts();
    /* A LACPDU crosses within 1 s (both sides send every second while
     * defaulted), and the member joins the formed aggregator without the
     * aggregate wait; 1 s more for polling and a loaded machine. */
    EXPECT_LE(reattach.at[kA], 2000) << both_texts();
    /* Pings on the cut link are lost only while the two sides disagree
     * about it: for a carrier loss a moment; for the nft cut, see
     * nft_loss_allowed(). */
    EXPECT_LE(r.ping.lost(), how == "carrier" ? 20 : r.nft_loss_allowed())
        << read_file(sb(kA).path("ping-" + how + ".out")).value_or("") << "\n"
        << r.detached_texts;
    EXPECT_FALSE(r.ping.duplicates);
}

/* 4: a member link cut and repaired, by carrier loss and by dropping
 * LACPDUs with the carrier up; each side's times to detach and re-attach. */
TEST_F(SystemLacp, MemberCutAndRepairedBothWays)
{
    ASSERT_NO_FATAL_FAILURE(negotiate({}, "balance-tcp active/active fast"));
    ASSERT_TRUE(ping_ok()) << both_texts();
    ASSERT_NO_FATAL_FAILURE(cut_and_repair_braid_ovs(0, "carrier"));
    /* Everything attached again before the second cut. */
    Times t = wait_attached(now_ms(), 10000);
    ASSERT_GE(t.at[kA], 0) << both_texts();
    ASSERT_GE(t.at[kB], 0) << both_texts();
    ASSERT_NO_FATAL_FAILURE(cut_and_repair_braid_ovs(1, "nft"));
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
    ASSERT_NO_FATAL_FAILURE(add_bridge(kA, s));
    const std::string pcap = sb(kA).path("negotiation.pcap");
    pid_t tcpdump = start_capture(kSides[kA].members[0], {"-U", "-w", pcap}, 30,
                                  "tcpdump-negotiation.out");
    ASSERT_GT(tcpdump, 0);
    const int64_t start = now_ms();
    ASSERT_NO_FATAL_FAILURE(add_bridge(kB, s));
    Times t = wait_attached(start, 20000);
    ASSERT_GE(t.at[kA], 0) << both_texts();
    ASSERT_GE(t.at[kB], 0) << both_texts();
    const std::string braid_sys = last_[kA].sys_id, ovs_sys = last_[kB].sys_id;
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
    pid_t tcpdump = start_capture(kSides[kA].members[0], {"-l", "-tt", "-Q", "out"}, 30, output);
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
        LacpView v = lacp(kB);
        polls++;
        if (!all_enabled(v, kSides[kB].members) || !rx_state_is(v, kSides[kB].members[0], "current")
            || !rx_state_is(v, kSides[kB].members[1], "current")) {
            bad++;
            bad_text = v.text;
        }
    }
    const double block_end = wall_seconds();
    ASSERT_TRUE(ended || wait_exit(blocker, 5000)) << "debug/block-main-thread did not end";
    forget(blocker);
    EXPECT_GE(block_end - block_start, 4.9) << "the main thread was not blocked for 5 s";
    const std::string said = read_file(sb(kA).path("block.out")).value_or("");
    EXPECT_TRUE(contains(said, "blocked for 5000 ms")) << said;
    pause_ms(1200);
    stop_process(tcpdump, SIGTERM);

    /* "EPOCH.USEC IP ..." lines, one per frame Braid sent on bm0. */
    std::vector<double> times;
    std::istringstream in(read_file(sb(kA).path(output)).value_or(""));
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
    EXPECT_GE(inside, 4) << read_file(sb(kA).path(output)).value_or("");
    EXPECT_LE(max_gap, 1.5) << read_file(sb(kA).path(output)).value_or("");
    EXPECT_GE(polls, 10);
    EXPECT_EQ(bad, 0) << bad_text;
    /* Braid answers again, still negotiated. */
    Times t = wait_attached(now_ms(), 2000);
    EXPECT_GE(t.at[kA], 0) << both_texts();
    expect_clean_lacp_stats();
}
void SystemLacp::nft_cut_of_pairing(Daemon a, Daemon b)
{
    new_setup(a, b);
    const std::string pairing = tag(kA).substr(0, tag(kA).find(' ')) + "-"
                                + tag(kB).substr(0, tag(kB).find(' '));
    ASSERT_NO_FATAL_FAILURE(negotiate({}, ""));
    ASSERT_TRUE(ping_ok()) << pairing << "\n" << both_texts();

    /* Long enough for Open vSwitch's way back from defaulted: it then
     * sends every 30 s (the slow period, as it forgot its partner's fast
     * timeout), and a partner that does the same answers only then. */
    constexpr int kReattachMs = 40000, kDetachMs = 8000;
    CutResult r;
    ASSERT_NO_FATAL_FAILURE(cut_and_repair(1, "nft", 60, kReattachMs, &r));
    report(fmt::format("{}, nft cut of {}/{}: {} detach {}, re-attach {}; {} detach {}, "
                       "re-attach {} (attach {}; defaulted: {} {}, {} {}, repaired at {}); "
                       "ping lost {} of {}",
                       pairing, kSides[kA].members[1], kSides[kB].members[1], tag(kA),
                       secs_within(r.detach.at[kA], kDetachMs),
                       secs_within(r.reattach.at[kA], kReattachMs), tag(kB),
                       secs_within(r.detach.at[kB], kDetachMs),
                       secs_within(r.reattach.at[kB], kReattachMs),
                       secs(std::max(attach_.at[kA], attach_.at[kB])), tag(kA),
                       secs(r.defaulted.at[kA]), tag(kB), secs(r.defaulted.at[kB]),
                       secs(r.repaired_at), r.ping.lost(), r.ping.transmitted));

    /* Both directions were cut, by the counters. */
    EXPECT_EQ(nft_counters_hit(r.nft_counters), 2) << r.nft_counters;
    /* Only Braid's times are checked. */
    for (int s : {kA, kB}) {
        if (daemon_[s] != Daemon::kBraid) {
            continue;
        }
        EXPECT_GE(r.detach.at[s], 0) << pairing << ": " << who(s) << " kept "
                                     << kSides[s].members[1] << " enabled\n"
                                     << r.detached_texts;
        EXPECT_LE(r.detach.at[s], 4000) << pairing << ": " << who(s) << "\n"
                                        << r.detached_texts;
        EXPECT_GE(r.defaulted.at[s], 0) << pairing << ": " << who(s) << "\n"
                                        << r.detached_texts;
        EXPECT_GE(r.reattach.at[s], 0) << pairing << ": " << who(s) << " did not take "
                                       << kSides[s].members[1] << " back\n"
                                       << both_texts();
        /* As in MemberCutAndRepairedBothWays: a LACPDU within 1 s, no aggregate wait. */
        EXPECT_LE(r.reattach.at[s], 2000) << pairing << ": " << who(s) << "\n" << both_texts();
    }
    if (daemon_[kA] == Daemon::kBraid && daemon_[kB] == Daemon::kBraid) {
        /* As in MemberCutAndRepairedBothWays. */
        EXPECT_LE(r.ping.lost(), r.nft_loss_allowed())
            << read_file(sb(kA).path("ping-nft.out")).value_or("");
    }
    EXPECT_FALSE(r.ping.duplicates) << pairing;
    expect_clean_lacp_stats();
}

/* 7: the nft cut and repair of a member link, kept until both sides
 * default, between Braid and Open vSwitch, Open vSwitch and itself, and
 * Braid and itself: each side's times to detach and re-attach.  Open
 * vSwitch's times are only reported (paired with itself it takes about
 * 30 s to re-attach); Braid's are checked. */
TEST_F(SystemLacp, ReattachTimesOfEachPairing)
{
    const Daemon pairings[][2] = {{Daemon::kBraid, Daemon::kOvs},
                                  {Daemon::kBraid, Daemon::kBraid},
                                  {Daemon::kOvs, Daemon::kOvs}};
    for (const auto &p : pairings) {
        /* A setup that fails ends, the others still run. */
        EXPECT_NO_FATAL_FAILURE(nft_cut_of_pairing(p[0], p[1]));
        clean_up();
    }
}

}  // namespace
}  // namespace braid::test
