/* A client's copy of the monitored part of an OVSDB database.
 *
 * The replica holds, for each monitored table, every row with the values of
 * the monitored columns, kept current by applying the server's monitor
 * replies and update notifications: the "table-updates" of the original
 * "monitor" method and the "table-updates2" of "monitor_cond" (RFC 7047
 * §4.1.6 and ovsdb-server(7) §4.1.12-14).
 *
 * Columns are "alerting" or not: a change to an alerting column bumps
 * alert_seqno(), which tells the owner to reconfigure; others (values the
 * client writes itself and only reads back, like Interface.ofport) change
 * silently, as ovs-vswitchd's "omit alert" columns do. */
#ifndef BRAID_LIB_OVSDB_REPLICA_H
#define BRAID_LIB_OVSDB_REPLICA_H 1

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/ovsdb-data.h"
#include "lib/ovsdb-schema.h"

namespace braid::ovsdb {

/* One row: the values of the monitored columns.  A column the server left
 * out holds its type's default. */
struct Row {
    std::string uuid;
    std::map<std::string, Datum> columns;

    /* The value of 'column', or an empty datum if it is not monitored. */
    const Datum &get(const std::string &column) const;
};

/* What to monitor in one table. */
struct TableWanted {
    std::vector<std::string> columns;           /* Columns to monitor. */
    std::set<std::string> silent;               /* Of those, the non-alerting ones. */
};

class Replica {
public:
    using Table = std::map<std::string, Row>;   /* By uuid text. */

    /* Sets what is monitored: the tables and columns of 'wanted' that
     * 'schema' has.  Drops all rows.  Fills '*missing' with
     * "Table.column" for each wanted column the schema lacks. */
    void configure(const DatabaseSchema &schema, const std::map<std::string, TableWanted> &wanted,
                   std::vector<std::string> *missing);

    /* The columns monitored in each table, for the monitor request. */
    std::map<std::string, std::vector<std::string>> monitored() const;

    /* Drops every row, as before a full resynchronisation. */
    void clear();

    /* Applies a "table-updates" (version 1) or "table-updates2" (version 2)
     * object.  Returns false with '*error' set for a malformed update; rows
     * already changed stay changed, and the caller should resynchronise. */
    bool apply_updates(const nlohmann::json &updates, int version, std::string *error);

    /* The rows of 'table' (empty if not monitored). */
    const Table &table(const std::string &name) const;

    /* The row 'uuid' of 'table', or null. */
    const Row *row(const std::string &table, const std::string &uuid) const;

    /* The first row of 'table', or null (for single-row tables such as
     * Open_vSwitch). */
    const Row *first(const std::string &table) const;

    /* The schema type of a monitored column, or null. */
    const ColumnType *column_type(const std::string &table, const std::string &column) const;

    /* Whether 'table' has 'column' in the served schema. */
    bool has_column(const std::string &table, const std::string &column) const;

    /* Bumped by every change to an alerting column, a row insert or delete,
     * and clear(). */
    uint64_t alert_seqno() const { return alert_seqno_; }

    /* Bumped by every change at all, silent columns included. */
    uint64_t change_seqno() const { return change_seqno_; }

    /* Total number of rows held. */
    size_t n_rows() const;

private:
    bool apply_row(const std::string &table, const std::string &uuid, const nlohmann::json &change,
                   int version, std::string *error);
    bool parse_row(const std::string &table, const nlohmann::json &json, Row *row, bool diff,
                   bool *alert, std::string *error);

    DatabaseSchema schema_;
    std::map<std::string, TableWanted> wanted_;        /* Intersected with the schema. */
    std::map<std::string, Table> tables_;
    uint64_t alert_seqno_ = 1;
    uint64_t change_seqno_ = 1;
};

}  // namespace braid::ovsdb

#endif  // BRAID_LIB_OVSDB_REPLICA_H
