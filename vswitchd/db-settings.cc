/* Turning Open_vSwitch database rows into plain settings structs. */
#include <config.h>

#include "vswitchd/db-settings.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace braid {

using ovsdb::Datum;
using ovsdb::Row;

std::map<std::string, ovsdb::TableWanted> vswitchd_wanted_columns()
{
    return {
        {"Open_vSwitch",
         {{"bridges", "next_cfg", "cur_cfg", "other_config"}, {"cur_cfg"}}},
        {"Bridge",
         {{"name", "ports", "datapath_type", "datapath_id", "other_config", "fail_mode",
           "controller", "protocols", "flood_vlans", "mcast_snooping_enable", "stp_enable",
           "rstp_enable"},
          {"datapath_id"}}},
        {"Port",
         {{"name", "interfaces", "tag", "trunks", "vlan_mode", "bond_mode", "lacp",
           "bond_updelay", "bond_downdelay", "bond_fake_iface", "bond_active_slave",
           "other_config", "fake_bridge", "cvlans"},
          {"bond_active_slave"}}},
        {"Interface",
         {{"name", "type", "options", "ofport", "ofport_request", "mtu_request", "mac",
           "other_config"},
          {"ofport"}}},
        {"Controller",
         {{"target", "connection_mode", "max_backoff", "inactivity_probe", "other_config"}, {}}},
    };
}

namespace {

ofproto::VlanSettings read_vlan(const Row &port)
{
    ofproto::VlanSettings vlan;
    if (auto tag = port.get("tag").as_integer(); tag && *tag >= 0 && *tag <= 4095) {
        vlan.tag = uint16_t(*tag);
    }
    for (int64_t t : port.get("trunks").integers()) {
        if (t >= 0 && t <= 4095) {
            vlan.trunks.push_back(uint16_t(t));
        }
    }
    std::sort(vlan.trunks.begin(), vlan.trunks.end());
    std::string mode = port.get("vlan_mode").as_string().value_or("");
    if (mode == "access") {
        vlan.mode = ofproto::VlanMode::kAccess;
    } else if (mode == "native-tagged") {
        vlan.mode = ofproto::VlanMode::kNativeTagged;
    } else if (mode == "native-untagged") {
        vlan.mode = ofproto::VlanMode::kNativeUntagged;
    } else if (mode == "dot1q-tunnel") {
        vlan.mode = ofproto::VlanMode::kDot1qTunnel;
    } else if (mode == "trunk") {
        vlan.mode = ofproto::VlanMode::kTrunk;
    } else {
        /* No vlan_mode: a tag makes it an access port. */
        vlan.mode = vlan.tag ? ofproto::VlanMode::kAccess : ofproto::VlanMode::kTrunk;
    }
    return vlan;
}

ofproto::BondSettings read_bond(const Row &port)
{
    ofproto::BondSettings bond;
    bond.bond_mode = port.get("bond_mode").as_string().value_or("");
    bond.lacp = port.get("lacp").as_string().value_or("");
    bond.updelay = port.get("bond_updelay").as_integer().value_or(0);
    bond.downdelay = port.get("bond_downdelay").as_integer().value_or(0);
    bond.fake_iface = port.get("bond_fake_iface").as_boolean().value_or(false);
    if (auto mac = port.get("bond_active_slave").as_string()) {
        if (auto parsed = EthAddr::parse(*mac); parsed && !parsed->is_zero()) {
            bond.active_member = *parsed;
        }
    }
    return bond;
}

/* Reads one Interface row; on a value that cannot be used, returns nothing
 * and sets '*error'. */
std::optional<ofproto::InterfaceSettings> read_interface(const Row &row, std::string *error)
{
    ofproto::InterfaceSettings s;
    s.name = row.get("name").as_string().value_or("");
    s.type = row.get("type").as_string().value_or("");
    s.options = row.get("options").string_map();
    s.other_config = row.get("other_config").string_map();
    if (auto req = row.get("ofport_request").as_integer()) {
        s.ofport_request = *req;
    }
    if (auto ofport = row.get("ofport").as_integer(); ofport && *ofport > 0) {
        s.previous_ofport = *ofport;
    }
    if (auto mtu = row.get("mtu_request").as_integer()) {
        s.mtu_request = *mtu;
    }
    if (auto mac = row.get("mac").as_string()) {
        auto parsed = EthAddr::parse(*mac);
        if (!parsed || parsed->is_multicast()) {
            *error = fmt::format("\"{}\" in column mac is not a unicast Ethernet address", *mac);
            return std::nullopt;
        }
        s.mac = *parsed;
    }
    if (s.name.empty()) {
        *error = "the interface has no name";
        return std::nullopt;
    }
    return s;
}

}  // namespace

