/* LACP, the Link Aggregation Control Protocol of IEEE 802.1AX, for one bond.
 *
 * A Lacp object is the LACP side of one bond (a "port group"): a set of
 * members, each an Aggregation Port with its own Receive, Periodic
 * Transmission, Mux, Transmit and churn detection machines, plus the
 * aggregator selection that groups the members by partner.  It is the
 * protocol alone: it does no I/O, starts no thread, reads no clock and has
 * no global state.  The caller hands it received frames, link changes and
 * the time (milliseconds on any monotonic clock, the Braid clock in the
 * daemon and plain numbers in tests), and takes from it the frames to send
 * and the per-member verdicts.  It is not thread-safe: the owner serializes
 * calls (the bond's mutex).
 *
 * Typical use, each time something happens or next_wake() comes due:
 *
 *     lacp.process_pdu(member, frame, now);      // for each received frame
 *     lacp.set_member_enabled(member, up, now);  // for each link change
 *     lacp.run(now);
 *     for (auto &[member, frame] : lacp.take_tx(now)) { send it }
 *     sleep until lacp.next_wake(now)
 *
 * Behaviour, in brief (the details are with each machine in
 * ofproto/lacp-machines.cc and ofproto/lacp-selection.cc):
 *
 *   - Timers: periodic transmission every 1 s (fast) or 30 s (slow), as the
 *     partner asks; the partner times out after 3 s or 90 s, as we ask;
 *     an expired partner is given 3 s more before it is defaulted; the
 *     aggregate wait is 2 s (see below); churn is declared after 60 s out
 *     of sync.
 *   - A member collects and distributes (member_may_enable()) only in the
 *     Mux state COLLECTING_DISTRIBUTING, which needs a selected, attached
 *     aggregator and a partner that reports itself in sync (coupled
 *     control).  A member that loses its partner stops at the first timeout
 *     (EXPIRED), as 802.1AX says, and is detached when it is DEFAULTED.
 *   - Members whose actor key and partner (system priority, system id, key)
 *     agree share an aggregator; other partners get other aggregators, and
 *     LacpSettings::ad_select picks the one that carries traffic.  A member
 *     whose partner changes moves to another aggregator alone: the members
 *     that still agree keep theirs.
 *   - Beyond 802.1AX, for faster recovery: a member transmits at once when
 *     its periodic transmission starts (link up, or the partner becomes
 *     active), and with lacp-time fast a defaulted member keeps transmitting
 *     every second, so a repaired link is back within 3 s.  A member that
 *     joins an aggregator whose other members are attached already skips
 *     the aggregate wait: nobody is left to wait for.
 *   - At most 3 LACPDUs per member in any 1 s window; at most 5 Marker
 *     Responses per member in any 1 s window (the Slow Protocols allow 10
 *     frames per second in all).
 *   - A LACPDU whose actor is our own system and one of our members' port
 *     numbers has looped back: it is counted and ignored.
 *   - Every frame is validated by lib/slow-protocols; a bad one is counted
 *     by reason and changes nothing else. */
#ifndef BRAID_OFPROTO_LACP_H
#define BRAID_OFPROTO_LACP_H 1

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lib/packets.h"
#include "lib/slow-protocols.h"

