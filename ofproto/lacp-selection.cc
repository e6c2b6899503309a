/* LACP: aggregator selection (802.1AX-2014 §6.4.14) and the choice of the
 * active aggregator (ad_select).
 *
 * Every member brings one aggregator, named by the member's port number, as
 * in 802.1AX where each Aggregation Port has an Aggregator of its own.  A
 * member whose partner is known joins the aggregator of the members that
 * share its LAG (actor key, partner system priority, system id and key), or
 * else takes a free aggregator: its own if nobody uses it, otherwise the
 * free one with the lowest number.  A member stays on its aggregator for as
 * long as its LAG is unchanged, so when one member's partner changes, that
 * member alone leaves (through the Mux machine, which detaches it first)
 * and the others keep their aggregator and their traffic.
 *
 * Of the aggregators in use, one is active (chosen by LacpSettings::
 * ad_select): its members are SELECTED and may attach; the members of the
 * others are STANDBY and wait, detached from traffic, until theirs becomes
 * the active one. */
#include <config.h>

#include <tuple>

#include "lib/vlog.h"
#include "ofproto/lacp.h"

BRAID_LOG_MODULE(lacp_selection);

namespace braid::ofproto {

Lacp::LagId Lacp::lag_id(const Member &m) const noexcept
{
    LagId lag;
    lag.actor_key = m.actor.key;
    lag.partner_system_priority = m.partner.system_priority;
    lag.partner_system = m.partner.system;
    lag.partner_key = m.partner.key;
    lag.individual = !(m.actor.state & kLacpStateAggregation)
                     || !(m.partner.state & kLacpStateAggregation);
    if (lag.individual) {
        lag.port = m.actor.port;
    }
    return lag;
}

/* Whether 'm' may be selected for an aggregator: its link is up, LACP runs
 * on it and it has heard from a partner whose information has not been
 * defaulted. */
bool Lacp::eligible(const Member &m) const noexcept
{
    return m.link_up && m.cfg.lacp_enabled && m.partner_known
           && (m.rx == LacpRxState::kCurrent || m.rx == LacpRxState::kExpired);
}

/* An aggregator number for 'm', which has none: its own port number if no
 * aggregator uses it, otherwise the lowest port number of a member that no
 * aggregator uses.  There always is one, since 'm' itself holds no
 * aggregator, so fewer aggregators than members are in use. */
uint32_t Lacp::free_aggregator(const Member &m) const
{
    if (!aggregators_.count(m.cfg.port)) {
        return m.cfg.port;
    }
    uint32_t best = 0;
    for (const auto &[id, other] : members_) {
        uint32_t candidate = other.cfg.port;
        if (!aggregators_.count(candidate) && (!best || candidate < best)) {
            best = candidate;
        }
    }
    return best;
}

namespace {

struct Candidate {
    uint32_t id = 0;
    size_t members = 0;
    uint16_t partner_system_priority = 0;
    EthAddr partner_system;
    bool individual = false;
};

/* Compares the partners of 'a' and 'b' as 802.1AX compares systems: lower
 * priority, then lower system id, is better.  Negative when 'a''s is
 * better. */
int compare_partners(const Candidate &a, const Candidate &b)
{
    auto ka = std::tie(a.partner_system_priority, a.partner_system);
    auto kb = std::tie(b.partner_system_priority, b.partner_system);
    return ka < kb ? -1 : kb < ka ? 1 : 0;
}

/* Whether 'a' is a better active aggregator than 'b' under 'policy', where
 * 'current' is the active aggregator now. */
bool better(const Candidate &a, const Candidate &b, LacpAdSelect policy, uint32_t current)
{
    if (a.individual != b.individual) {
        return !a.individual;
    }
    if (policy == LacpAdSelect::kPrio) {
        if (int c = compare_partners(a, b)) {
            return c < 0;
        }
    }
    if (a.members != b.members) {
        return a.members > b.members;
    }
    if (a.id == current || b.id == current) {
        return a.id == current;
    }
    if (int c = compare_partners(a, b)) {
        return c < 0;
    }
    return a.id < b.id;
}

}  // namespace

/* The aggregator that should be active now, or 0 if no aggregator has a
 * member. */
uint32_t Lacp::choose_active() const
{
    std::vector<Candidate> candidates;
    for (const auto &[agg_id, lag] : aggregators_) {
        Candidate c;
        c.id = agg_id;
        c.partner_system_priority = lag.partner_system_priority;
        c.partner_system = lag.partner_system;
        c.individual = lag.individual;
        for (const auto &[id, m] : members_) {
            if (m.aggregator == agg_id && m.selected != LacpSelected::kUnselected) {
                c.members++;
            }
        }
        if (c.members) {
            candidates.push_back(c);
        }
    }
    const Candidate *best = nullptr;
    for (const Candidate &c : candidates) {
        if (settings_.ad_select == LacpAdSelect::kStable && c.id == active_aggregator_) {
            return c.id;
        }
        if (!best || better(c, *best, settings_.ad_select, active_aggregator_)) {
            best = &c;
        }
    }
    return best ? best->id : 0;
}

/* Runs selection once; returns whether anything changed. */
bool Lacp::select()
{
    bool changed = false;

    /* Members that no longer belong on their aggregator are unselected; the
     * Mux machine then detaches them. */
    for (auto &[id, m] : members_) {
        if (m.selected == LacpSelected::kUnselected) {
            continue;
        }
        auto agg = aggregators_.find(m.aggregator);
        if (!eligible(m) || agg == aggregators_.end() || agg->second != lag_id(m)) {
            m.selected = LacpSelected::kUnselected;
            changed = true;
        }
    }

    /* Unselected members that the Mux machine has detached leave their
     * aggregator, and aggregators without members are freed. */
    for (auto &[id, m] : members_) {
        if (m.selected == LacpSelected::kUnselected && m.mux == LacpMuxState::kDetached
            && m.aggregator) {
            VLOG_DBG("lacp {}: member {}: leaves aggregator {}", settings_.name, m.cfg.name,
                     m.aggregator);
            m.aggregator = 0;
            changed = true;
        }
    }
    for (auto it = aggregators_.begin(); it != aggregators_.end();) {
        bool used = false;
        for (const auto &[id, m] : members_) {
            used |= m.aggregator == it->first;
        }
        it = used ? std::next(it) : aggregators_.erase(it);
    }

    /* Eligible detached members join the aggregator of their LAG, or take a
     * free one.  They start as STANDBY; the active aggregator decides. */
    for (auto &[id, m] : members_) {
        if (m.aggregator || m.mux != LacpMuxState::kDetached || !eligible(m)) {
            continue;
        }
        LagId lag = lag_id(m);
        uint32_t agg = 0;
        if (!lag.individual) {
            for (const auto &[agg_id, agg_lag] : aggregators_) {
                if (agg_lag == lag) {
                    agg = agg_id;
                    break;
                }
            }
        }
        if (!agg) {
            agg = free_aggregator(m);
            aggregators_[agg] = lag;
        }
        m.aggregator = agg;
        m.selected = LacpSelected::kStandby;
        changed = true;
        VLOG_DBG("lacp {}: member {}: joins aggregator {} (partner {}, key {})",
                 settings_.name, m.cfg.name, agg, m.partner.system.to_string(),
                 m.partner.key);
    }

    uint32_t active = choose_active();
    if (active != active_aggregator_) {
        VLOG_INFO("lacp {}: active aggregator {} -> {} (ad_select {})", settings_.name,
                  active_aggregator_, active, lacp_ad_select_to_string(settings_.ad_select));
        active_aggregator_ = active;
        changed = true;
    }
    for (auto &[id, m] : members_) {
        if (m.selected == LacpSelected::kUnselected) {
            continue;
        }
        LacpSelected want = m.aggregator == active ? LacpSelected::kSelected
                                                   : LacpSelected::kStandby;
        if (m.selected != want) {
            m.selected = want;
            changed = true;
        }
    }
    return changed;
}

}  // namespace braid::ofproto
