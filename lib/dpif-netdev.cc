/* The userspace datapath. */
#include <config.h>

#include "lib/dpif-netdev.h"

#include <pthread.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "lib/coverage.h"
#include "lib/timeval.h"
#include "lib/unixctl.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(dpif_netdev);
BRAID_COVERAGE_DEFINE(datapath_drop_runt);
BRAID_COVERAGE_DEFINE(datapath_drop_upcall_failed);
BRAID_COVERAGE_DEFINE(datapath_drop_no_such_port);
BRAID_COVERAGE_DEFINE(datapath_drop_push_failed);
BRAID_COVERAGE_DEFINE(datapath_malformed_frame);
BRAID_COVERAGE_DEFINE(datapath_upcall);
BRAID_COVERAGE_DEFINE(datapath_pmd_sleep);
BRAID_COVERAGE_DEFINE(datapath_drop_no_such_bond);
BRAID_COVERAGE_DEFINE(datapath_drop_bond_rx);
BRAID_COVERAGE_DEFINE(datapath_slow_frame);
BRAID_COVERAGE_DEFINE(datapath_drop_slow_not_bond);
BRAID_COVERAGE_DEFINE(datapath_drop_slow_overflow);

namespace braid::dp {
namespace {

/* Spinning this many empty polls in a row sends a thread to sleep. */
constexpr int kIdlePollsBeforeSleep = 64;
/* How long a sleeping thread waits before polling anyway (for devices
 * without a receive descriptor). */
constexpr int kSleepTimeoutMs = 100;

int64_t now_ns() noexcept
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/* The CPU's cycle counter where there is a cheap one (x86 TSC), else 0,
 * which makes pmd-stats-show leave the cycles line out. */
inline uint64_t cycles_now() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return 0;
#endif
}

/* Whether any bit of 'size' bytes at 'field' (a member of a mask) is set. */
bool mask_has(const FlowKey &, const void *field, size_t size)
{
    const auto *f = static_cast<const unsigned char *>(field);
    for (size_t i = 0; i < size; i++) {
        if (f[i]) {
            return true;
        }
    }
    return false;
}

}  // namespace

/* The ports as the threads see them: an immutable snapshot. */
struct Datapath::PortSet {
    std::vector<PortInfo> ports;
    uint64_t seq = 0;
};

struct Datapath::Pmd {
    int id = 0;
    int cpu = -1;
    std::thread thread;
    std::atomic<bool> exit{false};
    int wake_fd = -1;
    FlowTable table;

    /* The port set the control thread wants this thread to use, and the
     * sequence number of the one it uses. */
    std::atomic<uint64_t> have_seq{0};
    std::mutex ack_mutex;
    std::condition_variable ack_cv;

    /* Completed passes of the loop, for sync(). */
    std::atomic<uint64_t> passes{0};
    std::atomic<bool> sync_waiting{false};

    /* Counters, written by the thread only. */
    std::atomic<uint64_t> packets{0};
    std::atomic<uint64_t> emc_hits{0};
    std::atomic<uint64_t> megaflow_hits{0};
    std::atomic<uint64_t> subtable_lookups{0};
    std::atomic<uint64_t> upcalls{0};
    std::atomic<uint64_t> upcall_failures{0};
    std::atomic<uint64_t> drops{0};
    std::atomic<uint64_t> tx_packets{0};
    std::atomic<uint64_t> tx_batches{0};
    std::atomic<uint64_t> busy_ns{0};
    std::atomic<uint64_t> busy_cycles{0};   /* 0 without a cycle counter. */
    std::atomic<uint64_t> idle_ns{0};
    std::atomic<uint64_t> malformed[size_t(FlowError::kCount)] = {};

    /* Bond counters by bond id, allocated by the thread when it first sees
     * the bond, read by the control thread. */
    std::unique_ptr<std::atomic<BondCounters *>[]> bond_counters{
        new std::atomic<BondCounters *>[kMaxBonds]()};

    ~Pmd()
    {
        for (uint32_t i = 0; i < kMaxBonds; i++) {
            delete bond_counters[i].load();
        }
    }

