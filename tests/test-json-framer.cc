/* Unit tests for framing concatenated JSON values (lib/json-framer.cc). */
#include <config.h>

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/json-framer.h"

namespace braid {
namespace {

using nlohmann::json;

/* A stream of seven values of every shape the scanner must get right, with
 * whitespace of every kind between them. */
const std::string kStream =
    R"({"method":"echo","params":[],"id":"echo"})"
    " \n\t\r "
    R"([1,2,{"a":[true,false,null]}])"
    R"({"s":"}{][","e":"\"}","b":"\\","q":"\\\"}","x":"a\\"})"
    "\n"
    R"({"u":"\u00e9\ud83d\ude00","raw":"é😀","ctl":"\n\t\/"})"
    R"([]{})"
    "  "
    R"({"nested":{"a":{"b":[[[{}]]]}},"num":-1.5e3,"big":18446744073709551615})"
    "\n";

/* The values of kStream, written out by hand. */
std::vector<json> expected_values()
{
    return {
        json{{"method", "echo"}, {"params", json::array()}, {"id", "echo"}},
        json{1, 2, json{{"a", json{true, false, nullptr}}}},
        json{{"s", "}{]["}, {"e", "\"}"}, {"b", "\\"}, {"q", "\\\"}"}, {"x", "a\\"}},
        json{{"u", "\xc3\xa9\xf0\x9f\x98\x80"},
             {"raw", "\xc3\xa9\xf0\x9f\x98\x80"},
             {"ctl", "\n\t/"}},
        json::array(),
        json::object(),
        json{{"nested", {{"a", {{"b", json{json{json{json::object()}}}}}}}},
             {"num", -1500.0},
             {"big", 18446744073709551615ull}},
    };
}

/* Returns every value 'framer' has ready. */
std::vector<json> drain(JsonFramer &framer)
{
    std::vector<json> out;
    while (auto v = framer.next()) {
        out.push_back(std::move(*v));
    }
    return out;
}

/* Checks that 'framer' is broken with an error starting with 'prefix' and
 * stays broken. */
void expect_broken(JsonFramer &framer, std::string_view prefix)
{
    EXPECT_TRUE(framer.failed());
    EXPECT_EQ(framer.error().substr(0, prefix.size()), prefix) << framer.error();
    EXPECT_EQ(framer.next(), std::nullopt);
    EXPECT_EQ(framer.buffered(), 0u);

    std::string error = framer.error();
    EXPECT_FALSE(framer.feed("{}"));
    EXPECT_FALSE(framer.feed(""));
    EXPECT_EQ(framer.next(), std::nullopt);
    EXPECT_EQ(framer.buffered(), 0u);
    EXPECT_EQ(framer.error(), error);
}

TEST(JsonFramer, ExpectedValuesAreAsIntended)
{
    /* Checks the hand-written values against what the escapes in kStream
     * stand for: "q" is backslash, quote, brace (three bytes) and "u" is
     * U+00E9 and U+1F600, 2 + 4 bytes of UTF-8. */
    auto values = expected_values();
    ASSERT_EQ(values.size(), 7u);
    EXPECT_EQ(values[2]["q"].get<std::string>().size(), 3u);
    EXPECT_EQ(values[3]["u"].get<std::string>().size(), 6u);
}

TEST(JsonFramer, WholeStream)
{
    JsonFramer framer;
    EXPECT_TRUE(framer.feed(kStream));
    EXPECT_FALSE(framer.failed());
    EXPECT_EQ(framer.error(), "");
    EXPECT_EQ(drain(framer), expected_values());
    EXPECT_EQ(framer.buffered(), 0u);
    EXPECT_EQ(framer.next(), std::nullopt);
}

TEST(JsonFramer, OneByteAtATime)
{
    JsonFramer framer;
    std::vector<json> got;
    for (char c : kStream) {
        ASSERT_TRUE(framer.feed(std::string_view(&c, 1))) << framer.error();
        for (auto &v : drain(framer)) {
            got.push_back(std::move(v));
        }
    }
    EXPECT_EQ(got, expected_values());
    EXPECT_EQ(framer.buffered(), 0u);
}

