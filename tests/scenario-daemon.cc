/* Scenario tests: the real braid-vswitchd with the real ovsdb-server and
 * the stock ovs-appctl, in a private directory. */
#include <config.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/sandbox.h"

namespace braid::test {
namespace {

const std::string kVersionText = "braid-vswitchd (Open vSwitch) 3.1.0\nBraid " PACKAGE_VERSION "\n";

bool exists(const std::string &path)
{
    return access(path.c_str(), F_OK) == 0;
}

class DaemonScenario : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(sb_.start()) << sb_.last_error(); }
    void TearDown() override
    {
        EXPECT_EQ(sb_.unexpected_log_lines(allowed_), "") << "unexpected warnings in the log";
    }

    Sandbox sb_;
    std::vector<std::regex> allowed_;
};

TEST_F(DaemonScenario, PlainAppctlReachesBraid)
{
    /* No -t: ovs-appctl reads $OVS_RUNDIR/ovs-vswitchd.pid. */
    RunResult r = sb_.appctl({"version"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, kVersionText);
    EXPECT_EQ(r.err, "");

    /* -t with the socket path works too. */
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    std::string ctl = sb_.path("ovs-vswitchd." + std::to_string(*pid) + ".ctl");
    EXPECT_TRUE(exists(ctl));
    r = sb_.run({"ovs-appctl", "-t", ctl, "version"});
    EXPECT_EQ(r.out, kVersionText);

    /* So does ovs-vswitchd --version style output for ovs-ctl. */
    r = run({builddir() + "/vswitchd/braid-vswitchd", "--version"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, kVersionText);
}

TEST_F(DaemonScenario, ListCommands)
{
    RunResult r = sb_.appctl({"list-commands"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.rfind("The available commands are:\n", 0), 0u) << r.out;
    for (const char *line : {
             "  coverage/read-counter   COUNTER\n", "  coverage/show           \n",
             "  exit                    [--cleanup]\n", "  list-commands           \n",
             "  memory/show             \n", "  time/stop               \n",
             "  time/warp               [LARGE_MSECS] MSECS\n", "  version                 \n",
             "  vlog/list               \n", "  vlog/reopen             \n",
             "  vlog/set                {spec | PATTERN:destination:pattern}\n"}) {
        EXPECT_TRUE(contains(r.out, line)) << "missing: " << line;
    }
}

TEST_F(DaemonScenario, UnknownCommandAndWrongArgumentCounts)
{
    RunResult r = sb_.appctl({"no-such-command"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "\"no-such-command\" is not a valid command (use \"list-commands\" to see a list "
              "of valid commands)\n"
              "ovs-appctl: ovs-vswitchd: server returned an error\n");

    r = sb_.appctl({"time/warp"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
              "\"time/warp\" command requires at least 1 argument");

    r = sb_.appctl({"version", "extra"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "\"version\" command takes at most 0 arguments");

    r = sb_.appctl({"coverage/read-counter", "no_such_counter"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "No such counter: \"no_such_counter\"")) << r.err;

    /* The daemon is unharmed. */
    EXPECT_EQ(sb_.appctl({"version"}).out, kVersionText);
}

TEST_F(DaemonScenario, VlogSetListPatternAndReopen)
{
    RunResult r = sb_.appctl({"vlog/set", "unixctl:file:dbg"});
    ASSERT_EQ(r.status, 0) << r.err;
    r = sb_.appctl({"vlog/list"});
    ASSERT_EQ(r.status, 0);
    EXPECT_TRUE(contains(r.out, "\nunixctl            OFF       INFO        DBG\n")) << r.out;

    /* Debug logging of the control socket shows the next request. */
    sb_.appctl({"memory/show"});
    EXPECT_TRUE(std::regex_search(sb_.vswitchd_log(),
                                  std::regex(R"(\|unixctl\|DBG\|received request memory/show)")))
        << sb_.vswitchd_log();

    r = sb_.appctl({"vlog/set", "no_such_module:dbg"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "\"no_such_module\" is not a known module")) << r.err;
    r = sb_.appctl({"vlog/set", "console:file:dbg"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "more than one destination")) << r.err;

    /* A pattern change shows in the next line written. */
    ASSERT_EQ(sb_.appctl({"vlog/set", "PATTERN:file:pattern-test|%c|%p|%m"}).status, 0);
    sb_.appctl({"version"});
    EXPECT_TRUE(contains(sb_.vswitchd_log(), "pattern-test|unixctl|DBG|received request version"))
        << sb_.vswitchd_log();
    r = sb_.appctl({"vlog/list-pattern"});
    EXPECT_TRUE(contains(r.out, "file log pattern: pattern-test|%c|%p|%m\n")) << r.out;

    /* Log rotation: move the file away, reopen, and the daemon writes a new
     * file at the old name. */
    ASSERT_EQ(rename(sb_.path("ovs-vswitchd.log").c_str(), sb_.path("rotated.log").c_str()), 0);
    ASSERT_EQ(sb_.appctl({"vlog/reopen"}).status, 0);
    sb_.appctl({"version"});
    ASSERT_TRUE(exists(sb_.path("ovs-vswitchd.log")));
    /* The reopen request is logged before the switch, to the old file. */
    EXPECT_TRUE(contains(*read_file(sb_.path("rotated.log")), "received request vlog/reopen"));
    EXPECT_FALSE(contains(sb_.vswitchd_log(), "received request vlog/reopen"));
    EXPECT_TRUE(contains(sb_.vswitchd_log(), "received request version"));

    /* Closed, the file receives nothing; reopened, it does again. */
    ASSERT_EQ(sb_.appctl({"vlog/close"}).status, 0);
    sb_.appctl({"coverage/show"});
    EXPECT_FALSE(contains(sb_.vswitchd_log(), "received request coverage/show"));
    ASSERT_EQ(sb_.appctl({"vlog/reopen"}).status, 0);
    sb_.appctl({"memory/show"});
    EXPECT_TRUE(contains(sb_.vswitchd_log(), "received request memory/show"));
}

TEST_F(DaemonScenario, VlogRateLimitCommands)
{
    RunResult r = sb_.appctl({"vlog/disable-rate-limit", "jsonrpc", "unixctl"});
    ASSERT_EQ(r.status, 0) << r.err;
    r = sb_.appctl({"vlog/list"});
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\njsonrpc .* \\(rate limiting "
                                                    "disabled\\)\n")))
        << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\nunixctl .* \\(rate limiting "
                                                    "disabled\\)\n")))
        << r.out;
    EXPECT_FALSE(std::regex_search(r.out, std::regex("\nvswitchd .*rate limiting"))) << r.out;
    ASSERT_EQ(sb_.appctl({"vlog/enable-rate-limit"}).status, 0);
    r = sb_.appctl({"vlog/list"});
    EXPECT_FALSE(contains(r.out, "rate limiting disabled")) << r.out;

    r = sb_.appctl({"vlog/disable-rate-limit", "no_such_module"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "unknown module \"no_such_module\"")) << r.err;
}

/* time/warp drives the daemon's timers: the coverage sampler runs every 5 s
 * of the Braid clock, and its 5-second rate appears only once warped. */
TEST_F(DaemonScenario, TimeStopAndWarpDriveTimers)
{
    ASSERT_EQ(sb_.appctl({"time/stop"}).status, 0);
    /* Make sure one sample has been taken, whenever the last one was. */
    RunResult r = sb_.appctl({"time/warp", "5000"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "warped\n");

    /* 8 requests, one coverage/show, and the next warp request (counted
     * before it warps): 10 requests in the next 5-second sample. */
    for (int i = 0; i < 8; i++) {
        ASSERT_EQ(sb_.appctl({"version"}).status, 0);
    }
    r = sb_.appctl({"coverage/show"});
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(\nunixctl_received +(\S+)/sec)")))
        << r.out;
    EXPECT_NE(m[1], "2.0") << "no sample was due yet";

    ASSERT_EQ(sb_.appctl({"time/warp", "5000"}).status, 0);
    r = sb_.appctl({"coverage/show"});
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(\nunixctl_received +(\S+)/sec)")))
        << r.out;
    EXPECT_EQ(m[1], "2.0") << r.out;

    /* Warping in steps answers once every step has run. */
    r = sb_.appctl({"time/warp", "20000", "5000"});
    EXPECT_EQ(r.out, "warped\n");
    r = sb_.appctl({"time/warp", "-1"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "time/warp: expected")) << r.err;

    r = sb_.appctl({"time/resume"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    r = sb_.appctl({"time/resume", "now"});
    EXPECT_EQ(r.status, 2) << "takes no arguments";
}

TEST_F(DaemonScenario, CoverageAndMemory)
{
    RunResult r = sb_.appctl({"coverage/show"});
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(r.out.rfind("Event coverage, avg rate over last: 5 seconds, last minute, last "
                          "hour:\n", 0), 0u) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(events never hit\n$)"))) << r.out;

    r = sb_.appctl({"coverage/read-counter", "unixctl_received"});
    ASSERT_EQ(r.status, 0);
    long first = std::stol(r.out);
    r = sb_.appctl({"coverage/read-counter", "unixctl_received"});
    EXPECT_EQ(std::stol(r.out), first + 1);

    r = sb_.appctl({"memory/show"});
    ASSERT_EQ(r.status, 0);
    EXPECT_TRUE(std::regex_match(r.out, std::regex(R"((\S+:\d+ )*rss-kB:[1-9]\d*\n)"))) << r.out;
}

TEST_F(DaemonScenario, ExitRemovesFilesBeforeAnswering)
{
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    std::string ctl = sb_.path("ovs-vswitchd." + std::to_string(*pid) + ".ctl");

    RunResult r = sb_.appctl({"exit", "--bogus"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "unknown option \"--bogus\"")) << r.err;

    r = sb_.appctl({"exit"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    /* Already gone when ovs-appctl returns. */
    EXPECT_FALSE(exists(sb_.path("ovs-vswitchd.pid")));
    EXPECT_FALSE(exists(ctl));
    EXPECT_TRUE(Sandbox::wait_for_exit(*pid));

    r = sb_.appctl({"version"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "cannot read pidfile")) << r.err;
    r = sb_.ctl({"status"});
    EXPECT_EQ(r.status, 3);
    EXPECT_TRUE(contains(r.out, "braid-vswitchd is not running")) << r.out;
}

TEST_F(DaemonScenario, SigtermCleansUp)
{
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    std::string ctl = sb_.path("ovs-vswitchd." + std::to_string(*pid) + ".ctl");
    ASSERT_EQ(kill(*pid, SIGTERM), 0);
    ASSERT_TRUE(Sandbox::wait_for_exit(*pid));
    EXPECT_FALSE(exists(sb_.path("ovs-vswitchd.pid")));
    EXPECT_FALSE(exists(ctl));
    EXPECT_TRUE(contains(sb_.vswitchd_log(), "received signal 15 (Terminated), exiting"));
}

/* Garbage on the control socket costs the sender its connection, counted,
 * and nothing else. */
TEST_F(DaemonScenario, BadControlInputIsCountedAndSurvived)
{
    allowed_.push_back(std::regex(R"(\|jsonrpc\|WARN\|.*closing connection)"));
    allowed_.push_back(std::regex(R"(\|unixctl\|WARN\|closing connection)"));
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    std::string ctl = sb_.path("ovs-vswitchd." + std::to_string(*pid) + ".ctl");

    auto send_raw = [&](const std::string &bytes) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un un {};
        un.sun_family = AF_UNIX;
        ASSERT_LT(ctl.size(), sizeof un.sun_path);
        memcpy(un.sun_path, ctl.c_str(), ctl.size() + 1);
        ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr *>(&un), sizeof un), 0);
        ASSERT_EQ(write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
        shutdown(fd, SHUT_WR);
        char buf[512];
        while (read(fd, buf, sizeof buf) > 0) {
            continue;       /* Until the daemon closes or answers. */
        }
        close(fd);
    };
    send_raw("this is not json");
    send_raw("{\"method\":\"version\",\"params\":[],\"id\":1,\"extra\":2}");
    send_raw("{\"method\":\"version\",\"params\":[],\"id\":null}");     /* A notification. */
    send_raw("[1,2,3]");
    send_raw(std::string(2000, '['));       /* Nested too deep. */

    RunResult r = sb_.appctl({"version"});
    EXPECT_EQ(r.out, kVersionText);
    EXPECT_EQ(*sb_.vswitchd_pid(), *pid) << "same daemon, no restart";
    r = sb_.appctl({"coverage/read-counter", "jsonrpc_close_bad_json"});
    EXPECT_EQ(r.out, "2\n");
    r = sb_.appctl({"coverage/read-counter", "jsonrpc_close_bad_message"});
    EXPECT_EQ(r.out, "2\n");
    r = sb_.appctl({"coverage/read-counter", "unixctl_bad_request"});
    EXPECT_EQ(r.out, "1\n");
}

TEST_F(DaemonScenario, SecondDaemonRefusesLockedPidfile)
{
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    RunResult r = sb_.run({builddir() + "/vswitchd/braid-vswitchd", "--pidfile", "--detach",
                           "--no-chdir", "-vconsole:off", "--unixctl=second.ctl"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.err, "already running as pid " + std::to_string(*pid))) << r.err;
    EXPECT_EQ(*read_file(sb_.path("ovs-vswitchd.pid")), std::to_string(*pid) + "\n");
    EXPECT_FALSE(exists(sb_.path("second.ctl")));
    EXPECT_EQ(sb_.appctl({"version"}).status, 0) << "the first daemon still answers";

    r = sb_.ctl({"start"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "already running")) << r.err;
}

TEST_F(DaemonScenario, MonitorRestartsAfterCrash)
{
    allowed_.push_back(std::regex(R"(\|daemon\|ERR\|daemon \(pid \d+\) died of Aborted)"));
    ASSERT_EQ(sb_.stop().status, 0);
    ASSERT_TRUE(sb_.start({"--monitor"})) << sb_.last_error();
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);

    /* SIGABRT, as a failed assertion raises it.  (Sanitizer builds turn
     * SIGSEGV into an ordinary exit, which is rightly not restarted.) */
    ASSERT_EQ(kill(*pid, SIGABRT), 0);
    ASSERT_TRUE(Sandbox::wait_for_exit(*pid));
    /* The monitor starts a new daemon at once (the first restart is not
     * throttled); it is ready when its control socket exists. */
    ASSERT_TRUE(sb_.wait_until([&] {
        auto p = sb_.vswitchd_pid();
        return p && *p != *pid
               && exists(sb_.path("ovs-vswitchd." + std::to_string(*p) + ".ctl"));
    }));
    RunResult r = sb_.appctl({"version"});
    ASSERT_EQ(r.status, 0) << r.err;
    auto new_pid = sb_.vswitchd_pid();
    ASSERT_TRUE(new_pid);
    EXPECT_NE(*new_pid, *pid);
    EXPECT_TRUE(contains(sb_.vswitchd_log(), "died of Aborted, restarting"));

    /* exit stops the daemon, and the monitor with it. */
    ASSERT_EQ(sb_.appctl({"exit"}).status, 0);
    EXPECT_TRUE(Sandbox::wait_for_exit(*new_pid));
}

/* Scenarios that need the daemon started by hand. */
class DaemonStartScenario : public ::testing::Test {
protected:
    Sandbox sb_;
};

TEST_F(DaemonStartScenario, StalePidfileIsReplaced)
{
    ASSERT_EQ(sb_.ctl({"--no-ovsdb-server", "status"}).status, 3);
    /* A pidfile nobody holds, naming a process that does not exist. */
    {
        FILE *f = fopen(sb_.path("ovs-vswitchd.pid").c_str(), "w");
        ASSERT_TRUE(f);
        fputs("999999\n", f);
        fclose(f);
    }
    RunResult r = sb_.appctl({"version"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "cannot read pidfile")) << r.err;

    ASSERT_TRUE(sb_.start()) << sb_.last_error();
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    EXPECT_EQ(*read_file(sb_.path("ovs-vswitchd.pid")), std::to_string(*pid) + "\n");
    EXPECT_TRUE(contains(sb_.vswitchd_log(), "removing stale pidfile"));
    EXPECT_EQ(sb_.appctl({"version"}).out, kVersionText);
    EXPECT_EQ(sb_.unexpected_log_lines(), "");
}

TEST_F(DaemonStartScenario, BadCommandLines)
{
    std::string vswitchd = builddir() + "/vswitchd/braid-vswitchd";
    struct {
        std::vector<std::string> args;
        const char *error;
    } cases[] = {
        {{"--bogus-option"}, "unrecognized or incomplete option \"--bogus-option\""},
        {{"unix:a", "unix:b"}, "at most one non-option argument"},
        {{"http://x"}, "\"http://x\" is not a database remote"},
        {{"--user=nobody"}, "--user=nobody: running as a user other than root"},
        {{"-vno_such_module:dbg"}, "\"no_such_module\" is not a known module"},
        {{"--log-file=/nonexistent/dir/x.log"}, "could not open log file"},
    };
    for (const auto &c : cases) {
        std::vector<std::string> argv = {vswitchd};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        RunResult r = sb_.run(argv);
        EXPECT_EQ(r.status, 1) << c.args[0];
        EXPECT_TRUE(contains(r.err, c.error)) << c.args[0] << ": " << r.err;
        EXPECT_FALSE(exists(sb_.path("ovs-vswitchd.pid")));
    }
    RunResult r = sb_.run({vswitchd, "--help"});
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(contains(r.out, "usage: braid-vswitchd [OPTIONS] [DATABASE]")) << r.out;
}

/* Without --sandbox, braid-ctl uses the directories the OVS_* variables
 * name (else the system ones), as the Open vSwitch tools do. */
TEST_F(DaemonStartScenario, CtlFollowsOvsEnvironment)
{
    std::string ctl = builddir() + "/utilities/braid-ctl";
    RunResult r = sb_.run({ctl, "start"});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(exists(sb_.path("conf.db")));
    EXPECT_TRUE(exists(sb_.path("db.sock")));
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    EXPECT_EQ(sb_.appctl({"version"}).out, kVersionText);

    r = sb_.run({ctl, "status"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "ovsdb-server is running with pid")) << r.out;
    r = sb_.run({ctl, "env"});
    EXPECT_EQ(r.out, "export OVS_RUNDIR=" + sb_.dir() + " OVS_LOGDIR=" + sb_.dir()
                         + " OVS_DBDIR=" + sb_.dir() + " OVS_SYSCONFDIR=" + sb_.dir() + "\n");

    r = sb_.run({ctl, "stop"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(Sandbox::wait_for_exit(*pid));
    r = sb_.run({ctl, "status"});
    EXPECT_EQ(r.status, 3);
    EXPECT_TRUE(contains(r.out, "ovsdb-server is not running")) << r.out;

    r = sb_.run({ctl, "frobnicate"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.err, "unknown command \"frobnicate\"")) << r.err;
    r = sb_.run({ctl, "--bogus", "start"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.err, "unknown option \"--bogus\"")) << r.err;
    EXPECT_EQ(sb_.unexpected_log_lines(), "");
}

TEST_F(DaemonStartScenario, DetachReturnsOnlyWhenReady)
{
    /* Started directly: when the command returns, the pidfile and control
     * socket must already exist, with no waiting. */
    RunResult r = sb_.run({builddir() + "/vswitchd/braid-vswitchd", "--pidfile", "--detach",
                           "--no-chdir", "--log-file", "-vconsole:off"});
    ASSERT_EQ(r.status, 0) << r.err;
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    EXPECT_TRUE(exists(sb_.path("ovs-vswitchd." + std::to_string(*pid) + ".ctl")));
    EXPECT_EQ(sb_.appctl({"version"}).out, kVersionText);
    r = sb_.ctl({"--no-ovsdb-server", "status"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "braid-vswitchd is running with pid " + std::to_string(*pid)));
    EXPECT_EQ(sb_.ctl({"--no-ovsdb-server", "stop"}).status, 0);
    EXPECT_TRUE(Sandbox::wait_for_exit(*pid));
    EXPECT_EQ(sb_.unexpected_log_lines(), "");
}

}  // namespace
}  // namespace braid::test