namespace braid::ofproto {

/* ---- Constants ------------------------------------------------------------ */

/* Periodic transmission intervals, ms. */
inline constexpr int64_t kLacpFastPeriodicMs = 1000;
inline constexpr int64_t kLacpSlowPeriodicMs = 30000;
/* How long a partner's information stays current without a LACPDU, ms:
 * three periods of the rate we ask for. */
inline constexpr int64_t kLacpShortTimeoutMs = 3 * kLacpFastPeriodicMs;
inline constexpr int64_t kLacpLongTimeoutMs = 3 * kLacpSlowPeriodicMs;
/* How long a member out of sync is watched before churn is declared, ms. */
inline constexpr int64_t kLacpChurnDetectionMs = 60000;
/* How long a member waits before attaching to its aggregator, so that the
 * other members bound for the same aggregator can join first, ms. */
inline constexpr int64_t kLacpAggregateWaitMs = 2000;
/* The most LACPDUs a member sends in any window of kLacpTxWindowMs. */
inline constexpr size_t kLacpMaxTxPerWindow = 3;
/* The most Marker Responses a member sends in any window of
 * kLacpTxWindowMs; requests beyond are dropped and counted. */
inline constexpr size_t kLacpMaxMarkerResponsesPerWindow = 5;
inline constexpr int64_t kLacpTxWindowMs = 1000;
/* "No timer": the value of next_wake() when nothing is pending. */
inline constexpr int64_t kLacpNever = INT64_MAX;

/* Defaults, as Open vSwitch has them. */
inline constexpr uint16_t kLacpDefaultSystemPriority = 65534;
inline constexpr uint16_t kLacpDefaultPortPriority = 65535;

/* ---- Configuration -------------------------------------------------------- */

/* How the active aggregator is chosen among aggregators with different
 * partners (Linux's ad_select, plus "prio").  Every policy prefers an
 * aggregator of aggregatable members to one of a partner that reports its
 * link as individual. */
enum class LacpAdSelect : uint8_t {
    /* Keep the active aggregator while it has any member with a partner;
     * otherwise choose as kCount does. */
    kStable,
    /* The most bandwidth.  Link speeds are not known here, so every member
     * counts the same and this is kCount. */
    kBandwidth,
    /* The most members; on a tie, the active aggregator stays, then the
     * better partner (as kPrio), then the lower aggregator id. */
    kCount,
    /* The partner with the best system priority, then the lowest system id
     * (as 802.1AX compares systems); on a tie, as kCount. */
    kPrio,
};

/* "stable", "bandwidth", "count", "prio". */
const char *lacp_ad_select_to_string(LacpAdSelect ad_select) noexcept;

/* The LACP configuration of a bond. */
struct LacpSettings {
    std::string name;                   /* For log messages: the bond's name. */
    bool active = true;                 /* lacp=active (true) or passive. */
    bool fast = false;                  /* lacp-time=fast: ask for 1 s PDUs. */
    EthAddr system_id;                  /* Must not be zero or multicast. */
    uint16_t system_priority = kLacpDefaultSystemPriority;
    /* The actor key of every member without a key of its own.  0 means the
     * lowest port number among the members (Open vSwitch uses its first
     * member's port number). */
    uint16_t key = 0;
    LacpAdSelect ad_select = LacpAdSelect::kStable;
    /* lacp-fallback-ab.  Only reported back: the bond decides what a
     * defaulted member may do (see member_defaulted()). */
    bool fallback_ab = false;
    /* The Collector Information TLV's CollectorMaxDelay, tens of us. */
    uint16_t collector_max_delay = 0;
    /* The Mux machine's independent control instead of coupled control
     * (see LacpMuxState). */
    bool independent_control = false;

    friend bool operator==(const LacpSettings &, const LacpSettings &) = default;
};

/* The identity a caller gives a member; any value, unique in a Lacp. */
using LacpMemberId = uint32_t;

/* The LACP configuration of one member. */
struct LacpMemberSettings {
    std::string name;                   /* For log messages and status. */
    EthAddr mac;                        /* Source address of its PDUs. */
    uint16_t port = 0;                  /* Port number: not 0, unique. */
    uint16_t port_priority = kLacpDefaultPortPriority;
    uint16_t key = 0;                   /* Not 0: overrides LacpSettings::key. */
    /* False keeps the member out of LACP (Receive state LACP_DISABLED), as
     * 802.1AX does for a half-duplex link: it never aggregates. */
    bool lacp_enabled = true;

