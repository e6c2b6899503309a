/* OVSDB data: column types, atoms and datums, their JSON forms and the
 * update2 diff rules.
 *
 * Everything here checks the type of a JSON value before reading it, so no
 * nlohmann::json exception can escape; bad input becomes an error string. */
#include <config.h>

#include "lib/ovsdb-data.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace braid::ovsdb {
namespace {

using nlohmann::json;

/* The longest JSON text quoted in an error message. */
constexpr size_t kMaxQuotedJson = 60;

/* Serialises 'j' compactly for an error message, replacing invalid UTF-8
 * rather than throwing, and shortening it to about kMaxQuotedJson bytes. */
std::string quote_json(const json &j)
{
    std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
    if (text.size() > kMaxQuotedJson) {
        size_t cut = kMaxQuotedJson;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
            cut--;
        }
        text.resize(cut);
        text += "...";
    }
    return text;
}

/* Sets '*error' (if 'error' is non-null) to 'text'. */
void set_error(std::string *error, std::string text)
{
    if (error) {
        *error = std::move(text);
    }
}

/* The name of 'type' with its article, e.g. "an integer". */
const char *type_with_article(AtomicType type)
{
    switch (type) {
    case AtomicType::kInteger:
        return "an integer";
    case AtomicType::kReal:
        return "a real";
    case AtomicType::kBoolean:
        return "a boolean";
    case AtomicType::kString:
        return "a string";
    case AtomicType::kUuid:
        return "a UUID";
    }
    return "an atom";
}

bool is_hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_id_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_id_char(char c)
{
    return is_id_start(c) || (c >= '0' && c <= '9');
}

/* True if 's' is an RFC 7047 <id>: a letter or '_', then letters, digits
 * and '_'. */
bool is_id(std::string_view s)
{
    return !s.empty() && is_id_start(s[0])
           && std::all_of(s.begin() + 1, s.end(), is_id_char);
}

/* The zero atom of 'type' (RFC 7047 §5.2.1 defaults). */
Atom zero_atom(AtomicType type)
{
    switch (type) {
    case AtomicType::kInteger:
        return int64_t{0};
    case AtomicType::kReal:
        return 0.0;
    case AtomicType::kBoolean:
        return false;
    case AtomicType::kString:
        return std::string();
    case AtomicType::kUuid:
        return Uuid{"00000000-0000-0000-0000-000000000000"};
    }
    return int64_t{0};
}

/* Parses the JSON form of one atom of 'type'. */
std::optional<Atom> atom_from_json(const json &j, AtomicType type, std::string *error)
{
    switch (type) {
    case AtomicType::kInteger:
        if (j.is_number_unsigned()) {
            uint64_t u = j.get<uint64_t>();
            if (u > static_cast<uint64_t>(INT64_MAX)) {
                set_error(error, fmt::format("integer {} is out of range", u));
                return std::nullopt;
            }
            return Atom(static_cast<int64_t>(u));
        }
        if (j.is_number_integer()) {
            return Atom(j.get<int64_t>());
        }
        break;
    case AtomicType::kReal:
        if (j.is_number()) {
            return Atom(j.get<double>());
        }
        break;
    case AtomicType::kBoolean:
        if (j.is_boolean()) {
            return Atom(j.get<bool>());
        }
        break;
    case AtomicType::kString:
        if (j.is_string()) {
            return Atom(j.get<std::string>());
        }
        break;
    case AtomicType::kUuid:
        if (j.is_array() && j.size() == 2 && j[0].is_string() && j[1].is_string()) {
            const std::string &tag = j[0].get_ref<const std::string &>();
            const std::string &text = j[1].get_ref<const std::string &>();
            if (tag == "uuid") {
                std::optional<Uuid> uuid = Uuid::parse(text);
                if (!uuid) {
                    set_error(error, fmt::format("{} is not a valid UUID", quote_json(j[1])));
                    return std::nullopt;
                }
                return Atom(std::move(*uuid));
            }
            if (tag == "named-uuid") {
                if (!is_id(text)) {
                    set_error(error, fmt::format("{} is not a valid named-uuid name",
                                                 quote_json(j[1])));
                    return std::nullopt;
                }
                return Atom(Uuid::named(text));
            }
        }
        break;
    }
    set_error(error, fmt::format("expected {}, got {}", type_with_article(type), quote_json(j)));
    return std::nullopt;
}

