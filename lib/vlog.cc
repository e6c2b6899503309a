/* Logging: modules, levels, destinations, patterns and rate limits. */
#include <config.h>

#include "lib/vlog.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>

#include "lib/timeval.h"
#include "lib/unixctl.h"
#include "lib/util.h"

namespace braid::vlog {
namespace {

constexpr const char *kLevelNames[kNumLevels] = {"OFF", "EMER", "ERR", "WARN", "INFO", "DBG"};
constexpr const char *kDestinationNames[kNumDestinations] = {"console", "syslog", "file"};
constexpr int kSyslogPriorities[kNumLevels] = {LOG_DEBUG, LOG_ALERT, LOG_ERR,
                                               LOG_WARNING, LOG_INFO, LOG_DEBUG};

constexpr const char *kDefaultPattern = "%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m";
constexpr const char *kDefaultSyslogPattern = "%05N|%c%T|%p|%m";
constexpr Level kDefaultLevel = Level::kInfo;

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size()
           && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                  return std::tolower(static_cast<unsigned char>(x))
                         == std::tolower(static_cast<unsigned char>(y));
              });
}

/* Everything shared by all modules and threads. */
struct Logger {
    std::mutex modules_mutex;
    /* Never erased, so State pointers stay valid. */
    std::map<std::string, std::unique_ptr<Module::State>, std::less<>> modules;

    std::mutex output_mutex;        /* Guards everything below. */
    std::string patterns[kNumDestinations] = {kDefaultPattern, kDefaultSyslogPattern,
                                              kDefaultPattern};
    std::string log_file;
    int log_fd = -1;
    std::string syslog_ident;
    int syslog_facility = LOG_DAEMON;
    bool syslog_open = false;

    std::atomic<uint64_t> seqno{0};
    int64_t start_wall_msec = timeval::wall_msec();
};

Logger &logger()
{
    static Logger *l = new Logger;     /* Never destroyed: logging works at exit. */
    return *l;
}

thread_local std::string thread_name_storage;

void update_max_level(Module::State &state)
{
    uint8_t max = 0;
    for (auto &level : state.levels) {
        max = std::max(max, level.load());
    }
    state.max_level.store(max);
}

std::string hostname()
{
    char buf[256];
    if (gethostname(buf, sizeof buf) != 0) {
        return "?";
    }
    buf[sizeof buf - 1] = '\0';
    return buf;
}

/* Formats the time 'wall_ms' with a strftime 'format' in which "###" stands
 * for the milliseconds. */
