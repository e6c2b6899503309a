/* JSON-RPC 1.0 messages: building, serialising and validating. */
#include <config.h>

#include "lib/jsonrpc-message.h"

#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace braid {
namespace {

/* Serialises 'j' compactly, replacing invalid UTF-8 rather than throwing. */
std::string dump_compact(const nlohmann::json &j)
{
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/* Names the type of 'j' with its article, e.g. "an array". */
std::string type_with_article(const nlohmann::json &j)
{
    std::string_view name = j.type_name();
    bool vowel = !name.empty() && std::string_view("aeiou").find(name[0])
                                      != std::string_view::npos;
    return fmt::format("{} {}", vowel ? "an" : "a", name);
}

/* Returns the value of member 'name' of object 'j', or null if it is absent
 * or null. */
const nlohmann::json *find_member(const nlohmann::json &j, const char *name)
{
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
        return nullptr;
    }
    return &*it;
}

/* Sets '*why' (if 'why' is non-null) to 'text' and returns no message. */
std::optional<JsonRpcMessage> invalid(std::string *why, std::string text)
{
    if (why) {
        *why = std::move(text);
    }
    return std::nullopt;
}

}  // namespace

JsonRpcMessage JsonRpcMessage::request(std::string method, nlohmann::json params,
                                       nlohmann::json id)
{
    JsonRpcMessage m;
    m.type = Type::kRequest;
    m.method = std::move(method);
    m.params = params.is_null() ? nlohmann::json::array() : std::move(params);
    m.id = std::move(id);
    return m;
}

JsonRpcMessage JsonRpcMessage::notify(std::string method, nlohmann::json params)
{
    JsonRpcMessage m;
    m.type = Type::kNotify;
    m.method = std::move(method);
    m.params = params.is_null() ? nlohmann::json::array() : std::move(params);
    return m;
}

JsonRpcMessage JsonRpcMessage::reply(nlohmann::json result, nlohmann::json id)
{
    JsonRpcMessage m;
    m.type = Type::kReply;
    m.result = std::move(result);
    m.id = std::move(id);
    return m;
}

JsonRpcMessage JsonRpcMessage::error_reply(nlohmann::json error, nlohmann::json id)
{
    JsonRpcMessage m;
    m.type = Type::kError;
    m.error = std::move(error);
    m.id = std::move(id);
    return m;
}

nlohmann::json JsonRpcMessage::to_json() const
{
    nlohmann::json j = nlohmann::json::object();
    switch (type) {
    case Type::kRequest:
        j["method"] = method;
        j["params"] = params;
        j["id"] = id;
        break;
    case Type::kNotify:
        j["method"] = method;
        j["params"] = params;
        j["id"] = nullptr;
        break;
    case Type::kReply:
        j["result"] = result;
        j["error"] = nullptr;
        j["id"] = id;
        break;
    case Type::kError:
        j["error"] = error;
        j["result"] = nullptr;
        j["id"] = id;
        break;
    }
    return j;
}

std::string JsonRpcMessage::to_text() const
{
    return dump_compact(to_json());
}

std::string JsonRpcMessage::to_log_string(size_t max_len) const
{
    std::string text = to_text();
    if (text.size() <= max_len) {
        return text;
    }
    /* Back up over UTF-8 continuation bytes (10xxxxxx) so that the cut falls
     * before the lead byte of a multi-byte sequence, not inside it. */
    size_t cut = max_len;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
        cut--;
    }
    text.resize(cut);
    text += "...";
    return text;
}

std::optional<JsonRpcMessage> JsonRpcMessage::from_json(const nlohmann::json &j,
                                                        std::string *why)
{
    if (!j.is_object()) {
        return invalid(why, fmt::format("message is {}, not an object",
                                        type_with_article(j)));
    }
    for (const auto &item : j.items()) {
        const std::string &key = item.key();
        if (key != "method" && key != "params" && key != "result"
            && key != "error" && key != "id") {
            return invalid(why, fmt::format("message has unexpected member {}",
                                            dump_compact(key)));
        }
    }

    const nlohmann::json *method = find_member(j, "method");
    const nlohmann::json *params = find_member(j, "params");
    const nlohmann::json *result = find_member(j, "result");
    const nlohmann::json *error = find_member(j, "error");
    const nlohmann::json *id = find_member(j, "id");

    if (method && !method->is_string()) {
        return invalid(why, fmt::format("\"method\" must be a string, not {}",
                                        type_with_article(*method)));
    }
    if (params && !params->is_array()) {
        return invalid(why, fmt::format("\"params\" must be an array, not {}",
                                        type_with_article(*params)));
    }

    if (result || error) {
        if (result && error) {
            return invalid(why, "message has both \"result\" and \"error\"");
        }
        const char *kind = result ? "reply" : "error reply";
        if (method) {
            return invalid(why, fmt::format("{} must not have \"method\"", kind));
        }
        if (params) {
            return invalid(why, fmt::format("{} must not have \"params\"", kind));
        }
        if (!id) {
            return invalid(why, fmt::format("{} has no \"id\"", kind));
        }
        return result ? reply(*result, *id) : error_reply(*error, *id);
    }

    if (method || params) {
        const char *kind = id ? "request" : "notification";
        if (!method) {
            return invalid(why, fmt::format("{} has no \"method\"", kind));
        }
        if (!params) {
            return invalid(why, fmt::format("{} has no \"params\"", kind));
        }
        const std::string &name = method->get_ref<const std::string &>();
        return id ? request(name, *params, *id) : notify(name, *params);
    }

    return invalid(why, "message has none of \"method\", \"result\" and \"error\"");
}

const char *jsonrpc_type_to_string(JsonRpcMessage::Type type) noexcept
{
    switch (type) {
    case JsonRpcMessage::Type::kRequest: return "request";
    case JsonRpcMessage::Type::kNotify: return "notification";
    case JsonRpcMessage::Type::kReply: return "reply";
    case JsonRpcMessage::Type::kError: return "error";
    }
    return "unknown";
}

}  // namespace braid
