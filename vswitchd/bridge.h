/* The bridges the database describes, and the status written back to it.
 *
 * BridgeManager keeps one ofproto::Ofproto per Bridge row, reconfigured
 * from the database whenever an alerting column changes, and writes back,
 * in one transaction per reconfiguration, everything ovs-vsctl and libvirt
 * wait for or read: Open_vSwitch.cur_cfg = next_cfg, each interface's
 * ofport and error (and its admin/link state, MTU, MAC, ifindex, link
 * resets and statistics), Bridge.datapath_id, and the bond and LACP status
 * columns once those exist.  Device status changes are written as they
 * happen; statistics every stats-update-interval (at least 5 s).
 *
 * Only one transaction is in flight at a time; what changes meanwhile is
 * written by the next one.  A failed transaction is redone.  Nothing is
 * configured while another ovs-vswitchd (or braid-vswitchd) holds the
 * database lock: the bridges are destroyed and the process waits. */
#ifndef BRAID_VSWITCHD_BRIDGE_H
#define BRAID_VSWITCHD_BRIDGE_H 1

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "lib/event-loop.h"
#include "lib/ovsdb-session.h"
#include "ofproto/ofproto.h"
#include "ofproto/switch.h"
#include "vswitchd/db-settings.h"

namespace braid {

class BridgeManager {
public:
    BridgeManager(EventLoop &loop, ovsdb::Session &session);
    ~BridgeManager();
    BridgeManager(const BridgeManager &) = delete;
    BridgeManager &operator=(const BridgeManager &) = delete;

    /* Called whenever the session changed (replica, lock, connection). */
    void run();

    /* Called when a device's status changed. */
    void device_status_changed();

    /* The text of bridge/show: every bridge (or just 'bridge'), its ports
     * with their VLAN and bond settings, and its interfaces with type,
     * OpenFlow port number, state and error. */
    std::string show(const std::string &bridge) const;

    /* The bridges, by name. */
    const std::map<std::string, std::unique_ptr<ofproto::Ofproto>> &bridges() const
    {
        return bridges_;
    }

private:
    const DbConfig &current_config();
    void reconfigure(const DbConfig &config);
    void txn_done(const ovsdb::TxnResult &result);
    void add_status_ops(const DbConfig &config, nlohmann::json &ops, bool all, bool with_stats,
                        std::map<std::string, nlohmann::json> &written,
                        std::map<std::string, uint64_t> &seqs);
    void forget_stale_rows(const DbConfig &config);
    void publish_bridges();
    nlohmann::json interface_status(const ofproto::Interface &iface, bool with_stats) const;
    void arm_stats_timer();
    void destroy_all_bridges();

    EventLoop &loop_;
    ovsdb::Session &session_;
    ofproto::Switch switch_;

    std::map<std::string, std::unique_ptr<ofproto::Ofproto>> bridges_;
    DbConfig config_;                       /* What was applied last. */
    uint64_t applied_seqno_ = 0;            /* Replica alert seqno applied. */
    uint64_t applied_devices_ = 0;          /* Netdev::devices_seq() applied. */
    uint64_t applied_connects_ = 0;         /* Session connection it was for. */

    /* read_db_config() of the replica, rebuilt when the replica changes. */
    DbConfig cached_config_;
    uint64_t cached_seqno_ = 0;

    bool txn_in_flight_ = false;
    bool stats_due_ = false;
    bool types_written_ = false;
    Timer retry_timer_;
    Timer stats_timer_;

    /* What the database holds of our status, per row uuid, as last written
     * successfully: column -> JSON value. */
    std::map<std::string, nlohmann::json> written_;
    /* The device change_seq() each interface's status was written for. */
    std::map<std::string, uint64_t> emitted_seqs_;

    bool lock_warned_ = false;
    int netdev_listener_ = -1;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace braid

#endif  // BRAID_VSWITCHD_BRIDGE_H
