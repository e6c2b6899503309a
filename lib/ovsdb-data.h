/* OVSDB data: column types, atoms and datums (RFC 7047 §5.1), their JSON
 * forms, and the update2 diff rules.
 *
 * A Datum holds the value of one column of one row as OVSDB defines it: a
 * sorted set of atoms (keys), and for maps a value atom per key.  Scalars
 * and optional columns are sets of at most one element.  Keeping every
 * column in this one form makes comparison, diff application and
 * conversion uniform.  This is control-plane code: it allocates freely and
 * reports bad input through return values and an error string, never by
 * throwing. */
#ifndef BRAID_LIB_OVSDB_DATA_H
#define BRAID_LIB_OVSDB_DATA_H 1

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace braid::ovsdb {

enum class AtomicType { kInteger, kReal, kBoolean, kString, kUuid };

/* "integer", "real", "boolean", "string", "uuid". */
const char *atomic_type_to_string(AtomicType type);
std::optional<AtomicType> atomic_type_from_string(std::string_view s);

/* A UUID in its canonical text form, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
 * (lowercase), or a named UUID (RFC 7047 <named-uuid>) as '@' followed by
 * its name. */
struct Uuid {
    std::string text;

    /* Checks the canonical form (case-insensitive, stored lowercase). */
    static std::optional<Uuid> parse(std::string_view s);
    /* The named UUID 'name' (an <id>: a letter or '_', then letters, digits
     * and '_'; not checked here), i.e. text "@name". */
    static Uuid named(std::string_view name) { return Uuid{"@" + std::string(name)}; }
    /* True for a named UUID. */
    bool is_named() const { return !text.empty() && text[0] == '@'; }
    friend auto operator<=>(const Uuid &, const Uuid &) = default;
};

/* One atomic value.  Atoms of different types never compare equal; atoms
 * of one type order as OVSDB orders them (numbers numerically, strings and
 * UUIDs bytewise, false < true). */
using Atom = std::variant<int64_t, double, bool, std::string, Uuid>;

AtomicType atom_type(const Atom &atom);

/* The type of one column (RFC 7047 <type>): a key type, an optional value
 * type (maps), and the bounds on the number of elements.  Constraints on
 * atoms (enum, min/max, refTable...) are kept only as far as Braid needs
 * them: 'key_enum' lists the allowed keys when the schema gives an enum,
 * and 'key_min_integer'/'key_max_integer' the range of integer keys.  The
 * other constraints (lengths, real ranges, refType, constraints on values)
 * are parsed past and not kept. */
struct ColumnType {
    AtomicType key = AtomicType::kString;
    std::optional<AtomicType> value;    /* Set for maps. */
    unsigned min = 1;
    unsigned max = 1;                   /* UINT32_MAX for "unlimited". */
    std::vector<Atom> key_enum;         /* Allowed keys (sorted), if constrained. */
    std::optional<int64_t> key_min_integer;   /* "minInteger" of integer keys. */
    std::optional<int64_t> key_max_integer;   /* "maxInteger" of integer keys. */
    std::string key_ref_table;          /* refTable of uuid keys, if any. */
    std::string value_ref_table;        /* refTable of uuid values, if any. */

    bool is_map() const { return value.has_value(); }
    /* A column whose datums hold at most one element (scalars, optional
     * columns): update2 replaces its value instead of applying a diff. */
    bool is_scalar_like() const { return max == 1; }
    bool is_set() const { return !is_map() && max > 1; }

    /* Parses a <type> from a schema.  On failure returns nullopt and sets
     * '*error'. */
    static std::optional<ColumnType> from_json(const nlohmann::json &j, std::string *error);
};

/* The value of one column. */
struct Datum {
    std::vector<Atom> keys;             /* Sorted, no duplicates. */
    std::vector<Atom> values;           /* Parallel to 'keys' for maps, else empty. */

    bool empty() const { return keys.empty(); }
    size_t size() const { return keys.size(); }

    /* Convenience accessors for the common shapes; each returns nullopt (or
     * a default) when the datum does not hold exactly that shape. */
    std::optional<int64_t> as_integer() const;
    std::optional<double> as_real() const;
    std::optional<bool> as_boolean() const;
    std::optional<std::string> as_string() const;
    std::optional<Uuid> as_uuid() const;
    /* The keys as UUIDs / strings / integers (elements of other types are
     * skipped). */
    std::vector<Uuid> uuids() const;
    std::vector<std::string> strings() const;
    std::vector<int64_t> integers() const;
    /* A string-to-string map, or an empty map for other shapes. */
    std::map<std::string, std::string> string_map() const;

    /* The value for key 'key' in a map, if present. */
    const Atom *find(const Atom &key) const;

    static Datum integer(int64_t v);
    static Datum real(double v);
    static Datum boolean(bool v);
    static Datum string(std::string v);
    static Datum uuid(Uuid v);
    static Datum string_map(const std::map<std::string, std::string> &m);
    static Datum integer_map(const std::map<std::string, int64_t> &m);
    static Datum string_set(const std::vector<std::string> &v);

    /* The default value of 'type' (RFC 7047 §5.2.1: empty for min 0, else
     * the type's zero atom: 0, 0.0, false, "", the all-zero UUID). */
    static Datum default_of(const ColumnType &type);

    /* Parses the JSON form of a datum of 'type': a bare atom, ["set",[...]],
     * or ["map",[[k,v],...]]; uuids as ["uuid","..."].  "named-uuid" atoms
     * are accepted and kept as strings inside a Uuid whose text starts with
     * '@' (they only occur in our own transactions).  Checks atom types,
     * the key constraints kept in 'type' (enum, integer range) and the
     * element count against 'type'; sorts sets and removes duplicate
     * elements; rejects a map with a duplicate key.  An integer is
     * accepted where a real is due, not the reverse.  On failure returns
     * nullopt and sets '*error' (if 'error' is non-null) to one sentence
     * saying what is wrong. */
    static std::optional<Datum> from_json(const nlohmann::json &j, const ColumnType &type,
                                          std::string *error);

    /* Like from_json(), but for the diff of an update2 "modify": the
     * element count is not checked (apply_diff() checks the result). */
    static std::optional<Datum> diff_from_json(const nlohmann::json &j, const ColumnType &type,
                                               std::string *error);

    /* The JSON form OVS sends: a set of exactly one element as the bare
     * atom, other sets as ["set",[...]], maps (even empty or of one pair)
     * as ["map",[...]] in key order; uuids as ["uuid","..."], named uuids
     * as ["named-uuid","name"]. */
    nlohmann::json to_json(const ColumnType &type) const;

    /* Applies an update2 "modify" diff 'diff' (parsed by diff_from_json())
     * to this datum, as ovsdb-server defines it:
     *   - scalar-like columns (max 1): the diff is the new value;
     *   - sets: symmetric difference (an element in both is removed, an
     *     element only in the diff is added);
     *   - maps: a key not present is added; a key present with the same
     *     value is removed; a key present with another value gets the new
     *     value.
     * Returns false with '*error' set if the result violates the type's
     * bounds, or if 'diff' is a map and 'type' is not or vice versa (the
     * datum is then unchanged). */
    bool apply_diff(const Datum &diff, const ColumnType &type, std::string *error);

    friend bool operator==(const Datum &, const Datum &) = default;
};

/* A human-readable form for logs and tests, in the style of ovs-vsctl: a
 * one-element set as its atom ("1"), other sets as "[1, 2]" ("[]" when
 * empty, even for an empty map), maps as "{a=1, b=2}", uuids as their text, named uuids as
 * "@name".  Strings are written bare (br0) unless they could be mistaken
 * for something else or hold other characters than letters, digits, '_',
 * '-' and '.', in which case they are JSON-quoted ("\"a b\"", "\"\"",
 * "\"true\"", "\"1\""). */
std::string datum_to_string(const Datum &datum);

}  // namespace braid::ovsdb

#endif  // BRAID_LIB_OVSDB_DATA_H
