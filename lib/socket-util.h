/* Socket helpers shared by the stream classes. */
#ifndef BRAID_LIB_SOCKET_UTIL_H
#define BRAID_LIB_SOCKET_UTIL_H 1

#include <sys/socket.h>

#include <string>
#include <string_view>

namespace braid {

/* Sets O_NONBLOCK on 'fd'.  Returns 0 or a positive errno value. */
int set_nonblocking(int fd);

/* Creates a nonblocking AF_UNIX stream socket and binds it to 'bind_path'
 * (if not empty) or connects it to 'connect_path' (if not empty).  Paths too
 * long for sockaddr_un are reached through /proc/self/fd.  Returns the
 * descriptor, or -1 with '*error' set to a positive errno value.  A connect
 * in progress is not an error (check with get_socket_error() later). */
int make_unix_socket(const std::string &bind_path, const std::string &connect_path,
                     int *error);

/* Parses "HOST:PORT" (HOST an IPv4 or bracketed IPv6 literal) for tcp:, or
 * "PORT[:HOST]" for ptcp: when 'port_first' is true.  An empty HOST means
 * the any address (ptcp) and is refused for tcp.  Returns false with
 * '*error' set to a description on failure. */
bool parse_inet_address(std::string_view s, bool port_first, struct sockaddr_storage *ss,
                        socklen_t *len, std::string *error);

/* The pending error of a socket (SO_ERROR), 0 if none. */
int get_socket_error(int fd);

}  // namespace braid

#endif  // BRAID_LIB_SOCKET_UTIL_H
