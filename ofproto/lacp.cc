/* LACP for one bond: configuration, members, received frames, the frames to
 * send, and the status snapshot.  The state machines are in
 * ofproto/lacp-machines.cc and aggregator selection in
 * ofproto/lacp-selection.cc; this file drives them. */
#include <config.h>

#include "ofproto/lacp.h"

#include <algorithm>
#include <climits>

#include "lib/coverage.h"
#include "lib/packet-compose.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(lacp);
BRAID_COVERAGE_DEFINE(lacp_rx_malformed);
BRAID_COVERAGE_DEFINE(lacp_rx_loopback);
BRAID_COVERAGE_DEFINE(lacp_rx_unknown_member);
BRAID_COVERAGE_DEFINE(lacp_marker_dropped);

namespace braid::ofproto {

namespace {

/* A bound on the rounds update() makes over all machines before it gives
 * up waiting for them to settle; every real chain of changes settles in a
 * few rounds. */
constexpr int kMaxRounds = 16;

/* The ring slot value that means "nothing sent yet". */
constexpr int64_t kNoTime = INT64_MIN;

}  // namespace

/* ---- Names ------------------------------------------------------------------ */

const char *lacp_ad_select_to_string(LacpAdSelect ad_select) noexcept
{
    switch (ad_select) {
    case LacpAdSelect::kStable: return "stable";
    case LacpAdSelect::kBandwidth: return "bandwidth";
    case LacpAdSelect::kCount: return "count";
    case LacpAdSelect::kPrio: return "prio";
    }
    return "unknown";
}

const char *lacp_rx_state_to_string(LacpRxState state) noexcept
{
    switch (state) {
    case LacpRxState::kInitialize: return "initialize";
    case LacpRxState::kPortDisabled: return "port_disabled";
    case LacpRxState::kExpired: return "expired";
    case LacpRxState::kLacpDisabled: return "lacp_disabled";
    case LacpRxState::kDefaulted: return "defaulted";
    case LacpRxState::kCurrent: return "current";
    }
    return "unknown";
}

const char *lacp_periodic_state_to_string(LacpPeriodicState state) noexcept
{
    switch (state) {
    case LacpPeriodicState::kNoPeriodic: return "no_periodic";
    case LacpPeriodicState::kFastPeriodic: return "fast_periodic";
    case LacpPeriodicState::kSlowPeriodic: return "slow_periodic";
    case LacpPeriodicState::kPeriodicTx: return "periodic_tx";
    }
    return "unknown";
}

const char *lacp_mux_state_to_string(LacpMuxState state) noexcept
{
    switch (state) {
    case LacpMuxState::kDetached: return "detached";
    case LacpMuxState::kWaiting: return "waiting";
    case LacpMuxState::kAttached: return "attached";
    case LacpMuxState::kCollectingDistributing: return "collecting_distributing";
    case LacpMuxState::kCollecting: return "collecting";
    case LacpMuxState::kDistributing: return "distributing";
    }
    return "unknown";
}

const char *lacp_tx_state_to_string(LacpTxState state) noexcept
{
    switch (state) {
    case LacpTxState::kNoTransmit: return "no_transmit";
    case LacpTxState::kIdle: return "idle";
    case LacpTxState::kTransmit: return "transmit";
    }
    return "unknown";
}

const char *lacp_churn_state_to_string(LacpChurnState state) noexcept
{
    switch (state) {
    case LacpChurnState::kNoChurn: return "none";
    case LacpChurnState::kMonitor: return "monitoring";
    case LacpChurnState::kChurn: return "churned";
    }
    return "unknown";
}

const char *lacp_selected_to_string(LacpSelected selected) noexcept
{
    switch (selected) {
    case LacpSelected::kUnselected: return "unselected";
    case LacpSelected::kSelected: return "selected";
    case LacpSelected::kStandby: return "standby";
    }
    return "unknown";
}

std::string lacp_state_to_string(uint8_t state)
{
    static constexpr const char *kNames[8] = {
        "activity", "timeout", "aggregation", "synchronized",
        "collecting", "distributing", "defaulted", "expired",
    };
    std::string s;
    for (unsigned bit = 0; bit < 8; bit++) {
        if (state & (1u << bit)) {
            if (!s.empty()) {
                s += ' ';
            }
            s += kNames[bit];
        }
    }
    return s;
}

const char *lacp_rx_result_to_string(LacpRxResult result) noexcept
{
    switch (result) {
#define X(NAME, TEXT)                                                          \
    case LacpRxResult::NAME:                                                   \
        return TEXT;
        BRAID_LACP_RX_RESULTS
#undef X
    }
    return "unknown";
}

LacpInfo LacpPortInfo::to_wire() const noexcept
{
    LacpInfo info{};
    info.system_priority = be16::from_host(system_priority);
    info.system = system;
    info.key = be16::from_host(key);
    info.port_priority = be16::from_host(port_priority);
    info.port = be16::from_host(port);
    info.state = state;
    return info;
}

LacpPortInfo LacpPortInfo::from_wire(const LacpInfo &info) noexcept
{
    LacpPortInfo p;
    p.system_priority = info.system_priority.value();
    p.system = info.system;
    p.key = info.key.value();
    p.port_priority = info.port_priority.value();
    p.port = info.port.value();
    p.state = info.state;
    return p;
}

/* ---- Bookkeeping -------------------------------------------------------------- */

Lacp::Member::Member()
{
    tx_times.fill(kNoTime);
    marker_times.fill(kNoTime);
}

Lacp::Member *Lacp::find(LacpMemberId id) noexcept
{
    auto it = members_.find(id);
    return it == members_.end() ? nullptr : &it->second;
}

const Lacp::Member *Lacp::find(LacpMemberId id) const noexcept
{
    auto it = members_.find(id);
    return it == members_.end() ? nullptr : &it->second;
}

uint16_t Lacp::actor_key(const Member &m) const noexcept
{
    if (m.cfg.key) {
        return m.cfg.key;
    }
    if (settings_.key) {
        return settings_.key;
    }
    uint16_t lowest = m.cfg.port;
    for (const auto &[id, other] : members_) {
        lowest = std::min(lowest, other.cfg.port);
    }
    return lowest;
}

/* The Partner information assumed when none has been received (802.1AX's
 * "administrative" partner values): all zero, an individual link with a
 * passive partner.  With lacp-time fast its Timeout bit asks for the short
 * timeout, so that the Periodic machine of a defaulted member keeps
 * transmitting every second (fast re-attach); with slow, a defaulted member
 * transmits every 30 s, as 802.1AX and Open vSwitch do. */
LacpPortInfo Lacp::partner_admin() const noexcept
{
    LacpPortInfo p;
    p.state = settings_.fast ? kLacpStateTimeout : 0;
    return p;
}

/* Fills in the configured parts of 'm''s actor information (system, key,
 * port, and the Activity, Timeout and Aggregation bits) and asks for a
 * transmission if any of them changed. */
void Lacp::refresh_actor(Member &m)
{
    LacpPortInfo a = m.actor;
    a.system_priority = settings_.system_priority;
    a.system = settings_.system_id;
    a.key = actor_key(m);
    a.port_priority = m.cfg.port_priority;
    a.port = m.cfg.port;
    auto set_bit = [&a](uint8_t bit, bool on) {
        a.state = on ? uint8_t(a.state | bit) : uint8_t(a.state & ~bit);
    };
    set_bit(kLacpStateActivity, settings_.active);
    set_bit(kLacpStateTimeout, settings_.fast);
    set_bit(kLacpStateAggregation, m.cfg.lacp_enabled);
    if (a != m.actor) {
        m.actor = a;
        m.ntt = true;
    }
}

void Lacp::refresh_actors()
{
    for (auto &[id, m] : members_) {
        refresh_actor(m);
    }
}

bool Lacp::is_loopback(const LacpPdu &pdu) const noexcept
{
    if (pdu.actor.system != settings_.system_id) {
        return false;
    }
    uint16_t port = pdu.actor.port.value();
    for (const auto &[id, m] : members_) {
        if (m.cfg.port == port) {
            return true;
        }
    }
    return false;
}

int64_t Lacp::tx_allowed_at(const Member &m) const noexcept
{
    /* The slot to be overwritten next holds the oldest of the last
     * kLacpMaxTxPerWindow transmissions. */
    int64_t oldest = m.tx_times[m.tx_next];
    return oldest == kNoTime ? kNoTime : oldest + kLacpTxWindowMs;
}

/* ---- Configuration ------------------------------------------------------------ */

bool Lacp::reconfigure(const LacpSettings &s, int64_t now, std::string *error)
{
    if (s.system_id.is_zero() || s.system_id.is_multicast()) {
        if (error) {
            *error = fmt::format("lacp {}: system id {} is not a unicast address", s.name,
                                 s.system_id.to_string());
        }
        return false;
    }
    if (configured_ && s == settings_) {
        return true;
    }
    bool fast_changed = configured_ && s.fast != settings_.fast;
    settings_ = s;
    configured_ = true;
    for (auto &[id, m] : members_) {
        refresh_actor(m);
        if (fast_changed && m.rx == LacpRxState::kDefaulted) {
            m.partner = partner_admin();
        }
    }
    update(now);
    return true;
}

bool Lacp::set_member(LacpMemberId id, const LacpMemberSettings &s, int64_t now,
                      std::string *error)
{
    auto fail = [error](std::string text) {
        if (error) {
            *error = std::move(text);
        }
        return false;
    };
    if (!configured_) {
        return fail(fmt::format("lacp: cannot add member {} before the bond is configured",
                                s.name));
    }
    if (s.port == 0) {
        return fail(fmt::format("lacp {}: member {}: port number 0 is not allowed",
                                settings_.name, s.name));
    }
    for (const auto &[other_id, other] : members_) {
        if (other_id != id && other.cfg.port == s.port) {
            return fail(fmt::format("lacp {}: member {}: port number {} is already used by {}",
                                    settings_.name, s.name, s.port, other.cfg.name));
        }
    }
    Member *m = find(id);
    if (!m) {
        m = &members_[id];
        m->id = id;
        m->cfg = s;
        VLOG_DBG("lacp {}: member {} added with port number {}", settings_.name, s.name,
                 s.port);
    } else if (m->cfg == s) {
        return true;
    } else {
        if (m->cfg.lacp_enabled != s.lacp_enabled) {
            m->begin = true;
        }
        m->cfg = s;
    }
    refresh_actors();
    update(now);
    return true;
}

void Lacp::remove_member(LacpMemberId id, int64_t now)
{
    auto it = members_.find(id);
    if (it == members_.end()) {
        return;
    }
    VLOG_DBG("lacp {}: member {} removed", settings_.name, it->second.cfg.name);
    members_.erase(it);
    refresh_actors();
    update(now);
}

bool Lacp::has_member(LacpMemberId id) const noexcept
{
    return find(id) != nullptr;
}

void Lacp::set_member_enabled(LacpMemberId id, bool link_up, int64_t now)
{
    Member *m = find(id);
    if (!m || m->link_up == link_up) {
        return;
    }
    m->link_up = link_up;
    m->stats.link_changes++;
    VLOG_DBG("lacp {}: member {}: link {}", settings_.name, m->cfg.name,
             link_up ? "up" : "down");
    if (!link_up) {
        m->marker_out.clear();
        run_churn(*m, now, true);
    }
    update(now);
}

/* ---- Received frames ------------------------------------------------------------ */

LacpRxResult Lacp::count_bad(Member &m, SlowError error)
{
    static vlog::RateLimit rl(5, 20);
    COVERAGE_INC(lacp_rx_malformed);
    m.stats.rx_bad++;
    m.stats.rx_bad_by_reason[size_t(error)]++;
    VLOG_WARN_RL(rl, "lacp {}: member {}: dropped a bad slow protocols frame: {}",
                 settings_.name, m.cfg.name, slow_error_to_string(error));
    return LacpRxResult::kMalformed;
}

/* Answers a Marker PDU, as the Marker Responder of 802.1AX §6.5 does: the
 * response echoes the requester's port, system and transaction id.  Marker
 * Responses are only counted, since Braid never sends Marker PDUs. */
LacpRxResult Lacp::handle_marker(Member &m, const MarkerPdu &marker, int64_t now)
{
    if (marker.tlv_type == kMarkerTlvResponse) {
        m.stats.rx_marker_responses++;
        return LacpRxResult::kMarkerResponse;
    }
    m.stats.rx_markers++;
    int64_t oldest = m.marker_times[m.marker_next];
    if ((oldest != kNoTime && now - oldest < kLacpTxWindowMs)
        || m.marker_out.size() >= kLacpMaxMarkerResponsesPerWindow) {
        static vlog::RateLimit rl(5, 20);
        COVERAGE_INC(lacp_marker_dropped);
        m.stats.marker_responses_dropped++;
        VLOG_WARN_RL(rl, "lacp {}: member {}: too many marker requests, one not answered",
                     settings_.name, m.cfg.name);
        return LacpRxResult::kMarkerDropped;
    }
    m.marker_times[m.marker_next] = now;
    m.marker_next = (m.marker_next + 1) % m.marker_times.size();
    m.marker_out.push_back(compose_marker_response(m.cfg.mac, marker));
    return LacpRxResult::kMarkerAnswered;
}

LacpRxResult Lacp::process_pdu(LacpMemberId id, std::span<const uint8_t> frame, int64_t now)
{
    Member *m = find(id);
    if (!m) {
        COVERAGE_INC(lacp_rx_unknown_member);
        rx_unknown_member_++;
        return LacpRxResult::kUnknownMember;
    }
    m->stats.rx_frames++;

    std::optional<uint8_t> subtype = slow_subtype(frame);
    if (subtype && *subtype == kSlowSubtypeMarker) {
        MarkerPdu marker;
        SlowError error = parse_marker(frame, marker);
        if (error != SlowError::kNone) {
            return count_bad(*m, error);
        }
        if (!m->link_up) {
            m->stats.rx_link_down++;
            return LacpRxResult::kLinkDown;
        }
        return handle_marker(*m, marker, now);
    }

    LacpPdu pdu;
    SlowError error = parse_lacpdu(frame, pdu);
    if (error != SlowError::kNone) {
        return count_bad(*m, error);
    }
    if (!m->link_up) {
        m->stats.rx_link_down++;
        return LacpRxResult::kLinkDown;
    }
    if (is_loopback(pdu)) {
        static vlog::RateLimit rl(5, 20);
        COVERAGE_INC(lacp_rx_loopback);
        m->stats.rx_loopback++;
        VLOG_WARN_RL(rl, "lacp {}: member {}: received a LACPDU from our own port {}: "
                     "the link loops back", settings_.name, m->cfg.name,
                     pdu.actor.port.value());
        return LacpRxResult::kLoopback;
    }
    update(now);
    if (m->rx == LacpRxState::kLacpDisabled) {
        m->stats.rx_lacp_disabled++;
        return LacpRxResult::kLacpDisabled;
    }
    m->stats.rx_pdus++;
    run_rx(*m, now, &pdu);
    update(now);
    return LacpRxResult::kLacpdu;
}

/* ---- Running the machines ------------------------------------------------------- */

/* Runs every machine of every member until nothing changes: the Receive
 * machines first, then selection, which reads what they recorded, then the
 * Mux machines, which follow selection, then the Periodic and churn
 * machines, and the Transmit machines without transmitting (take_tx()
 * transmits). */
void Lacp::update(int64_t now)
{
    for (auto &[id, m] : members_) {
        if (m.begin) {
            begin(m, now);
        }
    }
    for (int round = 0; round < kMaxRounds; round++) {
        bool changed = false;
        for (auto &[id, m] : members_) {
            changed |= run_rx(m, now, nullptr);
        }
        changed |= select();
        for (auto &[id, m] : members_) {
            changed |= run_mux(m, now);
        }
        for (auto &[id, m] : members_) {
            changed |= run_periodic(m, now);
            changed |= run_churn(m, now, false);
            run_tx(m, now, nullptr);
        }
        if (!changed) {
            return;
        }
    }
    static vlog::RateLimit rl(5, 20);
    VLOG_WARN_RL(rl, "lacp {}: state machines did not settle in {} rounds", settings_.name,
                 kMaxRounds);
}

void Lacp::run(int64_t now)
{
    update(now);
}

Lacp::TxFrames Lacp::take_tx(int64_t now)
{
    TxFrames out;
    update(now);
    for (auto &[id, m] : members_) {
        run_tx(m, now, &out);
        for (std::vector<uint8_t> &frame : m.marker_out) {
            m.stats.tx_marker_responses++;
            out.emplace_back(id, std::move(frame));
        }
        m.marker_out.clear();
    }
    return out;
}

int64_t Lacp::next_wake(int64_t now) const noexcept
{
    int64_t wake = kLacpNever;
    for (const auto &[id, m] : members_) {
        if (m.begin || !m.marker_out.empty()) {
            return now;
        }
        if (m.rx == LacpRxState::kCurrent || m.rx == LacpRxState::kExpired) {
            wake = std::min(wake, m.current_while);
        }
        if (m.periodic == LacpPeriodicState::kFastPeriodic
            || m.periodic == LacpPeriodicState::kSlowPeriodic) {
            wake = std::min(wake, m.periodic_at);
        }
        if (m.mux == LacpMuxState::kWaiting) {
            wake = std::min(wake, m.wait_while);
        }
        if (m.actor_churn == LacpChurnState::kMonitor) {
            wake = std::min(wake, m.actor_churn_at);
        }
        if (m.partner_churn == LacpChurnState::kMonitor) {
            wake = std::min(wake, m.partner_churn_at);
        }
        if (m.ntt && m.link_up && m.periodic != LacpPeriodicState::kNoPeriodic) {
            wake = std::min(wake, std::max(now, tx_allowed_at(m)));
        }
    }
    return wake == kLacpNever ? kLacpNever : std::max(wake, now);
}

/* ---- Queries ------------------------------------------------------------------- */

bool Lacp::member_may_enable(LacpMemberId id) const noexcept
{
    const Member *m = find(id);
    return m && lacp_mux_distributing(m->mux);
}

bool Lacp::member_collecting(LacpMemberId id) const noexcept
{
    const Member *m = find(id);
    return m && (lacp_mux_distributing(m->mux) || m->mux == LacpMuxState::kCollecting);
}

bool Lacp::member_defaulted(LacpMemberId id) const noexcept
{
    const Member *m = find(id);
    return m && m->rx == LacpRxState::kDefaulted;
}

bool Lacp::member_current(LacpMemberId id) const noexcept
{
    const Member *m = find(id);
    return m && m->rx == LacpRxState::kCurrent;
}

uint32_t Lacp::member_aggregator(LacpMemberId id) const noexcept
{
    const Member *m = find(id);
    return m ? m->aggregator : 0;
}

bool Lacp::negotiated() const noexcept
{
    for (const auto &[id, m] : members_) {
        if (lacp_mux_distributing(m.mux) && m.partner_known) {
            return true;
        }
    }
    return false;
}

LacpStatus Lacp::status() const
{
    LacpStatus st;
    st.settings = settings_;
    st.negotiated = negotiated();
    st.active_aggregator = active_aggregator_;
    st.rx_unknown_member = rx_unknown_member_;
    for (const auto &[agg_id, lag] : aggregators_) {
        LacpAggregatorStatus a;
        a.id = agg_id;
        a.active = agg_id == active_aggregator_;
        a.individual = lag.individual;
        a.actor_key = lag.actor_key;
        a.partner_system_priority = lag.partner_system_priority;
        a.partner_system = lag.partner_system;
        a.partner_key = lag.partner_key;
        for (const auto &[id, m] : members_) {
            if (m.aggregator == agg_id && m.selected != LacpSelected::kUnselected) {
                a.members.push_back(id);
            }
        }
        st.aggregators.push_back(std::move(a));
    }
    for (const auto &[id, m] : members_) {
        LacpMemberStatus ms;
        ms.id = id;
        ms.settings = m.cfg;
        ms.link_up = m.link_up;
        ms.may_enable = lacp_mux_distributing(m.mux);
        ms.rx = m.rx;
        ms.periodic = m.periodic;
        ms.mux = m.mux;
        ms.tx = m.tx;
        ms.actor_churn = m.actor_churn;
        ms.partner_churn = m.partner_churn;
        ms.selected = m.selected;
        ms.aggregator = m.aggregator;
        ms.actor = m.actor;
        ms.partner = m.partner;
        ms.stats = m.stats;
        st.members.push_back(std::move(ms));
    }
    return st;
}

}  // namespace braid::ofproto