    void add(std::atomic<uint64_t> &counter, uint64_t n)
    {
        counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

namespace {

/* Packets waiting to be sent on one port, with their own buffers. */
struct TxQueue {
    Netdev *netdev = nullptr;
    PacketBatch batch;
    std::vector<std::unique_ptr<DpPacket>> buffers;
};

/* Collects the outputs of one batch, per port.  (A concrete class:
 * execute_actions() calls it without a virtual call.) */
class PmdSink {
public:
    PmdSink(std::atomic<uint64_t> &drops, std::atomic<BondCounters *> *bond_counters)
        : drops_(drops), bond_counters_(bond_counters)
    {
    }

    void set_bonds(const BondSet *bonds) { bonds_ = bonds; }

    void set_ports(const std::vector<PortInfo> &ports)
    {
        queues_.clear();
        for (const PortInfo &p : ports) {
            TxQueue &q = queues_[p.port_no];
            q.netdev = p.netdev.get();
            for (size_t i = 0; i < kMaxBurst; i++) {
                q.buffers.push_back(std::make_unique<DpPacket>(9216 + 64));
            }
        }
    }

    /* Queues a copy of 'packet' on 'port'; returns the copy (which the
     * caller may still edit), or null if there is no such port. */
    DpPacket *output(uint32_t port, const DpPacket &packet)
    {
        auto it = queues_.find(port);
        if (it == queues_.end()) {
            COVERAGE_INC(datapath_drop_no_such_port);
            drops_.store(drops_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            return nullptr;
        }
        TxQueue &q = it->second;
        if (q.batch.full()) {
            flush(q);
        }
        DpPacket *copy = q.buffers[q.batch.count].get();
        copy->copy_from(packet);
        q.batch.add(copy);
        return copy;
    }

    void bond_output(uint32_t bond, uint16_t vid, const FlowKey &key, const DpPacket &packet)
    {
        const BondTable *table = bonds_ ? bonds_->bond(bond) : nullptr;
        BondCounters *counters = table ? bond_counters_[bond].load(std::memory_order_relaxed)
                                       : nullptr;
        if (!counters) {
            COVERAGE_INC(datapath_drop_no_such_bond);
            drops_.store(drops_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            return;
        }
        uint32_t ports[kMaxBondMembers];
        EthAddr alb_source;
        bool alb = table->alb;
        size_t n = bond_choose(*table, key, packet, *counters, ports, vid,
                               alb ? &alb_source : nullptr);
        if (!n) {
            drops_.store(drops_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        }
        for (size_t i = 0; i < n; i++) {
            DpPacket *copy = output(ports[i], packet);
            if (alb && copy && !alb_source.is_zero()) {
                bond_alb_rewrite_source(*copy, alb_source);
            }
        }
    }

    void userspace(uint32_t, const DpPacket &)
    {
        /* The slow-path consumers (LACP, link monitors) arrive with their
         * issues; until then such packets are counted as drops. */
        drops_.store(drops_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }

    /* Sends everything queued; returns how many packets went out. */
    size_t flush_all(size_t *batches)
    {
        size_t n = 0;
        for (auto &[port, q] : queues_) {
            if (q.batch.count) {
                n += q.batch.count;
                ++*batches;
                flush(q);
            }
        }
        return n;
    }

private:
    void flush(TxQueue &q)
    {
        q.netdev->send(q.batch);
        q.batch.count = 0;
    }

    std::atomic<uint64_t> &drops_;
    std::atomic<BondCounters *> *bond_counters_;
    const BondSet *bonds_ = nullptr;
    std::unordered_map<uint32_t, TxQueue> queues_;
};

}  // namespace

Datapath::Datapath(std::string name) : name_(std::move(name))
{
    port_set_ = std::make_shared<PortSet>();
    bond_set_ = std::make_shared<BondSet>();
    slow_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Datapath::~Datapath()
{
    stop_pmds();
    close(slow_fd_);
    for (const char *cmd : {"dpctl/dump-flows", "dpctl/del-flows", "dpif-netdev/pmd-stats-show",
                            "dpif-netdev/pmd-stats-clear", "dpif-netdev/sync"}) {
        unixctl::unregister_command(cmd);
    }
}

void Datapath::configure(const Settings &settings)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!pmds_.empty() && settings.n_pmds == settings_.n_pmds && settings.cpus == settings_.cpus) {
        return;
    }
    settings_ = settings;
    if (settings_.n_pmds < 1) {
        settings_.n_pmds = 1;
    }
    stop_pmds();
    start_pmds(settings_);
}

void Datapath::start_pmds(const Settings &settings)
{
    for (int i = 0; i < settings.n_pmds; i++) {
        auto pmd = std::make_unique<Pmd>();
        pmd->id = i;
        pmd->cpu = i < int(settings.cpus.size()) ? settings.cpus[i] : -1;
        pmd->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        Pmd *raw = pmd.get();
        {
            std::lock_guard<std::mutex> lock(pmds_mutex_);
            pmds_.push_back(std::move(pmd));
        }
        raw->thread = std::thread([this, raw] { pmd_main(*raw); });
    }
    VLOG_INFO("{}: started {} datapath thread{}", name_, settings.n_pmds,
              settings.n_pmds == 1 ? "" : "s");
}

void Datapath::stop_pmds()
{
    /* Out of pmds_ first, so that the bond paths (which take only
     * pmds_mutex_) never see a thread that is going away. */
    std::vector<std::unique_ptr<Pmd>> old;
    {
        std::lock_guard<std::mutex> lock(pmds_mutex_);
        old.swap(pmds_);
    }
    for (auto &pmd : old) {
        pmd->exit.store(true);
        uint64_t one = 1;
        ssize_t n = write(pmd->wake_fd, &one, sizeof one);
        (void) n;
    }
    for (auto &pmd : old) {
        if (pmd->thread.joinable()) {
            pmd->thread.join();
        }
        close(pmd->wake_fd);
    }
}

void Datapath::publish_ports()
{
    /* With mutex_ held. */
    auto set = std::make_shared<PortSet>();
    for (const auto &[no, info] : ports_) {
        set->ports.push_back(info);
    }
    set->seq = port_seq_.fetch_add(1) + 1;
    std::atomic_store(&port_set_, std::shared_ptr<const PortSet>(set));
    for (auto &pmd : pmds_) {
        uint64_t one = 1;
        ssize_t n = write(pmd->wake_fd, &one, sizeof one);
        (void) n;
    }
    /* Wait until every thread uses the new set (bounded, in case a device
     * call hangs). */
    for (auto &pmd : pmds_) {
        std::unique_lock<std::mutex> lock(pmd->ack_mutex);
        pmd->ack_cv.wait_for(lock, std::chrono::seconds(2),
                             [&] { return pmd->have_seq.load() >= set->seq; });
    }
}

int Datapath::add_port(std::shared_ptr<Netdev> netdev, uint32_t *port_no)
{
    std::lock_guard<std::mutex> lock(mutex_);
    uint32_t no = next_port_no_++;
    PortInfo info{no, netdev->name(), netdev->type(), netdev};
    ports_.emplace(no, info);
    publish_ports();
    *port_no = no;
    VLOG_DBG("{}: added port {} ({})", name_, info.name, no);
    return 0;
}

void Datapath::remove_port(uint32_t port_no)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (ports_.erase(port_no)) {
        publish_ports();
        revalidate();       /* Flows may output to it. */
    }
}

std::vector<PortInfo> Datapath::ports() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<PortInfo> v;
    for (const auto &[no, info] : ports_) {
        v.push_back(info);
    }
    return v;
}

void Datapath::set_upcall_handler(UpcallHandler handler)
{
    std::lock_guard<std::mutex> lock(handler_mutex_);
    handler_ = std::make_shared<const UpcallHandler>(std::move(handler));
}

void Datapath::revalidate()
{
    generation_.fetch_add(1, std::memory_order_acq_rel);
}

void Datapath::pmd_main(Pmd &pmd)
{
    vlog::set_thread_name(fmt::format("pmd{}", pmd.id));
    if (pmd.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(pmd.cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }

    std::shared_ptr<const PortSet> ports;
    std::vector<const PortInfo *> rx;
    PmdSink sink(pmd.drops, pmd.bond_counters.get());
    std::shared_ptr<const BondSet> bonds;
    uint64_t bonds_seq = 0;
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    bool sleepable = true;

    std::vector<std::unique_ptr<DpPacket>> buffers;
    for (size_t i = 0; i < kMaxBurst; i++) {
        buffers.push_back(std::make_unique<DpPacket>(9216 + 64));
    }
    PacketBatch batch;
    FlowKey keys[kMaxBurst];

    auto reload = [&] {
        std::shared_ptr<const PortSet> set = std::atomic_load(&port_set_);
        if (ports && set->seq == ports->seq) {
            return;
        }
        for (const PortInfo *p : rx) {
            if (int fd = p->netdev->rx_fd(); fd >= 0) {
                epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
            }
        }
        ports = set;
        rx.clear();
        sleepable = true;
        int n_pmds = std::max<int>(1, int(settings_.n_pmds));
        for (size_t i = 0; i < ports->ports.size(); i++) {
            if (int(i % n_pmds) == pmd.id) {
                rx.push_back(&ports->ports[i]);
                int fd = ports->ports[i].netdev->rx_fd();
                if (fd >= 0) {
                    struct epoll_event ev {};
                    ev.events = EPOLLIN;
                    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
                } else {
                    sleepable = false;
                }
            }
        }
        sink.set_ports(ports->ports);
        {
            std::lock_guard<std::mutex> lock(pmd.ack_mutex);
            pmd.have_seq.store(ports->seq);
        }
        pmd.ack_cv.notify_all();
    };
    {
        struct epoll_event ev {};
        ev.events = EPOLLIN;
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pmd.wake_fd, &ev);
    }

    /* Picks up a newly published bond set (one atomic load per pass when
     * nothing changed). */
    auto reload_bonds = [&] {
        uint64_t seq = bond_seq_.load(std::memory_order_acquire);
        if (seq == bonds_seq) {
            return;
        }
        bonds_seq = seq;
        bonds = std::atomic_load(&bond_set_);
        for (size_t id = 0; id < bonds->bonds.size(); id++) {
            if (bonds->bonds[id] && !pmd.bond_counters[id].load(std::memory_order_relaxed)) {
                pmd.bond_counters[id].store(new BondCounters, std::memory_order_release);
            }
        }
        sink.set_bonds(bonds.get());
    };

    int idle_polls = 0;
    while (!pmd.exit.load(std::memory_order_relaxed)) {
        reload();
        reload_bonds();
        int64_t start = now_ns();
        uint64_t start_cycles = cycles_now();
        size_t received = 0;
        for (const PortInfo *port : rx) {
            batch.count = 0;
            for (size_t i = 0; i < kMaxBurst; i++) {
                batch.packets[i] = buffers[i].get();
            }
            if (port->netdev->recv(batch) || !batch.count) {
                continue;
            }
            received += batch.count;
            pmd.add(pmd.packets, batch.count);

            std::lock_guard<std::mutex> table_lock(pmd.table.mutex());
            uint64_t generation = generation_.load(std::memory_order_acquire);
            int64_t now = timeval::msec();
            const BondTable *rx_bond = bonds->bond_of_port(port->port_no);
            BondCounters *rx_counters
                = rx_bond ? pmd.bond_counters[rx_bond->bond_id].load(std::memory_order_relaxed)
                          : nullptr;
            for (size_t i = 0; i < batch.count; i++) {
                DpPacket &packet = *batch.packets[i];
                packet.in_port = port->port_no;
                FlowKey &key = keys[i];
                key.in_port = port->port_no;
                FlowError error = flow_extract(packet.frame(), key);
                if (error == FlowError::kEthTruncated) {
                    COVERAGE_INC(datapath_drop_runt);
                    pmd.add(pmd.drops, 1);
                    continue;
                }
                if (error != FlowError::kNone) {
                    /* Still switched on the fields that parsed. */
                    COVERAGE_INC(datapath_malformed_frame);
                    pmd.add(pmd.malformed[size_t(error)], 1);
                }
                if (key.dl_type.value() == kEthTypeSlow) {
                    /* LACP and marker frames belong to the bond, never to
                     * the flow tables. */
                    if (rx_bond) {
                        if (rx_bond->monitor && rx_counters) {
                            bond_monitor_rx(*rx_bond, port->port_no, key, now, *rx_counters);
                        }
                        queue_slow_frame(port->port_no, packet);
                    } else {
                        COVERAGE_INC(datapath_drop_slow_not_bond);
                        pmd.add(pmd.drops, 1);
                    }
                    continue;
                }
                if (rx_counters && rx_bond->monitor) {
                    bond_monitor_rx(*rx_bond, port->port_no, key, now, *rx_counters);
                }
                if (rx_counters && !bond_admit(*rx_bond, port->port_no, key, now, *rx_counters)) {
                    COVERAGE_INC(datapath_drop_bond_rx);
                    pmd.add(pmd.drops, 1);
                    continue;
                }
                if (rx_bond && rx_bond->alb) {
                    bond_alb_rx(*rx_bond, port->port_no, key, packet);
                }
                uint32_t hash = flow_key_hash(key);
                bool emc_hit;
                int subtables;
                Megaflow *flow = pmd.table.lookup(key, hash, generation, &emc_hit, &subtables);
                if (flow) {
                    pmd.add(emc_hit ? pmd.emc_hits : pmd.megaflow_hits, 1);
                    pmd.add(pmd.subtable_lookups, subtables);
                } else {
                    COVERAGE_INC(datapath_upcall);
                    std::shared_ptr<const UpcallHandler> handler;
                    {
                        std::lock_guard<std::mutex> lock(handler_mutex_);
                        handler = handler_;
                    }
                    Upcall upcall;
                    if (!handler || !(*handler)(key, packet, &upcall)) {
                        COVERAGE_INC(datapath_drop_upcall_failed);
                        pmd.add(pmd.upcall_failures, 1);
                        pmd.add(pmd.drops, 1);
                        continue;
                    }
                    pmd.add(pmd.upcalls, 1);
                    if (!upcall.install) {
                        if (!execute_actions(upcall.actions, key, packet, sink)) {
                            COVERAGE_INC(datapath_drop_push_failed);
                        }
                        continue;
                    }
                    /* The slow path may itself have made older flows stale
                     * (a MAC learned): install in the current generation. */
                    generation = generation_.load(std::memory_order_acquire);
                    flow = pmd.table.insert(key, hash, upcall.mask, std::move(upcall.actions),
                                            generation, upcall.learn);
                }
                flow->packets.store(flow->packets.load(std::memory_order_relaxed) + 1,
                                    std::memory_order_relaxed);
                flow->bytes.store(flow->bytes.load(std::memory_order_relaxed) + packet.size(),
                                  std::memory_order_relaxed);
                flow->used.store(now, std::memory_order_relaxed);
                flow->tcp_flags.store(flow->tcp_flags.load(std::memory_order_relaxed)
                                          | key.tcp_flags.value(),
                                      std::memory_order_relaxed);
                if (!execute_actions(flow->actions, key, packet, sink)) {
                    COVERAGE_INC(datapath_drop_push_failed);
                }
            }
        }
        size_t tx_batches = 0;
        size_t sent = sink.flush_all(&tx_batches);
        pmd.add(pmd.tx_packets, sent);
        pmd.add(pmd.tx_batches, tx_batches);
        int64_t end = now_ns();
        pmd.passes.fetch_add(1, std::memory_order_acq_rel);
        if (pmd.sync_waiting.load(std::memory_order_acquire)) {
            std::lock_guard<std::mutex> lock(pmd.ack_mutex);
            pmd.ack_cv.notify_all();
        }

        if (received) {
            pmd.add(pmd.busy_ns, end - start);
            pmd.add(pmd.busy_cycles, cycles_now() - start_cycles);
            idle_polls = 0;
            continue;
        }
        pmd.add(pmd.idle_ns, end - start);
        if (++idle_polls < kIdlePollsBeforeSleep) {
            continue;
        }
        /* Nothing for a while: sleep until a port or the control thread
         * wakes us. */
        COVERAGE_INC(datapath_pmd_sleep);
        struct epoll_event events[16];
        int n = epoll_wait(epoll_fd, events, 16, sleepable ? kSleepTimeoutMs : 1);
        for (int i = 0; i < n; i++) {
            (void) events[i];
        }
        uint64_t value;
        ssize_t r = read(pmd.wake_fd, &value, sizeof value);
        (void) r;
        pmd.add(pmd.idle_ns, now_ns() - end);
        idle_polls = 0;
    }
    close(epoll_fd);
}

void Datapath::queue_slow_frame(uint32_t port_no, const DpPacket &packet)
{
    {
        std::lock_guard<std::mutex> lock(slow_mutex_);
        if (slow_count_ >= kMaxSlowFrames) {
            COVERAGE_INC(datapath_drop_slow_overflow);
            return;
        }
        SlowSlot &slot = slow_ring_[(slow_head_ + slow_count_) % kMaxSlowFrames];
        slot.port_no = port_no;
        slot.len = uint16_t(std::min(packet.size(), kMaxSlowFrameLen));
        std::memcpy(slot.data.data(), packet.data(), slot.len);
        slow_count_++;
    }
    COVERAGE_INC(datapath_slow_frame);
    uint64_t one = 1;
    ssize_t n = write(slow_fd_, &one, sizeof one);
    (void) n;
}

std::vector<SlowFrame> Datapath::take_slow_frames()
{
    uint64_t value;
    ssize_t r = read(slow_fd_, &value, sizeof value);
    (void) r;
    std::vector<SlowFrame> frames;
    std::lock_guard<std::mutex> lock(slow_mutex_);
    frames.reserve(slow_count_);
    for (; slow_count_; slow_count_--) {
        const SlowSlot &slot = slow_ring_[slow_head_];
        frames.push_back({slot.port_no, std::vector<uint8_t>(slot.data.begin(),
                                                             slot.data.begin() + slot.len)});
        slow_head_ = (slow_head_ + 1) % kMaxSlowFrames;
    }
    return frames;
}

uint32_t Datapath::add_bond()
{
    std::lock_guard<std::mutex> lock(bond_mutex_);
    /* The next free id after the last one given: an id just freed is not
     * given again at once, so that flows translated before a
     * reconfiguration finished cannot reach another bond through it. */
    uint32_t id = UINT32_MAX;
    for (uint32_t i = 0; i < kMaxBonds; i++) {
        uint32_t candidate = (next_bond_id_ + i) % kMaxBonds;
        if (candidate >= bond_used_.size() || !bond_used_[candidate]) {
            id = candidate;
            break;
        }
    }
    if (id == UINT32_MAX) {
        return UINT32_MAX;
    }
    next_bond_id_ = (id + 1) % kMaxBonds;
    if (id >= bond_used_.size()) {
        bond_used_.resize(id + 1, false);
        bond_tables_.resize(id + 1);
        bond_members_.resize(id + 1);
    }
    bond_used_[id] = true;
    return id;
}

void Datapath::set_bond(std::shared_ptr<const BondTable> table, std::vector<uint32_t> members)
{
    std::lock_guard<std::mutex> lock(bond_mutex_);
    uint32_t id = table->bond_id;
    if (id >= bond_used_.size() || !bond_used_[id]) {
        return;
    }
    bond_tables_[id] = std::move(table);
    bond_members_[id] = std::move(members);
    publish_bonds();
}

void Datapath::remove_bond(uint32_t id)
{
    std::lock_guard<std::mutex> lock(bond_mutex_);
    if (id >= bond_used_.size() || !bond_used_[id]) {
        return;
    }
    bond_used_[id] = false;
    bond_tables_[id].reset();
    bond_members_[id].clear();
    publish_bonds();
}

void Datapath::publish_bonds()
{
    /* With bond_mutex_ held. */
    auto set = std::make_shared<BondSet>();
    set->bonds = bond_tables_;
    for (size_t id = 0; id < bond_members_.size(); id++) {
        if (!bond_tables_[id]) {
            continue;
        }
        for (uint32_t port : bond_members_[id]) {
            if (port >= set->port_bond.size()) {
                set->port_bond.resize(port + 1, -1);
            }
            set->port_bond[port] = int32_t(id);
        }
    }
    std::atomic_store(&bond_set_, std::shared_ptr<const BondSet>(set));
    bond_seq_.fetch_add(1, std::memory_order_acq_rel);
    /* Wake sleeping threads so that the first packet after a failover is
     * not held up by a sleep.  (Not under mutex_, which the control thread
     * may hold for long: failover must not wait for it.) */
    std::lock_guard<std::mutex> plock(pmds_mutex_);
    for (auto &pmd : pmds_) {
        uint64_t one = 1;
        ssize_t n = write(pmd->wake_fd, &one, sizeof one);
        (void) n;
    }
}

BondStats Datapath::bond_stats(uint32_t id) const
{
    BondStats stats;
    if (id >= kMaxBonds) {
        return stats;
    }
    std::lock_guard<std::mutex> lock(pmds_mutex_);
    for (const auto &pmd : pmds_) {
        const BondCounters *c = pmd->bond_counters[id].load(std::memory_order_acquire);
        if (!c) {
            continue;
        }
        for (size_t i = 0; i < kBondBuckets; i++) {
            stats.packets[i] += c->packets[i].load(std::memory_order_relaxed);
            stats.bytes[i] += c->bytes[i].load(std::memory_order_relaxed);
        }
        for (size_t i = 0; i < stats.drops.size(); i++) {
            stats.drops[i] += c->drops[i].load(std::memory_order_relaxed);
        }
        for (size_t m = 0; m < kMaxBondMembers; m++) {
            stats.last_rx[m] = std::max(stats.last_rx[m],
                                        c->last_rx[m].load(std::memory_order_relaxed));
            stats.last_reply_rx[m] = std::max(
                stats.last_reply_rx[m], c->last_reply_rx[m].load(std::memory_order_relaxed));
            for (size_t t = 0; t < kBondMaxTargets; t++) {
                stats.last_target_rx[m][t]
                    = std::max(stats.last_target_rx[m][t],
                               c->last_target_rx[m][t].load(std::memory_order_relaxed));
            }
        }
    }
    return stats;
}

void Datapath::sync()
{
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &pmd : pmds_) {
        /* The pass under way may have polled the ports already; the one
         * after it began after this call. */
        uint64_t target = pmd->passes.load() + 2;
        pmd->sync_waiting.store(true);
        uint64_t one = 1;
        ssize_t n = write(pmd->wake_fd, &one, sizeof one);
        (void) n;
        std::unique_lock<std::mutex> ack(pmd->ack_mutex);
        pmd->ack_cv.wait_for(ack, std::chrono::seconds(5), [&] {
            if (pmd->passes.load() >= target) {
                return true;
            }
            uint64_t again = 1;     /* Keep it from sleeping. */
            ssize_t m = write(pmd->wake_fd, &again, sizeof again);
            (void) m;
            return false;
        });
        pmd->sync_waiting.store(false);
    }
}

std::vector<LearnInfo> Datapath::sweep(int64_t max_idle_ms)
{
    std::vector<LearnInfo> learned;
    int64_t now = timeval::msec();
    uint64_t generation = this->generation();
    std::lock_guard<std::mutex> lock(mutex_);
    int64_t since = last_sweep_;
    last_sweep_ = now;
    for (auto &pmd : pmds_) {
        std::lock_guard<std::mutex> table_lock(pmd->table.mutex());
        std::vector<Megaflow *> doomed;
        pmd->table.for_each([&](const Megaflow &flow) {
            int64_t used = flow.used.load(std::memory_order_relaxed);
            if (flow.generation != generation || now - used > max_idle_ms) {
                doomed.push_back(const_cast<Megaflow *>(&flow));
            } else if (flow.learn.valid && used > since) {
                learned.push_back(flow.learn);
            }
        });
        for (Megaflow *flow : doomed) {
            pmd->table.remove(flow);
        }
        pmd->table.purge();
        pmd->table.sort_subtables();
    }
    return learned;
}

std::vector<FlowDump> Datapath::dump_flows() const
{
    std::vector<FlowDump> dumps;
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t generation = this->generation();
    for (const auto &pmd : pmds_) {
        std::lock_guard<std::mutex> table_lock(pmd->table.mutex());
        pmd->table.for_each([&](const Megaflow &flow) {
            if (flow.generation != generation) {
                return;     /* Stale: will be replaced or swept. */
            }
            FlowDump d;
            d.key = flow.key;
            d.mask = flow.mask;
            d.actions = flow.actions;
            d.packets = flow.packets.load();
            d.bytes = flow.bytes.load();
            d.used = flow.used.load();
            d.tcp_flags = flow.tcp_flags.load();
            d.pmd = pmd->id;
            dumps.push_back(std::move(d));
        });
    }
    return dumps;
}

void Datapath::flush_flows()
{
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &pmd : pmds_) {
        std::lock_guard<std::mutex> table_lock(pmd->table.mutex());
        pmd->table.clear();
    }
}

size_t Datapath::n_flows() const
{
    return dump_flows().size();
}

uint64_t Datapath::n_hits() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t n = 0;
    for (const auto &pmd : pmds_) {
        n += pmd->emc_hits.load() + pmd->megaflow_hits.load();
    }
    return n;
}

