/* The userspace datapath: ports, datapath threads, flow caches, upcalls.
 *
 * Packets are received from the ports' devices by datapath ("PMD") threads,
 * in batches of up to 32.  For each packet the thread extracts the flow key,
 * looks it up in its own flow caches (dp-flow-table.h), and runs the
 * actions of the megaflow it finds.  A packet that matches nothing is an
 * upcall: the thread asks the slow path (the upcall handler, normally
 * ofproto's translation) what to do, installs the answer as a megaflow with
 * the mask the slow path reports, and runs it.  Outputs are gathered per
 * port and sent as batches.
 *
 * Threads and ownership: the control thread adds and removes ports and
 * reads statistics; each datapath thread owns a share of the ports' receive
 * sides and its own flow table.  Port changes are published to the threads,
 * which pick them up between batches; remove_port() returns once no thread
 * uses the port any more.  When nothing arrives for a while a thread sleeps
 * in epoll on its ports' receive descriptors instead of spinning.
 *
 * Nothing on the per-packet path allocates or makes a virtual call: devices
 * are called once per batch, buffers are preallocated per thread and port. */
#ifndef BRAID_LIB_DPIF_NETDEV_H
#define BRAID_LIB_DPIF_NETDEV_H 1

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/dp-bond.h"
#include "lib/dp-flow-table.h"
#include "lib/flow.h"
#include "lib/netdev.h"

namespace braid::dp {

/* The answer of the slow path for one packet. */
struct Upcall {
    Actions actions;
    FlowKey mask;               /* Fields the decision depended on. */
    LearnInfo learn;
    bool install = true;        /* False: run the actions for this packet only. */
};

/* Decides what to do with 'packet' (whose key is 'key'); runs on a datapath
 * thread, so it must be thread-safe.  Returns false to drop the packet. */
using UpcallHandler = std::function<bool(const FlowKey &key, const DpPacket &packet, Upcall *out)>;

struct PortInfo {
    uint32_t port_no = 0;
    std::string name;
    std::string type;
    std::shared_ptr<Netdev> netdev;
};

/* A slow protocol frame (EtherType 0x8809: LACP, marker) received on a bond
 * member, handed to the bond module instead of being switched. */
struct SlowFrame {
    uint32_t port_no = 0;
    std::vector<uint8_t> frame;
};

/* One megaflow, as dpctl/dump-flows shows it. */
struct FlowDump {
    FlowKey key;
    FlowKey mask;
    Actions actions;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    int64_t used = 0;           /* Clock of the last packet, or 0 for never. */
    uint16_t tcp_flags = 0;
    int pmd = 0;
};

/* The text of one megaflow's match: "in_port(1),eth(src=..,dst=..),..."
 * showing only the fields its mask covers. */
std::string megaflow_match_to_string(const FlowKey &key, const FlowKey &mask);

class Datapath {
public:
    struct Settings {
        int n_pmds = 1;                 /* other_config:n-pmd-threads. */
        std::vector<int> cpus;          /* other_config:pmd-cpu-mask, as CPU numbers. */
    };

    explicit Datapath(std::string name = "ovs-netdev");
    ~Datapath();
    Datapath(const Datapath &) = delete;
    Datapath &operator=(const Datapath &) = delete;

    const std::string &name() const { return name_; }

    /* (Re)starts the datapath threads as 'settings' say.  Flow tables start
     * empty. */
    void configure(const Settings &settings);

    /* Adds 'netdev' as a port and returns its number in '*port_no'. */
    int add_port(std::shared_ptr<Netdev> netdev, uint32_t *port_no);

    /* Removes port 'port_no'; when this returns no thread uses it. */
    void remove_port(uint32_t port_no);

    std::vector<PortInfo> ports() const;

    void set_upcall_handler(UpcallHandler handler);

    /* Makes every installed megaflow stale, so that the next packet of each
     * asks the slow path again (after configuration or MAC table changes).
     * Cheap and thread-safe. */
    void revalidate();
    uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

    /* Removes megaflows unused for 'max_idle_ms' (and stale ones), and
     * returns the learning information of those used since the last sweep,
     * so the MAC table can be kept fresh. */
    std::vector<LearnInfo> sweep(int64_t max_idle_ms);

    std::vector<FlowDump> dump_flows() const;
    void flush_flows();
    size_t n_flows() const;

