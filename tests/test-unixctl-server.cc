/* Unit tests for the unixctl server (lib/unixctl-server.cc) over a real
 * socket, and for pidfiles (lib/daemon.cc). */
#include <config.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/daemon.h"
#include "lib/event-loop.h"
#include "lib/jsonrpc.h"
#include "lib/stream.h"
#include "lib/unixctl-server.h"
#include "lib/unixctl.h"
#include "tests/test-util.h"

namespace braid {
namespace {

using nlohmann::json;

class UnixctlServerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir_template[] = "/tmp/braid-unixctl.XXXXXX";
        ASSERT_NE(mkdtemp(dir_template), nullptr);
        dir_ = dir_template;
        path_ = dir_ + "/test.ctl";
        std::string error;
        server_ = UnixctlServer::create(loop_, path_, &error);
        ASSERT_TRUE(server_) << error;

        unixctl::register_command("test/echo", "ARG...", 0, 3,
                                  [](const unixctl::Args &args, const unixctl::Reply &reply) {
                                      std::string text;
                                      for (const auto &a : args) {
                                          text += a + ";";
                                      }
                                      reply.ok(text);
                                  });
        unixctl::register_command("test/fail", "", 0, 0,
                                  [](const unixctl::Args &, const unixctl::Reply &reply) {
                                      reply.error("it failed");
                                  });
        unixctl::register_command("test/later", "", 0, 0,
                                  [this](const unixctl::Args &, const unixctl::Reply &reply) {
                                      deferred_.push_back(reply);
                                  });
    }

    void TearDown() override
    {
        deferred_.clear();
        client_.reset();
        server_.reset();
        unixctl::unregister_command("test/echo");
        unixctl::unregister_command("test/fail");
        unixctl::unregister_command("test/later");
        rmdir(dir_.c_str());
    }

    void connect_client()
    {
        std::string error;
        auto stream = Stream::open("unix:" + path_, &error);
        ASSERT_TRUE(stream) << error;
        client_ = std::make_unique<JsonRpcConnection>(
            loop_, std::move(stream), [this](JsonRpcMessage &&m) { replies_.push_back(m); },
            [this](const std::string &reason) { closed_ = reason; });
    }

    /* Sends one request and waits for its answer. */
    JsonRpcMessage call(const std::string &method, json params, json id = 1)
    {
        size_t before = replies_.size();
        client_->send(JsonRpcMessage::request(method, std::move(params), id));
        EXPECT_TRUE(test::run_until(loop_, [&] { return replies_.size() > before; }));
        return replies_.empty() ? JsonRpcMessage{} : replies_.back();
    }

    EventLoop loop_;
    std::string dir_, path_;
    std::unique_ptr<UnixctlServer> server_;
    std::unique_ptr<JsonRpcConnection> client_;
    std::vector<JsonRpcMessage> replies_;
    std::vector<unixctl::Reply> deferred_;
    std::string closed_;
};

TEST_F(UnixctlServerTest, RepliesAndErrors)
{
    connect_client();
    JsonRpcMessage r = call("test/echo", json::array({"a", "b"}), 17);
    EXPECT_EQ(r.type, JsonRpcMessage::Type::kReply);
    EXPECT_EQ(r.result, "a;b;\n");
    EXPECT_EQ(r.id, 17);

    r = call("test/fail", json::array(), "x");
    EXPECT_EQ(r.type, JsonRpcMessage::Type::kError);
    EXPECT_EQ(r.error, "it failed\n");
    EXPECT_EQ(r.id, "x");

    r = call("no/such", json::array());
    EXPECT_EQ(r.error, "\"no/such\" is not a valid command (use \"list-commands\" to see a "
                       "list of valid commands)\n");
    r = call("test/echo", json::array({"1", "2", "3", "4"}));
    EXPECT_EQ(r.error, "\"test/echo\" command takes at most 3 arguments\n");
    r = call("test/echo", json::array({1}));
    EXPECT_EQ(r.error, "\"test/echo\" command has non-string argument: 1\n");
    EXPECT_TRUE(closed_.empty()) << "errors keep the connection";
}

TEST_F(UnixctlServerTest, OneRequestAtATimePerConnection)
{
    connect_client();
    client_->send(JsonRpcMessage::request("test/later", json::array(), 1));
    client_->send(JsonRpcMessage::request("test/echo", json::array({"second"}), 2));
    ASSERT_TRUE(test::run_until(loop_, [&] { return deferred_.size() == 1; }));
    for (int i = 0; i < 5; i++) {
        loop_.run_once(10);
    }
    EXPECT_TRUE(replies_.empty()) << "the second waits for the first answer";

    deferred_[0].ok("first");
    ASSERT_TRUE(test::run_until(loop_, [&] { return replies_.size() == 2; }));
    EXPECT_EQ(replies_[0].id, 1);
    EXPECT_EQ(replies_[0].result, "first\n");
    EXPECT_EQ(replies_[1].id, 2);
    EXPECT_EQ(replies_[1].result, "second;\n");
}

