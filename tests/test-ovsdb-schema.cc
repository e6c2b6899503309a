/* Unit tests for OVSDB database schemas (lib/ovsdb-schema.cc). */
#include <config.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/ovsdb-schema.h"

namespace braid::ovsdb {
namespace {

using nlohmann::json;

/* The schema that the Debian openvswitch-switch package installs. */
constexpr const char *kVswitchSchemaPath = "/usr/share/openvswitch/vswitch.ovsschema";

/* Parses 'text', a test literal known to be valid JSON. */
json parse(const std::string &text)
{
    json j = json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << text;
    return j;
}

/* Expects the schema 'text' to be rejected with exactly 'message'. */
void expect_rejected(const std::string &text, const std::string &message)
{
    SCOPED_TRACE(text);
    std::string error;
    EXPECT_FALSE(DatabaseSchema::from_json(parse(text), &error).has_value());
    EXPECT_EQ(error, message);
    EXPECT_FALSE(DatabaseSchema::from_json(parse(text), nullptr).has_value());
}

Atom str_atom(const char *s)
{
    return Atom(std::string(s));
}

class VswitchSchema : public testing::Test {
protected:
    void SetUp() override
    {
        std::ifstream file(kVswitchSchemaPath);
        if (!file) {
            GTEST_SKIP() << kVswitchSchemaPath << " is not installed";
        }
        std::stringstream text;
        text << file.rdbuf();
        json j = parse(text.str());
        std::string error;
        std::optional<DatabaseSchema> parsed = DatabaseSchema::from_json(j, &error);
        ASSERT_TRUE(parsed.has_value()) << error;
        schema_ = std::move(*parsed);
    }

    /* The type of 'table'.'column', failing the test if there is none. */
    const ColumnType &column(const std::string &table, const std::string &column)
    {
        static const ColumnType kNone;
        const TableSchema *t = schema_.table(table);
        EXPECT_NE(t, nullptr) << table;
        const ColumnType *c = t ? t->column(column) : nullptr;
        EXPECT_NE(c, nullptr) << table << "." << column;
        return c ? *c : kNone;
    }

