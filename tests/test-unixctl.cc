/* Unit tests for the unixctl command registry and Reply (lib/unixctl.cc).
 * No sockets: commands run through unixctl::dispatch(). */
#include <config.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lib/unixctl.h"
#include "tests/test-util.h"

namespace braid {
namespace {

using test::Answer;
using test::Answers;
using test::call;
using unixctl::Args;
using unixctl::Reply;

/* A handler that answers with its arguments joined by commas. */
void echo_handler(const Args &args, const Reply &reply)
{
    std::string text;
    for (const std::string &arg : args) {
        text += (text.empty() ? "" : ",") + arg;
    }
    reply.ok(text);
}

/* Registers the test commands of one test and removes them again. */
class UnixctlTest : public testing::Test {
protected:
    void TearDown() override
    {
        for (const std::string &name : registered_) {
            unixctl::unregister_command(name);
        }
    }

    void add(const std::string &name, const std::string &usage, int min_args, int max_args,
             unixctl::Handler handler = echo_handler, bool hidden = false)
    {
        if (hidden) {
            unixctl::register_hidden_command(name, usage, min_args, max_args,
                                             std::move(handler));
        } else {
            unixctl::register_command(name, usage, min_args, max_args, std::move(handler));
        }
        registered_.push_back(name);
    }