/* The JSON form of one atom. */
json atom_to_json(const Atom &atom)
{
    switch (atom_type(atom)) {
    case AtomicType::kInteger:
        return std::get<int64_t>(atom);
    case AtomicType::kReal:
        return std::get<double>(atom);
    case AtomicType::kBoolean:
        return std::get<bool>(atom);
    case AtomicType::kString:
        return std::get<std::string>(atom);
    case AtomicType::kUuid: {
        const Uuid &uuid = std::get<Uuid>(atom);
        if (uuid.is_named()) {
            return json::array({"named-uuid", uuid.text.substr(1)});
        }
        return json::array({"uuid", uuid.text});
    }
    }
    return nullptr;
}

/* Checks 'key' against the key constraints kept in 'type'. */
bool check_key_constraints(const Atom &key, const ColumnType &type, std::string *error)
{
    if (!type.key_enum.empty()
        && std::find(type.key_enum.begin(), type.key_enum.end(), key) == type.key_enum.end()) {
        std::string allowed;
        for (const Atom &a : type.key_enum) {
            allowed += allowed.empty() ? "" : ", ";
            allowed += atom_to_json(a).dump(-1, ' ', false, json::error_handler_t::replace);
        }
        set_error(error, fmt::format("{} is not one of the allowed values {}",
                                     quote_json(atom_to_json(key)), allowed));
        return false;
    }
    if (const int64_t *v = std::get_if<int64_t>(&key)) {
        bool too_low = type.key_min_integer && *v < *type.key_min_integer;
        bool too_high = type.key_max_integer && *v > *type.key_max_integer;
        if (too_low || too_high) {
            if (type.key_min_integer && type.key_max_integer) {
                set_error(error, fmt::format("{} is outside the allowed range {} to {}", *v,
                                             *type.key_min_integer, *type.key_max_integer));
            } else if (too_low) {
                set_error(error, fmt::format("{} is less than the minimum {}", *v,
                                             *type.key_min_integer));
            } else {
                set_error(error, fmt::format("{} is greater than the maximum {}", *v,
                                             *type.key_max_integer));
            }
            return false;
        }
    }
    return true;
}

/* Checks that 'n' elements fit the bounds of 'type'. */
bool check_count(size_t n, const ColumnType &type, std::string *error)
{
    if (n < type.min) {
        set_error(error, fmt::format("expected at least {} element{}, got {}", type.min,
                                     type.min == 1 ? "" : "s", n));
        return false;
    }
    if (n > type.max) {
        set_error(error, fmt::format("expected at most {} element{}, got {}", type.max,
                                     type.max == 1 ? "" : "s", n));
        return false;
    }
    return true;
}

/* True if 'j' is an array whose first element is the string 'tag'. */
bool has_tag(const json &j, const char *tag)
{
    return j.is_array() && !j.empty() && j[0].is_string()
           && j[0].get_ref<const std::string &>() == tag;
}

/* Parses a map datum, ["map",[[k,v],...]]. */
std::optional<Datum> map_from_json(const json &j, const ColumnType &type, std::string *error)
{
    if (has_tag(j, "set")) {
        set_error(error, "expected a map, got a set");
        return std::nullopt;
    }
    if (!has_tag(j, "map")) {
        set_error(error, fmt::format("expected a map, got {}", quote_json(j)));
        return std::nullopt;
    }
    if (j.size() != 2 || !j[1].is_array()) {
        set_error(error, fmt::format("malformed map {}: expected [\"map\", [[key, value], ...]]",
                                     quote_json(j)));
        return std::nullopt;
    }

    std::vector<std::pair<Atom, Atom>> pairs;
    pairs.reserve(j[1].size());
    for (const json &pair : j[1]) {
        if (!pair.is_array() || pair.size() != 2) {
            set_error(error, fmt::format("map element {} is not a [key, value] pair",
                                         quote_json(pair)));
            return std::nullopt;
        }
        std::optional<Atom> key = atom_from_json(pair[0], type.key, error);
        if (!key) {
            return std::nullopt;
        }
        std::optional<Atom> value = atom_from_json(pair[1], *type.value, error);
        if (!value) {
            return std::nullopt;
        }
        pairs.emplace_back(std::move(*key), std::move(*value));
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });

    Datum d;
    d.keys.reserve(pairs.size());
    d.values.reserve(pairs.size());
    for (auto &[key, value] : pairs) {
        if (!d.keys.empty() && d.keys.back() == key) {
            set_error(error, fmt::format("map has duplicate key {}",
                                         quote_json(atom_to_json(key))));
            return std::nullopt;
        }
        d.keys.push_back(std::move(key));
        d.values.push_back(std::move(value));
    }
    return d;
}

