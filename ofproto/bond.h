/* One bond: the control side of a port with two or more interfaces.
 *
 * A Bond decides which members are enabled (link monitor, updelay and
 * downdelay, bond/enable-member and bond/disable-member), which member is
 * active (bond-primary, bond-primary-reselect, bond-member-prio, the
 * restored Port.bond_active_slave), and which member each of the 256
 * buckets sends on (fair share on every change of the enabled set, load
 * rebalancing every bond-rebalance-interval).  Every decision ends in a new
 * dp::BondTable published to the datapath (see lib/dp-bond.h), which swaps
 * it in atomically: no flow is revalidated for a failover.
 *
 * Configuration enters through reconfigure(), which is idempotent; a
 * configuration that parse_bond_config() rejects leaves the bond as it was
 * and is shown by status().
 *
 * Members are enabled as follows.  A member's link is up when its carrier
 * is up (bond-detect-mode carrier, read on every device change, or miimon,
 * polled every bond-miimon-interval).  A change of the link state starts
 * the updelay or downdelay; a change back cancels it.  When no member is
 * enabled, the first member whose link comes up is enabled at once.
 * bond/disable-member keeps a member disabled, whatever its link, until
 * bond/enable-member.
 *
 * After the active member changes or a member is lost, the bond sends a
 * learning packet (RARP) for every MAC the bridge learned on another port,
 * on the member that MAC now uses, tagged as the bond port's VLAN
 * configuration says; these go out at most once per 100 ms per bond.
 *
 * Threads: the control thread configures the bond, runs the commands and
 * passes on device notifications; the liveness thread (bond-liveness.h)
 * passes on the kernel's carrier changes and runs everything timed.  A
 * recursive mutex serializes them.  Without a liveness thread (unit tests)
 * the timers run on the EventLoop given to the constructor. */
#ifndef BRAID_OFPROTO_BOND_H
#define BRAID_OFPROTO_BOND_H 1

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/dp-bond.h"
#include "lib/event-loop.h"
#include "lib/netdev.h"
#include "ofproto/bond-settings.h"
#include "ofproto/bond-status.h"
#include "ofproto/lacp.h"
#include "ofproto/ofproto.h"

namespace braid::dp {
class Datapath;
}

namespace braid::ofproto {

class MacLearning;

/* One member as the bridge has it. */
struct BondMemberInput {
    std::string name;
    int64_t ofport = -1;
    uint32_t dp_port = 0;               /* 0 if it has no datapath port. */
    std::shared_ptr<Netdev> netdev;     /* Null if it failed to open. */

    friend bool operator==(const BondMemberInput &, const BondMemberInput &) = default;
};

/* The bridge's own port, for the probes of the ARP/NS monitor and the
 * gratuitous ARPs and unsolicited NAs sent after a failover: its MAC, the
 * name of its (internal) device whose IPv4 and IPv6 addresses are used,
 * and the VLAN it is in (0 for none). */
struct BondHost {
    EthAddr mac;
    std::string iface;
    uint16_t vlan = 0;

    friend bool operator==(const BondHost &, const BondHost &) = default;
};

/* The IPv4 (other than multicast) and IPv6 addresses of kernel device
 * 'iface', and the IPv4 groups it joined (/proc/net/igmp); none for a
 * device that is not a kernel device. */
void bond_device_addresses(const std::string &iface, std::vector<be32> *v4,
                           std::vector<In6Addr> *v6);
std::vector<be32> bond_device_igmp_groups(const std::string &iface);

class Bond {
public:
    /* A bond named 'name' on bridge 'bridge'.  'datapath' (may be null in
     * unit tests) receives the tables; 'loop' (may be null) runs the
     * timers when there is no liveness thread, otherwise the owner calls
     * run() itself; 'status_changed' (may be empty) is called, from any
     * thread, when the active member changes, so that the owner writes
     * Port.bond_active_slave. */
    Bond(std::string bridge, std::string name, dp::Datapath *datapath, EventLoop *loop,
         std::function<void()> status_changed = {});
    ~Bond();
    Bond(const Bond &) = delete;
    Bond &operator=(const Bond &) = delete;

