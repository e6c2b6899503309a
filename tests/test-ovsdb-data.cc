/* Unit tests for OVSDB column types, atoms and datums (lib/ovsdb-data.cc).
 *
 * The diff tests replay messages recorded from a real ovsdb-server 3.1.0
 * (Debian 12) serving vswitch.ovsschema 8.3.1.  They were captured by a
 * monitor_cond client (params [db, null, {...}]) on the server's unix
 * socket while ovs-vsctl --no-wait made the changes named in each constant;
 * the texts are copied byte for byte. */
#include <config.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/ovsdb-data.h"

namespace braid::ovsdb {
namespace {

using nlohmann::json;

/* Recording 1: right after "init", "add-br br0" and "add-port br0 p1"; the
 * client monitored the columns of kColumns1.  The changes, in order (all
 * "ovs-vsctl --no-wait"): set Port p1 trunks=1,2; trunks=2,3; tag=20; clear
 * tag; other_config:a=1; other_config:a=2; remove other_config a; add-port
 * br0 p2; set Interface p1 ofport=1; statistics:rx_packets=5
 * statistics:tx_packets=3; statistics:rx_packets=7; remove statistics
 * tx_packets; set Port p1 bond_mode=balance-slb; clear bond_mode; trunks=5;
 * clear trunks; set Bridge br0 datapath_id=0000aabbccddeeff; set Interface
 * p1 options:remote_ip=10.0.0.1 options:key=flow; ofport=-1; clear ofport;
 * del-port br0 p2. */
constexpr const char *kRec1Initial =
    R"json({"id":1,"result":{"Bridge":{"05aae607-c465-4203-a141-9a6c015a2e4a":{"initial":{"name":"br0","ports":["set",[["uuid","14bedb07-14ab-4d0e-94f3-a4e59163e7b6"],["uuid","bca5b619-2437-4853-8f5c-8d7eb2814821"]]]}}},"Interface":{"41c37456-30a0-4b36-97c7-35d65b68a6a4":{"initial":{"name":"br0","type":"internal"}},"7c41555e-545c-4888-af57-1e4abb03b579":{"initial":{"name":"p1"}}},"Open_vSwitch":{"38c0aa83-3cc6-4a30-aea8-fa8a2886bc09":{"initial":{"bridges":["uuid","05aae607-c465-4203-a141-9a6c015a2e4a"]}}},"Port":{"14bedb07-14ab-4d0e-94f3-a4e59163e7b6":{"initial":{"interfaces":["uuid","41c37456-30a0-4b36-97c7-35d65b68a6a4"],"name":"br0"}},"bca5b619-2437-4853-8f5c-8d7eb2814821":{"initial":{"interfaces":["uuid","7c41555e-545c-4888-af57-1e4abb03b579"],"name":"p1"}}}},"error":null})json";
constexpr const char *kRec1Trunks12 =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"trunks":["set",[1,2]]}}}}]})json";
constexpr const char *kRec1Trunks23 =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"trunks":["set",[1,3]]}}}}]})json";
constexpr const char *kRec1Tag20 =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"tag":20}}}}]})json";
constexpr const char *kRec1TagClear =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"tag":["set",[]]}}}}]})json";
constexpr const char *kRec1OtherA1 =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"other_config":["map",[["a","1"]]]}}}}]})json";
constexpr const char *kRec1OtherA2 =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"other_config":["map",[["a","2"]]]}}}}]})json";
constexpr const char *kRec1OtherRemoveA =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"other_config":["map",[["a","2"]]]}}}}]})json";
constexpr const char *kRec1AddP2 =
    R"json({"id":null,"method":"update2","params":[null,{"Bridge":{"05aae607-c465-4203-a141-9a6c015a2e4a":{"modify":{"ports":["uuid","0dc7248d-2151-4d40-bbb1-1df124428b4d"]}}},"Interface":{"36e80386-52cb-4261-bfea-969c65674035":{"insert":{"name":"p2"}}},"Port":{"0dc7248d-2151-4d40-bbb1-1df124428b4d":{"insert":{"interfaces":["uuid","36e80386-52cb-4261-bfea-969c65674035"],"name":"p2"}}}}]})json";
constexpr const char *kRec1Ofport1 =
    R"json({"id":null,"method":"update2","params":[null,{"Interface":{"7c41555e-545c-4888-af57-1e4abb03b579":{"modify":{"ofport":1}}}}]})json";
constexpr const char *kRec1Stats1 =
    R"json({"id":null,"method":"update2","params":[null,{"Interface":{"7c41555e-545c-4888-af57-1e4abb03b579":{"modify":{"statistics":["map",[["rx_packets",5],["tx_packets",3]]]}}}}]})json";
constexpr const char *kRec1Stats2 =
    R"json({"id":null,"method":"update2","params":[null,{"Interface":{"7c41555e-545c-4888-af57-1e4abb03b579":{"modify":{"statistics":["map",[["rx_packets",7]]]}}}}]})json";
constexpr const char *kRec1Stats3 =
    R"json({"id":null,"method":"update2","params":[null,{"Interface":{"7c41555e-545c-4888-af57-1e4abb03b579":{"modify":{"statistics":["map",[["tx_packets",3]]]}}}}]})json";
constexpr const char *kRec1BondSlb =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"bond_mode":"balance-slb"}}}}]})json";
constexpr const char *kRec1BondClear =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"bond_mode":["set",[]]}}}}]})json";
constexpr const char *kRec1Trunks5 =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"trunks":["set",[2,3,5]]}}}}]})json";
constexpr const char *kRec1TrunksClear =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"trunks":5}}}}]})json";
constexpr const char *kRec1DatapathId =
    R"json({"id":null,"method":"update2","params":[null,{"Bridge":{"05aae607-c465-4203-a141-9a6c015a2e4a":{"modify":{"datapath_id":"0000aabbccddeeff"}}}}]})json";
constexpr const char *kRec1Options =
    R"json({"id":null,"method":"update2","params":[null,{"Interface":{"7c41555e-545c-4888-af57-1e4abb03b579":{"modify":{"options":["map",[["key","flow"],["remote_ip","10.0.0.1"]]]}}}}]})json";
constexpr const char *kRec1OfportMinus1 =
    R"json({"id":null,"method":"update2","params":[null,{"Interface":{"7c41555e-545c-4888-af57-1e4abb03b579":{"modify":{"ofport":-1}}}}]})json";
constexpr const char *kRec1OfportClear =
    R"json({"id":null,"method":"update2","params":[null,{"Interface":{"7c41555e-545c-4888-af57-1e4abb03b579":{"modify":{"ofport":["set",[]]}}}}]})json";
constexpr const char *kRec1DelP2 =
    R"json({"id":null,"method":"update2","params":[null,{"Bridge":{"05aae607-c465-4203-a141-9a6c015a2e4a":{"modify":{"ports":["uuid","0dc7248d-2151-4d40-bbb1-1df124428b4d"]}}},"Interface":{"36e80386-52cb-4261-bfea-969c65674035":{"delete":null}},"Port":{"0dc7248d-2151-4d40-bbb1-1df124428b4d":{"delete":null}}}]})json";

/* Recording 2: a new client, later on the same database, monitoring also
 * Bridge.stp_enable and Interface.cfm_fault (see columns2()).  The changes:
 * set Port p1 other_config:b=1 other_config:c=2; other_config:b=9
 * other_config:d=4 -- remove Port p1 other_config c; set Bridge br0
 * stp_enable=true; stp_enable=false; set Interface p1 cfm_fault=true;
 * add-port br0 p3 -- add-port br0 p4; del-port br0 p3 -- add-port br0 p5;
 * set Port p1 trunks=10,20,30; trunks=20,40. */
constexpr const char *kRec2Initial =
    R"json({"id":1,"result":{"Bridge":{"05aae607-c465-4203-a141-9a6c015a2e4a":{"initial":{"datapath_id":"0000aabbccddeeff","name":"br0","ports":["set",[["uuid","14bedb07-14ab-4d0e-94f3-a4e59163e7b6"],["uuid","bca5b619-2437-4853-8f5c-8d7eb2814821"]]]}}},"Interface":{"41c37456-30a0-4b36-97c7-35d65b68a6a4":{"initial":{"name":"br0","type":"internal"}},"7c41555e-545c-4888-af57-1e4abb03b579":{"initial":{"name":"p1","options":["map",[["key","flow"],["remote_ip","10.0.0.1"]]],"statistics":["map",[["rx_packets",7]]]}}},"Open_vSwitch":{"38c0aa83-3cc6-4a30-aea8-fa8a2886bc09":{"initial":{"bridges":["uuid","05aae607-c465-4203-a141-9a6c015a2e4a"]}}},"Port":{"14bedb07-14ab-4d0e-94f3-a4e59163e7b6":{"initial":{"interfaces":["uuid","41c37456-30a0-4b36-97c7-35d65b68a6a4"],"name":"br0"}},"bca5b619-2437-4853-8f5c-8d7eb2814821":{"initial":{"interfaces":["uuid","7c41555e-545c-4888-af57-1e4abb03b579"],"name":"p1"}}}},"error":null})json";
constexpr const char *kRec2OtherBC =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"other_config":["map",[["b","1"],["c","2"]]]}}}}]})json";
constexpr const char *kRec2OtherB9D4 =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"other_config":["map",[["b","9"],["c","2"],["d","4"]]]}}}}]})json";
constexpr const char *kRec2StpTrue =
    R"json({"id":null,"method":"update2","params":[null,{"Bridge":{"05aae607-c465-4203-a141-9a6c015a2e4a":{"modify":{"stp_enable":true}}}}]})json";
constexpr const char *kRec2StpFalse =
    R"json({"id":null,"method":"update2","params":[null,{"Bridge":{"05aae607-c465-4203-a141-9a6c015a2e4a":{"modify":{"stp_enable":false}}}}]})json";
