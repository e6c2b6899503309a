/* Helpers shared by the unit tests that run an event loop, dispatch unixctl
 * commands in-process or check text output line by line. */
#ifndef BRAID_TESTS_TEST_UTIL_H
#define BRAID_TESTS_TEST_UTIL_H 1

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lib/event-loop.h"
#include "lib/unixctl.h"

namespace braid::test {

/* Runs 'loop' until 'done' holds, for at most 'max_iterations' waits of up
 * to 100 ms each, and returns whether 'done' holds at the end.  Meant for
 * tests in which the clock runs (sockets need no warping); with the clock
 * stopped each wait could last the whole 100 ms. */
template <typename Pred>
inline bool run_until(EventLoop &loop, Pred done, int max_iterations = 200)
{
    for (int i = 0; i < max_iterations && !done(); i++) {
        loop.run_once(100);
    }
    return done();
}

/* One answer a unixctl Reply delivered: whether it was a result (true) or an
 * error (false), and its text. */
using Answer = std::pair<bool, std::string>;

/* Records every answer sent through the Replies it makes.  It must outlive
 * those Replies, since they append to it. */
struct Answers {
    /* The answers so far, oldest first. */
    std::vector<Answer> list;

    /* A Reply whose answers are appended to 'list'. */
    unixctl::Reply reply()
    {
        return unixctl::Reply(
            [this](bool ok, const std::string &text) { list.emplace_back(ok, text); });
    }
};

/* Dispatches the unixctl command 'name' with 'args' in-process (no socket)
 * and returns the one answer it produced.  A command that does not answer
 * exactly once before dispatch returns is a test failure; if it gave no
 * answer at all, the result is {false, "<no answer>"}. */
inline Answer call(const std::string &name, const unixctl::Args &args)
{
    Answers answers;
    unixctl::dispatch(name, args, answers.reply());
    EXPECT_EQ(answers.list.size(), 1u) << name;
    return answers.list.empty() ? Answer{false, "<no answer>"} : answers.list[0];
}

/* The lines of 'text', without their newlines.  A last line without a
 * newline counts; an empty text has no lines. */
inline std::vector<std::string> split_lines(const std::string &text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

}  // namespace braid::test

#endif  // BRAID_TESTS_TEST_UTIL_H
