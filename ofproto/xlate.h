/* Translation: what the NORMAL action does with a packet, as datapath
 * actions and a megaflow mask.
 *
 * The datapath calls translate() on a miss, from its own thread.  It reads
 * an immutable snapshot of the bridges (XlateConfig, published by the
 * control thread after each reconfiguration) and the bridges' MAC tables
 * (which are thread-safe), and answers with the actions for the packet and
 * the mask of every field it read, so that the megaflow it becomes matches
 * exactly the packets that would be treated the same way.
 *
 * NORMAL here is an L2 learning switch with 802.1Q VLANs:
 *   - the packet's VLAN comes from its outer tag and the input port's
 *     vlan_mode, tag and trunks; a frame the port may not carry is dropped
 *     (counted as normal_drop_invalid_vlan);
 *   - the source MAC is learned on (VLAN, input port);
 *   - a known unicast destination on another port is sent there, one on the
 *     input port is dropped, anything else is flooded to every port of the
 *     VLAN except the input port;
 *   - each output gets the tag its port's mode calls for; a bond gets one
 *     bond_output action, and the datapath picks the member per packet;
 *   - a frame received on a bond whose mode has the reflection rule
 *     (balance-slb, -tlb, -alb, -rr, -xor, broadcast, without LACP) is
 *     dropped when its source MAC is learned on another port of the
 *     bridge: it is the bridge's own frame that the physical switch sent
 *     back (counted as normal_drop_bond_reflected).  A gratuitous ARP is
 *     the exception (a VM that moved away), unless the MAC's entry holds
 *     the 5 s lock that a gratuitous ARP on a local port sets.
 * The mask covers in_port, both MAC addresses and the outer VLAN tag, plus
 * the ARP fields a gratuitous-ARP check read; nothing above L3. */
#ifndef BRAID_OFPROTO_XLATE_H
#define BRAID_OFPROTO_XLATE_H 1

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/dpif-netdev.h"
#include "ofproto/mac-learning.h"
#include "ofproto/ofproto.h"

namespace braid::ofproto {

/* One port of a bridge as translation sees it. */
struct XPort {
    std::string name;
    uint32_t id = 0;                    /* Stable id for the MAC table (lowest ofport). */
    VlanSettings vlan;
    std::vector<uint32_t> dp_ports;     /* Its interfaces' datapath ports. */
    int64_t bond_id = -1;               /* Datapath bond id if a bond, else -1. */
    /* A bond whose mode drops frames whose source MAC was learned on
     * another port (the copies a switch reflects back). */
    bool bond_reflection_rule = false;
};

struct XBridge {
    std::string name;
    uint32_t index = 0;                 /* Position in XlateConfig::bridges. */
    std::vector<XPort> ports;
    std::shared_ptr<MacLearning> mac_learning;
};

/* Everything translation needs, immutable once published. */
struct XlateConfig {
    std::vector<XBridge> bridges;
    /* Datapath port -> (bridge index, port index). */
    std::map<uint32_t, std::pair<uint32_t, uint32_t>> by_dp_port;
};

/* Publishes XlateConfig snapshots and translates packets against the
 * current one.  publish() on the control thread; translate() anywhere. */
class Xlate {
public:
    explicit Xlate(dp::Datapath &datapath) : datapath_(datapath) {}

    void publish(std::shared_ptr<const XlateConfig> config);
    std::shared_ptr<const XlateConfig> config() const;

    /* The upcall handler: fills 'out' for 'packet' (key 'key').  Returns
     * false to drop it (unknown input port). */
    bool translate(const FlowKey &key, const DpPacket &packet, dp::Upcall *out);

private:
    dp::Datapath &datapath_;
    mutable std::mutex mutex_;
    std::shared_ptr<const XlateConfig> config_;
};

/* The VLAN a frame belongs to on input port 'port', given its outer tag
 * ('vid' 0 for untagged or priority-tagged), or -1 if the port may not
 * carry it. */
int xlate_input_vlan(const XPort &port, bool tagged, uint16_t vid);

/* Whether 'port' carries 'vlan', and if so whether frames of it leave
 * tagged. */
bool xlate_output_vlan(const XPort &port, uint16_t vlan, bool *tagged);

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_XLATE_H