constexpr const char *kRec2CfmTrue =
    R"json({"id":null,"method":"update2","params":[null,{"Interface":{"7c41555e-545c-4888-af57-1e4abb03b579":{"modify":{"cfm_fault":true}}}}]})json";
constexpr const char *kRec2AddP3P4 =
    R"json({"id":null,"method":"update2","params":[null,{"Bridge":{"05aae607-c465-4203-a141-9a6c015a2e4a":{"modify":{"ports":["set",[["uuid","1453176f-8d8e-4203-824d-51270bf28b4f"],["uuid","23eb09a7-6188-474d-b3ad-6c20f37f2c78"]]]}}},"Interface":{"0788a2f5-fdb0-4229-a03a-73e9281dd7d1":{"insert":{"name":"p3"}},"bd209289-213b-4552-bdc9-7889da022de5":{"insert":{"name":"p4"}}},"Port":{"1453176f-8d8e-4203-824d-51270bf28b4f":{"insert":{"interfaces":["uuid","0788a2f5-fdb0-4229-a03a-73e9281dd7d1"],"name":"p3"}},"23eb09a7-6188-474d-b3ad-6c20f37f2c78":{"insert":{"interfaces":["uuid","bd209289-213b-4552-bdc9-7889da022de5"],"name":"p4"}}}}]})json";
constexpr const char *kRec2DelP3AddP5 =
    R"json({"id":null,"method":"update2","params":[null,{"Bridge":{"05aae607-c465-4203-a141-9a6c015a2e4a":{"modify":{"ports":["set",[["uuid","1453176f-8d8e-4203-824d-51270bf28b4f"],["uuid","5f7b9f29-07cb-49d7-a9c5-da2650725846"]]]}}},"Interface":{"0788a2f5-fdb0-4229-a03a-73e9281dd7d1":{"delete":null},"d0ca8941-b7bc-4303-9684-69b2ff99c312":{"insert":{"name":"p5"}}},"Port":{"1453176f-8d8e-4203-824d-51270bf28b4f":{"delete":null},"5f7b9f29-07cb-49d7-a9c5-da2650725846":{"insert":{"interfaces":["uuid","d0ca8941-b7bc-4303-9684-69b2ff99c312"],"name":"p5"}}}}]})json";
constexpr const char *kRec2Trunks102030 =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"trunks":["set",[10,20,30]]}}}}]})json";
constexpr const char *kRec2Trunks2040 =
    R"json({"id":null,"method":"update2","params":[null,{"Port":{"bca5b619-2437-4853-8f5c-8d7eb2814821":{"modify":{"trunks":["set",[10,30,40]]}}}}]})json";

/* Row uuids of the recordings. */
constexpr const char *kBridgeBr0 = "05aae607-c465-4203-a141-9a6c015a2e4a";
constexpr const char *kPortBr0 = "14bedb07-14ab-4d0e-94f3-a4e59163e7b6";
constexpr const char *kPortP1 = "bca5b619-2437-4853-8f5c-8d7eb2814821";
constexpr const char *kPortP2 = "0dc7248d-2151-4d40-bbb1-1df124428b4d";
constexpr const char *kPortP4 = "23eb09a7-6188-474d-b3ad-6c20f37f2c78";
constexpr const char *kPortP5 = "5f7b9f29-07cb-49d7-a9c5-da2650725846";
constexpr const char *kIfaceP1 = "7c41555e-545c-4888-af57-1e4abb03b579";

/* Column types, copied from vswitch.ovsschema 8.3.1. */
constexpr const char *kTrunksType =
    R"({"key": {"type": "integer", "minInteger": 0, "maxInteger": 4095}, "min": 0, "max": 4096})";
constexpr const char *kTagType =
    R"({"key": {"type": "integer", "minInteger": 0, "maxInteger": 4095}, "min": 0, "max": 1})";
constexpr const char *kStringMapType =
    R"({"key": "string", "value": "string", "min": 0, "max": "unlimited"})";
constexpr const char *kStatisticsType =
    R"({"key": "string", "value": "integer", "min": 0, "max": "unlimited"})";
constexpr const char *kPortsType =
    R"({"key": {"type": "uuid", "refTable": "Port"}, "min": 0, "max": "unlimited"})";
constexpr const char *kInterfacesType =
    R"({"key": {"type": "uuid", "refTable": "Interface"}, "min": 1, "max": "unlimited"})";
constexpr const char *kOfportType = R"({"key": "integer", "min": 0, "max": 1})";
constexpr const char *kBondModeType =
    R"({"key": {"type": "string",)"
    R"( "enum": ["set", ["balance-tcp", "balance-slb", "active-backup"]]}, "min": 0, "max": 1})";
constexpr const char *kOptionalStringType = R"({"key": "string", "min": 0, "max": 1})";
constexpr const char *kFailModeType =
    R"({"key": {"type": "string", "enum": ["set", ["standalone", "secure"]]}, "min": 0, "max": 1})";
constexpr const char *kOptionalBooleanType = R"({"key": {"type": "boolean"}, "min": 0, "max": 1})";

using ColumnTypes = std::map<std::string, std::map<std::string, std::string>>;

/* The columns monitored in recording 1, with their types. */
const ColumnTypes kColumns1 = {
    {"Open_vSwitch", {{"next_cfg", R"("integer")"},
                      {"cur_cfg", R"("integer")"},
                      {"bridges", R"({"key": {"type": "uuid", "refTable": "Bridge"},)"
                                  R"( "min": 0, "max": "unlimited"})"},
                      {"external_ids", kStringMapType}}},
    {"Bridge", {{"name", R"("string")"},
                {"ports", kPortsType},
                {"datapath_id", kOptionalStringType},
                {"other_config", kStringMapType},
                {"fail_mode", kFailModeType}}},
    {"Port", {{"name", R"("string")"},
              {"interfaces", kInterfacesType},
              {"trunks", kTrunksType},
              {"tag", kTagType},
              {"other_config", kStringMapType},
              {"bond_mode", kBondModeType}}},
    {"Interface", {{"name", R"("string")"},
                   {"type", R"("string")"},
                   {"ofport", kOfportType},
                   {"statistics", kStatisticsType},
                   {"options", kStringMapType}}},
};

/* Recording 2 monitored the same columns plus Bridge.stp_enable and
 * Interface.cfm_fault. */
ColumnTypes columns2()
{
    ColumnTypes types = kColumns1;
    types["Bridge"]["stp_enable"] = R"("boolean")";
    types["Interface"]["cfm_fault"] = kOptionalBooleanType;
    return types;
}

/* Parses 'text', a test literal known to be valid JSON. */
json parse(const std::string &text)
{
    json j = json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << text;
    return j;
}

/* Parses the column type 'text', which must be valid. */
ColumnType type_of(const std::string &text)
{
    std::string error;
    std::optional<ColumnType> type = ColumnType::from_json(parse(text), &error);
    EXPECT_TRUE(type.has_value()) << text << ": " << error;
    return type.value_or(ColumnType{});
}

/* Parses the datum 'text' of 'type', which must be valid. */
Datum datum_of(const std::string &text, const ColumnType &type)
{
    std::string error;
    std::optional<Datum> d = Datum::from_json(parse(text), type, &error);
    EXPECT_TRUE(d.has_value()) << text << ": " << error;
    return d.value_or(Datum{});
}

/* Expects the datum 'text' of 'type' to be rejected with exactly 'message'. */
void expect_rejected(const std::string &text, const ColumnType &type, const std::string &message)
{
    SCOPED_TRACE(text);
    std::string error;
    EXPECT_FALSE(Datum::from_json(parse(text), type, &error).has_value());
    EXPECT_EQ(error, message);
    EXPECT_FALSE(Datum::from_json(parse(text), type, nullptr).has_value());
}

/* Expects the column type 'text' to be rejected with exactly 'message'. */
void expect_type_rejected(const std::string &text, const std::string &message)
{
    SCOPED_TRACE(text);
    std::string error;
    EXPECT_FALSE(ColumnType::from_json(parse(text), &error).has_value());
    EXPECT_EQ(error, message);
}

/* Expects 'text', a datum of 'type' in the form OVS sends it, to parse and
 * to serialise back to exactly 'text'. */
void expect_round_trip(const std::string &text, const ColumnType &type)
{
    SCOPED_TRACE(text);
    std::string error;
    std::optional<Datum> d = Datum::from_json(parse(text), type, &error);
    ASSERT_TRUE(d.has_value()) << error;
    EXPECT_EQ(d->to_json(type).dump(), text);
}

Atom int_atom(int64_t v)
{
    return Atom(v);
}

Atom str_atom(const char *s)
{
    return Atom(std::string(s));
}

Atom uuid_atom(const char *s)
{
    return Atom(Uuid{s});
}

/* The "modify" diff of 'column' of row 'row' of 'table' in the update2
 * notification 'message', parsed as a diff of 'type'. */
Datum recorded_diff(const char *message, const char *table, const char *row, const char *column,
                    const ColumnType &type)
{
    json j = parse(message);
    EXPECT_EQ(j.value("method", ""), "update2");
    const json &modify = j["params"][1][table][row]["modify"];
    EXPECT_TRUE(modify.contains(column)) << message;
    std::string error;
    std::optional<Datum> diff = Datum::diff_from_json(modify[column], type, &error);
    EXPECT_TRUE(diff.has_value()) << error;
    return diff.value_or(Datum{});
}

/* A client-side copy of the monitored rows, maintained from monitor_cond
 * replies and update2 notifications as an IDL would. */
class Replica {
public:
    explicit Replica(const ColumnTypes &types)
    {
        for (const auto &[table, columns] : types) {
            for (const auto &[column, type] : columns) {
                types_[table][column] = type_of(type);
            }
        }
    }

