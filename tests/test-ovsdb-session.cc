/* Unit tests for the OVSDB client session (lib/ovsdb-session.cc) and
 * replica (lib/ovsdb-replica.cc), against a scripted fake server. */
#include <config.h>

#include <unistd.h>

#include <deque>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "lib/coverage.h"
#include "lib/event-loop.h"
#include "lib/jsonrpc.h"
#include "lib/ovsdb-session.h"
#include "lib/stream.h"
#include "lib/timeval.h"
#include "tests/test-util.h"

namespace braid {
namespace {

using nlohmann::json;

const char *kSchema = R"({
  "name": "Open_vSwitch", "version": "8.3.1",
  "tables": {
    "Open_vSwitch": {"isRoot": true, "columns": {
      "bridges": {"type": {"key": {"type": "uuid", "refTable": "Bridge"}, "min": 0, "max": "unlimited"}},
      "next_cfg": {"type": "integer"},
      "cur_cfg": {"type": "integer"}}},
    "Bridge": {"columns": {
      "name": {"type": "string"},
      "trunks": {"type": {"key": {"type": "integer", "minInteger": 0, "maxInteger": 4095}, "min": 0, "max": 4096}},
      "tag": {"type": {"key": "integer", "min": 0, "max": 1}},
      "other_config": {"type": {"key": "string", "value": "string", "min": 0, "max": "unlimited"}}}}
  }
})";

const char *kRoot = "11111111-1111-1111-1111-111111111111";
const char *kBr0 = "22222222-2222-2222-2222-222222222222";

/* A fake ovsdb-server: records what the client sends and answers as each
 * test scripts it. */
class FakeServer {
public:
    FakeServer(EventLoop &loop, const std::string &path) : loop_(loop)
    {
        std::string error;
        listener_ = PassiveStream::open("punix:" + path, &error);
        EXPECT_TRUE(listener_) << error;
        loop_.watch_fd(listener_->fd(), EPOLLIN, [this](uint32_t) {
            int err;
            if (auto s = listener_->accept(&err)) {
                n_accepted++;
                conn_ = std::make_unique<JsonRpcConnection>(
                    loop_, std::move(s), [this](JsonRpcMessage &&m) { received.push_back(m); },
                    [this](const std::string &) { closed = true; });
                closed = false;
            }
        });
    }
    ~FakeServer() { loop_.unwatch_fd(listener_->fd()); }

    /* Waits for the next message from the client and returns it. */
    JsonRpcMessage next()
    {
        EXPECT_TRUE(test::run_until(loop_, [&] { return !received.empty(); }));
        if (received.empty()) {
            return {};
        }
        JsonRpcMessage m = received.front();
        received.pop_front();
        return m;
    }

    void send(const JsonRpcMessage &m) { conn_->send(m); }
    void reply(const JsonRpcMessage &request, json result)
    {
        send(JsonRpcMessage::reply(std::move(result), request.id));
    }
    void drop()
    {
        conn_.reset();
        closed = true;
    }

    /* Answers get_schema, lock and monitor_cond as a server would, with the
     * initial rows 'initial'. */
    void handshake(const json &initial, bool lock_granted = true)
    {
        JsonRpcMessage m = next();
        ASSERT_EQ(m.method, "get_schema");
        EXPECT_EQ(m.params, json::array({"Open_vSwitch"}));
        reply(m, json::parse(kSchema));
        m = next();
        ASSERT_EQ(m.method, "lock");
        EXPECT_EQ(m.params, json::array({"ovs_vswitchd"}));
        reply(m, {{"locked", lock_granted}});
        m = next();
        ASSERT_EQ(m.method, "monitor_cond");
        monitor_id = m.params[1];
        reply(m, initial);
    }

    std::deque<JsonRpcMessage> received;
    json monitor_id;
    bool closed = false;
    int n_accepted = 0;

private:
    EventLoop &loop_;
    std::unique_ptr<PassiveStream> listener_;
    std::unique_ptr<JsonRpcConnection> conn_;
};

json initial_rows()
{
    return {{"Open_vSwitch",
             {{kRoot, {{"initial", {{"bridges", json::array({"uuid", kBr0})},
                                    {"next_cfg", 3}, {"cur_cfg", 2}}}}}}},
            {"Bridge",
             {{kBr0, {{"initial", {{"name", "br0"}, {"trunks", json::array({"set", {1, 2}})},
                                   {"other_config", json::array({"map", json::array({json::array({"a", "1"})})})}}}}}}}};
}

class SessionTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir_template[] = "/tmp/braid-ovsdb.XXXXXX";
        ASSERT_NE(mkdtemp(dir_template), nullptr);
        dir_ = dir_template;
        server_ = std::make_unique<FakeServer>(loop_, dir_ + "/db.sock");
        ovsdb::Session::Settings s;
        s.remote = "unix:" + dir_ + "/db.sock";
        s.lock = "ovs_vswitchd";
        s.wanted = {{"Open_vSwitch", {{"bridges", "next_cfg", "cur_cfg"}, {"cur_cfg"}}},
                    {"Bridge", {{"name", "trunks", "tag", "other_config", "no_such_column"}, {}}},
                    {"No_Such_Table", {{"x"}, {}}}};
        session_ = std::make_unique<ovsdb::Session>(loop_, s, [this] { changes_++; });
        session_->start();
    }

    void TearDown() override
    {
        session_.reset();
        server_.reset();
        timeval::resume();
        rmdir(dir_.c_str());
    }

    bool synced()
    {
        return test::run_until(loop_, [&] { return session_->is_synced(); });
    }

    const ovsdb::Row *br0() { return session_->replica().row("Bridge", kBr0); }

    EventLoop loop_;
    std::string dir_;
    std::unique_ptr<FakeServer> server_;
    std::unique_ptr<ovsdb::Session> session_;
    int changes_ = 0;
};

TEST_F(SessionTest, HandshakeMonitorsTheIntersectionOfWantedAndServed)
{
    JsonRpcMessage m = server_->next();
    ASSERT_EQ(m.method, "get_schema");
    server_->reply(m, json::parse(kSchema));
    m = server_->next();
    ASSERT_EQ(m.method, "lock");
    server_->reply(m, {{"locked", true}});
    m = server_->next();
    ASSERT_EQ(m.method, "monitor_cond");
    EXPECT_EQ(m.params[0], "Open_vSwitch");
    json requests = m.params[2];
    EXPECT_EQ(requests["Bridge"], json::array({{{"columns", {"name", "trunks", "tag",
                                                             "other_config"}}}}))
        << "no_such_column is left out";
    EXPECT_FALSE(requests.contains("No_Such_Table"));
    server_->reply(m, initial_rows());
    ASSERT_TRUE(synced());
    EXPECT_TRUE(session_->has_lock());
    ASSERT_TRUE(br0());
    EXPECT_EQ(br0()->get("name").as_string(), "br0");
    EXPECT_EQ(br0()->get("trunks").integers(), (std::vector<int64_t>{1, 2}));
    EXPECT_TRUE(br0()->get("tag").empty()) << "omitted columns hold their default";
    EXPECT_EQ(session_->schema_version(), "8.3.1");
    EXPECT_GT(changes_, 0);
}

