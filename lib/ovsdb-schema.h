/* OVSDB database schemas (RFC 7047 §3.2), as far as a client needs them:
 * the tables, their columns and the columns' types. */
#ifndef BRAID_LIB_OVSDB_SCHEMA_H
#define BRAID_LIB_OVSDB_SCHEMA_H 1

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lib/ovsdb-data.h"

namespace braid::ovsdb {

/* One table: its name, its columns and whether it is in the root set. */
struct TableSchema {
    std::string name;
    std::map<std::string, ColumnType> columns;   /* Without _uuid and _version. */
    /* "isRoot".  As RFC 7047 §3.2 requires for old schemas, when no table of
     * a schema says "isRoot": true, every table is a root table. */
    bool is_root = false;

    /* The type of 'column', or null if the table has no such column. */
    const ColumnType *column(const std::string &column) const;
};

/* A database schema: its name, version and tables. */
struct DatabaseSchema {
    std::string name;
    std::string version;                         /* Empty if the schema has none. */
    std::map<std::string, TableSchema> tables;

    /* The table called 'name', or null. */
    const TableSchema *table(const std::string &name) const;

    /* Parses a schema as get_schema returns it (and as .ovsschema files hold
     * it).  "name" and "tables" are required; "cksum", "ephemeral",
     * "mutable", "maxRows", "indexes" and unknown members are ignored.
     * Column names starting with '_' are reserved and rejected.  On failure
     * returns nullopt and sets '*error' (if 'error' is non-null) to one
     * sentence naming the table and column at fault. */
    static std::optional<DatabaseSchema> from_json(const nlohmann::json &j, std::string *error);
};

}  // namespace braid::ovsdb

#endif  // BRAID_LIB_OVSDB_SCHEMA_H