    /* Applies the recorded monitor_cond reply or update2 notification
     * 'message'. */
    void apply(const char *message)
    {
        SCOPED_TRACE(message);
        json j = parse(message);
        const json &updates = j.contains("result") ? j["result"] : j["params"][1];
        ASSERT_TRUE(updates.is_object());
        for (const auto &table : updates.items()) {
            ASSERT_TRUE(types_.count(table.key())) << table.key();
            for (const auto &row : table.value().items()) {
                apply_row(table.key(), row.key(), row.value());
            }
        }
    }

    /* The value of 'column' of row 'row' of 'table' (the row must exist). */
    const Datum &get(const std::string &table, const std::string &row,
                     const std::string &column) const
    {
        return rows_.at(table).at(row).at(column);
    }

    bool has_row(const std::string &table, const std::string &row) const
    {
        auto it = rows_.find(table);
        return it != rows_.end() && it->second.count(row);
    }

    const ColumnType &type(const std::string &table, const std::string &column) const
    {
        return types_.at(table).at(column);
    }

    /* Table name to row uuid to column name to value. */
    using Rows = std::map<std::string, std::map<std::string, std::map<std::string, Datum>>>;
    const Rows &rows() const { return rows_; }

private:
    void apply_row(const std::string &table, const std::string &row, const json &update)
    {
        ASSERT_TRUE(update.is_object() && update.size() == 1) << update.dump();
        const std::string &kind = update.begin().key();
        const json &value = update.begin().value();
        const auto &columns = types_.at(table);
        std::string error;
        if (kind == "initial" || kind == "insert") {
            ASSERT_FALSE(has_row(table, row));
            auto &values = rows_[table][row];
            for (const auto &[column, type] : columns) {
                values[column] = Datum::default_of(type);
            }
            for (const auto &item : value.items()) {
                ASSERT_TRUE(columns.count(item.key())) << item.key();
                std::optional<Datum> d = Datum::from_json(item.value(), columns.at(item.key()),
                                                          &error);
                ASSERT_TRUE(d.has_value()) << item.key() << ": " << error;
                values[item.key()] = *d;
            }
        } else if (kind == "modify") {
            ASSERT_TRUE(has_row(table, row));
            auto &values = rows_[table][row];
            for (const auto &item : value.items()) {
                ASSERT_TRUE(columns.count(item.key())) << item.key();
                const ColumnType &type = columns.at(item.key());
                std::optional<Datum> diff = Datum::diff_from_json(item.value(), type, &error);
                ASSERT_TRUE(diff.has_value()) << item.key() << ": " << error;
                ASSERT_TRUE(values[item.key()].apply_diff(*diff, type, &error))
                    << item.key() << ": " << error;
            }
        } else if (kind == "delete") {
            ASSERT_TRUE(value.is_null());
            ASSERT_EQ(rows_[table].erase(row), 1u);
        } else {
            FAIL() << "unknown update kind " << kind;
        }
    }

    std::map<std::string, std::map<std::string, ColumnType>> types_;
    Rows rows_;
};

TEST(OvsdbAtomicType, NamesRoundTrip)
{
    const std::pair<AtomicType, const char *> names[] = {
        {AtomicType::kInteger, "integer"}, {AtomicType::kReal, "real"},
        {AtomicType::kBoolean, "boolean"}, {AtomicType::kString, "string"},
        {AtomicType::kUuid, "uuid"},
    };
    for (const auto &[type, name] : names) {
        EXPECT_STREQ(atomic_type_to_string(type), name);
        EXPECT_EQ(atomic_type_from_string(name), type);
    }
    EXPECT_FALSE(atomic_type_from_string("int").has_value());
    EXPECT_FALSE(atomic_type_from_string("Integer").has_value());
    EXPECT_FALSE(atomic_type_from_string("").has_value());
}

TEST(OvsdbUuid, Parse)
{
    EXPECT_EQ(Uuid::parse("05aae607-c465-4203-a141-9a6c015a2e4a"),
              Uuid{"05aae607-c465-4203-a141-9a6c015a2e4a"});
    /* Upper case is accepted and stored lower case. */
    EXPECT_EQ(Uuid::parse("05AAE607-C465-4203-A141-9A6C015A2E4A"),
              Uuid{"05aae607-c465-4203-a141-9a6c015a2e4a"});
    EXPECT_FALSE(Uuid::parse("05aae607-c465-4203-a141-9a6c015a2e4").has_value());
    EXPECT_FALSE(Uuid::parse("05aae607-c465-4203-a141-9a6c015a2e4aa").has_value());
    EXPECT_FALSE(Uuid::parse("05aae607c-465-4203-a141-9a6c015a2e4a").has_value());
    EXPECT_FALSE(Uuid::parse("05aae607-c465-4203-a141-9a6c015a2e4g").has_value());
    EXPECT_FALSE(Uuid::parse("05aae607 c465-4203-a141-9a6c015a2e4a").has_value());
    EXPECT_FALSE(Uuid::parse("").has_value());

    EXPECT_EQ(Uuid::named("row1").text, "@row1");
    EXPECT_TRUE(Uuid::named("row1").is_named());
    EXPECT_FALSE(Uuid{"05aae607-c465-4203-a141-9a6c015a2e4a"}.is_named());
}

TEST(OvsdbAtom, TypesAndOrdering)
{
    EXPECT_EQ(atom_type(int_atom(1)), AtomicType::kInteger);
    EXPECT_EQ(atom_type(Atom(1.5)), AtomicType::kReal);
    EXPECT_EQ(atom_type(Atom(true)), AtomicType::kBoolean);
    EXPECT_EQ(atom_type(str_atom("a")), AtomicType::kString);
    EXPECT_EQ(atom_type(uuid_atom("05aae607-c465-4203-a141-9a6c015a2e4a")), AtomicType::kUuid);

    EXPECT_LT(int_atom(-5), int_atom(3));
    EXPECT_LT(int_atom(9), int_atom(10));
    EXPECT_LT(Atom(-0.5), Atom(0.25));
    EXPECT_LT(Atom(false), Atom(true));
    /* Strings order bytewise: upper case before lower case, a prefix first. */
    EXPECT_LT(str_atom("B"), str_atom("a"));
    EXPECT_LT(str_atom("a"), str_atom("ab"));
    EXPECT_LT(str_atom("ab"), str_atom("b"));
    EXPECT_LT(uuid_atom("0dc7248d-2151-4d40-bbb1-1df124428b4d"),
              uuid_atom("14bedb07-14ab-4d0e-94f3-a4e59163e7b6"));
    /* Atoms of different types are never equal. */
    EXPECT_NE(int_atom(1), Atom(1.0));
    EXPECT_NE(int_atom(1), Atom(true));
    EXPECT_NE(str_atom("05aae607-c465-4203-a141-9a6c015a2e4a"),
              uuid_atom("05aae607-c465-4203-a141-9a6c015a2e4a"));
}

TEST(OvsdbColumnType, AtomicForm)
{
    ColumnType t = type_of(R"("integer")");
    EXPECT_EQ(t.key, AtomicType::kInteger);
    EXPECT_FALSE(t.value.has_value());
    EXPECT_EQ(t.min, 1u);
    EXPECT_EQ(t.max, 1u);
    EXPECT_TRUE(t.is_scalar_like());
    EXPECT_FALSE(t.is_set());
    EXPECT_FALSE(t.is_map());
    EXPECT_TRUE(t.key_enum.empty());
    EXPECT_FALSE(t.key_min_integer.has_value());
    EXPECT_FALSE(t.key_max_integer.has_value());

    EXPECT_EQ(type_of(R"("real")").key, AtomicType::kReal);
    EXPECT_EQ(type_of(R"("boolean")").key, AtomicType::kBoolean);
    EXPECT_EQ(type_of(R"("string")").key, AtomicType::kString);
    EXPECT_EQ(type_of(R"("uuid")").key, AtomicType::kUuid);
}

TEST(OvsdbColumnType, ObjectForm)
{
    ColumnType trunks = type_of(kTrunksType);
    EXPECT_EQ(trunks.key, AtomicType::kInteger);
    EXPECT_FALSE(trunks.value.has_value());
    EXPECT_EQ(trunks.min, 0u);
    EXPECT_EQ(trunks.max, 4096u);
    EXPECT_EQ(trunks.key_min_integer, 0);
    EXPECT_EQ(trunks.key_max_integer, 4095);
    EXPECT_TRUE(trunks.is_set());
    EXPECT_FALSE(trunks.is_scalar_like());

    ColumnType map = type_of(kStatisticsType);
    EXPECT_EQ(map.key, AtomicType::kString);
    EXPECT_EQ(map.value, AtomicType::kInteger);
    EXPECT_EQ(map.min, 0u);
    EXPECT_EQ(map.max, UINT32_MAX);
    EXPECT_TRUE(map.is_map());
    EXPECT_FALSE(map.is_set());

    ColumnType ports = type_of(kPortsType);
    EXPECT_EQ(ports.key, AtomicType::kUuid);
    EXPECT_EQ(ports.key_ref_table, "Port");
    EXPECT_EQ(ports.value_ref_table, "");

    ColumnType refs = type_of(
        R"({"key": "string", "value": {"type": "uuid", "refTable": "Queue", "refType": "weak"},)"
        R"( "min": 1, "max": 7})");
    EXPECT_EQ(refs.value, AtomicType::kUuid);
    EXPECT_EQ(refs.value_ref_table, "Queue");
    EXPECT_EQ(refs.key_ref_table, "");
    EXPECT_EQ(refs.min, 1u);
    EXPECT_EQ(refs.max, 7u);

    /* The enum is kept sorted. */
    ColumnType bond = type_of(kBondModeType);
    EXPECT_EQ(bond.key_enum, (std::vector<Atom>{str_atom("active-backup"), str_atom("balance-slb"),
                                                str_atom("balance-tcp")}));
    EXPECT_EQ(bond.min, 0u);
    EXPECT_EQ(bond.max, 1u);

    /* An enum of one value may be a bare atom. */
    ColumnType one = type_of(R"({"key": {"type": "string", "enum": "only"}})");
    EXPECT_EQ(one.key_enum, std::vector<Atom>{str_atom("only")});
    EXPECT_EQ(one.min, 1u);
    EXPECT_EQ(one.max, 1u);

    /* Unknown members and constraints Braid does not keep are ignored. */
    ColumnType other = type_of(
        R"({"key": {"type": "string", "minLength": 1, "maxLength": 8, "frobnicate": [1]},)"
        R"( "value": {"type": "real", "minReal": 0.5, "enum": ["set", [1.5, 2.5]]},)"
        R"( "min": 0, "max": "unlimited", "extra": true})");
    EXPECT_EQ(other.key, AtomicType::kString);
    EXPECT_EQ(other.value, AtomicType::kReal);
    EXPECT_TRUE(other.key_enum.empty());
    EXPECT_EQ(other.max, UINT32_MAX);

    /* A "max" beyond 32 bits means no limit. */
    EXPECT_EQ(type_of(R"({"key": "integer", "max": 99999999999})").max, UINT32_MAX);
}

