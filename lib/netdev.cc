/* Network devices: the registry of types and the public wrappers. */
#include <config.h>

#include "lib/netdev.h"

#include <algorithm>
#include <cerrno>
#include <mutex>

#include "lib/coverage.h"
#include "lib/event-loop.h"
#include "lib/netdev-provider.h"
#include "lib/packet-offload.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(netdev);
BRAID_COVERAGE_DEFINE(netdev_open);
BRAID_COVERAGE_DEFINE(netdev_open_failed);
BRAID_COVERAGE_DEFINE(netdev_received);
BRAID_COVERAGE_DEFINE(netdev_sent);
BRAID_COVERAGE_DEFINE(netdev_change);
BRAID_COVERAGE_DEFINE(netdev_soft_gso);
BRAID_COVERAGE_DEFINE(netdev_soft_gso_segments);
BRAID_COVERAGE_DEFINE(netdev_soft_csum);
BRAID_COVERAGE_DEFINE(netdev_soft_drop_malformed);
BRAID_COVERAGE_DEFINE(netdev_soft_drop_unsupported);
BRAID_COVERAGE_DEFINE(netdev_soft_drop_no_buffer);

namespace braid {

/* Which types exist, which devices are open, and who wants to hear about
 * changes.  Control thread only, except for the change notification. */
class NetdevRegistry {
public:
    static NetdevRegistry &get()
    {
        static NetdevRegistry *r = new NetdevRegistry;
        return *r;
    }

    std::map<std::string, NetdevFactory> classes;
    bool dummy_override = false;
    std::map<std::string, std::weak_ptr<Netdev>> open_devices;

    std::mutex listeners_mutex;
    std::map<int, std::function<void()>> listeners;
    int next_listener = 1;
    EventLoop *loop = nullptr;
    std::atomic<bool> notify_pending{false};
    std::atomic<uint64_t> devices_seq{1};

