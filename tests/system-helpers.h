/* Helpers shared by the system tests (tests/system-*.cc): real-time
 * clocks and waits, bounded by their callers, the summary of a ping run,
 * and starting the real Open vSwitch daemon in a sandbox. */
#ifndef BRAID_TESTS_SYSTEM_HELPERS_H
#define BRAID_TESTS_SYSTEM_HELPERS_H 1

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <regex>
#include <string>

#include "tests/sandbox.h"

namespace braid::test {

/* The real Open vSwitch daemon, as Debian installs it. */
inline constexpr char kOvsVswitchd[] = "/usr/lib/openvswitch-switch/ovs-vswitchd";

/* A monotonic clock in milliseconds, for measuring and bounding waits. */
inline int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

/* The wall clock in seconds, as tcpdump -tt and tshark print packet
 * times. */
inline double wall_seconds()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

/* Waits 'ms' of real time. */
inline void pause_ms(int ms)
{
    poll(nullptr, 0, ms);
}

/* Waits up to 'timeout_ms' for process 'pid' to exit.  True if it has
 * exited; it is then reaped if it is our child. */
inline bool wait_exit(pid_t pid, int timeout_ms)
{
    return Sandbox::wait_for_exit(pid, timeout_ms);
}

/* What a ping run reported. */
struct PingStats {
    bool parsed = false;
    int transmitted = 0;
    int received = 0;
    bool duplicates = false;    /* Any "DUP!" reply or "+N duplicates". */
    int time_ms = 0;            /* How long ping ran, by its own count. */

    int lost() const { return transmitted - received; }
};

/* The summary of the output of ping(8). */
inline PingStats parse_ping(const std::string &out)
{
    PingStats s;
    std::smatch m;
    static const std::regex summary(R"((\d+) packets transmitted, (\d+) received)");
    if (std::regex_search(out, m, summary)) {
        s.parsed = true;
        s.transmitted = std::stoi(m[1]);
        s.received = std::stoi(m[2]);
    }
    static const std::regex duration(R"(packet loss, time (\d+)ms)");
    if (std::regex_search(out, m, duration)) {
        s.time_ms = std::stoi(m[1]);
    }
    s.duplicates = contains(out, "DUP!") || contains(out, "duplicates");
    return s;
}

/* Whether the real ovs-vswitchd is installed. */
inline bool have_ovs_vswitchd()
{
    return access(kOvsVswitchd, X_OK) == 0;
}

/* Starts ovsdb-server and the real ovs-vswitchd in 'sb' in place of Braid,
 * as tests/bench-forward.sh does, without the kernel datapath (its bridges
 * must use datapath_type=netdev). */
inline RunResult start_ovs_vswitchd(Sandbox &sb)
{
    return sb.ctl({std::string("--vswitchd=") + kOvsVswitchd, "--vswitchd-opt=--disable-system",
                   "--vswitchd-opt=--disable-system-route", "start"});
}

}  // namespace braid::test

#endif  // BRAID_TESTS_SYSTEM_HELPERS_H