TEST(OvsdbColumnType, Rejections)
{
    expect_type_rejected(R"("int")", R"(unknown atomic type "int")");
    expect_type_rejected("5", "type must be a string or an object, got 5");
    expect_type_rejected("null", "type must be a string or an object, got null");
    expect_type_rejected("{}", R"(type has no "key")");
    expect_type_rejected(R"({"value": "string"})", R"(type has no "key")");
    expect_type_rejected(R"({"key": "foo"})", R"("key" has unknown atomic type "foo")");
    expect_type_rejected(R"({"key": {"type": 1}})", R"("key" has unknown atomic type 1)");
    expect_type_rejected(R"({"key": {"enum": "a"}})", R"("key" has no "type")");
    expect_type_rejected(R"({"key": ["string"]})",
                         R"("key" must be a string or an object, got ["string"])");
    expect_type_rejected(R"({"key": "string", "value": 7})",
                         R"("value" must be a string or an object, got 7)");
    expect_type_rejected(R"({"key": "string", "value": "map"})",
                         R"("value" has unknown atomic type "map")");
    expect_type_rejected(R"({"key": {"type": "integer", "enum": ["set", ["a"]]}})",
                         R"("enum" of "key" is invalid: expected an integer, got "a")");
    expect_type_rejected(R"({"key": {"type": "integer", "minInteger": "0"}})",
                         R"("minInteger" of "key" must be an integer, got "0")");
    expect_type_rejected(R"({"key": {"type": "integer", "maxInteger": 1.5}})",
                         R"("maxInteger" of "key" must be an integer, got 1.5)");
    expect_type_rejected(R"({"key": {"type": "uuid", "refTable": 5}})",
                         R"("refTable" of "key" must be a string, got 5)");
    expect_type_rejected(R"({"key": "string", "min": 2})", R"("min" must be 0 or 1, got 2)");
    expect_type_rejected(R"({"key": "string", "min": -1})", R"("min" must be 0 or 1, got -1)");
    expect_type_rejected(R"({"key": "string", "min": "0"})", R"("min" must be 0 or 1, got "0")");
    expect_type_rejected(R"({"key": "string", "max": 0})",
                         R"("max" must be a positive integer or "unlimited", got 0)");
    expect_type_rejected(R"({"key": "string", "max": "lots"})",
                         R"("max" must be a positive integer or "unlimited", got "lots")");
    expect_type_rejected(R"({"key": "string", "max": 2.0})",
                         R"("max" must be a positive integer or "unlimited", got 2.0)");
    EXPECT_FALSE(ColumnType::from_json(parse(R"("int")"), nullptr).has_value());
}

TEST(OvsdbDatum, RoundTripsOfEveryShape)
{
    /* Scalars. */
    expect_round_trip("42", type_of(R"("integer")"));
    expect_round_trip("-7", type_of(R"("integer")"));
    expect_round_trip("9223372036854775807", type_of(R"("integer")"));
    expect_round_trip("-9223372036854775808", type_of(R"("integer")"));
    expect_round_trip("1.5", type_of(R"("real")"));
    expect_round_trip("true", type_of(R"("boolean")"));
    expect_round_trip("false", type_of(R"("boolean")"));
    expect_round_trip(R"("br0")", type_of(R"("string")"));
    expect_round_trip(R"("")", type_of(R"("string")"));
    expect_round_trip(R"(["uuid","05aae607-c465-4203-a141-9a6c015a2e4a"])", type_of(R"("uuid")"));
    expect_round_trip(R"(["named-uuid","row1"])", type_of(R"("uuid")"));

    /* Optional values. */
    expect_round_trip(R"(["set",[]])", type_of(kTagType));
    expect_round_trip("20", type_of(kTagType));
    expect_round_trip(R"(["set",[]])", type_of(kOptionalStringType));
    expect_round_trip(R"("0000aabbccddeeff")", type_of(kOptionalStringType));

    /* Sets. */
    expect_round_trip(R"(["set",[]])", type_of(kTrunksType));
    expect_round_trip("5", type_of(kTrunksType));
    expect_round_trip(R"(["set",[1,2,4095]])", type_of(kTrunksType));
    expect_round_trip(R"(["uuid","41c37456-30a0-4b36-97c7-35d65b68a6a4"])",
                      type_of(kInterfacesType));
    expect_round_trip(
        R"(["set",[["uuid","14bedb07-14ab-4d0e-94f3-a4e59163e7b6"],)"
        R"(["uuid","bca5b619-2437-4853-8f5c-8d7eb2814821"]]])",
        type_of(kPortsType));
    expect_round_trip(R"(["set",["a","b"]])", type_of(R"({"key": "string", "max": 2})"));
    expect_round_trip(R"(["set",[0.5,1.5]])", type_of(R"({"key": "real", "max": 2})"));
    expect_round_trip(R"(["set",[false,true]])", type_of(R"({"key": "boolean", "max": 2})"));

    /* Maps, even of one pair, always have the wrapper. */
    expect_round_trip(R"(["map",[]])", type_of(kStringMapType));
    expect_round_trip(R"(["map",[["a","1"]]])", type_of(kStringMapType));
    expect_round_trip(R"(["map",[["key","flow"],["remote_ip","10.0.0.1"]]])",
                      type_of(kStringMapType));
    expect_round_trip(R"(["map",[["rx_packets",7],["tx_packets",3]]])", type_of(kStatisticsType));
    expect_round_trip(R"(["map",[[1,["uuid","05aae607-c465-4203-a141-9a6c015a2e4a"]]]])",
                      type_of(R"({"key": "integer", "value": "uuid", "max": "unlimited"})"));
}

TEST(OvsdbDatum, ParsedValues)
{
    Datum tag = datum_of("20", type_of(kTagType));
    EXPECT_EQ(tag.keys, std::vector<Atom>{int_atom(20)});
    EXPECT_TRUE(tag.values.empty());
    EXPECT_EQ(tag.as_integer(), 20);

    Datum empty = datum_of(R"(["set",[]])", type_of(kTagType));
    EXPECT_TRUE(empty.empty());
    EXPECT_EQ(empty.size(), 0u);
    EXPECT_FALSE(empty.as_integer().has_value());

    /* An integer is accepted where a real is due. */
    Datum real = datum_of("2", type_of(R"("real")"));
    EXPECT_EQ(real.as_real(), 2.0);
    EXPECT_TRUE(real.to_json(type_of(R"("real")")).is_number_float());
    EXPECT_EQ(datum_of("2.25", type_of(R"("real")")).as_real(), 2.25);

    /* Upper-case UUIDs are stored lower case. */
    Datum uuid = datum_of(R"(["uuid","05AAE607-C465-4203-A141-9A6C015A2E4A"])",
                          type_of(R"("uuid")"));
    EXPECT_EQ(uuid.as_uuid(), Uuid{"05aae607-c465-4203-a141-9a6c015a2e4a"});

    Datum named = datum_of(R"(["named-uuid","row_5"])", type_of(R"("uuid")"));
    EXPECT_EQ(named.as_uuid(), Uuid{"@row_5"});

    Datum map = datum_of(R"(["map",[["remote_ip","10.0.0.1"],["key","flow"]]])",
                         type_of(kStringMapType));
    EXPECT_EQ(map.keys, (std::vector<Atom>{str_atom("key"), str_atom("remote_ip")}));
    EXPECT_EQ(map.values, (std::vector<Atom>{str_atom("flow"), str_atom("10.0.0.1")}));
}

TEST(OvsdbDatum, SortsAndRemovesDuplicates)
{
    ColumnType trunks = type_of(kTrunksType);
    Datum d = datum_of(R"(["set",[30,10,20,10,30]])", trunks);
    EXPECT_EQ(d.integers(), (std::vector<int64_t>{10, 20, 30}));
    EXPECT_EQ(d.to_json(trunks).dump(), R"(["set",[10,20,30]])");

    ColumnType strings = type_of(R"({"key": "string", "min": 0, "max": "unlimited"})");
    EXPECT_EQ(datum_of(R"(["set",["b","B","ab","a"]])", strings).to_json(strings).dump(),
              R"(["set",["B","a","ab","b"]])");

    ColumnType map = type_of(kStatisticsType);
    EXPECT_EQ(datum_of(R"(["map",[["tx",3],["rx",5],["collisions",0]]])", map).to_json(map).dump(),
              R"(["map",[["collisions",0],["rx",5],["tx",3]]])");

    ColumnType uuids = type_of(kPortsType);
    EXPECT_EQ(
        datum_of(
            R"(["set",[["uuid","bca5b619-2437-4853-8f5c-8d7eb2814821"],)"
            R"(["uuid","14bedb07-14ab-4d0e-94f3-a4e59163e7b6"]]])",
            uuids)
            .to_json(uuids)
            .dump(),
        R"(["set",[["uuid","14bedb07-14ab-4d0e-94f3-a4e59163e7b6"],)"
        R"(["uuid","bca5b619-2437-4853-8f5c-8d7eb2814821"]]])");

    /* Duplicates count once against "max". */
    ColumnType two = type_of(R"({"key": "integer", "min": 0, "max": 2})");
    EXPECT_EQ(datum_of(R"(["set",[7,7,8,8]])", two).integers(), (std::vector<int64_t>{7, 8}));
}

