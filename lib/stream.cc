/* Byte streams over unix and tcp sockets. */
#include <config.h>

#include "lib/stream.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "lib/coverage.h"
#include "lib/socket-util.h"
#include "lib/util.h"

BRAID_COVERAGE_DEFINE(stream_open);
BRAID_COVERAGE_DEFINE(pstream_accept);

namespace braid {
namespace {

/* A stream over a connected (or connecting) socket. */
class SocketStream final : public Stream {
public:
    SocketStream(std::string name, int fd, bool needs_probes)
        : Stream(std::move(name), fd, needs_probes)
    {
    }

private:
    int do_connect_status() override
    {
        int error = get_socket_error(fd());
        if (error) {
            return error;
        }
        /* Connected once the peer address is known. */
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getpeername(fd(), reinterpret_cast<struct sockaddr *>(&ss), &len) == 0) {
            return 0;
        }
        return errno == ENOTCONN ? EAGAIN : errno;
    }

    ssize_t do_recv(void *buffer, size_t n) override
    {
        ssize_t r = ::recv(fd(), buffer, n, 0);
        return r >= 0 ? r : -errno;
    }

    ssize_t do_send(const void *buffer, size_t n) override
    {
        ssize_t r = ::send(fd(), buffer, n, MSG_NOSIGNAL);
        return r >= 0 ? r : -errno;
    }
};

void set_tcp_nodelay(int fd)
{
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

}  // namespace

Stream::Stream(std::string name, int fd, bool needs_probes)
    : name_(std::move(name)), fd_(fd), needs_probes_(needs_probes)
{
}

Stream::~Stream()
{
    if (fd_ >= 0) {
        close(fd_);
    }
}

std::unique_ptr<Stream> Stream::open(const std::string &name, std::string *error)
{
    COVERAGE_INC(stream_open);
    if (name.rfind("unix:", 0) == 0) {
        int err;
        int fd = make_unix_socket("", name.substr(5), &err);
        if (fd < 0) {
            *error = fmt::format("{}: {}", name, errno_to_string(err));
            return nullptr;
        }
        return std::make_unique<SocketStream>(name, fd, false);
    }
    if (name.rfind("tcp:", 0) == 0) {
        struct sockaddr_storage ss;
        socklen_t len;
        if (!parse_inet_address(name.substr(4), false, &ss, &len, error)) {
            *error = fmt::format("{}: {}", name, *error);
            return nullptr;
        }
        int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            *error = fmt::format("{}: {}", name, errno_to_string(errno));
            return nullptr;
        }
        if (connect(fd, reinterpret_cast<struct sockaddr *>(&ss), len) < 0
            && errno != EINPROGRESS) {
            *error = fmt::format("{}: {}", name, errno_to_string(errno));
            close(fd);
            return nullptr;
        }
        set_tcp_nodelay(fd);
        return std::make_unique<SocketStream>(name, fd, true);
    }
    *error = fmt::format("{}: unknown stream type (expected unix: or tcp:)", name);
    return nullptr;
}

std::unique_ptr<Stream> Stream::from_fd(const std::string &name, int fd)
{
    set_nonblocking(fd);
    bool tcp = name.rfind("tcp:", 0) == 0;
    return std::make_unique<SocketStream>(name, fd, tcp);
}

int Stream::connect_status()
{
    if (connected_) {
        return 0;
    }
    int status = do_connect_status();
    if (status == 0) {
        connected_ = true;
    }
    return status;
}

ssize_t Stream::recv(void *buffer, size_t n)
{
    ssize_t r = do_recv(buffer, n);
    if (r > 0) {
        rx_bytes_ += r;
    }
    return r;
}

ssize_t Stream::send(const void *buffer, size_t n)
{
    ssize_t r = do_send(buffer, n);
    if (r > 0) {
        tx_bytes_ += r;
    }
    return r;
}

PassiveStream::PassiveStream(std::string name, int fd, std::string path)
    : name_(std::move(name)), fd_(fd), path_(std::move(path))
{
}

PassiveStream::~PassiveStream()
{
    close(fd_);
    unlink_path();
}

void PassiveStream::unlink_path()
{
    if (!path_.empty()) {
        unlink(path_.c_str());
        path_.clear();
    }
}

std::unique_ptr<PassiveStream> PassiveStream::open(const std::string &name,
                                                   std::string *error)
{
    int fd;
    std::string path;
    if (name.rfind("punix:", 0) == 0) {
        path = name.substr(6);
        int err;
        fd = make_unix_socket(path, "", &err);
        if (fd < 0) {
            *error = fmt::format("{}: {}", name, errno_to_string(err));
            return nullptr;
        }
    } else if (name.rfind("ptcp:", 0) == 0) {
        struct sockaddr_storage ss;
        socklen_t len;
        if (!parse_inet_address(name.substr(5), true, &ss, &len, error)) {
            *error = fmt::format("{}: {}", name, *error);
            return nullptr;
        }
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int on = 1;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0
            || bind(fd, reinterpret_cast<struct sockaddr *>(&ss), len) < 0) {
            *error = fmt::format("{}: {}", name, errno_to_string(errno));
            if (fd >= 0) {
                close(fd);
            }
            return nullptr;
        }
    } else {
        *error = fmt::format("{}: unknown stream type (expected punix: or ptcp:)", name);
        return nullptr;
    }
    if (listen(fd, 64) < 0) {
        *error = fmt::format("{}: listen failed: {}", name, errno_to_string(errno));
        close(fd);
        if (!path.empty()) {
            unlink(path.c_str());
        }
        return nullptr;
    }
    return std::unique_ptr<PassiveStream>(new PassiveStream(name, fd, path));
}

uint16_t PassiveStream::port() const
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd_, reinterpret_cast<struct sockaddr *>(&ss), &len) < 0) {
        return 0;
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<struct sockaddr_in *>(&ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<struct sockaddr_in6 *>(&ss)->sin6_port);
    }
    return 0;
}

std::unique_ptr<Stream> PassiveStream::accept(int *error)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept4(fd_, reinterpret_cast<struct sockaddr *>(&ss), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        *error = errno;
        return nullptr;
    }
    COVERAGE_INC(pstream_accept);
    bool tcp = ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
    if (tcp) {
        set_tcp_nodelay(fd);
    }
    std::string peer = tcp ? "tcp:" + name_.substr(5) : "unix:" + name_.substr(6);
    return Stream::from_fd(peer, fd);
}

}  // namespace braid
