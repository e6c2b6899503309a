/* Delivering signals through an EventLoop. */
#include <config.h>

#include "lib/signals.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "lib/util.h"

namespace braid {

SignalWatcher::SignalWatcher(EventLoop &loop, std::initializer_list<int> signals,
                             Handler handler)
    : loop_(loop), handler_(std::move(handler))
{
    sigset_t set;
    sigemptyset(&set);
    for (int signo : signals) {
        sigaddset(&set, signo);
    }
    if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) {
        fatal("pthread_sigmask failed");
    }
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) {
        fatal("signalfd failed ({})", errno_to_string(errno));
    }
    loop_.watch_fd(fd_, EPOLLIN, [this](uint32_t) { drain(); });
}

SignalWatcher::~SignalWatcher()
{
    loop_.unwatch_fd(fd_);
    close(fd_);
}

void SignalWatcher::drain()
{
    struct signalfd_siginfo info;
    while (read(fd_, &info, sizeof info) == ssize_t(sizeof info)) {
        handler_(int(info.ssi_signo));
    }
}

void ignore_sigpipe()
{
    signal(SIGPIPE, SIG_IGN);
}

}  // namespace braid
