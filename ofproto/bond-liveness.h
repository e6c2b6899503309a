/* The liveness path of bonds: a thread of its own that notices carrier
 * changes of the members' kernel devices and runs the bonds' timers
 * (updelay, downdelay, miimon polls, the ARP/NS monitor, rebalancing,
 * learning packets and peer notifications), so that failover never waits
 * for the control thread, however busy or blocked it is.
 *
 * The thread has its own rtnetlink socket in the RTMGRP_LINK group.  Each
 * link message carries the device's carrier (IFF_LOWER_UP and the
 * operational state), which goes straight to the bonds that have a member
 * with that interface index (Bond::carrier_event()); the control thread's
 * own view of the device catches up later.  If the kernel dropped messages
 * (ENOBUFS), every bond asks the kernel for its members' state again.
 *
 * It also takes the slow protocol frames (LACP, marker) that the datapath
 * set aside from bond members and hands each to its bond, so that LACP
 * never waits for the control thread either.
 *
 * The thread sleeps until the earliest Bond::next_wake() of its bonds, a
 * link message, or wake().  It reads the Braid clock: a warp wakes it, and
 * sync() (which time/warp calls) returns once it has run a full pass that
 * began after the call, so scenario tests see what a warp made due.
 *
 * One instance per process, made by the Switch; get() finds it. */
#ifndef BRAID_OFPROTO_BOND_LIVENESS_H
#define BRAID_OFPROTO_BOND_LIVENESS_H 1

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>

struct mnl_socket;

namespace braid::dp {
class Datapath;
}

namespace braid::ofproto {

class Bond;

class BondLiveness {
public:
    /* 'datapath' (may be null) hands over the slow protocol frames that
     * its bond members receive (Datapath::take_slow_frames()). */
    explicit BondLiveness(dp::Datapath *datapath = nullptr);
    ~BondLiveness();
    BondLiveness(const BondLiveness &) = delete;
    BondLiveness &operator=(const BondLiveness &) = delete;

    /* The running instance, or null. */
    static BondLiveness *get();

    /* Adds or removes a bond.  remove() returns once the thread no longer
     * uses it. */
    void add(Bond *bond);
    void remove(Bond *bond);

    /* Makes the thread look at its bonds again soon (after a change that
     * moves a deadline). */
    void wake();

    /* Waits (at most 2 s) until the thread completed a pass that began
     * after the call. */
    void sync();

    /* Passes of the thread so far, for tests. */
    uint64_t passes() const { return passes_.load(); }

private:
    struct LinkEvent {
        int ifindex;
        bool carrier;
    };

    void main();
    void read_links(bool *resync);

    dp::Datapath *datapath_;
    std::thread thread_;
    std::atomic<bool> exit_{false};
    int wake_fd_ = -1;
    int epoll_fd_ = -1;
    ::mnl_socket *nl_ = nullptr;

    std::mutex mutex_;                  /* Guards bonds_; held for a pass. */
    std::set<Bond *> bonds_;
    std::condition_variable pass_cv_;
    std::atomic<uint64_t> passes_{0};
    int clock_listener_ = -1;
};

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_BOND_LIVENESS_H