TEST(OvsdbDatum, RejectsWrongAtomTypes)
{
    ColumnType integer = type_of(R"("integer")");
    expect_rejected(R"("abc")", integer, R"(expected an integer, got "abc")");
    expect_rejected("1.5", integer, "expected an integer, got 1.5");
    expect_rejected("2.0", integer, "expected an integer, got 2.0");
    expect_rejected("true", integer, "expected an integer, got true");
    expect_rejected("null", integer, "expected an integer, got null");
    expect_rejected(R"({"a":1})", integer, R"(expected an integer, got {"a":1})");
    expect_rejected(R"(["set",[1,"2"]])", type_of(kTrunksType),
                    R"(expected an integer, got "2")");

    expect_rejected(R"("1.5")", type_of(R"("real")"), R"(expected a real, got "1.5")");
    expect_rejected(R"("true")", type_of(R"("boolean")"), R"(expected a boolean, got "true")");
    expect_rejected("1", type_of(R"("boolean")"), "expected a boolean, got 1");
    expect_rejected("5", type_of(R"("string")"), "expected a string, got 5");
    expect_rejected(R"(["uuid","05aae607-c465-4203-a141-9a6c015a2e4a"])", type_of(R"("string")"),
                    R"(expected a string, got ["uuid","05aae607-c465-4203-a141-9a6c015a2e4a"])");
    expect_rejected(R"("05aae607-c465-4203-a141-9a6c015a2e4a")", type_of(R"("uuid")"),
                    R"(expected a UUID, got "05aae607-c465-4203-a141-9a6c015a2e4a")");
    expect_rejected(R"(["map",[["a",1]]])", type_of(kStringMapType),
                    "expected a string, got 1");
    expect_rejected(R"(["map",[[1,"a"]]])", type_of(kStringMapType),
                    "expected a string, got 1");

    /* Long values are cut to 60 bytes in the message. */
    expect_rejected(R"("0123456789012345678901234567890123456789012345678901234567890123456789")",
                    integer,
                    R"(expected an integer, got )"
                    R"("01234567890123456789012345678901234567890123456789012345678...)");
}

TEST(OvsdbDatum, RejectsBadUuids)
{
    ColumnType uuid = type_of(R"("uuid")");
    expect_rejected(R"(["uuid","not-a-uuid"])", uuid, R"("not-a-uuid" is not a valid UUID)");
    expect_rejected(R"(["uuid","05aae607-c465-4203-a141-9a6c015a2e4"])", uuid,
                    R"("05aae607-c465-4203-a141-9a6c015a2e4" is not a valid UUID)");
    expect_rejected(R"(["uuid",5])", uuid, R"(expected a UUID, got ["uuid",5])");
    expect_rejected(R"(["uuid"])", uuid, R"(expected a UUID, got ["uuid"])");
    expect_rejected(R"(["uuid","05aae607-c465-4203-a141-9a6c015a2e4a","x"])", uuid,
                    R"(expected a UUID, got ["uuid","05aae607-c465-4203-a141-9a6c015a2e4a","x"])");
    expect_rejected(R"(["named-uuid","1row"])", uuid,
                    R"("1row" is not a valid named-uuid name)");
    expect_rejected(R"(["named-uuid","row-1"])", uuid,
                    R"("row-1" is not a valid named-uuid name)");
    expect_rejected(R"(["set",[["uuid","05aae607-c465-4203-a141-9a6c015a2e4a"],["uuid","x"]]])",
                    type_of(kPortsType), R"("x" is not a valid UUID)");
}

TEST(OvsdbDatum, RejectsIntegersOutOfRange)
{
    ColumnType integer = type_of(R"("integer")");
    expect_rejected("9223372036854775808", integer, "integer 9223372036854775808 is out of range");
    expect_rejected("18446744073709551615", integer,
                    "integer 18446744073709551615 is out of range");
    /* Beyond 64 bits the JSON parser yields a real. */
    expect_rejected("18446744073709551616", integer,
                    "expected an integer, got 1.8446744073709552e+19");
    expect_rejected("-9223372036854775809", integer,
                    "expected an integer, got -9.223372036854776e+18");
}

TEST(OvsdbDatum, RejectsSetMapMismatch)
{
    expect_rejected(R"(["map",[[1,2]]])", type_of(kTrunksType), "expected a set, got a map");
    expect_rejected(R"(["map",[]])", type_of(kTagType), "expected a set, got a map");
    expect_rejected(R"(["set",[]])", type_of(kStringMapType), "expected a map, got a set");
    expect_rejected(R"(["set",[["a","1"]]])", type_of(kStringMapType),
                    "expected a map, got a set");
    expect_rejected(R"("a")", type_of(kStringMapType), R"(expected a map, got "a")");
    expect_rejected(R"({"a":"1"})", type_of(kStringMapType), R"(expected a map, got {"a":"1"})");
    expect_rejected(R"([["a","1"]])", type_of(kStringMapType),
                    R"(expected a map, got [["a","1"]])");
}

TEST(OvsdbDatum, RejectsMalformedWrappers)
{
    ColumnType trunks = type_of(kTrunksType);
    expect_rejected(R"(["set"])", trunks, R"(malformed set ["set"]: expected ["set", [...]])");
    expect_rejected(R"(["set",1])", trunks, R"(malformed set ["set",1]: expected ["set", [...]])");
    expect_rejected(R"(["set",[1],[2]])", trunks,
                    R"(malformed set ["set",[1],[2]]: expected ["set", [...]])");
    expect_rejected(R"(["set",{"a":1}])", trunks,
                    R"(malformed set ["set",{"a":1}]: expected ["set", [...]])");
    /* An array that is no wrapper is not an integer either. */
    expect_rejected("[1,2]", trunks, "expected an integer, got [1,2]");
    expect_rejected("[]", trunks, "expected an integer, got []");

    ColumnType map = type_of(kStringMapType);
    expect_rejected(R"(["map"])", map,
                    R"(malformed map ["map"]: expected ["map", [[key, value], ...]])");
    expect_rejected(R"(["map",{"a":"1"}])", map,
                    R"(malformed map ["map",{"a":"1"}]: expected ["map", [[key, value], ...]])");
    expect_rejected(R"(["map",[],[]])", map,
                    R"(malformed map ["map",[],[]]: expected ["map", [[key, value], ...]])");
    expect_rejected(R"(["map",[["a"]]])", map, R"(map element ["a"] is not a [key, value] pair)");
    expect_rejected(R"(["map",[["a","1","2"]]])", map,
                    R"(map element ["a","1","2"] is not a [key, value] pair)");
    expect_rejected(R"(["map",["a","1"]])", map, R"(map element "a" is not a [key, value] pair)");
}

TEST(OvsdbDatum, RejectsDuplicateMapKeys)
{
    expect_rejected(R"(["map",[["a","1"],["a","2"]]])", type_of(kStringMapType),
                    R"(map has duplicate key "a")");
    /* Even with the same value. */
    expect_rejected(R"(["map",[["b","1"],["a","1"],["b","1"]]])", type_of(kStringMapType),
                    R"(map has duplicate key "b")");
    expect_rejected(R"(["map",[[4,"x"],[4,"y"]]])",
                    type_of(R"({"key": "integer", "value": "string", "max": "unlimited"})"),
                    "map has duplicate key 4");
}

TEST(OvsdbDatum, RejectsElementCounts)
{
    expect_rejected(R"(["set",[1,2]])", type_of(kTagType), "expected at most 1 element, got 2");
    expect_rejected(R"(["set",[]])", type_of(R"("integer")"), "expected at least 1 element, got 0");
    expect_rejected(R"(["set",[1,2,3,4]])", type_of(R"({"key": "integer", "min": 0, "max": 3})"),
                    "expected at most 3 elements, got 4");
    expect_rejected(R"(["map",[]])",
                    type_of(R"({"key": "string", "value": "string", "min": 1, "max": 2})"),
                    "expected at least 1 element, got 0");
    expect_rejected(R"(["map",[["a","1"],["b","2"],["c","3"]]])",
                    type_of(R"({"key": "string", "value": "string", "min": 1, "max": 2})"),
                    "expected at most 2 elements, got 3");
    expect_rejected(R"(["set",[]])", type_of(kInterfacesType),
                    "expected at least 1 element, got 0");

    /* A diff is not held to the bounds. */
    ColumnType three = type_of(R"({"key": "integer", "min": 1, "max": 3})");
    std::string error;
    std::optional<Datum> diff = Datum::diff_from_json(parse(R"(["set",[1,2,3,4]])"), three, &error);
    ASSERT_TRUE(diff.has_value()) << error;
    EXPECT_EQ(diff->integers(), (std::vector<int64_t>{1, 2, 3, 4}));
    EXPECT_TRUE(Datum::diff_from_json(parse(R"(["set",[]])"), three, &error).has_value());
    /* But it is held to everything else. */
    EXPECT_FALSE(Datum::diff_from_json(parse(R"(["set",[1,"2"]])"), three, &error).has_value());
    EXPECT_EQ(error, R"(expected an integer, got "2")");
    EXPECT_FALSE(Datum::diff_from_json(parse(R"(["map",[["a","1"],["a","2"]]])"),
                                       type_of(kStringMapType), &error)
                     .has_value());
    EXPECT_EQ(error, R"(map has duplicate key "a")");
}

