/* An event loop over epoll, with timers on the Braid clock (timeval.h).
 *
 * Each thread that waits for events owns one EventLoop.  A loop iteration
 * waits until a watched file descriptor is ready, the earliest timer is due,
 * or another thread posts a task; then it runs, in this order, the handlers
 * of ready descriptors, the timers that are due, and the posted tasks.
 *
 * Handlers, timers and tasks run on the loop's thread and may freely add or
 * remove watches and timers, including their own.  post(), wake() and
 * stop_running() may be called from any thread; everything else only from
 * the loop's thread.
 *
 * Timers read the Braid clock, so when a test stops the clock they fire only
 * as time/warp moves it; a warp wakes every loop so it re-checks its timers. */
#ifndef BRAID_LIB_EVENT_LOOP_H
#define BRAID_LIB_EVENT_LOOP_H 1

#include <sys/epoll.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace braid {

class EventLoop {
public:
    using FdHandler = std::function<void(uint32_t events)>;
    using Task = std::function<void()>;
    using TimerId = uint64_t;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop &) = delete;
    EventLoop &operator=(const EventLoop &) = delete;

    /* Calls 'handler' with the ready events (EPOLLIN, EPOLLOUT, EPOLLERR,
     * EPOLLHUP) whenever 'fd' is ready for any of 'events'.  One watch per
     * descriptor; watching a descriptor again replaces the old watch.
     * Descriptors are level-triggered. */
    void watch_fd(int fd, uint32_t events, FdHandler handler);

    /* Changes the events a watched descriptor waits for. */
    void modify_fd(int fd, uint32_t events);

    /* Stops watching 'fd' (which the caller still owns and closes).  Its
     * handler is not called again, even for events already collected in
     * this iteration. */
    void unwatch_fd(int fd);

    /* Runs 'task' once the clock reaches 'msec' (timeval::msec()), or once
     * 'delay' milliseconds have passed.  Returns an id for cancel(). */
    TimerId schedule_at(int64_t msec, Task task);
    TimerId schedule_after(int64_t delay, Task task);

    /* Cancels a timer that has not run yet.  Returns false if there was no
     * such pending timer. */
    bool cancel(TimerId id);

    /* Runs 'task' on the loop's thread at the end of the current or next
     * iteration.  Thread-safe. */
    void post(Task task);

    /* Runs one iteration, waiting at most 'max_wait_ms' (-1: as long as
     * needed) for something to do. */
    void run_once(int64_t max_wait_ms = -1);

    /* Runs iterations until stop_running() is called. */
    void run();

    /* Makes run() return after the current iteration.  Thread-safe. */
    void stop_running();

    /* Interrupts a wait in progress.  Thread-safe. */
    void wake();

    /* The deadline of the earliest timer, or -1 if none. */
    int64_t next_deadline() const;

    size_t n_timers() const { return timers_.size(); }

private:
    struct Watch {
        int fd;
        FdHandler handler;
    };

    void drain_wakeup();
    void run_timers();
    void run_posted();

    int epoll_fd_ = -1;
    int wakeup_fd_ = -1;            /* eventfd for wake(). */
    int listener_id_ = -1;          /* timeval change listener. */
    bool stop_ = false;

    uint64_t next_watch_id_ = 1;
    std::unordered_map<int, uint64_t> fd_to_watch_;
    std::unordered_map<uint64_t, Watch> watches_;

    TimerId next_timer_id_ = 1;
    std::map<std::pair<int64_t, TimerId>, Task> timers_;
    std::unordered_map<TimerId, int64_t> timer_deadlines_;

    std::mutex posted_mutex_;
    std::deque<Task> posted_;       /* Guarded by posted_mutex_. */
    bool stop_requested_ = false;   /* Guarded by posted_mutex_. */
};

/* A timer that cancels itself when destroyed or restarted, for objects that
 * schedule work on a loop and may go away before it runs. */
class Timer {
public:
    Timer() = default;
    ~Timer() { stop(); }
    Timer(const Timer &) = delete;
    Timer &operator=(const Timer &) = delete;

    /* (Re)starts the timer to run 'task' on 'loop' after 'delay' ms. */
    void start(EventLoop &loop, int64_t delay, EventLoop::Task task);
    /* (Re)starts the timer to run 'task' when the clock reaches 'msec'. */
    void start_at(EventLoop &loop, int64_t msec, EventLoop::Task task);
    void stop();
    bool pending() const { return loop_ != nullptr; }

private:
    EventLoop *loop_ = nullptr;
    EventLoop::TimerId id_ = 0;
};

}  // namespace braid

#endif  // BRAID_LIB_EVENT_LOOP_H
