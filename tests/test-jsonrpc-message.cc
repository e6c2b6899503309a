/* Unit tests for JSON-RPC messages (lib/jsonrpc-message.cc). */
#include <config.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/jsonrpc-message.h"

namespace braid {
namespace {

using nlohmann::json;
using Type = JsonRpcMessage::Type;

/* Parses 'text' (a test literal, known to be valid JSON) and classifies it. */
std::optional<JsonRpcMessage> from_text(const std::string &text, std::string *why)
{
    json j = json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << text;
    return JsonRpcMessage::from_json(j, why);
}

/* Expects 'text' to be rejected with an explanation that contains each of
 * 'words'. */
void expect_invalid(const std::string &text, const std::vector<std::string> &words)
{
    SCOPED_TRACE(text);
    std::string why;
    auto m = from_text(text, &why);
    EXPECT_FALSE(m.has_value());
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(why.find('\n'), std::string::npos) << why;
    for (const auto &word : words) {
        EXPECT_NE(why.find(word), std::string::npos) << "'" << word << "' not in: " << why;
    }
    /* A null 'why' is allowed. */
    EXPECT_FALSE(from_text(text, nullptr).has_value());
}

/* Expects 'm' to have exactly the given fields. */
void expect_message(const JsonRpcMessage &m, Type type, const std::string &method,
                    const json &params, const json &result, const json &error,
                    const json &id)
{
    EXPECT_EQ(m.type, type);
    EXPECT_EQ(m.method, method);
    EXPECT_EQ(m.params, params);
    EXPECT_EQ(m.result, result);
    EXPECT_EQ(m.error, error);
    EXPECT_EQ(m.id, id);
}

TEST(JsonRpcMessage, TypeToString)
{
    EXPECT_STREQ(jsonrpc_type_to_string(Type::kRequest), "request");
    EXPECT_STREQ(jsonrpc_type_to_string(Type::kNotify), "notification");
    EXPECT_STREQ(jsonrpc_type_to_string(Type::kReply), "reply");
    EXPECT_STREQ(jsonrpc_type_to_string(Type::kError), "error");
}

TEST(JsonRpcMessage, Factories)
{
    expect_message(JsonRpcMessage::request("echo", json::array({1}), "echo"),
                   Type::kRequest, "echo", json::array({1}), nullptr, nullptr, "echo");
    expect_message(JsonRpcMessage::notify("update", json::array({"x"})),
                   Type::kNotify, "update", json::array({"x"}), nullptr, nullptr,
                   nullptr);
    expect_message(JsonRpcMessage::reply(json::object(), 4), Type::kReply, "",
                   nullptr, json::object(), nullptr, 4);
    expect_message(JsonRpcMessage::error_reply("bad", 5), Type::kError, "",
                   nullptr, nullptr, "bad", 5);

    /* Null params become an empty array. */
    EXPECT_EQ(JsonRpcMessage::request("list-commands", nullptr, 0).params,
              json::array());
    EXPECT_EQ(JsonRpcMessage::notify("x", nullptr).params, json::array());
}

TEST(JsonRpcMessage, WireText)
{
    EXPECT_EQ(JsonRpcMessage::request("echo", json::array(), "echo").to_text(),
              R"({"id":"echo","method":"echo","params":[]})");
    EXPECT_EQ(JsonRpcMessage::request("vlog/set", json::array({"ANY:dbg"}), 7)
                  .to_text(),
              R"({"id":7,"method":"vlog/set","params":["ANY:dbg"]})");
    EXPECT_EQ(JsonRpcMessage::notify("update", json::array({"mon", {{"a", 1}}}))
                  .to_text(),
              R"({"id":null,"method":"update","params":["mon",{"a":1}]})");
    EXPECT_EQ(JsonRpcMessage::reply("ovs-vswitchd (Open vSwitch) 3.1.0\n", 0)
                  .to_text(),
              R"({"error":null,"id":0,"result":"ovs-vswitchd (Open vSwitch) 3.1.0\n"})");
    EXPECT_EQ(JsonRpcMessage::reply(json::object(), 3).to_text(),
              R"({"error":null,"id":3,"result":{}})");
    EXPECT_EQ(JsonRpcMessage::error_reply("nope\n", "x").to_text(),
              R"({"error":"nope\n","id":"x","result":null})");
}

TEST(JsonRpcMessage, WireMembers)
{
    json j = JsonRpcMessage::request("m", json::array(), 1).to_json();
    EXPECT_EQ(j, (json{{"method", "m"}, {"params", json::array()}, {"id", 1}}));
    EXPECT_EQ(j.size(), 3u);

    j = JsonRpcMessage::notify("m", json::array({2})).to_json();
    EXPECT_EQ(j, (json{{"method", "m"}, {"params", {2}}, {"id", nullptr}}));
    EXPECT_EQ(j.size(), 3u);
    ASSERT_TRUE(j.contains("id"));

    j = JsonRpcMessage::reply(json::array({true}), "r").to_json();
    EXPECT_EQ(j, (json{{"result", {true}}, {"error", nullptr}, {"id", "r"}}));
    EXPECT_EQ(j.size(), 3u);
    ASSERT_TRUE(j.contains("error"));

    j = JsonRpcMessage::error_reply({{"error", "syntax error"}}, 9).to_json();
    EXPECT_EQ(j, (json{{"error", {{"error", "syntax error"}}}, {"result", nullptr},
                       {"id", 9}}));
    EXPECT_EQ(j.size(), 3u);
    ASSERT_TRUE(j.contains("result"));
}

TEST(JsonRpcMessage, RoundTrip)
{
    const JsonRpcMessage messages[] = {
        JsonRpcMessage::request("echo", json::array(), "echo"),
        JsonRpcMessage::request("transact",
                                json::array({"Open_vSwitch", {{"op", "select"}}}), 42),
        JsonRpcMessage::request("x", json::array(), json::array({1, 2})),
        JsonRpcMessage::notify("update", json::array({nullptr, {{"Bridge", {}}}})),
        JsonRpcMessage::notify("locked", json::array()),
        JsonRpcMessage::reply("", 0),
        JsonRpcMessage::reply(json::object(), "id"),
        JsonRpcMessage::reply(false, 1),
        JsonRpcMessage::reply(json::array({nullptr}), 2),
        JsonRpcMessage::error_reply("bad", 3),
        JsonRpcMessage::error_reply({{"error", "e"}, {"details", "d"}}, "x"),
    };
    for (const auto &m : messages) {
        SCOPED_TRACE(m.to_text());
        std::string why;
        auto back = JsonRpcMessage::from_json(m.to_json(), &why);
        ASSERT_TRUE(back.has_value()) << why;
        expect_message(*back, m.type, m.method, m.params, m.result, m.error, m.id);
        EXPECT_EQ(back->to_text(), m.to_text());
    }
}

TEST(JsonRpcMessage, ParsesWhatOvsSends)
{
    std::string why;

    /* ovs-appctl's request. */
    auto m = from_text(R"({"method":"version","params":[],"id":0})", &why);
    ASSERT_TRUE(m.has_value()) << why;
    expect_message(*m, Type::kRequest, "version", json::array(), nullptr, nullptr, 0);

    /* ovsdb-server's reply, with "error":null. */
    m = from_text(R"({"id":0,"result":"ok\n","error":null})", &why);
    ASSERT_TRUE(m.has_value()) << why;
    expect_message(*m, Type::kReply, "", nullptr, "ok\n", nullptr, 0);

    /* A unixctl error reply, with no "result" at all. */
    m = from_text(R"({"id":"x","error":"\"nope\" is not a valid command\n"})", &why);
    ASSERT_TRUE(m.has_value()) << why;
    expect_message(*m, Type::kError, "", nullptr, nullptr,
                   "\"nope\" is not a valid command\n", "x");

