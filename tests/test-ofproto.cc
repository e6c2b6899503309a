/* Unit tests for ofproto::Ofproto (ports, OpenFlow port numbers, the
 * bridge's address) with dummy devices, and for read_db_config()
 * (database rows to settings). */
#include <config.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lib/netdev-provider.h"
#include "lib/ovsdb-replica.h"
#include "ofproto/ofproto.h"
#include "vswitchd/db-settings.h"

namespace braid {
namespace {

using ofproto::BridgeSettings;
using ofproto::InterfaceSettings;
using ofproto::PortSettings;

PortSettings port(const std::string &name, const std::string &type = "dummy",
                  std::optional<int64_t> request = std::nullopt,
                  std::optional<int64_t> previous = std::nullopt)
{
    PortSettings p;
    p.name = name;
    InterfaceSettings i;
    i.name = name;
    i.type = type;
    i.ofport_request = request;
    i.previous_ofport = previous;
    p.interfaces.push_back(i);
    return p;
}

BridgeSettings bridge(const std::string &name, std::vector<PortSettings> ports)
{
    BridgeSettings b;
    b.name = name;
    b.ports = std::move(ports);
    return b;
}

int64_t ofport(const ofproto::Ofproto &br, const std::string &iface)
{
    const ofproto::Interface *i = br.interface(iface);
    return i ? i->ofport : -2;
}

TEST(Ofproto, LocalPortAndLowestFreeNumbers)
{
    ofproto::Ofproto br("tbr0");
    br.reconfigure(bridge("tbr0", {port("tbr0"), port("ta"), port("tb")}));
    EXPECT_EQ(ofport(br, "tbr0"), 65534);
    EXPECT_EQ(ofport(br, "ta"), 1);
    EXPECT_EQ(ofport(br, "tb"), 2);

    const Netdev *before = br.interface("tb")->netdev.get();
    br.reconfigure(bridge("tbr0", {port("tbr0"), port("tb"), port("tc")}));
    EXPECT_EQ(br.interface("ta"), nullptr) << "removed";
    EXPECT_EQ(ofport(br, "tb"), 2);
    EXPECT_EQ(ofport(br, "tc"), 1) << "the freed number is reused";
    EXPECT_EQ(br.interface("tb")->netdev.get(), before) << "unchanged: not reopened";
}

TEST(Ofproto, PreviousNumbersAndRequests)
{
    ofproto::Ofproto br("tbr1");
    br.reconfigure(bridge("tbr1", {port("tbr1"), port("pa", "dummy", std::nullopt, 7),
                                   port("pb", "dummy", std::nullopt, 7)}));
    EXPECT_EQ(ofport(br, "pa"), 7) << "the number from the database";
    EXPECT_EQ(ofport(br, "pb"), 1) << "7 is taken: the lowest free";

    /* A request takes its number from an interface that did not ask. */
    br.reconfigure(bridge("tbr1", {port("tbr1"), port("pa", "dummy", std::nullopt, 7),
                                   port("pb", "dummy", 7, 1)}));
    EXPECT_EQ(ofport(br, "pb"), 7);
    EXPECT_EQ(ofport(br, "pa"), 1);

    /* Two requests for one number: the holder keeps it, and the other keeps
     * the number it has (its traffic goes on), with the error. */
    br.reconfigure(bridge("tbr1", {port("tbr1"), port("pa", "dummy", 7, 1),
                                   port("pb", "dummy", 7, 7)}));
    EXPECT_EQ(ofport(br, "pb"), 7);
    EXPECT_EQ(ofport(br, "pa"), 1);
    EXPECT_EQ(br.interface("pa")->error,
              "ofport_request 7 is already taken by interface pb, which requested it too");

    /* A new interface that loses such a conflict gets no number. */
    br.reconfigure(bridge("tbr1", {port("tbr1"), port("pa", "dummy", 7, 1),
                                   port("pb", "dummy", 7, 7), port("pn", "dummy", 7)}));
    EXPECT_EQ(ofport(br, "pn"), -1);
    EXPECT_EQ(br.interface("pn")->error,
              "ofport_request 7 is already taken by interface pb, which requested it too");

    /* The holder goes away: the conflict resolves. */
    br.reconfigure(bridge("tbr1", {port("tbr1"), port("pa", "dummy", 7, 1)}));
    EXPECT_EQ(ofport(br, "pa"), 7);
    EXPECT_EQ(br.interface("pa")->error, "");

    /* Out-of-range requests are ignored. */
    br.reconfigure(bridge("tbr1", {port("tbr1"), port("pa", "dummy", 7, 7),
                                   port("pc", "dummy", 65280), port("pd", "dummy", 0)}));
    EXPECT_EQ(ofport(br, "pc"), 1);
    EXPECT_EQ(ofport(br, "pd"), 2);
}

TEST(Ofproto, FailuresAreReportedAndHeal)
{
    ofproto::Ofproto br("tbr2");
    PortSettings bad = port("qa", "no-such-type");
    PortSettings bad_option = port("qb");
    bad_option.interfaces[0].options["colour"] = "blue";
    br.reconfigure(bridge("tbr2", {port("tbr2"), bad, bad_option, port("qc")}));
    EXPECT_EQ(ofport(br, "qa"), -1);
    EXPECT_EQ(br.interface("qa")->error,
              "could not open network device qa (unknown type \"no-such-type\")");
    EXPECT_EQ(ofport(br, "qb"), -1);
    EXPECT_EQ(br.interface("qb")->error,
              "qb: unknown option \"colour\" for devices of type dummy");
    EXPECT_EQ(ofport(br, "qc"), 1) << "the rest works";

    br.reconfigure(bridge("tbr2", {port("tbr2"), port("qa"), port("qb"), port("qc")}));
    EXPECT_EQ(br.interface("qa")->error, "");
    EXPECT_EQ(br.interface("qb")->error, "");
    EXPECT_EQ(ofport(br, "qa"), 2);
    EXPECT_EQ(ofport(br, "qb"), 3);
}

TEST(Ofproto, HwaddrAndDatapathId)
{
    ofproto::Ofproto br("tbr3");
    br.reconfigure(bridge("tbr3", {port("tbr3", "dummy-internal")}));
    EthAddr alone = br.hwaddr();
    EXPECT_TRUE(alone.is_local()) << "derived from the name";
    EXPECT_FALSE(alone.is_multicast());
    ofproto::Ofproto again("tbr3");
    again.reconfigure(bridge("tbr3", {port("tbr3", "dummy-internal")}));
    EXPECT_EQ(again.hwaddr(), alone) << "the same after a restart";
    EXPECT_EQ(br.datapath_id(), fmt::format("0000{:012x}", alone.to_u64()));

    BridgeSettings b = bridge("tbr3", {port("tbr3", "dummy-internal")});
    b.other_config["hwaddr"] = "02:00:00:00:00:42";
    b.other_config["datapath-id"] = "0x00000000000000AB";
    br.reconfigure(b);
    EXPECT_EQ(br.hwaddr().to_string(), "02:00:00:00:00:42");
    EXPECT_EQ(br.datapath_id(), "00000000000000ab");
    EthAddr local;
    ASSERT_EQ(br.interface("tbr3")->netdev->get_etheraddr(&local), 0);
    EXPECT_EQ(local.to_string(), "02:00:00:00:00:42") << "set on the local port";

    b.other_config["datapath-id"] = "xyz";
    b.other_config["hwaddr"] = "ff:ff:ff:ff:ff:ff";
    br.reconfigure(b);
    EXPECT_EQ(br.hwaddr(), alone) << "bad values are ignored";
    EXPECT_EQ(br.datapath_id(), fmt::format("0000{:012x}", alone.to_u64()));
}

/* read_db_config() on rows as the real schema types them. */
class DbSettingsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::ifstream in("/usr/share/openvswitch/vswitch.ovsschema");
        if (!in) {
            GTEST_SKIP() << "vswitch.ovsschema is not installed";
        }
        std::stringstream ss;
        ss << in.rdbuf();
        std::string error;
        auto schema = ovsdb::DatabaseSchema::from_json(nlohmann::json::parse(ss.str()), &error);
        ASSERT_TRUE(schema) << error;
        std::vector<std::string> missing;
        replica_.configure(*schema, vswitchd_wanted_columns(), &missing);
        EXPECT_TRUE(missing.empty()) << missing[0];
    }