TEST(JsonFramer, SplitAtEveryPosition)
{
    std::string_view stream = kStream;
    for (size_t split = 0; split <= stream.size(); split++) {
        JsonFramer framer;
        ASSERT_TRUE(framer.feed(stream.substr(0, split))) << split;
        std::vector<json> got = drain(framer);
        ASSERT_TRUE(framer.feed(stream.substr(split))) << split;
        for (auto &v : drain(framer)) {
            got.push_back(std::move(v));
        }
        ASSERT_EQ(got, expected_values()) << "split at " << split;
        ASSERT_EQ(framer.buffered(), 0u) << split;
    }
}

TEST(JsonFramer, ValuesAreReturnedInOrderAcrossFeeds)
{
    JsonFramer framer;
    EXPECT_TRUE(framer.feed("[1]"));
    EXPECT_TRUE(framer.feed("[2][3"));
    EXPECT_EQ(framer.next(), json{1});
    EXPECT_EQ(framer.next(), json{2});
    EXPECT_EQ(framer.next(), std::nullopt);
    EXPECT_TRUE(framer.feed("]"));
    EXPECT_EQ(framer.next(), json{3});
    EXPECT_EQ(framer.next(), std::nullopt);
}

TEST(JsonFramer, EmptyAndWhitespaceOnlyFeeds)
{
    JsonFramer framer;
    EXPECT_TRUE(framer.feed(""));
    EXPECT_TRUE(framer.feed(" \t\r\n  \n"));
    EXPECT_EQ(framer.buffered(), 0u);
    EXPECT_EQ(framer.next(), std::nullopt);
    EXPECT_FALSE(framer.failed());
}

TEST(JsonFramer, InvalidStarts)
{
    struct Case {
        std::string input;
        std::string error;
    };
    const Case cases[] = {
        {R"("str")", "invalid JSON: a message must be an object or an array, "
                     "but it starts with '\"'"},
        {"5", "invalid JSON: a message must be an object or an array, "
              "but it starts with '5'"},
        {"}", "invalid JSON: a message must be an object or an array, "
              "but it starts with '}'"},
        {"  ]", "invalid JSON: a message must be an object or an array, "
                "but it starts with ']'"},
        {"null", "invalid JSON: a message must be an object or an array, "
                 "but it starts with 'n'"},
        {std::string("\0{}", 3), "invalid JSON: a message must be an object or "
                                 "an array, but it starts with byte 0x00"},
        {"\xef\xbb\xbf{}", "invalid JSON: a message must be an object or an "
                           "array, but it starts with byte 0xef"},
        {"\v{}", "invalid JSON: a message must be an object or an array, "
                 "but it starts with byte 0x0b"},
    };
    for (const auto &c : cases) {
        SCOPED_TRACE(c.input);
        JsonFramer framer;
        EXPECT_FALSE(framer.feed(c.input));
        EXPECT_EQ(framer.error(), c.error);
        expect_broken(framer, "invalid JSON: ");
    }
}

TEST(JsonFramer, InvalidStartAfterValueKeepsEarlierValues)
{
    JsonFramer framer;
    EXPECT_TRUE(framer.feed("{}"));
    EXPECT_EQ(framer.next(), json::object());
    EXPECT_FALSE(framer.feed("5"));
    expect_broken(framer, "invalid JSON: ");

    /* Values that completed before the break, in the same feed as the error
     * or in an earlier one, are still returned, in order; then nothing. */
    JsonFramer framer2;
    EXPECT_TRUE(framer2.feed("[1]"));
    EXPECT_EQ(framer2.buffered(), 3u);
    EXPECT_FALSE(framer2.feed("[2] x"));
    EXPECT_TRUE(framer2.failed());
    EXPECT_EQ(framer2.buffered(), 6u);
    EXPECT_EQ(framer2.next(), json::array({1}));
    EXPECT_EQ(framer2.next(), json::array({2}));
    expect_broken(framer2, "invalid JSON: ");
}