DbConfig read_db_config(const ovsdb::Replica &replica)
{
    DbConfig config;
    const Row *root = replica.first("Open_vSwitch");
    if (!root) {
        return config;
    }
    config.root_uuid = root->uuid;
    config.next_cfg = root->get("next_cfg").as_integer().value_or(0);
    config.cur_cfg = root->get("cur_cfg").as_integer().value_or(0);
    config.other_config = root->get("other_config").string_map();

    /* Device names are global: each may be used once, by the first bridge
     * and port (in name order) that names it. */
    std::map<std::string, std::string> device_users;
    std::set<std::string> accepted_rows;
    std::vector<const Row *> bridges;
    for (const ovsdb::Uuid &uuid : root->get("bridges").uuids()) {
        if (const Row *br = replica.row("Bridge", uuid.text)) {
            bridges.push_back(br);
        }
    }
    std::sort(bridges.begin(), bridges.end(), [](const Row *a, const Row *b) {
        return a->get("name").as_string() < b->get("name").as_string();
    });
    /* A bridge's own device belongs to it before any port elsewhere. */
    for (const Row *br : bridges) {
        std::string name = br->get("name").as_string().value_or("");
        device_users[name] = "bridge " + name;
    }

    for (const Row *br : bridges) {
        ofproto::BridgeSettings b;
        b.name = br->get("name").as_string().value_or("");
        if (b.name.empty() || config.bridge_uuids.count(b.name)) {
            continue;
        }
        b.datapath_type = br->get("datapath_type").as_string().value_or("");
        b.other_config = br->get("other_config").string_map();
        b.fail_mode = br->get("fail_mode").as_string().value_or("");
        b.protocols = br->get("protocols").strings();
        for (const ovsdb::Uuid &cu : br->get("controller").uuids()) {
            if (const Row *c = replica.row("Controller", cu.text)) {
                ofproto::ControllerSettings cs;
                cs.target = c->get("target").as_string().value_or("");
                cs.connection_mode = c->get("connection_mode").as_string().value_or("");
                if (auto v = c->get("max_backoff").as_integer()) {
                    cs.max_backoff = *v;
                }
                if (auto v = c->get("inactivity_probe").as_integer()) {
                    cs.inactivity_probe = *v;
                }
                b.controllers.push_back(cs);
            }
        }
        config.bridge_uuids[b.name] = br->uuid;
        config.datapath_ids[b.name] = br->get("datapath_id").as_string().value_or("");

        std::vector<const Row *> ports;
        for (const ovsdb::Uuid &pu : br->get("ports").uuids()) {
            if (const Row *p = replica.row("Port", pu.text)) {
                ports.push_back(p);
            }
        }
        std::sort(ports.begin(), ports.end(), [](const Row *x, const Row *y) {
            return x->get("name").as_string() < y->get("name").as_string();
        });
        for (const Row *p : ports) {
            ofproto::PortSettings ps;
            ps.name = p->get("name").as_string().value_or("");
            if (ps.name.empty() || config.port_uuids.count(ps.name)) {
                continue;       /* Port names are unique in the schema. */
            }
            ps.vlan = read_vlan(*p);
            ps.bond = read_bond(*p);
            ps.fake_bridge = p->get("fake_bridge").as_boolean().value_or(false);
            ps.other_config = p->get("other_config").string_map();
            config.port_uuids[ps.name] = p->uuid;

            for (const ovsdb::Uuid &iu : p->get("interfaces").uuids()) {
                const Row *ir = replica.row("Interface", iu.text);
                if (!ir || config.rejected_interfaces.count(ir->uuid)
                    || accepted_rows.count(ir->uuid)) {
                    /* One row referenced from two places is used once. */
                    continue;
                }
                std::string error;
                std::optional<ofproto::InterfaceSettings> is = read_interface(*ir, &error);
                if (is) {
                    std::string user = "bridge " + b.name + " port " + ps.name;
                    auto [it, inserted] = device_users.emplace(is->name, user);
                    bool own_device = is->name == b.name && it->second == "bridge " + b.name;
                    if (!inserted && !own_device) {
                        error = fmt::format("the name {} is already used by {}", is->name,
                                            it->second);
                        is.reset();
                    } else if (config.interface_uuids.count(is->name)) {
                        error = fmt::format("the interface {} is configured twice", is->name);
                        is.reset();
                    } else {
                        it->second = user;
                    }
                }
                if (!is) {
                    config.rejected_interfaces[ir->uuid] = error;
                    continue;
                }
                config.interface_uuids[is->name] = ir->uuid;
                accepted_rows.insert(ir->uuid);
                ps.interfaces.push_back(std::move(*is));
            }
            b.ports.push_back(std::move(ps));
        }
        config.bridges.push_back(std::move(b));
    }
    return config;
}

}  // namespace braid
