/* Unit tests for the coverage counters (lib/coverage.cc). */
#include <config.h>

#include <algorithm>
#include <future>
#include <latch>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lib/coverage.h"
#include "lib/event-loop.h"
#include "lib/timeval.h"
#include "lib/unixctl.h"
#include "tests/test-util.h"

/* Each counter is used by one test only, so tests do not depend on their
 * order. */
BRAID_COVERAGE_DEFINE(cov_test_basic);
BRAID_COVERAGE_DEFINE(cov_test_threads);
BRAID_COVERAGE_DEFINE(cov_test_dup);
BRAID_COVERAGE_DEFINE(cov_test_never_hit);
BRAID_COVERAGE_DEFINE(cov_test_late);
BRAID_COVERAGE_DEFINE(cov_test_sorted_b);
BRAID_COVERAGE_DEFINE(cov_test_sorted_a);
BRAID_COVERAGE_DEFINE(cov_test_rate);
BRAID_COVERAGE_DEFINE(cov_test_phase);
BRAID_COVERAGE_DEFINE(cov_test_timer);
BRAID_COVERAGE_DEFINE(cov_test_cmd);

/* A second counter of the same name, as another file would define it. */
static const ::braid::coverage::Counter cov_test_dup_again("cov_test_dup");

namespace braid {
namespace {

using test::Answer;
using test::call;
using test::split_lines;

/* The whitespace-separated fields of the coverage/show line of 'name', or
 * nothing if it has no line. */
std::vector<std::string> show_fields(const std::string &text, const std::string &name)
{
    for (const std::string &line : split_lines(text)) {
        if (line.rfind(name + " ", 0) == 0) {
            std::vector<std::string> fields;
            std::istringstream in(line);
            for (std::string field; in >> field;) {
                fields.push_back(field);
            }
            return fields;
        }
    }
    return {};
}

/* The number of the "N events never hit" line of 'text', or -1. */
long never_hit(const std::string &text)
{
    std::vector<std::string> lines = split_lines(text);
    if (lines.empty()) {
        return -1;
    }
    const std::string &last = lines.back();
    const std::string suffix = " events never hit";
    if (last.size() <= suffix.size()
        || last.compare(last.size() - suffix.size(), suffix.size(), suffix) != 0) {
        return -1;
    }
    return std::stol(last.substr(0, last.size() - suffix.size()));
}

TEST(Coverage, IncAndAdd)
{
    EXPECT_EQ(cov_test_basic_coverage.total(), 0u);
    EXPECT_EQ(coverage::read_counter("cov_test_basic"), 0u);
    COVERAGE_INC(cov_test_basic);
    COVERAGE_INC(cov_test_basic);
    COVERAGE_ADD(cov_test_basic, 40);
    cov_test_basic_coverage.add(0);
    EXPECT_EQ(cov_test_basic_coverage.total(), 42u);
    EXPECT_EQ(coverage::read_counter("cov_test_basic"), 42u);
    EXPECT_STREQ(cov_test_basic_coverage.name(), "cov_test_basic");
}

TEST(Coverage, ReadUnknownCounter)
{
    EXPECT_EQ(coverage::read_counter("cov_test_no_such_counter"), std::nullopt);
    EXPECT_EQ(coverage::read_counter(""), std::nullopt);
    EXPECT_EQ(coverage::read_counter("cov_test_basi"), std::nullopt) << "no prefix match";
}

TEST(Coverage, SameNameSharesCounter)
{
    COVERAGE_INC(cov_test_dup);
    cov_test_dup_again.add(2);
    EXPECT_EQ(cov_test_dup_coverage.total(), 3u);
    EXPECT_EQ(cov_test_dup_again.total(), 3u);
    EXPECT_EQ(coverage::read_counter("cov_test_dup"), 3u);

    /* One line in coverage/show, not two. */
    std::string text = coverage::show();
    size_t first = text.find("\ncov_test_dup ");
    ASSERT_NE(first, std::string::npos) << text;
    EXPECT_EQ(text.find("\ncov_test_dup ", first + 1), std::string::npos) << text;
    std::vector<std::string> fields = show_fields(text, "cov_test_dup");
    ASSERT_EQ(fields.size(), 6u);
    EXPECT_EQ(fields[5], "3");
}

TEST(Coverage, TotalsOverThreads)
{
    /* Threads that add and exit: their totals are kept. */
    std::vector<std::thread> exited;
    for (int i = 0; i < 3; i++) {
        exited.emplace_back([] {
            for (int j = 0; j < 1000; j++) {
                COVERAGE_INC(cov_test_threads);
            }
        });
    }
    for (std::thread &t : exited) {
        t.join();
    }
    EXPECT_EQ(coverage::read_counter("cov_test_threads"), 3000u);

    /* Threads that are still running when the total is read. */
    std::latch added(2);
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::vector<std::thread> running;
    for (int i = 0; i < 2; i++) {
        running.emplace_back([&added, released] {
            COVERAGE_ADD(cov_test_threads, 500);
            added.count_down();
            released.wait();
        });
    }
    added.wait();
    EXPECT_EQ(cov_test_threads_coverage.total(), 4000u);
    COVERAGE_ADD(cov_test_threads, 7);
    EXPECT_EQ(coverage::read_counter("cov_test_threads"), 4007u);
    release.set_value();
    for (std::thread &t : running) {
        t.join();
    }
    EXPECT_EQ(coverage::read_counter("cov_test_threads"), 4007u) << "after they exited too";

    std::string text = coverage::show();
    std::vector<std::string> fields = show_fields(text, "cov_test_threads");
    ASSERT_EQ(fields.size(), 6u) << text;
    EXPECT_EQ(fields[4], "total:");
    EXPECT_EQ(fields[5], "4007");
}

TEST(Coverage, ShowListsHitCountersAndCountsTheRest)
{
    std::string before = coverage::show();
    std::vector<std::string> lines = split_lines(before);
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(lines[0], "Event coverage, avg rate over last: 5 seconds, last minute, last hour:");
    long never_before = never_hit(before);
    ASSERT_GE(never_before, 2) << "at least cov_test_never_hit and cov_test_late\n" << before;
    EXPECT_TRUE(show_fields(before, "cov_test_never_hit").empty());
    EXPECT_TRUE(show_fields(before, "cov_test_late").empty());
    EXPECT_EQ(before.find("cov_test_never_hit"), std::string::npos);

    COVERAGE_ADD(cov_test_late, 5);
    std::string after = coverage::show();
    EXPECT_EQ(never_hit(after), never_before - 1) << after;
    std::vector<std::string> fields = show_fields(after, "cov_test_late");
    ASSERT_EQ(fields.size(), 6u) << after;
    EXPECT_EQ(fields[4], "total:");
    EXPECT_EQ(fields[5], "5");
    for (int i = 1; i <= 3; i++) {
        EXPECT_EQ(fields[i].substr(fields[i].size() - 4), "/sec") << fields[i];
    }
    EXPECT_TRUE(show_fields(after, "cov_test_never_hit").empty());
    EXPECT_EQ(split_lines(after).size(), split_lines(before).size() + 1);
}

TEST(Coverage, ShowSortedByName)
{
    COVERAGE_INC(cov_test_sorted_b);
    COVERAGE_INC(cov_test_sorted_a);
    std::string text = coverage::show();
    size_t a = text.find("\ncov_test_sorted_a ");
    size_t b = text.find("\ncov_test_sorted_b ");
    ASSERT_NE(a, std::string::npos);
    ASSERT_NE(b, std::string::npos);
    EXPECT_LT(a, b) << "defined b first, listed a first";

    std::vector<std::string> names;
    std::vector<std::string> lines = split_lines(text);
    for (size_t i = 1; i + 1 < lines.size(); i++) {
        names.push_back(lines[i].substr(0, lines[i].find(' ')));
    }
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << text;
}

TEST(Coverage, SampleRates)
{
    /* Bring the sample count to a multiple of 12 (a minute of 5-second
     * samples): the first sample after which an hour rate appears for a
     * fresh counter is the one that closed a minute. */
    COVERAGE_ADD(cov_test_phase, 3600);
    bool aligned = false;
    for (int i = 0; i < 12 && !aligned; i++) {
        coverage::sample();
        std::vector<std::string> fields = show_fields(coverage::show(), "cov_test_phase");
        ASSERT_EQ(fields.size(), 6u);
        aligned = fields[3] != "0.0000/sec";
        if (aligned) {
            /* 3600 events in the last hour = 1 per second. */
            EXPECT_EQ(fields[3], "1.0000/sec");
        }
    }
    ASSERT_TRUE(aligned);

    /* 50 events in one 5-second sample: 50 / 5 s = 10.0/sec, and over the
     * minute 50 / 60 s = 0.8333.../sec; no minute has closed yet. */
    COVERAGE_ADD(cov_test_rate, 50);
    coverage::sample();
    std::vector<std::string> fields = show_fields(coverage::show(), "cov_test_rate");
    std::vector<std::string> expected = {"cov_test_rate", "10.0/sec", "0.833/sec",
                                         "0.0000/sec",    "total:",   "50"};
    EXPECT_EQ(fields, expected);

    /* The next sample saw nothing new. */
    coverage::sample();
    expected = {"cov_test_rate", "0.0/sec", "0.833/sec", "0.0000/sec", "total:", "50"};
    EXPECT_EQ(show_fields(coverage::show(), "cov_test_rate"), expected);

    /* Ten more close the minute: 50 / 3600 s = 0.013888.../sec. */
    for (int i = 0; i < 10; i++) {
        coverage::sample();
    }
    expected = {"cov_test_rate", "0.0/sec", "0.833/sec", "0.0139/sec", "total:", "50"};
    EXPECT_EQ(show_fields(coverage::show(), "cov_test_rate"), expected);

    /* One more starts a new minute, whose window no longer holds the 50. */
    COVERAGE_ADD(cov_test_rate, 3);
    coverage::sample();
    expected = {"cov_test_rate", "0.6/sec", "0.050/sec", "0.0139/sec", "total:", "53"};
    EXPECT_EQ(show_fields(coverage::show(), "cov_test_rate"), expected);
}

TEST(Coverage, SamplingTimerRunsOnTheBraidClock)
{
    timeval::stop();
    {
        EventLoop loop;
        coverage::register_commands(loop);
        EXPECT_EQ(loop.n_timers(), 1u);
        COVERAGE_ADD(cov_test_timer, 25);

        timeval::warp(4999);
        loop.run_once(0);
        std::vector<std::string> fields = show_fields(coverage::show(), "cov_test_timer");
        ASSERT_EQ(fields.size(), 6u);
        EXPECT_EQ(fields[1], "0.0/sec") << "no sample yet";

        timeval::warp(1);
        loop.run_once(0);
        fields = show_fields(coverage::show(), "cov_test_timer");
        ASSERT_EQ(fields.size(), 6u);
        EXPECT_EQ(fields[1], "5.0/sec") << "25 events / 5 s";
        EXPECT_EQ(loop.n_timers(), 1u) << "the sampler re-arms itself";
    }
    timeval::resume();
}

TEST(Coverage, Commands)
{
    EventLoop loop;
    coverage::register_commands(loop);
    COVERAGE_ADD(cov_test_cmd, 3);
    EXPECT_EQ(call("coverage/read-counter", {"cov_test_cmd"}), Answer(true, "3\n"));
    EXPECT_EQ(call("coverage/read-counter", {"cov_test_never_hit"}), Answer(true, "0\n"));
    EXPECT_EQ(call("coverage/read-counter", {"cov_test_nosuch"}),
              Answer(false, "No such counter: \"cov_test_nosuch\"\n"));
    EXPECT_EQ(call("coverage/read-counter", {}),
              Answer(false, "\"coverage/read-counter\" command requires at least 1 argument\n"));
    EXPECT_EQ(call("coverage/read-counter", {"a", "b"}),
              Answer(false, "\"coverage/read-counter\" command takes at most 1 argument\n"));
    Answer show = call("coverage/show", {});
    EXPECT_TRUE(show.first);
    EXPECT_EQ(show.second, coverage::show());
    std::vector<std::string> fields = show_fields(show.second, "cov_test_cmd");
    ASSERT_EQ(fields.size(), 6u);
    EXPECT_EQ(fields[5], "3");
}

}  // namespace
}  // namespace braid
