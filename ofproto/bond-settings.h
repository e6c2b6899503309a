/* A bond's configuration: the Port and Interface columns and other_config
 * keys of BRIEF §3, parsed and checked into one plain BondConfig.
 *
 * parse_bond_config() never guesses: a value it cannot use makes it fail
 * with a sentence naming the key and the value, and the caller keeps the
 * bond's previous working configuration.  Defaults follow Open vSwitch
 * where OVS has the key and the Linux bonding driver otherwise:
 *
 *   bond-mode (or Port.bond_mode)   active-backup
 *   bond-xmit-hash-policy           layer2
 *   bond-packets-per-member         1 (0 = a random member per packet)
 *   bond-detect-mode                carrier (miimon if bond-miimon-interval
 *                                   is set, arp if bond-arp-interval is set,
 *                                   ns if bond-ns-ip6-targets are set; see
 *                                   "Detect mode" below)
 *   bond-miimon-interval            200 ms when miimon is used
 *   bond-arp-interval               1000 ms when the ARP or NS monitor is
 *                                   used
 *   bond-arp-ip-targets             none (IPv4, comma or space separated)
 *   bond-ns-ip6-targets             none (IPv6, comma or space separated)
 *   bond-rebalance-interval         10000 ms; 0 turns rebalancing off, 1-999
 *                                   become 1000
 *   bond-hash-basis                 0
 *   bond-primary                    none
 *   bond-primary-reselect           always
 *   bond-min-links                  0
 *   bond-arp-validate               none
 *   bond-arp-all-targets            any
 *   bond-arp-missed-max             2
 *   bond-num-peer-notif             1
 *   bond-peer-notif-delay           0 ms
 *   bond-resend-igmp                1
 *   bond-tlb-dynamic-lb             true
 *   bond-lp-interval                1 s
 *   all-members-active              false
 *   lacp-fallback-ab                false
 *   Port.bond_updelay/downdelay     0 ms (negative values become 0)
 *   Interface bond-member-prio      0
 *
 * Numbers are accepted where Linux accepts them (bond-mode 0-6, the hash
 * policy 0-5, bond-arp-validate 0-6, bond-primary-reselect 0-2,
 * bond-arp-all-targets 0-1).
 *
 * Detect mode.  An explicit bond-detect-mode wins.  Without one, the mode is
 * inferred in this order: both bond-arp-interval and bond-miimon-interval
 * above 0 is an error (Linux cannot run both monitors); bond-arp-interval
 * above 0 gives arp if there are IPv4 targets and ns if there are only IPv6
 * targets; bond-miimon-interval above 0 gives miimon; IPv4 targets alone
 * give arp and IPv6 targets alone give ns; otherwise carrier.  A value of 0
 * or no value for the interval of the monitor in use means its default
 * (200 ms for miimon, 1000 ms for arp and ns).  arp_interval is above 0
 * exactly when detect_mode is kArp or kNs, and 0 otherwise: an ARP interval
 * given with an explicit carrier or miimon detect mode is checked but not
 * used.  The ARP monitor (detect mode arp or ns) probes both target lists,
 * as Linux does.
 *
 * Targets.  Empty items between separators are skipped.  0.0.0.0/8,
 * 255.255.255.255, ::, ::1, IPv6 multicast and a target listed twice are
 * rejected, as Linux rejects them.
 *
 * An empty bond-primary means no primary. */
#ifndef BRAID_OFPROTO_BOND_SETTINGS_H
#define BRAID_OFPROTO_BOND_SETTINGS_H 1

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/byte-order.h"
#include "lib/packets.h"
#include "lib/xmit-hash.h"
#include "ofproto/ofproto.h"