    /* An ovsdb-server notification, with "id":null. */
    m = from_text(R"({"id":null,"method":"update","params":[null,{}]})", &why);
    ASSERT_TRUE(m.has_value()) << why;
    expect_message(*m, Type::kNotify, "update", json::array({nullptr, json::object()}),
                   nullptr, nullptr, nullptr);

    /* A notification with no "id" member. */
    m = from_text(R"({"method":"echo","params":[]})", &why);
    ASSERT_TRUE(m.has_value()) << why;
    EXPECT_EQ(m->type, Type::kNotify);

    /* An echo reply, whose result is the request's params. */
    m = from_text(R"({"id":"echo","result":[],"error":null})", &why);
    ASSERT_TRUE(m.has_value()) << why;
    expect_message(*m, Type::kReply, "", nullptr, json::array(), nullptr, "echo");
}

TEST(JsonRpcMessage, NullCountsAsAbsent)
{
    std::string why;

    auto m = from_text(
        R"({"method":"m","params":[1],"id":null,"result":null,"error":null})", &why);
    ASSERT_TRUE(m.has_value()) << why;
    expect_message(*m, Type::kNotify, "m", json::array({1}), nullptr, nullptr, nullptr);

    m = from_text(R"({"result":5,"error":null,"id":3,"method":null,"params":null})",
                  &why);
    ASSERT_TRUE(m.has_value()) << why;
    expect_message(*m, Type::kReply, "", nullptr, 5, nullptr, 3);

    /* A null result with a non-null error is an error reply. */
    m = from_text(R"({"id":1,"result":null,"error":"boom"})", &why);
    ASSERT_TRUE(m.has_value()) << why;
    expect_message(*m, Type::kError, "", nullptr, nullptr, "boom", 1);

    /* Neither a result nor an error: invalid, as in OVS. */
    expect_invalid(R"({"id":1,"result":null,"error":null})",
                   {"none of", "\"result\"", "\"error\""});

    /* A reply with a null result therefore cannot be sent and read back. */
    EXPECT_FALSE(JsonRpcMessage::from_json(
                     JsonRpcMessage::reply(nullptr, 1).to_json(), &why)
                     .has_value());

    /* A null id makes a request a notification, and a reply invalid. */
    m = JsonRpcMessage::from_json(
        JsonRpcMessage::request("m", json::array(), nullptr).to_json(), &why);
    ASSERT_TRUE(m.has_value()) << why;
    EXPECT_EQ(m->type, Type::kNotify);
    expect_invalid(R"({"id":null,"result":1})", {"reply", "\"id\""});
}

TEST(JsonRpcMessage, Invalid)
{
    /* Not an object. */
    expect_invalid(R"([{"method":"m","params":[],"id":1}])",
                   {"message is an array, not an object"});
    expect_invalid(R"("echo")", {"message is a string, not an object"});
    expect_invalid("5", {"message is a number, not an object"});
    expect_invalid("null", {"message is a null, not an object"});

    /* Unknown members, even null ones. */
    expect_invalid(R"({"method":"m","params":[],"id":1,"foo":2})",
                   {"message has unexpected member \"foo\""});
    expect_invalid(R"({"result":1,"id":1,"jsonrpc":"2.0"})",
                   {"message has unexpected member \"jsonrpc\""});
    expect_invalid(R"({"result":1,"id":1,"extra":null})",
                   {"message has unexpected member \"extra\""});
    expect_invalid(R"({"result":1,"id":1,"a\nb":0})",
                   {"unexpected member \"a\\nb\""});

    /* Bad member types. */
    expect_invalid(R"({"method":5,"params":[],"id":1})",
                   {"\"method\" must be a string, not a number"});
    expect_invalid(R"({"method":["m"],"params":[]})",
                   {"\"method\" must be a string, not an array"});
    expect_invalid(R"({"method":"m","params":{},"id":1})",
                   {"\"params\" must be an array, not an object"});
    expect_invalid(R"({"method":"m","params":"a","id":1})",
                   {"\"params\" must be an array, not a string"});

    /* Requests and notifications missing a member. */
    expect_invalid(R"({"method":"m","id":1})", {"request has no \"params\""});
    expect_invalid(R"({"params":[],"id":1})", {"request has no \"method\""});
    expect_invalid(R"({"method":"m"})", {"notification has no \"params\""});
    expect_invalid(R"({"params":[]})", {"notification has no \"method\""});

    /* Replies and errors missing the id or carrying request members. */
    expect_invalid(R"({"result":1})", {"reply has no \"id\""});
    expect_invalid(R"({"result":1,"error":null})", {"reply has no \"id\""});
    expect_invalid(R"({"error":"e"})", {"error reply has no \"id\""});
    expect_invalid(R"({"method":"m","result":1,"id":1})",
                   {"reply must not have \"method\""});
    expect_invalid(R"({"params":[],"result":1,"id":1})",
                   {"reply must not have \"params\""});
    expect_invalid(R"({"method":"m","params":[],"error":"e","id":1})",
                   {"error reply must not have \"method\""});
    expect_invalid(R"({"params":[],"error":"e","id":1})",
                   {"error reply must not have \"params\""});
    expect_invalid(R"({"error":"e","result":1,"id":1})",
                   {"message has both \"result\" and \"error\""});
    expect_invalid(R"({"method":"m","params":[],"id":1,"result":1})",
                   {"reply must not have \"method\""});

    /* Nothing at all. */
    expect_invalid("{}", {"message has none of \"method\", \"result\" and \"error\""});
    expect_invalid(R"({"id":1})", {"none of"});
}

TEST(JsonRpcMessage, WhyIsLeftAloneOnSuccess)
{
    std::string why = "unchanged";
    auto m = from_text(R"({"method":"m","params":[]})", &why);
    EXPECT_TRUE(m.has_value());
    EXPECT_EQ(why, "unchanged");
}

TEST(JsonRpcMessage, LogString)
{
    /* The wire text of this reply, written out: a 31-byte prefix, 100 'a's
     * and the closing quote and brace. */
    const std::string prefix = R"({"error":null,"id":1,"result":")";
    ASSERT_EQ(prefix.size(), 31u);
    const std::string text = prefix + std::string(100, 'a') + "\"}";
    ASSERT_EQ(text.size(), 133u);

