/* An OVSDB client session. */
#include <config.h>

#include "lib/ovsdb-session.h"

#include <unistd.h>

#include "lib/coverage.h"
#include "lib/timeval.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(ovsdb_session);
BRAID_COVERAGE_DEFINE(ovsdb_connect);
BRAID_COVERAGE_DEFINE(ovsdb_disconnect);
BRAID_COVERAGE_DEFINE(ovsdb_bad_update);
BRAID_COVERAGE_DEFINE(ovsdb_bad_reply);
BRAID_COVERAGE_DEFINE(ovsdb_unexpected_message);
BRAID_COVERAGE_DEFINE(ovsdb_txn_sent);
BRAID_COVERAGE_DEFINE(ovsdb_txn_success);
BRAID_COVERAGE_DEFINE(ovsdb_txn_try_again);
BRAID_COVERAGE_DEFINE(ovsdb_txn_error);
BRAID_COVERAGE_DEFINE(ovsdb_monitor_fallback);

namespace braid::ovsdb {

using nlohmann::json;

const char *txn_status_to_string(TxnResult::Status status)
{
    switch (status) {
    case TxnResult::Status::kSuccess: return "success";
    case TxnResult::Status::kTryAgain: return "try again";
    case TxnResult::Status::kError: return "error";
    case TxnResult::Status::kNotConnected: return "not connected";
    }
    return "unknown";
}

Session::Session(EventLoop &loop, Settings settings, ChangeCallback on_change)
    : loop_(loop), settings_(std::move(settings)), on_change_(std::move(on_change))
{
}

Session::~Session()
{
    *alive_ = false;
    conn_.reset();
}

void Session::start()
{
    if (state_ == State::kDisconnected) {
        connect();
    }
}

std::string Session::state_string() const
{
    switch (state_) {
    case State::kDisconnected: return "disconnected";
    case State::kBackoff: return fmt::format("backoff {} ms", backoff_ms_);
    case State::kConnecting: return "connecting";
    case State::kMonitorRequested: return "monitor requested";
    case State::kMonitoring:
        if (!settings_.lock.empty() && !has_lock_) {
            return lock_contended_ ? "monitoring, lock held by another client"
                                   : "monitoring, lock requested";
        }
        return "monitoring";
    }
    return "unknown";
}

void Session::set_state(State state)
{
    if (state_ != state) {
        VLOG_DBG("{}: {} -> {}", settings_.remote, int(state_), int(state));
        state_ = state;
    }
}

void Session::notify()
{
    /* Coalesce: one callback for any number of changes in one iteration. */
    if (!notify_posted_ && on_change_) {
        notify_posted_ = true;
        std::weak_ptr<bool> alive = alive_;
        loop_.post([this, alive] {
            if (auto a = alive.lock(); a && *a) {
                notify_posted_ = false;
                on_change_();
            }
        });
    }
}

void Session::connect()
{
    std::string error;
    std::unique_ptr<Stream> stream = Stream::open(settings_.remote, &error);
    if (!stream) {
        disconnected(error);
        return;
    }
    COVERAGE_INC(ovsdb_connect);
    set_state(State::kConnecting);
    connected_at_ = timeval::msec();
    has_lock_ = false;
    lock_contended_ = false;
    conn_ = std::make_unique<JsonRpcConnection>(
        loop_, std::move(stream), [this](JsonRpcMessage &&msg) { handle_message(std::move(msg)); },
        [this](const std::string &why) { disconnected(why); });
    schema_request_id_ = send_request("get_schema", json::array({settings_.database}));
}

uint64_t Session::send_request(const std::string &method, json params)
{
    uint64_t id = next_id_++;
    if (conn_) {
        conn_->send(JsonRpcMessage::request(method, std::move(params), id));
    }
    return id;
}

void Session::reconnect_later(const std::string &why)
{
    if (conn_) {
        conn_->close();
        disconnected(why);
    }
}

void Session::force_reconnect(const std::string &why)
{
    if (conn_) {
        VLOG_INFO("{}: reconnecting ({})", settings_.remote, why);
        conn_->close();
        disconnected(why);
        backoff_timer_.stop();
        backoff_ms_ = 0;
        connect();
    }
}

void Session::disconnected(const std::string &why)
{
    static vlog::RateLimit rl(5, 20);
    bool was_connected = conn_ != nullptr;
    if (was_connected) {
        COVERAGE_INC(ovsdb_disconnect);
        VLOG_INFO_RL(rl, "{}: connection closed ({})", settings_.remote, why);
        /* The callback may come from inside the connection: free it later. */
        conn_->close();
        retired_.push_back(std::move(conn_));
        std::weak_ptr<bool> alive = alive_;
        loop_.post([this, alive] {
            if (auto a = alive.lock(); a && *a) {
                retired_.clear();
            }
        });
    } else {
        VLOG_INFO_RL(rl, "{}: connection attempt failed ({})", settings_.remote, why);
    }

    /* Everything in flight is lost. */
    std::map<uint64_t, TxnCallback> pending;
    pending.swap(pending_);
    for (auto &[id, done] : pending) {
        TxnResult r;
        r.status = TxnResult::Status::kNotConnected;
        r.error = "connection to the database lost";
        done(r);
    }
    has_lock_ = false;
    lock_contended_ = false;

    /* Back off, unless the connection had been up a while. */
    int64_t now = timeval::msec();
    if (was_connected && now - connected_at_ >= settings_.max_backoff_ms) {
        backoff_ms_ = 0;
    } else {
        backoff_ms_ = backoff_ms_ ? std::min(backoff_ms_ * 2, settings_.max_backoff_ms)
                                  : settings_.min_backoff_ms;
    }
    set_state(State::kBackoff);
    backoff_timer_.start(loop_, backoff_ms_, [this] { connect(); });
    notify();
}

void Session::handle_message(JsonRpcMessage &&msg)
{
    using Type = JsonRpcMessage::Type;
    static vlog::RateLimit rl(5, 20);
    if (msg.type == Type::kReply || msg.type == Type::kError) {
        handle_reply(msg);
        return;
    }
    if (msg.type == Type::kNotify
        && (msg.method == "update" || msg.method == "update2")) {
        if (!msg.params.is_array() || msg.params.size() != 2 || msg.params[0] != monitor_id_) {
            COVERAGE_INC(ovsdb_bad_update);
            VLOG_WARN_RL(rl, "{}: ignoring {} for an unknown monitor: {}", settings_.remote,
                         msg.method, msg.to_log_string(200));
            return;
        }
        std::string error;
        if (!replica_.apply_updates(msg.params[1], msg.method == "update" ? 1 : 2, &error)) {
            COVERAGE_INC(ovsdb_bad_update);
            VLOG_WARN_RL(rl, "{}: bad {} ({}); resynchronising", settings_.remote, msg.method,
                         error);
            reconnect_later("bad update");
            return;
        }
        notify();
    } else if (msg.type == Type::kNotify && (msg.method == "locked" || msg.method == "stolen")) {
        if (msg.params != json::array({settings_.lock})) {
            COVERAGE_INC(ovsdb_unexpected_message);
            VLOG_WARN_RL(rl, "{}: {} notification for an unknown lock: {}", settings_.remote,
                         msg.method, msg.to_log_string(200));
            return;
        }
        has_lock_ = msg.method == "locked";
        lock_contended_ = !has_lock_;
        VLOG_INFO("{}: lock \"{}\" {}", settings_.remote, settings_.lock,
                  has_lock_ ? "acquired" : "stolen by another client");
        notify();
    } else {
        /* ovsdb-server sends nothing else we asked for. */
        COVERAGE_INC(ovsdb_unexpected_message);
        VLOG_WARN_RL(rl, "{}: unexpected {} \"{}\" ignored", settings_.remote,
                     jsonrpc_type_to_string(msg.type), msg.method);
        if (msg.type == Type::kRequest) {
            conn_->send(JsonRpcMessage::error_reply("unknown method", msg.id));
        }
    }
}

void Session::handle_reply(const JsonRpcMessage &msg)
{
    static vlog::RateLimit rl(5, 20);
    if (!msg.id.is_number_unsigned()) {
        COVERAGE_INC(ovsdb_bad_reply);
        VLOG_WARN_RL(rl, "{}: reply with unexpected id {}", settings_.remote, msg.id.dump());
        return;
    }
    uint64_t id = msg.id.get<uint64_t>();
    if (id == schema_request_id_) {
        handle_schema(msg);
    } else if (id == monitor_request_id_) {
        handle_monitor_reply(msg);
    } else if (id == lock_request_id_) {
        handle_lock_reply(msg);
    } else if (auto it = pending_.find(id); it != pending_.end()) {
        TxnCallback done = std::move(it->second);
        pending_.erase(it);
        handle_txn_reply(msg, std::move(done));
    } else {
        COVERAGE_INC(ovsdb_bad_reply);
        VLOG_WARN_RL(rl, "{}: reply to unknown request {}", settings_.remote, id);
    }
}

void Session::handle_schema(const JsonRpcMessage &msg)
{
    static vlog::RateLimit rl(5, 20);
    std::string error;
    std::optional<DatabaseSchema> schema;
    if (msg.type == JsonRpcMessage::Type::kError) {
        error = msg.error.dump();
    } else {
        schema = DatabaseSchema::from_json(msg.result, &error);
    }
    if (!schema) {
        COVERAGE_INC(ovsdb_bad_reply);
        VLOG_WARN_RL(rl, "{}: cannot use the schema of database {} ({})", settings_.remote,
                     settings_.database, error);
        reconnect_later("bad schema");
        return;
    }
    schema_version_ = schema->version;
    std::vector<std::string> missing;
    replica_.configure(*schema, settings_.wanted, &missing);
    if (!missing.empty()) {
        std::string list;
        for (const std::string &m : missing) {
            list += (list.empty() ? "" : ", ") + m;
        }
        VLOG_INFO("{}: schema {} lacks {}; not monitoring them", settings_.remote,
                  schema->version, list);
    }
    if (!settings_.lock.empty()) {
        lock_request_id_ = send_request("lock", json::array({settings_.lock}));
    }
    use_monitor_cond_ = true;
    send_monitor();
}

void Session::send_monitor()
{
    monitor_id_ = json::array({"monid", settings_.database});
    json requests = json::object();
    for (const auto &[table, columns] : replica_.monitored()) {
        if (use_monitor_cond_) {
            requests[table] = json::array({{{"columns", columns}}});
        } else {
            requests[table] = {{"columns", columns}};
        }
    }
    set_state(State::kMonitorRequested);
    monitor_request_id_ = send_request(use_monitor_cond_ ? "monitor_cond" : "monitor",
                                       json::array({settings_.database, monitor_id_, requests}));
}

void Session::handle_monitor_reply(const JsonRpcMessage &msg)
{
    static vlog::RateLimit rl(5, 20);
    if (msg.type == JsonRpcMessage::Type::kError) {
        if (use_monitor_cond_) {
            /* An old server without monitor_cond: use the original monitor. */
            COVERAGE_INC(ovsdb_monitor_fallback);
            VLOG_INFO("{}: monitor_cond refused ({}), using monitor", settings_.remote,
                      msg.error.dump());
            use_monitor_cond_ = false;
            send_monitor();
            return;
        }
        COVERAGE_INC(ovsdb_bad_reply);
        VLOG_WARN_RL(rl, "{}: monitor refused: {}", settings_.remote, msg.error.dump());
        reconnect_later("monitor refused");
        return;
    }
    replica_.clear();
    std::string error;
    if (!replica_.apply_updates(msg.result, use_monitor_cond_ ? 2 : 1, &error)) {
        COVERAGE_INC(ovsdb_bad_update);
        VLOG_WARN_RL(rl, "{}: bad monitor reply ({}); resynchronising", settings_.remote, error);
        reconnect_later("bad monitor reply");
        return;
    }
    n_connects_++;
    VLOG_INFO("{}: connected, monitoring {} rows of {} (schema {})", settings_.remote,
              replica_.n_rows(), settings_.database, schema_version_);
    set_state(State::kMonitoring);
    notify();
}

void Session::handle_lock_reply(const JsonRpcMessage &msg)
{
    static vlog::RateLimit rl(5, 20);
    if (msg.type == JsonRpcMessage::Type::kError || !msg.result.is_object()
        || !msg.result.contains("locked") || !msg.result["locked"].is_boolean()) {
        COVERAGE_INC(ovsdb_bad_reply);
        VLOG_WARN_RL(rl, "{}: bad reply to lock request: {}", settings_.remote,
                     msg.to_log_string(200));
        reconnect_later("bad lock reply");
        return;
    }
    has_lock_ = msg.result["locked"].get<bool>();
    lock_contended_ = !has_lock_;
    if (!has_lock_) {
        VLOG_INFO("{}: lock \"{}\" is held by another client; waiting for it",
                  settings_.remote, settings_.lock);
    }
    notify();
}

void Session::transact(json ops, TxnCallback done)
{
    if (!conn_ || !is_synced()) {
        TxnResult r;
        r.status = TxnResult::Status::kNotConnected;
        r.error = "not connected to the database";
        done(r);
        return;
    }
    json params = json::array({settings_.database});
    for (json &op : ops) {
        params.push_back(std::move(op));
    }
    if (!settings_.lock.empty()) {
        params.push_back({{"op", "assert"}, {"lock", settings_.lock}});
    }
    COVERAGE_INC(ovsdb_txn_sent);
    /* Pending before it is sent, so that a disconnection, whenever it is
     * noticed, reports it. */
    uint64_t id = next_id_++;
    pending_.emplace(id, std::move(done));
    conn_->send(JsonRpcMessage::request("transact", std::move(params), id));
}

void Session::handle_txn_reply(const JsonRpcMessage &msg, TxnCallback done)
{
    TxnResult r;
    if (msg.type == JsonRpcMessage::Type::kError) {
        COVERAGE_INC(ovsdb_txn_error);
        r.status = TxnResult::Status::kError;
        r.error = msg.error.dump();
        done(r);
        return;
    }
    if (!msg.result.is_array()) {
        COVERAGE_INC(ovsdb_txn_error);
        r.status = TxnResult::Status::kError;
        r.error = "transaction result is not an array";
        done(r);
        return;
    }
    /* A failed operation has an "error" member; the ones after it are null.
     * A commit failure adds one more element with the error. */
    for (const json &op : msg.result) {
        if (op.is_object() && op.contains("error")) {
            std::string error = op["error"].is_string() ? op["error"].get<std::string>() : "?";
            std::string details =
                op.contains("details") && op["details"].is_string() ? op["details"].get<std::string>()
                                                                      : "";
            r.error = details.empty() ? error : error + ": " + details;
            if (error == "timed out" || error == "not owner") {
                COVERAGE_INC(ovsdb_txn_try_again);
                r.status = TxnResult::Status::kTryAgain;
                if (error == "not owner" && has_lock_) {
                    /* We thought we held the lock.  Start over: a new
                     * connection asks for it again. */
                    static vlog::RateLimit rl(5, 20);
                    VLOG_WARN_RL(rl, "{}: the server says we do not hold lock \"{}\"; "
                                 "reconnecting", settings_.remote, settings_.lock);
                    has_lock_ = false;
                    done(r);
                    reconnect_later("lock not held");
                    return;
                }
            } else {
                COVERAGE_INC(ovsdb_txn_error);
                r.status = TxnResult::Status::kError;
            }
            done(r);
            return;
        }
    }
    COVERAGE_INC(ovsdb_txn_success);
    r.status = TxnResult::Status::kSuccess;
    r.result = msg.result;
    done(r);
}

}  // namespace braid::ovsdb