TEST(OvsdbDatum, RejectsConstraintViolations)
{
    ColumnType bond = type_of(kBondModeType);
    expect_rejected(R"("balance-foo")", bond,
                    R"("balance-foo" is not one of the allowed values )"
                    R"("active-backup", "balance-slb", "balance-tcp")");
    EXPECT_EQ(datum_of(R"("active-backup")", bond).as_string(), "active-backup");

    ColumnType tag = type_of(kTagType);
    expect_rejected("4096", tag, "4096 is outside the allowed range 0 to 4095");
    expect_rejected("-1", tag, "-1 is outside the allowed range 0 to 4095");
    EXPECT_EQ(datum_of("4095", tag).as_integer(), 4095);
    EXPECT_EQ(datum_of("0", tag).as_integer(), 0);
    expect_rejected(R"(["set",[1,4096]])", type_of(kTrunksType),
                    "4096 is outside the allowed range 0 to 4095");

    expect_rejected("0", type_of(R"({"key": {"type": "integer", "minInteger": 1}})"),
                    "0 is less than the minimum 1");
    expect_rejected("65536", type_of(R"({"key": {"type": "integer", "maxInteger": 65535}})"),
                    "65536 is greater than the maximum 65535");
}

TEST(OvsdbDatum, ToJsonAsOvsSendsIt)
{
    ColumnType tag = type_of(kTagType);
    EXPECT_EQ(Datum{}.to_json(tag).dump(), R"(["set",[]])");
    EXPECT_EQ(Datum::integer(20).to_json(tag).dump(), "20");

    ColumnType map = type_of(kStringMapType);
    EXPECT_EQ(Datum{}.to_json(map).dump(), R"(["map",[]])");
    EXPECT_EQ(Datum::string_map({{"b", "2"}, {"a", "1"}}).to_json(map).dump(),
              R"(["map",[["a","1"],["b","2"]]])");
    EXPECT_EQ(Datum::integer_map({{"tx_packets", 3}, {"rx_packets", 5}})
                  .to_json(type_of(kStatisticsType))
                  .dump(),
              R"(["map",[["rx_packets",5],["tx_packets",3]]])");

    ColumnType strings = type_of(R"({"key": "string", "min": 0, "max": "unlimited"})");
    EXPECT_EQ(Datum::string_set({"p2", "p1", "p2"}).to_json(strings).dump(),
              R"(["set",["p1","p2"]])");
    EXPECT_EQ(Datum::string_set({"p1"}).to_json(strings).dump(), R"("p1")");

    EXPECT_EQ(Datum::uuid(Uuid{"05aae607-c465-4203-a141-9a6c015a2e4a"})
                  .to_json(type_of(R"("uuid")"))
                  .dump(),
              R"(["uuid","05aae607-c465-4203-a141-9a6c015a2e4a"])");
    EXPECT_EQ(Datum::uuid(Uuid::named("row7")).to_json(type_of(R"("uuid")")).dump(),
              R"(["named-uuid","row7"])");

    json real = Datum::real(0.5).to_json(type_of(R"("real")"));
    EXPECT_TRUE(real.is_number_float());
    EXPECT_EQ(real.get<double>(), 0.5);
    EXPECT_EQ(Datum::boolean(true).to_json(type_of(R"("boolean")")).dump(), "true");
    EXPECT_EQ(Datum::string("a\"b").to_json(type_of(R"("string")")).dump(), R"("a\"b")");
}

TEST(OvsdbDatum, ToJsonReproducesRecordedValues)
{
    /* Values of the recorded initial snapshot, serialised again. */
    json result = parse(kRec2Initial)["result"];
    const json &bridge = result["Bridge"][kBridgeBr0]["initial"];
    const json &iface = result["Interface"][kIfaceP1]["initial"];
    const json &port = result["Port"][kPortP1]["initial"];
    const std::pair<const json *, const char *> cases[] = {
        {&bridge["ports"], kPortsType},
        {&bridge["datapath_id"], kOptionalStringType},
        {&bridge["name"], R"("string")"},
        {&iface["options"], kStringMapType},
        {&iface["statistics"], kStatisticsType},
        {&port["interfaces"], kInterfacesType},
    };
    for (const auto &[value, type_text] : cases) {
        SCOPED_TRACE(value->dump());
        ColumnType type = type_of(type_text);
        EXPECT_EQ(datum_of(value->dump(), type).to_json(type), *value);
    }
}

TEST(OvsdbDatum, DefaultOf)
{
    EXPECT_EQ(Datum::default_of(type_of(R"("integer")")), Datum::integer(0));
    EXPECT_EQ(Datum::default_of(type_of(R"("real")")), Datum::real(0.0));
    EXPECT_EQ(Datum::default_of(type_of(R"("boolean")")), Datum::boolean(false));
    EXPECT_EQ(Datum::default_of(type_of(R"("string")")), Datum::string(""));
    EXPECT_EQ(Datum::default_of(type_of(R"("uuid")")),
              Datum::uuid(Uuid{"00000000-0000-0000-0000-000000000000"}));
    EXPECT_EQ(Datum::default_of(type_of(R"("uuid")")).to_json(type_of(R"("uuid")")).dump(),
              R"(["uuid","00000000-0000-0000-0000-000000000000"])");
    EXPECT_EQ(Datum::default_of(type_of(kTagType)), Datum{});
    EXPECT_EQ(Datum::default_of(type_of(kTrunksType)), Datum{});
    EXPECT_EQ(Datum::default_of(type_of(kStringMapType)), Datum{});
    /* A map with at least one pair defaults to one pair of zero atoms. */
    ColumnType map = type_of(R"({"key": "string", "value": "integer", "min": 1, "max": 9})");
    EXPECT_EQ(Datum::default_of(map), Datum::integer_map({{"", 0}}));
}

TEST(OvsdbDatum, Accessors)
{
    Datum set = Datum::string_set({"b", "a"});
    EXPECT_EQ(set.strings(), (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(set.as_string().has_value());
    EXPECT_TRUE(set.integers().empty());
    EXPECT_TRUE(set.uuids().empty());
    EXPECT_TRUE(set.string_map().empty());
    EXPECT_EQ(set.find(str_atom("a")), nullptr);

    Datum one = Datum::string("br0");
    EXPECT_EQ(one.as_string(), "br0");
    EXPECT_FALSE(one.as_integer().has_value());
    EXPECT_FALSE(one.as_real().has_value());
    EXPECT_FALSE(one.as_boolean().has_value());
    EXPECT_FALSE(one.as_uuid().has_value());
    EXPECT_EQ(Datum::boolean(true).as_boolean(), true);
    EXPECT_EQ(Datum::real(2.5).as_real(), 2.5);
    EXPECT_FALSE(Datum::integer(2).as_real().has_value());

    Datum map = Datum::string_map({{"a", "1"}, {"b", "2"}});
    EXPECT_EQ(map.string_map(), (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
    ASSERT_NE(map.find(str_atom("b")), nullptr);
    EXPECT_EQ(*map.find(str_atom("b")), str_atom("2"));
    EXPECT_EQ(map.find(str_atom("c")), nullptr);
    EXPECT_EQ(map.find(int_atom(1)), nullptr);
    /* A one-pair map is not a scalar. */
    EXPECT_FALSE(Datum::string_map({{"a", "1"}}).as_string().has_value());

    Datum stats = Datum::integer_map({{"rx", 5}});
    EXPECT_TRUE(stats.string_map().empty());
    ASSERT_NE(stats.find(str_atom("rx")), nullptr);
    EXPECT_EQ(*stats.find(str_atom("rx")), int_atom(5));

    Datum ports = datum_of(
        R"(["set",[["uuid","bca5b619-2437-4853-8f5c-8d7eb2814821"],)"
        R"(["uuid","14bedb07-14ab-4d0e-94f3-a4e59163e7b6"]]])",
        type_of(kPortsType));
    EXPECT_EQ(ports.uuids(), (std::vector<Uuid>{Uuid{kPortBr0}, Uuid{kPortP1}}));
}

TEST(OvsdbDatum, ToString)
{
    EXPECT_EQ(datum_to_string(Datum::integer(1)), "1");
    EXPECT_EQ(datum_to_string(Datum::integer(-3)), "-3");
    EXPECT_EQ(datum_to_string(Datum::real(1.5)), "1.5");
    EXPECT_EQ(datum_to_string(Datum::boolean(false)), "false");
    EXPECT_EQ(datum_to_string(Datum::string("br0")), "br0");
    EXPECT_EQ(datum_to_string(Datum::string("balance-slb")), "balance-slb");
    EXPECT_EQ(datum_to_string(Datum::string("a b")), R"("a b")");
    EXPECT_EQ(datum_to_string(Datum::string("")), R"("")");
    EXPECT_EQ(datum_to_string(Datum::string("true")), R"("true")");
    EXPECT_EQ(datum_to_string(Datum::string("1")), R"("1")");
    EXPECT_EQ(datum_to_string(Datum::string("10.0.0.1")), R"("10.0.0.1")");
    EXPECT_EQ(datum_to_string(Datum::string("05aae607-c465-4203-a141-9a6c015a2e4a")),
              R"("05aae607-c465-4203-a141-9a6c015a2e4a")");
    EXPECT_EQ(datum_to_string(Datum::uuid(Uuid{"05aae607-c465-4203-a141-9a6c015a2e4a"})),
              "05aae607-c465-4203-a141-9a6c015a2e4a");
    EXPECT_EQ(datum_to_string(Datum::uuid(Uuid::named("row1"))), "@row1");
    EXPECT_EQ(datum_to_string(Datum{}), "[]");
    EXPECT_EQ(datum_to_string(datum_of(R"(["set",[2,1]])", type_of(kTrunksType))), "[1, 2]");
    EXPECT_EQ(datum_to_string(Datum::string_map({{"b", "2"}, {"a", "x y"}})),
              R"({a="x y", b="2"})");
    EXPECT_EQ(datum_to_string(Datum::integer_map({{"rx", 1}, {"tx", 2}})), "{rx=1, tx=2}");
}

/* update2 "modify" diffs, as recorded. */

TEST(OvsdbDiff, RecordedTrunks)
{
    ColumnType trunks = type_of(kTrunksType);
    Datum d = Datum::default_of(trunks);

    /* {} -> {1,2}. */
    Datum diff = recorded_diff(kRec1Trunks12, "Port", kPortP1, "trunks", trunks);
    EXPECT_EQ(diff.integers(), (std::vector<int64_t>{1, 2}));
    std::string error;
    ASSERT_TRUE(d.apply_diff(diff, trunks, &error)) << error;
    EXPECT_EQ(d.integers(), (std::vector<int64_t>{1, 2}));

    /* {1,2} -> {2,3} arrives as the symmetric difference {1,3}. */
    diff = recorded_diff(kRec1Trunks23, "Port", kPortP1, "trunks", trunks);
    EXPECT_EQ(diff.integers(), (std::vector<int64_t>{1, 3}));
    ASSERT_TRUE(d.apply_diff(diff, trunks, &error)) << error;
    EXPECT_EQ(d.integers(), (std::vector<int64_t>{2, 3}));

    /* {2,3} -> {5} arrives as {2,3,5}. */
    diff = recorded_diff(kRec1Trunks5, "Port", kPortP1, "trunks", trunks);
    ASSERT_TRUE(d.apply_diff(diff, trunks, &error)) << error;
    EXPECT_EQ(d.integers(), std::vector<int64_t>{5});
    EXPECT_EQ(d.to_json(trunks).dump(), "5");

    /* {5} -> {} arrives as the bare atom 5. */
    diff = recorded_diff(kRec1TrunksClear, "Port", kPortP1, "trunks", trunks);
    EXPECT_EQ(diff.integers(), std::vector<int64_t>{5});
    ASSERT_TRUE(d.apply_diff(diff, trunks, &error)) << error;
    EXPECT_TRUE(d.empty());
    EXPECT_EQ(d.to_json(trunks).dump(), R"(["set",[]])");

    /* {} -> {10,20,30} -> {20,40}. */
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec2Trunks102030, "Port", kPortP1, "trunks", trunks),
                             trunks, &error))
        << error;
    EXPECT_EQ(d.integers(), (std::vector<int64_t>{10, 20, 30}));
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec2Trunks2040, "Port", kPortP1, "trunks", trunks),
                             trunks, &error))
        << error;
    EXPECT_EQ(d.integers(), (std::vector<int64_t>{20, 40}));
}