    /* Returns once every datapath thread has completed a full pass (receive,
     * process, send) that began after the call, so that frames queued on
     * ports before it have been handled.  For tests; bounded at 5 s. */
    void sync();

    /* Totals over all threads. */
    uint64_t n_hits() const;
    uint64_t n_missed() const;

    /* The text of dpif-netdev/pmd-stats-show, and clearing the counters. */
    std::string pmd_stats_show() const;
    void pmd_stats_clear();

    /* Bonds (dp-bond.h).  add_bond() reserves a free bond id (the next
     * after the last one given, so that ids are not reused at once);
     * set_bond() publishes the table of bond 'table->bond_id', whose members
     * (the ports whose received frames pass its receive rules) are
     * 'members'; the threads use it from their next batch on, without any
     * flow revalidation.  remove_bond() unpublishes it and frees the id.
     * bond_stats() sums the threads' counters of bond 'id' (which start
     * from zero when the datapath threads are restarted). */
    uint32_t add_bond();
    void set_bond(std::shared_ptr<const BondTable> table, std::vector<uint32_t> members);
    void remove_bond(uint32_t id);
    BondStats bond_stats(uint32_t id) const;

    /* Slow protocol frames received on bond members skip the flow tables
     * and wait here (at most kMaxSlowFrames, the first kMaxSlowFrameLen
     * bytes of each; more are dropped and counted) until
     * take_slow_frames() takes them.  slow_fd() becomes readable when
     * frames are waiting.  Slow protocol frames on other ports are
     * dropped (counted): a bridge never forwards them. */
    static constexpr size_t kMaxSlowFrames = 256;
    static constexpr size_t kMaxSlowFrameLen = 256;
    int slow_fd() const { return slow_fd_; }
    std::vector<SlowFrame> take_slow_frames();

    /* Registers dpctl/dump-flows, dpctl/del-flows, dpif-netdev/pmd-stats-show,
     * dpif-netdev/pmd-stats-clear and dpif-netdev/sync for this datapath. */
    void register_commands();

private:
    struct Pmd;
    struct PortSet;

    void start_pmds(const Settings &settings);
    void stop_pmds();
    void publish_ports();
    void publish_bonds();
    void pmd_main(Pmd &pmd);

    std::string name_;
    Settings settings_;

    mutable std::mutex mutex_;              /* Guards the port table and pmds_. */
    std::map<uint32_t, PortInfo> ports_;
    std::shared_ptr<const PortSet> port_set_;   /* Published to the threads. */
    uint32_t next_port_no_ = 1;
    std::vector<std::unique_ptr<Pmd>> pmds_;
    /* Also guards the membership of pmds_ (changed with both held), for
     * the bond paths that must not wait for mutex_. */
    mutable std::mutex pmds_mutex_;

    std::mutex handler_mutex_;
    std::shared_ptr<const UpcallHandler> handler_;

    std::mutex bond_mutex_;                 /* Guards the bond tables below. */
    std::vector<std::shared_ptr<const BondTable>> bond_tables_;    /* By id. */
    std::vector<std::vector<uint32_t>> bond_members_;              /* By id. */
    std::vector<bool> bond_used_;                                  /* By id. */
    uint32_t next_bond_id_ = 0;
    std::shared_ptr<const BondSet> bond_set_;   /* Published to the threads. */
    std::atomic<uint64_t> bond_seq_{1};

    /* The slow frame ring: written by the datapath threads (no allocation:
     * fixed slots), read by take_slow_frames(). */
    struct SlowSlot {
        uint32_t port_no = 0;
        uint16_t len = 0;
        std::array<uint8_t, kMaxSlowFrameLen> data{};
    };
    std::mutex slow_mutex_;
    std::unique_ptr<SlowSlot[]> slow_ring_{new SlowSlot[kMaxSlowFrames]};
    size_t slow_head_ = 0, slow_count_ = 0;     /* Guarded by slow_mutex_. */
    int slow_fd_ = -1;                          /* eventfd. */
    void queue_slow_frame(uint32_t port_no, const DpPacket &packet);

    std::atomic<uint64_t> generation_{1};
    std::atomic<uint64_t> port_seq_{1};
    int64_t last_sweep_ = 0;                /* Guarded by mutex_. */
};

}  // namespace braid::dp

#endif  // BRAID_LIB_DPIF_NETDEV_H
