/* Link state over rtnetlink.
 *
 * The listener is one nonblocking NETLINK_ROUTE socket bound to the
 * RTMGRP_LINK group.  Each datagram it receives holds whole netlink
 * messages; every message is checked against the datagram's length and every
 * attribute against its message before anything is read, so a short or
 * malformed message is counted and skipped, never read past.  Requests use a
 * fresh socket each, so that no stale answer can be mistaken for the
 * expected one. */
#include <config.h>

#include "lib/rtnetlink.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include <libmnl/libmnl.h>

#include "lib/coverage.h"
#include "lib/event-loop.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(rtnetlink);
BRAID_COVERAGE_DEFINE(rtnetlink_event);
BRAID_COVERAGE_DEFINE(rtnetlink_overrun);
BRAID_COVERAGE_DEFINE(rtnetlink_resync);
BRAID_COVERAGE_DEFINE(rtnetlink_msg_truncated);
BRAID_COVERAGE_DEFINE(rtnetlink_short_header);
BRAID_COVERAGE_DEFINE(rtnetlink_bad_attribute);
BRAID_COVERAGE_DEFINE(rtnetlink_unexpected_type);
BRAID_COVERAGE_DEFINE(rtnetlink_foreign_sender);
BRAID_COVERAGE_DEFINE(rtnetlink_recv_error);
BRAID_COVERAGE_DEFINE(rtnetlink_bad_reply);

namespace braid {
namespace {

/* The largest datagram the listener and the requests accept.  The kernel
 * sizes each link message to fit its attributes; 64 KiB is far above what
 * a link without many SR-IOV VFs needs, and a larger one is reported as
 * truncated (and, for the listener, answered by a resync). */
constexpr size_t kBufferSize = 65536;

/* The listener's socket receive buffer.  Large enough for a burst of a few
 * hundred link events between two runs of the loop; beyond that the kernel
 * reports ENOBUFS and the listener resyncs. */
constexpr int kListenerRcvbuf = 1 << 20;

/* Datagrams the listener reads per run before it lets the loop do other
 * work (level-triggered: the loop calls it again). */
constexpr int kMaxDatagramsPerRun = 256;

/* Datagrams dropped at most after an overrun; the socket buffer holds far
 * fewer, so this only bounds the loop. */
constexpr int kMaxDiscards = 1 << 16;

/* How long a request waits for the kernel's answer. */
constexpr int kRequestTimeoutSec = 1;

/* Answers a request may have to skip before the expected one. */
constexpr int kMaxRequestReceives = 16;

/* Walks the netlink messages of a buffer.  libmnl's mnl_nlmsg_ok() compares
 * nlmsg_len as a signed int, so a length of 2 GiB or more passes its check;
 * this walk keeps every length unsigned and within the buffer. */
class MessageWalk {
public:
    explicit MessageWalk(std::span<const uint8_t> buffer) : buffer_(buffer) {}

    /* The next whole message, or null at the end of the buffer or at bytes
     * that do not form one (then truncated() is true). */
    const struct nlmsghdr *next()
    {
        size_t left = buffer_.size() - pos_;
        if (left < sizeof(struct nlmsghdr)) {
            truncated_ = left > 0;
            return nullptr;
        }
        const auto *nlh = reinterpret_cast<const struct nlmsghdr *>(buffer_.data() + pos_);
        if (nlh->nlmsg_len < sizeof(struct nlmsghdr) || nlh->nlmsg_len > left) {
            truncated_ = true;
            return nullptr;
        }
        pos_ += std::min<size_t>(NLMSG_ALIGN(size_t(nlh->nlmsg_len)), left);
        return nlh;
    }