namespace braid::ofproto {

/* Linux mode numbers: balance-rr 0, active-backup 1, balance-xor 2,
 * broadcast 3, 802.3ad 4, balance-tlb 5, balance-alb 6.  balance-slb and
 * balance-tcp are Open vSwitch's and have no number. */
enum class BondMode : uint8_t {
    kActiveBackup,
    kBalanceSlb,
    kBalanceTcp,
    kBalanceRr,
    kBalanceXor,
    kBroadcast,
    k8023ad,
    kBalanceTlb,
    kBalanceAlb,
};

const char *bond_mode_to_string(BondMode mode);
/* A name above or a Linux number ("0"-"6"); nullopt otherwise. */
std::optional<BondMode> bond_mode_from_string(const std::string &s);

enum class BondDetectMode : uint8_t { kCarrier, kMiimon, kArp, kNs };
const char *bond_detect_mode_to_string(BondDetectMode mode);

enum class PrimaryReselect : uint8_t { kAlways, kBetter, kFailure };
const char *primary_reselect_to_string(PrimaryReselect r);

/* bond-arp-validate, with the Linux numbers as values. */
enum class ArpValidate : uint8_t {
    kNone = 0,
    kActive = 1,
    kBackup = 2,
    kAll = 3,
    kFilter = 4,
    kFilterActive = 5,
    kFilterBackup = 6,
};
const char *arp_validate_to_string(ArpValidate v);

inline constexpr size_t kBondMaxArpTargets = 16;

struct BondConfig {
    BondMode mode = BondMode::kActiveBackup;
    XmitHashPolicy xmit_hash_policy = XmitHashPolicy::kLayer2;
    uint32_t packets_per_member = 1;
    BondDetectMode detect_mode = BondDetectMode::kCarrier;
    int64_t miimon_interval = 200;              /* ms, used with kMiimon. */
    int64_t updelay = 0;                        /* ms. */
    int64_t downdelay = 0;                      /* ms. */
    int64_t rebalance_interval = 10000;         /* ms; 0: off. */
    uint32_t hash_basis = 0;
    std::string primary;                        /* Member name, or empty. */
    PrimaryReselect primary_reselect = PrimaryReselect::kAlways;
    std::map<std::string, int64_t> member_prio; /* Interface bond-member-prio. */
    uint32_t min_links = 0;
    bool all_members_active = false;
    bool lacp_fallback_ab = false;
    std::string lacp;                           /* "active", "passive" or "off". */

    /* ARP and NS monitor. */
    int64_t arp_interval = 0;                   /* ms; >0 with kArp or kNs. */
    std::vector<be32> arp_targets;              /* Up to 16. */
    std::vector<In6Addr> ns_targets;            /* Up to 16. */
    ArpValidate arp_validate = ArpValidate::kNone;
    bool arp_all_targets = false;               /* false: "any", true: "all". */
    uint32_t arp_missed_max = 2;                /* 1-255. */

    /* Failover notifications. */
    uint32_t num_peer_notif = 1;                /* 0-255. */
    int64_t peer_notif_delay = 0;               /* ms. */
    uint32_t resend_igmp = 1;                   /* 0-255. */

    /* balance-tlb / balance-alb. */
    bool tlb_dynamic_lb = true;
    int64_t lp_interval = 1;                    /* s. */

    friend bool operator==(const BondConfig &, const BondConfig &) = default;
};

/* Fills '*config' from 'port' (its bond columns, other_config, and its
 * interfaces' other_config:bond-member-prio).  Returns true on success;
 * otherwise '*error' says which key had which bad value (for example
 * "bond-mode: unknown mode \"balance-foo\"") and '*config' is untouched.
 *
 * Errors: an unknown mode, hash policy, detect mode, reselect policy,
 * arp-validate or arp-all-targets value; a number that does not parse or is
 * out of range; a bond-primary that is not one of the port's interfaces;
 * more than 16 ARP or NS targets, or a target that is not an address; an
 * ARP or NS monitor (bond-detect-mode arp/ns, or bond-arp-interval > 0)
 * asked of a mode that cannot use it (balance-tcp, 802.3ad, balance-tlb,
 * balance-alb, as in Linux) or without targets; bond-arp-interval and
 * bond-miimon-interval both above 0 without an explicit bond-detect-mode;
 * lacp other than active/passive/off (empty means off). */
bool parse_bond_config(const PortSettings &port, BondConfig *config, std::string *error);

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_BOND_SETTINGS_H