    void load(const std::string &updates2)
    {
        std::string error;
        ASSERT_TRUE(replica_.apply_updates(nlohmann::json::parse(updates2), 2, &error)) << error;
    }

    ovsdb::Replica replica_;
};

const char *kRows = R"({
  "Open_vSwitch": {"00000000-0000-4000-8000-000000000001": {"initial": {
      "bridges": ["set", [["uuid", "00000000-0000-4000-8000-0000000000b0"],
                          ["uuid", "00000000-0000-4000-8000-0000000000b1"]]],
      "next_cfg": 5, "cur_cfg": 4}}},
  "Bridge": {
    "00000000-0000-4000-8000-0000000000b0": {"initial": {"name": "br0",
        "ports": ["set", [["uuid", "00000000-0000-4000-8000-0000000000a0"],
                          ["uuid", "00000000-0000-4000-8000-0000000000a1"],
                          ["uuid", "00000000-0000-4000-8000-0000000000a2"]]]}},
    "00000000-0000-4000-8000-0000000000b1": {"initial": {"name": "br1",
        "ports": ["uuid", "00000000-0000-4000-8000-0000000000a3"]}}},
  "Port": {
    "00000000-0000-4000-8000-0000000000a0": {"initial": {"name": "br0",
        "interfaces": ["uuid", "00000000-0000-4000-8000-0000000000c0"]}},
    "00000000-0000-4000-8000-0000000000a1": {"initial": {"name": "bond0", "tag": 10,
        "trunks": ["set", [30, 20]], "bond_mode": "balance-slb", "lacp": "active",
        "bond_updelay": 100, "bond_active_slave": "00:11:22:33:44:55",
        "interfaces": ["set", [["uuid", "00000000-0000-4000-8000-0000000000c1"],
                               ["uuid", "00000000-0000-4000-8000-0000000000c2"]]]}},
    "00000000-0000-4000-8000-0000000000a2": {"initial": {"name": "clash",
        "interfaces": ["uuid", "00000000-0000-4000-8000-0000000000c3"]}},
    "00000000-0000-4000-8000-0000000000a3": {"initial": {"name": "br1",
        "interfaces": ["uuid", "00000000-0000-4000-8000-0000000000c4"]}}},
  "Interface": {
    "00000000-0000-4000-8000-0000000000c0": {"initial": {"name": "br0", "type": "internal",
        "ofport": 65534}},
    "00000000-0000-4000-8000-0000000000c1": {"initial": {"name": "eth1", "ofport": 3,
        "ofport_request": 9, "options": ["map", [["k", "v"]]]}},
    "00000000-0000-4000-8000-0000000000c2": {"initial": {"name": "eth2", "mac": "not-a-mac"}},
    "00000000-0000-4000-8000-0000000000c3": {"initial": {"name": "br1"}},
    "00000000-0000-4000-8000-0000000000c4": {"initial": {"name": "br1", "type": "internal"}}}
})";

