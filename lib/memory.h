/* memory/show: what the big data structures hold, as "key:value" pairs.
 *
 * Each module that keeps something sizeable (MAC tables, flows, ports,
 * bonds) registers a reporter that adds its counts; memory/show prints them
 * all, sorted, with the process's resident set size. */
#ifndef BRAID_LIB_MEMORY_H
#define BRAID_LIB_MEMORY_H 1

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace braid::memory {

using Usage = std::map<std::string, uint64_t>;

/* Registers 'reporter' under 'name' (replacing an earlier one of that name);
 * it adds its "key" -> count entries to the map it is given. */
void register_reporter(const std::string &name, std::function<void(Usage &)> reporter);
void unregister_reporter(const std::string &name);

/* Everything the reporters say, plus "rss-kB". */
Usage collect();

/* The text of memory/show: "key:value key:value ...\n". */
std::string show();

/* Registers memory/show. */
void register_commands();

}  // namespace braid::memory

#endif  // BRAID_LIB_MEMORY_H
