/* The "dummy" device type: in-memory ports for tests.
 *
 * A dummy device has no kernel counterpart.  Frames reach it through
 * "ovs-appctl netdev-dummy/receive", wait in a bounded queue until the
 * datapath takes them, and frames sent to it are counted and, with
 * options:tx_pcap, captured.  Admin state and carrier are set with
 * netdev-dummy/set-admin-state and netdev-dummy/set-carrier.  With
 * --enable-dummy=override, "system", "internal" and "tap" devices are dummy
 * devices too (see netdev-provider.h).
 *
 * A dummy device takes no offloads: Netdev::send() segments large segments
 * and completes checksums before they reach it, so the transmit capture
 * holds the frames a real wire would carry. */
#include <config.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <deque>
#include <map>
#include <mutex>

#include "lib/coverage.h"
#include "lib/hash.h"
#include "lib/netdev-provider.h"
#include "lib/pcap-file.h"
#include "lib/unixctl.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(netdev_dummy);
BRAID_COVERAGE_DEFINE(netdev_dummy_rx_queue_full);

namespace braid {
namespace {

/* Frames waiting to be received, per device. */
constexpr size_t kMaxQueuedFrames = 1024;

class NetdevDummy;

/* The open dummy devices by name, for the unixctl commands.  Control
 * thread only. */
std::map<std::string, NetdevDummy *> &dummies()
{
    static std::map<std::string, NetdevDummy *> map;
    return map;
}

class NetdevDummy final : public Netdev {
public:
    explicit NetdevDummy(const std::string &name) : Netdev(name, "dummy") {}

    ~NetdevDummy() override
    {
        dummies().erase(name());
        if (event_fd_ >= 0) {
            close(event_fd_);
        }
    }

    /* Queues 'frame' as received; false if the queue is full. */
    bool inject(std::vector<uint8_t> frame)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (rx_pcap_) {
            rx_pcap_->write(frame);
        }
        if (rx_queue_.size() >= kMaxQueuedFrames) {
            COVERAGE_INC(netdev_dummy_rx_queue_full);
            stats_.rx_dropped++;
            return false;
        }
        /* Counted as received by the device now, as a NIC counts what it
         * puts in its ring, whether or not the switch has taken it yet. */
        stats_.rx_packets++;
        stats_.rx_bytes += frame.size();
        rx_queue_.push_back(std::move(frame));
        uint64_t one = 1;
        ssize_t n = write(event_fd_, &one, sizeof one);
        (void) n;
        return true;
    }

    void set_admin(bool up)
    {
        if (admin_up_ != up) {
            admin_up_ = up;
            notify_change();
        }
    }

    void set_carrier(bool up)
    {
        if (carrier_ != up) {
            carrier_ = up;
            carrier_resets_++;
            notify_change();
        }
    }

private:
    int do_construct(std::string *error) override
    {
        event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (event_fd_ < 0) {
            *error = fmt::format("could not open network device {} ({})", name(),
                                 errno_to_string(errno));
            return errno;
        }
        /* A locally administered address derived from the name, so that a
         * device has the same address after a restart: aa:55 followed by 32
         * bits of a hash of the name. */
        uint32_t h = hash_bytes(name().data(), name().size(), 0);
        mac_ = EthAddr{{0xaa, 0x55, uint8_t(h >> 24), uint8_t(h >> 16), uint8_t(h >> 8),
                        uint8_t(h)}};
        dummies()[name()] = this;
        return 0;
    }