TEST_F(SessionTest, Update2DiffsAreApplied)
{
    server_->handshake(initial_rows());
    ASSERT_TRUE(synced());
    uint64_t seq = session_->replica().alert_seqno();
    /* As recorded from ovsdb-server: trunks {1,2} -> {2,3} is the XOR
     * [1,3]; a=1 -> a=2 replaces; tag set. */
    server_->send(JsonRpcMessage::notify(
        "update2", json::array({server_->monitor_id,
                                {{"Bridge", {{kBr0, {{"modify", {{"trunks", json::array({"set", {1, 3}})},
                                                                 {"other_config", json::array({"map", json::array({json::array({"a", "2"})})})},
                                                                 {"tag", 20}}}}}}}}})));
    ASSERT_TRUE(test::run_until(loop_, [&] { return session_->replica().alert_seqno() != seq; }));
    EXPECT_EQ(br0()->get("trunks").integers(), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(br0()->get("other_config").string_map().at("a"), "2");
    EXPECT_EQ(br0()->get("tag").as_integer(), 20);

    /* Clearing the tag; removing a=2 arrives as the same pair. */
    seq = session_->replica().alert_seqno();
    server_->send(JsonRpcMessage::notify(
        "update2", json::array({server_->monitor_id,
                                {{"Bridge", {{kBr0, {{"modify", {{"tag", json::array({"set", json::array()})},
                                                                 {"other_config", json::array({"map", json::array({json::array({"a", "2"})})})}}}}}}}}})));
    ASSERT_TRUE(test::run_until(loop_, [&] { return session_->replica().alert_seqno() != seq; }));
    EXPECT_TRUE(br0()->get("tag").empty());
    EXPECT_TRUE(br0()->get("other_config").string_map().empty());

    /* A change to a silent column does not alert. */
    seq = session_->replica().alert_seqno();
    server_->send(JsonRpcMessage::notify(
        "update2", json::array({server_->monitor_id,
                                {{"Open_vSwitch", {{kRoot, {{"modify", {{"cur_cfg", 3}}}}}}}}})));
    ASSERT_TRUE(test::run_until(loop_, [&] {
        return session_->replica().first("Open_vSwitch")->get("cur_cfg").as_integer() == 3;
    }));
    EXPECT_EQ(session_->replica().alert_seqno(), seq);

    /* Delete. */
    server_->send(JsonRpcMessage::notify(
        "update2", json::array({server_->monitor_id, {{"Bridge", {{kBr0, {{"delete", nullptr}}}}}}})));
    ASSERT_TRUE(test::run_until(loop_, [&] { return br0() == nullptr; }));
}

TEST_F(SessionTest, MonitorFallsBackToVersion1)
{
    JsonRpcMessage m = server_->next();
    server_->reply(m, json::parse(kSchema));
    m = server_->next();
    server_->reply(m, {{"locked", true}});
    m = server_->next();
    ASSERT_EQ(m.method, "monitor_cond");
    server_->send(JsonRpcMessage::error_reply("unknown method", m.id));
    m = server_->next();
    ASSERT_EQ(m.method, "monitor");
    EXPECT_TRUE(m.params[2]["Bridge"].is_object()) << "version 1 request form";
    server_->reply(m, {{"Bridge", {{kBr0, {{"new", {{"name", "br0"}, {"trunks", 7}}}}}}}});
    ASSERT_TRUE(synced());
    EXPECT_EQ(br0()->get("trunks").integers(), (std::vector<int64_t>{7}));

    /* Version 1 updates carry the whole new row. */
    server_->send(JsonRpcMessage::notify(
        "update", json::array({m.params[1], {{"Bridge", {{kBr0, {{"old", {{"trunks", 7}}},
                                                                  {"new", {{"name", "br0"}, {"trunks", 8}}}}}}}}})));
    ASSERT_TRUE(test::run_until(loop_, [&] {
        return br0() && br0()->get("trunks").integers() == std::vector<int64_t>{8};
    }));
    server_->send(JsonRpcMessage::notify(
        "update", json::array({m.params[1], {{"Bridge", {{kBr0, {{"old", {{"name", "br0"}}}}}}}}})));
    ASSERT_TRUE(test::run_until(loop_, [&] { return br0() == nullptr; }));
}

TEST_F(SessionTest, BadUpdateResynchronises)
{
    server_->handshake(initial_rows());
    ASSERT_TRUE(synced());
    uint64_t bad = *coverage::read_counter("ovsdb_bad_update");
    timeval::stop();
    /* trunks of the wrong type. */
    server_->send(JsonRpcMessage::notify(
        "update2", json::array({server_->monitor_id,
                                {{"Bridge", {{kBr0, {{"modify", {{"trunks", "many"}}}}}}}}})));
    ASSERT_TRUE(test::run_until(loop_, [&] { return server_->closed; }));
    EXPECT_EQ(*coverage::read_counter("ovsdb_bad_update"), bad + 1);
    EXPECT_FALSE(session_->is_synced());

    /* After the backoff the session reconnects and starts over. */
    timeval::warp(1000);
    ASSERT_TRUE(test::run_until(loop_, [&] { return server_->n_accepted == 2; }));
    json changed = initial_rows();
    changed["Bridge"][kBr0]["initial"]["name"] = "renamed";
    server_->handshake(changed);
    ASSERT_TRUE(synced());
    EXPECT_EQ(br0()->get("name").as_string(), "renamed");
    EXPECT_EQ(session_->n_connects(), 2u);
}

TEST_F(SessionTest, LockContendedThenGranted)
{
    server_->handshake(initial_rows(), false);
    ASSERT_TRUE(synced());
    EXPECT_FALSE(session_->has_lock());
    EXPECT_TRUE(session_->is_lock_contended());
    EXPECT_EQ(session_->state_string(), "monitoring, lock held by another client");
    server_->send(JsonRpcMessage::notify("locked", json::array({"ovs_vswitchd"})));
    ASSERT_TRUE(test::run_until(loop_, [&] { return session_->has_lock(); }));
    server_->send(JsonRpcMessage::notify("stolen", json::array({"ovs_vswitchd"})));
    ASSERT_TRUE(test::run_until(loop_, [&] { return !session_->has_lock(); }));
}

TEST_F(SessionTest, TransactionsAssertTheLockAndReportOutcomes)
{
    server_->handshake(initial_rows());
    ASSERT_TRUE(synced());
    std::vector<ovsdb::TxnResult> results;
    auto done = [&](const ovsdb::TxnResult &r) { results.push_back(r); };
    json op = {{"op", "update"}, {"table", "Open_vSwitch"}, {"where", json::array()},
               {"row", {{"cur_cfg", 3}}}};

    session_->transact(json::array({op}), done);
    JsonRpcMessage m = server_->next();
    ASSERT_EQ(m.method, "transact");
    ASSERT_EQ(m.params.size(), 3u);
    EXPECT_EQ(m.params[0], "Open_vSwitch");
    EXPECT_EQ(m.params[1], op);
    EXPECT_EQ(m.params[2], json({{"op", "assert"}, {"lock", "ovs_vswitchd"}})) << "last";
    server_->reply(m, json::array({{{"count", 1}}, json::object()}));

    session_->transact(json::array({op}), done);
    m = server_->next();
    server_->reply(m, json::array({{{"error", "timed out"},
                                    {"details", "\"where\" clause test failed"}},
                                   nullptr}));

    session_->transact(json::array({op}), done);
    m = server_->next();
    server_->reply(m, json::array({{{"error", "constraint violation"}, {"details", "bad"}},
                                   nullptr}));

    session_->transact(json::array({op}), done);
    m = server_->next();
    ASSERT_TRUE(test::run_until(loop_, [&] { return results.size() == 3; }));
    EXPECT_EQ(results[0].status, ovsdb::TxnResult::Status::kSuccess);
    EXPECT_EQ(results[1].status, ovsdb::TxnResult::Status::kTryAgain);
    EXPECT_EQ(results[1].error, "timed out: \"where\" clause test failed");
    EXPECT_EQ(results[2].status, ovsdb::TxnResult::Status::kError);
    EXPECT_EQ(results[2].error, "constraint violation: bad");

    /* The fourth is lost with the connection. */
    EXPECT_EQ(session_->n_pending(), 1u);
    server_->drop();
    ASSERT_TRUE(test::run_until(loop_, [&] { return results.size() == 4; }));
    EXPECT_EQ(results[3].status, ovsdb::TxnResult::Status::kNotConnected);
}

TEST_F(SessionTest, NotOwnerStartsOver)
{
    server_->handshake(initial_rows());
    ASSERT_TRUE(synced());
    ASSERT_TRUE(session_->has_lock());
    timeval::stop();
    std::vector<ovsdb::TxnResult> results;
    session_->transact(json::array(), [&](const ovsdb::TxnResult &r) { results.push_back(r); });
    JsonRpcMessage m = server_->next();
    server_->reply(m, json::array({{{"error", "not owner"},
                                    {"details", "Asserted lock ovs_vswitchd not held."}}}));
    ASSERT_TRUE(test::run_until(loop_, [&] { return results.size() == 1; }));
    EXPECT_EQ(results[0].status, ovsdb::TxnResult::Status::kTryAgain);
    EXPECT_EQ(results[0].error, "not owner: Asserted lock ovs_vswitchd not held.");
    EXPECT_FALSE(session_->has_lock());
    ASSERT_TRUE(test::run_until(loop_, [&] { return server_->closed; }));

    /* A new connection asks for the lock again. */
    timeval::warp(1000);
    ASSERT_TRUE(test::run_until(loop_, [&] { return server_->n_accepted == 2; }));
    server_->handshake(initial_rows());
    ASSERT_TRUE(synced());
    EXPECT_TRUE(session_->has_lock());
}

TEST_F(SessionTest, ServerClosingDuringHandshakeIsSurvived)
{
    /* The server answers get_schema and hangs up at once: the lock and
     * monitor requests then fail to send. */
    JsonRpcMessage m = server_->next();
    server_->reply(m, json::parse(kSchema));
    server_->drop();
    timeval::stop();
    ASSERT_TRUE(test::run_until(loop_, [&] { return !session_->is_connected(); }));
    std::vector<ovsdb::TxnResult> results;
    session_->transact(json::array(), [&](const ovsdb::TxnResult &r) { results.push_back(r); });
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status, ovsdb::TxnResult::Status::kNotConnected);
    timeval::warp(1000);
    ASSERT_TRUE(test::run_until(loop_, [&] { return server_->n_accepted == 2; }));
    server_->handshake(initial_rows());
    ASSERT_TRUE(synced());
}

TEST_F(SessionTest, ConnectionFailuresBackOff)
{
    server_.reset();        /* Nobody listens. */
    timeval::stop();
    loop_.run_once(0);
    EXPECT_FALSE(session_->is_connected());
    EXPECT_EQ(session_->state_string(), "backoff 1000 ms");
    timeval::warp(1000);
    ASSERT_TRUE(test::run_until(loop_, [&] {
        return session_->state_string() == "backoff 2000 ms";
    }, 20));
    timeval::warp(2000);
    ASSERT_TRUE(test::run_until(loop_, [&] {
        return session_->state_string() == "backoff 4000 ms";
    }, 20));
    /* The server comes back: the next attempt connects. */
    server_ = std::make_unique<FakeServer>(loop_, dir_ + "/db.sock");
    timeval::warp(4000);
    server_->handshake(initial_rows());
    ASSERT_TRUE(synced());
}

}  // namespace
}  // namespace braid
