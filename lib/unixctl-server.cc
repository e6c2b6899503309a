/* The unixctl server. */
#include <config.h>

#include "lib/unixctl-server.h"

#include <unistd.h>

#include <cerrno>

#include "lib/coverage.h"
#include "lib/dirs.h"
#include "lib/unixctl.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(unixctl);
BRAID_COVERAGE_DEFINE(unixctl_received);
BRAID_COVERAGE_DEFINE(unixctl_replied);
BRAID_COVERAGE_DEFINE(unixctl_errors);
BRAID_COVERAGE_DEFINE(unixctl_bad_request);

namespace braid {

struct UnixctlServer::Connection {
    uint64_t id;
    std::unique_ptr<JsonRpcConnection> rpc;
};

UnixctlServer::UnixctlServer(EventLoop &loop, std::unique_ptr<PassiveStream> listener,
                             std::string path)
    : loop_(loop), listener_(std::move(listener)), path_(std::move(path))
{
    loop_.watch_fd(listener_->fd(), EPOLLIN, [this](uint32_t) { accept_connections(); });
}

UnixctlServer::~UnixctlServer()
{
    *alive_ = false;
    loop_.unwatch_fd(listener_->fd());
}

std::unique_ptr<UnixctlServer> UnixctlServer::create(EventLoop &loop, const std::string &path,
                                                     std::string *error)
{
    auto listener = PassiveStream::open("punix:" + path, error);
    if (!listener) {
        return nullptr;
    }
    return std::unique_ptr<UnixctlServer>(new UnixctlServer(loop, std::move(listener), path));
}

std::string UnixctlServer::default_path(const std::string &program)
{
    return dirs::rundir() + "/" + program + "." + std::to_string(getpid()) + ".ctl";
}

void UnixctlServer::unlink_path()
{
    listener_->unlink_path();
}

void UnixctlServer::accept_connections()
{
    for (;;) {
        int error;
        std::unique_ptr<Stream> stream = listener_->accept(&error);
        if (!stream) {
            if (error != EAGAIN) {
                static vlog::RateLimit rl(5, 20);
                VLOG_WARN_RL(rl, "{}: accept failed: {}", path_, errno_to_string(error));
            }
            return;
        }
        uint64_t id = next_id_++;
        auto conn = std::make_unique<Connection>();
        conn->id = id;
        Connection *raw = conn.get();
        conn->rpc = std::make_unique<JsonRpcConnection>(
            loop_, std::move(stream),
            [this, raw](JsonRpcMessage &&msg) { handle_request(*raw, std::move(msg)); },
            [this, raw](const std::string &reason) {
                VLOG_DBG("connection {} closed: {}", raw->id, reason);
                destroy_later(raw);
            });
        connections_.emplace(id, std::move(conn));
    }
}

void UnixctlServer::destroy_later(Connection *conn)
{
    conn->rpc->close();
    uint64_t id = conn->id;
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, id, alive] {
        if (auto a = alive.lock(); a && *a) {
            connections_.erase(id);
        }
    });
}

void UnixctlServer::handle_request(Connection &conn, JsonRpcMessage &&msg)
{
    if (msg.type != JsonRpcMessage::Type::kRequest) {
        static vlog::RateLimit rl(5, 20);
        VLOG_WARN_RL(rl, "closing connection {}: received {} where a request was expected",
                     conn.id, jsonrpc_type_to_string(msg.type));
        COVERAGE_INC(unixctl_bad_request);
        destroy_later(&conn);
        return;
    }
    COVERAGE_INC(unixctl_received);

    /* One request at a time per connection: hold the others back until this
     * one is answered. */
    conn.rpc->pause_receiving(true);
    uint64_t conn_id = conn.id;
    nlohmann::json id = msg.id;
    std::weak_ptr<bool> alive = alive_;
    unixctl::Reply reply([this, alive, conn_id, id](bool ok, const std::string &text) {
        auto a = alive.lock();
        if (!a || !*a) {
            return;
        }
        auto it = connections_.find(conn_id);
        if (it == connections_.end() || it->second->rpc->is_closed()) {
            return;         /* The client went away. */
        }
        JsonRpcConnection &rpc = *it->second->rpc;
        if (ok) {
            COVERAGE_INC(unixctl_replied);
            rpc.send(JsonRpcMessage::reply(text, id));
        } else {
            COVERAGE_INC(unixctl_errors);
            rpc.send(JsonRpcMessage::error_reply(text, id));
        }
        rpc.pause_receiving(false);
    });

    unixctl::Args args;
    for (const nlohmann::json &param : msg.params) {
        if (!param.is_string()) {
            COVERAGE_INC(unixctl_bad_request);
            reply.error(fmt::format("\"{}\" command has non-string argument: {}", msg.method,
                                    param.dump()));
            return;
        }
        args.push_back(param.get<std::string>());
    }
    VLOG_DBG("received request {}{}", msg.method, msg.params.dump());
    unixctl::dispatch(msg.method, args, reply);
}

}  // namespace braid