    DatabaseSchema schema_;
};

TEST_F(VswitchSchema, NameVersionAndTables)
{
    EXPECT_EQ(schema_.name, "Open_vSwitch");
    /* The version is "x.y.z" (8.3.1 in Debian 12). */
    ASSERT_FALSE(schema_.version.empty());
    EXPECT_EQ(std::count(schema_.version.begin(), schema_.version.end(), '.'), 2);
    for (const char *name : {"Open_vSwitch", "Bridge", "Port", "Interface", "Mirror", "QoS",
                             "Queue", "Controller", "Manager", "SSL", "sFlow", "NetFlow",
                             "Flow_Sample_Collector_Set"}) {
        const TableSchema *table = schema_.table(name);
        ASSERT_NE(table, nullptr) << name;
        EXPECT_EQ(table->name, name);
    }
    EXPECT_EQ(schema_.table("Nonexistent"), nullptr);
    EXPECT_EQ(schema_.table("Port")->column("_uuid"), nullptr);
    EXPECT_EQ(schema_.table("Port")->column("_version"), nullptr);
    EXPECT_EQ(schema_.table("Port")->column("no_such_column"), nullptr);
}

TEST_F(VswitchSchema, RootTables)
{
    for (const char *name : {"Open_vSwitch", "QoS", "Queue", "Flow_Sample_Collector_Set"}) {
        EXPECT_TRUE(schema_.table(name)->is_root) << name;
    }
    for (const char *name : {"Bridge", "Port", "Interface", "Mirror", "Controller", "Manager"}) {
        EXPECT_FALSE(schema_.table(name)->is_root) << name;
    }
}

TEST_F(VswitchSchema, Columns)
{
    /* Open_vSwitch.next_cfg: "integer", i.e. exactly one integer. */
    const ColumnType &next_cfg = column("Open_vSwitch", "next_cfg");
    EXPECT_EQ(next_cfg.key, AtomicType::kInteger);
    EXPECT_FALSE(next_cfg.value.has_value());
    EXPECT_EQ(next_cfg.min, 1u);
    EXPECT_EQ(next_cfg.max, 1u);
    EXPECT_FALSE(next_cfg.key_min_integer.has_value());

    /* Port.trunks: a set of 0 to 4096 integers in 0..4095. */
    const ColumnType &trunks = column("Port", "trunks");
    EXPECT_EQ(trunks.key, AtomicType::kInteger);
    EXPECT_FALSE(trunks.value.has_value());
    EXPECT_EQ(trunks.min, 0u);
    EXPECT_EQ(trunks.max, 4096u);
    EXPECT_EQ(trunks.key_min_integer, 0);
    EXPECT_EQ(trunks.key_max_integer, 4095);
    EXPECT_TRUE(trunks.is_set());

    /* Port.tag: an optional integer in 0..4095. */
    const ColumnType &tag = column("Port", "tag");
    EXPECT_EQ(tag.key, AtomicType::kInteger);
    EXPECT_EQ(tag.min, 0u);
    EXPECT_EQ(tag.max, 1u);
    EXPECT_EQ(tag.key_min_integer, 0);
    EXPECT_EQ(tag.key_max_integer, 4095);
    EXPECT_TRUE(tag.is_scalar_like());

    /* Port.bond_mode: an optional string from an enum. */
    const ColumnType &bond_mode = column("Port", "bond_mode");
    EXPECT_EQ(bond_mode.key, AtomicType::kString);
    EXPECT_EQ(bond_mode.min, 0u);
    EXPECT_EQ(bond_mode.max, 1u);
    EXPECT_EQ(bond_mode.key_enum,
              (std::vector<Atom>{str_atom("active-backup"), str_atom("balance-slb"),
                                 str_atom("balance-tcp")}));

    /* Interface.ofport: an optional integer without range. */
    const ColumnType &ofport = column("Interface", "ofport");
    EXPECT_EQ(ofport.key, AtomicType::kInteger);
    EXPECT_FALSE(ofport.value.has_value());
    EXPECT_EQ(ofport.min, 0u);
    EXPECT_EQ(ofport.max, 1u);
    EXPECT_FALSE(ofport.key_min_integer.has_value());
    EXPECT_FALSE(ofport.key_max_integer.has_value());

    /* Interface.options: a string-to-string map. */
    const ColumnType &options = column("Interface", "options");
    EXPECT_EQ(options.key, AtomicType::kString);
    EXPECT_EQ(options.value, AtomicType::kString);
    EXPECT_EQ(options.min, 0u);
    EXPECT_EQ(options.max, UINT32_MAX);
    EXPECT_TRUE(options.is_map());

    /* Interface.statistics: a string-to-integer map. */
    const ColumnType &statistics = column("Interface", "statistics");
    EXPECT_EQ(statistics.key, AtomicType::kString);
    EXPECT_EQ(statistics.value, AtomicType::kInteger);

    /* Bridge.ports: a set of references to Port rows. */
    const ColumnType &ports = column("Bridge", "ports");
    EXPECT_EQ(ports.key, AtomicType::kUuid);
    EXPECT_EQ(ports.key_ref_table, "Port");
    EXPECT_FALSE(ports.value.has_value());
    EXPECT_EQ(ports.min, 0u);
    EXPECT_EQ(ports.max, UINT32_MAX);

    /* Port.interfaces: at least one Interface. */
    const ColumnType &interfaces = column("Port", "interfaces");
    EXPECT_EQ(interfaces.key_ref_table, "Interface");
    EXPECT_EQ(interfaces.min, 1u);
    EXPECT_EQ(interfaces.max, UINT32_MAX);

    /* Port.qos: an optional reference to QoS. */
    const ColumnType &qos = column("Port", "qos");
    EXPECT_EQ(qos.key, AtomicType::kUuid);
    EXPECT_EQ(qos.key_ref_table, "QoS");
    EXPECT_EQ(qos.min, 0u);
    EXPECT_EQ(qos.max, 1u);

    /* QoS.queues: a map from integers to references to Queue. */
    const ColumnType &queues = column("QoS", "queues");
    EXPECT_EQ(queues.key, AtomicType::kInteger);
    EXPECT_EQ(queues.value, AtomicType::kUuid);
    EXPECT_EQ(queues.value_ref_table, "Queue");
    EXPECT_EQ(queues.key_ref_table, "");

    /* Bridge.stp_enable: a boolean. */
    const ColumnType &stp = column("Bridge", "stp_enable");
    EXPECT_EQ(stp.key, AtomicType::kBoolean);
    EXPECT_EQ(stp.min, 1u);
    EXPECT_EQ(stp.max, 1u);
}

TEST(OvsdbSchema, MinimalSchema)
{
    std::string error;
    std::optional<DatabaseSchema> schema = DatabaseSchema::from_json(parse(R"({
        "name": "Test", "version": "1.2.3", "cksum": "12345 678",
        "tables": {
            "Root": {"columns": {"children": {"type": {"key": {"type": "uuid", "refTable": "Child"},
                                                        "min": 0, "max": "unlimited"}},
                                 "count": {"type": "integer", "ephemeral": true, "mutable": false}},
                     "isRoot": true, "maxRows": 1, "indexes": [["count"]]},
            "Child": {"columns": {"name": {"type": "string"}}, "isRoot": false},
            "Empty": {"columns": {}}
        },
        "extra": "ignored"})"),
                                                                     &error);
    ASSERT_TRUE(schema.has_value()) << error;
    EXPECT_EQ(schema->name, "Test");
    EXPECT_EQ(schema->version, "1.2.3");
    ASSERT_EQ(schema->tables.size(), 3u);
    EXPECT_TRUE(schema->table("Root")->is_root);
    EXPECT_FALSE(schema->table("Child")->is_root);
    EXPECT_FALSE(schema->table("Empty")->is_root);
    EXPECT_TRUE(schema->table("Empty")->columns.empty());
    EXPECT_EQ(schema->table("Root")->columns.size(), 2u);
    EXPECT_EQ(schema->table("Root")->column("children")->key_ref_table, "Child");
    EXPECT_EQ(schema->table("Root")->column("count")->key, AtomicType::kInteger);
    EXPECT_EQ(schema->table("Child")->column("name")->key, AtomicType::kString);
}

TEST(OvsdbSchema, NoRootTableMeansAllRoot)
{
    /* RFC 7047 §3.2: a schema that marks no table as root predates
     * "isRoot", and every table is in the root set. */
    std::string error;
    std::optional<DatabaseSchema> schema = DatabaseSchema::from_json(
        parse(R"({"name": "Old",)"
              R"( "tables": {"A": {"columns": {}}, "B": {"columns": {}, "isRoot": false}}})"),
        &error);
    ASSERT_TRUE(schema.has_value()) << error;
    EXPECT_TRUE(schema->table("A")->is_root);
    EXPECT_TRUE(schema->table("B")->is_root);
    /* The version is optional. */
    EXPECT_EQ(schema->version, "");
}

TEST(OvsdbSchema, Rejections)
{
    expect_rejected("[]", "schema must be an object, not array");
    expect_rejected(R"({"tables": {}})", R"(schema has no "name")");
    expect_rejected(R"({"name": 5, "tables": {}})", R"(schema "name" must be a string, not 5)");
    expect_rejected(R"({"name": "T", "version": 1, "tables": {}})",
                    R"(schema "version" must be a string, not 1)");
    expect_rejected(R"({"name": "T", "version": "1"})", R"(schema T has no "tables")");
    expect_rejected(R"({"name": "T", "tables": []})", R"("tables" of schema T must be an object)");
    expect_rejected(R"({"name": "T", "tables": {"Port": 5}})",
                    "table Port must be an object, not 5");
    expect_rejected(R"({"name": "T", "tables": {"Port": {}}})", R"(table Port has no "columns")");
    expect_rejected(R"({"name": "T", "tables": {"Port": {"columns": []}}})",
                    R"("columns" of table Port must be an object)");
    expect_rejected(R"({"name": "T", "tables": {"Port": {"columns": {"tag": "integer"}}}})",
                    R"(column Port.tag must be an object, not "integer")");
    expect_rejected(R"({"name": "T", "tables": {"Port": {"columns": {"tag": {}}}}})",
                    R"(column Port.tag has no "type")");
    expect_rejected(
        R"({"name": "T", "tables": {"Port": {"columns": {"trunks": {"type": "int"}}}}})",
        R"(column Port.trunks has an invalid type: unknown atomic type "int")");
    expect_rejected(
        R"({"name": "T", "tables": {"Port": {"columns": {"trunks": {"type": {"key": "integer",)"
        R"( "max": 0}}}}}})",
        R"(column Port.trunks has an invalid type: )"
        R"("max" must be a positive integer or "unlimited", got 0)");
    expect_rejected(
        R"({"name": "T", "tables": {"Port": {"columns": {"mode": {"type": {"key":)"
        R"( {"type": "string", "enum": ["set", [1]]}}}}}}})",
        R"(column Port.mode has an invalid type: )"
        R"("enum" of "key" is invalid: expected a string, got 1)");
    expect_rejected(
        R"({"name": "T", "tables": {"Port": {"columns": {"_uuid": {"type": "uuid"}}}}})",
        R"(table Port has column name "_uuid", but names starting with '_' are reserved)");
    expect_rejected(R"({"name": "T", "tables": {"Port": {"columns": {}, "isRoot": "yes"}}})",
                    R"("isRoot" of table Port must be a boolean, not "yes")");
}

}  // namespace
}  // namespace braid::ovsdb