/* Parses a set datum: a bare atom or ["set",[...]]. */
std::optional<Datum> set_from_json(const json &j, const ColumnType &type, std::string *error)
{
    Datum d;
    if (has_tag(j, "map")) {
        set_error(error, "expected a set, got a map");
        return std::nullopt;
    }
    if (has_tag(j, "set")) {
        if (j.size() != 2 || !j[1].is_array()) {
            set_error(error, fmt::format("malformed set {}: expected [\"set\", [...]]",
                                         quote_json(j)));
            return std::nullopt;
        }
        d.keys.reserve(j[1].size());
        for (const json &element : j[1]) {
            std::optional<Atom> atom = atom_from_json(element, type.key, error);
            if (!atom) {
                return std::nullopt;
            }
            d.keys.push_back(std::move(*atom));
        }
        std::sort(d.keys.begin(), d.keys.end());
        d.keys.erase(std::unique(d.keys.begin(), d.keys.end()), d.keys.end());
    } else {
        std::optional<Atom> atom = atom_from_json(j, type.key, error);
        if (!atom) {
            return std::nullopt;
        }
        d.keys.push_back(std::move(*atom));
    }
    return d;
}

/* Parses a datum of 'type', checking the element count if 'check_bounds'. */
std::optional<Datum> datum_from_json(const json &j, const ColumnType &type, bool check_bounds,
                                     std::string *error)
{
    std::optional<Datum> d = type.is_map() ? map_from_json(j, type, error)
                                           : set_from_json(j, type, error);
    if (!d) {
        return std::nullopt;
    }
    for (const Atom &key : d->keys) {
        if (!check_key_constraints(key, type, error)) {
            return std::nullopt;
        }
    }
    if (check_bounds && !check_count(d->size(), type, error)) {
        return std::nullopt;
    }
    return d;
}

/* A parsed <base-type>. */
struct BaseType {
    AtomicType type = AtomicType::kString;
    std::vector<Atom> enum_values;
    std::optional<int64_t> min_integer;
    std::optional<int64_t> max_integer;
    std::string ref_table;
};