    friend bool operator==(const LacpMemberSettings &, const LacpMemberSettings &) = default;
};

/* ---- State ------------------------------------------------------------------ */

/* The Receive machine (802.1AX-2014 §6.4.12). */
enum class LacpRxState : uint8_t {
    kInitialize,
    kPortDisabled,
    kExpired,
    kLacpDisabled,
    kDefaulted,
    kCurrent,
};

/* The Periodic Transmission machine (§6.4.13). */
enum class LacpPeriodicState : uint8_t {
    kNoPeriodic,
    kFastPeriodic,
    kSlowPeriodic,
    kPeriodicTx,
};

/* The Mux machine (§6.4.15).  With coupled control (the default) a member
 * goes from ATTACHED to COLLECTING_DISTRIBUTING once the partner is in
 * sync; with independent control it goes to COLLECTING first and on to
 * DISTRIBUTING once the partner reports that it collects. */
enum class LacpMuxState : uint8_t {
    kDetached,
    kWaiting,
    kAttached,
    kCollectingDistributing,    /* Coupled control only. */
    kCollecting,                /* Independent control only. */
    kDistributing,              /* Independent control only: collecting too. */
};

/* Whether a member in Mux state 'mux' distributes (and collects): the state
 * in which it carries frames. */
constexpr bool lacp_mux_distributing(LacpMuxState mux) noexcept
{
    return mux == LacpMuxState::kCollectingDistributing || mux == LacpMuxState::kDistributing;
}

/* The Transmit machine (§6.4.16): NO_TRANSMIT while periodic transmission
 * is off, IDLE while there is nothing it may send, TRANSMIT for the moment
 * a LACPDU goes out. */
enum class LacpTxState : uint8_t {
    kNoTransmit,
    kIdle,
    kTransmit,
};

/* The Actor and Partner Churn Detection machines (§6.4.17). */
enum class LacpChurnState : uint8_t {
    kNoChurn,
    kMonitor,
    kChurn,
};

/* A member's Selected variable (§6.4.8). */
enum class LacpSelected : uint8_t {
    kUnselected,
    kSelected,
    kStandby,                           /* Its aggregator is not the active one. */
};

/* Lowercase names, as lacp/show prints them: "current", "defaulted",
 * "collecting_distributing", "standby", ... */
const char *lacp_rx_state_to_string(LacpRxState state) noexcept;
const char *lacp_periodic_state_to_string(LacpPeriodicState state) noexcept;
const char *lacp_mux_state_to_string(LacpMuxState state) noexcept;
const char *lacp_tx_state_to_string(LacpTxState state) noexcept;
const char *lacp_churn_state_to_string(LacpChurnState state) noexcept;
const char *lacp_selected_to_string(LacpSelected selected) noexcept;

/* The names of the bits set in the port state 'state', in bit order,
 * separated by spaces, as Open vSwitch prints them: "activity timeout
 * aggregation synchronized collecting distributing defaulted expired". */
std::string lacp_state_to_string(uint8_t state);

/* Actor or Partner information in host order. */
struct LacpPortInfo {
    uint16_t system_priority = 0;
    EthAddr system;
    uint16_t key = 0;
    uint16_t port_priority = 0;
    uint16_t port = 0;
    uint8_t state = 0;                  /* kLacpState* bits. */

    /* The wire form (reserved octets zero), and back. */
    LacpInfo to_wire() const noexcept;
    static LacpPortInfo from_wire(const LacpInfo &info) noexcept;

