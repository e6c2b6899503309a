/* What the Linux device types ("system", "internal", "tap") share: following
 * a kernel network interface through rtnetlink.
 *
 * A NetdevLinuxLink keeps the interface's last known state (MAC, MTU, flags,
 * operational state) from rtnetlink events, counts carrier losses, calls
 * notify_change() whenever any of it changes, and implements the status and
 * configuration hooks of Netdev on top of it.  The subclasses add the data
 * path (an AF_PACKET ring, a tap file descriptor).  Internal to the
 * netdev-linux*.cc and netdev-tap.cc files. */
#ifndef BRAID_LIB_NETDEV_LINUX_PRIVATE_H
#define BRAID_LIB_NETDEV_LINUX_PRIVATE_H 1

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "lib/netdev.h"
#include "lib/rtnetlink.h"

namespace braid {

/* A Netdev backed by a kernel network interface. */
class NetdevLinuxLink : public Netdev {
protected:
    /* 'swap_stats' makes get_stats() report the kernel's receive counters
     * as transmit counters and vice versa, for devices whose kernel side is
     * the far end of the link (taps: what the kernel sends, Braid
     * receives). */
    NetdevLinuxLink(std::string name, std::string type, bool swap_stats);
    ~NetdevLinuxLink() override;

    /* Starts following the interface called name(): subscribes to its
     * events, then reads its current state.  Returns 0, ENODEV if there is
     * no such interface, or another positive errno value. */
    int link_open();

    /* The interface index found by link_open(); it does not change. */
    int link_ifindex() const { return ifindex_; }

    /* Counts frames that the data path dropped itself, on top of the
     * kernel's counters.  Any thread. */
    void count_rx_dropped(uint64_t n) { rx_dropped_.fetch_add(n, std::memory_order_relaxed); }
    void count_tx_dropped(uint64_t n) { tx_dropped_.fetch_add(n, std::memory_order_relaxed); }

    /* Receive drops that a subclass learns about elsewhere (e.g. a full
     * receive ring), added to rx_dropped by get_stats(). */
    virtual uint64_t extra_rx_dropped() const { return 0; }

    /* Called on the control thread whenever the kernel reports an event for
     * the interface (changed or not), before change listeners hear of it. */
    virtual void link_event() {}

private:
    int do_get_etheraddr(EthAddr *mac) const override;
    int do_set_etheraddr(const EthAddr &mac) override;
    int do_get_mtu(int *mtu) const override;
    int do_set_mtu(int mtu) override;
    int do_get_ifindex() const override;
    bool do_get_carrier() const override;
    bool do_is_admin_up() const override;
    int do_set_admin_up(bool up) override;
    uint64_t do_carrier_resets() const override;
    bool do_is_gone() const override;
    int do_get_stats(NetdevStats *stats) const override;

    /* Applies an event (or a fresh query) about the interface. */
    void link_changed(const RtnlLink &link, RtnlChange change);
    /* Brings the state up to date with the events already queued, so that
     * none of them, older than a change Braid is about to make, is applied
     * after it. */
    void catch_up();
    /* After a change Braid made: the kernel queues the event for it before
     * it answers the request, so reading the pending events brings the
     * state up to date, in order.  Only if the state then does not satisfy
     * 'shows_change' (events were lost, or this runs inside an event
     * callback) is the interface queried directly. */
    void settle(const std::function<bool(const RtnlLink &)> &shows_change);
    /* Reads the interface's current state and applies it. */
    void refresh();
    bool carrier_locked() const;

    const bool swap_stats_;
    int ifindex_ = 0;
    int listener_id_ = 0;

    mutable std::mutex mutex_;
    RtnlLink link_;                 /* Guarded by 'mutex_'. */
    bool present_ = false;          /* Guarded by 'mutex_'. */
    uint64_t carrier_resets_ = 0;   /* Guarded by 'mutex_'. */

    std::atomic<uint64_t> rx_dropped_{0};
    std::atomic<uint64_t> tx_dropped_{0};
};

}  // namespace braid

#endif  // BRAID_LIB_NETDEV_LINUX_PRIVATE_H
