/* The epoll event loop. */
#include <config.h>

#include "lib/event-loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "lib/coverage.h"
#include "lib/timeval.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(event_loop);
BRAID_COVERAGE_DEFINE(event_loop_wakeups);
BRAID_COVERAGE_DEFINE(event_loop_timers_run);

namespace braid {

EventLoop::EventLoop()
{
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
        fatal("epoll_create1 failed: {}", std::strerror(errno));
    }
    wakeup_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeup_fd_ < 0) {
        fatal("eventfd failed: {}", std::strerror(errno));
    }
    watch_fd(wakeup_fd_, EPOLLIN, [this](uint32_t) { drain_wakeup(); });
    listener_id_ = timeval::add_change_listener([this] { wake(); });
}

EventLoop::~EventLoop()
{
    timeval::remove_change_listener(listener_id_);
    close(wakeup_fd_);
    close(epoll_fd_);
}

void EventLoop::watch_fd(int fd, uint32_t events, FdHandler handler)
{
    if (auto it = fd_to_watch_.find(fd); it != fd_to_watch_.end()) {
        unwatch_fd(fd);
    }
    uint64_t id = next_watch_id_++;
    struct epoll_event ev {};
    ev.events = events;
    ev.data.u64 = id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
        /* Only a programming error (bad or closed descriptor) gets here. */
        fatal("epoll_ctl(ADD, fd {}) failed: {}", fd, std::strerror(errno));
    }
    fd_to_watch_[fd] = id;
    watches_.emplace(id, Watch{fd, std::move(handler)});
}

void EventLoop::modify_fd(int fd, uint32_t events)
{
    auto it = fd_to_watch_.find(fd);
    if (it == fd_to_watch_.end()) {
        return;
    }
    struct epoll_event ev {};
    ev.events = events;
    ev.data.u64 = it->second;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) < 0) {
        fatal("epoll_ctl(MOD, fd {}) failed: {}", fd, std::strerror(errno));
    }
}

void EventLoop::unwatch_fd(int fd)
{
    auto it = fd_to_watch_.find(fd);
    if (it == fd_to_watch_.end()) {
        return;
    }
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    watches_.erase(it->second);
    fd_to_watch_.erase(it);
}

EventLoop::TimerId EventLoop::schedule_at(int64_t msec, Task task)
{
    TimerId id = next_timer_id_++;
    timers_.emplace(std::make_pair(msec, id), std::move(task));
    timer_deadlines_.emplace(id, msec);
    return id;
}

EventLoop::TimerId EventLoop::schedule_after(int64_t delay, Task task)
{
    return schedule_at(timeval::msec() + std::max<int64_t>(delay, 0), std::move(task));
}

bool EventLoop::cancel(TimerId id)
{
    auto it = timer_deadlines_.find(id);
    if (it == timer_deadlines_.end()) {
        return false;
    }
    timers_.erase({it->second, id});
    timer_deadlines_.erase(it);
    return true;
}

void EventLoop::post(Task task)
{
    {
        std::lock_guard<std::mutex> lock(posted_mutex_);
        posted_.push_back(std::move(task));
    }
    wake();
}

void EventLoop::wake()
{
    uint64_t one = 1;
    ssize_t n = write(wakeup_fd_, &one, sizeof one);
    (void) n;       /* EAGAIN means a wakeup is already pending. */
}

void EventLoop::drain_wakeup()
{
    uint64_t value;
    while (read(wakeup_fd_, &value, sizeof value) > 0) {
        continue;
    }
    COVERAGE_INC(event_loop_wakeups);
}

int64_t EventLoop::next_deadline() const
{
    return timers_.empty() ? -1 : timers_.begin()->first.first;
}

void EventLoop::run_once(int64_t max_wait_ms)
{
    int64_t timeout = max_wait_ms;
    {
        std::lock_guard<std::mutex> lock(posted_mutex_);
        if (!posted_.empty()) {
            timeout = 0;
        }
    }
    if (int64_t deadline = next_deadline(); deadline >= 0 && timeout != 0) {
        /* A stopped clock never reaches a deadline by itself; only a warp,
         * which wakes us, can. */
        if (!timeval::is_stopped()) {
            int64_t until = std::max<int64_t>(deadline - timeval::msec(), 0);
            timeout = timeout < 0 ? until : std::min(timeout, until);
        } else if (deadline <= timeval::msec()) {
            timeout = 0;
        }
    }

    struct epoll_event events[64];
    int n = epoll_wait(epoll_fd_, events, std::size(events),
                       timeout < 0 ? -1 : int(std::min<int64_t>(timeout, INT32_MAX)));
    if (n < 0 && errno != EINTR) {
        fatal("epoll_wait failed: {}", std::strerror(errno));
    }
    for (int i = 0; i < n; i++) {
        /* Look the watch up again for every event: an earlier handler may
         * have removed it. */
        auto it = watches_.find(events[i].data.u64);
        if (it != watches_.end()) {
            FdHandler handler = it->second.handler;   /* May unwatch itself. */
            handler(events[i].events);
        }
    }
    run_timers();
    run_posted();
}

void EventLoop::run_timers()
{
    /* Run the timers due now, as of the start of this pass.  Timers added
     * while running, even ones already due, wait for the next iteration (the
     * next wait has a zero timeout then), so a timer that re-arms itself at
     * "now" cannot starve the loop.  A timer cancelled by an earlier one in
     * this pass does not run. */
    int64_t now = timeval::msec();
    std::vector<std::pair<int64_t, TimerId>> due;
    for (const auto &entry : timers_) {
        if (entry.first.first > now) {
            break;
        }
        due.push_back(entry.first);
    }
    for (const auto &key : due) {
        auto it = timers_.find(key);
        if (it == timers_.end()) {
            continue;
        }
        Task task = std::move(it->second);
        timer_deadlines_.erase(key.second);
        timers_.erase(it);
        COVERAGE_INC(event_loop_timers_run);
        task();
    }
}

void EventLoop::run_posted()
{
    std::deque<Task> tasks;
    {
        std::lock_guard<std::mutex> lock(posted_mutex_);
        tasks.swap(posted_);
        if (stop_requested_) {
            stop_ = true;
            stop_requested_ = false;
        }
    }
    for (Task &task : tasks) {
        task();
    }
}

void EventLoop::run()
{
    stop_ = false;
    while (!stop_) {
        run_once();
    }
}

void EventLoop::stop_running()
{
    {
        std::lock_guard<std::mutex> lock(posted_mutex_);
        stop_requested_ = true;
    }
    wake();
}

void Timer::start(EventLoop &loop, int64_t delay, EventLoop::Task task)
{
    start_at(loop, timeval::msec() + std::max<int64_t>(delay, 0), std::move(task));
}

void Timer::start_at(EventLoop &loop, int64_t msec, EventLoop::Task task)
{
    stop();
    loop_ = &loop;
    id_ = loop.schedule_at(msec, [this, task = std::move(task)] {
        loop_ = nullptr;    /* Before running, so that 'task' may restart us. */
        task();
    });
}

void Timer::stop()
{
    if (loop_) {
        loop_->cancel(id_);
        loop_ = nullptr;
    }
}

}  // namespace braid