    friend bool operator==(const LacpPortInfo &, const LacpPortInfo &) = default;
};

/* What process_pdu() did with a frame. */
#define BRAID_LACP_RX_RESULTS                                                  \
    X(kLacpdu, "lacpdu accepted")                                              \
    X(kMarkerAnswered, "marker request answered")                              \
    X(kMarkerDropped, "marker request over the response rate limit")           \
    X(kMarkerResponse, "marker response received")                             \
    X(kMalformed, "malformed pdu")                                             \
    X(kLoopback, "lacpdu looped back from our own system")                     \
    X(kLinkDown, "member link is down")                                        \
    X(kLacpDisabled, "lacp is disabled on the member")                         \
    X(kUnknownMember, "unknown member")

enum class LacpRxResult : uint8_t {
#define X(NAME, TEXT) NAME,
    BRAID_LACP_RX_RESULTS
#undef X
};

/* A short lowercase description of 'result'. */
const char *lacp_rx_result_to_string(LacpRxResult result) noexcept;

/* A member's counters.  Every frame given to process_pdu() is counted in
 * 'rx_frames' and in exactly one of rx_pdus, rx_markers,
 * rx_marker_responses, rx_bad, rx_loopback, rx_link_down and
 * rx_lacp_disabled. */
struct LacpMemberStats {
    uint64_t rx_frames = 0;
    uint64_t rx_pdus = 0;               /* LACPDUs acted upon. */
    uint64_t tx_pdus = 0;
    uint64_t rx_markers = 0;            /* Marker (Information) PDUs. */
    uint64_t tx_marker_responses = 0;
    uint64_t marker_responses_dropped = 0;  /* Requests over the rate limit. */
    uint64_t rx_marker_responses = 0;
    uint64_t rx_bad = 0;                /* Malformed frames, in all... */
    std::array<uint64_t, size_t(SlowError::kCount)> rx_bad_by_reason{};  /* ...and by reason. */
    uint64_t rx_loopback = 0;
    uint64_t rx_link_down = 0;          /* Valid PDUs dropped: link down. */
    uint64_t rx_lacp_disabled = 0;      /* LACPDUs dropped: LACP_DISABLED. */
    uint64_t state_changes = 0;         /* Receive and Mux state changes. */
    uint64_t expired = 0;               /* CURRENT to EXPIRED. */
    uint64_t defaulted = 0;             /* EXPIRED to DEFAULTED. */
    uint64_t actor_churns = 0;          /* Entries into ACTOR_CHURN. */
    uint64_t partner_churns = 0;        /* Entries into PARTNER_CHURN. */
    uint64_t link_changes = 0;          /* set_member_enabled() flips. */

    friend bool operator==(const LacpMemberStats &, const LacpMemberStats &) = default;
};

/* A snapshot of one member, for lacp/show and lacp/show-stats. */
struct LacpMemberStatus {
    LacpMemberId id = 0;
    LacpMemberSettings settings;
    bool link_up = false;
    bool may_enable = false;            /* Collecting and distributing. */
    LacpRxState rx = LacpRxState::kInitialize;
    LacpPeriodicState periodic = LacpPeriodicState::kNoPeriodic;
    LacpMuxState mux = LacpMuxState::kDetached;
    LacpTxState tx = LacpTxState::kNoTransmit;
    LacpChurnState actor_churn = LacpChurnState::kMonitor;
    LacpChurnState partner_churn = LacpChurnState::kMonitor;
    LacpSelected selected = LacpSelected::kUnselected;
    uint32_t aggregator = 0;            /* Its aggregator's id, 0 for none. */
    LacpPortInfo actor;                 /* What we advertise. */
    LacpPortInfo partner;               /* What we know of the partner. */
    LacpMemberStats stats;

    friend bool operator==(const LacpMemberStatus &, const LacpMemberStatus &) = default;
};

/* An aggregator in use: the LAG its members share. */
struct LacpAggregatorStatus {
    uint32_t id = 0;
    bool active = false;                /* Chosen by ad_select. */
    bool individual = false;            /* The partner reports its link individual. */
    uint16_t actor_key = 0;
    uint16_t partner_system_priority = 0;
    EthAddr partner_system;
    uint16_t partner_key = 0;
    std::vector<LacpMemberId> members;  /* Selected or standby, by id. */

    friend bool operator==(const LacpAggregatorStatus &, const LacpAggregatorStatus &) = default;
};

/* A snapshot of a whole Lacp. */
struct LacpStatus {
    LacpSettings settings;
    bool negotiated = false;
    uint32_t active_aggregator = 0;     /* 0 for none. */
    std::vector<LacpAggregatorStatus> aggregators;  /* By id. */
    std::vector<LacpMemberStatus> members;          /* By id. */
    uint64_t rx_unknown_member = 0;     /* Frames for members we lack. */

