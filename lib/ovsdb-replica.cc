/* A client's copy of the monitored part of an OVSDB database. */
#include <config.h>

#include "lib/ovsdb-replica.h"

#include <algorithm>

#include <fmt/format.h>

namespace braid::ovsdb {

const Datum &Row::get(const std::string &column) const
{
    static const Datum empty;
    auto it = columns.find(column);
    return it == columns.end() ? empty : it->second;
}

void Replica::configure(const DatabaseSchema &schema,
                        const std::map<std::string, TableWanted> &wanted,
                        std::vector<std::string> *missing)
{
    schema_ = schema;
    wanted_.clear();
    tables_.clear();
    alert_seqno_++;
    change_seqno_++;
    for (const auto &[table, want] : wanted) {
        const TableSchema *ts = schema.table(table);
        if (!ts) {
            missing->push_back(table);
            continue;
        }
        TableWanted &kept = wanted_[table];
        for (const std::string &column : want.columns) {
            if (ts->column(column)) {
                kept.columns.push_back(column);
                if (want.silent.count(column)) {
                    kept.silent.insert(column);
                }
            } else {
                missing->push_back(table + "." + column);
            }
        }
    }
}

std::map<std::string, std::vector<std::string>> Replica::monitored() const
{
    std::map<std::string, std::vector<std::string>> m;
    for (const auto &[table, want] : wanted_) {
        m[table] = want.columns;
    }
    return m;
}

void Replica::clear()
{
    tables_.clear();
    alert_seqno_++;
    change_seqno_++;
}

const Replica::Table &Replica::table(const std::string &name) const
{
    static const Table empty;
    auto it = tables_.find(name);
    return it == tables_.end() ? empty : it->second;
}

const Row *Replica::row(const std::string &table, const std::string &uuid) const
{
    const Table &t = this->table(table);
    auto it = t.find(uuid);
    return it == t.end() ? nullptr : &it->second;
}

const Row *Replica::first(const std::string &table) const
{
    const Table &t = this->table(table);
    return t.empty() ? nullptr : &t.begin()->second;
}

const ColumnType *Replica::column_type(const std::string &table, const std::string &column) const
{
    const TableSchema *ts = schema_.table(table);
    return ts ? ts->column(column) : nullptr;
}

bool Replica::has_column(const std::string &table, const std::string &column) const
{
    return column_type(table, column) != nullptr;
}

size_t Replica::n_rows() const
{
    size_t n = 0;
    for (const auto &[name, table] : tables_) {
        n += table.size();
    }
    return n;
}

bool Replica::parse_row(const std::string &table, const nlohmann::json &json, Row *row,
                        bool diff, bool *alert, std::string *error)
{
    if (!json.is_object()) {
        *error = fmt::format("row of table {} is not an object", table);
        return false;
    }
    const TableWanted &want = wanted_.at(table);
    for (const auto &[column, value] : json.items()) {
        const ColumnType *type = column_type(table, column);
        if (!type || std::find(want.columns.begin(), want.columns.end(), column)
                         == want.columns.end()) {
            continue;       /* Not ours: ignore, as a newer server may send more. */
        }
        std::string why;
        if (diff) {
            std::optional<Datum> d = Datum::diff_from_json(value, *type, &why);
            if (!d) {
                *error = fmt::format("{}.{}: {}", table, column, why);
                return false;
            }
            auto it = row->columns.find(column);
            Datum current = it != row->columns.end() ? it->second : Datum::default_of(*type);
            if (!current.apply_diff(*d, *type, &why)) {
                *error = fmt::format("{}.{}: {}", table, column, why);
                return false;
            }
            row->columns[column] = std::move(current);
        } else {
            std::optional<Datum> d = Datum::from_json(value, *type, &why);
            if (!d) {
                *error = fmt::format("{}.{}: {}", table, column, why);
                return false;
            }
            row->columns[column] = std::move(*d);
        }
        if (!want.silent.count(column)) {
            *alert = true;
        }
    }
    return true;
}

bool Replica::apply_row(const std::string &table, const std::string &uuid,
                        const nlohmann::json &change, int version, std::string *error)
{
    if (!change.is_object()) {
        *error = fmt::format("update for row {} of {} is not an object", uuid, table);
        return false;
    }
    Table &rows = tables_[table];
    bool alert = false;
    if (version == 1) {
        /* {"old": ..., "new": ...}: "new" holds every monitored column of
         * the row as it is now; no "new" means the row is gone. */
        auto it = change.find("new");
        if (it == change.end() || it->is_null()) {
            if (rows.erase(uuid)) {
                alert_seqno_++;
            }
            return true;
        }
        Row row;
        row.uuid = uuid;
        for (const std::string &column : wanted_.at(table).columns) {
            row.columns[column] = Datum::default_of(*column_type(table, column));
        }
        if (!parse_row(table, *it, &row, false, &alert, error)) {
            return false;
        }
        auto old = rows.find(uuid);
        if (old == rows.end() || !(old->second.columns == row.columns)) {
            /* Only alerting columns should wake the owner. */
            bool changed_alerting = old == rows.end();
            if (!changed_alerting) {
                for (const auto &[column, value] : row.columns) {
                    if (!wanted_.at(table).silent.count(column)
                        && !(old->second.get(column) == value)) {
                        changed_alerting = true;
                    }
                }
            }
            if (changed_alerting) {
                alert_seqno_++;
            }
        }
        rows[uuid] = std::move(row);
        return true;
    }

    /* Version 2: exactly one of "initial", "insert", "modify", "delete". */
    if (change.size() != 1) {
        *error = fmt::format("update2 for row {} of {} must have exactly one member", uuid,
                             table);
        return false;
    }
    auto first = change.begin();
    const std::string kind = first.key();
    const nlohmann::json &value = first.value();
    if (kind == "initial" || kind == "insert") {
        Row row;
        row.uuid = uuid;
        for (const std::string &column : wanted_.at(table).columns) {
            row.columns[column] = Datum::default_of(*column_type(table, column));
        }
        if (!parse_row(table, value, &row, false, &alert, error)) {
            return false;
        }
        rows[uuid] = std::move(row);
        alert_seqno_++;
    } else if (kind == "modify") {
        auto it = rows.find(uuid);
        if (it == rows.end()) {
            *error = fmt::format("modify of unknown row {} in {}", uuid, table);
            return false;
        }
        Row updated = it->second;
        if (!parse_row(table, value, &updated, true, &alert, error)) {
            return false;
        }
        it->second = std::move(updated);
        if (alert) {
            alert_seqno_++;
        }
    } else if (kind == "delete") {
        if (rows.erase(uuid)) {
            alert_seqno_++;
        }
    } else {
        *error = fmt::format("unknown update2 kind \"{}\" for row {} of {}", kind, uuid, table);
        return false;
    }
    return true;
}

bool Replica::apply_updates(const nlohmann::json &updates, int version, std::string *error)
{
    change_seqno_++;
    if (!updates.is_object()) {
        *error = "table updates are not an object";
        return false;
    }
    for (const auto &[table, rows] : updates.items()) {
        if (!wanted_.count(table)) {
            continue;
        }
        if (!rows.is_object()) {
            *error = fmt::format("updates of table {} are not an object", table);
            return false;
        }
        for (const auto &[uuid, change] : rows.items()) {
            if (!Uuid::parse(uuid)) {
                *error = fmt::format("\"{}\" in table {} is not a uuid", uuid, table);
                return false;
            }
            if (!apply_row(table, uuid, change, version, error)) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace braid::ovsdb
