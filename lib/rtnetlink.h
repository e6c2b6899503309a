/* Link state over rtnetlink (NETLINK_ROUTE): events and requests.
 *
 * Events.  One listener per process, created when the first callback is
 * registered, joins the RTMGRP_LINK multicast group and turns every
 * RTM_NEWLINK and RTM_DELLINK message into an RtnlLink, which it hands to
 * the callbacks that follow that link (by interface index, or by name until
 * the index is known).  The daemon makes its control loop watch the
 * listener with rtnetlink_set_loop(); without a loop, rtnetlink_run()
 * processes whatever is pending (for tests).  When the kernel drops events
 * because the listener fell behind (ENOBUFS), the listener discards what is
 * still queued, asks the kernel for the current state of every followed link
 * and reports that, so no change is lost.  Malformed messages are counted (coverage counters
 * rtnetlink_*) and skipped.
 *
 * Requests.  The rtnetlink_get_*() and rtnetlink_set_*() functions send one
 * request on a socket of their own and wait for the answer (the kernel
 * answers at once; a one-second receive timeout bounds the wait).  They
 * return 0 or a positive errno value, e.g. ENODEV for a missing link.
 *
 * Everything here runs on the control thread: callbacks run on the thread
 * that calls rtnetlink_run() or that runs the loop. */
#ifndef BRAID_LIB_RTNETLINK_H
#define BRAID_LIB_RTNETLINK_H 1

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "lib/packets.h"

namespace braid {

class EventLoop;

/* A link's 64-bit counters (IFLA_STATS64, or IFLA_STATS widened), as the
 * kernel sees the device: "rx" is what the device received. */
struct RtnlLinkStats {
    uint64_t rx_packets = 0;
    uint64_t tx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_bytes = 0;
    uint64_t rx_errors = 0;
    uint64_t tx_errors = 0;
    uint64_t rx_dropped = 0;
    uint64_t tx_dropped = 0;
};

/* What one RTM_NEWLINK or RTM_DELLINK message says about a link.  Fields
 * that the message did not carry keep their defaults. */
struct RtnlLink {
    /* The interface index (ifinfomsg.ifi_index); always present. */
    int ifindex = 0;
    /* IFLA_IFNAME. */
    std::string name;
    /* The IFF_* flags (ifinfomsg.ifi_flags), e.g. IFF_UP, IFF_RUNNING,
     * IFF_LOWER_UP. */
    unsigned flags = 0;
    /* IFLA_OPERSTATE, one of the IF_OPER_* values (0 is IF_OPER_UNKNOWN). */
    uint8_t operstate = 0;
    /* IFLA_MTU, or 0 if absent. */
    int mtu = 0;
    /* IFLA_ADDRESS, if it is a 6-byte Ethernet address. */
    bool has_mac = false;
    EthAddr mac;
    /* IFLA_STATS64 (or IFLA_STATS), if present. */
    bool has_stats = false;
    RtnlLinkStats stats;
    /* IFLA_LINKINFO's IFLA_INFO_KIND, e.g. "veth", "tun"; empty for links
     * without one (physical NICs, loopback). */
    std::string kind;

    /* Administratively up (IFF_UP)? */
    bool is_admin_up() const noexcept;
    /* Does the link carry traffic: lower layer up (IFF_LOWER_UP) and an
     * operational state of up or unknown (the kernel's IFF_RUNNING)? */
    bool has_carrier() const noexcept;
};

/* Why rtnetlink_parse_link() rejected a message. */
enum class RtnlParseError : uint8_t {
    kNone,
    kNotLink,           /* Not RTM_NEWLINK or RTM_DELLINK. */
    kTruncated,         /* Shorter than its ifinfomsg header. */
    kBadAttribute,      /* An attribute runs past the message or has the
                         * wrong size for its type. */
};

/* A short description of 'error', e.g. "truncated message". */
const char *rtnl_parse_error_to_string(RtnlParseError error) noexcept;

/* Parses one RTM_NEWLINK or RTM_DELLINK message, whose nlmsg_len the caller
 * has checked against the buffer it lies in (mnl_nlmsg_ok()).  Unknown
 * attributes are ignored.  On error '*link' is unspecified. */
RtnlParseError rtnetlink_parse_link(const struct nlmsghdr *nlh, RtnlLink *link);

/* What a callback is told. */
enum class RtnlChange : uint8_t {
    kNew,               /* The link exists; 'link' is its current state. */
    kDelete,            /* The link is gone. */
};

using RtnlCallback = std::function<void(const RtnlLink &link, RtnlChange change)>;

/* Registers 'callback' for the link with index 'ifindex', or, if 'ifindex'
 * is 0, for the link named 'name' (whichever link has that name when a
 * message arrives), or, if 'ifindex' is -1, for every link (after lost
 * events such a callback is called once with a link of index 0 and no
 * name, meaning "anything may have changed").  Creates the listener if needed and first delivers the
 * events already pending to the existing callbacks, so that a state the
 * caller queries right after this call is not overtaken by older events.
 * Returns 0 and sets '*id', or a positive errno value. */
int rtnetlink_add_listener(int ifindex, const std::string &name, RtnlCallback callback,
                           int *id);

/* Makes listener 'id' follow the link with index 'ifindex' from now on
 * (once a link found by name has an index, so that a rename does not lose
 * it and a new link with the old name does not capture it). */
void rtnetlink_set_listener_ifindex(int id, int ifindex);

/* Unregisters listener 'id'; its callback is not called again.  The
 * listener socket is closed with the last callback. */
void rtnetlink_remove_listener(int id);

/* Makes 'loop' watch the listener socket (null: stop watching).  Call with
 * null before 'loop' is destroyed. */
void rtnetlink_set_loop(EventLoop *loop);

/* Receives and dispatches the events pending on the listener socket,
 * without waiting.  The loop calls it when the socket is readable; programs
 * without a loop (tests) call it themselves, and anyone on the control
 * thread may call it to bring the callbacks up to date, e.g. before changing
 * a link and reading back its state. */
void rtnetlink_run();

/* Parses and dispatches the netlink messages in 'buffer' (4-byte aligned)
 * as if the listener had received them.  The listener's own receive path;
 * public so that tests can feed it malformed input. */
void rtnetlink_handle_messages(std::span<const uint8_t> buffer);

/* The current state of the link called 'name' (or with index 'ifindex'),
 * including its counters.  ENODEV if there is no such link. */
int rtnetlink_get_link(const std::string &name, RtnlLink *link);
int rtnetlink_get_link_by_index(int ifindex, RtnlLink *link);

/* Changes the link with index 'ifindex': administrative state (IFF_UP),
 * MTU, Ethernet address. */
int rtnetlink_set_admin_up(int ifindex, bool up);
int rtnetlink_set_mtu(int ifindex, int mtu);
int rtnetlink_set_mac(int ifindex, const EthAddr &mac);

}  // namespace braid

#endif  // BRAID_LIB_RTNETLINK_H
