/* The liveness path of bonds. */
#include <config.h>

#include "ofproto/bond-liveness.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <vector>

#include "lib/coverage.h"
#include "lib/dpif-netdev.h"
#include "lib/rtnetlink.h"
#include "lib/timeval.h"
#include "lib/vlog.h"
#include "ofproto/bond.h"

BRAID_LOG_MODULE(bond_liveness);
BRAID_COVERAGE_DEFINE(bond_liveness_link_event);
BRAID_COVERAGE_DEFINE(bond_liveness_resync);
BRAID_COVERAGE_DEFINE(bond_liveness_bad_message);

namespace braid::ofproto {
namespace {

std::atomic<BondLiveness *> instance{nullptr};

/* The longest sleep, ms, so that a lost wakeup costs at most this. */
constexpr int kMaxSleepMs = 1000;

}  // namespace

BondLiveness::BondLiveness(dp::Datapath *datapath) : datapath_(datapath)
{
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);

    nl_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (nl_ && mnl_socket_bind(nl_, RTMGRP_LINK, MNL_SOCKET_AUTOPID) == 0) {
        ev.data.fd = mnl_socket_get_fd(nl_);
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ev.data.fd, &ev);
    } else {
        VLOG_WARN("cannot listen to link changes ({}); bond members' carrier changes reach "
                  "bonds through the control thread only", strerror(errno));
        if (nl_) {
            mnl_socket_close(nl_);
            nl_ = nullptr;
        }
    }
    /* A warp (or stop) waits for a pass, so that what it made due has run
     * when time/warp answers. */
    if (datapath_) {
        ev.data.fd = datapath_->slow_fd();
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ev.data.fd, &ev);
    }
    clock_listener_ = timeval::add_change_listener([this] { sync(); });
    thread_ = std::thread([this] { main(); });
    instance.store(this);
}

BondLiveness::~BondLiveness()
{
    instance.store(nullptr);
    timeval::remove_change_listener(clock_listener_);
    exit_.store(true);
    wake();
    thread_.join();
    if (nl_) {
        mnl_socket_close(nl_);
    }
    close(epoll_fd_);
    close(wake_fd_);
}

BondLiveness *BondLiveness::get()
{
    return instance.load();
}

void BondLiveness::add(Bond *bond)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        bonds_.insert(bond);
    }
    wake();
}

void BondLiveness::remove(Bond *bond)
{
    std::lock_guard<std::mutex> lock(mutex_);
    bonds_.erase(bond);
}

void BondLiveness::wake()
{
    uint64_t one = 1;
    ssize_t n = write(wake_fd_, &one, sizeof one);
    (void) n;
}

void BondLiveness::sync()
{
    if (std::this_thread::get_id() == thread_.get_id()) {
        return;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    /* The pass under way may have begun before the call. */
    uint64_t target = passes_.load() + 2;
    wake();
    pass_cv_.wait_for(lock, std::chrono::seconds(2), [&] {
        if (passes_.load() < target) {
            wake();
            return false;
        }
        return true;
    });
}

void BondLiveness::read_links(bool *resync)
{
    std::vector<LinkEvent> events;
    std::vector<uint8_t> buffer(MNL_SOCKET_BUFFER_SIZE);
    for (int i = 0; i < 64; i++) {
        ssize_t n = mnl_socket_recvfrom(nl_, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == ENOBUFS) {
                COVERAGE_INC(bond_liveness_resync);
                *resync = true;
                continue;
            }
            break;      /* EAGAIN: nothing more. */
        }
        const auto *nlh = reinterpret_cast<const struct nlmsghdr *>(buffer.data());
        int left = int(n);
        for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
            if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) {
                continue;
            }
            RtnlLink link;
            if (rtnetlink_parse_link(nlh, &link) != RtnlParseError::kNone) {
                COVERAGE_INC(bond_liveness_bad_message);
                continue;
            }
            COVERAGE_INC(bond_liveness_link_event);
            bool carrier = nlh->nlmsg_type == RTM_NEWLINK && link.has_carrier();
            events.push_back({link.ifindex, carrier});
        }
    }
    if (events.empty()) {
        return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (Bond *bond : bonds_) {
        for (const LinkEvent &e : events) {
            bond->carrier_event(e.ifindex, e.carrier);
        }
    }
}

void BondLiveness::main()
{
    vlog::set_thread_name("bond_liveness");
    while (!exit_.load()) {
        bool resync = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (Bond *bond : bonds_) {
                bond->tick();
            }
            passes_.fetch_add(1);
        }
        pass_cv_.notify_all();

        int64_t now = timeval::msec();
        int64_t next = INT64_MAX;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (Bond *bond : bonds_) {
                next = std::min(next, bond->next_wake());
            }
        }
        int timeout = kMaxSleepMs;
        if (!timeval::is_stopped() && next != INT64_MAX) {
            timeout = int(std::clamp<int64_t>(next - now, 0, kMaxSleepMs));
        }
        struct epoll_event events[4];
        int n = epoll_wait(epoll_fd_, events, 4, timeout);
        for (int i = 0; i < n; i++) {
            if (nl_ && events[i].data.fd == mnl_socket_get_fd(nl_)) {
                read_links(&resync);
            } else if (datapath_ && events[i].data.fd == datapath_->slow_fd()) {
                std::vector<dp::SlowFrame> frames = datapath_->take_slow_frames();
                std::lock_guard<std::mutex> lock(mutex_);
                for (const dp::SlowFrame &f : frames) {
                    for (Bond *bond : bonds_) {
                        bond->slow_frame(f.port_no, f.frame);
                    }
                }
            } else {
                uint64_t value;
                ssize_t r = read(wake_fd_, &value, sizeof value);
                (void) r;
            }
        }
        if (resync) {
            std::lock_guard<std::mutex> lock(mutex_);
            for (Bond *bond : bonds_) {
                bond->carrier_resync();
            }
        }
    }
}

}  // namespace braid::ofproto