    std::vector<std::string> registered_;
};

TEST_F(UnixctlTest, UnknownCommand)
{
    EXPECT_EQ(call("test/no-such-command", {}),
              Answer(false, "\"test/no-such-command\" is not a valid command (use "
                            "\"list-commands\" to see a list of valid commands)\n"));
}

TEST_F(UnixctlTest, ArgumentsArePassedThrough)
{
    add("test/echo", "[ARG]...", 0, 5);
    EXPECT_EQ(call("test/echo", {}), Answer(true, ""));
    EXPECT_EQ(call("test/echo", {"a"}), Answer(true, "a\n"));
    EXPECT_EQ(call("test/echo", {"a", "b c", ""}), Answer(true, "a,b c,\n"));
}

TEST_F(UnixctlTest, TooFewArguments)
{
    add("test/one", "ARG", 1, 1);
    add("test/two", "A B [C]", 2, 3);
    EXPECT_EQ(call("test/one", {}),
              Answer(false, "\"test/one\" command requires at least 1 argument\n"));
    EXPECT_EQ(call("test/two", {}),
              Answer(false, "\"test/two\" command requires at least 2 arguments\n"));
    EXPECT_EQ(call("test/two", {"a"}),
              Answer(false, "\"test/two\" command requires at least 2 arguments\n"));
    EXPECT_EQ(call("test/two", {"a", "b"}), Answer(true, "a,b\n"));
}

TEST_F(UnixctlTest, TooManyArguments)
{
    add("test/zero", "", 0, 0);
    add("test/one", "ARG", 1, 1);
    add("test/two", "A B [C]", 2, 3);
    EXPECT_EQ(call("test/zero", {"x"}),
              Answer(false, "\"test/zero\" command takes at most 0 arguments\n"));
    EXPECT_EQ(call("test/one", {"x", "y"}),
              Answer(false, "\"test/one\" command takes at most 1 argument\n"));
    EXPECT_EQ(call("test/two", {"a", "b", "c", "d"}),
              Answer(false, "\"test/two\" command takes at most 3 arguments\n"));
    EXPECT_EQ(call("test/two", {"a", "b", "c"}), Answer(true, "a,b,c\n"));
}

TEST_F(UnixctlTest, RegisterAgainReplacesAndUnregisterRemoves)
{
    add("test/replace", "OLD", 0, 0);
    add("test/replace", "NEW", 1, 1, [](const Args &, const Reply &reply) {
        reply.ok("new handler");
    });
    ASSERT_EQ(unixctl::commands().count("test/replace"), 1u);
    EXPECT_EQ(unixctl::commands().at("test/replace").usage, "NEW");
    EXPECT_EQ(unixctl::commands().at("test/replace").min_args, 1);
    EXPECT_EQ(unixctl::commands().at("test/replace").max_args, 1);
    EXPECT_FALSE(unixctl::commands().at("test/replace").hidden);
    EXPECT_EQ(call("test/replace", {"x"}), Answer(true, "new handler\n"));

    unixctl::unregister_command("test/replace");
    EXPECT_EQ(unixctl::commands().count("test/replace"), 0u);
    EXPECT_FALSE(call("test/replace", {"x"}).first);
    unixctl::unregister_command("test/replace");     /* Not registered: no effect. */
}

TEST_F(UnixctlTest, ListCommandsFormat)
{
    unixctl::register_builtin_commands("test version");
    add("test/list-a", "ARG", 1, 1);
    add("test/list-b", "", 0, 0);
    add("test/a-name-longer-than-23-columns", "[X]", 0, 1);
    add("test/list-hidden", "SECRET", 0, 0, echo_handler, true);

    Answer answer = call("list-commands", {});
    ASSERT_TRUE(answer.first);
    const std::string &text = answer.second;

    /* The lines of our commands, padded by hand to 23 columns. */
    EXPECT_NE(text.find("\n  test/list-a             ARG\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\n  test/list-b             \n"), std::string::npos) << text;
    EXPECT_NE(text.find("\n  test/a-name-longer-than-23-columns [X]\n"), std::string::npos)
        << text;
    EXPECT_EQ(text.find("test/list-hidden"), std::string::npos) << "hidden commands stay hidden";
    EXPECT_EQ(call("test/list-hidden", {}), Answer(true, "")) << "but can be run";

    /* The whole text: the heading, then every visible command in name order. */
    std::string expected = "The available commands are:\n";
    for (const auto &[name, command] : unixctl::commands()) {
        if (command.hidden) {
            continue;
        }
        std::string padded = name;
        if (padded.size() < 23) {
            padded.append(23 - padded.size(), ' ');
        }
        expected += "  " + padded + " " + command.usage + "\n";
    }
    EXPECT_EQ(text, expected);
    EXPECT_NE(text.find("  list-commands           \n"), std::string::npos);
    EXPECT_NE(text.find("  version                 \n"), std::string::npos);

    /* Name order, checked on the lines themselves. */
    std::vector<std::string> names;
    size_t pos = text.find('\n') + 1;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        std::string line = text.substr(pos, end - pos);
        names.push_back(line.substr(2, line.find(' ', 2) - 2));
        pos = end + 1;
    }
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    EXPECT_EQ(call("list-commands", {"x"}),
              Answer(false, "\"list-commands\" command takes at most 0 arguments\n"));
}

TEST_F(UnixctlTest, Version)
{
    unixctl::register_builtin_commands("braid-test (Open vSwitch) 9.9.9\nmore");
    EXPECT_EQ(call("version", {}), Answer(true, "braid-test (Open vSwitch) 9.9.9\nmore\n"));
    unixctl::register_builtin_commands("v2\n");
    EXPECT_EQ(call("version", {}), Answer(true, "v2\n"));
}

TEST(UnixctlReply, FirstAnswerWins)
{
    Answers answers;
    {
        Reply reply = answers.reply();
        Reply copy = reply;
        EXPECT_FALSE(reply.answered());
        EXPECT_FALSE(copy.answered());
        reply.ok("first");
        EXPECT_TRUE(reply.answered());
        EXPECT_TRUE(copy.answered()) << "copies share one answer";
        copy.error("second");
        reply.ok("third");
    }
    ASSERT_EQ(answers.list.size(), 1u) << "no internal error after an answer either";
    EXPECT_EQ(answers.list[0], Answer(true, "first\n"));

    Answers errors;
    {
        Reply reply = errors.reply();
        reply.error("bad");
        reply.ok("good");
    }
    ASSERT_EQ(errors.list.size(), 1u);
    EXPECT_EQ(errors.list[0], Answer(false, "bad\n"));
}

TEST(UnixctlReply, NewlineHandling)
{
    Answers answers;
    answers.reply().ok("no newline");
    answers.reply().ok("has newline\n");
    answers.reply().ok("two lines\nsecond");
    answers.reply().ok("");
    answers.reply().ok();
    answers.reply().error("error text");
    answers.reply().error("error text\n");
    std::vector<Answer> expected = {
        {true, "no newline\n"}, {true, "has newline\n"}, {true, "two lines\nsecond\n"},
        {true, ""},           {true, ""},              {false, "error text\n"},
        {false, "error text\n"},
    };
    EXPECT_EQ(answers.list, expected);
}

TEST(UnixctlReply, DroppedWithoutAnswer)
{
    Answers answers;
    {
        Reply reply = answers.reply();
        {
            Reply copy = reply;
        }
        EXPECT_TRUE(answers.list.empty()) << "another copy can still answer";
    }
    ASSERT_EQ(answers.list.size(), 1u);
    EXPECT_EQ(answers.list[0],
              Answer(false, "command finished without answering (internal error)\n"));
}

TEST_F(UnixctlTest, DeferredAnswer)
{
    std::vector<Reply> pending;
    add("test/later", "", 0, 0, [&pending](const Args &, const Reply &reply) {
        pending.push_back(reply);
    });
    Answers answers;
    unixctl::dispatch("test/later", {}, answers.reply());
    EXPECT_TRUE(answers.list.empty()) << "a kept Reply has not answered yet";
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_FALSE(pending[0].answered());
    pending[0].ok("done");
    ASSERT_EQ(answers.list.size(), 1u);
    EXPECT_EQ(answers.list[0], Answer(true, "done\n"));

    /* A handler that neither answers nor keeps its Reply. */
    add("test/forgets", "", 0, 0, [](const Args &, const Reply &) {});
    EXPECT_EQ(call("test/forgets", {}),
              Answer(false, "command finished without answering (internal error)\n"));
}

TEST_F(UnixctlTest, HandlerReregistersItself)
{
    /* The handler owns heap memory (a long string) through its capture;
     * replacing the command destroys the registered copy of the handler, so
     * the running handler must still be valid (AddressSanitizer checks). */
    auto greeting = std::make_shared<std::string>(200, 'g');
    std::string captured(100, 'c');
    add("test/self", "", 0, 0, [captured, greeting](const Args &, const Reply &reply) {
        unixctl::register_command("test/self", "REPLACED", 0, 1,
                                  [](const Args &, const Reply &r) { r.ok("second"); });
        reply.ok(captured + *greeting);
    });
    EXPECT_EQ(call("test/self", {}), Answer(true, std::string(100, 'c') + std::string(200, 'g')
                                                      + "\n"));
    EXPECT_EQ(unixctl::commands().at("test/self").usage, "REPLACED");
    EXPECT_EQ(call("test/self", {"x"}), Answer(true, "second\n"));

    add("test/gone", "", 0, 0, [captured](const Args &, const Reply &reply) {
        unixctl::unregister_command("test/gone");
        reply.ok(captured);
    });
    EXPECT_EQ(call("test/gone", {}), Answer(true, std::string(100, 'c') + "\n"));
    EXPECT_EQ(unixctl::commands().count("test/gone"), 0u);
}

}  // namespace
}  // namespace braid
