/* The one clock every timer in Braid reads.
 *
 * msec() and usec() are monotonic and, for tests, controllable: time_stop()
 * freezes them and time_warp() moves them forward, from any thread, through
 * the time/stop and time/warp unixctl commands.  Scenario tests use that to
 * step through LACP timeouts, updelays and rebalancing without sleeping.
 * wall_msec() is the real time of day, never stopped or warped; only log
 * timestamps use it.
 *
 * Readers are lock-free and may run on any thread; stop, resume and warp
 * serialise among themselves. */
#ifndef BRAID_LIB_TIMEVAL_H
#define BRAID_LIB_TIMEVAL_H 1

#include <cstdint>
#include <functional>

namespace braid {

class EventLoop;

namespace timeval {

/* Monotonic time in milliseconds and microseconds. */
int64_t msec() noexcept;
int64_t usec() noexcept;

/* Milliseconds since the Unix epoch, from the real-time clock. */
int64_t wall_msec() noexcept;

/* Freezes the monotonic clock at its current value.  Does nothing if it is
 * already stopped. */
void stop();

/* Lets a stopped clock run again from where it stands. */
void resume();

bool is_stopped() noexcept;

/* Moves the monotonic clock forward by 'msecs' (>= 0), whether it runs or
 * is stopped. */
void warp(int64_t msecs);

/* Calls 'fn' after every stop, resume or warp, on the thread that made the
 * change.  Event loops use this to wake up and re-check their timers.
 * Returns an id for remove_change_listener(). */
int add_change_listener(std::function<void()> fn);
void remove_change_listener(int id);

/* Registers time/stop and time/warp.  'loop' is the loop whose timers
 * time/warp lets run before it replies. */
void register_commands(EventLoop &loop);

}  // namespace timeval
}  // namespace braid

#endif  // BRAID_LIB_TIMEVAL_H
