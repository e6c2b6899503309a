/* An OVSDB client session: connection, lock, monitor and transactions.
 *
 * The session keeps a connection to ovsdb-server (reconnecting with backoff
 * after failures), fetches the schema, asks for the named lock if one is
 * configured, and monitors the wanted columns that the served schema has,
 * with "monitor_cond" (falling back to "monitor" for old servers).  It
 * keeps a Replica current from the replies and notifications, and runs
 * transactions, appending the lock assertion as their last operation.
 *
 * After a reconnect the replica is rebuilt from scratch from the new
 * monitor reply.  A notification the session cannot apply (malformed,
 * inconsistent) is logged with a rate limit, counted, and answered by
 * reconnecting, which resynchronises everything.
 *
 * The owner learns about changes through the change callback, run on the
 * loop after the replica changed, the lock was gained or lost, or the
 * connection went up or down. */
#ifndef BRAID_LIB_OVSDB_SESSION_H
#define BRAID_LIB_OVSDB_SESSION_H 1

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "lib/event-loop.h"
#include "lib/jsonrpc.h"
#include "lib/ovsdb-replica.h"

namespace braid::ovsdb {

/* The outcome of a transaction. */
struct TxnResult {
    enum class Status {
        kSuccess,       /* Committed. */
        kTryAgain,      /* A "wait" failed or the lock was not held: redo it. */
        kError,         /* The server refused it ('error' says why). */
        kNotConnected,  /* The connection went away before an answer. */
    };
    Status status = Status::kNotConnected;
    nlohmann::json result;  /* The "result" array on success. */
    std::string error;      /* A description otherwise. */
};

const char *txn_status_to_string(TxnResult::Status status);

class Session {
public:
    struct Settings {
        std::string remote;                     /* "unix:PATH", "tcp:H:P". */
        std::string database = "Open_vSwitch";
        std::string lock;                       /* Lock to take; empty: none. */
        std::map<std::string, TableWanted> wanted;
        int64_t min_backoff_ms = 1000;
        int64_t max_backoff_ms = 8000;
    };

    using ChangeCallback = std::function<void()>;
    using TxnCallback = std::function<void(const TxnResult &)>;

    Session(EventLoop &loop, Settings settings, ChangeCallback on_change);
    ~Session();
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    /* Starts connecting. */
    void start();

    /* Drops the connection and reconnects at once (a full resync). */
    void force_reconnect(const std::string &why);

    bool is_connected() const { return state_ != State::kDisconnected && state_ != State::kBackoff; }
    /* True once the monitor reply of the current connection was applied. */
    bool is_synced() const { return state_ == State::kMonitoring; }
    /* True while we hold the lock (always true without a lock). */
    bool has_lock() const { return settings_.lock.empty() || has_lock_; }
    /* True while another client holds the lock we asked for. */
    bool is_lock_contended() const { return lock_contended_; }

    const Replica &replica() const { return replica_; }
    const Settings &settings() const { return settings_; }

    /* Sends a transaction of 'ops' (JSON operations, without the database
     * name) and calls 'done' with the outcome.  Fails at once (through
     * 'done', with kNotConnected) when not synced. */
    void transact(nlohmann::json ops, TxnCallback done);

    /* Transactions sent and not yet answered. */
    size_t n_pending() const { return pending_.size(); }

    /* How the session is doing, in a few words ("monitoring", "backoff 4000
     * ms", ...). */
    std::string state_string() const;

    /* How many times the session connected, and the served schema version. */
    uint64_t n_connects() const { return n_connects_; }
    const std::string &schema_version() const { return schema_version_; }

private:
    enum class State {
        kDisconnected,
        kBackoff,
        kConnecting,        /* Waiting for the get_schema reply. */
        kMonitorRequested,
        kMonitoring,
    };

    void connect();
    void disconnected(const std::string &why);
    /* Drops the connection after an error; reconnects after the backoff. */
    void reconnect_later(const std::string &why);
    void handle_message(JsonRpcMessage &&msg);
    void handle_reply(const JsonRpcMessage &msg);
    void handle_schema(const JsonRpcMessage &msg);
    void send_monitor();
    void handle_monitor_reply(const JsonRpcMessage &msg);
    void handle_lock_reply(const JsonRpcMessage &msg);
    void handle_txn_reply(const JsonRpcMessage &msg, TxnCallback done);
    uint64_t send_request(const std::string &method, nlohmann::json params);
    void set_state(State state);
    void notify();

    EventLoop &loop_;
    Settings settings_;
    ChangeCallback on_change_;

    State state_ = State::kDisconnected;
    std::unique_ptr<JsonRpcConnection> conn_;
    std::vector<std::unique_ptr<JsonRpcConnection>> retired_;   /* Freed later. */
    Timer backoff_timer_;
    int64_t backoff_ms_ = 0;
    int64_t connected_at_ = 0;
    uint64_t n_connects_ = 0;

    Replica replica_;
    std::string schema_version_;
    bool use_monitor_cond_ = true;
    nlohmann::json monitor_id_;

    bool has_lock_ = false;
    bool lock_contended_ = false;
    uint64_t lock_request_id_ = 0;

    uint64_t next_id_ = 1;
    uint64_t schema_request_id_ = 0;
    uint64_t monitor_request_id_ = 0;
    std::map<uint64_t, TxnCallback> pending_;

    bool notify_posted_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace braid::ovsdb

#endif  // BRAID_LIB_OVSDB_SESSION_H