    friend bool operator==(const LacpStatus &, const LacpStatus &) = default;
};

/* ---- The protocol ------------------------------------------------------------ */

class Lacp {
public:
    /* Frames to send: (member, whole Ethernet frame without FCS). */
    using TxFrames = std::vector<std::pair<LacpMemberId, std::vector<uint8_t>>>;

    /* An unconfigured Lacp; reconfigure() must succeed before members can
     * be added. */
    Lacp() = default;

    /* Applies 's'.  Returns false with a sentence in '*error' (which may be
     * null), keeping the previous settings, if 's' cannot be used: a zero or
     * multicast system id.  Applying the settings in use changes nothing;
     * other changes take effect at once (a changed actor key moves the
     * members to new aggregators, changed advertised information is sent).
     * 'now' is the current time, ms. */
    bool reconfigure(const LacpSettings &s, int64_t now, std::string *error);

    /* The settings in use. */
    const LacpSettings &settings() const noexcept { return settings_; }

    /* Adds member 'id' with 's', or updates it if it exists, at time 'now'.
     * A new member starts with its link down.  Returns false with a
     * sentence in '*error' (which may be null) if the Lacp is not
     * configured, the port number is 0 or is another member's.  Updating a
     * member with the settings it has changes nothing. */
    bool set_member(LacpMemberId id, const LacpMemberSettings &s, int64_t now,
                    std::string *error);

    /* Removes member 'id', if it exists. */
    void remove_member(LacpMemberId id, int64_t now);

    /* Whether member 'id' exists. */
    bool has_member(LacpMemberId id) const noexcept;

    /* Tells whether member 'id''s link can carry frames (carrier, link
     * monitor and admin state together). */
    void set_member_enabled(LacpMemberId id, bool link_up, int64_t now);

    /* Handles 'frame', a whole received Ethernet frame without FCS, with
     * EtherType 0x8809, received on member 'id' at 'now'.  Any bytes are
     * safe: a frame that is not a valid LACPDU or Marker PDU is counted by
     * reason and changes nothing else. */
    LacpRxResult process_pdu(LacpMemberId id, std::span<const uint8_t> frame, int64_t now);

    /* Advances every machine to 'now': timers that are due fire. */
    void run(int64_t now);

    /* Runs the machines to 'now' and returns the frames to send now:
     * LACPDUs within the rate limit, and Marker Responses. */
    TxFrames take_tx(int64_t now);

    /* The earliest time at which run() or take_tx() has work, which is
     * never before 'now', or kLacpNever. */
    int64_t next_wake(int64_t now) const noexcept;

    /* Whether member 'id' may collect and distribute frames: it is in the
     * Mux state COLLECTING_DISTRIBUTING or DISTRIBUTING.  False for an
     * unknown member. */
    bool member_may_enable(LacpMemberId id) const noexcept;

    /* Whether member 'id' may collect frames: member_may_enable(), or the
     * Mux state COLLECTING of independent control. */
    bool member_collecting(LacpMemberId id) const noexcept;

    /* Whether member 'id''s partner information is defaulted (no partner
     * heard within the timeouts), for lacp-fallback-ab. */
    bool member_defaulted(LacpMemberId id) const noexcept;

    /* Whether member 'id' has a current partner (Receive state CURRENT),
     * for Interface:lacp_current. */
    bool member_current(LacpMemberId id) const noexcept;

    /* The id of member 'id''s aggregator, or 0 for none. */
    uint32_t member_aggregator(LacpMemberId id) const noexcept;

    /* Whether some member is collecting and distributing with a partner. */
    bool negotiated() const noexcept;

    /* The active aggregator's id, or 0 for none. */
    uint32_t active_aggregator() const noexcept { return active_aggregator_; }

    /* A snapshot of everything. */
    LacpStatus status() const;

private:
    /* The LAG a member belongs to: what members must agree on to share an
     * aggregator.  The port number is set only for an individual link,
     * which shares its aggregator with nobody. */
    struct LagId {
        uint16_t actor_key = 0;
        uint16_t partner_system_priority = 0;
        EthAddr partner_system;
        uint16_t partner_key = 0;
        bool individual = false;
        uint16_t port = 0;