    auto m = JsonRpcMessage::reply(std::string(100, 'a'), 1);
    ASSERT_EQ(m.to_text(), text);
    EXPECT_EQ(m.to_log_string(), text);
    EXPECT_EQ(m.to_log_string(133), text);
    EXPECT_EQ(m.to_log_string(132), prefix + std::string(100, 'a') + "\"...");
    EXPECT_EQ(m.to_log_string(20), R"({"error":null,"id":1...)");
    EXPECT_EQ(m.to_log_string(0), "...");
}

TEST(JsonRpcMessage, LogStringDoesNotSplitUtf8)
{
    /* "é" is the two bytes c3 a9; "😀" is the four bytes f0 9f 98 80. */
    const std::string prefix = R"({"error":null,"id":1,"result":")";
    auto m = JsonRpcMessage::reply("\xc3\xa9\xf0\x9f\x98\x80" "abc", 1);
    ASSERT_EQ(m.to_text(), prefix + "\xc3\xa9\xf0\x9f\x98\x80" "abc\"}");

    /* The text is the prefix (bytes 0-30), c3 a9 (31-32), f0 9f 98 80
     * (33-36), then "abc" (37-39). */
    EXPECT_EQ(m.to_log_string(31), prefix + "...");
    EXPECT_EQ(m.to_log_string(32), prefix + "...");
    EXPECT_EQ(m.to_log_string(33), prefix + "\xc3\xa9...");
    EXPECT_EQ(m.to_log_string(34), prefix + "\xc3\xa9...");
    EXPECT_EQ(m.to_log_string(36), prefix + "\xc3\xa9...");
    EXPECT_EQ(m.to_log_string(37), prefix + "\xc3\xa9\xf0\x9f\x98\x80...");
    EXPECT_EQ(m.to_log_string(38), prefix + "\xc3\xa9\xf0\x9f\x98\x80" "a...");
}

TEST(JsonRpcMessage, InvalidUtf8DoesNotThrow)
{
    auto m = JsonRpcMessage::request("bad\xff", json::array({"x\xc3"}), 1);
    std::string text;
    EXPECT_NO_THROW(text = m.to_text());
    EXPECT_EQ(text, "{\"id\":1,\"method\":\"bad\xef\xbf\xbd\","
                    "\"params\":[\"x\xef\xbf\xbd\"]}");
    EXPECT_NO_THROW(m.to_log_string(5));
}

}  // namespace
}  // namespace braid
