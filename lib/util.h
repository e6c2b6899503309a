/* Small utilities used everywhere: fatal errors, errno text, the program
 * name. */
#ifndef BRAID_LIB_UTIL_H
#define BRAID_LIB_UTIL_H 1

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace braid {

/* Logs 'message' at the emergency level in the "util" log module and exits
 * with status 1.  For conditions the program cannot recover from, never for
 * bad input. */
[[noreturn]] void fatal_message(const std::string &message);

template <typename... Args>
[[noreturn]] void fatal(fmt::format_string<Args...> format, Args &&...args)
{
    fatal_message(fmt::format(format, std::forward<Args>(args)...));
}

/* strerror() for a positive errno value, thread-safe. */
std::string errno_to_string(int error);

/* The name this program reports in logs and in the version text, set once
 * from main(). */
void set_program_name(std::string_view name);
const std::string &program_name();

/* Parses a whole decimal integer within [min, max]; false on anything
 * else (empty, trailing junk, out of range). */
bool parse_int(std::string_view s, long long min, long long max, long long *value);

}  // namespace braid

#endif  // BRAID_LIB_UTIL_H