    bool truncated() const { return truncated_; }

private:
    std::span<const uint8_t> buffer_;
    size_t pos_ = 0;
    bool truncated_ = false;
};

struct Listener {
    int ifindex;
    std::string name;
    std::shared_ptr<RtnlCallback> callback;
};

/* The process's listener.  Guarded by 'mutex', which is never held while a
 * callback runs. */
struct State {
    std::mutex mutex;
    struct mnl_socket *socket = nullptr;
    EventLoop *loop = nullptr;
    std::map<int, Listener> listeners;
    int next_id = 1;
    /* True while receive_pending() runs; it is not reentered, and it closes
     * the socket itself if the last listener went away meanwhile. */
    bool receiving = false;
    std::vector<uint8_t> buffer = std::vector<uint8_t>(kBufferSize);
};

State &state()
{
    static State *s = new State;       /* Outlives every static destructor. */
    return *s;
}

void receive_pending();

void watch_locked(State &s)
{
    if (s.loop && s.socket) {
        s.loop->watch_fd(mnl_socket_get_fd(s.socket), EPOLLIN,
                         [](uint32_t) { receive_pending(); });
    }
}

void unwatch_locked(State &s)
{
    if (s.loop && s.socket) {
        s.loop->unwatch_fd(mnl_socket_get_fd(s.socket));
    }
}

void close_socket_locked(State &s)
{
    if (s.socket) {
        unwatch_locked(s);
        mnl_socket_close(s.socket);
        s.socket = nullptr;
    }
}

int open_socket_locked(State &s)
{
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (!nl) {
        return errno;
    }
    if (mnl_socket_bind(nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
        int error = errno;
        mnl_socket_close(nl);
        return error;
    }
    /* SO_RCVBUFFORCE passes rmem_max when privileged; otherwise the plain
     * option gets what the limit allows. */
    int fd = mnl_socket_get_fd(nl);
    int size = kListenerRcvbuf;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    s.socket = nl;
    watch_locked(s);
    return 0;
}

bool listener_matches(const Listener &l, const RtnlLink &link)
{
    if (l.ifindex < 0) {
        return true;                /* Follows every link. */
    }
    return l.ifindex ? l.ifindex == link.ifindex
                     : !link.name.empty() && l.name == link.name;
}

/* Calls every callback that follows 'link'.  A callback that an earlier one
 * removed is skipped. */
void dispatch(const RtnlLink &link, RtnlChange change)
{
    State &s = state();
    std::vector<std::pair<int, std::shared_ptr<RtnlCallback>>> targets;
    {
        std::lock_guard<std::mutex> lock(s.mutex);
        for (const auto &[id, l] : s.listeners) {
            if (listener_matches(l, link)) {
                targets.emplace_back(id, l.callback);
            }
        }
    }
    if (!targets.empty()) {
        COVERAGE_INC(rtnetlink_event);
    }
    for (const auto &[id, callback] : targets) {
        {
            std::lock_guard<std::mutex> lock(s.mutex);
            if (!s.listeners.count(id)) {
                continue;
            }
        }
        (*callback)(link, change);
    }
}

/* Asks the kernel for the current state of every followed link and reports
 * it, after events were lost. */
void resync()
{
    COVERAGE_INC(rtnetlink_resync);
    State &s = state();
    std::set<std::pair<int, std::string>> targets;
    bool any = false;
    {
        std::lock_guard<std::mutex> lock(s.mutex);
        for (const auto &[id, l] : s.listeners) {
            if (l.ifindex >= 0) {
                targets.emplace(l.ifindex, l.ifindex ? std::string() : l.name);
            } else {
                any = true;
            }
        }
    }
    if (any) {
        /* Those following every link learn that something may have changed
         * through an event for no link in particular. */
        RtnlLink unknown;
        dispatch(unknown, RtnlChange::kNew);
    }
    for (const auto &[ifindex, name] : targets) {
        RtnlLink link;
        int error = ifindex ? rtnetlink_get_link_by_index(ifindex, &link)
                            : rtnetlink_get_link(name, &link);
        if (!error) {
            dispatch(link, RtnlChange::kNew);
        } else if (error == ENODEV) {
            RtnlLink gone;
            gone.ifindex = ifindex;
            gone.name = name;
            dispatch(gone, RtnlChange::kDelete);
        } else {
            static vlog::RateLimit rl(5, 20);
            VLOG_WARN_RL(rl, "could not query link {} after lost events ({})",
                         ifindex ? std::to_string(ifindex) : name, errno_to_string(error));
        }
    }
}

/* Reads and drops whatever the listener socket holds. */
void discard_pending(int fd, std::vector<uint8_t> &buffer)
{
    for (int i = 0; i < kMaxDiscards; i++) {
        ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && errno != EINTR && errno != ENOBUFS) {
            break;
        }
    }
}

void receive_pending()
{
    State &s = state();
    int fd;
    {
        std::lock_guard<std::mutex> lock(s.mutex);
        if (!s.socket || s.receiving) {
            return;
        }
        s.receiving = true;
        fd = mnl_socket_get_fd(s.socket);
    }

    bool lost = false;
    for (int i = 0; i < kMaxDatagramsPerRun; i++) {
        struct sockaddr_nl sender {};
        struct iovec iov = {s.buffer.data(), s.buffer.size()};
        struct msghdr msg {};
        msg.msg_name = &sender;
        msg.msg_namelen = sizeof sender;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            } else if (errno == EINTR) {
                continue;
            } else if (errno == ENOBUFS) {
                /* The kernel dropped the newest events.  The older ones
                 * still queued would only take the followers back in time
                 * after the resync, so they go too. */
                COVERAGE_INC(rtnetlink_overrun);
                discard_pending(fd, s.buffer);
                lost = true;
                break;
            }
            COVERAGE_INC(rtnetlink_recv_error);
            static vlog::RateLimit rl(5, 20);
            VLOG_WARN_RL(rl, "error receiving link events ({})", errno_to_string(errno));
            break;
        }
        if (msg.msg_flags & MSG_TRUNC) {
            COVERAGE_INC(rtnetlink_msg_truncated);
            discard_pending(fd, s.buffer);
            lost = true;
            break;
        }
        if (sender.nl_pid != 0) {
            COVERAGE_INC(rtnetlink_foreign_sender);
            continue;
        }
        rtnetlink_handle_messages({s.buffer.data(), size_t(n)});
    }
    if (lost) {
        VLOG_INFO("link events were lost; querying the links followed");
        resync();
    }

