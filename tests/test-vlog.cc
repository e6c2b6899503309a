/* Unit tests for logging (lib/vlog.cc). */
#include <config.h>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lib/timeval.h"
#include "lib/unixctl.h"
#include "lib/util.h"
#include "lib/vlog.h"
#include "tests/test-util.h"

BRAID_LOG_MODULE(vtest);

namespace {

/* A value that counts how often it is formatted, to check that disabled
 * messages are not formatted at all. */
struct Counted {
};
int n_formatted = 0;

}  // namespace

template <>
struct fmt::formatter<Counted> : fmt::formatter<std::string_view> {
    auto format(Counted, fmt::format_context &ctx) const
    {
        n_formatted++;
        return fmt::formatter<std::string_view>::format("counted", ctx);
    }
};

namespace braid::vlog {

/* Prints levels by name in test failure messages (found by argument-dependent
 * lookup, so it lives in the namespace of Level). */
static void PrintTo(Level level, std::ostream *os)
{
    *os << level_name(level) << "(" << int(level) << ")";
}

}  // namespace braid::vlog

namespace braid {
namespace {

using test::Answer;
using test::call;
using test::split_lines;
using vlog::Destination;
using vlog::Level;

/* A second module, so that tests can check that settings of one module
 * leave the other alone. */
const vlog::Module other_module("vtest_other");

constexpr std::array<Destination, 3> kDestinations = {
    Destination::kConsole, Destination::kSyslog, Destination::kFile};

/* The contents of the file 'path', or "<missing>". */
std::string read_file(const std::string &path)
{
    std::ifstream in(path);
    if (!in) {
        return "<missing>";
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/* What reopen_log_file() and vlog/reopen answered before any test had
 * configured a log file (nothing if one was configured already). */
std::optional<std::optional<std::string>> reopen_before_any_file;
Answer reopen_command_before_any_file;

/* Records those answers once, before the first test runs. */
class NoLogFileEnvironment : public testing::Environment {
public:
    void SetUp() override
    {
        if (vlog::log_file().empty()) {
            reopen_before_any_file = vlog::reopen_log_file();
            vlog::register_commands();
            reopen_command_before_any_file = call("vlog/reopen", {});
        }
    }
};

const testing::Environment *const no_log_file_environment =
    testing::AddGlobalTestEnvironment(new NoLogFileEnvironment);

/* Saves every setting a test may change and restores it afterwards; gives
 * each test a private directory and keeps the test modules off the console
 * and syslog. */
class VlogTest : public testing::Test {
protected:
    void SetUp() override
    {
        for (const std::string &name : vlog::module_names()) {
            for (Destination d : kDestinations) {
                saved_levels_[name][int(d)] = *vlog::get_level(name, d);
            }
        }
        for (Destination d : kDestinations) {
            saved_patterns_[int(d)] = vlog::get_pattern(d);
        }
        saved_log_file_ = vlog::log_file();
        saved_program_name_ = program_name();

        char dir[] = "/tmp/braid-vlog-test-XXXXXX";
        ASSERT_NE(mkdtemp(dir), nullptr);
        dir_ = dir;
        log_path_ = dir_ + "/test.log";

        for (const char *module : {"vtest", "vtest_other"}) {
            vlog::set_levels(module, Destination::kConsole, Level::kOff);
            vlog::set_levels(module, Destination::kSyslog, Level::kOff);
            vlog::set_levels(module, Destination::kFile, Level::kInfo);
        }
    }

    void TearDown() override
    {
        for (const auto &[name, levels] : saved_levels_) {
            for (Destination d : kDestinations) {
                vlog::set_levels(name, d, levels[int(d)]);
            }
        }
        for (Destination d : kDestinations) {
            vlog::set_pattern(d, saved_patterns_[int(d)]);
        }
        if (saved_log_file_.empty()) {
            vlog::close_log_file();
        } else {
            vlog::set_log_file(saved_log_file_);
        }
        vlog::set_rate_limit("", true);
        vlog::set_from_string("FACILITY:daemon");
        set_program_name(saved_program_name_);
        if (timeval::is_stopped()) {
            timeval::resume();
        }
        if (!dir_.empty()) {
            std::filesystem::remove_all(dir_);
        }
    }

    /* Opens the test's log file with 'pattern' for file output. */
    void log_to_file(const std::string &pattern)
    {
        vlog::set_pattern(Destination::kFile, pattern);
        ASSERT_EQ(vlog::set_log_file(log_path_), std::nullopt);
    }

    /* The three levels of 'module', console first. */
    static std::array<Level, 3> levels(const std::string &module)
    {
        std::array<Level, 3> out{};
        for (Destination d : kDestinations) {
            out[int(d)] = vlog::get_level(module, d).value_or(Level(99));
        }
        return out;
    }

    std::map<std::string, std::array<Level, 3>> saved_levels_;
    std::array<std::string, 3> saved_patterns_;
    std::string saved_log_file_;
    std::string saved_program_name_;
    std::string dir_;
    std::string log_path_;
};

using Levels = std::array<Level, 3>;

/* ---- Names. ---- */

TEST(VlogNames, LevelFromString)
{
    EXPECT_EQ(vlog::level_from_string("off"), Level::kOff);
    EXPECT_EQ(vlog::level_from_string("EMER"), Level::kEmer);
    EXPECT_EQ(vlog::level_from_string("err"), Level::kErr);
    EXPECT_EQ(vlog::level_from_string("Warn"), Level::kWarn);
    EXPECT_EQ(vlog::level_from_string("INFO"), Level::kInfo);
    EXPECT_EQ(vlog::level_from_string("dbg"), Level::kDbg);
    EXPECT_EQ(vlog::level_from_string("debug"), Level::kDbg);
    EXPECT_EQ(vlog::level_from_string("DEBUG"), Level::kDbg);
    EXPECT_EQ(vlog::level_from_string("warning"), Level::kWarn);
    EXPECT_EQ(vlog::level_from_string("WARNING"), Level::kWarn);
    EXPECT_EQ(vlog::level_from_string("error"), Level::kErr);
    EXPECT_EQ(vlog::level_from_string("Error"), Level::kErr);
    for (const char *bad : {"", "inf", "infos", "fatal", "any", "dbg ", "emergency", "console"}) {
        EXPECT_EQ(vlog::level_from_string(bad), std::nullopt) << bad;
    }
}

TEST(VlogNames, LevelNames)
{
    EXPECT_STREQ(vlog::level_name(Level::kOff), "OFF");
    EXPECT_STREQ(vlog::level_name(Level::kEmer), "EMER");
    EXPECT_STREQ(vlog::level_name(Level::kErr), "ERR");
    EXPECT_STREQ(vlog::level_name(Level::kWarn), "WARN");
    EXPECT_STREQ(vlog::level_name(Level::kInfo), "INFO");
    EXPECT_STREQ(vlog::level_name(Level::kDbg), "DBG");
    for (int i = 0; i < vlog::kNumLevels; i++) {
        EXPECT_EQ(vlog::level_from_string(vlog::level_name(Level(i))), Level(i));
    }
}

TEST(VlogNames, Destinations)
{
    EXPECT_STREQ(vlog::destination_name(Destination::kConsole), "console");
    EXPECT_STREQ(vlog::destination_name(Destination::kSyslog), "syslog");
    EXPECT_STREQ(vlog::destination_name(Destination::kFile), "file");
    EXPECT_EQ(vlog::destination_from_string("console"), Destination::kConsole);
    EXPECT_EQ(vlog::destination_from_string("SYSLOG"), Destination::kSyslog);
    EXPECT_EQ(vlog::destination_from_string("File"), Destination::kFile);
    for (const char *bad : {"", "any", "files", "con", "stderr", "info"}) {
        EXPECT_EQ(vlog::destination_from_string(bad), std::nullopt) << bad;
    }
}

/* ---- set_from_string() and the level API. ---- */

TEST_F(VlogTest, SetModuleOnly)
{
    EXPECT_EQ(vlog::set_from_string("vtest"), std::nullopt);
    EXPECT_EQ(levels("vtest"), (Levels{Level::kDbg, Level::kDbg, Level::kDbg}));
    EXPECT_EQ(levels("vtest_other"), (Levels{Level::kOff, Level::kOff, Level::kInfo}));
}

TEST_F(VlogTest, SetDestinationOnly)
{
    Level util_console = *vlog::get_level("util", Destination::kConsole);
    EXPECT_EQ(vlog::set_from_string("file"), std::nullopt);
    EXPECT_EQ(levels("vtest"), (Levels{Level::kOff, Level::kOff, Level::kDbg}));
    EXPECT_EQ(levels("vtest_other"), (Levels{Level::kOff, Level::kOff, Level::kDbg}));
    EXPECT_EQ(vlog::get_level("util", Destination::kFile), Level::kDbg);
    EXPECT_EQ(vlog::get_level("util", Destination::kConsole), util_console);
}

TEST_F(VlogTest, SetLevelOnly)
{
    EXPECT_EQ(vlog::set_from_string("warn"), std::nullopt);
    for (const std::string &name : vlog::module_names()) {
        EXPECT_EQ(levels(name), (Levels{Level::kWarn, Level::kWarn, Level::kWarn})) << name;
    }
}

TEST_F(VlogTest, SetCombinationsInAnyOrder)
{
    struct Case {
        const char *spec;
        Level file;
    };
    const Case cases[] = {
        {"vtest:file:warn", Level::kWarn},   {"file:vtest:err", Level::kErr},
        {"emer:file:vtest", Level::kEmer},   {"vtest file warn", Level::kWarn},
        {"vtest\tfile\terr", Level::kErr},   {"vtest file:emer", Level::kEmer},
        {"vtest::file", Level::kDbg},        {"vtest:FILE:WaRn", Level::kWarn},
        {"vtest:file:warning", Level::kWarn}, {"vtest:file:debug", Level::kDbg},
        {"vtest:file:error", Level::kErr},   {"vtest:file:off", Level::kOff},
        {"vtest:file", Level::kDbg},         {"file:vtest", Level::kDbg},
        {"any:file:vtest:warn", Level::kWarn}, {"vtest:file:any", Level::kDbg},
    };
    for (const Case &c : cases) {
        vlog::set_levels("vtest", Destination::kFile, Level::kInfo);
        EXPECT_EQ(vlog::set_from_string(c.spec), std::nullopt) << c.spec;
        EXPECT_EQ(levels("vtest"), (Levels{Level::kOff, Level::kOff, c.file})) << c.spec;
        EXPECT_EQ(levels("vtest_other"), (Levels{Level::kOff, Level::kOff, Level::kInfo}))
            << c.spec;
    }
}

TEST_F(VlogTest, SetAny)
{
    EXPECT_EQ(vlog::set_from_string("vtest:any:err"), std::nullopt);
    EXPECT_EQ(levels("vtest"), (Levels{Level::kErr, Level::kErr, Level::kErr}));
    EXPECT_EQ(levels("vtest_other"), (Levels{Level::kOff, Level::kOff, Level::kInfo}));

    EXPECT_EQ(vlog::set_from_string("any:console:info"), std::nullopt);
    EXPECT_EQ(levels("vtest"), (Levels{Level::kInfo, Level::kErr, Level::kErr}));
    EXPECT_EQ(levels("vtest_other"), (Levels{Level::kInfo, Level::kOff, Level::kInfo}));

    EXPECT_EQ(vlog::set_from_string("any:any:emer"), std::nullopt);
    for (const std::string &name : vlog::module_names()) {
        EXPECT_EQ(levels(name), (Levels{Level::kEmer, Level::kEmer, Level::kEmer})) << name;
    }

    EXPECT_EQ(vlog::set_from_string("any"), std::nullopt);
    for (const std::string &name : vlog::module_names()) {
        EXPECT_EQ(levels(name), (Levels{Level::kDbg, Level::kDbg, Level::kDbg})) << name;
    }
}

TEST_F(VlogTest, SetEmptyMeansEverythingDbg)
{
    EXPECT_EQ(vlog::set_from_string(""), std::nullopt);
    for (const std::string &name : vlog::module_names()) {
        EXPECT_EQ(levels(name), (Levels{Level::kDbg, Level::kDbg, Level::kDbg})) << name;
    }
}

TEST_F(VlogTest, SetErrors)
{
    const std::pair<const char *, const char *> cases[] = {
        {"nosuch", "\"nosuch\" is not a known module, destination or level"},
        {"vtest:file:nosuch", "\"nosuch\" is not a known module, destination or level"},
        {"vtest:file:warn:extra", "\"extra\" is not a known module, destination or level"},
        {"vtest:vtest_other", "cannot specify more than one module"},
        {"vtest:file:vtest", "cannot specify more than one module"},
        {"vtest:file:console", "cannot specify more than one destination"},
        {"file:file", "cannot specify more than one destination"},
        {"vtest:warn:err", "cannot specify more than one level"},
        {"vtest:debug:dbg", "cannot specify more than one level"},
    };
    vlog::set_levels("vtest", Destination::kFile, Level::kWarn);
    for (const auto &[spec, error] : cases) {
        EXPECT_EQ(vlog::set_from_string(spec), std::optional<std::string>(error)) << spec;
        EXPECT_EQ(levels("vtest"), (Levels{Level::kOff, Level::kOff, Level::kWarn}))
            << spec << ": nothing changes on error";
        EXPECT_EQ(levels("vtest_other"), (Levels{Level::kOff, Level::kOff, Level::kInfo}))
            << spec;
    }
}

TEST_F(VlogTest, SetPattern)
{
    vlog::set_pattern(Destination::kConsole, "c");
    vlog::set_pattern(Destination::kSyslog, "s");
    vlog::set_pattern(Destination::kFile, "f");
    EXPECT_EQ(vlog::set_from_string("PATTERN:file:%c|%m"), std::nullopt);
    EXPECT_EQ(vlog::get_pattern(Destination::kFile), "%c|%m");
    EXPECT_EQ(vlog::get_pattern(Destination::kConsole), "c");
    EXPECT_EQ(vlog::get_pattern(Destination::kSyslog), "s");

    EXPECT_EQ(vlog::set_from_string("PATTERN:console:a:b c"), std::nullopt);
    EXPECT_EQ(vlog::get_pattern(Destination::kConsole), "a:b c") << "the rest is the pattern";

    EXPECT_EQ(vlog::set_from_string("PATTERN:any:%p %m"), std::nullopt);
    for (Destination d : kDestinations) {
        EXPECT_EQ(vlog::get_pattern(d), "%p %m");
    }

    EXPECT_EQ(vlog::set_from_string("PATTERN:bogus:%m"),
              std::optional<std::string>("unknown destination \"bogus\""));
    EXPECT_EQ(vlog::set_from_string("PATTERN:nocolon"),
              std::optional<std::string>(
                  "missing destination in \"PATTERN:destination:pattern\""));
    for (Destination d : kDestinations) {
        EXPECT_EQ(vlog::get_pattern(d), "%p %m") << "unchanged after errors";
    }
}

TEST_F(VlogTest, SetFacility)
{
    EXPECT_EQ(vlog::set_from_string("FACILITY:daemon"), std::nullopt);
    EXPECT_EQ(vlog::set_from_string("FACILITY:local7"), std::nullopt);
    EXPECT_EQ(vlog::set_from_string("FACILITY:bogus"),
              std::optional<std::string>("unknown syslog facility \"bogus\""));
    EXPECT_EQ(levels("vtest"), (Levels{Level::kOff, Level::kOff, Level::kInfo}))
        << "a facility is not a level setting";
}

TEST_F(VlogTest, LevelApi)
{
    vlog::set_levels("vtest", std::nullopt, Level::kErr);
    EXPECT_EQ(levels("vtest"), (Levels{Level::kErr, Level::kErr, Level::kErr}));
    EXPECT_EQ(levels("vtest_other"), (Levels{Level::kOff, Level::kOff, Level::kInfo}));

    vlog::set_levels("", Destination::kSyslog, Level::kWarn);
    EXPECT_EQ(levels("vtest"), (Levels{Level::kErr, Level::kWarn, Level::kErr}));
    EXPECT_EQ(levels("vtest_other"), (Levels{Level::kOff, Level::kWarn, Level::kInfo}));

    vlog::set_all_levels(Level::kEmer);
    for (const std::string &name : vlog::module_names()) {
        EXPECT_EQ(levels(name), (Levels{Level::kEmer, Level::kEmer, Level::kEmer})) << name;
    }

    EXPECT_EQ(vlog::get_level("vtest_nosuch", Destination::kFile), std::nullopt);
    vlog::set_levels("vtest_nosuch", std::nullopt, Level::kDbg);   /* No effect. */
    EXPECT_EQ(vlog::get_level("vtest_nosuch", Destination::kFile), std::nullopt);

    std::vector<std::string> names = vlog::module_names();
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    EXPECT_NE(std::find(names.begin(), names.end(), "vtest"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "vtest_other"), names.end());
}

TEST_F(VlogTest, ModulesOfTheSameNameShareSettings)
{
    vlog::Module again("vtest_other");
    EXPECT_EQ(again.name(), "vtest_other");
    vlog::set_levels("vtest_other", Destination::kFile, Level::kWarn);
    EXPECT_TRUE(again.enabled(Level::kWarn));
    EXPECT_FALSE(again.enabled(Level::kInfo));
    EXPECT_TRUE(other_module.enabled(Level::kWarn));
    EXPECT_FALSE(other_module.enabled(Level::kInfo));
}

TEST_F(VlogTest, EnabledIsTheMaximumOverDestinations)
{
    vlog::set_levels("vtest_other", std::nullopt, Level::kOff);
    for (int i = 0; i < vlog::kNumLevels; i++) {
        EXPECT_FALSE(other_module.enabled(Level(i))) << i;
    }
    vlog::set_levels("vtest_other", Destination::kSyslog, Level::kWarn);
    EXPECT_TRUE(other_module.enabled(Level::kEmer));
    EXPECT_TRUE(other_module.enabled(Level::kErr));
    EXPECT_TRUE(other_module.enabled(Level::kWarn));
    EXPECT_FALSE(other_module.enabled(Level::kInfo));
    EXPECT_FALSE(other_module.enabled(Level::kOff)) << "OFF is never a message level";
    vlog::set_levels("vtest_other", Destination::kFile, Level::kDbg);
    EXPECT_TRUE(other_module.enabled(Level::kDbg));
    vlog::set_levels("vtest_other", Destination::kFile, Level::kOff);
    EXPECT_FALSE(other_module.enabled(Level::kInfo)) << "lowering recomputes the maximum";
    EXPECT_TRUE(other_module.enabled(Level::kWarn));
}

/* ---- Output. ---- */

TEST_F(VlogTest, FileOutputExactLines)
{
    log_to_file("%c|%p|%m");
    EXPECT_EQ(vlog::log_file(), log_path_);
    VLOG_INFO("hello {}", 42);
    VLOG_WARN("w{}", "x");
    VLOG_DBG("not logged at info");
    VLOG_ERR("e");
    VLOG_EMER("x");
    other_module.log(Level::kInfo, "from the other module");
    other_module.log(Level::kDbg, "not logged either");
    EXPECT_EQ(read_file(log_path_), "vtest|INFO|hello 42\n"
                                    "vtest|WARN|wx\n"
                                    "vtest|ERR|e\n"
                                    "vtest|EMER|x\n"
                                    "vtest_other|INFO|from the other module\n");
}

TEST_F(VlogTest, AppendsToAnExistingFile)
{
    {
        std::ofstream out(log_path_);
        out << "old line\n";
    }
    log_to_file("%m");
    VLOG_INFO("new line");
    EXPECT_EQ(read_file(log_path_), "old line\nnew line\n");
}

TEST_F(VlogTest, DisabledLevelWritesAndFormatsNothing)
{
    log_to_file("%p|%m");
    n_formatted = 0;
    vlog::set_levels("vtest", Destination::kFile, Level::kWarn);
    VLOG_INFO("{}", Counted{});
    VLOG_DBG("{}", Counted{});
    EXPECT_EQ(n_formatted, 0) << "disabled messages are not formatted";
    EXPECT_EQ(read_file(log_path_), "");
    VLOG_WARN("{}", Counted{});
    EXPECT_EQ(n_formatted, 1);
    EXPECT_EQ(read_file(log_path_), "WARN|counted\n");

    vlog::set_levels("vtest", Destination::kFile, Level::kOff);
    VLOG_EMER("{}", Counted{});
    EXPECT_EQ(n_formatted, 1);
    EXPECT_EQ(read_file(log_path_), "WARN|counted\n");
}

TEST_F(VlogTest, PatternEscapes)
{
    set_program_name("braid-test-prog");
    log_to_file("%A|%c|%p|%m|%%|%n|%P|end");
    VLOG_WARN("msg");
    EXPECT_EQ(read_file(log_path_),
              "braid-test-prog|vtest|WARN|msg|%|\n|" + std::to_string(getpid()) + "|end\n");
}

TEST_F(VlogTest, PatternPadding)
{
    log_to_file("[%-8c][%8c][%-6p][%6p][%2c][%-2p][%3m]");
    VLOG_INFO("x");
    EXPECT_EQ(read_file(log_path_), "[vtest   ][   vtest][INFO  ][  INFO][vtest][INFO][  x]\n");
}

TEST_F(VlogTest, SequenceNumbers)
{
    log_to_file("%N|%05N|%-7N|%7N|");
    VLOG_INFO("a");
    VLOG_INFO("b");
    std::vector<std::string> lines = split_lines(read_file(log_path_));
    ASSERT_EQ(lines.size(), 2u);
    unsigned long first = std::stoul(lines[0].substr(0, lines[0].find('|')));
    unsigned long second = std::stoul(lines[1].substr(0, lines[1].find('|')));
    EXPECT_GT(first, 0u);
    EXPECT_EQ(second, first + 1);
    ASSERT_LT(second, 10000u) << "the padding checks below assume short numbers";

    /* The same number, padded by hand. */
    std::string n = std::to_string(first);
    std::string expected = n + "|" + std::string(5 - n.size(), '0') + n + "|" + n
                           + std::string(7 - n.size(), ' ') + "|" + std::string(7 - n.size(), ' ')
                           + n + "|";
    EXPECT_EQ(lines[0], expected);
}

TEST_F(VlogTest, ThreadNames)
{
    log_to_file("%c%T|%t|%m");
    VLOG_INFO("from main");
    std::thread worker([] {
        vlog::set_thread_name("worker7");
        VLOG_INFO("from worker");
    });
    worker.join();
    EXPECT_EQ(read_file(log_path_), "vtest|main|from main\n"
                                    "vtest(worker7)|worker7|from worker\n");
}

TEST_F(VlogTest, HostAndTimeEscapes)
{
    char host[256] = {};
    ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
    log_to_file("%D{%Y-%m-%d}|%d{x###y}|%r|%E");
    VLOG_INFO("m");
    std::vector<std::string> lines = split_lines(read_file(log_path_));
    ASSERT_EQ(lines.size(), 1u);
    const std::string &line = lines[0];

    /* The wall clock is not under test control: check the shapes only. */
    const std::string shape = "dddd-dd-dd|xdddy|";
    ASSERT_GT(line.size(), shape.size()) << line;
    for (size_t i = 0; i < shape.size(); i++) {
        if (shape[i] == 'd') {
            EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(line[i]))) << line;
        } else {
            EXPECT_EQ(line[i], shape[i]) << line;
        }
    }
    size_t bar = line.find('|', shape.size());
    ASSERT_NE(bar, std::string::npos) << line;
    std::string uptime = line.substr(shape.size(), bar - shape.size());
    EXPECT_FALSE(uptime.empty());
    EXPECT_EQ(uptime.find_first_not_of("0123456789"), std::string::npos) << line;
    EXPECT_EQ(line.substr(bar + 1), host);
}

TEST_F(VlogTest, ReopenAfterRename)
{
    log_to_file("%m");
    VLOG_INFO("before rotation");
    std::string rotated = log_path_ + ".1";
    ASSERT_EQ(std::rename(log_path_.c_str(), rotated.c_str()), 0);
    VLOG_INFO("still to the renamed file");
    EXPECT_EQ(vlog::reopen_log_file(), std::nullopt);
    EXPECT_EQ(vlog::log_file(), log_path_);
    VLOG_INFO("after rotation");
    EXPECT_EQ(read_file(rotated), "before rotation\nstill to the renamed file\n");
    EXPECT_EQ(read_file(log_path_), "after rotation\n");
}

TEST_F(VlogTest, CloseStopsFileOutput)
{
    log_to_file("%m");
    VLOG_INFO("one");
    vlog::close_log_file();
    VLOG_INFO("two");
    EXPECT_EQ(read_file(log_path_), "one\n");
}

TEST_F(VlogTest, CloseThenReopen)
{
    /* As in Open vSwitch, vlog/close closes the file but keeps its name, so
     * that vlog/reopen opens it again (close, move the file, reopen). */
    vlog::register_commands();
    log_to_file("%m");
    VLOG_INFO("one");
    vlog::close_log_file();
    VLOG_INFO("two");
    EXPECT_EQ(vlog::reopen_log_file(), std::nullopt);
    VLOG_INFO("three");
    EXPECT_EQ(read_file(log_path_), "one\nthree\n");

    EXPECT_EQ(call("vlog/close", {}), Answer(true, ""));
    ASSERT_EQ(std::rename(log_path_.c_str(), (log_path_ + ".1").c_str()), 0);
    EXPECT_EQ(call("vlog/reopen", {}), Answer(true, ""));
    VLOG_INFO("four");
    EXPECT_EQ(read_file(log_path_), "four\n");
    EXPECT_EQ(read_file(log_path_ + ".1"), "one\nthree\n");
}

TEST(VlogNoFile, ReopenWithoutFile)
{
    ASSERT_TRUE(reopen_before_any_file.has_value())
        << "a log file was configured before the tests ran";
    EXPECT_EQ(*reopen_before_any_file,
              std::optional<std::string>("Logging to file not configured"));
    EXPECT_EQ(reopen_command_before_any_file,
              Answer(false, "Logging to file not configured\n"));
}

TEST_F(VlogTest, SetLogFileFailureKeepsThePreviousFile)
{
    log_to_file("%m");
    std::string bad = dir_ + "/no-such-dir/x.log";
    EXPECT_EQ(vlog::set_log_file(bad),
              std::optional<std::string>("could not open log file " + bad
                                         + " (No such file or directory)"));
    EXPECT_EQ(vlog::log_file(), log_path_);
    VLOG_INFO("still here");
    EXPECT_EQ(read_file(log_path_), "still here\n");
}

TEST_F(VlogTest, SwitchLogFile)
{
    log_to_file("%m");
    VLOG_INFO("first");
    std::string second = dir_ + "/second.log";
    ASSERT_EQ(vlog::set_log_file(second), std::nullopt);
    EXPECT_EQ(vlog::log_file(), second);
    VLOG_INFO("second");
    EXPECT_EQ(read_file(log_path_), "first\n");
    EXPECT_EQ(read_file(second), "second\n");
}

/* ---- Rate limits. ---- */

TEST_F(VlogTest, RateLimitBurstAndRefill)
{
    timeval::stop();
    vlog::RateLimit rl(60, 3);          /* One token per second. */
    EXPECT_TRUE(rl.allow(nullptr));
    EXPECT_TRUE(rl.allow(nullptr));
    EXPECT_TRUE(rl.allow(nullptr));
    EXPECT_FALSE(rl.allow(nullptr)) << "burst used up";

    timeval::warp(999);
    EXPECT_FALSE(rl.allow(nullptr)) << "0.999 tokens";
    timeval::warp(1);
    EXPECT_TRUE(rl.allow(nullptr)) << "one token after 1000 ms";
    EXPECT_FALSE(rl.allow(nullptr));

    timeval::warp(2000);
    EXPECT_TRUE(rl.allow(nullptr));
    EXPECT_TRUE(rl.allow(nullptr));
    EXPECT_FALSE(rl.allow(nullptr));

    /* A long pause refills only up to the burst. */
    timeval::warp(10 * 60 * 1000);
    for (int i = 0; i < 3; i++) {
        EXPECT_TRUE(rl.allow(nullptr)) << i;
    }
    EXPECT_FALSE(rl.allow(nullptr));
}

TEST_F(VlogTest, RateLimitPerMinuteMath)
{
    timeval::stop();
    vlog::RateLimit rl(6, 1);           /* 6 per minute: one per 10 s. */
    EXPECT_TRUE(rl.allow(nullptr));
    EXPECT_FALSE(rl.allow(nullptr));
    timeval::warp(10000);
    EXPECT_TRUE(rl.allow(nullptr));
    EXPECT_FALSE(rl.allow(nullptr));
    timeval::warp(20000);
    EXPECT_TRUE(rl.allow(nullptr)) << "burst 1 holds one token however long we wait";
    EXPECT_FALSE(rl.allow(nullptr));
}

TEST_F(VlogTest, RateLimitRefillKeepsFractions)
{
    /* 6 per minute is one token per 10000 ms, however the time is cut up:
     * 9999 ms then 1 ms is 10000 ms. */
    timeval::stop();
    vlog::RateLimit rl(6, 1);
    EXPECT_TRUE(rl.allow(nullptr));
    timeval::warp(9999);
    EXPECT_FALSE(rl.allow(nullptr));
    timeval::warp(1);
    EXPECT_TRUE(rl.allow(nullptr)) << "10000 ms at 6/minute is a whole token";
}

TEST_F(VlogTest, RateLimitFrequentCallsStillRefill)
{
    /* A message logged every millisecond (a flood) through a limiter of 30
     * per minute (one per 2000 ms) must get through once every 2 s. */
    timeval::stop();
    vlog::RateLimit rl(30, 1);
    EXPECT_TRUE(rl.allow(nullptr));
    int passed = 0;
    for (int ms = 1; ms <= 4000; ms++) {
        timeval::warp(1);
        passed += rl.allow(nullptr);
    }
    EXPECT_EQ(passed, 2) << "4000 ms at 30/minute";
}

TEST_F(VlogTest, DroppedNotice)
{
    log_to_file("%p|%m");
    timeval::stop();
    vlog::RateLimit rl(60, 2);          /* One token per second, bursts of 2. */
    VLOG_WARN_RL(rl, "m1");
    VLOG_WARN_RL(rl, "m2");
    VLOG_WARN_RL(rl, "d1");             /* Dropped at t = 0. */
    timeval::warp(500);
    VLOG_WARN_RL(rl, "d2");             /* Dropped at t = 500 (0.5 tokens). */
    timeval::warp(500);
    VLOG_WARN_RL(rl, "m3");             /* t = 1000: the first dropped was 1 s ago. */
    VLOG_WARN_RL(rl, "d3");             /* Dropped at t = 1000. */
    timeval::warp(1000);
    VLOG_WARN_RL(rl, "m4");             /* t = 2000. */
    timeval::warp(1000);
    VLOG_WARN_RL(rl, "m5");             /* t = 3000: nothing dropped since m4. */
    EXPECT_EQ(read_file(log_path_),
              "WARN|m1\n"
              "WARN|m2\n"
              "WARN|Dropped 2 log messages in last 1 seconds (most recently, 0 seconds ago) "
              "due to excessive rate\n"
              "WARN|m3\n"
              "WARN|Dropped 1 log messages in last 1 seconds (most recently, 1 seconds ago) "
              "due to excessive rate\n"
              "WARN|m4\n"
              "WARN|m5\n");
}

TEST_F(VlogTest, DroppedNoticeOnlyWhenAsked)
{
    timeval::stop();
    vlog::RateLimit rl(60, 1);
    std::string notice;
    EXPECT_TRUE(rl.allow(&notice));
    EXPECT_EQ(notice, "");
    for (int i = 0; i < 3; i++) {
        EXPECT_FALSE(rl.allow(&notice));
        timeval::warp(100);
    }
    timeval::warp(2700);                /* t = 3000; drops at 0, 100 and 200. */
    EXPECT_TRUE(rl.allow(&notice));
    EXPECT_EQ(notice, "Dropped 3 log messages in last 3 seconds (most recently, 2 seconds "
                      "ago) due to excessive rate");
    notice.clear();
    timeval::warp(1000);
    EXPECT_TRUE(rl.allow(&notice));
    EXPECT_EQ(notice, "") << "reported once";
}

TEST_F(VlogTest, RateLimitingDisabledForModule)
{
    log_to_file("%m");
    timeval::stop();
    vlog::RateLimit rl(60, 1);
    EXPECT_TRUE(vlog::set_rate_limit("vtest", false));
    VLOG_INFO_RL(rl, "a");
    VLOG_INFO_RL(rl, "b");
    VLOG_INFO_RL(rl, "c");
    EXPECT_EQ(read_file(log_path_), "a\nb\nc\n");

    EXPECT_TRUE(vlog::set_rate_limit("vtest", true));
    VLOG_INFO_RL(rl, "d");
    VLOG_INFO_RL(rl, "e");              /* Dropped: the burst of 1 is used. */
    EXPECT_EQ(read_file(log_path_), "a\nb\nc\nd\n");

    EXPECT_FALSE(vlog::set_rate_limit("vtest_nosuch", false));
}

TEST_F(VlogTest, RateLimitedDisabledLevelIsNotCounted)
{
    /* A message whose level is off neither uses a token nor counts as
     * dropped. */
    log_to_file("%m");
    timeval::stop();
    vlog::RateLimit rl(60, 1);
    VLOG_DBG_RL(rl, "off");
    VLOG_DBG_RL(rl, "off");
    VLOG_ERR_RL(rl, "first");
    EXPECT_EQ(read_file(log_path_), "first\n");
}

/* ---- Listings. ---- */

TEST_F(VlogTest, ListLevels)
{
    vlog::set_levels("vtest", Destination::kSyslog, Level::kErr);
    vlog::set_levels("vtest", Destination::kFile, Level::kDbg);
    std::string text = vlog::list_levels();
    std::vector<std::string> lines = split_lines(text);
    std::vector<std::string> names = vlog::module_names();
    ASSERT_EQ(lines.size(), 2 + names.size()) << text;
    EXPECT_EQ(lines[0], "                 console    syslog    file");
    EXPECT_EQ(lines[1], "                 -------    ------    ------");
    for (size_t i = 0; i < names.size(); i++) {
        EXPECT_EQ(lines[2 + i].substr(0, names[i].size() + 1), names[i] + " ");
    }
    /* Open vSwitch's layout: the name in 16 columns, two spaces, then each
     * level right-aligned in 4 columns, 7 spaces apart. */
    EXPECT_NE(std::find(lines.begin(), lines.end(),
                        "vtest              OFF        ERR        DBG"),
              lines.end())
        << text;
    EXPECT_NE(std::find(lines.begin(), lines.end(),
                        "vtest_other        OFF        OFF       INFO"),
              lines.end())
        << text;
    EXPECT_EQ(text.find("rate limiting"), std::string::npos);

    /* A module without rate limiting is marked at the end of its row. */
    EXPECT_TRUE(vlog::set_rate_limit("vtest", false));
    lines = split_lines(vlog::list_levels());
    EXPECT_NE(std::find(lines.begin(), lines.end(),
                        "vtest              OFF        ERR        DBG    (rate limiting disabled)"),
              lines.end())
        << vlog::list_levels();
    EXPECT_NE(std::find(lines.begin(), lines.end(),
                        "vtest_other        OFF        OFF       INFO"),
              lines.end());
}

TEST_F(VlogTest, ListPatterns)
{
    vlog::set_pattern(Destination::kConsole, "%c|%m");
    vlog::set_pattern(Destination::kSyslog, "%p %m");
    vlog::set_pattern(Destination::kFile, "%N:%m");
    EXPECT_EQ(vlog::list_patterns(), "console log pattern: %c|%m\n"
                                     "syslog log pattern: %p %m\n"
                                     "file log pattern: %N:%m\n");
}

/* ---- Commands. ---- */

TEST_F(VlogTest, SetCommand)
{
    vlog::register_commands();
    EXPECT_EQ(call("vlog/set", {"vtest:file:err"}), Answer(true, ""));
    EXPECT_EQ(levels("vtest"), (Levels{Level::kOff, Level::kOff, Level::kErr}));

    EXPECT_EQ(call("vlog/set", {"vtest:file:warn", "vtest:console:emer"}), Answer(true, ""));
    EXPECT_EQ(levels("vtest"), (Levels{Level::kEmer, Level::kOff, Level::kWarn}));

    /* Each argument is a spec of its own: "vtest" (all of vtest to DBG),
     * then "file" (every file level to DBG), then "info" (everything to
     * INFO). */
    EXPECT_EQ(call("vlog/set", {"vtest", "file", "info"}), Answer(true, ""));
    EXPECT_EQ(levels("vtest"), (Levels{Level::kInfo, Level::kInfo, Level::kInfo}));
    EXPECT_EQ(levels("vtest_other"), (Levels{Level::kInfo, Level::kInfo, Level::kInfo}));

    /* A bad spec after a good one: the good one has taken effect. */
    EXPECT_EQ(call("vlog/set", {"vtest:file:err", "bogus"}),
              Answer(false, "\"bogus\" is not a known module, destination or level\n"));
    EXPECT_EQ(levels("vtest"), (Levels{Level::kInfo, Level::kInfo, Level::kErr}));

    EXPECT_EQ(call("vlog/set", {"bogus"}),
              Answer(false, "\"bogus\" is not a known module, destination or level\n"));
    EXPECT_EQ(call("vlog/set", {"vtest:warn:err"}),
              Answer(false, "cannot specify more than one level\n"));
    EXPECT_EQ(call("vlog/set", {"FACILITY:bogus"}),
              Answer(false, "unknown syslog facility \"bogus\"\n"));

    EXPECT_EQ(call("vlog/set", {"PATTERN:file:%m!"}), Answer(true, ""));
    EXPECT_EQ(vlog::get_pattern(Destination::kFile), "%m!");

    EXPECT_EQ(call("vlog/set", {}), Answer(true, ""));
    for (const std::string &name : vlog::module_names()) {
        EXPECT_EQ(levels(name), (Levels{Level::kDbg, Level::kDbg, Level::kDbg})) << name;
    }
}

TEST_F(VlogTest, ListCommands)
{
    vlog::register_commands();
    vlog::set_levels("vtest", Destination::kFile, Level::kWarn);
    Answer list = call("vlog/list", {});
    EXPECT_TRUE(list.first);
    EXPECT_EQ(list.second, vlog::list_levels());
    EXPECT_NE(list.second.find("\nvtest              OFF        OFF       WARN\n"),
              std::string::npos)
        << list.second;
    EXPECT_EQ(call("vlog/list", {"x"}),
              Answer(false, "\"vlog/list\" command takes at most 0 arguments\n"));

    vlog::set_pattern(Destination::kFile, "%m");
    Answer patterns = call("vlog/list-pattern", {});
    EXPECT_TRUE(patterns.first);
    EXPECT_EQ(patterns.second, vlog::list_patterns());
    EXPECT_NE(patterns.second.find("file log pattern: %m\n"), std::string::npos);
}

TEST_F(VlogTest, FileCommands)
{
    vlog::register_commands();
    log_to_file("%m");
    VLOG_INFO("one");
    ASSERT_EQ(std::rename(log_path_.c_str(), (log_path_ + ".old").c_str()), 0);
    EXPECT_EQ(call("vlog/reopen", {}), Answer(true, ""));
    VLOG_INFO("two");
    EXPECT_EQ(read_file(log_path_), "two\n");
    EXPECT_EQ(read_file(log_path_ + ".old"), "one\n");

    EXPECT_EQ(call("vlog/close", {}), Answer(true, ""));
    VLOG_INFO("three");
    EXPECT_EQ(read_file(log_path_), "two\n");
}

TEST_F(VlogTest, RateLimitCommands)
{
    vlog::register_commands();
    const std::string marker = "    (rate limiting disabled)\n";
    auto count_marked = [&] {
        std::string text = vlog::list_levels();
        size_t n = 0;
        for (size_t pos = 0; (pos = text.find(marker, pos)) != std::string::npos; pos++) {
            n++;
        }
        return n;
    };
    EXPECT_EQ(call("vlog/disable-rate-limit", {"vtest"}), Answer(true, ""));
    EXPECT_EQ(count_marked(), 1u);
    EXPECT_NE(vlog::list_levels().find("\nvtest  "), std::string::npos);
    EXPECT_EQ(call("vlog/enable-rate-limit", {"vtest"}), Answer(true, ""));
    EXPECT_EQ(count_marked(), 0u);

    EXPECT_EQ(call("vlog/disable-rate-limit", {"vtest", "vtest_nosuch"}),
              Answer(false, "unknown module \"vtest_nosuch\"\n"));
    EXPECT_EQ(call("vlog/enable-rate-limit", {"vtest_nosuch"}),
              Answer(false, "unknown module \"vtest_nosuch\"\n"));

    EXPECT_EQ(call("vlog/disable-rate-limit", {}), Answer(true, ""));
    EXPECT_EQ(count_marked(), vlog::module_names().size());
    EXPECT_EQ(call("vlog/enable-rate-limit", {}), Answer(true, ""));
    EXPECT_EQ(count_marked(), 0u);
}

}  // namespace
}  // namespace braid