std::string format_time(std::string_view format, int64_t wall_ms, bool utc)
{
    std::string fmt(format);
    std::string ms = fmt::format("{:03d}", wall_ms % 1000);
    for (size_t pos; (pos = fmt.find("###")) != std::string::npos;) {
        fmt.replace(pos, 3, ms);
    }
    time_t secs = wall_ms / 1000;
    struct tm tm;
    if (utc) {
        gmtime_r(&secs, &tm);
    } else {
        localtime_r(&secs, &tm);
    }
    char buf[256];
    /* The format is the user's log pattern, not a literal. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    size_t n = strftime(buf, sizeof buf, fmt.c_str(), &tm);
#pragma GCC diagnostic pop
    return std::string(buf, n);
}

/* Renders 'pattern' for one message.  The escapes are those of Open
 * vSwitch's log patterns: %A program, %c module, %d/%D{fmt} local/UTC time,
 * %E host, %m message, %N sequence number, %n newline, %p level, %P pid,
 * %r milliseconds since start, %t thread name, %T "(thread)" off the main
 * thread, %% a percent sign; with optional '-' (left-justify), '0' (pad with
 * zeros) and a field width.  An unknown escape stands for its letter. */
std::string render(const std::string &pattern, const Module::State &module, Level level,
                   std::string_view message, uint64_t seqno, int64_t wall_ms)
{
    std::string out;
    for (size_t i = 0; i < pattern.size(); i++) {
        char c = pattern[i];
        if (c != '%' || i + 1 >= pattern.size()) {
            out += c;
            continue;
        }
        i++;
        bool left = false, zero = false;
        for (; i < pattern.size() && (pattern[i] == '-' || pattern[i] == '0'); i++) {
            (pattern[i] == '-' ? left : zero) = true;
        }
        size_t width = 0;
        for (; i < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[i])); i++) {
            width = width * 10 + (pattern[i] - '0');
        }
        if (i >= pattern.size()) {
            break;
        }
        char escape = pattern[i];
        std::string arg;
        if ((escape == 'd' || escape == 'D') && i + 1 < pattern.size()
            && pattern[i + 1] == '{') {
            size_t close = pattern.find('}', i + 2);
            if (close != std::string::npos) {
                arg = pattern.substr(i + 2, close - i - 2);
                i = close;
            }
        }
        std::string field;
        switch (escape) {
        case 'A': field = program_name(); break;
        case 'c': field = module.name; break;
        case 'd': field = format_time(arg.empty() ? "%Y-%m-%d %H:%M:%S.###" : arg, wall_ms, false); break;
        case 'D': field = format_time(arg.empty() ? "%Y-%m-%d %H:%M:%S.###" : arg, wall_ms, true); break;
        case 'E': field = hostname(); break;
        case 'm': field = message; break;
        case 'N': field = std::to_string(seqno); break;
        case 'n': field = "\n"; break;
        case 'p': field = level_name(level); break;
        case 'P': field = std::to_string(getpid()); break;
        case 'r': field = std::to_string(wall_ms - logger().start_wall_msec); break;
        case 't': field = thread_name_storage.empty() ? "main" : thread_name_storage; break;
        case 'T': field = thread_name_storage.empty() ? "" : "(" + thread_name_storage + ")"; break;
        case '%': field = "%"; break;
        default: field = std::string(1, escape); break;
        }
        if (field.size() < width) {
            std::string pad(width - field.size(), zero && !left ? '0' : ' ');
            field = left ? field + pad : pad + field;
        }
        out += field;
    }
    return out;
}

void write_all(int fd, const std::string &text)
{
    const char *p = text.data();
    size_t left = text.size();
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;         /* Nowhere to report a failure to log. */
        }
        p += n;
        left -= n;
    }
}

Module::State *find_module(std::string_view name)
{
    Logger &l = logger();
    std::lock_guard<std::mutex> lock(l.modules_mutex);
    for (auto &[key, state] : l.modules) {
        if (iequals(key, name)) {
            return state.get();
        }
    }
    return nullptr;
}

std::vector<Module::State *> all_modules()
{
    Logger &l = logger();
    std::lock_guard<std::mutex> lock(l.modules_mutex);
    std::vector<Module::State *> v;
    for (auto &[key, state] : l.modules) {
        v.push_back(state.get());
    }
    return v;
}