/* Parses an optional integer constraint 'name' of base type 'j'. */
bool parse_integer_constraint(const json &j, const char *role, const char *name,
                              std::optional<int64_t> *out, std::string *error)
{
    auto it = j.find(name);
    if (it == j.end()) {
        return true;
    }
    if (!it->is_number_integer()
        || (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
        set_error(error, fmt::format("\"{}\" of \"{}\" must be an integer, got {}", name, role,
                                     quote_json(*it)));
        return false;
    }
    *out = it->get<int64_t>();
    return true;
}

/* Parses the <base-type> 'j', which is the "key" or "value" ('role') of a
 * column type. */
std::optional<BaseType> base_type_from_json(const json &j, const char *role, std::string *error)
{
    BaseType base;
    const json *type_json = &j;
    if (j.is_object()) {
        auto it = j.find("type");
        if (it == j.end()) {
            set_error(error, fmt::format("\"{}\" has no \"type\"", role));
            return std::nullopt;
        }
        type_json = &*it;
    } else if (!j.is_string()) {
        set_error(error, fmt::format("\"{}\" must be a string or an object, got {}", role,
                                     quote_json(j)));
        return std::nullopt;
    }
    std::optional<AtomicType> atomic;
    if (type_json->is_string()) {
        atomic = atomic_type_from_string(type_json->get_ref<const std::string &>());
    }
    if (!atomic) {
        set_error(error, fmt::format("\"{}\" has unknown atomic type {}", role,
                                     quote_json(*type_json)));
        return std::nullopt;
    }
    base.type = *atomic;
    if (!j.is_object()) {
        return base;
    }

    if (auto it = j.find("enum"); it != j.end()) {
        ColumnType enum_type;
        enum_type.key = base.type;
        enum_type.min = 0;
        enum_type.max = UINT32_MAX;
        std::string why;
        std::optional<Datum> values = datum_from_json(*it, enum_type, true, &why);
        if (!values) {
            set_error(error, fmt::format("\"enum\" of \"{}\" is invalid: {}", role, why));
            return std::nullopt;
        }
        base.enum_values = std::move(values->keys);
    }
    if (base.type == AtomicType::kInteger
        && (!parse_integer_constraint(j, role, "minInteger", &base.min_integer, error)
            || !parse_integer_constraint(j, role, "maxInteger", &base.max_integer, error))) {
        return std::nullopt;
    }
    if (base.type == AtomicType::kUuid) {
        if (auto it = j.find("refTable"); it != j.end()) {
            if (!it->is_string()) {
                set_error(error, fmt::format("\"refTable\" of \"{}\" must be a string, got {}",
                                             role, quote_json(*it)));
                return std::nullopt;
            }
            base.ref_table = it->get<std::string>();
        }
    }
    return base;
}

/* True if a string must be quoted in datum_to_string() to be read back as
 * the same string. */
bool string_needs_quotes(const std::string &s)
{
    if (s.empty() || !is_id_start(s[0]) || s == "true" || s == "false" || Uuid::parse(s)) {
        return true;
    }
    return !std::all_of(s.begin(), s.end(),
                        [](char c) { return is_id_char(c) || c == '-' || c == '.'; });
}

/* The human-readable form of one atom. */
std::string atom_to_string(const Atom &atom)
{
    switch (atom_type(atom)) {
    case AtomicType::kInteger:
        return fmt::format("{}", std::get<int64_t>(atom));
    case AtomicType::kReal:
        return fmt::format("{}", std::get<double>(atom));
    case AtomicType::kBoolean:
        return std::get<bool>(atom) ? "true" : "false";
    case AtomicType::kString: {
        const std::string &s = std::get<std::string>(atom);
        return string_needs_quotes(s) ? json(s).dump(-1, ' ', false,
                                                      json::error_handler_t::replace)
                                      : s;
    }
    case AtomicType::kUuid:
        return std::get<Uuid>(atom).text;
    }
    return std::string();
}

/* The single key of 'd' as a T, if 'd' is a one-element set of T. */
template <typename T>
std::optional<T> single(const Datum &d)
{
    if (d.keys.size() != 1 || !d.values.empty()) {
        return std::nullopt;
    }
    if (const T *v = std::get_if<T>(&d.keys[0])) {
        return *v;
    }
    return std::nullopt;
}

/* The keys of 'd' that are T's. */
template <typename T>
std::vector<T> keys_of_type(const Datum &d)
{
    std::vector<T> out;
    for (const Atom &key : d.keys) {
        if (const T *v = std::get_if<T>(&key)) {
            out.push_back(*v);
        }
    }
    return out;
}

}  // namespace

const char *atomic_type_to_string(AtomicType type)
{
    switch (type) {
    case AtomicType::kInteger:
        return "integer";
    case AtomicType::kReal:
        return "real";
    case AtomicType::kBoolean:
        return "boolean";
    case AtomicType::kString:
        return "string";
    case AtomicType::kUuid:
        return "uuid";
    }
    return "<invalid>";
}

std::optional<AtomicType> atomic_type_from_string(std::string_view s)
{
    for (AtomicType t : {AtomicType::kInteger, AtomicType::kReal, AtomicType::kBoolean,
                         AtomicType::kString, AtomicType::kUuid}) {
        if (s == atomic_type_to_string(t)) {
            return t;
        }
    }
    return std::nullopt;
}

std::optional<Uuid> Uuid::parse(std::string_view s)
{
    if (s.size() != 36) {
        return std::nullopt;
    }
    std::string text(s);
    for (size_t i = 0; i < text.size(); i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-') {
                return std::nullopt;
            }
        } else if (!is_hex_digit(text[i])) {
            return std::nullopt;
        } else if (text[i] >= 'A' && text[i] <= 'F') {
            text[i] = static_cast<char>(text[i] - 'A' + 'a');
        }
    }
    return Uuid{std::move(text)};
}

AtomicType atom_type(const Atom &atom)
{
    switch (atom.index()) {
    case 0:
        return AtomicType::kInteger;
    case 1:
        return AtomicType::kReal;
    case 2:
        return AtomicType::kBoolean;
    case 3:
        return AtomicType::kString;
    default:
        return AtomicType::kUuid;
    }
}