TEST(JsonFramer, InvalidBodies)
{
    const std::string cases[] = {
        R"({"a":})",
        R"({"a" 1})",
        R"({"a":1,})",
        R"([1,])",
        R"([1 2])",
        R"({1:2})",
        R"({"a":tru})",
        R"({"a":01})",
        R"({"a":"\q"})",
        R"({"a":"\u12"})",
        R"({"a":"\ud800"})",
        "{\"a\":\"\xff\"}",
        "{\"a\":\"\xc3\"}",
        "{\"a\":\"\x01\"}",
        R"({]})",
        R"([}])",
        R"({/*c*/})",
        R"([1e999])",
    };
    for (const auto &input : cases) {
        SCOPED_TRACE(input);
        JsonFramer framer;
        bool ok = true;
        EXPECT_NO_THROW(ok = framer.feed(input));
        EXPECT_FALSE(ok);
        expect_broken(framer, "invalid JSON: ");
        /* The explanation comes from the parser, without its exception tag. */
        EXPECT_GT(framer.error().size(), std::string("invalid JSON: ").size());
        EXPECT_EQ(framer.error().find("[json.exception"), std::string::npos)
            << framer.error();
    }
}

TEST(JsonFramer, InvalidBodyErrorNamesTheProblem)
{
    JsonFramer framer;
    EXPECT_FALSE(framer.feed(R"({"a":})"));
    EXPECT_NE(framer.error().find("syntax error"), std::string::npos)
        << framer.error();
    EXPECT_NE(framer.error().find("column 6"), std::string::npos) << framer.error();
}

TEST(JsonFramer, InvalidBodyDetectedOnlyWhenComplete)
{
    /* The scanner does not validate; the parser does, once the value ends. */
    JsonFramer framer;
    EXPECT_TRUE(framer.feed(R"({"a":)"));
    EXPECT_FALSE(framer.failed());
    EXPECT_EQ(framer.buffered(), 5u);
    EXPECT_FALSE(framer.feed("}"));
    expect_broken(framer, "invalid JSON: ");
}

TEST(JsonFramer, SizeLimit)
{
    /* {"a":"12"} is exactly 10 bytes. */
    const std::string ten = R"({"a":"12"})";
    ASSERT_EQ(ten.size(), 10u);

    JsonFramer framer(10);
    EXPECT_TRUE(framer.feed("  " + ten + "\n" + ten + "   "));
    EXPECT_EQ(drain(framer), (std::vector<json>{json{{"a", "12"}}, json{{"a", "12"}}}));

    JsonFramer framer2(10);
    EXPECT_FALSE(framer2.feed(R"({"a":"123"})"));
    EXPECT_EQ(framer2.error(),
              "message too large: a JSON value exceeds the limit of 10 bytes");
    expect_broken(framer2, "message too large: ");
}

TEST(JsonFramer, SizeLimitHitsBeforeValueEnds)
{
    /* An endless value breaks the stream at the first byte past the limit,
     * so no more than the limit is ever buffered. */
    JsonFramer framer(10);
    const std::string endless = "[1,2,3,4,5,6,7,8,9";
    for (size_t i = 0; i < 10; i++) {
        ASSERT_TRUE(framer.feed(endless.substr(i, 1))) << i;
        EXPECT_EQ(framer.buffered(), i + 1);
    }
    EXPECT_FALSE(framer.feed(endless.substr(10, 1)));
    expect_broken(framer, "message too large: ");

    JsonFramer framer2(10);
    EXPECT_FALSE(framer2.feed(endless));
    expect_broken(framer2, "message too large: ");
}

TEST(JsonFramer, SizeLimitIsPerValue)
{
    JsonFramer framer(4);
    for (int i = 0; i < 100; i++) {
        ASSERT_TRUE(framer.feed("[12] "));
    }
    EXPECT_EQ(framer.buffered(), 400u);
    EXPECT_EQ(drain(framer).size(), 100u);
}

