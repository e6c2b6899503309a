/* Unit tests for the Braid clock (lib/timeval.cc) and the event loop
 * (lib/event-loop.cc), with the clock stopped and warped. */
#include <config.h>

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lib/event-loop.h"
#include "lib/timeval.h"
#include "lib/unixctl.h"

namespace braid {
namespace {

/* Stops the clock for the test and lets it run again afterwards. */
class StoppedClock : public ::testing::Test {
protected:
    void SetUp() override { timeval::stop(); }
    void TearDown() override { timeval::resume(); }
};

using ClockTest = StoppedClock;
using EventLoopTest = StoppedClock;

TEST_F(ClockTest, StopFreezesAndWarpAdvances)
{
    int64_t t0 = timeval::msec();
    EXPECT_TRUE(timeval::is_stopped());
    EXPECT_EQ(timeval::msec(), t0);
    timeval::warp(1500);
    EXPECT_EQ(timeval::msec(), t0 + 1500);
    EXPECT_EQ(timeval::usec(), (t0 + 1500) * 1000 + timeval::usec() % 1000);
    timeval::stop();    /* Already stopped: no effect. */
    EXPECT_EQ(timeval::msec(), t0 + 1500);
}

TEST_F(ClockTest, ResumeContinuesFromWarpedTime)
{
    int64_t t0 = timeval::msec();
    timeval::warp(100000);
    timeval::resume();
    EXPECT_FALSE(timeval::is_stopped());
    EXPECT_GE(timeval::msec(), t0 + 100000) << "resuming never goes back";
    timeval::warp(1000);    /* Warping a running clock works too. */
    EXPECT_GE(timeval::msec(), t0 + 101000);
    timeval::stop();
}

TEST_F(ClockTest, ListenersHearChanges)
{
    int calls = 0;
    int id = timeval::add_change_listener([&] { calls++; });
    timeval::warp(1);
    timeval::warp(2);
    EXPECT_EQ(calls, 2);
    timeval::remove_change_listener(id);
    timeval::warp(3);
    EXPECT_EQ(calls, 2);
}

TEST_F(EventLoopTest, TimersFireOnlyWhenWarpedPastDeadline)
{
    EventLoop loop;
    std::vector<int> fired;
    loop.schedule_after(100, [&] { fired.push_back(100); });
    loop.schedule_after(50, [&] { fired.push_back(50); });
    loop.schedule_after(200, [&] { fired.push_back(200); });
    EXPECT_EQ(loop.n_timers(), 3u);

    loop.run_once(0);
    EXPECT_TRUE(fired.empty());

    timeval::warp(99);
    loop.run_once(0);
    EXPECT_EQ(fired, std::vector<int>{50});

    timeval::warp(1);
    loop.run_once(0);
    EXPECT_EQ(fired, (std::vector<int>{50, 100}));

    timeval::warp(1000);
    loop.run_once(0);
    EXPECT_EQ(fired, (std::vector<int>{50, 100, 200}));
    EXPECT_EQ(loop.n_timers(), 0u);
    EXPECT_EQ(loop.next_deadline(), -1);
}

TEST_F(EventLoopTest, SameDeadlineRunsInScheduleOrder)
{
    EventLoop loop;
    std::string order;
    int64_t when = timeval::msec() + 10;
    for (char c : std::string("abcde")) {
        loop.schedule_at(when, [&, c] { order += c; });
    }
    timeval::warp(10);
    loop.run_once(0);
    EXPECT_EQ(order, "abcde");
}

TEST_F(EventLoopTest, CancelledTimerDoesNotRun)
{
    EventLoop loop;
    int runs = 0;
    EventLoop::TimerId a = loop.schedule_after(10, [&] { runs++; });
    EventLoop::TimerId b = 0;
    /* A timer cancelling another that is due in the same pass. */
    loop.schedule_after(5, [&] { EXPECT_TRUE(loop.cancel(b)); });
    b = loop.schedule_after(10, [&] { runs += 100; });
    EXPECT_TRUE(loop.cancel(a));
    EXPECT_FALSE(loop.cancel(a)) << "cancelling twice";
    timeval::warp(10);
    loop.run_once(0);
    EXPECT_EQ(runs, 0);
    EXPECT_FALSE(loop.cancel(12345));
}

TEST_F(EventLoopTest, TimerAddedWhileRunningWaitsForNextIteration)
{
    EventLoop loop;
    int count = 0;
    std::function<void()> rearm = [&] {
        count++;
        loop.schedule_after(0, rearm);      /* Due at once, again. */
    };
    loop.schedule_after(0, rearm);
    loop.run_once(0);
    EXPECT_EQ(count, 1) << "a self-rearming timer must not starve the loop";
    loop.run_once(0);
    EXPECT_EQ(count, 2);
}

TEST_F(EventLoopTest, WaitEndsAtWarpFromAnotherThread)
{
    EventLoop loop;
    bool fired = false;
    loop.schedule_after(60000, [&] { fired = true; });
    /* With the clock stopped the loop would wait forever; a warp on another
     * thread must wake it and make the timer due. */
    std::thread warper([] { timeval::warp(60000); });
    while (!fired) {
        loop.run_once(10000);
    }
    warper.join();
    EXPECT_TRUE(fired);
}

TEST_F(EventLoopTest, PostFromAnotherThreadAndStopRunning)
{
    EventLoop loop;
    std::vector<int> seen;
    std::thread other([&] {
        for (int i = 0; i < 100; i++) {
            loop.post([&seen, i] { seen.push_back(i); });
        }
        loop.post([&loop] { loop.stop_running(); });
    });
    loop.run();
    other.join();
    ASSERT_EQ(seen.size(), 100u);
    for (int i = 0; i < 100; i++) {
        EXPECT_EQ(seen[i], i) << "posted tasks run in order";
    }
}

TEST_F(EventLoopTest, FdHandlersAndUnwatchDuringDispatch)
{
    EventLoop loop;
    int a[2], b[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    int a_calls = 0, b_calls = 0;
    /* Whichever handler runs first unwatches the other descriptor: the
     * other handler must then not run, although its event was collected. */
    loop.watch_fd(a[0], EPOLLIN, [&](uint32_t events) {
        EXPECT_TRUE(events & EPOLLIN);
        a_calls++;
        loop.unwatch_fd(b[0]);
        loop.unwatch_fd(a[0]);
    });
    loop.watch_fd(b[0], EPOLLIN, [&](uint32_t) {
        b_calls++;
        loop.unwatch_fd(a[0]);
        loop.unwatch_fd(b[0]);
    });
    ASSERT_EQ(write(a[1], "x", 1), 1);
    ASSERT_EQ(write(b[1], "y", 1), 1);
    loop.run_once(1000);
    EXPECT_EQ(a_calls + b_calls, 1);
    loop.run_once(0);
    EXPECT_EQ(a_calls + b_calls, 1) << "no handler after unwatch";
    for (int fd : {a[0], a[1], b[0], b[1]}) {
        close(fd);
    }
}

TEST_F(EventLoopTest, ModifyFdChangesEvents)
{
    EventLoop loop;
    int s[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    uint32_t last = 0;
    loop.watch_fd(s[0], EPOLLIN, [&](uint32_t events) { last = events; });
    loop.run_once(0);
    EXPECT_EQ(last, 0u) << "not readable yet";
    loop.modify_fd(s[0], EPOLLOUT);
    loop.run_once(0);
    EXPECT_TRUE(last & EPOLLOUT);
    loop.unwatch_fd(s[0]);
    close(s[0]);
    close(s[1]);
}

TEST_F(EventLoopTest, TimerObjectCancelsOnDestructionAndRestart)
{
    EventLoop loop;
    int runs = 0;
    {
        Timer t;
        t.start(loop, 10, [&] { runs++; });
        EXPECT_TRUE(t.pending());
    }
    timeval::warp(10);
    loop.run_once(0);
    EXPECT_EQ(runs, 0) << "destroyed timer does not run";

    Timer t;
    t.start(loop, 10, [&] { runs += 1; });
    t.start(loop, 20, [&] { runs += 10; });     /* Restart replaces. */
    timeval::warp(10);
    loop.run_once(0);
    EXPECT_EQ(runs, 0);
    timeval::warp(10);
    loop.run_once(0);
    EXPECT_EQ(runs, 10);
    EXPECT_FALSE(t.pending());

    /* A timer may restart itself from its own task. */
    int ticks = 0;
    std::function<void()> tick = [&] {
        if (++ticks < 3) {
            t.start(loop, 5, tick);
        }
    };
    t.start(loop, 5, tick);
    for (int i = 0; i < 3; i++) {
        timeval::warp(5);
        loop.run_once(0);
    }
    EXPECT_EQ(ticks, 3);
    EXPECT_FALSE(t.pending());
}

/* time/warp answers only after the timers it made due have run; with two
 * arguments it steps, running the timers due at every step. */
TEST_F(EventLoopTest, TimeWarpCommand)
{
    EventLoop loop;
    timeval::register_commands(loop);
    int64_t t0 = timeval::msec();
    std::vector<int64_t> fired_at;
    for (int i = 1; i <= 4; i++) {
        loop.schedule_at(t0 + 250 * i, [&] { fired_at.push_back(timeval::msec() - t0); });
    }

    std::string answer;
    bool answered = false;
    auto run_command = [&](const unixctl::Args &args) {
        answered = false;
        unixctl::dispatch("time/warp", args, unixctl::Reply([&](bool ok, const std::string &text) {
                              answered = true;
                              answer = (ok ? "ok: " : "error: ") + text;
                          }));
        for (int i = 0; i < 100 && !answered; i++) {
            loop.run_once(0);
        }
    };

    run_command({"1000", "250"});
    EXPECT_EQ(answer, "ok: warped\n");
    /* Stepping by 250 ms shows each timer the clock at its own deadline. */
    EXPECT_EQ(fired_at, (std::vector<int64_t>{250, 500, 750, 1000}));

    run_command({"-5"});
    EXPECT_EQ(answer.rfind("error: ", 0), 0u) << answer;
    run_command({"10", "0"});
    EXPECT_EQ(answer.rfind("error: ", 0), 0u) << answer;
    run_command({"abc"});
    EXPECT_EQ(answer.rfind("error: ", 0), 0u) << answer;
    EXPECT_EQ(timeval::msec() - t0, 1000) << "failed commands do not warp";

    unixctl::unregister_command("time/warp");
    unixctl::unregister_command("time/stop");
    unixctl::unregister_command("time/resume");
}

}  // namespace
}  // namespace braid
