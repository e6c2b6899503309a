/* Small utilities used everywhere. */
#include <config.h>

#include "lib/util.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "lib/vlog.h"

BRAID_LOG_MODULE(util);

namespace braid {

void fatal_message(const std::string &message)
{
    /* Whoever started us must see why we stop, even with console logging
     * off (daemons usually run with -vconsole:off or -vconsole:emer). */
    auto console = vlog::get_level("util", vlog::Destination::kConsole);
    if (!console || *console < vlog::Level::kEmer) {
        fmt::print(stderr, "{}: {}\n", program_name(), message);
    }
    VLOG_EMER("{}", message);
    std::exit(EXIT_FAILURE);
}

std::string errno_to_string(int error)
{
    char buf[128];
    /* GNU strerror_r returns the message, which may not be in 'buf'. */
    return strerror_r(error, buf, sizeof buf);
}

namespace {

std::string &program_name_storage()
{
    static std::string name = "braid";
    return name;
}

}  // namespace

void set_program_name(std::string_view name)
{
    size_t slash = name.rfind('/');
    program_name_storage() = std::string(slash == std::string_view::npos
                                             ? name : name.substr(slash + 1));
}

const std::string &program_name()
{
    return program_name_storage();
}

bool parse_int(std::string_view s, long long min, long long max, long long *value)
{
    long long v;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < min
        || v > max) {
        return false;
    }
    *value = v;
    return true;
}

}  // namespace braid
