/* The switching machinery shared by all bridges: the datapath, translation,
 * and the revalidator that keeps the flow caches and MAC tables honest.
 *
 * One Switch serves every bridge (as ovs-vswitchd's userspace datapath
 * "ovs-netdev" does).  Bridges (Ofproto) add their interfaces to its
 * datapath; after each reconfiguration the owner publishes the bridges, and
 * the Switch rebuilds the translation snapshot from them.  Every second of
 * the Braid clock the revalidator sweeps idle megaflows (10 s), refreshes
 * the MAC entries of flows that carried traffic, expires old MAC entries,
 * and makes cached flows stale when a MAC table changed.
 *
 * It registers dpif/show, fdb/show, fdb/flush and fdb/stats-show, plus the
 * datapath's own commands. */
#ifndef BRAID_OFPROTO_SWITCH_H
#define BRAID_OFPROTO_SWITCH_H 1

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/dpif-netdev.h"
#include "lib/event-loop.h"
#include "ofproto/xlate.h"

namespace braid::ofproto {

class BondLiveness;
class Ofproto;

class Switch {
public:
    explicit Switch(EventLoop &loop);
    ~Switch();
    Switch(const Switch &) = delete;
    Switch &operator=(const Switch &) = delete;

    dp::Datapath &datapath() { return datapath_; }
    EventLoop &loop() { return loop_; }

    /* Applies Open_vSwitch other_config: n-pmd-threads, pmd-cpu-mask. */
    void configure(const std::map<std::string, std::string> &other_config);

    /* Rebuilds translation from the bridges as they are now.  Call after
     * every reconfiguration (the pointers are not kept beyond the next
     * call). */
    void publish(const std::vector<const Ofproto *> &bridges);

    /* 'fn' is called, from any thread, when state that the database shows
     * changed outside reconfiguration (a bond's active member); null to
     * stop.  status_changed() calls it. */
    void set_status_listener(std::function<void()> fn);
    void status_changed();

    /* One revalidator pass (the timer runs it every second). */
    void revalidate_now();

    /* How long idle megaflows live, ms. */
    static constexpr int64_t kMaxIdleMs = 10000;

private:
    const Ofproto *find_bridge(const std::string &name) const;
    void register_commands();

    EventLoop &loop_;
    dp::Datapath datapath_;
    Xlate xlate_;
    std::vector<const Ofproto *> bridges_;
    Timer revalidator_;
    std::unique_ptr<BondLiveness> liveness_;
    std::mutex status_mutex_;
    std::function<void()> status_listener_;         /* Guarded by status_mutex_. */
};

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_SWITCH_H