    std::lock_guard<std::mutex> lock(s.mutex);
    s.receiving = false;
    if (s.listeners.empty()) {
        close_socket_locked(s);
    }
}

/* Copies the first eight counters of a struct of 'Word's laid out like
 * rtnl_link_stats/rtnl_link_stats64 (rx_packets, tx_packets, rx_bytes,
 * tx_bytes, rx_errors, tx_errors, rx_dropped, tx_dropped); the caller checked
 * that 'payload' holds them.  The attribute payload is only 4-byte aligned,
 * hence memcpy. */
template <typename Word>
void read_stats(const void *payload, RtnlLinkStats *stats)
{
    Word w[8];
    std::memcpy(w, payload, sizeof w);
    stats->rx_packets = w[0];
    stats->tx_packets = w[1];
    stats->rx_bytes = w[2];
    stats->tx_bytes = w[3];
    stats->rx_errors = w[4];
    stats->tx_errors = w[5];
    stats->rx_dropped = w[6];
    stats->tx_dropped = w[7];
}

/* Reads a NUL-terminated string attribute.  False if it has no NUL. */
bool read_string(const struct nlattr *attr, std::string *out)
{
    const char *p = static_cast<const char *>(mnl_attr_get_payload(attr));
    size_t len = mnl_attr_get_payload_len(attr);
    const void *nul = std::memchr(p, '\0', len);
    if (!nul) {
        return false;
    }
    out->assign(p, static_cast<const char *>(nul) - p);
    return true;
}

/* Finds IFLA_INFO_KIND inside IFLA_LINKINFO. */
bool read_linkinfo(const struct nlattr *nest, std::string *kind)
{
    int remaining = mnl_attr_get_payload_len(nest);
    const auto *attr = static_cast<const struct nlattr *>(mnl_attr_get_payload(nest));
    while (mnl_attr_ok(attr, remaining)) {
        if (mnl_attr_get_type(attr) == IFLA_INFO_KIND && !read_string(attr, kind)) {
            return false;
        }
        remaining -= MNL_ALIGN(attr->nla_len);
        attr = mnl_attr_next(attr);
    }
    return remaining <= 0;
}

