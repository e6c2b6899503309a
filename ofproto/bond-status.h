/* A snapshot of one bond's state, as the bond commands and the database
 * status show it.  Plain data: ofproto/bond fills it, ofproto/bond-show
 * turns it into text. */
#ifndef BRAID_OFPROTO_BOND_STATUS_H
#define BRAID_OFPROTO_BOND_STATUS_H 1

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/dp-bond.h"
#include "lib/packets.h"
#include "ofproto/bond-settings.h"
#include "ofproto/lacp.h"

namespace braid::ofproto {

struct BondMemberStatus {
    std::string name;
    int64_t ofport = -1;
    uint32_t dp_port = 0;
    EthAddr mac;                        /* The member device's own address. */
    bool enabled = false;               /* Carries traffic now. */
    bool may_enable = false;            /* Link monitor (and LACP) say up. */
    bool carrier = false;               /* The device's carrier. */
    bool admin_disabled = false;        /* bond/disable-member. */
    bool active = false;                /* The bond's active member. */
    bool primary = false;               /* Named by bond-primary. */
    int64_t prio = 0;                   /* bond-member-prio. */

    /* A pending updelay or downdelay: ms until it expires (may be <= 0 if
     * overdue), and which. */
    std::optional<int64_t> delay_remaining;
    bool delay_is_up = false;

    uint64_t link_failures = 0;         /* Times it went from enabled to not. */

    /* ARP/NS monitor (0 when not used). */
    uint32_t arp_missed = 0;            /* Intervals in a row without a valid reply. */

    /* balance-alb: the MAC that peers balanced onto this member learn. */
    std::optional<EthAddr> alb_mac;

    /* Transmit counters from the datapath (sums over the member's buckets
     * plus non-bucket modes), and the bucket loads: (bucket, EWMA bytes)
     * for the buckets assigned to it, heaviest first. */
    uint64_t tx_packets = 0;
    uint64_t tx_bytes = 0;
    std::vector<std::pair<uint32_t, uint64_t>> buckets;
};

struct BondStatus {
    std::string name;                   /* The port's name. */
    std::string bridge;
    uint32_t bond_id = 0;               /* The datapath's id for bond_output. */
    BondConfig config;                  /* The configuration in use. */

    /* The last configuration that was rejected, and why (empty when the
     * configuration in use is the one the database asks for). */
    std::string config_error;

    /* "off", "negotiated", or "configured" (LACP on but not negotiated). */
    std::string lacp_status = "off";

    std::optional<std::string> active;  /* Active member's name. */
    EthAddr active_mac;                 /* Its MAC, all-zero if none. */

    /* Balanced modes with rebalancing on: ms until the next rebalance. */
    std::optional<int64_t> next_rebalance;

    /* Whether the bond may send at all: enough members for bond-min-links,
     * and LACP negotiated where it is needed. */
    bool carrier_ok = false;

    uint64_t failovers = 0;             /* Active member changes. */
    std::array<uint64_t, size_t(dp::BondDrop::kCount)> drops{};

    std::vector<BondMemberStatus> members;  /* In configuration order. */

    /* The LACP side, when LACP runs, and each member's id in it (by
     * member name; members without one are missing). */
    std::optional<LacpStatus> lacp;
    std::vector<std::pair<std::string, LacpMemberId>> lacp_ids;
};

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_BOND_STATUS_H