uint64_t Datapath::n_missed() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t n = 0;
    for (const auto &pmd : pmds_) {
        n += pmd->upcalls.load() + pmd->upcall_failures.load();
    }
    return n;
}

std::string Datapath::pmd_stats_show() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    std::string s;
    for (const auto &pmd : pmds_) {
        uint64_t packets = pmd->packets.load();
        uint64_t megaflow = pmd->megaflow_hits.load();
        uint64_t busy = pmd->busy_ns.load(), idle = pmd->idle_ns.load();
        uint64_t total = std::max<uint64_t>(busy + idle, 1);
        uint64_t batches = pmd->tx_batches.load();
        s += fmt::format("pmd thread {}{}:\n", pmd->id,
                         pmd->cpu >= 0 ? fmt::format(" core_id {}", pmd->cpu) : "");
        s += fmt::format("  packets received: {}\n", packets);
        s += fmt::format("  emc hits: {}\n", pmd->emc_hits.load());
        s += fmt::format("  megaflow hits: {}\n", megaflow);
        s += fmt::format("  avg. subtable lookups per megaflow hit: {:.2f}\n",
                         megaflow ? double(pmd->subtable_lookups.load()) / megaflow : 0.0);
        s += fmt::format("  miss with success upcall: {}\n", pmd->upcalls.load());
        s += fmt::format("  miss with failed upcall: {}\n", pmd->upcall_failures.load());
        s += fmt::format("  dropped: {}\n", pmd->drops.load());
        for (size_t e = 1; e < size_t(FlowError::kCount); e++) {
            if (uint64_t n = pmd->malformed[e].load()) {
                s += fmt::format("  malformed ({}): {}\n", flow_error_to_string(FlowError(e)), n);
            }
        }
        s += fmt::format("  avg. packets per output batch: {:.2f}\n",
                         batches ? double(pmd->tx_packets.load()) / batches : 0.0);
        s += fmt::format("  idle time: {} us ({:.2f}%)\n", idle / 1000, 100.0 * idle / total);
        s += fmt::format("  processing time: {} us ({:.2f}%)\n", busy / 1000,
                         100.0 * busy / total);
        s += fmt::format("  avg. processing time per packet: {:.1f} ns\n",
                         packets ? double(busy) / packets : 0.0);
        if (uint64_t cycles = pmd->busy_cycles.load()) {
            s += fmt::format("  avg. cycles per packet: {:.1f}\n",
                             packets ? double(cycles) / packets : 0.0);
        }
    }
    return s;
}

