/* Network devices: the ports Braid reads frames from and writes frames to.
 *
 * A Netdev is one open device of some type ("dummy", "system", "internal",
 * "tap"; see netdev-provider.h for how a type is implemented).  Callers use
 * only the public, non-virtual functions below; they check arguments, keep
 * the counters every device has, log, and supply defaults for what a type
 * does not implement, then call the provider's private hooks.
 *
 * Conventions:
 *   - Functions that can fail return 0 or a positive errno value
 *     (EOPNOTSUPP when the type cannot do it), with details in the log.
 *   - Status getters and configuration run on the control thread.
 *   - recv() runs on the datapath thread that polls the device, one batch
 *     at a time; send() may be called by any datapath thread (every thread
 *     outputs to every port) and holds a per-device mutex around the
 *     provider's do_send().  Neither allocates (except that a packet buffer
 *     grows once to take a 64 KiB frame, see dp-packet.h).
 *   - Offloads.  Received packets carry offload metadata (DpPacket::offload):
 *     a large TCP or UDP segment still to be cut up, a checksum still to be
 *     completed.  send() hands such packets whole to a device that declares
 *     it takes them (tx_offloads()), and segments them or completes their
 *     checksums in software (packet-offload.h) for one that does not, so
 *     every device sees only what it can send.
 *   - Any change of status (carrier, admin state, MTU, MAC address) bumps
 *     change_seq() and wakes every change listener, whatever thread noticed
 *     it; nobody needs to poll. */
#ifndef BRAID_LIB_NETDEV_H
#define BRAID_LIB_NETDEV_H 1

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/dp-packet.h"
#include "lib/packets.h"

namespace braid {

class EventLoop;

/* Makes change listeners run on 'loop' (the control thread's).  Without a
 * loop they run on the thread that noticed the change. */
void netdev_set_control_loop(EventLoop *loop);

/* Device counters.  A field a device cannot count holds kUnsupported. */
struct NetdevStats {
    static constexpr uint64_t kUnsupported = UINT64_MAX;

    uint64_t rx_packets = 0;
    uint64_t tx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_bytes = 0;
    uint64_t rx_dropped = 0;
    uint64_t tx_dropped = 0;
    uint64_t rx_errors = 0;
    uint64_t tx_errors = 0;
};

/* Bits of Netdev::tx_offloads(): which packets with offload metadata a
 * device's send side takes as they are. */
inline constexpr uint32_t kNetdevTxCsum = 1u << 0;     /* kNeedsCsum: completes checksums. */
inline constexpr uint32_t kNetdevTxTso4 = 1u << 1;     /* GsoType::kTcpv4 segments. */
inline constexpr uint32_t kNetdevTxTso6 = 1u << 2;     /* GsoType::kTcpv6 segments. */
inline constexpr uint32_t kNetdevTxTsoEcn = 1u << 3;   /* TCP segments with gso_ecn. */
inline constexpr uint32_t kNetdevTxUso = 1u << 4;      /* GsoType::kUdpL4 segments. */

/* Options from Interface.options, as key/value strings. */
using NetdevOptions = std::map<std::string, std::string>;

class Netdev {
public:
    virtual ~Netdev();
    Netdev(const Netdev &) = delete;
    Netdev &operator=(const Netdev &) = delete;

    /* Opens the device 'name' of 'type' ("" means "system").  If a device
     * with that name is already open with the same type, returns it (devices
     * are shared, like the rows that name them); with another type, fails
     * with EEXIST.  On failure returns a positive errno value and sets
     * '*error' to a sentence for Interface.error. */
    static int open(const std::string &name, const std::string &type,
                    std::shared_ptr<Netdev> *netdev, std::string *error);

    /* The names of all types that open() accepts, sorted (for
     * Open_vSwitch.iface_types). */
    static std::vector<std::string> types();

    /* Every listener runs (on the control thread's loop) after any device's
     * status changes.  Returns an id for remove_change_listener(). */
    static int add_change_listener(std::function<void()> fn);
    static void remove_change_listener(int id);

    const std::string &name() const { return name_; }
    const std::string &type() const { return type_; }

    /* Applies Interface.options.  An unknown key or a bad value fails with
     * EINVAL and an '*error' naming it; the previous options stay. */
    int set_config(const NetdevOptions &options, std::string *error);