TEST_F(DbSettingsTest, RowsBecomeSettings)
{
    load(kRows);
    DbConfig c = read_db_config(replica_);
    EXPECT_EQ(c.next_cfg, 5);
    EXPECT_EQ(c.cur_cfg, 4);
    ASSERT_EQ(c.bridges.size(), 2u);
    const BridgeSettings &br0 = c.bridges[0];
    EXPECT_EQ(br0.name, "br0");
    ASSERT_EQ(br0.ports.size(), 3u);
    const PortSettings &bond = br0.ports[0];      /* Ports sorted by name. */
    EXPECT_EQ(bond.name, "bond0");
    EXPECT_EQ(bond.vlan.mode, ofproto::VlanMode::kAccess) << "a tag without vlan_mode";
    EXPECT_EQ(bond.vlan.tag, 10);
    EXPECT_EQ(bond.vlan.trunks, (std::vector<uint16_t>{20, 30}));
    EXPECT_EQ(bond.bond.bond_mode, "balance-slb");
    EXPECT_EQ(bond.bond.lacp, "active");
    EXPECT_EQ(bond.bond.updelay, 100);
    EXPECT_EQ(bond.bond.active_member->to_string(), "00:11:22:33:44:55");
    ASSERT_EQ(bond.interfaces.size(), 1u) << "eth2 is rejected";
    EXPECT_EQ(bond.interfaces[0].name, "eth1");
    EXPECT_EQ(bond.interfaces[0].ofport_request, 9);
    EXPECT_EQ(bond.interfaces[0].previous_ofport, 3);
    EXPECT_EQ(bond.interfaces[0].options.at("k"), "v");
    EXPECT_EQ(c.rejected_interfaces.at("00000000-0000-4000-8000-0000000000c2"),
              "\"not-a-mac\" in column mac is not a unicast Ethernet address");

    /* An interface of br0 named after bridge br1 loses to br1's own. */
    EXPECT_TRUE(br0.ports[2].interfaces.empty());
    EXPECT_EQ(c.rejected_interfaces.at("00000000-0000-4000-8000-0000000000c3"),
              "the name br1 is already used by bridge br1");
    ASSERT_EQ(c.bridges[1].ports.size(), 1u);
    EXPECT_EQ(c.bridges[1].ports[0].interfaces.size(), 1u);
    EXPECT_EQ(c.interface_uuids.at("br1"), "00000000-0000-4000-8000-0000000000c4");
}

TEST_F(DbSettingsTest, EmptyDatabase)
{
    DbConfig c = read_db_config(replica_);
    EXPECT_TRUE(c.root_uuid.empty());
    EXPECT_TRUE(c.bridges.empty());
}

}  // namespace
}  // namespace braid