/* Builds a request for the link 'ifindex' or 'name' in 'buffer'. */
struct nlmsghdr *put_link_request(std::vector<uint8_t> &buffer, uint16_t type, uint16_t flags,
                                  int ifindex)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buffer.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    auto *ifi = static_cast<struct ifinfomsg *>(
        mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    return nlh;
}

/* Closes a request socket on every path. */
struct SocketCloser {
    void operator()(struct mnl_socket *nl) const { mnl_socket_close(nl); }
};

/* Sends the request in 'nlh' and waits for the answer: an RTM_NEWLINK
 * (parsed into '*reply' when 'reply' is not null) or an error/ack message.
 * Returns 0 or a positive errno value. */
int transact(struct nlmsghdr *nlh, RtnlLink *reply)
{
    std::unique_ptr<struct mnl_socket, SocketCloser> nl(
        mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
    if (!nl) {
        return errno;
    }
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
        return errno;
    }
    struct timeval timeout = {kRequestTimeoutSec, 0};
    setsockopt(mnl_socket_get_fd(nl.get()), SOL_SOCKET, SO_RCVTIMEO, &timeout,
               sizeof timeout);

    static std::atomic<uint32_t> next_seq{1};
    uint32_t seq = next_seq.fetch_add(1);
    uint32_t portid = mnl_socket_get_portid(nl.get());
    nlh->nlmsg_seq = seq;
    if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0) {
        return errno;
    }

    std::vector<uint8_t> buffer(kBufferSize);
    for (int i = 0; i < kMaxRequestReceives; i++) {
        ssize_t n = mnl_socket_recvfrom(nl.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return ETIMEDOUT;
            } else if (errno == ENOSPC) {
                /* libmnl's report of a truncated datagram. */
                COVERAGE_INC(rtnetlink_msg_truncated);
                return EMSGSIZE;
            }
            return errno;
        }
        MessageWalk walk({buffer.data(), size_t(n)});
        while (const struct nlmsghdr *msg = walk.next()) {
            if (!mnl_nlmsg_seq_ok(msg, seq) || !mnl_nlmsg_portid_ok(msg, portid)) {
                COVERAGE_INC(rtnetlink_bad_reply);
                continue;
            }
            if (msg->nlmsg_type == NLMSG_ERROR) {
                if (msg->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr))) {
                    COVERAGE_INC(rtnetlink_bad_reply);
                    return EPROTO;
                }
                const auto *err = static_cast<const struct nlmsgerr *>(
                    mnl_nlmsg_get_payload(msg));
                return err->error <= 0 ? -err->error : EPROTO;
            }
            if (msg->nlmsg_type == RTM_NEWLINK && reply) {
                RtnlParseError error = rtnetlink_parse_link(msg, reply);
                if (error != RtnlParseError::kNone) {
                    COVERAGE_INC(rtnetlink_bad_reply);
                    VLOG_WARN("bad link reply from the kernel ({})",
                              rtnl_parse_error_to_string(error));
                    return EPROTO;
                }
                return 0;
            }
            COVERAGE_INC(rtnetlink_bad_reply);
        }
    }
    return EPROTO;
}

int get_link(int ifindex, const std::string &name, RtnlLink *link)
{
    if (!ifindex && (name.empty() || name.size() >= IFNAMSIZ)) {
        return ENODEV;
    }
    std::vector<uint8_t> buffer(MNL_SOCKET_BUFFER_SIZE);
    struct nlmsghdr *nlh = put_link_request(buffer, RTM_GETLINK, 0, ifindex);
    if (!ifindex) {
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
    }
    return transact(nlh, link);
}

}  // namespace

bool RtnlLink::is_admin_up() const noexcept
{
    return flags & IFF_UP;
}

