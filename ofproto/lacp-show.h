/* The text of the lacp/show and lacp/show-stats commands.  Pure formatting:
 * both functions turn a LacpStatus snapshot (ofproto/lacp.h) into text and
 * keep no state.
 *
 * Each reply is first the text of Open vSwitch, line for line, so that
 * scripts written for it keep working, then a blank line and Braid's own
 * lines, every one starting with "braid: " so that it can be grepped.
 * Members are sorted by name in both parts.
 *
 * lacp/show, the Open vSwitch part:
 *
 *   ---- bond0 ----
 *     status: active negotiated               ("passive"; " negotiated" only
 *                                               when negotiated)
 *     sys_id: aa:55:aa:55:00:00
 *     sys_priority: 65534
 *     aggregation key: 2                      (see below)
 *     lacp_time: fast                         (or "slow")
 *
 *   member: p0: current attached              (Receive state; see below)
 *     port_id: 1
 *     port_priority: 65535
 *     may_enable: true
 *
 *     actor sys_id: aa:55:aa:55:00:00
 *     actor sys_priority: 65534
 *     actor port_id: 1
 *     actor port_priority: 65535
 *     actor key: 2
 *     actor state: activity timeout aggregation synchronized collecting distributing
 *
 *     partner sys_id: aa:66:aa:66:00:00
 *     partner sys_priority: 65534
 *     partner port_id: 3
 *     partner port_priority: 65535
 *     partner key: 4
 *     partner state: activity timeout aggregation synchronized collecting distributing
 *
 * The "aggregation key" is the key of every member without a key of its
 * own: LacpSettings::key, or else the lowest port number among the members,
 * or "none" if there is neither.  The word after the member's name is its
 * Receive state: "current", "expired" and "defaulted" as in Open vSwitch,
 * and 802.1AX's "initialize", "port_disabled" (link down) and
 * "lacp_disabled" for the states Open vSwitch lacks.  "attached" means the
 * Mux machine is ATTACHED or COLLECTING_DISTRIBUTING (the actor reports
 * itself in sync), "detached" anything else.  A state with no bit set
 * prints as "  partner state:" with nothing after the colon.
 *
 * lacp/show, Braid's part:
 *
 *   braid: ad-select stable, fallback-ab false, active aggregator 1
 *          ("active aggregator none" without one)
 *   braid: mux control coupled                  (or "independent")
 *   braid: aggregator 1: active true, individual false, actor key 2,
 *          partner system priority 65534, partner system aa:66:aa:66:00:00,
 *          partner key 4, members p0, p1
 *          (one line per aggregator in use, by id; members by name, or
 *          "members none")
 *   braid: member p0: link up, rx current, mux collecting_distributing,
 *          periodic fast_periodic, tx idle, selection selected,
 *          aggregator 1, actor churn none, partner churn none
 *          ("aggregator none" for a member without one)
 *
 * lacp/show-stats, the Open vSwitch part:
 *
 *   ---- bond0 statistics ----
 *
 *   member: p0:
 *     TX PDUs: 123                            (LACPDUs sent)
 *     RX PDUs: 120                            (every frame received)
 *     RX Bad PDUs: 0                          (malformed)
 *     RX Marker Request PDUs: 0
 *     Link Expired: 1                         (CURRENT to EXPIRED)
 *     Link Defaulted: 1                       (EXPIRED to DEFAULTED)
 *     Carrier Status Changed: 0               (link changes)
 *
 * lacp/show-stats, Braid's part:
 *
 *   braid: rx frames for unknown members 0
 *   braid: member p0: rx lacpdus 118, rx marker responses 0,
 *          tx marker responses 0, marker responses dropped 0, rx loopback 0,
 *          rx link down 0, rx lacp disabled 0, state changes 6,
 *          actor churns 0, partner churns 0
 *   braid: member p0: rx bad by reason: none
 *          (or "lacp version is 0 (2), marker tlv length is not 16 (1)":
 *          the reasons of slow_error_to_string() with a nonzero count, in
 *          the order of SlowError)
 *
 * (The lines wrapped above are single lines in the output.)
 *
 * A reply without a port is the text of every bond in turn; each text ends
 * in a newline. */
#ifndef BRAID_OFPROTO_LACP_SHOW_H
#define BRAID_OFPROTO_LACP_SHOW_H 1

#include <string>

#include "ofproto/lacp.h"

namespace braid::ofproto {

/* The lacp/show text of 's', the LACP of port 'port_name', as described at
 * the top of this file.  Ends in a newline. */
std::string lacp_show_text(const LacpStatus &s, const std::string &port_name);

/* The lacp/show-stats text of 's', the LACP of port 'port_name', as
 * described at the top of this file.  Ends in a newline. */
std::string lacp_show_stats_text(const LacpStatus &s, const std::string &port_name);

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_LACP_SHOW_H