void Datapath::pmd_stats_clear()
{
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &pmd : pmds_) {
        for (auto *c : {&pmd->packets, &pmd->emc_hits, &pmd->megaflow_hits,
                        &pmd->subtable_lookups, &pmd->upcalls, &pmd->upcall_failures,
                        &pmd->drops, &pmd->tx_packets, &pmd->tx_batches, &pmd->busy_ns,
                        &pmd->busy_cycles, &pmd->idle_ns}) {
            c->store(0);
        }
        for (auto &c : pmd->malformed) {
            c.store(0);
        }
    }
}

std::string megaflow_match_to_string(const FlowKey &key, const FlowKey &mask)
{
    std::string s = fmt::format("in_port({})", key.in_port);
    if (mask_has(mask, &mask.dl_src, 6) || mask_has(mask, &mask.dl_dst, 6)) {
        s += fmt::format(",eth(src={},dst={})", key.dl_src.to_string(), key.dl_dst.to_string());
    }
    for (int i = 0; i < kFlowMaxVlans; i++) {
        if (mask_has(mask, &mask.vlans[i], sizeof mask.vlans[i])) {
            if (key.vlans[i].present()) {
                s += fmt::format(",vlan(tpid=0x{:04x},vid={},pcp={})",
                                 key.vlans[i].tpid.value(), key.vlans[i].vid(),
                                 vlan_tci_to_pcp(key.vlans[i].tci.value()));
            } else {
                s += ",vlan(none)";
            }
        }
    }
    if (mask_has(mask, &mask.dl_type, 2)) {
        s += fmt::format(",eth_type(0x{:04x})", key.dl_type.value());
    }
    if (mask_has(mask, &mask.nw_src, 4) || mask_has(mask, &mask.nw_dst, 4)) {
        s += fmt::format(",ipv4(src={},dst={})", ipv4_to_string(key.nw_src),
                         ipv4_to_string(key.nw_dst));
    }
    if (mask_has(mask, &mask.nw_proto, 1)) {
        s += fmt::format(",proto({})", key.nw_proto);
    }
    if (mask_has(mask, &mask.tp_src, 2) || mask_has(mask, &mask.tp_dst, 2)) {
        s += fmt::format(",l4(src={},dst={})", key.tp_src.value(), key.tp_dst.value());
    }
    return s;
}