    /* Applies the bond columns of 'port' and the members 'members'.
     * 'mac_learning' and 'port_id' are the bridge's MAC table and this
     * port's id in it (for learning packets and the receive rules).
     * Returns false if the configuration was rejected (the previous one
     * stays). */
    bool reconfigure(const PortSettings &port, const std::vector<BondMemberInput> &members,
                     std::shared_ptr<MacLearning> mac_learning, uint32_t port_id);

    /* Sets the bridge's own port (see BondHost). */
    void set_host(const BondHost &host)
    {
        std::lock_guard<std::recursive_mutex> lock(mutex_);
        host_ = host;
    }

    /* Reads every member's link state again (after a device change). */
    void link_changed();

    /* The liveness path (bond-liveness.h): the kernel says device
     * 'ifindex' has or lacks carrier; the kernel's link messages may have
     * been lost, so ask it about every member; run if anything is due; the
     * time (Braid clock, ms) something is next due. */
    void carrier_event(int ifindex, bool carrier);
    /* A slow protocol frame received on datapath port 'port_no' (ignored
     * unless it is one of this bond's members). */
    void slow_frame(uint32_t port_no, const std::vector<uint8_t> &frame);
    void carrier_resync();
    void tick();
    int64_t next_wake() const;

    /* Does what is due at the current time: expired delays, miimon polls,
     * rebalancing, pending learning packets.  The timers call it. */
    void run();

    const std::string &name() const { return name_; }
    uint32_t bond_id() const { return bond_id_; }

    /* Why the configuration the database asks for was rejected, or empty
     * (for Port.status:bond_error). */
    std::string config_error() const;

    /* The active member's MAC (for Port.bond_active_slave), if any. */
    std::optional<EthAddr> active_member_mac() const;

    /* The receive-side reflection rule (drop a frame whose source MAC the
     * bridge learned on another port) applies in this mode. */
    bool reflection_rule() const;

    BondStatus status();

    /* The commands' actions.  Each returns true with a reply, or false
     * with an error in '*reply'. */
    bool set_active_member(const std::string &member, std::string *reply);
    bool enable_member(const std::string &member, bool enable, std::string *reply);
    bool migrate(uint32_t bucket, const std::string &member, std::string *reply);

    /* LACP (Port.lacp active or passive; see ofproto/lacp.h).  The bond
     * owns the protocol: it hands it the slow protocol frames its members
     * receive and their link states, runs its timers with its own, sends
     * the frames it makes on the members, and enables a member only while
     * LACP lets it collect and distribute (or, with lacp-fallback-ab, while
     * its partner is defaulted).  Everything runs on the liveness path.
     *
     * lacp_status() is a snapshot for lacp/show, or nothing when LACP is
     * off; lacp_current() says whether member 'iface' has a current
     * partner (Interface.lacp_current), or nothing when LACP is off or
     * there is no such member. */
    std::optional<LacpStatus> lacp_status() const;
    std::optional<bool> lacp_current(const std::string &iface) const;

    /* Registers bond/list, bond/show, bond/show-linux, bond/migrate,
     * bond/set-active-member, bond/enable-member, bond/disable-member and
     * bond/hash (with the OVS "-slave" aliases); they act on every Bond in
     * existence.  unregister_commands() removes them. */
    static void register_commands();
    static void unregister_commands();

    /* Every bond in existence (control thread only). */
    static const std::set<Bond *> &all();

    /* How long after a bucket moves a frame is still accepted on the
     * member it used before, ms. */
    static constexpr int64_t kMoveGraceMs = 1000;
    /* The gap between two rounds of IGMP reports after a failover, ms. */
    static constexpr int64_t kIgmpResendIntervalMs = 200;
    /* Without rebalancing, bucket loads still halve this often, ms. */
    static constexpr int64_t kDecayIntervalMs = 10000;
    /* The smallest gap between two rounds of learning packets, ms. */
    static constexpr int64_t kLearningIntervalMs = 100;

private:
    struct Member {
        BondMemberInput in;
        EthAddr mac;
        int ifindex = 0;                /* Kernel device, or 0. */
        std::optional<bool> kernel_carrier;     /* From the liveness path. */
        bool link = false;              /* Link monitor's last reading. */
        bool link_up = false;           /* 'link', LACP and admin agree: up. */
        bool lacp_enable = true;        /* LACP lets it carry frames. */
        LacpMemberId lacp_id = 0;       /* Its id in lacp_, 0 for none. */
        bool lacp_current = false;      /* Last reported by lacp_current(). */
        bool lacp_collecting = false;   /* LACP lets it receive. */
        bool admin_disabled = false;
        bool enabled = false;
        std::optional<int64_t> delay_expires;
        uint64_t link_failures = 0;
        int64_t prio = 0;

