/* The unixctl server: the control socket that ovs-appctl talks to.
 *
 * It listens on a unix socket (for braid-vswitchd,
 * <rundir>/ovs-vswitchd.<pid>.ctl, where plain ovs-appctl looks), reads one
 * JSON-RPC request at a time from each client, checks the command and its
 * argument count against the registry (unixctl.h) and sends the handler's
 * answer back as a reply (text result) or an error (text error), exactly as
 * the real ovs-vswitchd does.  A request whose arguments are not all strings
 * is answered with an error; anything that is not a request closes the
 * connection. */
#ifndef BRAID_LIB_UNIXCTL_SERVER_H
#define BRAID_LIB_UNIXCTL_SERVER_H 1

#include <map>
#include <memory>
#include <string>

#include "lib/event-loop.h"
#include "lib/jsonrpc.h"
#include "lib/stream.h"

namespace braid {

class UnixctlServer {
public:
    ~UnixctlServer();
    UnixctlServer(const UnixctlServer &) = delete;
    UnixctlServer &operator=(const UnixctlServer &) = delete;

    /* Listens on the unix socket 'path'.  Returns null with '*error' set on
     * failure. */
    static std::unique_ptr<UnixctlServer> create(EventLoop &loop, const std::string &path,
                                                 std::string *error);

    /* The default socket path of a program: <rundir>/<program>.<pid>.ctl. */
    static std::string default_path(const std::string &program);

    const std::string &path() const { return path_; }

    /* Removes the socket file, so that clients can no longer connect; the
     * connections already open keep working (used on exit, so that the last
     * answer still gets out). */
    void unlink_path();

    size_t n_connections() const { return connections_.size(); }

private:
    struct Connection;

    UnixctlServer(EventLoop &loop, std::unique_ptr<PassiveStream> listener, std::string path);
    void accept_connections();
    void handle_request(Connection &conn, JsonRpcMessage &&msg);
    void destroy_later(Connection *conn);

    EventLoop &loop_;
    std::unique_ptr<PassiveStream> listener_;
    std::string path_;
    uint64_t next_id_ = 1;
    std::map<uint64_t, std::unique_ptr<Connection>> connections_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace braid

#endif  // BRAID_LIB_UNIXCTL_SERVER_H
