/* Datapath actions: what the datapath does with the packets of a flow.
 *
 * An action list is a short sequence of plain Action values, made once by
 * the slow path when a flow is installed and run for every packet of that
 * flow.  Running one touches only the packet and the output batches; it
 * allocates nothing.
 *
 * Actions apply in order to one working copy of the packet: push_vlan and
 * pop_vlan change that copy for the outputs that follow, as in Open
 * vSwitch ("push_vlan(vid=10),output:1,pop_vlan,output:2" sends the frame
 * tagged to port 1 and untagged to port 2). */
#ifndef BRAID_LIB_DP_ACTIONS_H
#define BRAID_LIB_DP_ACTIONS_H 1

#include <cstdint>
#include <string>
#include <vector>

#include "lib/byte-order.h"
#include "lib/dp-packet.h"
#include "lib/flow.h"
#include "lib/packets.h"

namespace braid::dp {

enum class ActionType : uint8_t {
    kOutput,        /* Send to datapath port 'port'. */
    kPushVlan,      /* Push a tag with 'tpid' and 'tci' (outermost). */
    kPopVlan,       /* Remove the outermost tag, if any. */
    kSetEthSrc,     /* Set the source MAC to 'mac'. */
    kSetEthDst,     /* Set the destination MAC to 'mac'. */
    kSetVlanTci,    /* Replace the outermost tag's TCI with 'tci' (if tagged). */
    kBondOutput,    /* Send through bond 'port' (a bond id, see dp-bond.h); the
                     * VLAN id it leaves with is in 'tci'. */
    kUserspace,     /* Hand the packet to the slow path (slow-path reason in 'port'). */
};

struct Action {
    ActionType type;
    be16 tpid;              /* kPushVlan. */
    be16 tci;               /* kPushVlan, kSetVlanTci. */
    uint32_t port = 0;      /* kOutput: port; kBondOutput: bond id. */
    EthAddr mac;            /* kSetEthSrc, kSetEthDst. */

    static Action output(uint32_t port) { return {ActionType::kOutput, {}, {}, port, {}}; }
    static Action push_vlan(uint16_t tpid, uint16_t tci)
    {
        return {ActionType::kPushVlan, be16::from_host(tpid), be16::from_host(tci), 0, {}};
    }
    static Action pop_vlan() { return {ActionType::kPopVlan, {}, {}, 0, {}}; }
    static Action set_vlan_tci(uint16_t tci)
    {
        return {ActionType::kSetVlanTci, {}, be16::from_host(tci), 0, {}};
    }
    static Action set_eth_src(EthAddr mac) { return {ActionType::kSetEthSrc, {}, {}, 0, mac}; }
    static Action set_eth_dst(EthAddr mac) { return {ActionType::kSetEthDst, {}, {}, 0, mac}; }
    /* 'vid' is the VLAN the packet leaves with (0: untagged), for the hash. */
    static Action bond_output(uint32_t bond, uint16_t vid = 0)
    {
        return {ActionType::kBondOutput, {}, be16::from_host(vid), bond, {}};
    }
    static Action userspace(uint32_t reason) { return {ActionType::kUserspace, {}, {}, reason, {}}; }

    friend bool operator==(const Action &, const Action &) = default;
};

using Actions = std::vector<Action>;

/* "drop" for an empty list, else e.g. "push_vlan(tpid=0x8100,vid=10,pcp=0),1,pop_vlan,2",
 * close to what ovs-dpctl prints. */
std::string actions_to_string(const Actions &actions);

/* Frame edits on a packet, for actions and tests.  Return false when the
 * frame is too short or (push) has no headroom. */
bool packet_push_vlan(DpPacket &packet, be16 tpid, be16 tci);
bool packet_pop_vlan(DpPacket &packet);
void packet_set_eth_src(DpPacket &packet, const EthAddr &mac);
void packet_set_eth_dst(DpPacket &packet, const EthAddr &mac);
void packet_set_vlan_tci(DpPacket &packet, be16 tci);

/* Runs 'actions' on 'packet' (which it may modify: the last output sees the
 * final form); 'key' holds the fields of the packet as received.  'Sink' is
 * any type with
 *     void output(uint32_t port, const DpPacket &packet);
 *     void bond_output(uint32_t bond, uint16_t vid, const FlowKey &key,
 *                      const DpPacket &packet);
 *     void userspace(uint32_t reason, const DpPacket &packet);
 * called for the output, bond_output and userspace actions; a template
 * rather than a virtual interface, so that no virtual call is made per
 * packet.  Returns false if a VLAN push found no headroom (the packet is
 * dropped from then on). */
template <typename Sink>
bool execute_actions(const Actions &actions, const FlowKey &key, DpPacket &packet, Sink &sink)
{
    for (const Action &a : actions) {
        switch (a.type) {
        case ActionType::kOutput:
            sink.output(a.port, packet);
            break;
        case ActionType::kPushVlan:
            if (!packet_push_vlan(packet, a.tpid, a.tci)) {
                return false;
            }
            break;
        case ActionType::kPopVlan:
            packet_pop_vlan(packet);
            break;
        case ActionType::kSetEthSrc:
            packet_set_eth_src(packet, a.mac);
            break;
        case ActionType::kSetEthDst:
            packet_set_eth_dst(packet, a.mac);
            break;
        case ActionType::kSetVlanTci:
            packet_set_vlan_tci(packet, a.tci);
            break;
        case ActionType::kBondOutput:
            sink.bond_output(a.port, a.tci.value() & kVlanVidMask, key, packet);
            break;
        case ActionType::kUserspace:
            sink.userspace(a.port, packet);
            break;
        }
    }
    return true;
}

}  // namespace braid::dp

#endif  // BRAID_LIB_DP_ACTIONS_H
