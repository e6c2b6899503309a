/* Following a kernel network interface through rtnetlink, for the Linux
 * device types. */
#include <config.h>

#include "lib/netdev-linux-private.h"

#include <linux/if.h>

#include <cerrno>
#include <functional>

#include "lib/coverage.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(netdev_linux);
BRAID_COVERAGE_DEFINE(netdev_linux_carrier_lost);
BRAID_COVERAGE_DEFINE(netdev_linux_settle_query);

namespace braid {

/* The flags whose change is a status change. */
constexpr unsigned kStatusFlags = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;

NetdevLinuxLink::NetdevLinuxLink(std::string name, std::string type, bool swap_stats)
    : Netdev(std::move(name), std::move(type)), swap_stats_(swap_stats)
{
}

NetdevLinuxLink::~NetdevLinuxLink()
{
    if (listener_id_) {
        rtnetlink_remove_listener(listener_id_);
    }
}

int NetdevLinuxLink::link_open()
{
    /* Subscribe first, then query, so that no change after the query can
     * be missed.  Subscribing delivers the events already queued, so only
     * events emitted between the two calls can arrive later than the
     * query's answer; the last of them states what the query said. */
    int error = rtnetlink_add_listener(
        0, name(), [this](const RtnlLink &link, RtnlChange change) { link_changed(link, change); },
        &listener_id_);
    if (error) {
        listener_id_ = 0;
        return error;
    }
    RtnlLink link;
    error = rtnetlink_get_link(name(), &link);
    if (error) {
        rtnetlink_remove_listener(listener_id_);
        listener_id_ = 0;
        return error;
    }
    ifindex_ = link.ifindex;
    rtnetlink_set_listener_ifindex(listener_id_, ifindex_);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        link_ = link;
        present_ = true;
    }
    VLOG_DBG("{}: ifindex {}, mtu {}, flags {:#x}, operstate {}", name(), link.ifindex, link.mtu,
             link.flags, link.operstate);
    return 0;
}

bool NetdevLinuxLink::carrier_locked() const
{
    return present_ && link_.has_carrier();
}

void NetdevLinuxLink::link_changed(const RtnlLink &link, RtnlChange change)
{
    if (link.ifindex != ifindex_) {
        return;
    }
    bool changed = false;
    bool lost = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        bool had_carrier = carrier_locked();
        if (change == RtnlChange::kDelete) {
            changed = present_;
            present_ = false;
        } else {
            changed = !present_ || link.mtu != link_.mtu || link.has_mac != link_.has_mac
                      || link.mac != link_.mac || link.operstate != link_.operstate
                      || (link.flags & kStatusFlags) != (link_.flags & kStatusFlags);
            RtnlLinkStats stats = link_.stats;
            bool has_stats = link_.has_stats;
            link_ = link;
            if (!link.has_stats) {
                link_.stats = stats;
                link_.has_stats = has_stats;
            }
            present_ = true;
        }
        if (had_carrier != carrier_locked()) {
            carrier_resets_++;          /* Every change, as link_resets counts. */
            lost = had_carrier;
        }
    }
    link_event();
    if (lost) {
        COVERAGE_INC(netdev_linux_carrier_lost);
        VLOG_INFO("{}: link state changed to down{}", name(),
                  change == RtnlChange::kDelete ? " (device removed)" : "");
    }
    if (changed) {
        notify_change();
    }
}

void NetdevLinuxLink::catch_up()
{
    rtnetlink_run();
}

void NetdevLinuxLink::settle(const std::function<bool(const RtnlLink &)> &shows_change)
{
    rtnetlink_run();
    bool done;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        done = present_ && shows_change(link_);
    }
    if (!done) {
        COVERAGE_INC(netdev_linux_settle_query);
        refresh();
    }
}

void NetdevLinuxLink::refresh()
{
    RtnlLink link;
    int error = rtnetlink_get_link_by_index(ifindex_, &link);
    if (!error) {
        link_changed(link, RtnlChange::kNew);
    } else if (error == ENODEV) {
        RtnlLink gone;
        gone.ifindex = ifindex_;
        link_changed(gone, RtnlChange::kDelete);
    }
}

int NetdevLinuxLink::do_get_etheraddr(EthAddr *mac) const
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!link_.has_mac) {
        return EOPNOTSUPP;
    }
    *mac = link_.mac;
    return 0;
}

int NetdevLinuxLink::do_set_etheraddr(const EthAddr &mac)
{
    catch_up();
    int error = rtnetlink_set_mac(ifindex_, mac);
    if (error) {
        VLOG_WARN("{}: could not set Ethernet address {} ({})", name(), mac.to_string(),
                  errno_to_string(error));
        return error;
    }
    settle([&mac](const RtnlLink &link) { return link.has_mac && link.mac == mac; });
    return 0;
}

int NetdevLinuxLink::do_get_mtu(int *mtu) const
{
    std::lock_guard<std::mutex> lock(mutex_);
    *mtu = link_.mtu;
    return 0;
}

int NetdevLinuxLink::do_set_mtu(int mtu)
{
    catch_up();
    int error = rtnetlink_set_mtu(ifindex_, mtu);
    if (error) {
        VLOG_WARN("{}: could not set MTU {} ({})", name(), mtu, errno_to_string(error));
        return error;
    }
    settle([mtu](const RtnlLink &link) { return link.mtu == mtu; });
    return 0;
}

int NetdevLinuxLink::do_get_ifindex() const
{
    return ifindex_;
}

bool NetdevLinuxLink::do_get_carrier() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return carrier_locked();
}

bool NetdevLinuxLink::do_is_admin_up() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return present_ && link_.is_admin_up();
}

int NetdevLinuxLink::do_set_admin_up(bool up)
{
    catch_up();
    int error = rtnetlink_set_admin_up(ifindex_, up);
    if (error) {
        VLOG_WARN("{}: could not bring the device {} ({})", name(), up ? "up" : "down",
                  errno_to_string(error));
        return error;
    }
    settle([up](const RtnlLink &link) { return link.is_admin_up() == up; });
    return 0;
}

bool NetdevLinuxLink::do_is_gone() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return !present_;
}

uint64_t NetdevLinuxLink::do_carrier_resets() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return carrier_resets_;
}

int NetdevLinuxLink::do_get_stats(NetdevStats *stats) const
{
    /* The kernel sends no event when counters move, so read them now. */
    RtnlLink fresh;
    RtnlLinkStats k;
    if (!rtnetlink_get_link_by_index(ifindex_, &fresh) && fresh.has_stats) {
        k = fresh.stats;
    } else {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!link_.has_stats) {
            constexpr uint64_t u = NetdevStats::kUnsupported;
            *stats = NetdevStats{u, u, u, u, u, u, u, u};
            return 0;
        }
        k = link_.stats;
    }
    if (swap_stats_) {
        std::swap(k.rx_packets, k.tx_packets);
        std::swap(k.rx_bytes, k.tx_bytes);
        std::swap(k.rx_errors, k.tx_errors);
        std::swap(k.rx_dropped, k.tx_dropped);
    }
    stats->rx_packets = k.rx_packets;
    stats->tx_packets = k.tx_packets;
    stats->rx_bytes = k.rx_bytes;
    stats->tx_bytes = k.tx_bytes;
    stats->rx_errors = k.rx_errors;
    stats->tx_errors = k.tx_errors;
    stats->rx_dropped = k.rx_dropped + rx_dropped_.load(std::memory_order_relaxed)
                        + extra_rx_dropped();
    stats->tx_dropped = k.tx_dropped + tx_dropped_.load(std::memory_order_relaxed);
    return 0;
}

}  // namespace braid
