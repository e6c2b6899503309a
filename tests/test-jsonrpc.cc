/* Unit tests for streams (lib/stream.cc) and JSON-RPC connections
 * (lib/jsonrpc.cc) over real sockets. */
#include <config.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/coverage.h"
#include "lib/event-loop.h"
#include "lib/jsonrpc.h"
#include "lib/stream.h"
#include "lib/timeval.h"
#include "tests/test-util.h"

namespace braid {
namespace {

using nlohmann::json;

/* One end of a socketpair as a JsonRpcConnection, the other as a raw fd
 * the test writes to and reads from. */
class JsonRpcPair : public ::testing::Test {
protected:
    void SetUp() override
    {
        int fds[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        raw_ = fds[1];
        conn_ = std::make_unique<JsonRpcConnection>(
            loop_, Stream::from_fd("unix:pair", fds[0]),
            [this](JsonRpcMessage &&msg) { received_.push_back(std::move(msg)); },
            [this](const std::string &reason) { close_reasons_.push_back(reason); });
    }

    void TearDown() override
    {
        conn_.reset();
        close(raw_);
    }

    void raw_write(const std::string &bytes)
    {
        ASSERT_EQ(write(raw_, bytes.data(), bytes.size()), ssize_t(bytes.size()));
    }

    /* Reads what the connection sent, waiting for at least 'min' bytes. */
    std::string raw_read(size_t min)
    {
        std::string out;
        test::run_until(loop_, [&] {
            char buf[4096];
            ssize_t n = recv(raw_, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                out.append(buf, n);
            }
            return out.size() >= min;
        });
        return out;
    }

    EventLoop loop_;
    int raw_ = -1;
    std::unique_ptr<JsonRpcConnection> conn_;
    std::vector<JsonRpcMessage> received_;
    std::vector<std::string> close_reasons_;
};

TEST_F(JsonRpcPair, ReceivesConcatenatedMessagesSplitAnywhere)
{
    std::string stream =
        R"({"method":"a","params":[1],"id":1} {"method":"b","params":["}{"],"id":null})"
        R"({"id":7,"result":{"x":[1,2]},"error":null})";
    /* Every split point, two writes, same three messages. */
    for (size_t cut = 0; cut <= stream.size(); cut += 7) {
        received_.clear();
        raw_write(stream.substr(0, cut));
        loop_.run_once(0);
        raw_write(stream.substr(cut));
        ASSERT_TRUE(test::run_until(loop_, [&] { return received_.size() == 3; })) << cut;
        EXPECT_EQ(received_[0].type, JsonRpcMessage::Type::kRequest);
        EXPECT_EQ(received_[0].method, "a");
        EXPECT_EQ(received_[1].type, JsonRpcMessage::Type::kNotify);
        EXPECT_EQ(received_[1].params, json::array({"}{"}));
        EXPECT_EQ(received_[2].type, JsonRpcMessage::Type::kReply);
        EXPECT_EQ(received_[2].result, json({{"x", {1, 2}}}));
    }
    EXPECT_TRUE(close_reasons_.empty());
}

TEST_F(JsonRpcPair, OneByteAtATime)
{
    std::string msg = R"({"method":"list-commands","params":[],"id":0})";
    for (char c : msg) {
        raw_write(std::string(1, c));
        loop_.run_once(0);
    }
    ASSERT_TRUE(test::run_until(loop_, [&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].method, "list-commands");
    EXPECT_EQ(received_[0].id, 0);
}

TEST_F(JsonRpcPair, SendsCompactFraming)
{
    JsonRpcMessage a = JsonRpcMessage::request("echo", json::array({"x"}), 5);
    JsonRpcMessage b = JsonRpcMessage::reply("ok\n", "abc");
    conn_->send(a);
    conn_->send(b);
    std::string expected = a.to_text() + b.to_text();
    /* Two compact values back to back: no length, no separator. */
    EXPECT_EQ(raw_read(expected.size()), expected);
    EXPECT_EQ(expected.find('\n'), std::string::npos);
    EXPECT_EQ(conn_->backlog(), 0u);
}

TEST_F(JsonRpcPair, AnswersEchoItselfAndSwallowsEchoReplies)
{
    raw_write(R"({"method":"echo","params":["ping",1],"id":"e1"})");
    raw_write(R"({"id":"echo","result":[],"error":null})");
    std::string out = raw_read(10);
    json reply = json::parse(out);
    EXPECT_EQ(reply["id"], "e1");
    EXPECT_EQ(reply["result"], json::array({"ping", 1}));
    EXPECT_TRUE(reply["error"].is_null());
    loop_.run_once(0);
    EXPECT_TRUE(received_.empty()) << "echo traffic is not delivered";
}

TEST_F(JsonRpcPair, InvalidJsonClosesWithReason)
{
    uint64_t before = *coverage::read_counter("jsonrpc_close_bad_json");
    raw_write(R"({"method":"a","params":[],"id":1}{"bad":})");
    ASSERT_TRUE(test::run_until(loop_, [&] { return !close_reasons_.empty(); }));
    ASSERT_EQ(received_.size(), 1u) << "the good message before the garbage arrives";
    EXPECT_NE(close_reasons_[0].find("invalid JSON"), std::string::npos) << close_reasons_[0];
    EXPECT_TRUE(conn_->is_closed());
    EXPECT_EQ(*coverage::read_counter("jsonrpc_close_bad_json"), before + 1);
}

TEST_F(JsonRpcPair, NonObjectStreamCloses)
{
    raw_write("42 ");
    ASSERT_TRUE(test::run_until(loop_, [&] { return !close_reasons_.empty(); }));
    EXPECT_NE(close_reasons_[0].find("object or an array"), std::string::npos)
        << close_reasons_[0];
}

TEST_F(JsonRpcPair, InvalidMessageClosesWithReason)
{
    uint64_t before = *coverage::read_counter("jsonrpc_close_bad_message");
    raw_write(R"({"method":"a","params":{},"id":1})");
    ASSERT_TRUE(test::run_until(loop_, [&] { return !close_reasons_.empty(); }));
    EXPECT_EQ(close_reasons_[0].rfind("invalid JSON-RPC message: ", 0), 0u)
        << close_reasons_[0];
    EXPECT_TRUE(received_.empty());
    EXPECT_EQ(*coverage::read_counter("jsonrpc_close_bad_message"), before + 1);
}

TEST_F(JsonRpcPair, PeerCloseIsReportedOnce)
{
    close(raw_);
    raw_ = open("/dev/null", O_RDONLY);     /* TearDown closes something. */
    ASSERT_TRUE(test::run_until(loop_, [&] { return !close_reasons_.empty(); }));
    EXPECT_EQ(close_reasons_, std::vector<std::string>{"connection closed by peer"});
    loop_.run_once(0);
    conn_->send(JsonRpcMessage::notify("x", json::array()));   /* Ignored. */
    EXPECT_EQ(close_reasons_.size(), 1u);
}

TEST_F(JsonRpcPair, PausedConnectionHoldsMessages)
{
    conn_->pause_receiving(true);
    raw_write(R"({"method":"a","params":[],"id":1}{"method":"b","params":[],"id":2})");
    for (int i = 0; i < 5; i++) {
        loop_.run_once(10);
    }
    EXPECT_TRUE(received_.empty());
    conn_->pause_receiving(false);
    ASSERT_TRUE(test::run_until(loop_, [&] { return received_.size() == 2; }));
    EXPECT_EQ(received_[0].method, "a");
    EXPECT_EQ(received_[1].method, "b");
}

TEST_F(JsonRpcPair, InactivityProbeOnWarpedClock)
{
    timeval::stop();
    conn_->set_probe_interval(5000);
    timeval::warp(5000);
    std::string out = raw_read(10);
    json probe = json::parse(out);
    EXPECT_EQ(probe["method"], "echo");
    EXPECT_EQ(probe["id"], "echo");

    /* Answering keeps the connection. */
    raw_write(R"({"id":"echo","result":[],"error":null})");
    test::run_until(loop_, [&] { return false; }, 3);
    timeval::warp(4999);
    loop_.run_once(0);
    EXPECT_TRUE(close_reasons_.empty());

    /* Silence for two intervals closes it. */
    timeval::warp(1);
    raw_read(10);       /* The second probe. */
    timeval::warp(5000);
    ASSERT_TRUE(test::run_until(loop_, [&] { return !close_reasons_.empty(); }, 10));
    EXPECT_EQ(close_reasons_[0], "no response to inactivity probe");
    timeval::resume();
}

TEST(Stream, UnixConnectAcceptAndBadNames)
{
    char dir_template[] = "/tmp/braid-stream.XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    std::string path = std::string(dir_template) + "/s.sock";
    std::string error;

    auto listener = PassiveStream::open("punix:" + path, &error);
    ASSERT_TRUE(listener) << error;
    EXPECT_EQ(access(path.c_str(), F_OK), 0);
    auto client = Stream::open("unix:" + path, &error);
    ASSERT_TRUE(client) << error;
    int err = 0;
    std::unique_ptr<Stream> server;
    for (int i = 0; i < 100 && !server; i++) {
        server = listener->accept(&err);
    }
    ASSERT_TRUE(server) << err;
    EXPECT_EQ(client->connect_status(), 0);
    EXPECT_FALSE(client->needs_probes());
    EXPECT_EQ(client->send("hi", 2), 2);
    char buf[8];
    ssize_t n = -EAGAIN;
    for (int i = 0; i < 100 && n == -EAGAIN; i++) {
        n = server->recv(buf, sizeof buf);
    }
    EXPECT_EQ(n, 2);
    EXPECT_EQ(server->bytes_received(), 2u);
    EXPECT_EQ(client->bytes_sent(), 2u);
    client.reset();
    n = -EAGAIN;
    for (int i = 0; i < 100 && n == -EAGAIN; i++) {
        n = server->recv(buf, sizeof buf);
    }
    EXPECT_EQ(n, 0) << "end of stream";

    listener.reset();
    EXPECT_NE(access(path.c_str(), F_OK), 0) << "punix socket removed";
    client = Stream::open("unix:" + path, &error);
    EXPECT_FALSE(client);
    EXPECT_NE(error.find("No such file"), std::string::npos) << error;

    EXPECT_FALSE(Stream::open("carrier-pigeon:x", &error));
    EXPECT_NE(error.find("unknown stream type"), std::string::npos) << error;
    EXPECT_FALSE(Stream::open("tcp:1.2.3.4", &error));
    EXPECT_FALSE(Stream::open("tcp:1.2.3.4:99999", &error));
    EXPECT_FALSE(Stream::open("tcp:not-an-ip:80", &error));
    EXPECT_FALSE(PassiveStream::open("ptcp:x", &error));
    EXPECT_FALSE(PassiveStream::open("pudp:1", &error));
    rmdir(dir_template);
}

TEST(Stream, LongUnixPathWorks)
{
    /* sun_path holds 108 bytes; longer paths go through /proc/self/fd. */
    char dir_template[] = "/tmp/braid-stream.XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    std::string dir = dir_template;
    std::string deep = dir;
    while (deep.size() < 150) {
        deep += "/abcdefghijklmnop";
        ASSERT_EQ(mkdir(deep.c_str(), 0700), 0);
    }
    std::string path = deep + "/control.sock";
    std::string error;
    auto listener = PassiveStream::open("punix:" + path, &error);
    ASSERT_TRUE(listener) << error;
    auto client = Stream::open("unix:" + path, &error);
    ASSERT_TRUE(client) << error;
    int err;
    std::unique_ptr<Stream> server;
    for (int i = 0; i < 100 && !server; i++) {
        server = listener->accept(&err);
    }
    EXPECT_TRUE(server);
    listener.reset();
    client.reset();
    server.reset();
    ASSERT_EQ(system(("rm -rf " + dir).c_str()), 0);
}

TEST(Stream, TcpJsonRpcRoundTrip)
{
    EventLoop loop;
    std::string error;
    auto listener = PassiveStream::open("ptcp:0:127.0.0.1", &error);
    ASSERT_TRUE(listener) << error;
    uint16_t port = listener->port();
    ASSERT_NE(port, 0);

    std::vector<JsonRpcMessage> at_server;
    std::unique_ptr<JsonRpcConnection> server;
    loop.watch_fd(listener->fd(), EPOLLIN, [&](uint32_t) {
        int err;
        if (auto s = listener->accept(&err)) {
            EXPECT_TRUE(s->needs_probes());
            server = std::make_unique<JsonRpcConnection>(
                loop, std::move(s),
                [&](JsonRpcMessage &&m) {
                    at_server.push_back(m);
                    server->send(JsonRpcMessage::reply(m.params, m.id));
                },
                nullptr);
        }
    });

    std::vector<JsonRpcMessage> at_client;
    auto stream = Stream::open("tcp:127.0.0.1:" + std::to_string(port), &error);
    ASSERT_TRUE(stream) << error;
    JsonRpcConnection client(
        loop, std::move(stream), [&](JsonRpcMessage &&m) { at_client.push_back(m); },
        nullptr);
    client.send(JsonRpcMessage::request("transact", json::array({"Open_vSwitch"}), 3));
    ASSERT_TRUE(test::run_until(loop, [&] { return at_client.size() == 1; }));
    EXPECT_EQ(at_server[0].method, "transact");
    EXPECT_EQ(at_client[0].type, JsonRpcMessage::Type::kReply);
    EXPECT_EQ(at_client[0].result, json::array({"Open_vSwitch"}));
    EXPECT_EQ(at_client[0].id, 3);
    loop.unwatch_fd(listener->fd());
}

}  // namespace
}  // namespace braid
