/* Translation of the NORMAL action. */
#include <config.h>

#include "ofproto/xlate.h"

#include <algorithm>
#include <cstring>

#include "lib/coverage.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(xlate);
BRAID_COVERAGE_DEFINE(normal_drop_invalid_vlan);
BRAID_COVERAGE_DEFINE(normal_drop_unknown_port);
BRAID_COVERAGE_DEFINE(normal_drop_same_port);
BRAID_COVERAGE_DEFINE(normal_flood);
BRAID_COVERAGE_DEFINE(normal_unicast);
BRAID_COVERAGE_DEFINE(normal_learned);
BRAID_COVERAGE_DEFINE(normal_drop_bond_reflected);

namespace braid::ofproto {
namespace {

bool in_trunks(const XPort &port, uint16_t vlan)
{
    return port.vlan.trunks.empty()
           || std::binary_search(port.vlan.trunks.begin(), port.vlan.trunks.end(), vlan);
}

uint16_t native_vlan(const XPort &port)
{
    return port.vlan.tag.value_or(0);
}

/* Sets every byte of 'field' (inside 'mask') to 0xff. */
template <typename T>
void unwildcard(T &field)
{
    std::memset(static_cast<void *>(&field), 0xff, sizeof field);
}

}  // namespace

int xlate_input_vlan(const XPort &port, bool tagged, uint16_t vid)
{
    bool untagged = !tagged || vid == 0;
    switch (port.vlan.mode) {
    case VlanMode::kAccess:
    case VlanMode::kDot1qTunnel:
        return untagged ? native_vlan(port) : -1;
    case VlanMode::kTrunk:
        if (untagged) {
            return in_trunks(port, 0) ? 0 : -1;
        }
        return in_trunks(port, vid) ? vid : -1;
    case VlanMode::kNativeTagged:
    case VlanMode::kNativeUntagged:
        if (untagged) {
            return native_vlan(port);
        }
        return vid == native_vlan(port) || in_trunks(port, vid) ? vid : -1;
    }
    return -1;
}

bool xlate_output_vlan(const XPort &port, uint16_t vlan, bool *tagged)
{
    switch (port.vlan.mode) {
    case VlanMode::kAccess:
    case VlanMode::kDot1qTunnel:
        *tagged = false;
        return vlan == native_vlan(port);
    case VlanMode::kTrunk:
        *tagged = vlan != 0;
        return in_trunks(port, vlan);
    case VlanMode::kNativeUntagged:
        *tagged = vlan != native_vlan(port);
        return vlan == native_vlan(port) || in_trunks(port, vlan);
    case VlanMode::kNativeTagged:
        *tagged = vlan != 0;
        return vlan == native_vlan(port) || in_trunks(port, vlan);
    }
    return false;
}

void Xlate::publish(std::shared_ptr<const XlateConfig> config)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        config_ = std::move(config);
    }
    datapath_.revalidate();
}

std::shared_ptr<const XlateConfig> Xlate::config() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return config_;
}

