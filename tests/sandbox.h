/* The scenario-test harness: a private directory with the real
 * ovsdb-server, braid-vswitchd, and the real Open vSwitch tools.
 *
 *     test::Sandbox sb;                    // empty private directory
 *     ASSERT_TRUE(sb.start());             // ovsdb-server + braid-vswitchd
 *     auto r = sb.appctl({"version"});     // the stock ovs-appctl
 *     EXPECT_EQ(r.status, 0);
 *     EXPECT_EQ(sb.unexpected_log_lines(), "");
 *
 * Every tool runs with OVS_RUNDIR, OVS_LOGDIR, OVS_DBDIR and OVS_SYSCONFDIR
 * pointing at the sandbox, so plain ovs-appctl, ovs-vsctl and ovs-ofctl find
 * the sandbox's daemons.  Every command has a time limit.  The destructor
 * stops the daemons, kills by saved pid whatever outlived that, and removes
 * the directory (kept when BRAID_KEEP_SANDBOX is set, for debugging). */
#ifndef BRAID_TESTS_SANDBOX_H
#define BRAID_TESTS_SANDBOX_H 1

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace braid::test {

/* What a command did. */
struct RunResult {
    int status = -1;            /* Exit status, 128 + signal, or -1. */
    bool timed_out = false;
    std::string out;            /* Standard output. */
    std::string err;            /* Standard error. */
};

/* The build and source trees (from BRAID_BUILDDIR/BRAID_SRCDIR, which
 * "make check" sets, else found from the test binary's location). */
std::string builddir();
std::string srcdir();

/* Runs 'argv' with 'env' added to the environment, feeding it 'input', for
 * at most 'timeout_ms' of real time (then it is killed). */
RunResult run(const std::vector<std::string> &argv,
              const std::vector<std::string> &env = {}, int timeout_ms = 20000,
              const std::string &input = "");

/* Our environment with the "NAME=value" settings of 'env' in place of the
 * variables of the same names. */
std::vector<std::string> merged_environment(const std::vector<std::string> &env);

/* Whether 'needle' occurs in 'haystack'. */
inline bool contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

/* Reads a whole file; nullopt if it cannot be read. */
std::optional<std::string> read_file(const std::string &path);

class Sandbox {
public:
    Sandbox();
    ~Sandbox();
    Sandbox(const Sandbox &) = delete;
    Sandbox &operator=(const Sandbox &) = delete;

    const std::string &dir() const { return dir_; }
    std::string path(const std::string &name) const { return dir_ + "/" + name; }

    /* The OVS_* settings for the tools, as "NAME=value" strings. */
    std::vector<std::string> env() const;

    /* Runs a command in the sandbox's environment. */
    RunResult run(const std::vector<std::string> &argv, int timeout_ms = 20000,
                  const std::string &input = "") const;

    /* Starts 'argv' in the background in the sandbox's environment, with its
     * output going to files in the sandbox, and returns its pid (or -1).
     * The destructor kills it if it is still running. */
    pid_t spawn(const std::vector<std::string> &argv, const std::string &output_name);

    /* braid-ctl --sandbox=DIR ARGS. */
    RunResult ctl(const std::vector<std::string> &args) const;

    /* Starts ovsdb-server and braid-vswitchd (with 'vswitchd_options'
     * added).  Returns false, with the reason in last_error(), on failure. */
    bool start(const std::vector<std::string> &vswitchd_options = {});

    /* Stops the daemons through braid-ctl. */
    RunResult stop();

    /* ovs-appctl ARGS (and ovs-vsctl ARGS), with a time limit. */
    RunResult appctl(const std::vector<std::string> &args) const;

    /* netdev-dummy/receive: dummy port 'port' receives each of 'frames'
     * (whole Ethernet frames). */
    RunResult receive(const std::string &port,
                      const std::vector<std::vector<uint8_t>> &frames) const;
    RunResult vsctl(const std::vector<std::string> &args) const;

    /* The pid in the daemon's pidfile, if a live process holds it. */
    std::optional<pid_t> vswitchd_pid() const;

    /* Waits (up to 'timeout_ms' of real time) for 'pid' to exit.  True if
     * it did; it is then reaped if it is our child. */
    static bool wait_for_exit(pid_t pid, int timeout_ms = 10000);

    /* Evaluates 'done' now and after every change in the sandbox directory
     * (a file created, renamed, written or removed) until it holds or
     * 'timeout_ms' of real time pass.  Returns its last value. */
    bool wait_until(const std::function<bool()> &done, int timeout_ms = 10000) const;

    /* The daemon's log. */
    std::string vswitchd_log() const;

    /* Lines of the daemon's log at WARN level or worse that match none of
     * 'allowed' (plus the harness's own list), joined with newlines; empty
     * if there are none.  Any unexpected warning fails a scenario test. */
    std::string unexpected_log_lines(const std::vector<std::regex> &allowed = {}) const;

    const std::string &last_error() const { return last_error_; }

private:
    void remember_pids();

    std::string dir_;
    std::string last_error_;
    std::vector<pid_t> pids_;       /* Every daemon pid seen, to kill at the end. */
};

}  // namespace braid::test

#endif  // BRAID_TESTS_SANDBOX_H