bool RtnlLink::has_carrier() const noexcept
{
    return (flags & IFF_LOWER_UP)
           && (operstate == IF_OPER_UP || operstate == IF_OPER_UNKNOWN);
}

const char *rtnl_parse_error_to_string(RtnlParseError error) noexcept
{
    switch (error) {
    case RtnlParseError::kNone:
        return "no error";
    case RtnlParseError::kNotLink:
        return "not a link message";
    case RtnlParseError::kTruncated:
        return "truncated message";
    case RtnlParseError::kBadAttribute:
        return "malformed attribute";
    }
    return "unknown error";
}

RtnlParseError rtnetlink_parse_link(const struct nlmsghdr *nlh, RtnlLink *link)
{
    if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) {
        return RtnlParseError::kNotLink;
    }
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifinfomsg))) {
        return RtnlParseError::kTruncated;
    }
    const auto *ifi = static_cast<const struct ifinfomsg *>(mnl_nlmsg_get_payload(nlh));
    *link = RtnlLink{};
    link->ifindex = ifi->ifi_index;
    link->flags = ifi->ifi_flags;

    bool have_stats64 = false;
    int remaining = int(nlh->nlmsg_len - mnl_nlmsg_size(MNL_ALIGN(sizeof(struct ifinfomsg))));
    const auto *attr = static_cast<const struct nlattr *>(
        mnl_nlmsg_get_payload_offset(nlh, sizeof(struct ifinfomsg)));
    while (mnl_attr_ok(attr, remaining)) {
        size_t len = mnl_attr_get_payload_len(attr);
        switch (mnl_attr_get_type(attr)) {
        case IFLA_IFNAME:
            if (!read_string(attr, &link->name)) {
                return RtnlParseError::kBadAttribute;
            }
            break;
        case IFLA_MTU:
            if (len != sizeof(uint32_t)) {
                return RtnlParseError::kBadAttribute;
            }
            link->mtu = int(std::min<uint32_t>(mnl_attr_get_u32(attr), INT_MAX));
            break;
        case IFLA_OPERSTATE:
            if (len != sizeof(uint8_t)) {
                return RtnlParseError::kBadAttribute;
            }
            link->operstate = mnl_attr_get_u8(attr);
            break;
        case IFLA_ADDRESS:
            /* Other link types (tunnels, InfiniBand) have other sizes. */
            if (len == link->mac.b.size()) {
                std::memcpy(link->mac.b.data(), mnl_attr_get_payload(attr), len);
                link->has_mac = true;
            }
            break;
        case IFLA_STATS64:
            if (len < 8 * sizeof(uint64_t)) {
                return RtnlParseError::kBadAttribute;
            }
            read_stats<uint64_t>(mnl_attr_get_payload(attr), &link->stats);
            link->has_stats = have_stats64 = true;
            break;
        case IFLA_STATS:
            if (len < 8 * sizeof(uint32_t)) {
                return RtnlParseError::kBadAttribute;
            }
            if (!have_stats64) {
                read_stats<uint32_t>(mnl_attr_get_payload(attr), &link->stats);
                link->has_stats = true;
            }
            break;
        case IFLA_LINKINFO:
            if (!read_linkinfo(attr, &link->kind)) {
                return RtnlParseError::kBadAttribute;
            }
            break;
        default:
            break;
        }
        remaining -= MNL_ALIGN(attr->nla_len);
        attr = mnl_attr_next(attr);
    }
    /* Bytes left that do not form an attribute: the last one claimed more
     * than the message holds. */
    return remaining > 0 ? RtnlParseError::kBadAttribute : RtnlParseError::kNone;
}