    void run_listeners()
    {
        notify_pending.store(false);
        std::map<int, std::function<void()>> copy;
        {
            std::lock_guard<std::mutex> lock(listeners_mutex);
            copy = listeners;
        }
        for (auto &[id, fn] : copy) {
            /* An earlier listener may have removed this one (and destroyed
             * its owner). */
            {
                std::lock_guard<std::mutex> lock(listeners_mutex);
                if (!listeners.count(id)) {
                    continue;
                }
            }
            fn();
        }
    }
};

void netdev_set_control_loop(EventLoop *loop)
{
    NetdevRegistry::get().loop = loop;
}

void netdev_register_builtin_classes()
{
    static bool done = false;
    if (!done) {
        done = true;
        netdev_dummy_register();
        netdev_linux_register();
        netdev_tap_register();
    }
}

void register_netdev_class(const std::string &type, NetdevFactory factory)
{
    NetdevRegistry::get().classes[type] = std::move(factory);
}

void netdev_enable_dummy_override()
{
    NetdevRegistry::get().dummy_override = true;
}

Netdev::Netdev(std::string name, std::string type)
    : name_(std::move(name)), type_(std::move(type))
{
    for (auto &buffer : soft_buffers_) {
        buffer = std::make_unique<DpPacket>();
    }
}

Netdev::~Netdev() = default;

int Netdev::open(const std::string &name, const std::string &requested_type,
                 std::shared_ptr<Netdev> *netdev, std::string *error)
{
    netdev_register_builtin_classes();
    NetdevRegistry &r = NetdevRegistry::get();
    std::string type = requested_type.empty() ? "system" : requested_type;
    netdev->reset();

    auto it = r.open_devices.find(name);
    if (it != r.open_devices.end()) {
        std::shared_ptr<Netdev> existing = it->second.lock();
        if (existing && existing->is_gone()) {
            existing.reset();       /* Its device is gone: open a new one. */
        }
        if (existing) {
            if (existing->type() != type) {
                *error = fmt::format("{} is already open as a device of type {}", name,
                                     existing->type());
                return EEXIST;
            }
            *netdev = existing;
            return 0;
        }
        r.open_devices.erase(it);
    }

    std::string factory_type = type;
    if (r.dummy_override && (type == "system" || type == "internal" || type == "tap")) {
        factory_type = type == "internal" ? "dummy-internal" : "dummy";
    }
    auto cls = r.classes.find(factory_type);
    if (cls == r.classes.end()) {
        COVERAGE_INC(netdev_open_failed);
        *error = fmt::format("could not open network device {} (unknown type \"{}\")", name,
                             type);
        return EAFNOSUPPORT;
    }
    std::unique_ptr<Netdev> dev = cls->second(name);
    dev->type_ = type;
    std::string construct_error;
    if (int err = dev->do_construct(&construct_error)) {
        COVERAGE_INC(netdev_open_failed);
        *error = construct_error.empty()
                     ? fmt::format("could not open network device {} ({})", name,
                                   errno_to_string(err))
                     : construct_error;
        return err;
    }
    COVERAGE_INC(netdev_open);
    VLOG_DBG("{}: opened device of type {}", name, type);
    std::shared_ptr<Netdev> shared(dev.release());
    r.open_devices[name] = shared;
    *netdev = std::move(shared);
    return 0;
}

std::vector<std::string> Netdev::types()
{
    netdev_register_builtin_classes();
    std::vector<std::string> names;
    for (const auto &[type, factory] : NetdevRegistry::get().classes) {
        if (type != "dummy-internal") {
            names.push_back(type);
        }
    }
    return names;
}

int Netdev::add_change_listener(std::function<void()> fn)
{
    NetdevRegistry &r = NetdevRegistry::get();
    std::lock_guard<std::mutex> lock(r.listeners_mutex);
    int id = r.next_listener++;
    r.listeners.emplace(id, std::move(fn));
    return id;
}

void Netdev::remove_change_listener(int id)
{
    NetdevRegistry &r = NetdevRegistry::get();
    std::lock_guard<std::mutex> lock(r.listeners_mutex);
    r.listeners.erase(id);
}

uint64_t Netdev::devices_seq()
{
    return NetdevRegistry::get().devices_seq.load(std::memory_order_acquire);
}

void Netdev::notify_devices_changed()
{
    NetdevRegistry &r = NetdevRegistry::get();
    r.devices_seq.fetch_add(1, std::memory_order_acq_rel);
    if (!r.loop) {
        r.run_listeners();
    } else if (!r.notify_pending.exchange(true)) {
        r.loop->post([&r] { r.run_listeners(); });
    }
}

void Netdev::notify_change()
{
    COVERAGE_INC(netdev_change);
    change_seq_.fetch_add(1, std::memory_order_acq_rel);
    NetdevRegistry &r = NetdevRegistry::get();
    if (!r.loop) {
        r.run_listeners();
    } else if (!r.notify_pending.exchange(true)) {
        /* One wakeup for any number of changes until the listeners ran. */
        r.loop->post([&r] { r.run_listeners(); });
    }
}

int Netdev::set_config(const NetdevOptions &options, std::string *error)
{
    int err = do_set_config(options, error);
    if (err) {
        static vlog::RateLimit rl(5, 20);
        VLOG_WARN_RL(rl, "{}: could not set configuration ({})", name_, *error);
    }
    return err;
}

int Netdev::get_etheraddr(EthAddr *mac) const
{
    return do_get_etheraddr(mac);
}

int Netdev::set_etheraddr(const EthAddr &mac)
{
    if (mac.is_multicast() || mac.is_zero()) {
        return EINVAL;
    }
    int err = do_set_etheraddr(mac);
    if (!err) {
        notify_change();
    }
    return err;
}

int Netdev::get_mtu(int *mtu) const
{
    return do_get_mtu(mtu);
}

int Netdev::set_mtu(int mtu)
{
    if (mtu < 68 || mtu > 65535) {
        return EINVAL;
    }
    int err = do_set_mtu(mtu);
    if (!err) {
        notify_change();
    }
    return err;
}

int Netdev::get_ifindex() const
{
    return do_get_ifindex();
}

bool Netdev::get_carrier() const
{
    return do_get_carrier();
}

bool Netdev::is_admin_up() const
{
    return do_is_admin_up();
}

int Netdev::set_admin_up(bool up)
{
    int err = do_set_admin_up(up);
    if (!err) {
        notify_change();
    }
    return err;
}

uint64_t Netdev::carrier_resets() const
{
    return do_carrier_resets();
}

int Netdev::get_stats(NetdevStats *stats) const
{
    *stats = NetdevStats{};
    int err = do_get_stats(stats);
    if (uint64_t soft = soft_tx_dropped_.load(std::memory_order_relaxed)) {
        stats->tx_dropped = stats->tx_dropped == NetdevStats::kUnsupported
                                ? soft
                                : stats->tx_dropped + soft;
    }
    return err;
}

int Netdev::recv(PacketBatch &batch)
{
    batch.count = 0;
    int err = do_recv(batch);
    if (!err) {
        COVERAGE_ADD(netdev_received, batch.count);
    }
    return err;
}

int Netdev::send(PacketBatch &batch)
{
    if (batch.count == 0) {
        return 0;
    }
    COVERAGE_ADD(netdev_sent, batch.count);
    /* Every datapath thread may send to every port; the providers' send
     * state (socket message arrays, segment buffers) is one per device. */
    std::lock_guard<std::mutex> lock(tx_mutex_);
    for (const DpPacket *p : batch) {
        if (p->offload.needs_tx_work()) {
            return send_with_soft_offloads(batch);
        }
    }
    return do_send(batch);
}

namespace {

/* Whether a device with 'offloads' (kNetdevTx* bits) takes the large
 * segment 'o' whole. */
bool takes_gso(uint32_t offloads, const PacketOffload &o)
{
    if (o.gso_ecn && o.gso_type != GsoType::kUdpL4 && !(offloads & kNetdevTxTsoEcn)) {
        return false;
    }
    switch (o.gso_type) {
    case GsoType::kTcpv4:
        return offloads & kNetdevTxTso4;
    case GsoType::kTcpv6:
        return offloads & kNetdevTxTso6;
    case GsoType::kUdpL4:
        return offloads & kNetdevTxUso;
    case GsoType::kNone:
        break;
    }
    return false;
}

/* Counts a packet dropped for 'error' and returns the errno value that
 * send() reports for it. */
int count_soft_drop(OffloadError error)
{
    switch (error) {
    case OffloadError::kNoRoom:
        COVERAGE_INC(netdev_soft_drop_no_buffer);
        return ENOBUFS;
    case OffloadError::kBadGsoType:
    case OffloadError::kNotIp:
    case OffloadError::kL4Mismatch:
        COVERAGE_INC(netdev_soft_drop_unsupported);
        return EOPNOTSUPP;
    default:
        COVERAGE_INC(netdev_soft_drop_malformed);
        return EINVAL;
    }
}

}  // namespace

int Netdev::send_with_soft_offloads(PacketBatch &batch)
{
    uint32_t offloads = do_tx_offloads();

    /* What the device gets: the packets it can take as they are, and the
     * segments of those it cannot, in order, in batches of up to
     * kMaxBurst. */
    PacketBatch out;
    size_t used = 0;            /* Segment buffers in 'out'. */
    int error = 0;
    size_t dropped = 0;
    OffloadError last_drop = OffloadError::kNone;
    auto flush = [&] {
        if (out.count) {
            if (int err = do_send(out)) {
                error = err;
            }
            out.count = 0;
        }
        used = 0;
    };
    auto drop = [&](OffloadError why) {
        dropped++;
        last_drop = why;
        error = count_soft_drop(why);
    };

    for (DpPacket *p : batch) {
        const PacketOffload &o = p->offload;
        if (o.is_gso() && !takes_gso(offloads, o)) {
            GsoSegmenter seg;
            OffloadError e = seg.start(*p);
            if (e != OffloadError::kNone) {
                drop(e);
                continue;
            }
            COVERAGE_INC(netdev_soft_gso);
            while (seg.remaining()) {
                if (out.full() || used == soft_buffers_.size()) {
                    flush();
                }
                DpPacket *segment = soft_buffers_[used].get();
                e = seg.next(*segment);
                if (e != OffloadError::kNone) {
                    drop(e);        /* The rest of the packet is lost. */
                    break;
                }
                used++;
                out.add(segment);
                COVERAGE_INC(netdev_soft_gso_segments);
            }
            continue;
        }
        if (o.needs_csum() && !o.is_gso() && !(offloads & kNetdevTxCsum)) {
            OffloadError e = packet_complete_csum(*p);
            if (e != OffloadError::kNone) {
                drop(e);
                continue;
            }
            COVERAGE_INC(netdev_soft_csum);
        }
        if (out.full()) {
            flush();
        }
        out.add(p);
    }
    flush();

    if (dropped) {
        soft_tx_dropped_.fetch_add(dropped, std::memory_order_relaxed);
        static vlog::RateLimit rl(5, 20);
        VLOG_WARN_RL(rl, "{}: dropped {} packet{} whose offloads could not be done in software "
                         "({})",
                     name_, dropped, dropped == 1 ? "" : "s", offload_error_to_string(last_drop));
    }
    return error;
}

int Netdev::rx_fd() const
{
    return do_rx_fd();
}

/* ---- Defaults for optional hooks. ---- */

int Netdev::do_set_config(const NetdevOptions &options, std::string *error)
{
    if (!options.empty()) {
        *error = fmt::format("{}: unknown option \"{}\" for devices of type {}", name_,
                             options.begin()->first, type_);
        return EINVAL;
    }
    return 0;
}

int Netdev::do_set_etheraddr(const EthAddr &)
{
    return EOPNOTSUPP;
}

int Netdev::do_set_mtu(int)
{
    return EOPNOTSUPP;
}

int Netdev::do_get_ifindex() const
{
    return 0;
}

bool Netdev::do_get_carrier() const
{
    return true;
}

bool Netdev::do_is_admin_up() const
{
    return true;
}

int Netdev::do_set_admin_up(bool)
{
    return EOPNOTSUPP;
}

uint64_t Netdev::do_carrier_resets() const
{
    return 0;
}

int Netdev::do_get_stats(NetdevStats *stats) const
{
    *stats = NetdevStats{NetdevStats::kUnsupported, NetdevStats::kUnsupported,
                         NetdevStats::kUnsupported, NetdevStats::kUnsupported,
                         NetdevStats::kUnsupported, NetdevStats::kUnsupported,
                         NetdevStats::kUnsupported, NetdevStats::kUnsupported};
    return 0;
}

int Netdev::do_rx_fd() const
{
    return -1;
}

bool Netdev::do_is_gone() const
{
    return false;
}

uint32_t Netdev::do_tx_offloads() const
{
    return 0;
}

}  // namespace braid
