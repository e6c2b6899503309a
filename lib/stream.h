/* Byte streams: connected (Stream) and listening (PassiveStream).
 *
 * Names follow Open vSwitch: "unix:PATH" and "tcp:HOST:PORT" connect;
 * "punix:PATH" and "ptcp:PORT[:HOST]" listen.  Every stream is nonblocking
 * and exposes its descriptor for an EventLoop to watch.
 *
 * Provider contract: a stream kind derives from Stream and implements the
 * private do_*() hooks; the public wrappers keep the byte counters and the
 * error conventions, so every kind behaves the same:
 *   - connect_status() is 0 once connected, EAGAIN while a connect is in
 *     progress, or a positive errno value for a failed connect;
 *   - recv() returns the bytes read (> 0), 0 at end of stream, or a
 *     negative errno value (-EAGAIN when nothing is ready);
 *   - send() returns the bytes written (> 0) or a negative errno value
 *     (-EAGAIN when the socket buffer is full).
 * Only "unix" and "tcp" exist today; "ssl" will be another kind. */
#ifndef BRAID_LIB_STREAM_H
#define BRAID_LIB_STREAM_H 1

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace braid {

class Stream {
public:
    virtual ~Stream();
    Stream(const Stream &) = delete;
    Stream &operator=(const Stream &) = delete;

    /* Starts connecting to 'name'.  Returns null with '*error' set to a
     * description for a bad name or an immediate failure. */
    static std::unique_ptr<Stream> open(const std::string &name, std::string *error);

    /* Wraps an already connected descriptor (from accept() or socketpair()). */
    static std::unique_ptr<Stream> from_fd(const std::string &name, int fd);

    const std::string &name() const { return name_; }
    int fd() const { return fd_; }

    /* Whether idle connections of this kind should be probed with echo
     * requests (tcp and ssl; not unix). */
    bool needs_probes() const { return needs_probes_; }

    int connect_status();
    ssize_t recv(void *buffer, size_t n);
    ssize_t send(const void *buffer, size_t n);

    uint64_t bytes_received() const { return rx_bytes_; }
    uint64_t bytes_sent() const { return tx_bytes_; }

protected:
    Stream(std::string name, int fd, bool needs_probes);

private:
    virtual int do_connect_status() = 0;
    virtual ssize_t do_recv(void *buffer, size_t n) = 0;
    virtual ssize_t do_send(const void *buffer, size_t n) = 0;

    std::string name_;
    int fd_;
    bool needs_probes_;
    bool connected_ = false;
    uint64_t rx_bytes_ = 0;
    uint64_t tx_bytes_ = 0;
};

class PassiveStream {
public:
    ~PassiveStream();
    PassiveStream(const PassiveStream &) = delete;
    PassiveStream &operator=(const PassiveStream &) = delete;

    /* Starts listening on 'name'.  Returns null with '*error' set on
     * failure.  A punix socket file is created (replacing a stale one) and
     * removed again by the destructor. */
    static std::unique_ptr<PassiveStream> open(const std::string &name, std::string *error);

    const std::string &name() const { return name_; }
    int fd() const { return fd_; }

    /* The port a ptcp stream listens on (useful with port 0), else 0. */
    uint16_t port() const;

    /* Accepts one connection.  Returns null with '*error' set to a positive
     * errno value (EAGAIN when none is pending). */
    std::unique_ptr<Stream> accept(int *error);

    /* Removes the socket file of a punix stream now (it is also removed on
     * destruction); the stream stays open. */
    void unlink_path();

private:
    PassiveStream(std::string name, int fd, std::string path);

    std::string name_;
    int fd_;
    std::string path_;      /* punix socket file, or empty. */
};

}  // namespace braid

#endif  // BRAID_LIB_STREAM_H