struct Facility {
    const char *name;
    int value;
};
constexpr Facility kFacilities[] = {
    {"kern", LOG_KERN}, {"user", LOG_USER}, {"mail", LOG_MAIL}, {"daemon", LOG_DAEMON},
    {"auth", LOG_AUTH}, {"syslog", LOG_SYSLOG}, {"lpr", LOG_LPR}, {"news", LOG_NEWS},
    {"uucp", LOG_UUCP}, {"cron", LOG_CRON}, {"authpriv", LOG_AUTHPRIV}, {"ftp", LOG_FTP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

}  // namespace

const char *level_name(Level level) noexcept
{
    return kLevelNames[int(level) < kNumLevels ? int(level) : 0];
}

std::optional<Level> level_from_string(std::string_view s) noexcept
{
    for (int i = 0; i < kNumLevels; i++) {
        if (iequals(s, kLevelNames[i])) {
            return Level(i);
        }
    }
    if (iequals(s, "debug")) {
        return Level::kDbg;
    } else if (iequals(s, "warning")) {
        return Level::kWarn;
    } else if (iequals(s, "error")) {
        return Level::kErr;
    }
    return std::nullopt;
}

const char *destination_name(Destination destination) noexcept
{
    return kDestinationNames[int(destination)];
}

std::optional<Destination> destination_from_string(std::string_view s) noexcept
{
    for (int i = 0; i < kNumDestinations; i++) {
        if (iequals(s, kDestinationNames[i])) {
            return Destination(i);
        }
    }
    return std::nullopt;
}

RateLimit::RateLimit(unsigned per_minute, unsigned burst) noexcept
    : capacity_(int64_t(std::max(burst, 1u)) * kTokenUnits),
      per_minute_(std::max(per_minute, 1u)),
      tokens_(capacity_)
{
}

bool RateLimit::allow(std::string *dropped_notice)
{
    std::lock_guard<std::mutex> lock(mutex_);
    int64_t now = timeval::msec();
    if (last_fill_ < 0) {
        last_fill_ = now;
    }
    if (now > last_fill_) {
        /* A token is kTokenUnits (60000) units and 'per_minute_' tokens come
         * in per 60000 ms: 'per_minute_' units per millisecond, exactly, so
         * no fraction is ever lost however often this runs. */
        tokens_ = std::min(capacity_, tokens_ + (now - last_fill_) * per_minute_);
        last_fill_ = now;
    }
    if (tokens_ < kTokenUnits) {
        if (n_dropped_++ == 0) {
            first_dropped_ = now;
        }
        last_dropped_ = now;
        return false;
    }
    tokens_ -= kTokenUnits;
    if (n_dropped_ && dropped_notice) {
        *dropped_notice = fmt::format(
            "Dropped {} log messages in last {} seconds (most recently, {} seconds ago) "
            "due to excessive rate",
            n_dropped_, (now - first_dropped_) / 1000, (now - last_dropped_) / 1000);
    }
    n_dropped_ = 0;
    return true;
}

Module::Module(std::string_view name)
{
    Logger &l = logger();
    std::lock_guard<std::mutex> lock(l.modules_mutex);
    auto it = l.modules.find(name);
    if (it == l.modules.end()) {
        auto state = std::make_unique<State>();
        state->name = std::string(name);
        for (auto &level : state->levels) {
            level.store(uint8_t(kDefaultLevel));
        }
        state->max_level.store(uint8_t(kDefaultLevel));
        it = l.modules.emplace(std::string(name), std::move(state)).first;
    }
    state_ = it->second.get();
}

void Module::log(Level level, std::string_view message) const
{
    Logger &l = logger();
    uint64_t seqno = ++l.seqno;
    int64_t wall_ms = timeval::wall_msec();
    std::lock_guard<std::mutex> lock(l.output_mutex);
    for (int d = 0; d < kNumDestinations; d++) {
        if (level == Level::kOff || uint8_t(level) > state_->levels[d].load()) {
            continue;
        }
        switch (Destination(d)) {
        case Destination::kConsole:
            write_all(STDERR_FILENO,
                      render(l.patterns[d], *state_, level, message, seqno, wall_ms) + "\n");
            break;
        case Destination::kFile:
            if (l.log_fd >= 0) {
                write_all(l.log_fd,
                          render(l.patterns[d], *state_, level, message, seqno, wall_ms) + "\n");
            }
            break;
        case Destination::kSyslog:
            if (!l.syslog_open) {
                openlog(l.syslog_ident.empty() ? nullptr : l.syslog_ident.c_str(),
                        LOG_NDELAY, l.syslog_facility);
                l.syslog_open = true;
            }
            syslog(kSyslogPriorities[int(level)] | l.syslog_facility, "%s",
                   render(l.patterns[d], *state_, level, message, seqno, wall_ms).c_str());
            break;
        }
    }
}

void Module::log_rate_limited(Level level, RateLimit &rl, std::string_view message) const
{
    if (!state_->rate_limited.load(std::memory_order_relaxed)) {
        log(level, message);
        return;
    }
    std::string notice;
    if (rl.allow(&notice)) {
        if (!notice.empty()) {
            log(level, notice);
        }
        log(level, message);
    }
}

void set_all_levels(Level level)
{
    set_levels("", std::nullopt, level);
}

void set_levels(std::string_view module, std::optional<Destination> destination, Level level)
{
    std::vector<Module::State *> targets;
    if (module.empty()) {
        targets = all_modules();
    } else if (Module::State *state = find_module(module)) {
        targets.push_back(state);
    }
    /* Writers serialise, so that max_level always matches the levels. */
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    for (Module::State *state : targets) {
        for (int d = 0; d < kNumDestinations; d++) {
            if (!destination || int(*destination) == d) {
                state->levels[d].store(uint8_t(level));
            }
        }
        update_max_level(*state);
    }
}

std::optional<Level> get_level(std::string_view module, Destination destination)
{
    Module::State *state = find_module(module);
    if (!state) {
        return std::nullopt;
    }
    return Level(state->levels[int(destination)].load());
}

std::optional<std::string> set_from_string(std::string_view spec)
{
    /* "PATTERN:destination:pattern" and "FACILITY:name" first. */
    auto prefixed = [&](std::string_view prefix) {
        return spec.size() > prefix.size() && iequals(spec.substr(0, prefix.size()), prefix);
    };
    if (prefixed("PATTERN:")) {
        std::string_view rest = spec.substr(8);
        size_t colon = rest.find(':');
        if (colon == std::string_view::npos) {
            return "missing destination in \"PATTERN:destination:pattern\"";
        }
        std::string_view dest = rest.substr(0, colon);
        std::string_view pattern = rest.substr(colon + 1);
        if (iequals(dest, "any")) {
            for (int d = 0; d < kNumDestinations; d++) {
                set_pattern(Destination(d), pattern);
            }
        } else if (auto d = destination_from_string(dest)) {
            set_pattern(*d, pattern);
        } else {
            return fmt::format("unknown destination \"{}\"", dest);
        }
        return std::nullopt;
    }
    if (prefixed("FACILITY:")) {
        std::string_view name = spec.substr(9);
        for (const Facility &f : kFacilities) {
            if (iequals(name, f.name)) {
                Logger &l = logger();
                std::lock_guard<std::mutex> lock(l.output_mutex);
                l.syslog_facility = f.value;
                if (l.syslog_open) {
                    closelog();
                    l.syslog_open = false;
                }
                return std::nullopt;
            }
        }
        return fmt::format("unknown syslog facility \"{}\"", name);
    }

    std::optional<std::string> module;
    std::optional<Destination> destination;
    std::optional<Level> level;
    bool any_destination = false;
    size_t pos = 0;
    while (pos <= spec.size()) {
        size_t end = spec.find_first_of(": \t", pos);
        if (end == std::string_view::npos) {
            end = spec.size();
        }
        std::string_view word = spec.substr(pos, end - pos);
        pos = end + 1;
        if (word.empty()) {
            continue;
        }
        if (iequals(word, "any")) {
            continue;
        } else if (auto d = destination_from_string(word)) {
            if (destination || any_destination) {
                return "cannot specify more than one destination";
            }
            destination = d;
        } else if (auto lv = level_from_string(word)) {
            if (level) {
                return "cannot specify more than one level";
            }
            level = lv;
        } else if (find_module(word)) {
            if (module) {
                return "cannot specify more than one module";
            }
            module = std::string(word);
        } else {
            return fmt::format("\"{}\" is not a known module, destination or level", word);
        }
    }
    set_levels(module.value_or(""), destination, level.value_or(Level::kDbg));
    return std::nullopt;
}

void set_pattern(Destination destination, std::string_view pattern)
{
    Logger &l = logger();
    std::lock_guard<std::mutex> lock(l.output_mutex);
    l.patterns[int(destination)] = std::string(pattern);
}

std::string get_pattern(Destination destination)
{
    Logger &l = logger();
    std::lock_guard<std::mutex> lock(l.output_mutex);
    return l.patterns[int(destination)];
}

std::optional<std::string> set_log_file(const std::string &path)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0660);
    if (fd < 0) {
        return fmt::format("could not open log file {} ({})", path, std::strerror(errno));
    }
    Logger &l = logger();
    std::lock_guard<std::mutex> lock(l.output_mutex);
    if (l.log_fd >= 0) {
        close(l.log_fd);
    }
    l.log_fd = fd;
    l.log_file = path;
    return std::nullopt;
}

