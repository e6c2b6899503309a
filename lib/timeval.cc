/* The Braid clock. */
#include <config.h>

#include "lib/timeval.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "lib/event-loop.h"
#include "lib/unixctl.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(timeval);

namespace braid::timeval {
namespace {

int64_t raw_monotonic_ns() noexcept
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/* The clock reads raw_monotonic_ns() + offset_ns while running, and
 * stopped_ns while stopped (stopped_ns >= 0). */
std::atomic<int64_t> offset_ns{0};
std::atomic<int64_t> stopped_ns{-1};

/* Serialises stop, resume, warp and the listener list. */
std::mutex &writer_mutex()
{
    static std::mutex mutex;
    return mutex;
}

std::map<int, std::function<void()>> &listeners()
{
    static std::map<int, std::function<void()>> map;
    return map;
}

int64_t now_ns() noexcept
{
    int64_t stopped = stopped_ns.load(std::memory_order_acquire);
    if (stopped >= 0) {
        return stopped;
    }
    return raw_monotonic_ns() + offset_ns.load(std::memory_order_relaxed);
}

void notify_listeners()
{
    std::map<int, std::function<void()>> copy;
    {
        std::lock_guard<std::mutex> lock(writer_mutex());
        copy = listeners();
    }
    for (auto &[id, fn] : copy) {
        fn();
    }
}

}  // namespace

int64_t msec() noexcept
{
    return now_ns() / 1000000;
}

int64_t usec() noexcept
{
    return now_ns() / 1000;
}

int64_t wall_msec() noexcept
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void stop()
{
    {
        std::lock_guard<std::mutex> lock(writer_mutex());
        if (stopped_ns.load() < 0) {
            stopped_ns.store(now_ns(), std::memory_order_release);
        }
    }
    notify_listeners();
}

void resume()
{
    {
        std::lock_guard<std::mutex> lock(writer_mutex());
        int64_t stopped = stopped_ns.load();
        if (stopped >= 0) {
            offset_ns.store(stopped - raw_monotonic_ns());
            stopped_ns.store(-1, std::memory_order_release);
        }
    }
    notify_listeners();
}

bool is_stopped() noexcept
{
    return stopped_ns.load(std::memory_order_acquire) >= 0;
}

void warp(int64_t msecs)
{
    {
        std::lock_guard<std::mutex> lock(writer_mutex());
        int64_t delta = msecs * 1000000;
        int64_t stopped = stopped_ns.load();
        if (stopped >= 0) {
            stopped_ns.store(stopped + delta, std::memory_order_release);
        } else {
            offset_ns.fetch_add(delta);
        }
    }
    notify_listeners();
}

int add_change_listener(std::function<void()> fn)
{
    static int next_id = 1;
    std::lock_guard<std::mutex> lock(writer_mutex());
    int id = next_id++;
    listeners().emplace(id, std::move(fn));
    return id;
}

void remove_change_listener(int id)
{
    std::lock_guard<std::mutex> lock(writer_mutex());
    listeners().erase(id);
}

namespace {

/* Advances the clock by 'step' ms at a time until 'remaining' ms have
 * passed, letting the loop run its timers and tasks after every step, then
 * answers. */
void warp_in_steps(EventLoop &loop, int64_t remaining, int64_t step,
                   const unixctl::Reply &reply)
{
    int64_t delta = std::min(remaining, step);
    warp(delta);
    remaining -= delta;
    /* Posted tasks run after the timers of the same iteration, so this
     * continues (or answers) once everything the warp made due has run. */
    loop.post([&loop, remaining, step, reply] {
        if (remaining > 0) {
            warp_in_steps(loop, remaining, step, reply);
        } else {
            reply.ok("warped");
        }
    });
}

}  // namespace

void register_commands(EventLoop &loop)
{
    unixctl::register_command("time/stop", "", 0, 0,
                              [](const unixctl::Args &, const unixctl::Reply &reply) {
                                  stop();
                                  reply.ok();
                              });
    unixctl::register_command("time/resume", "", 0, 0,
                              [](const unixctl::Args &, const unixctl::Reply &reply) {
                                  resume();
                                  reply.ok();
                              });
    unixctl::register_command(
        "time/warp", "[LARGE_MSECS] MSECS", 1, 2,
        [&loop](const unixctl::Args &args, const unixctl::Reply &reply) {
            long long total, step;
            const long long max = 1000LL * 86400 * 365 * 100;   /* A century. */
            if (!parse_int(args[0], 0, max, &total)
                || (args.size() == 2 && !parse_int(args[1], 1, max, &step))) {
                reply.error("time/warp: expected one or two non-negative millisecond "
                            "counts (the second, a step, at least 1)");
                return;
            }
            if (args.size() == 1) {
                step = total;       /* One step. */
            }                       /* Else LARGE_MSECS in steps of MSECS. */
            VLOG_DBG("warping the clock by {} ms in steps of {} ms", total, step);
            warp_in_steps(loop, total, std::max<long long>(step, 1), reply);
        });
}

}  // namespace braid::timeval
