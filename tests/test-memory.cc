/* Unit tests for memory/show (lib/memory.cc). */
#include <config.h>

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lib/memory.h"
#include "lib/unixctl.h"
#include "tests/test-util.h"

namespace braid {
namespace {

/* Splits the text of memory/show into its (key, value) pairs, checking the
 * "key:value key:value\n" shape on the way. */
std::vector<std::pair<std::string, std::string>> parse_show(const std::string &text)
{
    std::vector<std::pair<std::string, std::string>> pairs;
    EXPECT_FALSE(text.empty());
    if (text.empty()) {
        return pairs;
    }
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line";
    std::string body = text.substr(0, text.size() - 1);
    size_t pos = 0;
    while (pos <= body.size()) {
        size_t end = body.find(' ', pos);
        if (end == std::string::npos) {
            end = body.size();
        }
        std::string item = body.substr(pos, end - pos);
        size_t colon = item.rfind(':');
        EXPECT_NE(colon, std::string::npos) << item;
        EXPECT_GT(colon, 0u) << item;
        if (colon != std::string::npos) {
            pairs.emplace_back(item.substr(0, colon), item.substr(colon + 1));
        }
        pos = end + 1;
    }
    return pairs;
}

/* The value of 'key' in 'pairs', or "<absent>". */
std::string find_value(const std::vector<std::pair<std::string, std::string>> &pairs,
                       const std::string &key)
{
    for (const auto &[k, v] : pairs) {
        if (k == key) {
            return v;
        }
    }
    return "<absent>";
}

/* Removes the reporters a test registered. */
class MemoryTest : public testing::Test {
protected:
    void TearDown() override
    {
        memory::unregister_reporter("test-a");
        memory::unregister_reporter("test-b");
    }
};

TEST_F(MemoryTest, RssAlwaysPresent)
{
    memory::Usage usage = memory::collect();
    ASSERT_EQ(usage.count("rss-kB"), 1u);
    EXPECT_GT(usage["rss-kB"], 0u);

    auto pairs = parse_show(memory::show());
    std::string rss = find_value(pairs, "rss-kB");
    ASSERT_NE(rss, "<absent>");
    EXPECT_GT(std::stoull(rss), 0u);
}

TEST_F(MemoryTest, ReportersAddSortedKeys)
{
    memory::register_reporter("test-a", [](memory::Usage &usage) {
        usage["zz-test-flows"] = 12;
        usage["aa-test-ports"] = 3;
    });
    memory::register_reporter("test-b", [](memory::Usage &usage) {
        usage["mm-test-bonds"] = 0;
    });

    memory::Usage usage = memory::collect();
    EXPECT_EQ(usage["zz-test-flows"], 12u);
    EXPECT_EQ(usage["aa-test-ports"], 3u);
    EXPECT_EQ(usage["mm-test-bonds"], 0u);

    std::string text = memory::show();
    auto pairs = parse_show(text);
    EXPECT_EQ(find_value(pairs, "zz-test-flows"), "12");
    EXPECT_EQ(find_value(pairs, "aa-test-ports"), "3");
    EXPECT_EQ(find_value(pairs, "mm-test-bonds"), "0");
    for (size_t i = 1; i < pairs.size(); i++) {
        EXPECT_LT(pairs[i - 1].first, pairs[i].first) << text;
    }
    /* Our keys, in order, with rss-kB between mm- and zz-. */
    size_t aa = text.find("aa-test-ports:3 ");
    size_t mm = text.find(" mm-test-bonds:0 ");
    size_t rss = text.find(" rss-kB:");
    size_t zz = text.find(" zz-test-flows:12");
    ASSERT_NE(aa, std::string::npos) << text;
    ASSERT_NE(mm, std::string::npos) << text;
    ASSERT_NE(rss, std::string::npos) << text;
    ASSERT_NE(zz, std::string::npos) << text;
    EXPECT_LT(aa, mm);
    EXPECT_LT(mm, rss);
    EXPECT_LT(rss, zz);
}

TEST_F(MemoryTest, ReplaceAndUnregister)
{
    memory::register_reporter("test-a", [](memory::Usage &usage) { usage["test-old"] = 1; });
    memory::register_reporter("test-a", [](memory::Usage &usage) { usage["test-new"] = 2; });
    memory::Usage usage = memory::collect();
    EXPECT_EQ(usage.count("test-old"), 0u) << "registering a name again replaces";
    EXPECT_EQ(usage["test-new"], 2u);

    memory::unregister_reporter("test-a");
    usage = memory::collect();
    EXPECT_EQ(usage.count("test-new"), 0u);
    EXPECT_EQ(memory::show().find("test-new"), std::string::npos);
    memory::unregister_reporter("test-a");      /* Not registered: no effect. */
}

TEST_F(MemoryTest, ShowCommand)
{
    memory::register_commands();
    memory::register_reporter("test-a", [](memory::Usage &usage) { usage["test-handlers"] = 4; });
    test::Answers answers;
    unixctl::dispatch("memory/show", {}, answers.reply());
    ASSERT_EQ(answers.list.size(), 1u);
    EXPECT_TRUE(answers.list[0].first);
    auto pairs = parse_show(answers.list[0].second);
    EXPECT_EQ(find_value(pairs, "test-handlers"), "4");
    EXPECT_NE(find_value(pairs, "rss-kB"), "<absent>");

    answers.list.clear();
    unixctl::dispatch("memory/show", {"x"}, answers.reply());
    ASSERT_EQ(answers.list.size(), 1u);
    EXPECT_EQ(answers.list[0],
              std::make_pair(false,
                             std::string("\"memory/show\" command takes at most 0 arguments\n")));
}

}  // namespace
}  // namespace braid
