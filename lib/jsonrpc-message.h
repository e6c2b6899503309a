/* JSON-RPC 1.0 messages, as Open vSwitch uses them.
 *
 * OVS speaks JSON-RPC 1.0 to ovsdb-server (RFC 7047) and on its unixctl
 * sockets (ovs-appctl).  A message is one JSON object with some of the
 * members "method", "params", "result", "error" and "id", and its kind
 * follows from which of them are present:
 *
 *   request        method + params + id
 *   notification   method + params, id null or absent
 *   reply          result + id
 *   error reply    error + id
 *
 * A member whose value is null counts as absent, because peers send
 * "id":null in notifications and "error":null in replies.  Any other member
 * makes the message invalid.
 *
 * This is pure data and conversion: no I/O.  Nothing here throws nlohmann
 * exceptions. */
#ifndef BRAID_LIB_JSONRPC_MESSAGE_H
#define BRAID_LIB_JSONRPC_MESSAGE_H 1

#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace braid {

struct JsonRpcMessage {
    /* The kinds of message. */
    enum class Type { kRequest, kNotify, kReply, kError };

    /* The kind of this message. */
    Type type = Type::kNotify;

    /* The method called, for kRequest and kNotify. */
    std::string method;

    /* The arguments, for kRequest and kNotify.  Always an array. */
    nlohmann::json params;

    /* The result, for kReply.  Never null: a null result reads back as an
     * invalid message, since null counts as absent. */
    nlohmann::json result;

    /* The error, for kError.  Never null, for the same reason. */
    nlohmann::json error;

    /* The id that pairs a reply or error with its request, for kRequest,
     * kReply and kError (never null for those); null for kNotify. */
    nlohmann::json id;

    /* Builds a request.  A null 'params' becomes an empty array. */
    static JsonRpcMessage request(std::string method, nlohmann::json params,
                                  nlohmann::json id);

    /* Builds a notification.  A null 'params' becomes an empty array. */
    static JsonRpcMessage notify(std::string method, nlohmann::json params);

    /* Builds a reply to the request with 'id'. */
    static JsonRpcMessage reply(nlohmann::json result, nlohmann::json id);

    /* Builds an error reply to the request with 'id'. */
    static JsonRpcMessage error_reply(nlohmann::json error, nlohmann::json id);

    /* Returns the wire form:
     *   request        {"method":..,"params":..,"id":..}
     *   notification   {"method":..,"params":..,"id":null}
     *   reply          {"result":..,"error":null,"id":..}
     *   error reply    {"error":..,"result":null,"id":..}
     * (nlohmann::json emits the members sorted by name). */
    nlohmann::json to_json() const;

    /* Returns the wire form as compact text with no trailing newline, which
     * is exactly what goes on the wire.  Invalid UTF-8 in a string (which
     * only a caller can put there; parsed messages have none) is replaced by
     * U+FFFD rather than reported. */
    std::string to_text() const;

    /* Returns to_text() for logs: if it is longer than 'max_len' bytes, it is
     * cut to at most 'max_len' bytes (never inside a UTF-8 sequence) and
     * "..." is appended. */
    std::string to_log_string(size_t max_len = 1000) const;

    /* Classifies and validates 'j'.  A member whose value is null counts as
     * absent.  'j' must be an object whose members are only method, params,
     * result, error and id; a request has method (a string), params (an
     * array) and a non-null id, and no result or error; a notification is
     * the same with a null or absent id; a reply has result and id and no
     * method, params or error; an error reply has error and id and no
     * method, params or result.  On failure, returns std::nullopt and, if
     * 'why' is non-null, sets '*why' to a one-line explanation that names
     * the problem.  On success '*why' is left alone. */
    static std::optional<JsonRpcMessage> from_json(const nlohmann::json &j,
                                                   std::string *why);
};

/* Returns the name of 'type': "request", "notification", "reply" or
 * "error". */
const char *jsonrpc_type_to_string(JsonRpcMessage::Type type) noexcept;

}  // namespace braid

#endif  // BRAID_LIB_JSONRPC_MESSAGE_H
