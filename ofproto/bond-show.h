/* The text of the bond/list and bond/show commands, and of a Linux-style
 * /proc/net/bonding view of a bond.  Pure formatting: every function turns
 * BondStatus snapshots (ofproto/bond-status.h) into text and keeps no state.
 *
 * bond/list (Open vSwitch format): a header line, then one line per bond,
 * tab-separated.  The third column, "recircID" in OVS, holds Braid's
 * datapath bond id; members are listed in configuration order:
 *
 *   bond<TAB>type<TAB>recircID<TAB>members
 *   bond0<TAB>active-backup<TAB>3<TAB>p1, p2
 *
 * bond/show: first the text of Open vSwitch, line for line, then a blank
 * line and Braid's own lines.  The OVS part:
 *
 *   ---- bond0 ----
 *   bond_mode: balance-slb
 *   bond may use recirculation: no, Recirc-ID : -1
 *   bond-hash-basis: 0
 *   lb_output action: disabled, bond-id: -1       (balance-tcp: "enabled,
 *                                                   bond-id: <bond id>")
 *   all members active: false                     (balance-slb only)
 *   updelay: 0 ms
 *   downdelay: 0 ms
 *   next rebalance: 9876 ms                       (only when scheduled)
 *   lacp_status: off
 *   lacp_fallback_ab: false
 *   active-backup primary: <none>                 (or "p1", or
 *                                                   "p3 (no such member)")
 *   active member mac: 30:3e:a7:11:92:a9(p1)      (or
 *                                                   "00:00:00:00:00:00(none)")
 *
 *   member p1: enabled                            (members sorted by name,
 *     active member                                each after a blank line)
 *     may_enable: true
 *     hash 12: 3 kB load                          (buckets of 1 kB or more)
 *
 *   member p2: disabled
 *     may_enable: false
 *     updelay expires in 100 ms                   (or "downdelay expires")
 *
 * Braid's part has one kind of fact per line, every line starting with
 * "braid: " so that it can be grepped:
 *
 *   braid: bridge br0, datapath bond-id 3, failovers 2, carrier ok
 *          ("carrier down" when the bond may not send, e.g. min-links)
 *   braid: xmit-hash-policy layer2+3, detect-mode carrier, min-links 0,
 *          rebalance-interval 10000 ms
 *   braid: rejected configuration: <why>          (only after a rejection)
 *   braid: drops: <reason> <count>, <reason> <count>, ...
 *          (every reason of dp::BondDrop, zeros included, named by
 *          bond_drop_to_string())
 *   braid: member p1: carrier up, admin-disabled false, link failures 1,
 *          tx 123 packets 4567 bytes, prio 0, arp missed 0[, alb mac M]
 *          (one line per member, in the same order as above; "alb mac"
 *          in balance-alb: the MAC that peers balanced onto it learn) 
 *
 * (The lines wrapped above are single lines in the output.)
 *
 * The Linux view follows the layout of the kernel's /proc/net/bonding/bondX
 * (see bond_show_linux_text()). */
#ifndef BRAID_OFPROTO_BOND_SHOW_H
#define BRAID_OFPROTO_BOND_SHOW_H 1

#include <string>
#include <vector>

#include "ofproto/bond-status.h"

namespace braid::ofproto {

/* The bond/list reply for 'bonds', in the order given. */
std::string bond_list_text(const std::vector<BondStatus> &bonds);

/* The bond/show reply for one bond: the Open vSwitch text, a blank line, and
 * Braid's lines, as described at the top of this file.  Ends in a newline. */
std::string bond_show_text(const BondStatus &b);

/* The bond/show reply without a port: the bond_show_text() of every bond of
 * 'bonds' in the order given, separated by blank lines.  Empty if there are
 * no bonds. */
std::string bond_show_all_text(const std::vector<BondStatus> &bonds);

/* The bond as the Linux bonding driver's /proc/net/bonding/bondX shows it:
 *
 *   Ethernet Channel Bonding Driver: Braid <version>
 *
 *   Bonding Mode: fault-tolerance (active-backup)
 *   Transmit Hash Policy: layer2 (0)          (balance-xor, 802.3ad,
 *                                               balance-tlb, balance-alb)
 *   Primary Slave: p1 (primary_reselect always)   (active-backup, tlb and
 *   Currently Active Slave: p1                     alb; "None" if unset)
 *   MII Status: up
 *   MII Polling Interval (ms): 200            (0 unless detect-mode miimon)
 *   Up Delay (ms): 0
 *   Down Delay (ms): 0
 *   Peer Notification Delay (ms): 0
 *   ARP Polling Interval (ms): 1000           (these four with the ARP or
 *   ARP Missed Max: 2                          NS monitor only)
 *   ARP IP target/s (n.n.n.n form): 10.0.0.1, 10.0.0.2
 *   NS IPv6 target/s (xx::xx form): 2001:db8::1
 *
 *   Slave Interface: p1                       (members in configuration
 *   MII Status: up                             order, each after a blank
 *   Speed: Unknown                             line)
 *   Duplex: Unknown
 *   Link Failure Count: 0
 *   Permanent HW addr: 00:1a:a0:12:8f:cb
 *   Slave queue ID: 0
 *
 * As in the kernel, a blank line follows the driver line, the ARP lines
 * follow the delays, and a member's "MII Status" is "going back" while an
 * updelay runs and "going down" while a downdelay runs.  The Open vSwitch
 * modes show as "load balancing (slb, Open vSwitch)" and "load balancing
 * (tcp, Open vSwitch)".
 *
 * When the bond runs LACP, in any mode, the kernel's 802.3ad lines come
 * after the ARP lines:
 *
 *   802.3ad info
 *   LACP active: on                           ("off" for lacp=passive)
 *   LACP rate: fast
 *   Min links: 0
 *   Aggregator selection policy (ad_select): stable
 *   System priority: 65534
 *   System MAC address: 02:00:00:00:00:01
 *   Active Aggregator Info:                   (only with an active
 *           Aggregator ID: 1                   aggregator; tab-indented)
 *           Number of ports: 2
 *           Actor Key: 1
 *           Partner Key: 1
 *           Partner Mac Address: 02:00:00:00:00:02
 *
 * and each member's lines end with its aggregator ("N/A" for none), churn
 * states ("none", "monitoring", "churned") and counts, and the actor and
 * partner information ("details actor lacp pdu:", then system priority,
 * system mac address, port key, port priority, port number and port state
 * as a number, each indented by four spaces; the same for the partner).
 * The keys are Braid's, without the speed and duplex bits of the kernel's. */
std::string bond_show_linux_text(const BondStatus &b);

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_BOND_SHOW_H