std::optional<std::string> reopen_log_file()
{
    std::string path = log_file();
    if (path.empty()) {
        return "Logging to file not configured";
    }
    return set_log_file(path);
}

void close_log_file()
{
    Logger &l = logger();
    std::lock_guard<std::mutex> lock(l.output_mutex);
    if (l.log_fd >= 0) {
        close(l.log_fd);
        l.log_fd = -1;
    }
}

std::string log_file()
{
    Logger &l = logger();
    std::lock_guard<std::mutex> lock(l.output_mutex);
    return l.log_file;
}

void set_syslog_ident(const std::string &ident)
{
    Logger &l = logger();
    std::lock_guard<std::mutex> lock(l.output_mutex);
    l.syslog_ident = ident;
    if (l.syslog_open) {
        closelog();
        l.syslog_open = false;
    }
}

void set_thread_name(std::string name)
{
    thread_name_storage = std::move(name);
}

const std::string &thread_name()
{
    return thread_name_storage;
}

bool set_rate_limit(std::string_view module, bool enable)
{
    if (module.empty()) {
        for (Module::State *state : all_modules()) {
            state->rate_limited.store(enable);
        }
        return true;
    }
    Module::State *state = find_module(module);
    if (!state) {
        return false;
    }
    state->rate_limited.store(enable);
    return true;
}