        /* ARP/NS monitor. */
        bool arp_ok = true;
        uint32_t arp_missed = 0;
        int64_t monitor_since = 0;      /* Counts as a reception. */
        int64_t last_rx = 0;            /* Latest times the datapath saw. */
        std::array<int64_t, dp::kBondMaxTargets> last_target_rx{};
        int64_t last_reply_rx = 0;      /* A target itself spoke. */
    };

    bool balanced_buckets() const;
    bool rebalancing() const;
    int find_member(const std::string &name) const;
    bool read_link(const Member &m) const;
    int64_t arp_last_heard(const Member &m, bool backup, size_t n_targets) const;
    bool target_answered(const Member &m, int64_t now) const;
    void update_links();
    void set_enabled(Member &m, bool enabled);
    void choose_active();
    void fill_buckets(bool level);
    uint32_t member_port_for(const EthAddr &mac, uint16_t wire_vid) const;
    EthAddr alb_mac(const Member &m) const;
    bool carrier(const Member &m) const;
    void account();
    void rebalance();
    void send_learning_packets();
    bool arp_monitor() const;
    void arp_tick(int64_t now);
    void send_probes();
    void send_peer_notifications();
    bool send_frame(const Member &m, std::vector<uint8_t> frame, uint16_t vlan);
    void publish();
    void schedule();
    /* ofproto/bond-lacp.cc. */
    void lacp_reconfigure(const PortSettings &port, int64_t now);
    bool lacp_run(int64_t now);
    void lacp_slow_frame(Member &m, const std::vector<uint8_t> &frame, int64_t now);

    /* Guards everything below: the control thread (configuration,
     * commands, device notifications) and the liveness thread both run
     * the bond. */
    mutable std::recursive_mutex mutex_;

    std::string bridge_;
    std::string name_;
    dp::Datapath *datapath_;
    EventLoop *loop_;
    std::function<void()> status_changed_;  /* The active member changed. */
    uint32_t bond_id_ = 0;

    BondConfig config_;
    bool configured_ = false;
    std::string config_error_;
    VlanSettings vlan_;
    std::shared_ptr<MacLearning> mac_learning_;
    uint32_t port_id_ = 0;
    bool lacp_negotiated_ = false;
    std::unique_ptr<Lacp> lacp_;        /* Null while LACP is off. */
    LacpMemberId next_lacp_id_ = 1;
    std::string lacp_error_;            /* Why the LACP keys were rejected. */

    std::vector<Member> members_;
    int active_ = -1;                   /* Index in members_, -1 for none. */
    std::optional<EthAddr> restore_mac_;    /* Port.bond_active_slave. */
    uint64_t failovers_ = 0;

    /* Buckets: member index (-1 none), EWMA load in bytes, and the
     * datapath byte counters last seen. */
    std::array<int, dp::kBondBuckets> bucket_member_;
    std::array<uint64_t, dp::kBondBuckets> bucket_load_{};
    std::array<uint64_t, dp::kBondBuckets> bucket_seen_{};
    std::array<uint32_t, dp::kBondBuckets> prev_ports_{};
    uint32_t prev_basis_ = 0;
    int64_t grace_until_ = 0;
    int64_t next_rebalance_ = 0;

    int64_t next_miimon_ = 0;
    int64_t next_arp_ = 0;
    BondHost host_;
    uint32_t notif_remaining_ = 0;
    int64_t next_notif_ = 0;
    uint32_t igmp_remaining_ = 0;
    int64_t next_igmp_ = 0;
    uint64_t probes_sent_ = 0;
    uint64_t notifications_sent_ = 0;
    bool member_came_up_ = false;
    bool carrier_ok_ = false;
    std::array<uint64_t, size_t(dp::BondDrop::kCount)> drops_{};
    std::array<uint64_t, size_t(dp::BondDrop::kCount)> drops_seen_{};
    std::vector<uint32_t> published_ports_;

    bool learning_pending_ = false;
    int64_t last_learning_ = INT64_MIN / 2;

    std::shared_ptr<const dp::BondTable> table_;
    Timer timer_;
    int listener_ = -1;
};

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_BOND_H