void rtnetlink_handle_messages(std::span<const uint8_t> buffer)
{
    MessageWalk walk(buffer);
    while (const struct nlmsghdr *nlh = walk.next()) {
        switch (nlh->nlmsg_type) {
        case NLMSG_NOOP:
        case NLMSG_DONE:
            break;
        case RTM_NEWLINK:
        case RTM_DELLINK: {
            RtnlLink link;
            RtnlParseError error = rtnetlink_parse_link(nlh, &link);
            if (error == RtnlParseError::kNone) {
                dispatch(link, nlh->nlmsg_type == RTM_DELLINK ? RtnlChange::kDelete
                                                              : RtnlChange::kNew);
            } else {
                if (error == RtnlParseError::kTruncated) {
                    COVERAGE_INC(rtnetlink_short_header);
                } else {
                    COVERAGE_INC(rtnetlink_bad_attribute);
                }
                static vlog::RateLimit rl(5, 20);
                VLOG_WARN_RL(rl, "skipping malformed link event ({})",
                             rtnl_parse_error_to_string(error));
            }
            break;
        }
        default:
            COVERAGE_INC(rtnetlink_unexpected_type);
            break;
        }
    }
    if (walk.truncated()) {
        /* A header that does not fit, or claims more than the datagram. */
        COVERAGE_INC(rtnetlink_msg_truncated);
    }
}

int rtnetlink_add_listener(int ifindex, const std::string &name, RtnlCallback callback,
                           int *id)
{
    State &s = state();
    bool drain;
    {
        std::lock_guard<std::mutex> lock(s.mutex);
        if (!s.socket) {
            if (int error = open_socket_locked(s)) {
                return error;
            }
        }
        drain = !s.receiving;
    }
    if (drain) {
        receive_pending();
    }

    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.socket) {
        /* The drain closed it: no listener was left. */
        if (int error = open_socket_locked(s)) {
            return error;
        }
    }
    *id = s.next_id++;
    s.listeners.emplace(*id, Listener{ifindex, name,
                                      std::make_shared<RtnlCallback>(std::move(callback))});
    return 0;
}

void rtnetlink_set_listener_ifindex(int id, int ifindex)
{
    State &s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (auto it = s.listeners.find(id); it != s.listeners.end()) {
        it->second.ifindex = ifindex;
    }
}

void rtnetlink_remove_listener(int id)
{
    State &s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.listeners.erase(id);
    if (s.listeners.empty() && !s.receiving) {
        close_socket_locked(s);
    }
}

void rtnetlink_set_loop(EventLoop *loop)
{
    State &s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    unwatch_locked(s);
    s.loop = loop;
    watch_locked(s);
}

void rtnetlink_run()
{
    receive_pending();
}

int rtnetlink_get_link(const std::string &name, RtnlLink *link)
{
    return get_link(0, name, link);
}

int rtnetlink_get_link_by_index(int ifindex, RtnlLink *link)
{
    return ifindex > 0 ? get_link(ifindex, "", link) : ENODEV;
}

int rtnetlink_set_admin_up(int ifindex, bool up)
{
    std::vector<uint8_t> buffer(MNL_SOCKET_BUFFER_SIZE);
    struct nlmsghdr *nlh = put_link_request(buffer, RTM_SETLINK, NLM_F_ACK, ifindex);
    auto *ifi = static_cast<struct ifinfomsg *>(mnl_nlmsg_get_payload(nlh));
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
    return transact(nlh, nullptr);
}

int rtnetlink_set_mtu(int ifindex, int mtu)
{
    if (mtu <= 0) {
        return EINVAL;
    }
    std::vector<uint8_t> buffer(MNL_SOCKET_BUFFER_SIZE);
    struct nlmsghdr *nlh = put_link_request(buffer, RTM_SETLINK, NLM_F_ACK, ifindex);
    mnl_attr_put_u32(nlh, IFLA_MTU, uint32_t(mtu));
    return transact(nlh, nullptr);
}

int rtnetlink_set_mac(int ifindex, const EthAddr &mac)
{
    std::vector<uint8_t> buffer(MNL_SOCKET_BUFFER_SIZE);
    struct nlmsghdr *nlh = put_link_request(buffer, RTM_SETLINK, NLM_F_ACK, ifindex);
    mnl_attr_put(nlh, IFLA_ADDRESS, mac.b.size(), mac.b.data());
    return transact(nlh, nullptr);
}

}  // namespace braid