    int do_set_config(const NetdevOptions &options, std::string *error) override
    {
        std::unique_ptr<PcapWriter> rx, tx;
        std::string rx_path, tx_path;
        for (const auto &[key, value] : options) {
            if (key == "rx_pcap" || key == "tx_pcap") {
                if (value.empty()) {
                    *error = fmt::format("{}: option {} needs a file name", name(), key);
                    return EINVAL;
                }
                (key == "rx_pcap" ? rx_path : tx_path) = value;
            } else {
                *error = fmt::format("{}: unknown option \"{}\" for devices of type {}", name(),
                                     key, type());
                return EINVAL;
            }
        }
        /* Reopen a capture only when its file name changed. */
        std::lock_guard<std::mutex> lock(mutex_);
        if (rx_path != (rx_pcap_ ? rx_pcap_->path() : "")) {
            if (!rx_path.empty() && !(rx = PcapWriter::create(rx_path, error))) {
                return EINVAL;
            }
        } else {
            rx = std::move(rx_pcap_);
        }
        if (tx_path != (tx_pcap_ ? tx_pcap_->path() : "")) {
            if (!tx_path.empty() && !(tx = PcapWriter::create(tx_path, error))) {
                return EINVAL;
            }
        } else {
            tx = std::move(tx_pcap_);
        }
        rx_pcap_ = std::move(rx);
        tx_pcap_ = std::move(tx);
        return 0;
    }

    int do_get_etheraddr(EthAddr *mac) const override
    {
        *mac = mac_;
        return 0;
    }

    int do_set_etheraddr(const EthAddr &mac) override
    {
        mac_ = mac;
        return 0;
    }

    int do_get_mtu(int *mtu) const override
    {
        *mtu = mtu_;
        return 0;
    }

    int do_set_mtu(int mtu) override
    {
        mtu_ = mtu;
        return 0;
    }

    bool do_get_carrier() const override { return carrier_; }
    bool do_is_admin_up() const override { return admin_up_; }

    int do_set_admin_up(bool up) override
    {
        admin_up_ = up;
        return 0;
    }

    uint64_t do_carrier_resets() const override { return carrier_resets_; }

    int do_get_stats(NetdevStats *stats) const override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        *stats = stats_;
        return 0;
    }

    int do_recv(PacketBatch &batch) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        uint64_t value;
        ssize_t n = read(event_fd_, &value, sizeof value);
        (void) n;
        while (!rx_queue_.empty() && batch.count < kMaxBurst) {
            std::vector<uint8_t> &frame = rx_queue_.front();
            DpPacket *p = batch.packets[batch.count];
            p->clear();
            p->reserve(frame.size());
            size_t len = std::min(frame.size(), p->tailroom());
            std::memcpy(p->data(), frame.data(), len);
            p->set_size(len);
            batch.count++;
            rx_queue_.pop_front();
        }
        if (!rx_queue_.empty()) {
            uint64_t one = 1;       /* More to come: stay readable. */
            n = write(event_fd_, &one, sizeof one);
        }
        return batch.count ? 0 : EAGAIN;
    }

    int do_send(PacketBatch &batch) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (DpPacket *p : batch) {
            if (!admin_up_ || !carrier_) {
                stats_.tx_dropped++;
                continue;
            }
            stats_.tx_packets++;
            stats_.tx_bytes += p->size();
            if (tx_pcap_) {
                tx_pcap_->write(p->frame());
            }
        }
        return 0;
    }

    int do_rx_fd() const override { return event_fd_; }

    mutable std::mutex mutex_;      /* Guards the queue, stats and captures. */
    std::deque<std::vector<uint8_t>> rx_queue_;
    NetdevStats stats_;
    std::unique_ptr<PcapWriter> rx_pcap_;
    std::unique_ptr<PcapWriter> tx_pcap_;
    int event_fd_ = -1;

    EthAddr mac_;
    int mtu_ = 1500;
    /* Read by the datapath's do_send(), set by the control thread. */
    std::atomic<bool> admin_up_{true};
    std::atomic<bool> carrier_{true};
    std::atomic<uint64_t> carrier_resets_{0};
};

/* Parses a frame given in hex ("00112233..."; spaces, ':' and '.' between
 * digit pairs are ignored). */
