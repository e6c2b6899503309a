/* Named event counters. */
#include <config.h>

#include "lib/coverage.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "lib/event-loop.h"
#include "lib/unixctl.h"

namespace braid::coverage {
namespace {

constexpr int kSamplesPerMinute = 12;       /* One sample every 5 s. */
constexpr int kMinutesPerHour = 60;
constexpr int64_t kSampleIntervalMs = 5000;

/* What coverage/show needs to compute rates for one counter. */
struct History {
    uint64_t last_total = 0;
    std::array<uint64_t, kSamplesPerMinute> per_sample{};   /* Deltas per 5 s. */
    std::array<uint64_t, kMinutesPerHour> per_minute{};     /* Deltas per minute. */
};

struct Registry {
    std::mutex mutex;
    std::vector<const char *> names;            /* Index -> name. */
    std::map<std::string, unsigned, std::less<>> by_name;
    std::set<ThreadSlots *> threads;
    std::array<uint64_t, kMaxCounters> retired{};   /* Totals of exited threads. */

    std::vector<History> history;
    unsigned n_samples = 0;
};

Registry &registry()
{
    static Registry *r = new Registry;      /* Outlives every thread. */
    return *r;
}

uint64_t total_locked(Registry &r, unsigned index)
{
    uint64_t sum = r.retired[index];
    for (ThreadSlots *slots : r.threads) {
        sum += slots->values[index].load(std::memory_order_relaxed);
    }
    return sum;
}

}  // namespace

ThreadSlots::ThreadSlots()
{
    for (auto &v : values) {
        v.store(0, std::memory_order_relaxed);
    }
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.threads.insert(this);
}

ThreadSlots::~ThreadSlots()
{
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    for (unsigned i = 0; i < kMaxCounters; i++) {
        r.retired[i] += values[i].load(std::memory_order_relaxed);
    }
    r.threads.erase(this);
}

ThreadSlots &this_thread_slots() noexcept
{
    thread_local ThreadSlots slots;
    return slots;
}

Counter::Counter(const char *name) : name_(name)
{
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.by_name.find(name);
    if (it != r.by_name.end()) {
        index_ = it->second;
        return;
    }
    if (r.names.size() >= kMaxCounters) {
        fmt::print(stderr, "too many coverage counters (more than {})\n", kMaxCounters);
        std::abort();
    }
    index_ = r.names.size();
    r.names.push_back(name);
    r.by_name.emplace(name, index_);
}

uint64_t Counter::total() const
{
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    return total_locked(r, index_);
}

std::optional<uint64_t> read_counter(std::string_view name)
{
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.by_name.find(name);
    if (it == r.by_name.end()) {
        return std::nullopt;
    }
    return total_locked(r, it->second);
}

void sample()
{
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.history.resize(r.names.size());
    unsigned slot = r.n_samples % kSamplesPerMinute;
    bool minute_done = slot == kSamplesPerMinute - 1;
    unsigned minute = (r.n_samples / kSamplesPerMinute) % kMinutesPerHour;
    for (unsigned i = 0; i < r.names.size(); i++) {
        History &h = r.history[i];
        uint64_t total = total_locked(r, i);
        h.per_sample[slot] = total - h.last_total;
        h.last_total = total;
        if (minute_done) {
            uint64_t sum = 0;
            for (uint64_t d : h.per_sample) {
                sum += d;
            }
            h.per_minute[minute] = sum;
        }
    }
    r.n_samples++;
}

std::string show()
{
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.history.resize(r.names.size());

    /* Sort by name for a stable listing. */
    std::vector<unsigned> order(r.names.size());
    for (unsigned i = 0; i < order.size(); i++) {
        order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](unsigned a, unsigned b) {
        return std::string_view(r.names[a]) < std::string_view(r.names[b]);
    });

    std::string s = "Event coverage, avg rate over last: 5 seconds, last minute, last hour:\n";
    unsigned never = 0;
    unsigned last_slot = (r.n_samples + kSamplesPerMinute - 1) % kSamplesPerMinute;
    for (unsigned i : order) {
        uint64_t total = total_locked(r, i);
        if (!total) {
            never++;
            continue;
        }
        const History &h = r.history[i];
        uint64_t minute_sum = 0, hour_sum = 0;
        for (uint64_t d : h.per_sample) {
            minute_sum += d;
        }
        for (uint64_t d : h.per_minute) {
            hour_sum += d;
        }
        double recent = r.n_samples ? h.per_sample[last_slot] / 5.0 : 0.0;
        s += fmt::format("{:<26} {:8.1f}/sec {:10.3f}/sec {:12.4f}/sec   total: {}\n",
                         r.names[i], recent, minute_sum / 60.0, hour_sum / 3600.0, total);
    }
    s += fmt::format("{} events never hit\n", never);
    return s;
}

void register_commands(EventLoop &loop)
{
    unixctl::register_command("coverage/show", "", 0, 0,
                              [](const unixctl::Args &, const unixctl::Reply &reply) {
                                  reply.ok(show());
                              });
    unixctl::register_command(
        "coverage/read-counter", "COUNTER", 1, 1,
        [](const unixctl::Args &args, const unixctl::Reply &reply) {
            if (auto total = read_counter(args[0])) {
                reply.ok(std::to_string(*total));
            } else {
                reply.error(fmt::format("No such counter: \"{}\"", args[0]));
            }
        });

    /* Sample on the Braid clock so that warped tests see rates too. */
    struct Sampler {
        static void arm(EventLoop &l)
        {
            l.schedule_after(kSampleIntervalMs, [&l] {
                sample();
                arm(l);
            });
        }
    };
    Sampler::arm(loop);
}

}  // namespace braid::coverage
