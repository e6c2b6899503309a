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
 *                      allocation, no blocking, no virtual call per packet.
 *   do_rx_fd           a descriptor that polls readable when do_recv() has
 *                      work; default -1.
 *   do_is_gone         true once the device was removed from the system (a
 *                      later open() of the name then makes a new Netdev);
 *                      default false.  Providers of kernel devices also call
 *                      Netdev::notify_devices_changed() when any kernel
 *                      interface appears or disappears.
 *
 * Threads.  do_recv()/do_send() run on one datapath thread per device at a
 * time; everything else on the control thread.  A provider that learns of a
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
