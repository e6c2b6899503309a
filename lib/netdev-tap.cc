/* The "internal" and "tap" device types: a Linux tap device, whose file
 * descriptor Braid reads and writes.
 *
 * What Braid writes to the descriptor, the kernel receives on the interface;
 * what the kernel sends through the interface, Braid reads.  An "internal"
 * device is the kernel's view of a bridge (br0), created with the Netdev and
 * gone with it; a "tap" device attaches to an existing tap (one that libvirt
 * made, say), or creates one that lasts as long as the Netdev.
 *
 * Offloads.  The descriptor has IFF_VNET_HDR: every frame read or written
 * starts with a virtio_net_hdr (vnet-header.h).  TUNSETOFFLOAD tells the
 * kernel that Braid takes frames with partial checksums and TCP (and,
 * where the kernel knows it, UDP) segments of up to 64 KiB, so the local
 * stack sends through the device without segmenting or checksumming; what
 * Braid writes may carry the same offloads, which the kernel completes
 * where needed. */
#include <config.h>

#include "lib/netdev-provider.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "lib/coverage.h"
#include "lib/netdev-linux-private.h"
#include "lib/util.h"
#include "lib/vlog.h"
#include "lib/vnet-header.h"

BRAID_LOG_MODULE(netdev_tap);
BRAID_COVERAGE_DEFINE(netdev_tap_rx_too_big);
BRAID_COVERAGE_DEFINE(netdev_tap_rx_error);
BRAID_COVERAGE_DEFINE(netdev_tap_rx_bad_vnet);
BRAID_COVERAGE_DEFINE(netdev_tap_tx_busy);
BRAID_COVERAGE_DEFINE(netdev_tap_tx_down);
BRAID_COVERAGE_DEFINE(netdev_tap_tx_too_big);
BRAID_COVERAGE_DEFINE(netdev_tap_tx_error);

namespace braid {
namespace {

/* A tap never hands over more than 64 KiB (its MTU, or a TCP or UDP
 * segment with offloads) plus an Ethernet header and a tag: reads go into
 * the packet buffer and spill into a buffer this large, so an oversized
 * frame is seen (and dropped) whole. */
constexpr size_t kMaxFrame = 65536 + 64;

/* TUNSETOFFLOAD bits for UDP segmentation (Linux 6.2), which older headers
 * lack. */
constexpr unsigned kTunFUso4 = 0x20;
constexpr unsigned kTunFUso6 = 0x40;

class NetdevTap final : public NetdevLinuxLink {
public:
    NetdevTap(const std::string &name, bool internal)
        : NetdevLinuxLink(name, internal ? "internal" : "tap", true), internal_(internal)
    {
    }
    ~NetdevTap() override;

private:
    int do_construct(std::string *error) override;
    int do_recv(PacketBatch &batch) override;
    int do_send(PacketBatch &batch) override;
    int do_rx_fd() const override { return fd_; }
    uint32_t do_tx_offloads() const override;

    int open_tap(std::string *error);
    void set_offloads();

