/* Named event counters, always on and cheap enough for the packet path.
 *
 *     BRAID_COVERAGE_DEFINE(bond_rx_drop_not_active);   // at file scope
 *     COVERAGE_INC(bond_rx_drop_not_active);
 *
 * An increment touches only a slot of the calling thread (no atomic
 * read-modify-write, no lock, no sharing between cores), so counters cost a
 * few instructions.  Reading sums every thread's slot; totals of threads
 * that have exited are kept.  coverage/show prints every counter with its
 * average rate over the last 5 seconds, minute and hour;
 * coverage/read-counter prints one total.  Counters with the same name in
 * different files are one counter. */
#ifndef BRAID_LIB_COVERAGE_H
#define BRAID_LIB_COVERAGE_H 1

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace braid {

class EventLoop;

namespace coverage {

/* The most counters a program may define. */
inline constexpr unsigned kMaxCounters = 1024;

/* One thread's slots. */
struct ThreadSlots {
    ThreadSlots();
    ~ThreadSlots();
    std::atomic<uint64_t> values[kMaxCounters];
};

/* The calling thread's slots. */
ThreadSlots &this_thread_slots() noexcept;

class Counter {
public:
    explicit Counter(const char *name);

    void add(uint64_t n) const noexcept
    {
        std::atomic<uint64_t> &slot = this_thread_slots().values[index_];
        /* Only this thread writes this slot: a plain load and store suffice,
         * and readers on other threads see whole values. */
        slot.store(slot.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void inc() const noexcept { add(1); }

    /* The sum over all threads, past and present. */
    uint64_t total() const;

    const char *name() const noexcept { return name_; }

private:
    const char *name_;
    unsigned index_;
};

/* The total of the counter called 'name', or nullopt if there is none. */
std::optional<uint64_t> read_counter(std::string_view name);

/* The text of coverage/show. */
std::string show();

/* Takes a sample of every counter for the rates coverage/show reports.
 * register_commands() arranges for this every 5 s of the Braid clock. */
void sample();

/* Registers coverage/show and coverage/read-counter, and the sampling timer
 * on 'loop'. */
void register_commands(EventLoop &loop);

}  // namespace coverage
}  // namespace braid

#define BRAID_COVERAGE_DEFINE(NAME) \
    static const ::braid::coverage::Counter NAME##_coverage(#NAME)
#define COVERAGE_INC(NAME) NAME##_coverage.inc()
#define COVERAGE_ADD(NAME, N) NAME##_coverage.add(N)

#endif  // BRAID_LIB_COVERAGE_H