bool Xlate::translate(const FlowKey &key, const DpPacket &, dp::Upcall *out)
{
    std::shared_ptr<const XlateConfig> config = this->config();
    out->actions.clear();
    out->mask = FlowKey{};
    out->learn = dp::LearnInfo{};
    unwildcard(out->mask.in_port);
    if (!config) {
        return false;
    }
    auto where = config->by_dp_port.find(key.in_port);
    if (where == config->by_dp_port.end()) {
        COVERAGE_INC(normal_drop_unknown_port);
        return true;        /* A drop flow for a port we do not know. */
    }
    const XBridge &br = config->bridges[where->second.first];
    const XPort &in = br.ports[where->second.second];

    /* The packet's VLAN. */
    unwildcard(out->mask.vlans[0]);
    bool tagged = key.vlans[0].present();
    uint16_t tci = tagged ? key.vlans[0].tci.value() : 0;
    int vlan = xlate_input_vlan(in, tagged, vlan_tci_to_vid(tci));
    if (vlan < 0) {
        static vlog::RateLimit rl(5, 20);
        COVERAGE_INC(normal_drop_invalid_vlan);
        VLOG_DBG_RL(rl, "bridge {}: dropping VLAN {} frame received on port {} ({})", br.name,
                    vlan_tci_to_vid(tci), in.name, vlan_mode_to_string(in.vlan.mode));
        return true;        /* Install a drop flow for it. */
    }

    /* Learn the source. */
    unwildcard(out->mask.dl_src);
    bool on_bond = in.bond_id >= 0;
    LearnSource source;
    source.on_bond = on_bond;
    if (key.dl_dst.is_broadcast() && br.mac_learning) {
        /* Gratuitous ARP: ARP to broadcast, a reply, or a request whose
         * sender and target addresses are equal.  It arms the MAC table's
         * lock on a local port and is the exception to the reflection
         * rule on a bond. */
        unwildcard(out->mask.dl_dst);
        unwildcard(out->mask.dl_type);
        if (key.dl_type.value() == kEthTypeArp) {
            unwildcard(out->mask.nw_proto);
            unwildcard(out->mask.nw_src);
            unwildcard(out->mask.nw_dst);
            source.gratuitous_arp
                = key.nw_proto == kArpOpReply
                  || (key.nw_proto == kArpOpRequest && key.nw_src == key.nw_dst);
            /* Each one must reach the MAC table (it arms or meets a lock
             * that ends with time, which no cached flow would notice). */
            out->install = !source.gratuitous_arp;
        }
    }
    if (on_bond && in.bond_reflection_rule && br.mac_learning && !key.dl_src.is_multicast()) {
        std::optional<MacEntry> e = br.mac_learning->find(key.dl_src, uint16_t(vlan));
        if (e && e->port != in.id && (!source.gratuitous_arp || e->grat_arp_locked)) {
            static vlog::RateLimit rl(5, 20);
            COVERAGE_INC(normal_drop_bond_reflected);
            VLOG_DBG_RL(rl, "bridge {}: bond {} received its own frame from {} back; dropping",
                        br.name, in.name, key.dl_src.to_string());
            return true;
        }
    }
    if (!key.dl_src.is_multicast() && br.mac_learning) {
        LearnResult r = br.mac_learning->learn(key.dl_src, uint16_t(vlan), in.id, source);
        if (r == LearnResult::kLearned || r == LearnResult::kMoved) {
            COVERAGE_INC(normal_learned);
            datapath_.revalidate();
        }
        out->learn = dp::LearnInfo{true, br.index, key.dl_src, uint16_t(vlan), in.id};
    }

    /* Where to. */
    unwildcard(out->mask.dl_dst);
    const XPort *unicast = nullptr;
    if (!key.dl_dst.is_multicast() && br.mac_learning) {
        if (std::optional<uint32_t> id = br.mac_learning->lookup(key.dl_dst, uint16_t(vlan))) {
            for (const XPort &p : br.ports) {
                if (p.id == *id) {
                    unicast = &p;
                    break;
                }
            }
        }
    }

    /* Each output with the tag its port wants; 'cur_*' is the packet's tag
     * as the actions so far leave it. */
    bool cur_tagged = tagged;
    uint16_t cur_tci = tci;
    uint16_t pcp_bits = tci & kVlanPcpMask;
    auto emit_output = [&](const XPort &port) {
        bool want_tagged;
        if (!xlate_output_vlan(port, uint16_t(vlan), &want_tagged) || port.dp_ports.empty()) {
            return;
        }
        uint16_t want_tci = uint16_t(pcp_bits | uint16_t(vlan));
        if (!want_tagged && cur_tagged) {
            out->actions.push_back(dp::Action::pop_vlan());
            cur_tagged = false;
        } else if (want_tagged && !cur_tagged) {
            out->actions.push_back(dp::Action::push_vlan(kEthTypeVlan8021Q, want_tci));
            cur_tagged = true;
            cur_tci = want_tci;
        } else if (want_tagged && cur_tci != want_tci) {
            out->actions.push_back(dp::Action::set_vlan_tci(want_tci));
            cur_tci = want_tci;
        }
        if (port.bond_id >= 0) {
            out->actions.push_back(
                dp::Action::bond_output(uint32_t(port.bond_id), want_tagged ? uint16_t(vlan) : 0));
        } else {
            out->actions.push_back(dp::Action::output(port.dp_ports[0]));
        }
    };

    if (unicast) {
        if (unicast == &in) {
            COVERAGE_INC(normal_drop_same_port);
            return true;
        }
        COVERAGE_INC(normal_unicast);
        emit_output(*unicast);
    } else {
        COVERAGE_INC(normal_flood);
        for (const XPort &p : br.ports) {
            if (&p != &in) {
                emit_output(p);
            }
        }
    }
    return true;
}

}  // namespace braid::ofproto