    const bool internal_;
    int fd_ = -1;
    std::unique_ptr<uint8_t[]> spill_;      /* kMaxFrame bytes. */
};

NetdevTap::~NetdevTap()
{
    if (fd_ >= 0) {
        /* For a tap that is not persistent, this removes the interface. */
        close(fd_);
    }
}

int NetdevTap::do_construct(std::string *error)
{
    if (int err = open_tap(error)) {
        return err;
    }
    spill_ = std::make_unique<uint8_t[]>(kMaxFrame);
    if (int err = link_open()) {
        *error = fmt::format("could not open network device {} ({})", name(),
                             errno_to_string(err));
        return err;
    }
    return 0;
}

int NetdevTap::open_tap(std::string *error)
{
    const std::string verb = internal_ ? "create" : "open";
    if (name().empty() || name().size() >= IFNAMSIZ) {
        *error = fmt::format("could not {} network device {} (a name must have 1 to {} "
                             "characters)",
                             verb, name(), IFNAMSIZ - 1);
        return EINVAL;
    }

    /* Say what is wrong with a device in the way rather than report
     * TUNSETIFF's bare EINVAL. */
    RtnlLink existing;
    if (!rtnetlink_get_link(name(), &existing) && existing.kind != "tun") {
        *error = fmt::format("could not {} network device {} (a device of that name "
                             "already exists and is {})",
                             verb, name(),
                             existing.kind.empty()
                                 ? std::string("not a tap device")
                                 : fmt::format("a {} device, not a tap", existing.kind));
        return EEXIST;
    }

    fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) {
        int err = errno;
        *error = fmt::format("could not {} network device {} (/dev/net/tun: {})", verb,
                             name(), errno_to_string(err));
        return err;
    }
    struct ifreq ifr {};
    std::memcpy(ifr.ifr_name, name().data(), name().size());
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    int err = ioctl(fd_, TUNSETIFF, &ifr) < 0 ? errno : 0;
    if (err == EINVAL && !internal_) {
        /* An existing multiqueue tap accepts only multiqueue attachments. */
        ifr.ifr_flags |= IFF_MULTI_QUEUE;
        err = ioctl(fd_, TUNSETIFF, &ifr) < 0 ? errno : 0;
    }
    if (!err && internal_ && ioctl(fd_, TUNSETPERSIST, 0) < 0) {
        /* A leftover persistent device: it must go with this Netdev. */
        err = errno;
    }
    if (err) {
        *error = fmt::format("could not {} network device {} ({})", verb, name(),
                             err == EINVAL ? "a device of that name exists and is not a tap "
                                             "device"
                                           : errno_to_string(err));
        close(fd_);
        fd_ = -1;
        return err;
    }
    int hdr_size = sizeof(VnetHeader);
    if (ioctl(fd_, TUNSETVNETHDRSZ, &hdr_size) < 0) {
        err = errno;
        *error = fmt::format("could not {} network device {} (TUNSETVNETHDRSZ: {})", verb,
                             name(), errno_to_string(err));
        close(fd_);
        fd_ = -1;
        return err;
    }
    set_offloads();
    VLOG_DBG("{}: attached to tap device", name());
    return 0;
}

void NetdevTap::set_offloads()
{
    /* UDP segmentation first; a kernel that does not know it refuses the
     * whole request. */
    unsigned tcp = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (ioctl(fd_, TUNSETOFFLOAD, tcp | kTunFUso4 | kTunFUso6) == 0
        || ioctl(fd_, TUNSETOFFLOAD, tcp) == 0) {
        return;
    }
    /* Frames then come whole and checksummed; offloads still go out. */
    VLOG_WARN("{}: could not enable offloads on the tap device ({})", name(),
              errno_to_string(errno));
}

uint32_t NetdevTap::do_tx_offloads() const
{
    /* The kernel accepts every offload in what is written to a tap and
     * completes it where the frame goes (or leaves it to a local socket). */
    return kNetdevTxCsum | kNetdevTxTso4 | kNetdevTxTso6 | kNetdevTxTsoEcn | kNetdevTxUso;
}

int NetdevTap::do_recv(PacketBatch &batch)
{
    size_t n = 0;
    /* Every read takes a frame or ends the loop; EINTR is retried a bounded
     * number of times. */
    for (size_t attempts = 0; n < kMaxBurst && attempts < 2 * kMaxBurst; attempts++) {
        DpPacket *p = batch.packets[n];
        p->clear();
        size_t room = p->tailroom();
        VnetHeader vh;
        struct iovec iov[3] = {
            {&vh, sizeof vh}, {p->data(), room}, {spill_.get(), kMaxFrame}};
        ssize_t n_read = readv(fd_, iov, 3);
        if (n_read < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                COVERAGE_INC(netdev_tap_rx_error);
                count_rx_dropped(1);
                static vlog::RateLimit rl(5, 20);
                VLOG_WARN_RL(rl, "{}: read failed ({})", name(), errno_to_string(errno));
            }
            break;
        }
        if (size_t(n_read) < sizeof vh) {
            COVERAGE_INC(netdev_tap_rx_bad_vnet);
            count_rx_dropped(1);
            continue;
        }
        size_t len = size_t(n_read) - sizeof vh;
        if (len > room) {
            /* Grow the buffer (once) and take the rest from the spill. */
            if (!p->reserve(len)) {
                COVERAGE_INC(netdev_tap_rx_too_big);
                count_rx_dropped(1);
                continue;
            }
            std::memcpy(p->data() + room, spill_.get(), len - room);
        }
        if (!vnet_header_to_offload(vh, len, &p->offload)) {
            COVERAGE_INC(netdev_tap_rx_bad_vnet);
            count_rx_dropped(1);
            continue;
        }
        p->set_size(len);
        n++;
    }
    batch.count = n;
    return n ? 0 : EAGAIN;
}

int NetdevTap::do_send(PacketBatch &batch)
{
    size_t dropped = 0, down = 0;
    int last_error = 0;
    for (size_t i = 0; i < batch.count; i++) {
        const DpPacket *p = batch.packets[i];
        VnetHeader vh = vnet_header_from_offload(p->offload, p->frame());
        struct iovec iov[2] = {{&vh, sizeof vh},
                               {const_cast<uint8_t *>(p->data()), p->size()}};
        ssize_t n = writev(fd_, iov, 2);
        if (n < 0 && errno == EINTR) {
            n = writev(fd_, iov, 2);
        }
        if (n == ssize_t(sizeof vh + p->size())) {
            continue;
        }
        if (n < 0 && errno == EIO) {
            /* The kernel's side of the tap is down: like a NIC whose link
             * is down, it drops what it is given, which is no error. */
            COVERAGE_INC(netdev_tap_tx_down);
            down++;
            continue;
        }
        int error = n < 0 ? errno : EIO;
        last_error = error;
        dropped++;
        if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
            COVERAGE_INC(netdev_tap_tx_busy);
        } else if (error == EMSGSIZE || error == EINVAL) {
            COVERAGE_INC(netdev_tap_tx_too_big);
        } else {
            COVERAGE_INC(netdev_tap_tx_error);
        }
    }
    if (down) {
        count_tx_dropped(down);
    }
    if (dropped) {
        count_tx_dropped(dropped);
        static vlog::RateLimit rl(5, 20);
        VLOG_WARN_RL(rl, "{}: dropped {} of {} frames on transmit ({})", name(), dropped,
                     batch.count, errno_to_string(last_error));
        return last_error;
    }
    return 0;
}

}  // namespace

void netdev_tap_register()
{
    register_netdev_class("internal", [](const std::string &name) {
        return std::unique_ptr<Netdev>(new NetdevTap(name, true));
    });
    register_netdev_class("tap", [](const std::string &name) {
        return std::unique_ptr<Netdev>(new NetdevTap(name, false));
    });
}

}  // namespace braid