std::optional<ColumnType> ColumnType::from_json(const nlohmann::json &j, std::string *error)
{
    ColumnType type;
    if (j.is_string()) {
        std::optional<AtomicType> atomic =
            atomic_type_from_string(j.get_ref<const std::string &>());
        if (!atomic) {
            set_error(error, fmt::format("unknown atomic type {}", quote_json(j)));
            return std::nullopt;
        }
        type.key = *atomic;
        return type;
    }
    if (!j.is_object()) {
        set_error(error, fmt::format("type must be a string or an object, got {}",
                                     quote_json(j)));
        return std::nullopt;
    }

    auto key_it = j.find("key");
    if (key_it == j.end()) {
        set_error(error, "type has no \"key\"");
        return std::nullopt;
    }
    std::optional<BaseType> key = base_type_from_json(*key_it, "key", error);
    if (!key) {
        return std::nullopt;
    }
    type.key = key->type;
    type.key_enum = std::move(key->enum_values);
    type.key_min_integer = key->min_integer;
    type.key_max_integer = key->max_integer;
    type.key_ref_table = std::move(key->ref_table);

    if (auto it = j.find("value"); it != j.end()) {
        std::optional<BaseType> value = base_type_from_json(*it, "value", error);
        if (!value) {
            return std::nullopt;
        }
        type.value = value->type;
        type.value_ref_table = std::move(value->ref_table);
    }

    if (auto it = j.find("min"); it != j.end()) {
        if (!it->is_number_integer() || (it->get<int64_t>() != 0 && it->get<int64_t>() != 1)) {
            set_error(error, fmt::format("\"min\" must be 0 or 1, got {}", quote_json(*it)));
            return std::nullopt;
        }
        type.min = static_cast<unsigned>(it->get<int64_t>());
    }
    if (auto it = j.find("max"); it != j.end()) {
        if (it->is_string() && it->get_ref<const std::string &>() == "unlimited") {
            type.max = UINT32_MAX;
        } else if (it->is_number_unsigned() && it->get<uint64_t>() >= 1) {
            type.max = static_cast<unsigned>(std::min<uint64_t>(it->get<uint64_t>(), UINT32_MAX));
        } else if (it->is_number_integer() && it->get<int64_t>() >= 1) {
            type.max = static_cast<unsigned>(std::min<int64_t>(it->get<int64_t>(), UINT32_MAX));
        } else {
            set_error(error, fmt::format("\"max\" must be a positive integer or \"unlimited\", "
                                         "got {}", quote_json(*it)));
            return std::nullopt;
        }
    }
    if (type.min > type.max) {
        set_error(error, fmt::format("\"min\" {} is greater than \"max\" {}", type.min, type.max));
        return std::nullopt;
    }
    return type;
}

std::optional<int64_t> Datum::as_integer() const
{
    return single<int64_t>(*this);
}

std::optional<double> Datum::as_real() const
{
    return single<double>(*this);
}

std::optional<bool> Datum::as_boolean() const
{
    return single<bool>(*this);
}

std::optional<std::string> Datum::as_string() const
{
    return single<std::string>(*this);
}

std::optional<Uuid> Datum::as_uuid() const
{
    return single<Uuid>(*this);
}

std::vector<Uuid> Datum::uuids() const
{
    return keys_of_type<Uuid>(*this);
}

std::vector<std::string> Datum::strings() const
{
    return keys_of_type<std::string>(*this);
}

std::vector<int64_t> Datum::integers() const
{
    return keys_of_type<int64_t>(*this);
}

std::map<std::string, std::string> Datum::string_map() const
{
    std::map<std::string, std::string> out;
    if (values.size() != keys.size()) {
        return out;
    }
    for (size_t i = 0; i < keys.size(); i++) {
        const auto *k = std::get_if<std::string>(&keys[i]);
        const auto *v = std::get_if<std::string>(&values[i]);
        if (!k || !v) {
            return {};
        }
        out.emplace(*k, *v);
    }
    return out;
}

const Atom *Datum::find(const Atom &key) const
{
    if (values.size() != keys.size()) {
        return nullptr;
    }
    auto it = std::lower_bound(keys.begin(), keys.end(), key);
    if (it == keys.end() || *it != key) {
        return nullptr;
    }
    return &values[static_cast<size_t>(it - keys.begin())];
}

Datum Datum::integer(int64_t v)
{
    return Datum{{Atom(v)}, {}};
}

Datum Datum::real(double v)
{
    return Datum{{Atom(v)}, {}};
}

Datum Datum::boolean(bool v)
{
    return Datum{{Atom(v)}, {}};
}

Datum Datum::string(std::string v)
{
    return Datum{{Atom(std::move(v))}, {}};
}

Datum Datum::uuid(Uuid v)
{
    return Datum{{Atom(std::move(v))}, {}};
}

Datum Datum::string_map(const std::map<std::string, std::string> &m)
{
    Datum d;
    for (const auto &[k, v] : m) {
        d.keys.emplace_back(k);
        d.values.emplace_back(v);
    }
    return d;
}

