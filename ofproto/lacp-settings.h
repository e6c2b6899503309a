/* A port's LACP configuration: Port.lacp and the lacp-* keys of
 * Port.other_config and Interface.other_config (BRIEF §3), parsed and
 * checked into the settings of ofproto/lacp.h.
 *
 * Like parse_bond_config(), parse_lacp_config() never guesses: a value it
 * cannot use makes it fail with a sentence naming the key and the value,
 * and the caller keeps the previous working configuration.  Keys and
 * defaults, as Open vSwitch has them unless noted:
 *
 *   Port.lacp                      active, passive or off; empty means off
 *   lacp-time                      fast or slow (slow)
 *   lacp-system-id                 an Ethernet address, not zero and not
 *                                  multicast (the bridge's address)
 *   lacp-system-priority           1..65535 (65534 for a port of two or
 *                                  more interfaces, 65535 for one)
 *   lacp-fallback-ab               true or false (false)
 *   lacp-ad-select                 stable, bandwidth, count or prio, or the
 *                                  Linux numbers 0-2 (stable); Braid's
 *   lacp-mux-control               coupled or independent (coupled); Braid's
 *   Interface lacp-port-id         1..65535 (the interface's OpenFlow port
 *                                  number, from 'ofports')
 *   Interface lacp-port-priority   1..65535 (65535)
 *   Interface lacp-aggregation-key 1..65535 (none: LacpSettings::key
 *                                  decides, see ofproto/lacp.h)
 *
 * Where Open vSwitch quietly replaces an out-of-range number (0, a negative
 * or a too large priority, port id or key) by the default, Braid rejects
 * it.
 *
 * Every key is checked whether or not LACP is on, so that a mistake shows
 * at once rather than on the day LACP is turned on; the one exception is
 * the bridge's address as the default system id, which is checked only
 * with LACP on. */
#ifndef BRAID_OFPROTO_LACP_SETTINGS_H
#define BRAID_OFPROTO_LACP_SETTINGS_H 1

#include <cstdint>
#include <map>
#include <string>

#include "lib/packets.h"
#include "ofproto/lacp.h"
#include "ofproto/ofproto.h"

namespace braid::ofproto {

/* Reads the LACP configuration of 'port', whose bridge has the Ethernet
 * address 'bridge_mac' and whose interfaces have the OpenFlow port numbers
 * 'ofports' (by interface name; other names are ignored).
 *
 * On success, returns true and sets:
 *
 *   - '*enabled' to whether LACP runs on the port (Port.lacp active or
 *     passive).  With LACP off the other outputs are filled in all the
 *     same, but the caller should not use them.
 *
 *   - '*settings' to the bond's LacpSettings: 'name' is the port's name,
 *     'key' is 0 (the lowest port number among the members) and
 *     'collector_max_delay' is 0.
 *
 *   - '*members' to one LacpMemberSettings per interface of the port, by
 *     interface name, with 'name', 'port', 'port_priority' and 'key' filled
 *     in and 'lacp_enabled' true.  'mac' is left zero: the caller knows the
 *     interface's address and must fill it in.  'port' is the interface's
 *     lacp-port-id, or else its OpenFlow port number; it is 0 when the
 *     interface has neither (it is missing from 'ofports', or its number is
 *     outside 1..65535, as for an interface that failed to open), and such
 *     a member cannot be given to Lacp::set_member(), which refuses port 0.
 *     'key' is 0 when lacp-aggregation-key is not set.
 *
 * On failure, returns false, sets '*error' to a sentence that names the key
 * and quotes the bad value (for example "lacp-time: not fast or slow
 * \"medium\""), and leaves '*enabled', '*settings' and '*members'
 * untouched.
 *
 * Errors: Port.lacp other than active, passive, off or empty; lacp-time
 * other than fast or slow; a lacp-system-id that is not an Ethernet
 * address, or is zero or multicast; no lacp-system-id with LACP on and a
 * 'bridge_mac' that is zero or multicast; lacp-system-priority,
 * lacp-port-id, lacp-port-priority or lacp-aggregation-key that is not a
 * number in 1..65535; lacp-fallback-ab other than true or false; an unknown
 * lacp-ad-select; a lacp-mux-control other than coupled or independent; two
 * interfaces that end up with the same port number. */
bool parse_lacp_config(const PortSettings &port, EthAddr bridge_mac,
                       const std::map<std::string, int64_t> &ofports, bool *enabled,
                       LacpSettings *settings,
                       std::map<std::string, LacpMemberSettings> *members, std::string *error);

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_LACP_SETTINGS_H
