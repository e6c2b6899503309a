/* Turning Open_vSwitch database rows into plain settings structs.
 *
 * This is the only place that knows how the database spells the
 * configuration (column names, defaults, "vlan_mode" rules).  What comes
 * out is ofproto's BridgeSettings, plus the row uuids the status write-back
 * needs, plus the interfaces that could not even be described (a bad
 * Interface.mac, a name used twice), each with the sentence for its
 * Interface.error. */
#ifndef BRAID_VSWITCHD_DB_SETTINGS_H
#define BRAID_VSWITCHD_DB_SETTINGS_H 1

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/ovsdb-replica.h"
#include "ofproto/ofproto.h"

namespace braid {

/* The configuration the database holds. */
struct DbConfig {
    std::string root_uuid;                      /* The Open_vSwitch row. */
    int64_t next_cfg = 0;
    int64_t cur_cfg = 0;
    std::map<std::string, std::string> other_config;   /* Open_vSwitch.other_config. */

    std::vector<ofproto::BridgeSettings> bridges;

    /* Row uuids by name, for writing status back. */
    std::map<std::string, std::string> bridge_uuids;
    std::map<std::string, std::string> port_uuids;
    std::map<std::string, std::string> interface_uuids;
    /* Bridge.datapath_id as the database has it, by bridge name. */
    std::map<std::string, std::string> datapath_ids;

    /* Interface rows left out of 'bridges', by uuid, with the reason. */
    std::map<std::string, std::string> rejected_interfaces;
};

/* The tables and columns braid-vswitchd monitors.  Columns it writes and
 * only reads back (Open_vSwitch.cur_cfg, Interface.ofport,
 * Bridge.datapath_id, Port.bond_active_slave) do not trigger a
 * reconfiguration. */
std::map<std::string, ovsdb::TableWanted> vswitchd_wanted_columns();

/* Reads the configuration out of 'replica'. */
DbConfig read_db_config(const ovsdb::Replica &replica);

}  // namespace braid

#endif  // BRAID_VSWITCHD_DB_SETTINGS_H
