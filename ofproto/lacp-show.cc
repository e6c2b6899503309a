/* The text of lacp/show and lacp/show-stats.  See ofproto/lacp-show.h for
 * the formats. */
#include <config.h>

#include "ofproto/lacp-show.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lib/slow-protocols.h"

namespace braid::ofproto {

namespace {

const char *bool_text(bool b)
{
    return b ? "true" : "false";
}

/* The members of 's' sorted by name, as Open vSwitch prints them. */
std::vector<const LacpMemberStatus *> members_by_name(const LacpStatus &s)
{
    std::vector<const LacpMemberStatus *> members;
    members.reserve(s.members.size());
    for (const LacpMemberStatus &m : s.members) {
        members.push_back(&m);
    }
    std::stable_sort(members.begin(), members.end(),
                     [](const LacpMemberStatus *x, const LacpMemberStatus *y) {
                         return x->settings.name < y->settings.name;
                     });
    return members;
}

/* The key of the members without a key of their own, as text: the bond's
 * key, or the lowest port number among the members, or "none". */
std::string aggregation_key_text(const LacpStatus &s)
{
    if (s.settings.key) {
        return std::to_string(s.settings.key);
    }
    if (s.members.empty()) {
        return "none";
    }
    uint16_t lowest = UINT16_MAX;
    for (const LacpMemberStatus &m : s.members) {
        lowest = std::min(lowest, m.settings.port);
    }
    return std::to_string(lowest);
}

/* "  <who> state:" followed by the names of the bits of 'state', each after
 * a space, as Open vSwitch prints it. */
std::string state_line(const char *who, uint8_t state)
{
    std::string bits = lacp_state_to_string(state);
    return fmt::format("  {} state:{}{}\n", who, bits.empty() ? "" : " ", bits);
}

void append_port_info(std::string &s, const char *who, const LacpPortInfo &info)
{
    auto out = std::back_inserter(s);
    fmt::format_to(out, "  {} sys_id: {}\n", who, info.system.to_string());
    fmt::format_to(out, "  {} sys_priority: {}\n", who, info.system_priority);
    fmt::format_to(out, "  {} port_id: {}\n", who, info.port);
    fmt::format_to(out, "  {} port_priority: {}\n", who, info.port_priority);
    fmt::format_to(out, "  {} key: {}\n", who, info.key);
    s += state_line(who, info.state);
}

bool mux_attached(LacpMuxState mux)
{
    return mux == LacpMuxState::kAttached || mux == LacpMuxState::kCollecting
           || lacp_mux_distributing(mux);
}

/* The name of member 'id' of 's', or "#<id>" if 's' has no such member. */
std::string member_name(const LacpStatus &s, LacpMemberId id)
{
    for (const LacpMemberStatus &m : s.members) {
        if (m.id == id) {
            return m.settings.name;
        }
    }
    return fmt::format("#{}", id);
}

std::string aggregator_text(uint32_t id)
{
    return id ? std::to_string(id) : "none";
}

void append_show_ovs_part(std::string &s, const LacpStatus &st, const std::string &port_name)
{
    const LacpSettings &c = st.settings;
    auto out = std::back_inserter(s);

    fmt::format_to(out, "---- {} ----\n", port_name);
    fmt::format_to(out, "  status: {}{}\n", c.active ? "active" : "passive",
                   st.negotiated ? " negotiated" : "");
    fmt::format_to(out, "  sys_id: {}\n", c.system_id.to_string());
    fmt::format_to(out, "  sys_priority: {}\n", c.system_priority);
    fmt::format_to(out, "  aggregation key: {}\n", aggregation_key_text(st));
    fmt::format_to(out, "  lacp_time: {}\n", c.fast ? "fast" : "slow");

    for (const LacpMemberStatus *m : members_by_name(st)) {
        fmt::format_to(out, "\nmember: {}: {} {}\n", m->settings.name,
                       lacp_rx_state_to_string(m->rx),
                       mux_attached(m->mux) ? "attached" : "detached");
        fmt::format_to(out, "  port_id: {}\n", m->settings.port);
        fmt::format_to(out, "  port_priority: {}\n", m->settings.port_priority);
        fmt::format_to(out, "  may_enable: {}\n", bool_text(m->may_enable));
        s += '\n';
        append_port_info(s, "actor", m->actor);
        s += '\n';
        append_port_info(s, "partner", m->partner);
    }
}

void append_show_braid_part(std::string &s, const LacpStatus &st)
{
    auto out = std::back_inserter(s);

    fmt::format_to(out, "braid: ad-select {}, fallback-ab {}, active aggregator {}\n",
                   lacp_ad_select_to_string(st.settings.ad_select),
                   bool_text(st.settings.fallback_ab), aggregator_text(st.active_aggregator));
    fmt::format_to(out, "braid: mux control {}\n",
                   st.settings.independent_control ? "independent" : "coupled");

    for (const LacpAggregatorStatus &a : st.aggregators) {
        std::vector<std::string> names;
        for (LacpMemberId id : a.members) {
            names.push_back(member_name(st, id));
        }
        std::sort(names.begin(), names.end());
        std::string members;
        for (const std::string &name : names) {
            members += members.empty() ? name : ", " + name;
        }
        fmt::format_to(out,
                       "braid: aggregator {}: active {}, individual {}, actor key {}, "
                       "partner system priority {}, partner system {}, partner key {}, "
                       "members {}\n",
                       a.id, bool_text(a.active), bool_text(a.individual), a.actor_key,
                       a.partner_system_priority, a.partner_system.to_string(), a.partner_key,
                       members.empty() ? "none" : members);
    }

    for (const LacpMemberStatus *m : members_by_name(st)) {
        fmt::format_to(out,
                       "braid: member {}: link {}, rx {}, mux {}, periodic {}, tx {}, "
                       "selection {}, aggregator {}, actor churn {}, partner churn {}\n",
                       m->settings.name, m->link_up ? "up" : "down",
                       lacp_rx_state_to_string(m->rx), lacp_mux_state_to_string(m->mux),
                       lacp_periodic_state_to_string(m->periodic),
                       lacp_tx_state_to_string(m->tx), lacp_selected_to_string(m->selected),
                       aggregator_text(m->aggregator),
                       lacp_churn_state_to_string(m->actor_churn),
                       lacp_churn_state_to_string(m->partner_churn));
    }
}

void append_stats_ovs_part(std::string &s, const LacpStatus &st, const std::string &port_name)
{
    auto out = std::back_inserter(s);

    fmt::format_to(out, "---- {} statistics ----\n", port_name);
    for (const LacpMemberStatus *m : members_by_name(st)) {
        const LacpMemberStats &c = m->stats;
        fmt::format_to(out, "\nmember: {}:\n", m->settings.name);
        fmt::format_to(out, "  TX PDUs: {}\n", c.tx_pdus);
        fmt::format_to(out, "  RX PDUs: {}\n", c.rx_frames);
        fmt::format_to(out, "  RX Bad PDUs: {}\n", c.rx_bad);
        fmt::format_to(out, "  RX Marker Request PDUs: {}\n", c.rx_markers);
        fmt::format_to(out, "  Link Expired: {}\n", c.expired);
        fmt::format_to(out, "  Link Defaulted: {}\n", c.defaulted);
        fmt::format_to(out, "  Carrier Status Changed: {}\n", c.link_changes);
    }
}

void append_stats_braid_part(std::string &s, const LacpStatus &st)
{
    auto out = std::back_inserter(s);

    fmt::format_to(out, "braid: rx frames for unknown members {}\n", st.rx_unknown_member);
    for (const LacpMemberStatus *m : members_by_name(st)) {
        const LacpMemberStats &c = m->stats;
        fmt::format_to(out,
                       "braid: member {}: rx lacpdus {}, rx marker responses {}, "
                       "tx marker responses {}, marker responses dropped {}, rx loopback {}, "
                       "rx link down {}, rx lacp disabled {}, state changes {}, "
                       "actor churns {}, partner churns {}\n",
                       m->settings.name, c.rx_pdus, c.rx_marker_responses,
                       c.tx_marker_responses, c.marker_responses_dropped, c.rx_loopback,
                       c.rx_link_down, c.rx_lacp_disabled, c.state_changes, c.actor_churns,
                       c.partner_churns);

        fmt::format_to(out, "braid: member {}: rx bad by reason:", m->settings.name);
        bool any = false;
        for (size_t i = 0; i < c.rx_bad_by_reason.size(); i++) {
            auto reason = static_cast<SlowError>(i);
            if (reason == SlowError::kNone || !c.rx_bad_by_reason[i]) {
                continue;
            }
            fmt::format_to(out, "{} {} ({})", any ? "," : "", slow_error_to_string(reason),
                           c.rx_bad_by_reason[i]);
            any = true;
        }
        s += any ? "\n" : " none\n";
    }
}

}  // namespace

std::string lacp_show_text(const LacpStatus &s, const std::string &port_name)
{
    std::string text;
    append_show_ovs_part(text, s, port_name);
    text += '\n';
    append_show_braid_part(text, s);
    return text;
}

std::string lacp_show_stats_text(const LacpStatus &s, const std::string &port_name)
{
    std::string text;
    append_stats_ovs_part(text, s, port_name);
    text += '\n';
    append_stats_braid_part(text, s);
    return text;
}

}  // namespace braid::ofproto