void Datapath::register_commands()
{
    unixctl::register_command(
        "dpctl/dump-flows", "[-m]", 0, 2, [this](const unixctl::Args &args,
                                                  const unixctl::Reply &reply) {
            bool verbose = std::find(args.begin(), args.end(), "-m") != args.end();
            std::string s;
            int64_t now = timeval::msec();
            for (const FlowDump &d : dump_flows()) {
                s += megaflow_match_to_string(d.key, d.mask);
                s += fmt::format(", packets:{}, bytes:{}, used:", d.packets, d.bytes);
                s += d.used ? fmt::format("{:.3f}s", (now - d.used) / 1000.0) : "never";
                if (d.tcp_flags) {
                    s += fmt::format(", flags:0x{:03x}", d.tcp_flags);
                }
                if (verbose) {
                    s += fmt::format(", pmd:{}", d.pmd);
                }
                s += ", actions:" + actions_to_string(d.actions) + "\n";
            }
            reply.ok(s);
        });
    unixctl::register_command("dpctl/del-flows", "", 0, 1,
                              [this](const unixctl::Args &, const unixctl::Reply &reply) {
                                  flush_flows();
                                  reply.ok();
                              });
    unixctl::register_command("dpif-netdev/pmd-stats-show", "", 0, 0,
                              [this](const unixctl::Args &, const unixctl::Reply &reply) {
                                  reply.ok(pmd_stats_show());
                              });
    unixctl::register_command("dpif-netdev/sync", "", 0, 0,
                              [this](const unixctl::Args &, const unixctl::Reply &reply) {
                                  sync();
                                  reply.ok();
                              });
    unixctl::register_command("dpif-netdev/pmd-stats-clear", "", 0, 0,
                              [this](const unixctl::Args &, const unixctl::Reply &reply) {
                                  pmd_stats_clear();
                                  reply.ok();
                              });
}

}  // namespace braid::dp
