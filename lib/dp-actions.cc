/* Datapath actions. */
#include <config.h>

#include "lib/dp-actions.h"

#include <cstring>

#include <fmt/format.h>

#include "lib/coverage.h"

BRAID_COVERAGE_DEFINE(dp_action_no_headroom);

namespace braid::dp {

std::string actions_to_string(const Actions &actions)
{
    if (actions.empty()) {
        return "drop";
    }
    std::string s;
    for (const Action &a : actions) {
        if (!s.empty()) {
            s += ",";
        }
        switch (a.type) {
        case ActionType::kOutput:
            s += std::to_string(a.port);
            break;
        case ActionType::kPushVlan:
            s += fmt::format("push_vlan(tpid=0x{:04x},vid={},pcp={})", a.tpid.value(),
                             vlan_tci_to_vid(a.tci.value()), vlan_tci_to_pcp(a.tci.value()));
            break;
        case ActionType::kPopVlan:
            s += "pop_vlan";
            break;
        case ActionType::kSetEthSrc:
            s += "set(eth(src=" + a.mac.to_string() + "))";
            break;
        case ActionType::kSetEthDst:
            s += "set(eth(dst=" + a.mac.to_string() + "))";
            break;
        case ActionType::kSetVlanTci:
            s += fmt::format("set(vlan(vid={},pcp={}))", vlan_tci_to_vid(a.tci.value()),
                             vlan_tci_to_pcp(a.tci.value()));
            break;
        case ActionType::kBondOutput:
            s += fmt::format("bond_output({})", a.port);
            break;
        case ActionType::kUserspace:
            s += fmt::format("userspace({})", a.port);
            break;
        }
    }
    return s;
}

bool packet_push_vlan(DpPacket &packet, be16 tpid, be16 tci)
{
    if (packet.size() < 2 * 6) {
        return false;
    }
    uint8_t *p = packet.push_front(sizeof(VlanHeader));
    if (!p) {
        COVERAGE_INC(dp_action_no_headroom);
        return false;
    }
    /* Move the MAC addresses to the new front; the tag goes after them. */
    std::memmove(p, p + sizeof(VlanHeader), 2 * 6);
    std::memcpy(p + 12, tpid.data(), 2);
    std::memcpy(p + 14, tci.data(), 2);
    return true;
}

bool packet_pop_vlan(DpPacket &packet)
{
    if (packet.size() < kEthHeaderLen + sizeof(VlanHeader)) {
        return false;
    }
    uint8_t *p = packet.data();
    uint16_t type = uint16_t(p[12] << 8 | p[13]);
    if (!eth_type_is_vlan(type)) {
        return false;
    }
    std::memmove(p + sizeof(VlanHeader), p, 2 * 6);
    packet.pull_front(sizeof(VlanHeader));
    return true;
}

void packet_set_eth_src(DpPacket &packet, const EthAddr &mac)
{
    if (packet.size() >= kEthHeaderLen) {
        std::memcpy(packet.data() + 6, mac.b.data(), 6);
    }
}

void packet_set_eth_dst(DpPacket &packet, const EthAddr &mac)
{
    if (packet.size() >= kEthHeaderLen) {
        std::memcpy(packet.data(), mac.b.data(), 6);
    }
}

void packet_set_vlan_tci(DpPacket &packet, be16 tci)
{
    if (packet.size() >= kEthHeaderLen + sizeof(VlanHeader)
        && eth_type_is_vlan(uint16_t(packet.data()[12] << 8 | packet.data()[13]))) {
        std::memcpy(packet.data() + 14, tci.data(), 2);
    }
}

}  // namespace braid::dp
