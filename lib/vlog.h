/* Logging, per module, with levels adjustable at run time.
 *
 * Each source file names its log module once:
 *
 *     BRAID_LOG_MODULE(bond);
 *
 * and logs with fmt-style format strings, checked at compile time:
 *
 *     VLOG_INFO("bond {}: member {} enabled", bond, member);
 *     static vlog::RateLimit rl(5, 20);          // 5 per minute, bursts of 20
 *     VLOG_WARN_RL(rl, "bond {}: bad LACPDU on {}", bond, member);
 *
 * A message is formatted only if its module logs that level to at least one
 * destination.  Messages that a network peer can trigger must use the _RL
 * variants; a rate limiter reports how many messages it suppressed once
 * messages pass again.
 *
 * Destinations are the console (standard error), syslog and a log file, each
 * with its own level per module and its own output pattern.  vlog/set,
 * vlog/list, vlog/list-pattern, vlog/reopen, vlog/close,
 * vlog/enable-rate-limit and vlog/disable-rate-limit change and show them at
 * run time, as in Open vSwitch.  Everything here is thread-safe. */
#ifndef BRAID_LIB_VLOG_H
#define BRAID_LIB_VLOG_H 1

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace braid::vlog {

/* Levels, from least to most verbose.  A destination logs a message if the
 * message's level is at or below the destination's level for the module. */
enum class Level : uint8_t { kOff, kEmer, kErr, kWarn, kInfo, kDbg };
inline constexpr int kNumLevels = 6;

enum class Destination : uint8_t { kConsole, kSyslog, kFile };
inline constexpr int kNumDestinations = 3;

/* "OFF", "EMER", "ERR", "WARN", "INFO", "DBG". */
const char *level_name(Level level) noexcept;
/* Case-insensitive; also accepts "debug", "warning", "error". */
std::optional<Level> level_from_string(std::string_view s) noexcept;

/* "console", "syslog", "file". */
const char *destination_name(Destination destination) noexcept;
std::optional<Destination> destination_from_string(std::string_view s) noexcept;

/* A token bucket limiting how often a call site logs: 'per_minute' messages
 * on average, with bursts of up to 'burst'.  It runs on the Braid clock, so
 * a test can warp it. */
class RateLimit {
public:
    RateLimit(unsigned per_minute, unsigned burst) noexcept;

    /* Takes a token if one is available.  When it returns true after
     * messages were suppressed, '*dropped_notice' receives a sentence saying
     * how many. */
    bool allow(std::string *dropped_notice);

private:
    static constexpr int64_t kTokenUnits = 60000;  /* Units per token. */

    std::mutex mutex_;
    const int64_t capacity_;        /* In units. */
    const int64_t per_minute_;
    int64_t tokens_;                /* In units. */
    int64_t last_fill_ = -1;        /* Clock of the last refill, in ms. */
    unsigned n_dropped_ = 0;
    int64_t first_dropped_ = 0;
    int64_t last_dropped_ = 0;
};

/* A log module.  Modules with the same name share their settings. */
class Module {
public:
    explicit Module(std::string_view name);

    /* True if a message at 'level' would go anywhere. */
    bool enabled(Level level) const noexcept
    {
        return level != Level::kOff
               && uint8_t(level) <= state_->max_level.load(std::memory_order_relaxed);
    }

    /* Logs 'message' (already formatted) at 'level'. */
    void log(Level level, std::string_view message) const;

    /* Logs 'message' at 'level' if 'rl' allows it or this module's rate
     * limiting is off. */
    void log_rate_limited(Level level, RateLimit &rl, std::string_view message) const;

    const std::string &name() const noexcept { return state_->name; }

    struct State {
        std::string name;
        std::atomic<uint8_t> levels[kNumDestinations];
        std::atomic<uint8_t> max_level;
        std::atomic<bool> rate_limited{true};
    };

private:
    State *state_;
};

/* ---- Configuration (what the daemon options and the vlog commands do). ---- */

/* Applies one setting in the syntax of ovs-vswitchd's -v option and
 * vlog/set: words separated by ':' or spaces, each a module name, a
 * destination or a level, "any" matching everything; an omitted module or
 * destination means all, an omitted level means "dbg".  Also
 * "PATTERN:destination:pattern" and "FACILITY:name".  Returns an error
 * message, or nothing on success. */
std::optional<std::string> set_from_string(std::string_view spec);

/* Sets every module and destination to 'level'. */
void set_all_levels(Level level);

/* Sets the level of 'module' (all modules if empty) for 'destination' (all
 * destinations if nullopt). */
void set_levels(std::string_view module, std::optional<Destination> destination,
                Level level);

/* The level of 'module' for 'destination', or nullopt for an unknown module. */
std::optional<Level> get_level(std::string_view module, Destination destination);

/* Output patterns (braid-vswitchd(8) lists the % escapes). */
void set_pattern(Destination destination, std::string_view pattern);
std::string get_pattern(Destination destination);

/* Opens (or switches to) the log file 'path'.  Returns an error message on
 * failure, leaving any previous file in use. */
std::optional<std::string> set_log_file(const std::string &path);
/* Reopens the log file, for log rotation (also after close_log_file()).
 * Returns an error message if no log file is configured or it cannot be
 * opened. */
std::optional<std::string> reopen_log_file();
/* Closes the log file; reopen_log_file() opens the same file again. */
void close_log_file();
/* The configured log file (also while closed), or empty. */
std::string log_file();

/* Uses 'ident' for syslog and sends messages there (through libc). */
void set_syslog_ident(const std::string &ident);

/* Names the calling thread in log messages (%t, %T); the main thread has
 * no name. */
void set_thread_name(std::string name);
/* The calling thread's name, empty for the main thread. */
const std::string &thread_name();

/* Turns rate limiting on or off for 'module' (all modules if empty).
 * Returns false for an unknown module. */
bool set_rate_limit(std::string_view module, bool enable);

/* The text of vlog/list and vlog/list-pattern. */
std::string list_levels();
std::string list_patterns();

/* Names of all modules, sorted. */
std::vector<std::string> module_names();

/* Registers the vlog unixctl commands (vlog/set, vlog/list, ...). */
void register_commands();

}  // namespace braid::vlog

