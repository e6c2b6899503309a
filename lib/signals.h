/* Delivering signals through an EventLoop, so that handlers are ordinary
 * code on the loop's thread instead of async-signal-safe fragments. */
#ifndef BRAID_LIB_SIGNALS_H
#define BRAID_LIB_SIGNALS_H 1

#include <functional>
#include <initializer_list>

#include "lib/event-loop.h"

namespace braid {

class SignalWatcher {
public:
    using Handler = std::function<void(int signo)>;

    /* Blocks 'signals' in the calling thread (and so in threads it creates
     * later: create the watcher before any thread) and calls 'handler' on
     * 'loop' when one arrives. */
    SignalWatcher(EventLoop &loop, std::initializer_list<int> signals, Handler handler);
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher &) = delete;
    SignalWatcher &operator=(const SignalWatcher &) = delete;

private:
    void drain();

    EventLoop &loop_;
    int fd_ = -1;
    Handler handler_;
};

/* Ignores SIGPIPE, so that writes to closed sockets fail with EPIPE. */
void ignore_sigpipe();

}  // namespace braid

#endif  // BRAID_LIB_SIGNALS_H