        friend bool operator==(const LagId &, const LagId &) = default;
    };

    struct Member {
        LacpMemberId id = 0;
        LacpMemberSettings cfg;
        bool link_up = false;
        bool begin = true;              /* BEGIN is pending. */
        bool ntt = false;               /* Need To Transmit. */
        bool partner_known = false;     /* Partner information is from a PDU. */
        bool ready_n = false;           /* The aggregate wait is over. */
        LacpPortInfo actor;
        LacpPortInfo partner;

        LacpRxState rx = LacpRxState::kInitialize;
        LacpPeriodicState periodic = LacpPeriodicState::kNoPeriodic;
        LacpMuxState mux = LacpMuxState::kDetached;
        LacpTxState tx = LacpTxState::kNoTransmit;
        LacpChurnState actor_churn = LacpChurnState::kMonitor;
        LacpChurnState partner_churn = LacpChurnState::kMonitor;
        LacpSelected selected = LacpSelected::kUnselected;
        uint32_t aggregator = 0;

        /* Timers: absolute times, kLacpNever when stopped. */
        int64_t current_while = kLacpNever;
        int64_t periodic_at = kLacpNever;
        int64_t wait_while = kLacpNever;
        int64_t actor_churn_at = kLacpNever;
        int64_t partner_churn_at = kLacpNever;

        /* The times of the last LACPDUs and Marker Responses sent (rings;
         * INT64_MIN for none). */
        std::array<int64_t, kLacpMaxTxPerWindow> tx_times;
        size_t tx_next = 0;
        std::array<int64_t, kLacpMaxMarkerResponsesPerWindow> marker_times;
        size_t marker_next = 0;
        std::vector<std::vector<uint8_t>> marker_out;

        LacpMemberStats stats;

        Member();
    };

    /* ofproto/lacp.cc: bookkeeping. */
    Member *find(LacpMemberId id) noexcept;
    const Member *find(LacpMemberId id) const noexcept;
    uint16_t actor_key(const Member &m) const noexcept;
    LacpPortInfo partner_admin() const noexcept;
    void refresh_actor(Member &m);
    void refresh_actors();
    bool is_loopback(const LacpPdu &pdu) const noexcept;
    LacpRxResult count_bad(Member &m, SlowError error);
    LacpRxResult handle_marker(Member &m, const MarkerPdu &marker, int64_t now);
    void update(int64_t now);
    int64_t tx_allowed_at(const Member &m) const noexcept;

    /* ofproto/lacp-machines.cc: the per-member state machines.  Each run_*
     * function settles one machine and returns whether its state changed. */
    void begin(Member &m, int64_t now);
    bool run_rx(Member &m, int64_t now, const LacpPdu *pdu);
    bool run_periodic(Member &m, int64_t now);
    bool run_mux(Member &m, int64_t now);
    bool run_churn(Member &m, int64_t now, bool begin);
    void run_tx(Member &m, int64_t now, TxFrames *out);
    void enter_rx(Member &m, LacpRxState next, int64_t now, const LacpPdu *pdu);
    void enter_mux(Member &m, LacpMuxState next, int64_t now);
    void record_default(Member &m);
    void record_pdu(Member &m, const LacpPdu &pdu);
    bool aggregator_ready(uint32_t aggregator, int64_t now) const noexcept;

    /* ofproto/lacp-selection.cc: aggregator selection. */
    LagId lag_id(const Member &m) const noexcept;
    bool eligible(const Member &m) const noexcept;
    bool select();
    uint32_t free_aggregator(const Member &m) const;
    uint32_t choose_active() const;

    LacpSettings settings_;
    bool configured_ = false;
    std::map<LacpMemberId, Member> members_;
    std::map<uint32_t, LagId> aggregators_;     /* In use: id to LAG. */
    uint32_t active_aggregator_ = 0;
    uint64_t rx_unknown_member_ = 0;
};

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_LACP_H
