/* Splits a byte stream of concatenated JSON values into values.
 *
 * JSON-RPC as Open vSwitch speaks it (to ovsdb-server and to ovs-appctl) has
 * no length prefix and no delimiter: each message is one JSON object or
 * array, written compactly, and the next one may follow at once or after
 * whitespace.  A value ends where its outermost '{' or '[' closes.
 *
 * A JsonFramer finds those boundaries with a small scanner that keeps its
 * state (nesting depth, whether it is inside a string, whether the previous
 * byte was a backslash) between feed() calls, so each byte is scanned exactly
 * once however the stream is split.  Only a complete value is handed to
 * nlohmann::json, which parses and validates it.
 *
 * The stream breaks, for good, on the first of:
 *   - a value that starts with anything but '{' or '[' (after whitespace);
 *   - a value that is not valid JSON (bad syntax, bad escapes, bad UTF-8);
 *   - a value longer than the size limit, or nested deeper than kMaxDepth.
 * A broken framer accepts nothing more.  The complete values that came
 * before the break are still returned by next(), in order, so that a peer's
 * last good messages are not lost; after them, next() returns nothing and
 * the only sane reaction is to close the connection.
 *
 * Nothing here throws nlohmann exceptions; errors are reported through
 * failed() and error(). */
#ifndef BRAID_LIB_JSON_FRAMER_H
#define BRAID_LIB_JSON_FRAMER_H 1

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace braid {

class JsonFramer {
public:
    /* The deepest nesting of objects and arrays accepted in one value.
     * Deeper values break the stream, because nlohmann::json copies, compares
     * and serialises values recursively and a hostile peer could otherwise
     * exhaust the stack. */
    static constexpr size_t kMaxDepth = 1000;

    /* Creates a framer that accepts values of at most 'max_message_size'
     * bytes, counted from the opening '{' or '[' to the matching close. */
    explicit JsonFramer(size_t max_message_size = 64 * 1024 * 1024);

    /* Appends 'data' to the stream and frames and parses every value that
     * it completes.  Returns false if the stream is (now) broken. */
    bool feed(std::string_view data);

    /* Removes and returns the next complete value, parsed.  Returns
     * std::nullopt if no complete value is buffered; if the stream is broken
     * (failed() is true and error() says why), values completed before the
     * break are still returned first. */
    std::optional<nlohmann::json> next();

    /* True once the stream is broken. */
    bool failed() const { return failed_; }

    /* Why the stream broke, e.g. "invalid JSON: ...", or empty if it did
     * not. */
    const std::string &error() const { return error_; }

    /* The bytes held that next() has not returned yet: the text of the
     * complete values still queued plus the bytes of the value in progress.
     * Whitespace between values is dropped as it arrives and never counts.
     * Once the stream is broken, only the values completed before the break
     * count. */
    size_t buffered() const { return queued_bytes_ + partial_.size(); }

private:
    /* What scanning one byte of a value did. */
    enum class ScanResult { kMore, kComplete, kTooDeep };

    /* Advances the scanner over 'c', a byte of the value in progress. */
    ScanResult scan_byte(char c);

    /* Parses the complete value in 'partial_' and queues it.  Returns false,
     * having broken the stream, if it is not valid JSON. */
    bool finish_value();

    /* Breaks the stream for reason 'why' and frees everything held. */
    void fail(std::string why);

    /* A complete, parsed value and the length of its text. */
    struct Queued {
        nlohmann::json value;   /* The parsed value. */
        size_t size;            /* Bytes of its text, for buffered(). */
    };

    size_t max_message_size_;

    /* Scanner state for the value in progress. */
    bool in_value_ = false;     /* Seen its first byte, not yet its last. */
    size_t depth_ = 0;          /* Open objects and arrays. */
    bool in_string_ = false;    /* Inside a string literal. */
    bool escape_ = false;       /* Previous byte was a backslash in a string. */
    std::string partial_;       /* Text of the value in progress. */

    std::deque<Queued> queue_;  /* Complete values not yet returned. */
    size_t queued_bytes_ = 0;   /* Sum of 'size' over 'queue_'. */

    bool failed_ = false;
    std::string error_;
};

}  // namespace braid

#endif  // BRAID_LIB_JSON_FRAMER_H