std::optional<std::vector<uint8_t>> parse_hex_frame(const std::string &text, std::string *error)
{
    std::vector<uint8_t> frame;
    int nibbles = 0;
    uint8_t byte = 0;
    for (char c : text) {
        int v;
        if (c >= '0' && c <= '9') {
            v = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v = c - 'A' + 10;
        } else if ((c == ' ' || c == ':' || c == '.') && nibbles % 2 == 0) {
            continue;
        } else {
            *error = fmt::format("\"{}\" is not a frame in hexadecimal (bad character '{}')",
                                 text.size() > 40 ? text.substr(0, 40) + "..." : text, c);
            return std::nullopt;
        }
        byte = uint8_t(byte << 4 | v);
        if (++nibbles % 2 == 0) {
            frame.push_back(byte);
            byte = 0;
        }
    }
    if (nibbles % 2) {
        *error = "a frame in hexadecimal needs an even number of digits";
        return std::nullopt;
    }
    if (frame.size() < kEthHeaderLen) {
        *error = fmt::format("a frame of {} bytes is shorter than an Ethernet header",
                             frame.size());
        return std::nullopt;
    }
    return frame;
}

std::optional<bool> parse_up_down(const std::string &s)
{
    if (s == "up") {
        return true;
    } else if (s == "down") {
        return false;
    }
    return std::nullopt;
}

void register_commands()
{
    using unixctl::Args;
    using unixctl::Reply;
    unixctl::register_command(
        "netdev-dummy/receive", "name packet...", 2, INT32_MAX,
        [](const Args &args, const Reply &reply) {
            auto it = dummies().find(args[0]);
            if (it == dummies().end()) {
                reply.error(fmt::format("no such dummy netdev \"{}\"", args[0]));
                return;
            }
            std::vector<std::vector<uint8_t>> frames;
            for (size_t i = 1; i < args.size(); i++) {
                std::string error;
                auto frame = parse_hex_frame(args[i], &error);
                if (!frame) {
                    reply.error(error);
                    return;
                }
                frames.push_back(std::move(*frame));
            }
            size_t dropped = 0;
            for (auto &frame : frames) {
                dropped += !it->second->inject(std::move(frame));
            }
            if (dropped) {
                reply.error(fmt::format("{}: receive queue full, {} of {} frames dropped",
                                        args[0], dropped, frames.size()));
            } else {
                reply.ok();
            }
        });
    unixctl::register_command(
        "netdev-dummy/set-admin-state", "[name] up|down", 1, 2,
        [](const Args &args, const Reply &reply) {
            auto up = parse_up_down(args.back());
            if (!up) {
                reply.error("expected \"up\" or \"down\"");
                return;
            }
            if (args.size() == 1) {
                for (auto &[name, dev] : dummies()) {
                    dev->set_admin(*up);
                }
            } else if (auto it = dummies().find(args[0]); it != dummies().end()) {
                it->second->set_admin(*up);
            } else {
                reply.error(fmt::format("no such dummy netdev \"{}\"", args[0]));
                return;
            }
            reply.ok("OK");
        });
    unixctl::register_command(
        "netdev-dummy/set-carrier", "name up|down", 2, 2,
        [](const Args &args, const Reply &reply) {
            auto up = parse_up_down(args[1]);
            if (!up) {
                reply.error("expected \"up\" or \"down\"");
                return;
            }
            auto it = dummies().find(args[0]);
            if (it == dummies().end()) {
                reply.error(fmt::format("no such dummy netdev \"{}\"", args[0]));
                return;
            }
            it->second->set_carrier(*up);
            reply.ok("OK");
        });
}

}  // namespace

void netdev_dummy_register()
{
    auto factory = [](const std::string &name) {
        return std::unique_ptr<Netdev>(new NetdevDummy(name));
    };
    register_netdev_class("dummy", factory);
    register_netdev_class("dummy-internal", factory);
    register_commands();
}

}  // namespace braid