TEST(JsonFramer, NestingLimit)
{
    const size_t max = JsonFramer::kMaxDepth;
    ASSERT_EQ(max, 1000u);

    JsonFramer framer;
    EXPECT_TRUE(framer.feed(std::string(max, '[') + std::string(max, ']')));
    auto v = framer.next();
    ASSERT_TRUE(v.has_value());
    EXPECT_TRUE(v->is_array());

    JsonFramer framer2;
    EXPECT_FALSE(framer2.feed(std::string(max + 1, '[')));
    EXPECT_EQ(framer2.error(), "invalid JSON: nesting deeper than 1000 levels");
    expect_broken(framer2, "invalid JSON: ");

    /* Brackets inside strings do not nest. */
    JsonFramer framer3;
    std::string text = "[\"" + std::string(2 * max, '[') + "\"]";
    EXPECT_TRUE(framer3.feed(text));
    EXPECT_EQ(framer3.next(), json{std::string(2 * max, '[')});
}

TEST(JsonFramer, BufferedAccounting)
{
    JsonFramer framer;
    EXPECT_EQ(framer.buffered(), 0u);
    EXPECT_TRUE(framer.feed("  \n{\"a\""));       /* Leading whitespace dropped. */
    EXPECT_EQ(framer.buffered(), 4u);
    EXPECT_TRUE(framer.feed(":1} ["));             /* {"a":1} is 7 bytes, + "[". */
    EXPECT_EQ(framer.buffered(), 8u);
    EXPECT_EQ(framer.next(), (json{{"a", 1}}));
    EXPECT_EQ(framer.buffered(), 1u);
    EXPECT_TRUE(framer.feed(" ]\t{ }"));           /* Inner whitespace counts. */
    EXPECT_EQ(framer.buffered(), 6u);
    EXPECT_EQ(framer.next(), json::array());
    EXPECT_EQ(framer.buffered(), 3u);
    EXPECT_EQ(framer.next(), json::object());
    EXPECT_EQ(framer.buffered(), 0u);
    EXPECT_EQ(framer.next(), std::nullopt);
    EXPECT_EQ(framer.buffered(), 0u);
}

TEST(JsonFramer, LargeValueOneByteAtATime)
{
    /* About 1 MB in one array of strings full of the characters the scanner
     * cares about.  The scanner looks at each byte once and appends it once,
     * so this is linear; a quadratic framer would take minutes here. */
    const std::string element = R"("{[\"\\]}",)";
    std::string text = "[";
    size_t n = 0;
    while (text.size() < 1024 * 1024) {
        text += element;
        n++;
    }
    text += "0]";

    JsonFramer framer;
    for (size_t i = 0; i < text.size(); i++) {
        ASSERT_TRUE(framer.feed(std::string_view(text).substr(i, 1)));
        if (i + 1 < text.size()) {
            ASSERT_EQ(framer.next(), std::nullopt);
        }
    }
    EXPECT_EQ(framer.buffered(), text.size());
    auto v = framer.next();
    ASSERT_TRUE(v.has_value());
    ASSERT_TRUE(v->is_array());
    ASSERT_EQ(v->size(), n + 1);
    EXPECT_EQ((*v)[0], "{[\"\\]}");
    EXPECT_EQ((*v)[n - 1], "{[\"\\]}");
    EXPECT_EQ((*v)[n], 0);
    EXPECT_EQ(framer.buffered(), 0u);
}

TEST(JsonFramer, ManySmallValuesOneByteAtATime)
{
    const std::string message = R"({"method":"echo","params":["}"],"id":7} )";
    std::string text;
    while (text.size() < 1024 * 1024) {
        text += message;
    }
    size_t n = text.size() / message.size();

    JsonFramer framer;
    size_t count = 0;
    for (char c : text) {
        ASSERT_TRUE(framer.feed(std::string_view(&c, 1)));
        while (auto v = framer.next()) {
            ASSERT_EQ((*v)["id"], 7);
            count++;
        }
    }
    EXPECT_EQ(count, n);
    EXPECT_EQ(framer.buffered(), 0u);
}

}  // namespace
}  // namespace braid
