/* The text of bond/list, bond/show and the Linux-style bond view.  See
 * ofproto/bond-show.h for the formats. */
#include <config.h>

#include "ofproto/bond-show.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

namespace braid::ofproto {

namespace {

const char *bool_text(bool b)
{
    return b ? "true" : "false";
}

/* The members of 'b' sorted by name, as Open vSwitch prints them. */
std::vector<const BondMemberStatus *> members_by_name(const BondStatus &b)
{
    std::vector<const BondMemberStatus *> members;
    members.reserve(b.members.size());
    for (const BondMemberStatus &m : b.members) {
        members.push_back(&m);
    }
    std::stable_sort(members.begin(), members.end(),
                     [](const BondMemberStatus *x, const BondMemberStatus *y) {
                         return x->name < y->name;
                     });
    return members;
}

bool has_member(const BondStatus &b, const std::string &name)
{
    return std::any_of(b.members.begin(), b.members.end(),
                       [&](const BondMemberStatus &m) { return m.name == name; });
}

/* The mode descriptions of the Linux driver's "Bonding Mode:" line. */
const char *linux_mode_text(BondMode mode)
{
    switch (mode) {
    case BondMode::kBalanceRr:
        return "load balancing (round-robin)";
    case BondMode::kActiveBackup:
        return "fault-tolerance (active-backup)";
    case BondMode::kBalanceXor:
        return "load balancing (xor)";
    case BondMode::kBroadcast:
        return "fault-tolerance (broadcast)";
    case BondMode::k8023ad:
        return "IEEE 802.3ad Dynamic link aggregation";
    case BondMode::kBalanceTlb:
        return "transmit load balancing";
    case BondMode::kBalanceAlb:
        return "adaptive load balancing";
    case BondMode::kBalanceSlb:
        return "load balancing (slb, Open vSwitch)";
    case BondMode::kBalanceTcp:
        return "load balancing (tcp, Open vSwitch)";
    }
    return "unknown";
}

/* The Linux number of a transmit hash policy (xmit_hash_policy). */
int linux_policy_number(XmitHashPolicy policy)
{
    switch (policy) {
    case XmitHashPolicy::kLayer2:
        return 0;
    case XmitHashPolicy::kLayer34:
        return 1;
    case XmitHashPolicy::kLayer23:
        return 2;
    case XmitHashPolicy::kEncap23:
        return 3;
    case XmitHashPolicy::kEncap34:
        return 4;
    case XmitHashPolicy::kVlanSrcMac:
        return 5;
    }
    return 0;
}

/* The modes in which Linux prints "Transmit Hash Policy:". */
bool linux_mode_uses_hash(BondMode mode)
{
    return mode == BondMode::kBalanceXor || mode == BondMode::k8023ad
           || mode == BondMode::kBalanceTlb || mode == BondMode::kBalanceAlb;
}

/* The modes in which Linux prints "Primary Slave:" and "Currently Active
 * Slave:". */
bool linux_mode_uses_primary(BondMode mode)
{
    return mode == BondMode::kActiveBackup || mode == BondMode::kBalanceTlb
           || mode == BondMode::kBalanceAlb;
}

/* A member's link state in the words of the Linux driver. */
const char *linux_member_link(const BondMemberStatus &m)
{
    if (m.delay_remaining) {
        return m.delay_is_up ? "going back" : "going down";
    }
    return m.enabled ? "up" : "down";
}

void append_ovs_part(std::string &s, const BondStatus &b)
{
    const BondConfig &c = b.config;
    auto out = std::back_inserter(s);

    fmt::format_to(out, "---- {} ----\n", b.name);
    fmt::format_to(out, "bond_mode: {}\n", bond_mode_to_string(c.mode));
    s += "bond may use recirculation: no, Recirc-ID : -1\n";
    fmt::format_to(out, "bond-hash-basis: {}\n", c.hash_basis);
    if (c.mode == BondMode::kBalanceTcp) {
        fmt::format_to(out, "lb_output action: enabled, bond-id: {}\n", b.bond_id);
    } else {
        s += "lb_output action: disabled, bond-id: -1\n";
    }
    if (c.mode == BondMode::kBalanceSlb) {
        fmt::format_to(out, "all members active: {}\n", bool_text(c.all_members_active));
    }
    fmt::format_to(out, "updelay: {} ms\n", c.updelay);
    fmt::format_to(out, "downdelay: {} ms\n", c.downdelay);
    if (b.next_rebalance) {
        fmt::format_to(out, "next rebalance: {} ms\n", *b.next_rebalance);
    }
    fmt::format_to(out, "lacp_status: {}\n", b.lacp_status);
    fmt::format_to(out, "lacp_fallback_ab: {}\n", bool_text(c.lacp_fallback_ab));

    if (c.primary.empty()) {
        s += "active-backup primary: <none>\n";
    } else if (has_member(b, c.primary)) {
        fmt::format_to(out, "active-backup primary: {}\n", c.primary);
    } else {
        fmt::format_to(out, "active-backup primary: {} (no such member)\n", c.primary);
    }

    if (b.active) {
        fmt::format_to(out, "active member mac: {}({})\n", b.active_mac.to_string(), *b.active);
    } else {
        fmt::format_to(out, "active member mac: {}(none)\n", EthAddr().to_string());
    }

    for (const BondMemberStatus *m : members_by_name(b)) {
        fmt::format_to(out, "\nmember {}: {}\n", m->name, m->enabled ? "enabled" : "disabled");
        if (m->active) {
            s += "  active member\n";
        }
        fmt::format_to(out, "  may_enable: {}\n", bool_text(m->may_enable));
        if (m->delay_remaining) {
            fmt::format_to(out, "  {} expires in {} ms\n",
                           m->delay_is_up ? "updelay" : "downdelay", *m->delay_remaining);
        }
        for (const auto &[bucket, bytes] : m->buckets) {
            if (bytes >= 1024) {
                fmt::format_to(out, "  hash {}: {} kB load\n", bucket, bytes / 1024);
            }
        }
    }
}

void append_braid_part(std::string &s, const BondStatus &b)
{
    const BondConfig &c = b.config;
    auto out = std::back_inserter(s);

    fmt::format_to(out, "braid: bridge {}, datapath bond-id {}, failovers {}, carrier {}\n",
                   b.bridge, b.bond_id, b.failovers, b.carrier_ok ? "ok" : "down");
    fmt::format_to(out,
                   "braid: xmit-hash-policy {}, detect-mode {}, min-links {}, "
                   "rebalance-interval {} ms\n",
                   xmit_hash_policy_to_string(c.xmit_hash_policy),
                   bond_detect_mode_to_string(c.detect_mode), c.min_links,
                   c.rebalance_interval);
    if (!b.config_error.empty()) {
        fmt::format_to(out, "braid: rejected configuration: {}\n", b.config_error);
    }

    s += "braid: drops:";
    for (size_t i = 0; i < b.drops.size(); i++) {
        fmt::format_to(out, "{} {} {}", i ? "," : "",
                       dp::bond_drop_to_string(static_cast<dp::BondDrop>(i)), b.drops[i]);
    }
    s += '\n';

    for (const BondMemberStatus *m : members_by_name(b)) {
        fmt::format_to(out,
                       "braid: member {}: carrier {}, admin-disabled {}, link failures {}, "
                       "tx {} packets {} bytes, prio {}, arp missed {}\n",
                       m->name, m->carrier ? "up" : "down", bool_text(m->admin_disabled),
                       m->link_failures, m->tx_packets, m->tx_bytes, m->prio, m->arp_missed);
        if (m->alb_mac) {
            s.pop_back();
            fmt::format_to(out, ", alb mac {}\n", m->alb_mac->to_string());
        }
    }
}

}  // namespace

std::string bond_list_text(const std::vector<BondStatus> &bonds)
{
    std::string s = "bond\ttype\trecircID\tmembers\n";
    auto out = std::back_inserter(s);
    for (const BondStatus &b : bonds) {
        fmt::format_to(out, "{}\t{}\t{}\t", b.name, bond_mode_to_string(b.config.mode), b.bond_id);
        for (size_t i = 0; i < b.members.size(); i++) {
            if (i) {
                s += ", ";
            }
            s += b.members[i].name;
        }
        s += '\n';
    }
    return s;
}

std::string bond_show_text(const BondStatus &b)
{
    std::string s;
    append_ovs_part(s, b);
    s += '\n';
    append_braid_part(s, b);
    return s;
}

std::string bond_show_all_text(const std::vector<BondStatus> &bonds)
{
    std::string s;
    for (size_t i = 0; i < bonds.size(); i++) {
        if (i) {
            s += '\n';
        }
        s += bond_show_text(bonds[i]);
    }
    return s;
}

namespace {

/* Linux's names of the churn states. */
const char *linux_churn_text(LacpChurnState state)
{
    switch (state) {
    case LacpChurnState::kNoChurn: return "none";
    case LacpChurnState::kMonitor: return "monitoring";
    case LacpChurnState::kChurn: return "churned";
    }
    return "?";
}

/* The "802.3ad info" block of bond/show-linux. */
void append_linux_lacp(std::string &s, const BondStatus &b)
{
    const LacpStatus &l = *b.lacp;
    auto out = std::back_inserter(s);
    s += "\n802.3ad info\n";
    fmt::format_to(out, "LACP active: {}\n", l.settings.active ? "on" : "off");
    fmt::format_to(out, "LACP rate: {}\n", l.settings.fast ? "fast" : "slow");
    fmt::format_to(out, "Min links: {}\n", b.config.min_links);
    fmt::format_to(out, "Aggregator selection policy (ad_select): {}\n",
                   lacp_ad_select_to_string(l.settings.ad_select));
    fmt::format_to(out, "System priority: {}\n", l.settings.system_priority);
    fmt::format_to(out, "System MAC address: {}\n", l.settings.system_id.to_string());
    for (const LacpAggregatorStatus &a : l.aggregators) {
        if (a.id != l.active_aggregator) {
            continue;
        }
        s += "Active Aggregator Info:\n";
        fmt::format_to(out, "\tAggregator ID: {}\n", a.id);
        fmt::format_to(out, "\tNumber of ports: {}\n", a.members.size());
        fmt::format_to(out, "\tActor Key: {}\n", a.actor_key);
        fmt::format_to(out, "\tPartner Key: {}\n", a.partner_key);
        fmt::format_to(out, "\tPartner Mac Address: {}\n", a.partner_system.to_string());
    }
}

void append_linux_lacpdu(std::string &s, const char *who, const LacpPortInfo &info)
{
    auto out = std::back_inserter(s);
    fmt::format_to(out, "details {} lacp pdu:\n", who);
    fmt::format_to(out, "    system priority: {}\n", info.system_priority);
    fmt::format_to(out, "    system mac address: {}\n", info.system.to_string());
    fmt::format_to(out, "    port key: {}\n", info.key);
    fmt::format_to(out, "    port priority: {}\n", info.port_priority);
    fmt::format_to(out, "    port number: {}\n", info.port);
    fmt::format_to(out, "    port state: {}\n", info.state);
}

/* The LACP lines of member 'name' in bond/show-linux. */
void append_linux_lacp_member(std::string &s, const BondStatus &b, const std::string &name)
{
    auto id = std::find_if(b.lacp_ids.begin(), b.lacp_ids.end(),
                           [&](const auto &p) { return p.first == name; });
    if (id == b.lacp_ids.end()) {
        return;
    }
    for (const LacpMemberStatus &m : b.lacp->members) {
        if (m.id != id->second) {
            continue;
        }
        auto out = std::back_inserter(s);
        fmt::format_to(out, "Aggregator ID: {}\n", m.aggregator ? std::to_string(m.aggregator)
                                                                 : std::string("N/A"));
        fmt::format_to(out, "Actor Churn State: {}\n", linux_churn_text(m.actor_churn));
        fmt::format_to(out, "Partner Churn State: {}\n", linux_churn_text(m.partner_churn));
        fmt::format_to(out, "Actor Churned Count: {}\n", m.stats.actor_churns);
        fmt::format_to(out, "Partner Churned Count: {}\n", m.stats.partner_churns);
        append_linux_lacpdu(s, "actor", m.actor);
        append_linux_lacpdu(s, "partner", m.partner);
    }
}

}  // namespace

std::string bond_show_linux_text(const BondStatus &b)
{
    const BondConfig &c = b.config;
    std::string s;
    auto out = std::back_inserter(s);

    fmt::format_to(out, "Ethernet Channel Bonding Driver: Braid {}\n\n", PACKAGE_VERSION);
    fmt::format_to(out, "Bonding Mode: {}\n", linux_mode_text(c.mode));
    if (linux_mode_uses_hash(c.mode)) {
        fmt::format_to(out, "Transmit Hash Policy: {} ({})\n",
                       xmit_hash_policy_to_string(c.xmit_hash_policy),
                       linux_policy_number(c.xmit_hash_policy));
    }
    if (linux_mode_uses_primary(c.mode)) {
        /* Like Linux, which names a primary only once it is enslaved. */
        if (!c.primary.empty() && has_member(b, c.primary)) {
            fmt::format_to(out, "Primary Slave: {} (primary_reselect {})\n", c.primary,
                           primary_reselect_to_string(c.primary_reselect));
        } else {
            s += "Primary Slave: None\n";
        }
        fmt::format_to(out, "Currently Active Slave: {}\n", b.active ? *b.active : "None");
    }
    fmt::format_to(out, "MII Status: {}\n", b.carrier_ok ? "up" : "down");
    fmt::format_to(out, "MII Polling Interval (ms): {}\n",
                   c.detect_mode == BondDetectMode::kMiimon ? c.miimon_interval : 0);
    fmt::format_to(out, "Up Delay (ms): {}\n", c.updelay);
    fmt::format_to(out, "Down Delay (ms): {}\n", c.downdelay);
    fmt::format_to(out, "Peer Notification Delay (ms): {}\n", c.peer_notif_delay);

    if (c.detect_mode == BondDetectMode::kArp || c.detect_mode == BondDetectMode::kNs) {
        fmt::format_to(out, "ARP Polling Interval (ms): {}\n", c.arp_interval);
        fmt::format_to(out, "ARP Missed Max: {}\n", c.arp_missed_max);
        s += "ARP IP target/s (n.n.n.n form):";
        for (size_t i = 0; i < c.arp_targets.size(); i++) {
            fmt::format_to(out, "{} {}", i ? "," : "", ipv4_to_string(c.arp_targets[i]));
        }
        s += "\nNS IPv6 target/s (xx::xx form):";
        for (size_t i = 0; i < c.ns_targets.size(); i++) {
            fmt::format_to(out, "{} {}", i ? "," : "", c.ns_targets[i].to_string());
        }
        s += '\n';
    }

    if (b.lacp) {
        append_linux_lacp(s, b);
    }

    for (const BondMemberStatus &m : b.members) {
        fmt::format_to(out, "\nSlave Interface: {}\n", m.name);
        fmt::format_to(out, "MII Status: {}\n", linux_member_link(m));
        s += "Speed: Unknown\n";
        s += "Duplex: Unknown\n";
        fmt::format_to(out, "Link Failure Count: {}\n", m.link_failures);
        fmt::format_to(out, "Permanent HW addr: {}\n", m.mac.to_string());
        s += "Slave queue ID: 0\n";
        if (b.lacp) {
            append_linux_lacp_member(s, b, m.name);
        }
    }
    return s;
}

}  // namespace braid::ofproto
