/* A JSON-RPC connection over a stream, driven by an EventLoop.
 *
 * Messages are framed as Open vSwitch frames them: compact JSON values one
 * after another, with no length prefix or delimiter (json-framer.h).  The
 * connection answers "echo" requests by itself and swallows replies to its
 * own echo probes (whose id is "echo"); when probing is on (tcp streams by
 * default) it sends a probe after an idle interval and closes the connection
 * if the peer stays silent for another.
 *
 * Received requests, notifications and replies go to the message callback.
 * At the end of the peer's stream, everything received before it is still
 * delivered and answers already queued are still sent; then the connection
 * closes.  A stream error, bytes that are not JSON, or a value that is
 * not a valid JSON-RPC message closes the connection and calls the close
 * callback once, with the reason.  Every such problem is counted by reason
 * (coverage/show) and logged with a rate limit.
 *
 * Callbacks run on the loop's thread and must not destroy the connection
 * directly; they may close() it and post its destruction to the loop.  The
 * close callback never runs from inside send(): a failure to write is
 * reported from the loop afterwards. */
#ifndef BRAID_LIB_JSONRPC_H
#define BRAID_LIB_JSONRPC_H 1

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lib/event-loop.h"
#include "lib/json-framer.h"
#include "lib/jsonrpc-message.h"
#include "lib/stream.h"

namespace braid {

class JsonRpcConnection {
public:
    using MessageHandler = std::function<void(JsonRpcMessage &&msg)>;
    using CloseHandler = std::function<void(const std::string &reason)>;

    /* Takes 'stream', which may still be connecting. */
    JsonRpcConnection(EventLoop &loop, std::unique_ptr<Stream> stream, MessageHandler on_message,
                      CloseHandler on_close);
    ~JsonRpcConnection();
    JsonRpcConnection(const JsonRpcConnection &) = delete;
    JsonRpcConnection &operator=(const JsonRpcConnection &) = delete;

    /* Queues 'msg' for sending.  Ignored once closed. */
    void send(const JsonRpcMessage &msg);

    /* Closes the connection now (queued output is dropped).  Does not call
     * the close callback. */
    void close();

    /* Closes once everything queued has been sent. */
    void close_after_flush();

    bool is_closed() const { return closed_; }
    bool is_connected() const { return connected_; }

    /* While paused, received messages stay queued and the callback is not
     * called; resuming delivers them.  Used to handle one request at a time. */
    void pause_receiving(bool pause);

    /* Sends an echo request after 'idle_ms' without input and closes after
     * another 'idle_ms' of silence; 0 turns probing off. */
    void set_probe_interval(int64_t idle_ms);

    /* Bytes queued but not yet written. */
    size_t backlog() const { return out_.size() - out_pos_; }

    const std::string &name() const { return stream_->name(); }

private:
    void handle_events(uint32_t events);
    void do_receive();
    void deliver();
    void do_send();
    void update_watch();
    void fail(const std::string &reason);
    void finish_after_eof();
    void arm_probe();

    EventLoop &loop_;
    std::unique_ptr<Stream> stream_;
    MessageHandler on_message_;
    CloseHandler on_close_;

    JsonFramer framer_;
    std::string out_;
    size_t out_pos_ = 0;

    bool connected_ = false;
    bool closed_ = false;
    bool closing_ = false;          /* close_after_flush() was called. */
    bool paused_ = false;
    bool delivering_ = false;
    bool sending_ = false;          /* Inside send(): defer the close callback. */
    bool watching_out_ = false;
    bool watching_in_ = true;
    bool eof_ = false;              /* The peer closed its sending side. */
    bool eof_close_pending_ = false;    /* Close once the backlog is sent. */

    int64_t probe_interval_ = 0;
    int64_t last_activity_ = 0;
    bool probe_sent_ = false;
    Timer probe_timer_;

    /* Set to false by the destructor, so that a callback that destroyed
     * the connection (against the rules) is at least detected. */
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace braid

#endif  // BRAID_LIB_JSONRPC_H