    /* Status. */
    int get_etheraddr(EthAddr *mac) const;
    int set_etheraddr(const EthAddr &mac);
    int get_mtu(int *mtu) const;
    int set_mtu(int mtu);
    /* The kernel interface index, or 0 for devices without one. */
    int get_ifindex() const;
    /* Physical link up?  Devices without a carrier report true. */
    bool get_carrier() const;
    /* Administratively up (IFF_UP)? */
    bool is_admin_up() const;
    int set_admin_up(bool up);
    /* How often the carrier changed (up to down or down to up) since the
     * device was opened: Interface.link_resets. */
    uint64_t carrier_resets() const;
    int get_stats(NetdevStats *stats) const;

    /* Incremented on every status change. */
    uint64_t change_seq() const { return change_seq_.load(std::memory_order_acquire); }

    /* True once the device behind this Netdev no longer exists (a kernel
     * interface was deleted).  Netdev::open() then opens a new Netdev for
     * the name instead of sharing this one. */
    bool is_gone() const { return do_is_gone(); }

    /* Incremented whenever a kernel interface appears or disappears in the
     * system, so that interfaces that failed for want of a device can be
     * tried again.  Change listeners are woken too. */
    static uint64_t devices_seq();

    /* Providers call this when a kernel interface appeared or disappeared
     * (their watchers are not tied to one Netdev, hence public). */
    static void notify_devices_changed();

    /* Datapath.  recv() fills 'batch': on entry every one of its kMaxBurst
     * slots points to an empty buffer and 'count' is 0; it copies up to
     * kMaxBurst received frames into those buffers, in order, and sets
     * 'count'.  Returns 0 if anything was received, EAGAIN if nothing was
     * waiting.  Each received packet's offload metadata says what the
     * sender left undone.  send() transmits the 'count' packets of 'batch'
     * and leaves them with the caller; frames it cannot send are counted as
     * tx_dropped.  For a device that does not take a packet's offloads
     * (tx_offloads()), send() first segments it (into buffers of its own)
     * or completes its checksum in place (so the caller's packet may
     * change).  Returns 0 or the last error. */
    int recv(PacketBatch &batch);
    int send(PacketBatch &batch);

    /* The kNetdevTx* bits: what send() may hand to the device whole. */
    uint32_t tx_offloads() const { return do_tx_offloads(); }

    /* A descriptor that becomes readable when recv() has work, or -1. */
    int rx_fd() const;

protected:
    Netdev(std::string name, std::string type);

    /* Providers call this after noticing a status change, from any thread. */
    void notify_change();

private:
    friend class NetdevRegistry;

    /* ---- Provider hooks (the contract is in netdev-provider.h). ---- */
    virtual int do_construct(std::string *error) = 0;
    virtual int do_set_config(const NetdevOptions &options, std::string *error);
    virtual int do_get_etheraddr(EthAddr *mac) const = 0;
    virtual int do_set_etheraddr(const EthAddr &mac);
    virtual int do_get_mtu(int *mtu) const = 0;
    virtual int do_set_mtu(int mtu);
    virtual int do_get_ifindex() const;
    virtual bool do_get_carrier() const;
    virtual bool do_is_admin_up() const;
    virtual int do_set_admin_up(bool up);
    virtual uint64_t do_carrier_resets() const;
    virtual int do_get_stats(NetdevStats *stats) const;
    virtual int do_recv(PacketBatch &batch) = 0;
    virtual int do_send(PacketBatch &batch) = 0;
    virtual int do_rx_fd() const;
    virtual bool do_is_gone() const;
    virtual uint32_t do_tx_offloads() const;

    /* send() for a batch in which some packet needs offload work. */
    int send_with_soft_offloads(PacketBatch &batch);

    std::string name_;
    std::string type_;
    std::atomic<uint64_t> change_seq_{1};

    /* Held by send(): one sender at a time per device, for the provider's
     * send state and for 'soft_buffers_'. */
    std::mutex tx_mutex_;
    /* Buffers for the segments that send() makes, allocated with the
     * Netdev (and grown like any packet buffer). */
    std::array<std::unique_ptr<DpPacket>, kMaxBurst> soft_buffers_;
    /* Packets that send() dropped because it could not do their offloads
     * (added to tx_dropped by get_stats()). */
    std::atomic<uint64_t> soft_tx_dropped_{0};
};

}  // namespace braid

#endif  // BRAID_LIB_NETDEV_H
