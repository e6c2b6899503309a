/* Socket helpers. */
#include <config.h>

#include "lib/socket-util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/util.h"

namespace braid {
namespace {

/* Fills 'un' for 'path'.  For a path too long for sun_path, opens its
 * directory in '*dirfd' and uses /proc/self/fd/N/BASENAME instead. */
int make_sockaddr_un(const std::string &path, struct sockaddr_un *un, socklen_t *len,
                     int *dirfd)
{
    *dirfd = -1;
    std::string name = path;
    if (name.size() >= sizeof un->sun_path) {
        size_t slash = name.rfind('/');
        std::string dir = slash == std::string::npos ? "." : name.substr(0, slash);
        std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
        *dirfd = open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (*dirfd < 0) {
            return errno;
        }
        name = "/proc/self/fd/" + std::to_string(*dirfd) + "/" + base;
        if (name.size() >= sizeof un->sun_path) {
            close(*dirfd);
            *dirfd = -1;
            return ENAMETOOLONG;
        }
    }
    std::memset(un, 0, sizeof *un);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, name.c_str(), name.size() + 1);
    *len = offsetof(struct sockaddr_un, sun_path) + name.size() + 1;
    return 0;
}

}  // namespace

int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return errno;
    }
    return 0;
}

int make_unix_socket(const std::string &bind_path, const std::string &connect_path,
                     int *error)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = errno;
        return -1;
    }
    struct sockaddr_un un;
    socklen_t len;
    int dirfd;
    int err = 0;
    if (!bind_path.empty()) {
        err = make_sockaddr_un(bind_path, &un, &len, &dirfd);
        if (!err) {
            unlink(un.sun_path);    /* A stale socket from an earlier run. */
            if (bind(fd, reinterpret_cast<struct sockaddr *>(&un), len) < 0) {
                err = errno;
            }
            if (dirfd >= 0) {
                close(dirfd);
            }
        }
    } else if (!connect_path.empty()) {
        err = make_sockaddr_un(connect_path, &un, &len, &dirfd);
        if (!err) {
            if (connect(fd, reinterpret_cast<struct sockaddr *>(&un), len) < 0
                && errno != EINPROGRESS) {
                err = errno;
            }
            if (dirfd >= 0) {
                close(dirfd);
            }
        }
    }
    if (err) {
        close(fd);
        *error = err;
        return -1;
    }
    return fd;
}

bool parse_inet_address(std::string_view s, bool port_first, struct sockaddr_storage *ss,
                        socklen_t *len, std::string *error)
{
    std::string_view host, port;
    if (port_first) {
        size_t colon = s.find(':');
        port = s.substr(0, colon);
        host = colon == std::string_view::npos ? "" : s.substr(colon + 1);
    } else {
        size_t colon = s.rfind(':');
        if (colon == std::string_view::npos) {
            *error = "missing port number";
            return false;
        }
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    long long port_number;
    if (!parse_int(port, port_first ? 0 : 1, 65535, &port_number)) {
        *error = fmt::format("\"{}\" is not a valid port number", port);
        return false;
    }
    std::memset(ss, 0, sizeof *ss);
    std::string h(host);
    auto *sin = reinterpret_cast<struct sockaddr_in *>(ss);
    auto *sin6 = reinterpret_cast<struct sockaddr_in6 *>(ss);
    if (h.empty()) {
        if (!port_first) {
            *error = "missing host address";
            return false;
        }
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
        sin->sin_port = htons(port_number);
        *len = sizeof *sin;
    } else if (inet_pton(AF_INET, h.c_str(), &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port_number);
        *len = sizeof *sin;
    } else if (inet_pton(AF_INET6, h.c_str(), &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port_number);
        *len = sizeof *sin6;
    } else {
        *error = fmt::format("\"{}\" is not an IP address", host);
        return false;
    }
    return true;
}

int get_socket_error(int fd)
{
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) {
        return errno;
    }
    return error;
}

}  // namespace braid