TEST(OvsdbDiff, RecordedOptionalValues)
{
    std::string error;
    ColumnType tag = type_of(kTagType);
    Datum d = Datum::default_of(tag);
    /* The diff of an optional column is its new value. */
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec1Tag20, "Port", kPortP1, "tag", tag), tag, &error))
        << error;
    EXPECT_EQ(d, Datum::integer(20));
    ASSERT_TRUE(
        d.apply_diff(recorded_diff(kRec1TagClear, "Port", kPortP1, "tag", tag), tag, &error))
        << error;
    EXPECT_TRUE(d.empty());

    ColumnType bond = type_of(kBondModeType);
    d = Datum::default_of(bond);
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec1BondSlb, "Port", kPortP1, "bond_mode", bond), bond,
                             &error))
        << error;
    EXPECT_EQ(d, Datum::string("balance-slb"));
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec1BondClear, "Port", kPortP1, "bond_mode", bond),
                             bond, &error))
        << error;
    EXPECT_TRUE(d.empty());

    ColumnType ofport = type_of(kOfportType);
    d = Datum::default_of(ofport);
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec1Ofport1, "Interface", kIfaceP1, "ofport", ofport),
                             ofport, &error))
        << error;
    EXPECT_EQ(d.as_integer(), 1);
    ASSERT_TRUE(d.apply_diff(
        recorded_diff(kRec1OfportMinus1, "Interface", kIfaceP1, "ofport", ofport), ofport, &error))
        << error;
    EXPECT_EQ(d.as_integer(), -1);
    ASSERT_TRUE(d.apply_diff(
        recorded_diff(kRec1OfportClear, "Interface", kIfaceP1, "ofport", ofport), ofport, &error))
        << error;
    EXPECT_TRUE(d.empty());

    ColumnType dpid = type_of(kOptionalStringType);
    d = Datum::default_of(dpid);
    ASSERT_TRUE(d.apply_diff(
        recorded_diff(kRec1DatapathId, "Bridge", kBridgeBr0, "datapath_id", dpid), dpid, &error))
        << error;
    EXPECT_EQ(d.as_string(), "0000aabbccddeeff");

    ColumnType cfm = type_of(kOptionalBooleanType);
    d = Datum::default_of(cfm);
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec2CfmTrue, "Interface", kIfaceP1, "cfm_fault", cfm),
                             cfm, &error))
        << error;
    EXPECT_EQ(d.as_boolean(), true);

    /* A scalar (min 1) column: the diff is the new value too. */
    ColumnType stp = type_of(R"("boolean")");
    d = Datum::default_of(stp);
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec2StpTrue, "Bridge", kBridgeBr0, "stp_enable", stp),
                             stp, &error))
        << error;
    EXPECT_EQ(d, Datum::boolean(true));
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec2StpFalse, "Bridge", kBridgeBr0, "stp_enable", stp),
                             stp, &error))
        << error;
    EXPECT_EQ(d, Datum::boolean(false));
}

TEST(OvsdbDiff, RecordedStringMap)
{
    std::string error;
    ColumnType map = type_of(kStringMapType);
    Datum d = Datum::default_of(map);

    /* {} -> {a=1}: a new key is added. */
    Datum diff = recorded_diff(kRec1OtherA1, "Port", kPortP1, "other_config", map);
    ASSERT_TRUE(d.apply_diff(diff, map, &error)) << error;
    EXPECT_EQ(d.string_map(), (std::map<std::string, std::string>{{"a", "1"}}));

    /* {a=1} -> {a=2} arrives as a=2: a present key with another value is
     * replaced. */
    diff = recorded_diff(kRec1OtherA2, "Port", kPortP1, "other_config", map);
    EXPECT_EQ(diff.to_json(map).dump(), R"(["map",[["a","2"]]])");
    ASSERT_TRUE(d.apply_diff(diff, map, &error)) << error;
    EXPECT_EQ(d.string_map(), (std::map<std::string, std::string>{{"a", "2"}}));

    /* {a=2} -> {} also arrives as a=2: a present key with the same value is
     * removed. */
    diff = recorded_diff(kRec1OtherRemoveA, "Port", kPortP1, "other_config", map);
    EXPECT_EQ(diff.to_json(map).dump(), R"(["map",[["a","2"]]])");
    ASSERT_TRUE(d.apply_diff(diff, map, &error)) << error;
    EXPECT_TRUE(d.empty());
    EXPECT_EQ(d.to_json(map).dump(), R"(["map",[]])");

    /* {} -> {b=1,c=2} -> {b=9,d=4}: one diff changes, removes and adds. */
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec2OtherBC, "Port", kPortP1, "other_config", map), map,
                             &error))
        << error;
    EXPECT_EQ(d.string_map(), (std::map<std::string, std::string>{{"b", "1"}, {"c", "2"}}));
    diff = recorded_diff(kRec2OtherB9D4, "Port", kPortP1, "other_config", map);
    EXPECT_EQ(diff.to_json(map).dump(), R"(["map",[["b","9"],["c","2"],["d","4"]]])");
    ASSERT_TRUE(d.apply_diff(diff, map, &error)) << error;
    EXPECT_EQ(d.string_map(), (std::map<std::string, std::string>{{"b", "9"}, {"d", "4"}}));

    /* {} -> {key=flow, remote_ip=10.0.0.1}. */
    d = Datum::default_of(map);
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec1Options, "Interface", kIfaceP1, "options", map),
                             map, &error))
        << error;
    EXPECT_EQ(d.string_map(), (std::map<std::string, std::string>{{"key", "flow"},
                                                                   {"remote_ip", "10.0.0.1"}}));
}

TEST(OvsdbDiff, RecordedIntegerMap)
{
    std::string error;
    ColumnType stats = type_of(kStatisticsType);
    Datum d = Datum::default_of(stats);

    /* {} -> {rx_packets=5, tx_packets=3}. */
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec1Stats1, "Interface", kIfaceP1, "statistics", stats),
                             stats, &error))
        << error;
    EXPECT_EQ(d, Datum::integer_map({{"rx_packets", 5}, {"tx_packets", 3}}));

    /* rx_packets 5 -> 7 arrives as rx_packets=7. */
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec1Stats2, "Interface", kIfaceP1, "statistics", stats),
                             stats, &error))
        << error;
    EXPECT_EQ(d, Datum::integer_map({{"rx_packets", 7}, {"tx_packets", 3}}));

    /* Removing tx_packets=3 arrives as tx_packets=3. */
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec1Stats3, "Interface", kIfaceP1, "statistics", stats),
                             stats, &error))
        << error;
    EXPECT_EQ(d, Datum::integer_map({{"rx_packets", 7}}));
}

