/* memory/show. */
#include <config.h>

#include "lib/memory.h"

#include <unistd.h>

#include <fstream>
#include <mutex>

#include <fmt/format.h>

#include "lib/unixctl.h"

namespace braid::memory {
namespace {

struct Reporters {
    std::mutex mutex;
    std::map<std::string, std::function<void(Usage &)>> map;
};

Reporters &reporters()
{
    static Reporters r;
    return r;
}

/* The resident set size in kB, from /proc/self/statm, or 0. */
uint64_t rss_kb()
{
    std::ifstream statm("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) {
        return 0;
    }
    return resident * uint64_t(sysconf(_SC_PAGESIZE)) / 1024;
}

}  // namespace

void register_reporter(const std::string &name, std::function<void(Usage &)> reporter)
{
    std::lock_guard<std::mutex> lock(reporters().mutex);
    reporters().map[name] = std::move(reporter);
}

void unregister_reporter(const std::string &name)
{
    std::lock_guard<std::mutex> lock(reporters().mutex);
    reporters().map.erase(name);
}

Usage collect()
{
    Usage usage;
    {
        std::lock_guard<std::mutex> lock(reporters().mutex);
        for (auto &[name, reporter] : reporters().map) {
            reporter(usage);
        }
    }
    usage["rss-kB"] = rss_kb();
    return usage;
}

std::string show()
{
    std::string s;
    for (const auto &[key, value] : collect()) {
        s += fmt::format("{}{}:{}", s.empty() ? "" : " ", key, value);
    }
    return s + "\n";
}

void register_commands()
{
    unixctl::register_command("memory/show", "", 0, 0,
                              [](const unixctl::Args &, const unixctl::Reply &reply) {
                                  reply.ok(show());
                              });
}

}  // namespace braid::memory