TEST_F(UnixctlServerTest, NonRequestClosesConnectionOnly)
{
    connect_client();
    client_->send(JsonRpcMessage::notify("test/echo", json::array()));
    ASSERT_TRUE(test::run_until(loop_, [&] { return !closed_.empty(); }));
    EXPECT_TRUE(replies_.empty());
    /* The server still serves new clients. */
    closed_.clear();
    connect_client();
    EXPECT_EQ(call("test/echo", json::array({"ok"})).result, "ok;\n");
}

TEST_F(UnixctlServerTest, GarbageClosesConnectionOnly)
{
    std::string error;
    auto raw = Stream::open("unix:" + path_, &error);
    ASSERT_TRUE(raw) << error;
    ASSERT_TRUE(test::run_until(loop_, [&] { return server_->n_connections() == 1; }));
    ASSERT_EQ(raw->send("{\"method\":", 10), 10);
    ASSERT_EQ(raw->send("]]]", 3), 3);
    ASSERT_TRUE(test::run_until(loop_, [&] { return server_->n_connections() == 0; }));
    connect_client();
    EXPECT_EQ(call("test/echo", json::array()).result, "");
}

TEST_F(UnixctlServerTest, AnswerAfterClientLeftIsDropped)
{
    connect_client();
    client_->send(JsonRpcMessage::request("test/later", json::array(), 1));
    ASSERT_TRUE(test::run_until(loop_, [&] { return deferred_.size() == 1; }));
    client_.reset();
    ASSERT_TRUE(test::run_until(loop_, [&] { return server_->n_connections() == 0; }));
    deferred_[0].ok("nobody listens");      /* Must not crash. */
    loop_.run_once(0);
}

TEST_F(UnixctlServerTest, UnlinkPathKeepsConnections)
{
    connect_client();
    server_->unlink_path();
    EXPECT_NE(access(path_.c_str(), F_OK), 0);
    EXPECT_EQ(call("test/echo", json::array({"still"})).result, "still;\n");
}

TEST_F(UnixctlServerTest, DefaultPathNamesProgramAndPid)
{
    std::string path = UnixctlServer::default_path("ovs-vswitchd");
    std::string suffix = "/ovs-vswitchd." + std::to_string(getpid()) + ".ctl";
    ASSERT_GE(path.size(), suffix.size());
    EXPECT_EQ(path.substr(path.size() - suffix.size()), suffix);
}

/* Pidfiles: a child process locks the file the way the daemon does, and
 * read_pidfile() tells live, stale and foreign files apart. */
class PidfileTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir_template[] = "/tmp/braid-pidfile.XXXXXX";
        ASSERT_NE(mkdtemp(dir_template), nullptr);
        dir_ = dir_template;
        path_ = dir_ + "/test.pid";
    }
    void TearDown() override
    {
        if (child_ > 0) {
            kill(child_, SIGKILL);
            waitpid(child_, nullptr, 0);
        }
        unlink(path_.c_str());
        rmdir(dir_.c_str());
    }

    /* Forks a child that writes 'contents' (with its own pid if empty) to the
     * pidfile, locks it and waits to be killed. */
    void start_holder(const std::string &contents = "")
    {
        int ready[2];
        ASSERT_EQ(pipe(ready), 0);
        child_ = fork();
        ASSERT_GE(child_, 0);
        if (child_ == 0) {
            int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
            std::string text = contents.empty() ? std::to_string(getpid()) + "\n" : contents;
            struct flock lck {};
            lck.l_type = F_WRLCK;
            lck.l_whence = SEEK_SET;
            if (fd < 0 || write(fd, text.data(), text.size()) < 0
                || fcntl(fd, F_SETLK, &lck) < 0) {
                _exit(1);
            }
            char byte = 1;
            if (write(ready[1], &byte, 1) != 1) {
                _exit(1);
            }
            pause();
            _exit(0);
        }
        close(ready[1]);
        char byte;
        ASSERT_EQ(read(ready[0], &byte, 1), 1);
        close(ready[0]);
    }

    void stop_holder()
    {
        kill(child_, SIGKILL);
        waitpid(child_, nullptr, 0);
        child_ = -1;
    }

    std::string dir_, path_;
    pid_t child_ = -1;
};

TEST_F(PidfileTest, LiveStaleMissingAndForeign)
{
    std::string error;
    EXPECT_FALSE(daemon::read_pidfile(path_, &error));
    EXPECT_NE(error.find("No such file"), std::string::npos) << error;

    start_holder();
    std::optional<pid_t> pid = daemon::read_pidfile(path_, &error);
    ASSERT_TRUE(pid) << error;
    EXPECT_EQ(*pid, child_);

    stop_holder();
    EXPECT_FALSE(daemon::read_pidfile(path_, &error)) << "the lock died with the process";
    EXPECT_NE(error.find("stale"), std::string::npos) << error;

    /* Locked, but by a process other than the one named inside. */
    start_holder("1\n");
    EXPECT_FALSE(daemon::read_pidfile(path_, &error));
    EXPECT_NE(error.find("holds pid 1"), std::string::npos) << error;
    stop_holder();

    start_holder("not a pid\n");
    EXPECT_FALSE(daemon::read_pidfile(path_, &error));
    EXPECT_NE(error.find("does not hold a pid"), std::string::npos) << error;
}

}  // namespace
}  // namespace braid
