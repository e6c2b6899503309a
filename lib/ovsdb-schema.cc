/* OVSDB database schemas: parsing the JSON form (RFC 7047 §3.2).
 *
 * Every JSON value is type-checked before it is read, so no nlohmann::json
 * exception can escape. */
#include <config.h>

#include "lib/ovsdb-schema.h"

#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace braid::ovsdb {
namespace {

using nlohmann::json;

/* Serialises 'j' compactly for an error message, replacing invalid UTF-8
 * rather than throwing. */
std::string quote_json(const json &j)
{
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

/* Sets '*error' (if 'error' is non-null) to 'text' and returns no schema. */
std::optional<DatabaseSchema> fail(std::string *error, std::string text)
{
    if (error) {
        *error = std::move(text);
    }
    return std::nullopt;
}

/* Parses the <table-schema> 'j' of table 'name' into '*table'.  Returns an
 * error sentence, or an empty string on success. */
std::string table_from_json(const std::string &name, const json &j, TableSchema *table)
{
    if (!j.is_object()) {
        return fmt::format("table {} must be an object, not {}", name, quote_json(j));
    }
    table->name = name;

    auto columns = j.find("columns");
    if (columns == j.end()) {
        return fmt::format("table {} has no \"columns\"", name);
    }
    if (!columns->is_object()) {
        return fmt::format("\"columns\" of table {} must be an object", name);
    }
    for (const auto &item : columns->items()) {
        const std::string &column = item.key();
        const json &column_json = item.value();
        if (column.empty() || column[0] == '_') {
            return fmt::format("table {} has column name {}, but names starting with '_' "
                               "are reserved", name, quote_json(column));
        }
        if (!column_json.is_object()) {
            return fmt::format("column {}.{} must be an object, not {}", name, column,
                               quote_json(column_json));
        }
        auto type_json = column_json.find("type");
        if (type_json == column_json.end()) {
            return fmt::format("column {}.{} has no \"type\"", name, column);
        }
        std::string why;
        std::optional<ColumnType> type = ColumnType::from_json(*type_json, &why);
        if (!type) {
            return fmt::format("column {}.{} has an invalid type: {}", name, column, why);
        }
        table->columns.emplace(column, std::move(*type));
    }

    if (auto is_root = j.find("isRoot"); is_root != j.end()) {
        if (!is_root->is_boolean()) {
            return fmt::format("\"isRoot\" of table {} must be a boolean, not {}", name,
                               quote_json(*is_root));
        }
        table->is_root = is_root->get<bool>();
    }
    return std::string();
}

}  // namespace

const ColumnType *TableSchema::column(const std::string &column) const
{
    auto it = columns.find(column);
    return it == columns.end() ? nullptr : &it->second;
}

const TableSchema *DatabaseSchema::table(const std::string &table_name) const
{
    auto it = tables.find(table_name);
    return it == tables.end() ? nullptr : &it->second;
}

std::optional<DatabaseSchema> DatabaseSchema::from_json(const nlohmann::json &j,
                                                        std::string *error)
{
    if (!j.is_object()) {
        return fail(error, fmt::format("schema must be an object, not {}", j.type_name()));
    }
    DatabaseSchema schema;

    auto name = j.find("name");
    if (name == j.end()) {
        return fail(error, "schema has no \"name\"");
    }
    if (!name->is_string()) {
        return fail(error, fmt::format("schema \"name\" must be a string, not {}",
                                       quote_json(*name)));
    }
    schema.name = name->get<std::string>();

    if (auto version = j.find("version"); version != j.end()) {
        if (!version->is_string()) {
            return fail(error, fmt::format("schema \"version\" must be a string, not {}",
                                           quote_json(*version)));
        }
        schema.version = version->get<std::string>();
    }

    auto tables = j.find("tables");
    if (tables == j.end()) {
        return fail(error, fmt::format("schema {} has no \"tables\"", schema.name));
    }
    if (!tables->is_object()) {
        return fail(error, fmt::format("\"tables\" of schema {} must be an object",
                                       schema.name));
    }
    bool any_root = false;
    for (const auto &item : tables->items()) {
        TableSchema table;
        std::string why = table_from_json(item.key(), item.value(), &table);
        if (!why.empty()) {
            return fail(error, std::move(why));
        }
        any_root = any_root || table.is_root;
        schema.tables.emplace(item.key(), std::move(table));
    }

    /* RFC 7047 §3.2: a schema in which no table is a root table predates
     * "isRoot", and then every table is a root table. */
    if (!any_root) {
        for (auto &[table_name, table] : schema.tables) {
            table.is_root = true;
        }
    }
    return schema;
}

}  // namespace braid::ovsdb