Datum Datum::integer_map(const std::map<std::string, int64_t> &m)
{
    Datum d;
    for (const auto &[k, v] : m) {
        d.keys.emplace_back(k);
        d.values.emplace_back(v);
    }
    return d;
}

Datum Datum::string_set(const std::vector<std::string> &v)
{
    Datum d;
    for (const std::string &s : v) {
        d.keys.emplace_back(s);
    }
    std::sort(d.keys.begin(), d.keys.end());
    d.keys.erase(std::unique(d.keys.begin(), d.keys.end()), d.keys.end());
    return d;
}

Datum Datum::default_of(const ColumnType &type)
{
    Datum d;
    if (type.min > 0) {
        d.keys.push_back(zero_atom(type.key));
        if (type.value) {
            d.values.push_back(zero_atom(*type.value));
        }
    }
    return d;
}

std::optional<Datum> Datum::from_json(const nlohmann::json &j, const ColumnType &type,
                                      std::string *error)
{
    return datum_from_json(j, type, true, error);
}

std::optional<Datum> Datum::diff_from_json(const nlohmann::json &j, const ColumnType &type,
                                           std::string *error)
{
    return datum_from_json(j, type, false, error);
}

nlohmann::json Datum::to_json(const ColumnType &type) const
{
    if (type.is_map()) {
        json pairs = json::array();
        for (size_t i = 0; i < keys.size() && i < values.size(); i++) {
            pairs.push_back(json::array({atom_to_json(keys[i]), atom_to_json(values[i])}));
        }
        return json::array({"map", std::move(pairs)});
    }
    if (keys.size() == 1) {
        return atom_to_json(keys[0]);
    }
    json elements = json::array();
    for (const Atom &key : keys) {
        elements.push_back(atom_to_json(key));
    }
    return json::array({"set", std::move(elements)});
}

bool Datum::apply_diff(const Datum &diff, const ColumnType &type, std::string *error)
{
    bool diff_is_map = !diff.values.empty() || (diff.keys.empty() && type.is_map());
    if (diff_is_map != type.is_map() || (type.is_map() && diff.values.size() != diff.keys.size())) {
        set_error(error, type.is_map() ? "cannot apply a set diff to a map"
                                       : "cannot apply a map diff to a set");
        return false;
    }

    Datum result;
    if (type.is_scalar_like()) {
        result = diff;
    } else if (type.is_map()) {
        /* Merges the two sorted key sequences. */
        size_t i = 0;
        size_t k = 0;
        while (i < keys.size() || k < diff.keys.size()) {
            if (k == diff.keys.size() || (i < keys.size() && keys[i] < diff.keys[k])) {
                result.keys.push_back(keys[i]);
                result.values.push_back(values[i]);
                i++;
            } else if (i == keys.size() || diff.keys[k] < keys[i]) {
                result.keys.push_back(diff.keys[k]);
                result.values.push_back(diff.values[k]);
                k++;
            } else {
                if (values[i] != diff.values[k]) {
                    result.keys.push_back(keys[i]);
                    result.values.push_back(diff.values[k]);
                }
                i++;
                k++;
            }
        }
    } else {
        std::set_symmetric_difference(keys.begin(), keys.end(), diff.keys.begin(),
                                      diff.keys.end(), std::back_inserter(result.keys));
    }

    size_t n = result.size();
    if (n < type.min || n > type.max) {
        set_error(error, fmt::format("applying the diff would leave {} element{}, {} the {} {}", n,
                                     n == 1 ? "" : "s", n < type.min ? "fewer than" : "more than",
                                     n < type.min ? "minimum" : "maximum",
                                     n < type.min ? type.min : type.max));
        return false;
    }
    *this = std::move(result);
    return true;
}

std::string datum_to_string(const Datum &datum)
{
    if (!datum.values.empty()) {
        std::string out = "{";
        for (size_t i = 0; i < datum.keys.size() && i < datum.values.size(); i++) {
            out += i ? ", " : "";
            out += atom_to_string(datum.keys[i]);
            out += '=';
            out += atom_to_string(datum.values[i]);
        }
        return out + "}";
    }
    if (datum.keys.size() == 1) {
        return atom_to_string(datum.keys[0]);
    }
    std::string out = "[";
    for (size_t i = 0; i < datum.keys.size(); i++) {
        out += i ? ", " : "";
        out += atom_to_string(datum.keys[i]);
    }
    return out + "]";
}

}  // namespace braid::ovsdb