/* Declares this file's log module.  Use once per .cc file, at file scope
 * outside any namespace. */
#define BRAID_LOG_MODULE(NAME) \
    static const ::braid::vlog::Module braid_vlog_module_(#NAME)

#define VLOG(LEVEL, ...)                                                \
    do {                                                                \
        if (braid_vlog_module_.enabled(LEVEL)) {                        \
            braid_vlog_module_.log(LEVEL, ::fmt::format(__VA_ARGS__));  \
        }                                                               \
    } while (0)

#define VLOG_RL(RL, LEVEL, ...)                                         \
    do {                                                                \
        if (braid_vlog_module_.enabled(LEVEL)) {                        \
            braid_vlog_module_.log_rate_limited(LEVEL, RL,              \
                                                ::fmt::format(__VA_ARGS__)); \
        }                                                               \
    } while (0)

#define VLOG_EMER(...) VLOG(::braid::vlog::Level::kEmer, __VA_ARGS__)
#define VLOG_ERR(...) VLOG(::braid::vlog::Level::kErr, __VA_ARGS__)
#define VLOG_WARN(...) VLOG(::braid::vlog::Level::kWarn, __VA_ARGS__)
#define VLOG_INFO(...) VLOG(::braid::vlog::Level::kInfo, __VA_ARGS__)
#define VLOG_DBG(...) VLOG(::braid::vlog::Level::kDbg, __VA_ARGS__)

#define VLOG_ERR_RL(RL, ...) VLOG_RL(RL, ::braid::vlog::Level::kErr, __VA_ARGS__)
#define VLOG_WARN_RL(RL, ...) VLOG_RL(RL, ::braid::vlog::Level::kWarn, __VA_ARGS__)
#define VLOG_INFO_RL(RL, ...) VLOG_RL(RL, ::braid::vlog::Level::kInfo, __VA_ARGS__)
#define VLOG_DBG_RL(RL, ...) VLOG_RL(RL, ::braid::vlog::Level::kDbg, __VA_ARGS__)

#endif  // BRAID_LIB_VLOG_H