std::string list_levels()
{
    std::string s = "                 console    syslog    file\n"
                    "                 -------    ------    ------\n";
    for (Module::State *state : all_modules()) {
        s += fmt::format("{:<16}  {:>4}       {:>4}       {:>4}", state->name,
                         level_name(Level(state->levels[0].load())),
                         level_name(Level(state->levels[1].load())),
                         level_name(Level(state->levels[2].load())));
        if (!state->rate_limited.load()) {
            s += "    (rate limiting disabled)";
        }
        s += "\n";
    }
    return s;
}

std::string list_patterns()
{
    std::string s;
    for (int d = 0; d < kNumDestinations; d++) {
        s += fmt::format("{} log pattern: {}\n", kDestinationNames[d],
                         get_pattern(Destination(d)));
    }
    return s;
}

std::vector<std::string> module_names()
{
    std::vector<std::string> names;
    for (Module::State *state : all_modules()) {
        names.push_back(state->name);
    }
    return names;
}

void register_commands()
{
    using unixctl::Args;
    using unixctl::Reply;
    unixctl::register_command(
        "vlog/set", "{spec | PATTERN:destination:pattern}", 0, INT32_MAX,
        [](const Args &args, const Reply &reply) {
            if (args.empty()) {
                set_all_levels(Level::kDbg);
            }
            for (const std::string &spec : args) {
                if (auto error = set_from_string(spec)) {
                    reply.error(*error);
                    return;
                }
            }
            reply.ok();
        });
    unixctl::register_command("vlog/list", "", 0, 0, [](const Args &, const Reply &reply) {
        reply.ok(list_levels());
    });
    unixctl::register_command("vlog/list-pattern", "", 0, 0,
                              [](const Args &, const Reply &reply) {
                                  reply.ok(list_patterns());
                              });
    unixctl::register_command("vlog/reopen", "", 0, 0, [](const Args &, const Reply &reply) {
        if (auto error = reopen_log_file()) {
            reply.error(*error);
        } else {
            reply.ok();
        }
    });
    unixctl::register_command("vlog/close", "", 0, 0, [](const Args &, const Reply &reply) {
        close_log_file();
        reply.ok();
    });
    auto rate_limit_command = [](bool enable) {
        return [enable](const Args &args, const Reply &reply) {
            if (args.empty()) {
                set_rate_limit("", enable);
            }
            for (const std::string &module : args) {
                if (!set_rate_limit(module, enable)) {
                    reply.error(fmt::format("unknown module \"{}\"", module));
                    return;
                }
            }
            reply.ok();
        };
    };
    unixctl::register_command("vlog/enable-rate-limit", "[module]...", 0, INT32_MAX,
                              rate_limit_command(true));
    unixctl::register_command("vlog/disable-rate-limit", "[module]...", 0, INT32_MAX,
                              rate_limit_command(false));
}

}  // namespace braid::vlog
