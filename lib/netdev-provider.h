/* How to implement a network device type.
 *
 * A type is a class derived from Netdev (netdev.h) plus a registration:
 *
 *     register_netdev_class("tap", [](const std::string &name) {
 *         return std::unique_ptr<Netdev>(new NetdevTap(name));
 *     });
 *
 * netdev.cc registers the built-in types in netdev_register_builtin_classes(),
 * explicitly, in one place.
 *
 * Life cycle.  Netdev::open() calls the factory, then do_construct(), which
 * opens the device (sockets, rings, netlink state).  do_construct() may fail:
 * it returns a positive errno value and sets '*error' to one plain sentence
 * for Interface.error, e.g. "could not open network device eth9 (No such
 * device)"; the object is then destroyed.  The destructor releases
 * everything and may not fail.  A device is destroyed when its last
 * shared_ptr goes away.
 *
 * Hooks.  All return 0 or a positive errno value unless stated otherwise.
 *   do_construct       required; see above.
 *   do_set_config      options from Interface.options.  Must reject (EINVAL,
 *                      with '*error' naming the key) any key it does not know,
 *                      and leave the old options in force on failure.
 *                      Default: accepts only an empty map.
 *   do_get_etheraddr   required.          do_set_etheraddr  default EOPNOTSUPP.
 *   do_get_mtu         required.          do_set_mtu        default EOPNOTSUPP.
 *   do_get_ifindex     kernel ifindex, or 0 (the default) for none.
 *   do_get_carrier     default true.      do_carrier_resets default 0.
 *   do_is_admin_up     default true.      do_set_admin_up   default EOPNOTSUPP.
 *   do_get_stats       the provider's own counters; default: all
 *                      kUnsupported, and the wrapper fills in what it counted
 *                      itself (packets and bytes through recv() and send()).
 *   do_recv, do_send   required; the contract of Netdev::recv()/send().  No
 *                      allocation, no blocking, no virtual call per packet
 *                      (a packet buffer may grow, see below).
 *   do_tx_offloads     the kNetdevTx* bits (netdev.h) of the packets that
 *                      do_send() takes with their offload metadata; default
 *                      0 (none).  Read once per batch that has such packets.
 *   do_rx_fd           a descriptor that polls readable when do_recv() has
 *                      work; default -1.
 *   do_is_gone         true once the device was removed from the system (a
 *                      later open() of the name then makes a new Netdev);
 *                      default false.  Providers of kernel devices also call
 *                      Netdev::notify_devices_changed() when any kernel
 *                      interface appears or disappears.
 *
 * Offloads.  do_recv() sets every packet's 'offload' metadata
 * (DpPacket::offload, cleared when there is nothing to do: a buffer comes
 * back with whatever its last packet had, so a provider starts each one
 * with DpPacket::clear()).  A frame larger than the buffer's tailroom() is
 * taken with DpPacket::reserve(), which grows the buffer once to 64 KiB.
 * do_send() receives only packets it can send: the wrapper has segmented
 * (GsoType not in do_tx_offloads()) or completed the checksum of (kNeedsCsum
 * without kNetdevTxCsum) every other one, and cleared their metadata.  A
 * provider that declares an offload sends the metadata with the frame
 * (e.g. a virtio_net_hdr, see vnet-header.h); a TSO bit covers the
 * checksum of those segments too.  Packets whose offloads the wrapper
 * cannot do (malformed headers) are dropped, counted as tx_dropped and in
 * the netdev_soft_drop_* coverage counters.
 *
 * Threads.  do_recv() runs on the one datapath thread that polls the
 * device; do_send() on any datapath thread, but never two at once
 * (Netdev::send() holds a per-device mutex); everything else on the
 * control thread.  A provider that learns of a
 * status change (netlink event, test command) calls notify_change() from
 * whichever thread it is on. */
#ifndef BRAID_LIB_NETDEV_PROVIDER_H
#define BRAID_LIB_NETDEV_PROVIDER_H 1

#include <functional>
#include <memory>
#include <string>

#include "lib/netdev.h"

namespace braid {

using NetdevFactory = std::function<std::unique_ptr<Netdev>(const std::string &name)>;

/* Registers 'type', replacing an earlier registration of that name. */
void register_netdev_class(const std::string &type, NetdevFactory factory);

/* Makes types that Braid cannot run here behave as "dummy" devices (the
 * --enable-dummy=override option of ovs-vswitchd, for tests): "system", "",
 * "internal" and "tap" then open dummy devices. */
void netdev_enable_dummy_override();

/* Registers the built-in types ("dummy", "system", "internal", "tap").
 * Idempotent. */
void netdev_register_builtin_classes();

/* The registration functions of the built-in providers, which
 * netdev_register_builtin_classes() calls. */
void netdev_dummy_register();       /* "dummy", "dummy-internal" (netdev-dummy.cc) */
void netdev_linux_register();       /* "system" (netdev-linux.cc) */
void netdev_tap_register();         /* "internal", "tap" (netdev-tap.cc) */

}  // namespace braid

#endif  // BRAID_LIB_NETDEV_PROVIDER_H
