/* A JSON-RPC connection over a stream. */
#include <config.h>

#include "lib/jsonrpc.h"

#include <cerrno>

#include "lib/coverage.h"
#include "lib/timeval.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(jsonrpc);
BRAID_COVERAGE_DEFINE(jsonrpc_recv);
BRAID_COVERAGE_DEFINE(jsonrpc_sent);
BRAID_COVERAGE_DEFINE(jsonrpc_echo_answered);
BRAID_COVERAGE_DEFINE(jsonrpc_probe_sent);
BRAID_COVERAGE_DEFINE(jsonrpc_close_bad_json);
BRAID_COVERAGE_DEFINE(jsonrpc_close_bad_message);
BRAID_COVERAGE_DEFINE(jsonrpc_close_eof);
BRAID_COVERAGE_DEFINE(jsonrpc_close_error);
BRAID_COVERAGE_DEFINE(jsonrpc_close_probe_timeout);

namespace braid {
namespace {

/* At most this much is read per wakeup, so that one busy peer cannot keep
 * the loop from everything else. */
constexpr size_t kMaxReadPerWakeup = 1 << 20;

}  // namespace

JsonRpcConnection::JsonRpcConnection(EventLoop &loop, std::unique_ptr<Stream> stream,
                                     MessageHandler on_message, CloseHandler on_close)
    : loop_(loop),
      stream_(std::move(stream)),
      on_message_(std::move(on_message)),
      on_close_(std::move(on_close))
{
    last_activity_ = timeval::msec();
    loop_.watch_fd(stream_->fd(), EPOLLIN | EPOLLOUT,
                   [this](uint32_t events) { handle_events(events); });
    watching_out_ = true;
    if (stream_->needs_probes()) {
        set_probe_interval(5000);
    }
}

JsonRpcConnection::~JsonRpcConnection()
{
    *alive_ = false;
    close();
}

void JsonRpcConnection::close()
{
    if (!closed_) {
        closed_ = true;
        probe_timer_.stop();
        loop_.unwatch_fd(stream_->fd());
    }
}

void JsonRpcConnection::close_after_flush()
{
    closing_ = true;
    if (backlog() == 0) {
        close();
    }
}

void JsonRpcConnection::fail(const std::string &reason)
{
    if (closed_) {
        return;
    }
    close();
    if (!on_close_) {
        return;
    }
    if (sending_) {
        std::weak_ptr<bool> alive = alive_;
        loop_.post([this, alive, reason] {
            if (auto a = alive.lock(); a && *a) {
                on_close_(reason);
            }
        });
    } else {
        on_close_(reason);
    }
}

void JsonRpcConnection::send(const JsonRpcMessage &msg)
{
    if (closed_ || closing_) {
        return;
    }
    COVERAGE_INC(jsonrpc_sent);
    if (out_pos_ == out_.size()) {
        out_.clear();
        out_pos_ = 0;
    }
    out_ += msg.to_text();
    if (connected_) {
        /* A failure here must not reach the owner while it is still inside
         * its own call to send(): report it from the loop. */
        sending_ = true;
        do_send();
        sending_ = false;
    }
    update_watch();
}

void JsonRpcConnection::update_watch()
{
    if (closed_) {
        return;
    }
    bool want_out = !connected_ || backlog() > 0;
    bool want_in = !eof_;
    if (want_out != watching_out_ || want_in != watching_in_) {
        watching_out_ = want_out;
        watching_in_ = want_in;
        loop_.modify_fd(stream_->fd(),
                        (want_in ? uint32_t(EPOLLIN) : 0) | (want_out ? uint32_t(EPOLLOUT) : 0));
    }
}

void JsonRpcConnection::handle_events(uint32_t events)
{
    std::shared_ptr<bool> alive = alive_;
    if (!connected_) {
        int status = stream_->connect_status();
        if (status == EAGAIN) {
            return;
        } else if (status) {
            COVERAGE_INC(jsonrpc_close_error);
            fail(fmt::format("connection failed ({})", errno_to_string(status)));
            return;
        }
        connected_ = true;
    }
    if (eof_ && (events & (EPOLLHUP | EPOLLERR))) {
        /* Both directions are gone: nobody will read what we still have. */
        COVERAGE_INC(jsonrpc_close_eof);
        fail("connection closed by peer");
        return;
    }
    if (!eof_ && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        do_receive();
        if (!*alive || closed_) {
            return;
        }
    }
    if (backlog() > 0) {
        do_send();
    }
    if (!closed_) {
        update_watch();
    }
}

void JsonRpcConnection::do_send()
{
    while (backlog() > 0) {
        ssize_t n = stream_->send(out_.data() + out_pos_, backlog());
        if (n == -EAGAIN || n == -EINTR) {
            break;
        } else if (n < 0) {
            static vlog::RateLimit rl(5, 20);
            VLOG_WARN_RL(rl, "{}: send error: {}", name(), errno_to_string(-n));
            COVERAGE_INC(jsonrpc_close_error);
            fail(fmt::format("send error ({})", errno_to_string(-n)));
            return;
        }
        out_pos_ += n;
    }
    if (backlog() == 0) {
        out_.clear();
        out_pos_ = 0;
        if (closing_) {
            close();
        } else if (eof_close_pending_) {
            COVERAGE_INC(jsonrpc_close_eof);
            fail("connection closed by peer");
        }
    }
}

void JsonRpcConnection::finish_after_eof()
{
    /* The peer sent everything it will send and all of it was delivered.
     * Answers still queued go out first (a client may half-close its side
     * and wait for the reply), then the connection closes. */
    if (backlog() == 0) {
        COVERAGE_INC(jsonrpc_close_eof);
        fail("connection closed by peer");
    } else {
        eof_close_pending_ = true;
    }
}

void JsonRpcConnection::do_receive()
{
    char buffer[65536];
    size_t total = 0;
    while (total < kMaxReadPerWakeup) {
        ssize_t n = stream_->recv(buffer, sizeof buffer);
        if (n == -EAGAIN || n == -EINTR) {
            break;
        } else if (n == 0) {
            /* Deliver what came before the end of the stream first. */
            eof_ = true;
            VLOG_DBG("{}: end of input from peer", name());
            break;
        } else if (n < 0) {
            static vlog::RateLimit rl(5, 20);
            VLOG_WARN_RL(rl, "{}: receive error: {}", name(), errno_to_string(-n));
            COVERAGE_INC(jsonrpc_close_error);
            fail(fmt::format("receive error ({})", errno_to_string(-n)));
            return;
        }
        total += n;
        last_activity_ = timeval::msec();
        probe_sent_ = false;
        framer_.feed(std::string_view(buffer, n));
        if (framer_.failed()) {
            break;
        }
    }
    deliver();
}

void JsonRpcConnection::deliver()
{
    if (delivering_) {
        return;         /* A callback resumed us; the outer call continues. */
    }
    std::shared_ptr<bool> alive = alive_;
    delivering_ = true;
    while (!closed_ && !paused_) {
        std::optional<nlohmann::json> json = framer_.next();
        if (!json) {
            if (framer_.failed()) {
                static vlog::RateLimit rl(5, 20);
                VLOG_WARN_RL(rl, "{}: closing connection: {}", name(), framer_.error());
                COVERAGE_INC(jsonrpc_close_bad_json);
                fail(framer_.error());
            }
            break;
        }
        std::string why;
        std::optional<JsonRpcMessage> msg = JsonRpcMessage::from_json(*json, &why);
        if (!msg) {
            static vlog::RateLimit rl(5, 20);
            VLOG_WARN_RL(rl, "{}: closing connection: invalid JSON-RPC message: {}", name(),
                         why);
            COVERAGE_INC(jsonrpc_close_bad_message);
            fail("invalid JSON-RPC message: " + why);
            break;
        }
        COVERAGE_INC(jsonrpc_recv);
        if (msg->type == JsonRpcMessage::Type::kRequest && msg->method == "echo") {
            COVERAGE_INC(jsonrpc_echo_answered);
            send(JsonRpcMessage::reply(msg->params, msg->id));
            continue;
        }
        if ((msg->type == JsonRpcMessage::Type::kReply
             || msg->type == JsonRpcMessage::Type::kError)
            && msg->id == "echo") {
            continue;       /* The answer to our own probe. */
        }
        if (on_message_) {
            on_message_(std::move(*msg));
            if (!*alive) {
                return;
            }
        }
    }
    delivering_ = false;
    if (eof_ && !closed_ && !paused_ && !eof_close_pending_) {
        finish_after_eof();
    }
}

void JsonRpcConnection::pause_receiving(bool pause)
{
    if (paused_ == pause) {
        return;
    }
    paused_ = pause;
    if (!pause && !closed_) {
        /* Deliver what was held back, but not from inside the caller. */
        std::weak_ptr<bool> alive = alive_;
        loop_.post([this, alive] {
            if (auto a = alive.lock(); a && *a) {
                deliver();
            }
        });
    }
}

void JsonRpcConnection::set_probe_interval(int64_t idle_ms)
{
    probe_interval_ = idle_ms;
    if (idle_ms > 0 && !closed_) {
        arm_probe();
    } else {
        probe_timer_.stop();
    }
}

void JsonRpcConnection::arm_probe()
{
    probe_timer_.start_at(loop_, last_activity_ + probe_interval_, [this] {
        int64_t now = timeval::msec();
        if (now < last_activity_ + probe_interval_) {
            arm_probe();        /* Input arrived meanwhile. */
        } else if (!probe_sent_) {
            COVERAGE_INC(jsonrpc_probe_sent);
            VLOG_DBG("{}: idle {} ms, sending inactivity probe", name(),
                     now - last_activity_);
            send(JsonRpcMessage::request("echo", nlohmann::json::array(), "echo"));
            probe_sent_ = true;
            last_activity_ = now;
            arm_probe();
        } else {
            static vlog::RateLimit rl(5, 20);
            VLOG_WARN_RL(rl, "{}: no response to inactivity probe after {} ms, "
                         "disconnecting", name(), now - last_activity_);
            COVERAGE_INC(jsonrpc_close_probe_timeout);
            fail("no response to inactivity probe");
        }
    });
}

}  // namespace braid
