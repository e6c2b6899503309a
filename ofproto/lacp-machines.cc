/* LACP: the state machines of each member (802.1AX-2014 §6.4.12 to
 * §6.4.17) as transition tables.
 *
 * Every machine has a table that maps (state, event) to the next state, or
 * to nothing when the event does not move it.  The events of a machine are
 * conditions, listed in priority order.  To settle a machine, the first
 * event that holds and has a transition from the current state is taken,
 * the entry actions of the new state run, and this repeats until no event
 * applies.  One-shot events (BEGIN, a received LACPDU) count only until
 * they are taken.  Entering a state runs its entry actions even when the
 * machine was already in it (a LACPDU in CURRENT, for example).
 *
 * Where Braid departs from 802.1AX, on purpose:
 *
 *   - Periodic Transmission leaves NO_PERIODIC through PERIODIC_TX rather
 *     than FAST_PERIODIC, so a member sends a LACPDU as soon as its link
 *     comes up or its partner turns out to be active, instead of a period
 *     later.
 *   - The default (administrative) partner asks for the short timeout when
 *     lacp-time is fast (Lacp::partner_admin()), so a DEFAULTED member keeps
 *     sending every second.
 *   - A member whose partner information was never received, or has been
 *     defaulted, is not selected for any aggregator (Lacp::eligible()): it
 *     never attaches to the aggregator of an unknown partner, nor runs as an
 *     individual link.  Whether a defaulted member may carry traffic is the
 *     bond's decision (lacp-fallback-ab), through member_defaulted().
 *   - Churn detection restarts on BEGIN and when the link goes down (the
 *     edges), not for as long as the link stays down, so a dead link is
 *     counted as churned once. */
#include <config.h>

#include <array>
#include <optional>

#include "lib/packet-compose.h"
#include "lib/vlog.h"
#include "ofproto/lacp.h"

BRAID_LOG_MODULE(lacp_machines);

