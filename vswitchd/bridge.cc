/* The bridges the database describes, and the status written back to it. */
#include <config.h>

#include "vswitchd/bridge.h"

#include <unistd.h>

#include <set>

#include <fmt/ranges.h>

#include "lib/coverage.h"
#include "lib/netdev.h"
#include "lib/unixctl.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(bridge);
BRAID_COVERAGE_DEFINE(bridge_reconfigure);
BRAID_COVERAGE_DEFINE(bridge_status_txn);
BRAID_COVERAGE_DEFINE(bridge_txn_retry);

namespace braid {

using nlohmann::json;

namespace {

constexpr int64_t kMinStatsIntervalMs = 5000;
constexpr int64_t kErrorRetryMs = 1000;

json uuid_where(const std::string &uuid)
{
    return json::array({json::array({"_uuid", "==", json::array({"uuid", uuid})})});
}

json update_op(const std::string &table, const std::string &uuid, json row)
{
    return {{"op", "update"}, {"table", table}, {"where", uuid_where(uuid)}, {"row", std::move(row)}};
}

const json kEmptySet = json::array({"set", json::array()});
const json kEmptyMap = json::array({"map", json::array()});

json string_set(const std::vector<std::string> &v)
{
    return json::array({"set", v});
}

}  // namespace

BridgeManager::BridgeManager(EventLoop &loop, ovsdb::Session &session)
    : loop_(loop), session_(session), switch_(loop)
{
    netdev_listener_ = Netdev::add_change_listener([this] { device_status_changed(); });
    /* A bond's new active member, noticed on any thread: write it back
     * from the main loop. */
    std::weak_ptr<bool> alive = alive_;
    switch_.set_status_listener([this, alive] {
        loop_.post([this, alive] {
            if (auto a = alive.lock(); a && *a) {
                device_status_changed();
            }
        });
    });
    arm_stats_timer();
    unixctl::register_command(
        "bridge/show", "[bridge]", 0, 1,
        [this](const unixctl::Args &args, const unixctl::Reply &reply) {
            std::string bridge = args.empty() ? "" : args[0];
            if (!bridge.empty() && !bridges_.count(bridge)) {
                reply.error(fmt::format("no bridge named {}", bridge));
                return;
            }
            reply.ok(show(bridge));
        });
}

BridgeManager::~BridgeManager()
{
    *alive_ = false;
    switch_.set_status_listener(nullptr);
    unixctl::unregister_command("bridge/show");
    Netdev::remove_change_listener(netdev_listener_);
}

std::string BridgeManager::show(const std::string &bridge) const
{
    std::string s;
    if (!session_.is_synced()) {
        s += fmt::format("database: {} ({})\n", session_.settings().remote,
                         session_.state_string());
    } else if (!session_.has_lock()) {
        s += "database lock held by another process: not configuring\n";
    }
    for (const auto &[name, br] : bridges_) {
        if (!bridge.empty() && name != bridge) {
            continue;
        }
        const ofproto::BridgeSettings &bs = br->settings();
        s += fmt::format("bridge {}: datapath_id {}, hwaddr {}{}\n", name, br->datapath_id(),
                         br->hwaddr().to_string(),
                         bs.datapath_type.empty() ? "" : ", datapath_type " + bs.datapath_type);
        for (const ofproto::PortSettings &port : bs.ports) {
            std::string vlan = ofproto::vlan_mode_to_string(port.vlan.mode);
            if (port.vlan.tag) {
                vlan += fmt::format(" tag {}", *port.vlan.tag);
            }
            if (!port.vlan.trunks.empty()) {
                vlan += fmt::format(" trunks {}", fmt::join(port.vlan.trunks, ","));
            }
            s += fmt::format("  port {}: vlan {}{}{}\n", port.name, vlan,
                             port.fake_bridge ? ", fake bridge" : "",
                             port.interfaces.size() > 1
                                 ? fmt::format(", bond (bond_mode {}, lacp {})",
                                               port.bond.bond_mode.empty() ? "default"
                                                                           : port.bond.bond_mode,
                                               port.bond.lacp.empty() ? "off" : port.bond.lacp)
                                 : "");
            for (const ofproto::InterfaceSettings &is : port.interfaces) {
                const ofproto::Interface *iface = br->interface(is.name);
                if (!iface) {
                    continue;
                }
                std::string state;
                if (iface->netdev) {
                    state = fmt::format("admin {}, link {}",
                                        iface->netdev->is_admin_up() ? "up" : "down",
                                        iface->netdev->get_carrier() ? "up" : "down");
                }
                s += fmt::format("    interface {}: type {}, ofport {}{}{}\n", is.name,
                                 is.type.empty() ? "system" : is.type, iface->ofport,
                                 state.empty() ? "" : ", " + state,
                                 iface->error.empty() ? "" : ", error: " + iface->error);
            }
        }
    }
    return s;
}

void BridgeManager::device_status_changed()
{
    run();      /* The status diff finds what changed. */
}

void BridgeManager::arm_stats_timer()
{
    int64_t interval = kMinStatsIntervalMs;
    auto it = config_.other_config.find("stats-update-interval");
    long long configured;
    if (it != config_.other_config.end()
        && parse_int(it->second, kMinStatsIntervalMs, INT32_MAX, &configured)) {
        interval = configured;
    }
    stats_timer_.start(loop_, interval, [this] {
        stats_due_ = true;
        run();
        arm_stats_timer();
    });
}

void BridgeManager::publish_bridges()
{
    std::vector<const ofproto::Ofproto *> list;
    for (const auto &[name, br] : bridges_) {
        list.push_back(br.get());
    }
    switch_.publish(list);
}

void BridgeManager::destroy_all_bridges()
{
    bridges_.clear();
    publish_bridges();
    config_ = DbConfig{};
    applied_seqno_ = 0;
    /* Another process may have written over our status meanwhile. */
    written_.clear();
    emitted_seqs_.clear();
    types_written_ = false;
}

const DbConfig &BridgeManager::current_config()
{
    const ovsdb::Replica &replica = session_.replica();
    if (replica.change_seqno() != cached_seqno_) {
        cached_config_ = read_db_config(replica);
        cached_seqno_ = replica.change_seqno();
    }
    return cached_config_;
}

void BridgeManager::run()
{
    if (!session_.is_synced()) {
        return;         /* Keep running as configured until we are back. */
    }
    if (!session_.has_lock()) {
        if (session_.is_lock_contended()) {
            if (!lock_warned_) {
                lock_warned_ = true;
                VLOG_WARN("another ovs-vswitchd process is running, disabling this process "
                          "(pid {}) until it goes away",
                          getpid());
            }
            destroy_all_bridges();
        }
        return;         /* Without the lock we write nothing. */
    }
    if (lock_warned_) {
        lock_warned_ = false;
        VLOG_INFO("the database lock is ours now: configuring");
    }
    if (session_.n_connects() != applied_connects_) {
        /* A new connection (maybe a restarted server): write everything. */
        applied_connects_ = session_.n_connects();
        written_.clear();
        emitted_seqs_.clear();
        types_written_ = false;
        applied_seqno_ = 0;
    }
    if (txn_in_flight_) {
        return;         /* txn_done() runs us again. */
    }

    const ovsdb::Replica &replica = session_.replica();
    const DbConfig &config = current_config();
    bool reconfigured = false;
    if (replica.alert_seqno() != applied_seqno_ || Netdev::devices_seq() != applied_devices_) {
        applied_seqno_ = replica.alert_seqno();
        applied_devices_ = Netdev::devices_seq();
        reconfigure(config);
        reconfigured = true;
    }

    json ops = json::array();
    if (!config.root_uuid.empty()) {
        json row = json::object();
        /* Only one transaction is in flight, and ovsdb-server sends the
         * update of our own write before its reply: the replica's cur_cfg
         * is current here. */
        if (config.next_cfg != config.cur_cfg) {
            row["cur_cfg"] = config.next_cfg;
        }
        if (!types_written_) {
            if (replica.has_column("Open_vSwitch", "datapath_types")) {
                row["datapath_types"] = string_set({"netdev", "system"});
            }
            if (replica.has_column("Open_vSwitch", "iface_types")) {
                row["iface_types"] = string_set(Netdev::types());
            }
        }
        if (!row.empty()) {
            ops.push_back(update_op("Open_vSwitch", config.root_uuid, std::move(row)));
        }
    }

    std::map<std::string, json> written;
    std::map<std::string, uint64_t> seqs;
    bool with_stats = stats_due_;
    add_status_ops(config, ops, with_stats || reconfigured, with_stats, written, seqs);
    if (with_stats) {
        stats_due_ = false;
    }
    forget_stale_rows(config);
    if (ops.empty()) {
        emitted_seqs_.insert(seqs.begin(), seqs.end());
        return;
    }
    COVERAGE_INC(bridge_status_txn);
    txn_in_flight_ = true;
    bool types = !types_written_;
    std::weak_ptr<bool> alive = alive_;
    session_.transact(std::move(ops), [this, alive, types, written = std::move(written),
                                       seqs = std::move(seqs)](
                                          const ovsdb::TxnResult &result) mutable {
        auto a = alive.lock();
        if (!a || !*a) {
            return;
        }
        if (result.status == ovsdb::TxnResult::Status::kSuccess) {
            if (types) {
                types_written_ = true;
            }
            for (auto &[uuid, columns] : written) {
                for (auto &[column, value] : columns.items()) {
                    written_[uuid][column] = value;
                }
            }
            for (auto &[uuid, seq] : seqs) {
                emitted_seqs_[uuid] = seq;
            }
        }
        txn_done(result);
    });
}

void BridgeManager::forget_stale_rows(const DbConfig &config)
{
    /* Rows that left the configuration; the database deleted them. */
    std::set<std::string> live = {config.root_uuid};
    for (const auto *m : {&config.bridge_uuids, &config.port_uuids, &config.interface_uuids}) {
        for (const auto &[name, uuid] : *m) {
            live.insert(uuid);
        }
    }
    for (const auto &[uuid, error] : config.rejected_interfaces) {
        live.insert(uuid);
    }
    std::erase_if(written_, [&](const auto &entry) { return !live.count(entry.first); });
    std::erase_if(emitted_seqs_, [&](const auto &entry) { return !live.count(entry.first); });
}

void BridgeManager::txn_done(const ovsdb::TxnResult &result)
{
    txn_in_flight_ = false;
    std::weak_ptr<bool> alive = alive_;
    auto run_later = [this, alive] {
        if (auto a = alive.lock(); a && *a) {
            run();
        }
    };
    if (result.status == ovsdb::TxnResult::Status::kSuccess) {
        run();      /* Anything that changed while we waited. */
        return;
    }
    COVERAGE_INC(bridge_txn_retry);
    static vlog::RateLimit rl(5, 20);
    if (result.status == ovsdb::TxnResult::Status::kError) {
        VLOG_WARN_RL(rl, "database transaction failed ({}); retrying", result.error);
        retry_timer_.start(loop_, kErrorRetryMs, run_later);
    } else {
        VLOG_DBG("database transaction: {} ({}); retrying",
                 ovsdb::txn_status_to_string(result.status), result.error);
        /* Not connected: the session calls run() once it is back. */
        if (result.status == ovsdb::TxnResult::Status::kTryAgain) {
            loop_.post(run_later);
        }
    }
}

void BridgeManager::reconfigure(const DbConfig &config)
{
    COVERAGE_INC(bridge_reconfigure);
    VLOG_DBG("reconfiguring for next_cfg {} ({} bridges)", config.next_cfg,
             config.bridges.size());
    std::map<std::string, const ofproto::BridgeSettings *> wanted;
    for (const ofproto::BridgeSettings &b : config.bridges) {
        wanted[b.name] = &b;
    }
    for (auto it = bridges_.begin(); it != bridges_.end();) {
        if (!wanted.count(it->first)) {
            it = bridges_.erase(it);
        } else {
            ++it;
        }
    }
    /* Close what every bridge gives up before any bridge opens what it
     * gains, so that a device can move between bridges in one change. */
    for (auto &[name, br] : bridges_) {
        br->prune(*wanted.at(name));
    }
    for (const auto &[name, settings] : wanted) {
        auto &br = bridges_[name];
        if (!br) {
            br = std::make_unique<ofproto::Ofproto>(name, &switch_);
        }
        br->reconfigure(*settings);
    }
    switch_.configure(config.other_config);
    publish_bridges();
    bool interval_changed = config.other_config.count("stats-update-interval")
                            != config_.other_config.count("stats-update-interval")
                            || (config.other_config.count("stats-update-interval")
                                && config.other_config.at("stats-update-interval")
                                       != config_.other_config.at("stats-update-interval"));
    config_ = config;
    if (interval_changed) {
        arm_stats_timer();
    }
}

json BridgeManager::interface_status(const ofproto::Interface &iface, bool with_stats) const
{
    const ovsdb::Replica &replica = session_.replica();
    json row = json::object();
    auto put = [&](const char *column, json value) {
        if (replica.has_column("Interface", column)) {
            row[column] = std::move(value);
        }
    };
    put("ofport", iface.ofport);
    put("error", iface.error.empty() ? kEmptySet : json(iface.error));
    if (!iface.netdev) {
        for (const char *column : {"admin_state", "link_state", "link_resets", "mtu",
                                   "mac_in_use", "ifindex", "lacp_current"}) {
            put(column, kEmptySet);
        }
        put("statistics", kEmptyMap);
        return row;
    }
    const Netdev &dev = *iface.netdev;
    put("admin_state", dev.is_admin_up() ? "up" : "down");
    put("link_state", dev.get_carrier() ? "up" : "down");
    put("link_resets", int64_t(dev.carrier_resets()));
    int mtu = 0;
    put("mtu", dev.get_mtu(&mtu) ? kEmptySet : json(mtu));
    EthAddr mac;
    put("mac_in_use", dev.get_etheraddr(&mac) ? kEmptySet : json(mac.to_string()));
    put("ifindex", dev.get_ifindex());
    if (with_stats) {
        NetdevStats s;
        json pairs = json::array();
        if (!dev.get_stats(&s)) {
            const std::pair<const char *, uint64_t> counters[] = {
                {"rx_bytes", s.rx_bytes},     {"rx_dropped", s.rx_dropped},
                {"rx_errors", s.rx_errors},   {"rx_packets", s.rx_packets},
                {"tx_bytes", s.tx_bytes},     {"tx_dropped", s.tx_dropped},
                {"tx_errors", s.tx_errors},   {"tx_packets", s.tx_packets},
            };
            for (const auto &[name, value] : counters) {
                if (value != NetdevStats::kUnsupported) {
                    pairs.push_back(json::array({name, int64_t(value)}));
                }
            }
        }
        put("statistics", json::array({"map", pairs}));
    }
    return row;
}

void BridgeManager::add_status_ops(const DbConfig &config, json &ops, bool all, bool with_stats,
                                   std::map<std::string, json> &written,
                                   std::map<std::string, uint64_t> &seqs)
{
    const ovsdb::Replica &replica = session_.replica();

    /* Writes only the columns whose value differs from what the database
     * holds (as far as we know). */
    auto emit = [&](const char *table, const std::string &uuid, json row) {
        auto known = written_.find(uuid);
        json changed = json::object();
        for (auto &[column, value] : row.items()) {
            if (known == written_.end() || !known->second.contains(column)
                || known->second[column] != value) {
                changed[column] = value;
            }
        }
        if (!changed.empty()) {
            written[uuid] = changed;
            ops.push_back(update_op(table, uuid, std::move(changed)));
        }
    };

    for (const auto &[name, br] : bridges_) {
        auto uuid = config.bridge_uuids.find(name);
        if (uuid == config.bridge_uuids.end()) {
            continue;
        }
        std::string dpid = br->datapath_id();
        auto current = config.datapath_ids.find(name);
        if (current == config.datapath_ids.end() || current->second != dpid) {
            emit("Bridge", uuid->second, {{"datapath_id", dpid}});
        }
        for (const auto &[iface_name, iface] : br->interfaces()) {
            auto iu = config.interface_uuids.find(iface_name);
            if (iu == config.interface_uuids.end()) {
                continue;
            }
            /* Only interfaces whose device changed need a look, unless
             * everything does (after a reconfiguration, for statistics). */
            uint64_t seq = iface.netdev ? iface.netdev->change_seq() : 0;
            auto emitted = emitted_seqs_.find(iu->second);
            /* LACP's verdict changes without the device changing. */
            bool lacp_column = replica.has_column("Interface", "lacp_current");
            std::optional<bool> current_lacp;
            json lacp_value = kEmptySet;
            if (lacp_column) {
                current_lacp = br->lacp_current(iface_name);
                lacp_value = current_lacp ? json(*current_lacp) : kEmptySet;
            }
            auto known = written_.find(iu->second);
            bool lacp_changed = lacp_column
                                && (known == written_.end()
                                    || !known->second.contains("lacp_current")
                                    || known->second["lacp_current"] != lacp_value);
            if (!all && !lacp_changed && emitted != emitted_seqs_.end()
                && emitted->second == seq) {
                continue;
            }
            seqs[iu->second] = seq;
            /* Statistics are written every stats interval, and at once for
             * an interface that has none yet. */
            bool first = known == written_.end() || !known->second.contains("statistics");
            json row = interface_status(iface, with_stats || first);
            if (lacp_column) {
                row["lacp_current"] = lacp_value;
            }
            emit("Interface", iu->second, std::move(row));
        }
        for (const ofproto::PortSettings &port : br->settings().ports) {
            auto pu = config.port_uuids.find(port.name);
            if (pu == config.port_uuids.end()) {
                continue;
            }
            if (port.interfaces.size() < 2) {
                /* No longer a bond: clear what we wrote while it was one. */
                auto known = written_.find(pu->second);
                if (known != written_.end() && known->second.contains("status")
                    && known->second["status"] != kEmptyMap) {
                    emit("Port", pu->second, {{"status", kEmptyMap}});
                }
                continue;
            }
            if (std::optional<EthAddr> active = br->bond_active_member(port.name)) {
                emit("Port", pu->second, {{"bond_active_slave", active->to_string()}});
            }
            /* A rejected bond configuration, in plain words. */
            std::optional<std::string> error = br->bond_error(port.name);
            if (error && replica.has_column("Port", "status")) {
                emit("Port", pu->second,
                     {{"status", error->empty()
                                     ? kEmptyMap
                                     : json::array({"map", json::array({json::array(
                                                                {"bond_error", *error})})})}});
            }
        }
    }

    /* Interfaces that could not even be configured. */
    for (const auto &[uuid, error] : config.rejected_interfaces) {
        ofproto::Interface failed;
        failed.error = error;
        emit("Interface", uuid, interface_status(failed, true));
    }
}

}  // namespace braid