TEST(OvsdbDiff, RecordedUuidSet)
{
    std::string error;
    ColumnType ports = type_of(kPortsType);
    json initial = parse(kRec1Initial)["result"]["Bridge"][kBridgeBr0]["initial"]["ports"];
    Datum d = datum_of(initial.dump(), ports);
    EXPECT_EQ(d.uuids(), (std::vector<Uuid>{Uuid{kPortBr0}, Uuid{kPortP1}}));

    /* Gaining one port arrives as that port's bare uuid. */
    Datum diff = recorded_diff(kRec1AddP2, "Bridge", kBridgeBr0, "ports", ports);
    EXPECT_EQ(diff.uuids(), std::vector<Uuid>{Uuid{kPortP2}});
    ASSERT_TRUE(d.apply_diff(diff, ports, &error)) << error;
    EXPECT_EQ(d.uuids(), (std::vector<Uuid>{Uuid{kPortP2}, Uuid{kPortBr0}, Uuid{kPortP1}}));

    /* Losing it arrives the same way. */
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec1DelP2, "Bridge", kBridgeBr0, "ports", ports), ports,
                             &error))
        << error;
    EXPECT_EQ(d.uuids(), (std::vector<Uuid>{Uuid{kPortBr0}, Uuid{kPortP1}}));

    /* Gaining two, then losing one and gaining another in one transaction. */
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec2AddP3P4, "Bridge", kBridgeBr0, "ports", ports),
                             ports, &error))
        << error;
    EXPECT_EQ(d.size(), 4u);
    ASSERT_TRUE(d.apply_diff(recorded_diff(kRec2DelP3AddP5, "Bridge", kBridgeBr0, "ports", ports),
                             ports, &error))
        << error;
    EXPECT_EQ(d.uuids(),
              (std::vector<Uuid>{Uuid{kPortBr0}, Uuid{kPortP4}, Uuid{kPortP5}, Uuid{kPortP1}}));
}

/* Replaying every update2 of recording 1 onto its initial snapshot must give
 * exactly the snapshot the server sent at the start of recording 2. */
TEST(OvsdbDiff, ReplayMatchesLaterSnapshot)
{
    Replica replayed(kColumns1);
    for (const char *message :
         {kRec1Initial, kRec1Trunks12, kRec1Trunks23, kRec1Tag20, kRec1TagClear, kRec1OtherA1,
          kRec1OtherA2, kRec1OtherRemoveA, kRec1AddP2, kRec1Ofport1, kRec1Stats1, kRec1Stats2,
          kRec1Stats3, kRec1BondSlb, kRec1BondClear, kRec1Trunks5, kRec1TrunksClear,
          kRec1DatapathId, kRec1Options, kRec1OfportMinus1, kRec1OfportClear, kRec1DelP2}) {
        replayed.apply(message);
        ASSERT_FALSE(testing::Test::HasFatalFailure());
    }
    Replica snapshot(kColumns1);
    snapshot.apply(kRec2Initial);
    EXPECT_EQ(replayed.rows(), snapshot.rows());

    /* A few values, spelled out. */
    EXPECT_EQ(replayed.get("Interface", kIfaceP1, "statistics"),
              Datum::integer_map({{"rx_packets", 7}}));
    EXPECT_TRUE(replayed.get("Interface", kIfaceP1, "ofport").empty());
    EXPECT_EQ(replayed.get("Bridge", kBridgeBr0, "datapath_id"), Datum::string("0000aabbccddeeff"));
    EXPECT_TRUE(replayed.get("Port", kPortP1, "trunks").empty());
    EXPECT_EQ(replayed.get("Port", kPortP1, "name"), Datum::string("p1"));
    /* Columns omitted from "initial" hold their defaults. */
    EXPECT_EQ(replayed.get("Open_vSwitch", "38c0aa83-3cc6-4a30-aea8-fa8a2886bc09", "next_cfg"),
              Datum::integer(0));
    EXPECT_EQ(replayed.get("Interface", kIfaceP1, "type"), Datum::string(""));
    EXPECT_FALSE(replayed.has_row("Port", kPortP2));

    /* Then recording 2 on top. */
    Replica later(columns2());
    for (const char *message :
         {kRec2Initial, kRec2OtherBC, kRec2OtherB9D4, kRec2StpTrue, kRec2StpFalse, kRec2CfmTrue,
          kRec2AddP3P4, kRec2DelP3AddP5, kRec2Trunks102030, kRec2Trunks2040}) {
        later.apply(message);
        ASSERT_FALSE(testing::Test::HasFatalFailure());
    }
    EXPECT_EQ(later.get("Port", kPortP1, "other_config"),
              Datum::string_map({{"b", "9"}, {"d", "4"}}));
    EXPECT_EQ(later.get("Bridge", kBridgeBr0, "stp_enable"), Datum::boolean(false));
    EXPECT_EQ(later.get("Interface", kIfaceP1, "cfm_fault"), Datum::boolean(true));
    EXPECT_EQ(later.get("Port", kPortP1, "trunks").integers(), (std::vector<int64_t>{20, 40}));
    EXPECT_EQ(later.get("Bridge", kBridgeBr0, "ports").uuids(),
              (std::vector<Uuid>{Uuid{kPortBr0}, Uuid{kPortP4}, Uuid{kPortP5}, Uuid{kPortP1}}));
    EXPECT_TRUE(later.has_row("Port", kPortP4));
    EXPECT_TRUE(later.has_row("Port", kPortP5));
    EXPECT_FALSE(later.has_row("Port", "1453176f-8d8e-4203-824d-51270bf28b4f"));
}

/* Diffs whose result breaks the bounds are refused and change nothing. */

TEST(OvsdbDiff, RemovingTheOnlyElementOfMinOneColumn)
{
    ColumnType interfaces = type_of(kInterfacesType);
    Datum d = datum_of(R"(["uuid","7c41555e-545c-4888-af57-1e4abb03b579"])", interfaces);
    Datum before = d;
    std::string error;
    std::optional<Datum> diff = Datum::diff_from_json(
        parse(R"(["uuid","7c41555e-545c-4888-af57-1e4abb03b579"])"), interfaces, &error);
    ASSERT_TRUE(diff.has_value()) << error;
    EXPECT_FALSE(d.apply_diff(*diff, interfaces, &error));
    EXPECT_EQ(error, "applying the diff would leave 0 elements, fewer than the minimum 1");
    EXPECT_EQ(d, before);
    EXPECT_FALSE(d.apply_diff(*diff, interfaces, nullptr));
    EXPECT_EQ(d, before);
}

TEST(OvsdbDiff, BoundsViolations)
{
    std::string error;

    /* A set growing past "max". */
    ColumnType two = type_of(R"({"key": "integer", "min": 0, "max": 2})");
    Datum d = datum_of(R"(["set",[1,2]])", two);
    std::optional<Datum> diff = Datum::diff_from_json(parse("3"), two, &error);
    ASSERT_TRUE(diff.has_value()) << error;
    EXPECT_FALSE(d.apply_diff(*diff, two, &error));
    EXPECT_EQ(error, "applying the diff would leave 3 elements, more than the maximum 2");
    EXPECT_EQ(d.integers(), (std::vector<int64_t>{1, 2}));

    /* A scalar cleared. */
    ColumnType stp = type_of(R"("boolean")");
    d = Datum::boolean(true);
    diff = Datum::diff_from_json(parse(R"(["set",[]])"), stp, &error);
    ASSERT_TRUE(diff.has_value()) << error;
    EXPECT_FALSE(d.apply_diff(*diff, stp, &error));
    EXPECT_EQ(error, "applying the diff would leave 0 elements, fewer than the minimum 1");
    EXPECT_EQ(d, Datum::boolean(true));

    /* An optional value given two values. */
    ColumnType tag = type_of(kTagType);
    d = Datum::integer(5);
    diff = Datum::diff_from_json(parse(R"(["set",[6,7]])"), tag, &error);
    ASSERT_TRUE(diff.has_value()) << error;
    EXPECT_FALSE(d.apply_diff(*diff, tag, &error));
    EXPECT_EQ(error, "applying the diff would leave 2 elements, more than the maximum 1");
    EXPECT_EQ(d, Datum::integer(5));

    /* A map emptied below "min". */
    ColumnType map = type_of(R"({"key": "string", "value": "string", "min": 1, "max": 9})");
    d = Datum::string_map({{"a", "1"}});
    diff = Datum::diff_from_json(parse(R"(["map",[["a","1"]]])"), map, &error);
    ASSERT_TRUE(diff.has_value()) << error;
    EXPECT_FALSE(d.apply_diff(*diff, map, &error));
    EXPECT_EQ(error, "applying the diff would leave 0 elements, fewer than the minimum 1");
    EXPECT_EQ(d, Datum::string_map({{"a", "1"}}));
}

TEST(OvsdbDiff, ShapeMismatch)
{
    std::string error;
    ColumnType trunks = type_of(kTrunksType);
    Datum d = Datum::integer(5);
    EXPECT_FALSE(d.apply_diff(Datum::integer_map({{"a", 1}}), trunks, &error));
    EXPECT_EQ(error, "cannot apply a map diff to a set");
    EXPECT_EQ(d, Datum::integer(5));

    ColumnType map = type_of(kStringMapType);
    d = Datum::string_map({{"a", "1"}});
    EXPECT_FALSE(d.apply_diff(Datum::string_set({"a"}), map, &error));
    EXPECT_EQ(error, "cannot apply a set diff to a map");
    EXPECT_EQ(d, Datum::string_map({{"a", "1"}}));

    /* An empty diff changes nothing. */
    ASSERT_TRUE(d.apply_diff(Datum{}, map, &error)) << error;
    EXPECT_EQ(d, Datum::string_map({{"a", "1"}}));
    d = Datum::integer(5);
    ASSERT_TRUE(d.apply_diff(Datum{}, trunks, &error)) << error;
    EXPECT_EQ(d, Datum::integer(5));
}

}  // namespace
}  // namespace braid::ovsdb