namespace braid::ofproto {

namespace {

/* ---- Tables ---------------------------------------------------------------------- */

/* A set of events: bit i for the event with value i. */
using EventSet = uint32_t;

template <typename Event>
constexpr EventSet event_bit(Event e)
{
    return EventSet(1) << unsigned(e);
}

template <typename State, size_t kStates, size_t kEvents>
using Table = std::array<std::array<std::optional<State>, kEvents>, kStates>;

/* The transition a machine in 'state' takes given the events 'events': the
 * event taken and the next state. */
template <typename State>
struct Step {
    size_t event;
    State next;
};

template <typename State, size_t kStates, size_t kEvents>
std::optional<Step<State>> next_step(const Table<State, kStates, kEvents> &table, State state,
                                     EventSet events)
{
    const auto &row = table[size_t(state)];
    for (size_t e = 0; e < kEvents; e++) {
        if (((events >> e) & 1) && row[e]) {
            return Step<State>{e, *row[e]};
        }
    }
    return std::nullopt;
}

/* The most transitions one settling takes, far more than the longest chain
 * in any table; a bound against looping forever. */
constexpr int kMaxSteps = 16;

/* An empty cell: the event does not move the machine from that state.  Rows
 * of every table are the states in the order of their enum, columns the
 * events in the order of theirs. */
constexpr std::nullopt_t kNo = std::nullopt;

/* ---- Receive --------------------------------------------------------------------- */

enum class RxEvent : uint8_t {
    kBegin,             /* One-shot. */
    kPortDisabled,      /* The link is down. */
    kLacpOff,           /* The link is up, LACP disabled on the member. */
    kLacpOn,            /* The link is up, LACP enabled. */
    kPdu,               /* One-shot: a LACPDU arrived. */
    kTimeout,           /* current_while expired. */
};

constexpr size_t kRxStates = size_t(LacpRxState::kCurrent) + 1;
constexpr size_t kRxEvents = size_t(RxEvent::kTimeout) + 1;
using RxTable = Table<LacpRxState, kRxStates, kRxEvents>;

constexpr RxTable make_rx_table()
{
    using enum LacpRxState;
    constexpr LacpRxState kInit = kInitialize, kDown = kPortDisabled, kOff = kLacpDisabled;
    return {{
        /*                BEGIN  PORT_DOWN LACP_OFF LACP_ON   PDU       TIMEOUT */
        /* INITIALIZE */ {{kInit, kDown,    kDown,   kDown,    kNo,      kNo}},
        /* PORT_DIS.  */ {{kInit, kNo,      kOff,    kExpired, kNo,      kNo}},
        /* EXPIRED    */ {{kInit, kDown,    kNo,     kNo,      kCurrent, kDefaulted}},
        /* LACP_DIS.  */ {{kInit, kDown,    kNo,     kNo,      kNo,      kNo}},
        /* DEFAULTED  */ {{kInit, kDown,    kNo,     kNo,      kCurrent, kNo}},
        /* CURRENT    */ {{kInit, kDown,    kNo,     kNo,      kCurrent, kExpired}},
    }};
}
constexpr RxTable kRxTable = make_rx_table();
static_assert(kRxTable.size() == kRxStates && kRxTable[0].size() == kRxEvents);

/* ---- Periodic Transmission ----------------------------------------------------- */

enum class PeriodicEvent : uint8_t {
    kDisabled,          /* Link down, LACP off, or neither side active. */
    kEnabled,           /* Not kDisabled. */
    kTimeout,           /* periodic_at reached. */
    kPartnerShort,      /* The partner asks for the short timeout. */
    kPartnerLong,       /* The partner asks for the long timeout. */
};

constexpr size_t kPeriodicStates = size_t(LacpPeriodicState::kPeriodicTx) + 1;
constexpr size_t kPeriodicEvents = size_t(PeriodicEvent::kPartnerLong) + 1;
using PeriodicTable = Table<LacpPeriodicState, kPeriodicStates, kPeriodicEvents>;

constexpr PeriodicTable make_periodic_table()
{
    using enum LacpPeriodicState;
    return {{
        /*                  DISABLED     ENABLED      TIMEOUT      SHORT          LONG */
        /* NO_PERIODIC */  {{kNo,        kPeriodicTx, kNo,         kNo,           kNo}},
        /* FAST        */  {{kNoPeriodic, kNo,        kPeriodicTx, kNo,           kSlowPeriodic}},
        /* SLOW        */  {{kNoPeriodic, kNo,        kPeriodicTx, kPeriodicTx,   kNo}},
        /* PERIODIC_TX */  {{kNoPeriodic, kNo,        kNo,         kFastPeriodic, kSlowPeriodic}},
    }};
}
constexpr PeriodicTable kPeriodicTable = make_periodic_table();
static_assert(kPeriodicTable.size() == kPeriodicStates
              && kPeriodicTable[0].size() == kPeriodicEvents);

/* ---- Mux (coupled and independent control) -------------------------------------- */

enum class MuxEvent : uint8_t {
    kBegin,             /* One-shot. */
    kUnselected,        /* Selected is UNSELECTED. */
    kStandby,           /* Selected is STANDBY. */
    kPartnerOutOfSync,  /* The partner does not report synchronization. */
    kReady,             /* SELECTED, and the aggregate wait of the aggregator is over. */
    kPartnerInSync,     /* SELECTED, and the partner reports synchronization. */
    kSelected,          /* Selected is SELECTED. */
    kPartnerCollecting, /* kPartnerInSync, and the partner reports collecting. */
    kPartnerNotCollecting,  /* The partner does not report collecting. */
};

constexpr size_t kMuxStates = size_t(LacpMuxState::kDistributing) + 1;
constexpr size_t kMuxEvents = size_t(MuxEvent::kPartnerNotCollecting) + 1;
using MuxTable = Table<LacpMuxState, kMuxStates, kMuxEvents>;

/* Coupled control (802.1AX-2014 Figure 6-21).  The rows of the states of
 * independent control only matter when the control changes at run time:
 * they lead back into this machine. */
constexpr MuxTable make_coupled_mux_table()
{
    using enum LacpMuxState;
    constexpr LacpMuxState kCD = kCollectingDistributing;
    return {{
        /*                BEGIN      UNSEL      STANDBY    OUT_SYNC   READY      IN_SYNC SELECTED P_COLL P_NOT_COLL */
        /* DETACHED  */  {{kDetached, kNo,       kWaiting,  kNo,       kNo,       kNo,    kWaiting, kNo,   kNo}},
        /* WAITING   */  {{kDetached, kDetached, kNo,       kNo,       kAttached, kNo,    kNo,      kNo,   kNo}},
        /* ATTACHED  */  {{kDetached, kDetached, kDetached, kNo,       kNo,       kCD,    kNo,      kNo,   kNo}},
        /* COLL_DIST */  {{kDetached, kAttached, kAttached, kAttached, kNo,       kNo,    kNo,      kNo,   kNo}},
        /* COLLECT   */  {{kDetached, kAttached, kAttached, kAttached, kNo,       kCD,    kNo,      kNo,   kNo}},
        /* DISTRIB   */  {{kDetached, kAttached, kAttached, kAttached, kNo,       kCD,    kNo,      kNo,   kNo}},
    }};
}
constexpr MuxTable kCoupledMuxTable = make_coupled_mux_table();
static_assert(kCoupledMuxTable.size() == kMuxStates && kCoupledMuxTable[0].size() == kMuxEvents);

/* Independent control (802.1AX-2014 Figure 6-22): collecting starts once
 * the partner is in sync, distributing once the partner collects too.
 * COLLECTING_DISTRIBUTING only occurs when the control changes at run
 * time. */
constexpr MuxTable make_independent_mux_table()
{
    using enum LacpMuxState;
    constexpr LacpMuxState kColl = kCollecting;
    constexpr LacpMuxState kDist = kDistributing;
    return {{
        /*                BEGIN      UNSEL      STANDBY    OUT_SYNC   READY      IN_SYNC SELECTED P_COLL P_NOT_COLL */
        /* DETACHED  */  {{kDetached, kNo,       kWaiting,  kNo,       kNo,       kNo,    kWaiting, kNo,   kNo}},
        /* WAITING   */  {{kDetached, kDetached, kNo,       kNo,       kAttached, kNo,    kNo,      kNo,   kNo}},
        /* ATTACHED  */  {{kDetached, kDetached, kDetached, kNo,       kNo,       kColl,  kNo,      kNo,   kNo}},
        /* COLL_DIST */  {{kDetached, kAttached, kAttached, kAttached, kNo,       kColl,  kNo,      kNo,   kNo}},
        /* COLLECT   */  {{kDetached, kAttached, kAttached, kAttached, kNo,       kNo,    kNo,      kDist, kNo}},
        /* DISTRIB   */  {{kDetached, kColl,     kColl,     kColl,     kNo,       kNo,    kNo,      kNo,   kColl}},
    }};
}
constexpr MuxTable kIndependentMuxTable = make_independent_mux_table();
static_assert(kIndependentMuxTable.size() == kMuxStates
              && kIndependentMuxTable[0].size() == kMuxEvents);

/* ---- Transmit ------------------------------------------------------------------- */

enum class TxEvent : uint8_t {
    kOff,               /* Link down or Periodic Transmission in NO_PERIODIC. */
    kOn,                /* Not kOff. */
    kSend,              /* kOn, NTT, and the rate limit allows a LACPDU. */
};

constexpr size_t kTxStates = size_t(LacpTxState::kTransmit) + 1;
constexpr size_t kTxEvents = size_t(TxEvent::kSend) + 1;
using TxTable = Table<LacpTxState, kTxStates, kTxEvents>;

constexpr TxTable make_tx_table()
{
    using enum LacpTxState;
    return {{
        /*                  OFF          ON       SEND */
        /* NO_TRANSMIT */  {{kNo,        kIdle,   kNo}},
        /* IDLE        */  {{kNoTransmit, kNo,     kTransmit}},
        /* TRANSMIT    */  {{kNoTransmit, kIdle,   kIdle}},
    }};
}
constexpr TxTable kTxTable = make_tx_table();
static_assert(kTxTable.size() == kTxStates && kTxTable[0].size() == kTxEvents);

/* ---- Churn Detection (actor and partner alike) ------------------------------------ */

enum class ChurnEvent : uint8_t {
    kBegin,             /* One-shot: BEGIN, or the link went down. */
    kInSync,            /* The side watched is in sync. */
    kOutOfSync,         /* It is not. */
    kTimeout,           /* The churn timer expired. */
};

constexpr size_t kChurnStates = size_t(LacpChurnState::kChurn) + 1;
constexpr size_t kChurnEvents = size_t(ChurnEvent::kTimeout) + 1;
using ChurnTable = Table<LacpChurnState, kChurnStates, kChurnEvents>;

constexpr ChurnTable make_churn_table()
{
    using enum LacpChurnState;
    return {{
        /*               BEGIN     IN_SYNC   OUT_SYNC  TIMEOUT */
        /* NO_CHURN */  {{kMonitor, kNo,      kMonitor, kNo}},
        /* MONITOR  */  {{kMonitor, kNoChurn, kNo,      kChurn}},
        /* CHURN    */  {{kMonitor, kNoChurn, kNo,      kNo}},
    }};
}
constexpr ChurnTable kChurnTable = make_churn_table();
static_assert(kChurnTable.size() == kChurnStates && kChurnTable[0].size() == kChurnEvents);

/* ---- Helpers -------------------------------------------------------------------- */

void set_bits(uint8_t &state, uint8_t bits, bool on)
{
    state = on ? uint8_t(state | bits) : uint8_t(state & ~bits);
}

/* Whether 'a' and 'b' name the same port of the same system in the same
 * aggregation: port, port priority, system, system priority, key and the
 * Aggregation bit (the comparison of 802.1AX's update_Selected). */
bool same_port(const LacpPortInfo &a, const LacpPortInfo &b)
{
    return a.port == b.port && a.port_priority == b.port_priority && a.system == b.system
           && a.system_priority == b.system_priority && a.key == b.key
           && (a.state & kLacpStateAggregation) == (b.state & kLacpStateAggregation);
}

/* Whether 'a' and 'b' agree on everything a partner must know of us: as
 * same_port(), plus the Activity, Timeout and Synchronization bits (the
 * comparison of 802.1AX's update_NTT). */
bool same_view(const LacpPortInfo &a, const LacpPortInfo &b)
{
    constexpr uint8_t kBits = kLacpStateActivity | kLacpStateTimeout
                              | kLacpStateSynchronization | kLacpStateAggregation;
    return same_port(a, b) && (a.state & kBits) == (b.state & kBits);
}

}  // namespace

/* ---- Shared actions --------------------------------------------------------------- */

void Lacp::record_default(Member &m)
{
    m.partner = partner_admin();
    m.partner_known = false;
    set_bits(m.actor.state, kLacpStateDefaulted, true);
}

/* Takes the partner's information from 'pdu'.  The partner counts as in
 * sync only if it says so, and it either has our information right or
 * reports its link as individual, and at least one side is active. */
void Lacp::record_pdu(Member &m, const LacpPdu &pdu)
{
    LacpPortInfo them = LacpPortInfo::from_wire(pdu.actor);
    LacpPortInfo their_view = LacpPortInfo::from_wire(pdu.partner);
    bool matched = same_port(their_view, m.actor) || !(them.state & kLacpStateAggregation);
    bool active = (them.state & kLacpStateActivity)
                  || ((m.actor.state & kLacpStateActivity)
                      && (their_view.state & kLacpStateActivity));
    bool in_sync = matched && active && (them.state & kLacpStateSynchronization);
    m.partner = them;
    set_bits(m.partner.state, kLacpStateSynchronization, in_sync);
    m.partner_known = true;
    set_bits(m.actor.state, kLacpStateDefaulted, false);
}

/* ---- BEGIN ------------------------------------------------------------------------ */

/* Puts every machine of 'm' in its initial state, as BEGIN does, through
 * the BEGIN (or, for Periodic Transmission and Transmit, the "off") column
 * of each table. */
void Lacp::begin(Member &m, int64_t now)
{
    m.begin = false;
    refresh_actor(m);
    set_bits(m.actor.state, kLacpStateSynchronization | kLacpStateCollecting
                                | kLacpStateDistributing | kLacpStateExpired, false);
    if (auto step = next_step(kRxTable, m.rx, event_bit(RxEvent::kBegin))) {
        enter_rx(m, step->next, now, nullptr);
    }
    if (auto step = next_step(kCoupledMuxTable, m.mux, event_bit(MuxEvent::kBegin))) {
        enter_mux(m, step->next, now);
    }
    if (auto step = next_step(kPeriodicTable, m.periodic,
                              event_bit(PeriodicEvent::kDisabled))) {
        m.periodic = step->next;
    }
    m.periodic_at = kLacpNever;
    if (auto step = next_step(kTxTable, m.tx, event_bit(TxEvent::kOff))) {
        m.tx = step->next;
    }
    m.ntt = false;
    run_churn(m, now, true);
}

/* ---- Receive ---------------------------------------------------------------------- */

void Lacp::enter_rx(Member &m, LacpRxState next, int64_t now, const LacpPdu *pdu)
{
    LacpRxState prev = m.rx;
    if (prev != next) {
        m.stats.state_changes++;
        VLOG_DBG("lacp {}: member {}: receive {} -> {}", settings_.name, m.cfg.name,
                 lacp_rx_state_to_string(prev), lacp_rx_state_to_string(next));
    }
    m.rx = next;
    switch (next) {
    case LacpRxState::kInitialize:
        m.selected = LacpSelected::kUnselected;
        record_default(m);
        set_bits(m.actor.state, kLacpStateExpired, false);
        m.current_while = kLacpNever;
        break;

    case LacpRxState::kPortDisabled:
        set_bits(m.partner.state, kLacpStateSynchronization, false);
        m.current_while = kLacpNever;
        break;

    case LacpRxState::kExpired:
        /* The partner keeps its place but is no longer in sync, and is asked
         * (through our Periodic machine) for fast PDUs for one last short
         * timeout. */
        set_bits(m.partner.state, kLacpStateSynchronization, false);
        set_bits(m.partner.state, kLacpStateTimeout, true);
        set_bits(m.actor.state, kLacpStateExpired, true);
        m.current_while = now + kLacpShortTimeoutMs;
        if (prev == LacpRxState::kCurrent) {
            m.stats.expired++;
            VLOG_INFO("lacp {}: member {}: partner information expired", settings_.name,
                      m.cfg.name);
        }
        break;

    case LacpRxState::kLacpDisabled:
        m.selected = LacpSelected::kUnselected;
        record_default(m);
        set_bits(m.partner.state, kLacpStateAggregation, false);
        set_bits(m.actor.state, kLacpStateExpired, false);
        m.current_while = kLacpNever;
        break;

    case LacpRxState::kDefaulted:
        if (!same_port(m.partner, partner_admin())) {
            m.selected = LacpSelected::kUnselected;
        }
        record_default(m);
        set_bits(m.actor.state, kLacpStateExpired, false);
        m.current_while = kLacpNever;
        if (prev == LacpRxState::kExpired) {
            m.stats.defaulted++;
            VLOG_INFO("lacp {}: member {}: no partner, information defaulted", settings_.name,
                      m.cfg.name);
        }
        break;

    case LacpRxState::kCurrent:
        if (pdu) {
            LacpPortInfo them = LacpPortInfo::from_wire(pdu->actor);
            if (!same_port(them, m.partner)) {
                m.selected = LacpSelected::kUnselected;
            }
            if (!same_view(LacpPortInfo::from_wire(pdu->partner), m.actor)) {
                m.ntt = true;
            }
            record_pdu(m, *pdu);
        }
        set_bits(m.actor.state, kLacpStateExpired, false);
        m.current_while = now + ((m.actor.state & kLacpStateTimeout) ? kLacpShortTimeoutMs
                                                                      : kLacpLongTimeoutMs);
        break;
    }
}

bool Lacp::run_rx(Member &m, int64_t now, const LacpPdu *pdu)
{
    bool changed = false;
    for (int i = 0; i < kMaxSteps; i++) {
        EventSet events = 0;
        if (!m.link_up) {
            events |= event_bit(RxEvent::kPortDisabled);
        } else if (!m.cfg.lacp_enabled) {
            events |= event_bit(RxEvent::kLacpOff);
        } else {
            events |= event_bit(RxEvent::kLacpOn);
        }
        if (pdu) {
            events |= event_bit(RxEvent::kPdu);
        }
        if (m.current_while <= now) {
            events |= event_bit(RxEvent::kTimeout);
        }
        std::optional<Step<LacpRxState>> step = next_step(kRxTable, m.rx, events);
        if (!step) {
            break;
        }
        const LacpPdu *taken = step->event == size_t(RxEvent::kPdu) ? pdu : nullptr;
        if (taken) {
            pdu = nullptr;
        }
        changed |= step->next != m.rx;
        enter_rx(m, step->next, now, taken);
    }
    return changed;
}

/* ---- Periodic Transmission ----------------------------------------------------- */

bool Lacp::run_periodic(Member &m, int64_t now)
{
    bool changed = false;
    for (int i = 0; i < kMaxSteps; i++) {
        bool disabled = !m.link_up || !m.cfg.lacp_enabled
                        || (!(m.actor.state & kLacpStateActivity)
                            && !(m.partner.state & kLacpStateActivity));
        EventSet events = event_bit(disabled ? PeriodicEvent::kDisabled : PeriodicEvent::kEnabled);
        if (m.periodic_at <= now) {
            events |= event_bit(PeriodicEvent::kTimeout);
        }
        events |= event_bit((m.partner.state & kLacpStateTimeout) ? PeriodicEvent::kPartnerShort
                                                                  : PeriodicEvent::kPartnerLong);
        std::optional<Step<LacpPeriodicState>> step = next_step(kPeriodicTable, m.periodic,
                                                                events);
        if (!step) {
            break;
        }
        changed |= step->next != m.periodic;
        m.periodic = step->next;
        switch (m.periodic) {
        case LacpPeriodicState::kNoPeriodic:
            m.periodic_at = kLacpNever;
            break;
        case LacpPeriodicState::kFastPeriodic:
            m.periodic_at = now + kLacpFastPeriodicMs;
            break;
        case LacpPeriodicState::kSlowPeriodic:
            m.periodic_at = now + kLacpSlowPeriodicMs;
            break;
        case LacpPeriodicState::kPeriodicTx:
            m.periodic_at = kLacpNever;
            m.ntt = true;
            break;
        }
    }
    return changed;
}

/* ---- Mux ------------------------------------------------------------------------- */

/* Whether every member waiting to attach to 'aggregator' has waited long
 * enough (802.1AX's Ready). */
bool Lacp::aggregator_ready(uint32_t aggregator, int64_t now) const noexcept
{
    for (const auto &[id, m] : members_) {
        if (m.aggregator == aggregator && m.mux == LacpMuxState::kWaiting
            && m.selected != LacpSelected::kUnselected && !m.ready_n && m.wait_while > now) {
            return false;
        }
    }
    return true;
}

void Lacp::enter_mux(Member &m, LacpMuxState next, int64_t now)
{
    LacpMuxState prev = m.mux;
    if (prev != next) {
        m.stats.state_changes++;
        VLOG_DBG("lacp {}: member {}: mux {} -> {}", settings_.name, m.cfg.name,
                 lacp_mux_state_to_string(prev), lacp_mux_state_to_string(next));
    }
    m.mux = next;
    switch (next) {
    case LacpMuxState::kDetached:
        set_bits(m.actor.state, kLacpStateSynchronization | kLacpStateCollecting
                                    | kLacpStateDistributing, false);
        m.wait_while = kLacpNever;
        m.ready_n = false;
        m.ntt = true;
        break;

    case LacpMuxState::kWaiting: {
        /* Beyond 802.1AX: the aggregate wait lets the members bound for an
         * aggregator attach together.  An aggregator with members attached
         * already is formed, so a member that joins it (a repaired link)
         * has nobody to wait for. */
        bool formed = false;
        for (const auto &[id, other] : members_) {
            formed |= &other != &m && other.aggregator == m.aggregator
                      && other.mux != LacpMuxState::kDetached
                      && other.mux != LacpMuxState::kWaiting;
        }
        m.wait_while = formed ? now : now + kLacpAggregateWaitMs;
        m.ready_n = false;
        break;
    }

    case LacpMuxState::kAttached:
        set_bits(m.actor.state, kLacpStateSynchronization, true);
        set_bits(m.actor.state, kLacpStateCollecting | kLacpStateDistributing, false);
        m.wait_while = kLacpNever;
        m.ntt = true;
        if (lacp_mux_distributing(prev)) {
            VLOG_INFO("lacp {}: member {}: stops collecting and distributing",
                      settings_.name, m.cfg.name);
        }
        break;

    case LacpMuxState::kCollectingDistributing:
    case LacpMuxState::kDistributing:
        set_bits(m.actor.state, kLacpStateCollecting | kLacpStateDistributing, true);
        m.ntt = true;
        VLOG_INFO("lacp {}: member {}: collecting and distributing on aggregator {}",
                  settings_.name, m.cfg.name, m.aggregator);
        break;

    case LacpMuxState::kCollecting:
        set_bits(m.actor.state, kLacpStateCollecting, true);
        set_bits(m.actor.state, kLacpStateDistributing, false);
        m.ntt = true;
        if (prev == LacpMuxState::kDistributing) {
            VLOG_INFO("lacp {}: member {}: stops distributing", settings_.name, m.cfg.name);
        }
        break;
    }
}

bool Lacp::run_mux(Member &m, int64_t now)
{
    bool changed = false;
    for (int i = 0; i < kMaxSteps; i++) {
        if (m.mux == LacpMuxState::kWaiting && m.wait_while <= now) {
            m.ready_n = true;
            m.wait_while = kLacpNever;
        }
        bool selected = m.selected == LacpSelected::kSelected;
        bool partner_sync = m.partner.state & kLacpStateSynchronization;
        EventSet events = 0;
        if (m.selected == LacpSelected::kUnselected) {
            events |= event_bit(MuxEvent::kUnselected);
        } else if (m.selected == LacpSelected::kStandby) {
            events |= event_bit(MuxEvent::kStandby);
        } else {
            events |= event_bit(MuxEvent::kSelected);
        }
        if (!partner_sync) {
            events |= event_bit(MuxEvent::kPartnerOutOfSync);
        }
        if (selected && aggregator_ready(m.aggregator, now)) {
            events |= event_bit(MuxEvent::kReady);
        }
        if (selected && partner_sync) {
            events |= event_bit(MuxEvent::kPartnerInSync);
        }
        bool partner_collecting = m.partner.state & kLacpStateCollecting;
        if (selected && partner_sync && partner_collecting) {
            events |= event_bit(MuxEvent::kPartnerCollecting);
        }
        if (!partner_collecting) {
            events |= event_bit(MuxEvent::kPartnerNotCollecting);
        }
        const MuxTable &table = settings_.independent_control ? kIndependentMuxTable
                                                              : kCoupledMuxTable;
        std::optional<Step<LacpMuxState>> step = next_step(table, m.mux, events);
        if (!step) {
            break;
        }
        changed |= step->next != m.mux;
        enter_mux(m, step->next, now);
    }
    return changed;
}

/* ---- Churn Detection ---------------------------------------------------------- */

namespace {

/* Settles one churn machine: 'state' and its timer 'at', watching 'in_sync';
 * 'churns' counts entries into CHURN. */
bool settle_churn(LacpChurnState &state, int64_t &at, bool in_sync, bool begin, int64_t now,
                  uint64_t &churns)
{
    bool changed = false;
    for (int i = 0; i < kMaxSteps; i++) {
        EventSet events = event_bit(in_sync ? ChurnEvent::kInSync : ChurnEvent::kOutOfSync);
        if (begin) {
            events |= event_bit(ChurnEvent::kBegin);
        }
        if (at <= now) {
            events |= event_bit(ChurnEvent::kTimeout);
        }
        std::optional<Step<LacpChurnState>> step = next_step(kChurnTable, state, events);
        if (!step) {
            break;
        }
        if (step->event == size_t(ChurnEvent::kBegin)) {
            begin = false;
        }
        changed |= step->next != state;
        state = step->next;
        switch (state) {
        case LacpChurnState::kNoChurn:
            at = kLacpNever;
            break;
        case LacpChurnState::kMonitor:
            at = now + kLacpChurnDetectionMs;
            break;
        case LacpChurnState::kChurn:
            at = kLacpNever;
            churns++;
            break;
        }
    }
    return changed;
}

}  // namespace

bool Lacp::run_churn(Member &m, int64_t now, bool begin)
{
    LacpChurnState actor_before = m.actor_churn;
    LacpChurnState partner_before = m.partner_churn;
    bool changed = settle_churn(m.actor_churn, m.actor_churn_at,
                                m.actor.state & kLacpStateSynchronization, begin, now,
                                m.stats.actor_churns);
    changed |= settle_churn(m.partner_churn, m.partner_churn_at,
                            m.partner.state & kLacpStateSynchronization, begin, now,
                            m.stats.partner_churns);
    if (m.actor_churn == LacpChurnState::kChurn && actor_before != LacpChurnState::kChurn) {
        VLOG_INFO("lacp {}: member {}: actor churn: not in sync for {} s", settings_.name,
                  m.cfg.name, kLacpChurnDetectionMs / 1000);
    }
    if (m.partner_churn == LacpChurnState::kChurn && partner_before != LacpChurnState::kChurn) {
        VLOG_INFO("lacp {}: member {}: partner churn: partner not in sync for {} s",
                  settings_.name, m.cfg.name, kLacpChurnDetectionMs / 1000);
    }
    return changed;
}

/* ---- Transmit ------------------------------------------------------------------- */

/* Settles the Transmit machine.  With 'out' null it never transmits (the
 * state still follows the Periodic machine); otherwise a LACPDU it sends is
 * appended to '*out'. */
void Lacp::run_tx(Member &m, int64_t now, TxFrames *out)
{
    for (int i = 0; i < kMaxSteps; i++) {
        bool off = !m.link_up || m.periodic == LacpPeriodicState::kNoPeriodic;
        EventSet events = event_bit(off ? TxEvent::kOff : TxEvent::kOn);
        if (!off && out && m.ntt && now >= tx_allowed_at(m)) {
            events |= event_bit(TxEvent::kSend);
        }
        std::optional<Step<LacpTxState>> step = next_step(kTxTable, m.tx, events);
        if (!step) {
            break;
        }
        m.tx = step->next;
        switch (m.tx) {
        case LacpTxState::kNoTransmit:
            m.ntt = false;
            break;
        case LacpTxState::kIdle:
            break;
        case LacpTxState::kTransmit:
            out->emplace_back(m.id, compose_lacpdu(m.cfg.mac, m.actor.to_wire(),
                                                   m.partner.to_wire(),
                                                   settings_.collector_max_delay));
            m.tx_times[m.tx_next] = now;
            m.tx_next = (m.tx_next + 1) % m.tx_times.size();
            m.stats.tx_pdus++;
            m.ntt = false;
            break;
        }
    }
}

}  // namespace braid::ofproto
