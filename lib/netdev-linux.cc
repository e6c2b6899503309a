/* The "system" device type: an existing Linux interface, read through an
 * AF_PACKET TPACKET_V3 receive ring and written with sendmmsg().
 *
 * Offloads.  The socket has PACKET_VNET_HDR: the kernel puts a
 * virtio_net_hdr (vnet-header.h) in front of every frame in the ring, and
 * every frame sent starts with one.  So the large TCP segments (up to
 * 64 KiB) that a veth or a local socket hands over with TSO/GSO on, and
 * frames whose checksum the sender left to the device, arrive whole with
 * their metadata, and go out the same way: the kernel segments and
 * checksums them where the frame finally leaves (or not at all, for a
 * veth into a local stack).  The device therefore declares every offload
 * (do_tx_offloads()).  Verified on Linux 6.18: TPACKET_V3 rings carry the
 * header (it ends at tp_mac, after the frame header), so no other receive
 * method is needed.  If PACKET_VNET_HDR is refused, the device works
 * without offloads (frames are sent as they are, and large segments, which
 * the ring cannot then describe, go out unsegmented and are lost).
 *
 * Receive ring.  The kernel fills fixed-size blocks with variable-size
 * frames and hands a block to userspace (TP_STATUS_USER) when it is full or
 * when its retire timer expires; recv() copies frames out in order and gives
 * each block back (TP_STATUS_KERNEL) once all its frames are read.  Sizes:
 *   - blocks of 128 KiB (32 pages): a frame must fit in one block (less
 *     its 48-byte descriptor and the frame's 92 bytes of header and vnet
 *     header), and a 64 KiB segment needs more than 64 KiB; a block holds
 *     two of them.  Larger frames arrive truncated and are dropped;
 *   - 32 blocks, 4 MiB of memory per device (the kernel allocates it when
 *     the device is opened, as whole blocks or virtually contiguous
 *     pages): a frame takes its length plus 92 bytes (rounded up to 16), so
 *     the ring holds 64 full-size segments, about 2,600 frames of 1,514
 *     bytes or 27,000 minimum-size frames while the datapath is busy;
 *   - a retire timeout of 1 ms (the smallest the API takes): a block that
 *     does not fill up is handed over after at most that, which bounds the
 *     latency the ring adds at low rates;
 *   - a nominal frame size of 2 KiB, which TPACKET_V3 only uses to check
 *     the request (frames are packed by their real size).
 *
 * The socket ignores frames it sends itself (PACKET_IGNORE_OUTGOING) and
 * puts the interface in promiscuous mode while it is open. */
#include <config.h>

#include "lib/netdev-provider.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "lib/coverage.h"
#include "lib/netdev-linux-private.h"
#include "lib/packets.h"
#include "lib/util.h"
#include "lib/vlog.h"
#include "lib/vnet-header.h"

BRAID_LOG_MODULE(netdev_linux);
BRAID_COVERAGE_DEFINE(netdev_linux_rx_truncated);
BRAID_COVERAGE_DEFINE(netdev_linux_rx_too_big);
BRAID_COVERAGE_DEFINE(netdev_linux_rx_bad_ring);
BRAID_COVERAGE_DEFINE(netdev_linux_rx_vlan_restored);
BRAID_COVERAGE_DEFINE(netdev_linux_rx_bad_vnet);
BRAID_COVERAGE_DEFINE(netdev_linux_rx_csum_not_ready);
BRAID_COVERAGE_DEFINE(netdev_linux_tx_busy);
BRAID_COVERAGE_DEFINE(netdev_linux_tx_too_big);
BRAID_COVERAGE_DEFINE(netdev_linux_tx_error);

namespace braid {
namespace {

constexpr uint32_t kBlockSize = 131072;
constexpr uint32_t kBlockCount = 32;
constexpr uint32_t kFrameSize = 2048;
constexpr uint32_t kRetireTimeoutMs = 1;
constexpr size_t kRingSize = size_t(kBlockSize) * kBlockCount;

/* The MAC addresses in front of an 802.1Q tag. */
constexpr size_t kMacsLen = 12;

class NetdevLinux final : public NetdevLinuxLink {
public:
    explicit NetdevLinux(const std::string &name) : NetdevLinuxLink(name, "system", false) {}
    ~NetdevLinux() override;

private:
    int do_construct(std::string *error) override;
    int do_recv(PacketBatch &batch) override;
    int do_send(PacketBatch &batch) override;
    int do_rx_fd() const override { return fd_; }
    uint32_t do_tx_offloads() const override;
    uint64_t extra_rx_dropped() const override;
    void link_event() override;

    int open_socket();
    void close_socket();
    struct tpacket_block_desc *block(uint32_t index) const
    {
        return reinterpret_cast<struct tpacket_block_desc *>(ring_ + size_t(index) * kBlockSize);
    }
    void release_block();

    int fd_ = -1;
    uint8_t *ring_ = nullptr;
    bool vnet_hdr_ = false;         /* Frames carry a virtio_net_hdr. */

    /* Read position, datapath thread only. */
    uint32_t block_ = 0;            /* The block read next or being read. */
    bool in_block_ = false;         /* 'block_' is ours and partly read. */
    uint32_t frames_left_ = 0;      /* Frames of 'block_' not read yet. */
    uint32_t frame_offset_ = 0;     /* Offset of the next frame in 'block_'. */

    /* sendmmsg() vectors, datapath thread only: each frame goes out as
     * its vnet header and the frame. */
    std::array<struct mmsghdr, kMaxBurst> msgs_{};
    std::array<std::array<struct iovec, 2>, kMaxBurst> iovs_{};
    std::array<VnetHeader, kMaxBurst> vnet_headers_{};

    /* Ring overruns read from PACKET_STATISTICS (which resets on read). */
    mutable std::atomic<uint64_t> ring_drops_{0};
};

/* Copies the frame described by 'hdr' into 'packet', with its offload
 * metadata from the vnet header in front of it if 'vnet' (which the caller
 * checked lies inside the frame's slot), putting back the VLAN tag that the
 * kernel moved into the header.  False if the frame cannot be delivered
 * (and was counted). */
bool copy_frame(const struct tpacket3_hdr *hdr, bool vnet, DpPacket *packet)
{
    const uint8_t *src = reinterpret_cast<const uint8_t *>(hdr) + hdr->tp_mac;
    size_t len = hdr->tp_snaplen;
    bool tagged = hdr->tp_status & TP_STATUS_VLAN_VALID;
    if (len < hdr->tp_len || (tagged && len < kMacsLen)) {
        COVERAGE_INC(netdev_linux_rx_truncated);
        return false;
    }
    size_t tag_len = tagged ? sizeof(VlanHeader) : 0;
    size_t out_len = len + tag_len;
    packet->clear();
    if (!packet->reserve(out_len)) {
        COVERAGE_INC(netdev_linux_rx_too_big);
        return false;
    }

    PacketOffload offload;
    if (vnet) {
        VnetHeader vh;
        std::memcpy(&vh, src - sizeof vh, sizeof vh);
        if (!vnet_header_to_offload(vh, len, &offload)) {
            COVERAGE_INC(netdev_linux_rx_bad_vnet);
            return false;
        }
    } else if (hdr->tp_status & TP_STATUS_CSUMNOTREADY) {
        /* Without the vnet header nobody can say where the checksum goes:
         * the frame goes on with a checksum its receiver will reject. */
        COVERAGE_INC(netdev_linux_rx_csum_not_ready);
    }
    if (!offload.needs_csum() && (hdr->tp_status & TP_STATUS_CSUM_VALID)) {
        offload.flags |= PacketOffload::kDataValid;
    }
    /* The restored tag moves everything behind the MAC addresses. */
    if (tagged && offload.needs_csum()) {
        offload.csum_start = uint16_t(offload.csum_start + tag_len);
    }
    if (tagged && offload.hdr_len) {
        offload.hdr_len = uint16_t(offload.hdr_len + tag_len);
    }
    packet->offload = offload;

    uint8_t *dst = packet->data();
    if (tagged) {
        uint16_t tpid = (hdr->tp_status & TP_STATUS_VLAN_TPID_VALID) && hdr->hv1.tp_vlan_tpid
                            ? hdr->hv1.tp_vlan_tpid
                            : kEthTypeVlan8021Q;
        be16 tag[2] = {be16::from_host(tpid), be16::from_host(hdr->hv1.tp_vlan_tci)};
        std::memcpy(dst, src, kMacsLen);
        std::memcpy(dst + kMacsLen, tag, sizeof tag);
        std::memcpy(dst + kMacsLen + sizeof tag, src + kMacsLen, len - kMacsLen);
        COVERAGE_INC(netdev_linux_rx_vlan_restored);
    } else {
        std::memcpy(dst, src, len);
    }
    packet->set_size(out_len);
    return true;
}

NetdevLinux::~NetdevLinux()
{
    close_socket();
}

int NetdevLinux::do_construct(std::string *error)
{
    int err = link_open();
    if (!err) {
        err = open_socket();
    }
    if (err) {
        *error = fmt::format("could not open network device {} ({})", name(),
                             errno_to_string(err));
    }
    return err;
}

int NetdevLinux::open_socket()
{
    /* Protocol 0: nothing is received before bind() names the interface. */
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        int error = errno;
        VLOG_WARN("{}: could not create AF_PACKET socket ({})", name(), errno_to_string(error));
        return error;
    }

    auto fail = [this](const char *step) {
        int error = errno;
        VLOG_WARN("{}: {} failed ({})", name(), step, errno_to_string(error));
        close_socket();
        return error;
    };

    int version = TPACKET_V3;
    if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0) {
        return fail("setsockopt(PACKET_VERSION)");
    }
    /* Before the ring, which the kernel lays out for it. */
    int vnet = 1;
    vnet_hdr_ = setsockopt(fd_, SOL_PACKET, PACKET_VNET_HDR, &vnet, sizeof vnet) == 0;
    if (!vnet_hdr_) {
        VLOG_WARN("{}: setsockopt(PACKET_VNET_HDR) failed ({}); working without offloads",
                  name(), errno_to_string(errno));
    }
    struct tpacket_req3 req {};
    req.tp_block_size = kBlockSize;
    req.tp_block_nr = kBlockCount;
    req.tp_frame_size = kFrameSize;
    req.tp_frame_nr = kBlockSize / kFrameSize * kBlockCount;
    req.tp_retire_blk_tov = kRetireTimeoutMs;
    if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) {
        return fail("setsockopt(PACKET_RX_RING)");
    }
    void *ring = mmap(nullptr, kRingSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (ring == MAP_FAILED) {
        return fail("mmap");
    }
    ring_ = static_cast<uint8_t *>(ring);

    int one = 1;
    if (setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
        return fail("setsockopt(PACKET_IGNORE_OUTGOING)");
    }
    struct sockaddr_ll sll {};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = link_ifindex();
    if (bind(fd_, reinterpret_cast<struct sockaddr *>(&sll), sizeof sll) < 0) {
        return fail("bind");
    }
    struct packet_mreq mreq {};
    mreq.mr_ifindex = link_ifindex();
    mreq.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0) {
        return fail("setsockopt(PACKET_ADD_MEMBERSHIP)");
    }
    /* Binding to an interface that is down leaves ENETDOWN pending. */
    link_event();
    return 0;
}

void NetdevLinux::close_socket()
{
    if (ring_) {
        munmap(ring_, kRingSize);
        ring_ = nullptr;
    }
    if (fd_ >= 0) {
        close(fd_);
        fd_ = -1;
    }
}

void NetdevLinux::release_block()
{
    __atomic_store_n(&block(block_)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    block_ = (block_ + 1) % kBlockCount;
    in_block_ = false;
    frames_left_ = 0;
}

int NetdevLinux::do_recv(PacketBatch &batch)
{
    size_t n = 0;
    /* Each pass either fills the batch or gives a block back, so this visits
     * every block at most once. */
    for (uint32_t released = 0; n < kMaxBurst && released < kBlockCount;) {
        struct tpacket_block_desc *bd = block(block_);
        if (!in_block_) {
            if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE)
                  & TP_STATUS_USER)) {
                break;
            }
            in_block_ = true;
            frames_left_ = bd->hdr.bh1.num_pkts;
            frame_offset_ = bd->hdr.bh1.offset_to_first_pkt;
        }
        const uint8_t *base = reinterpret_cast<const uint8_t *>(bd);
        while (frames_left_ > 0 && n < kMaxBurst) {
            /* Check the kernel's offsets before following them. */
            if (frame_offset_ > kBlockSize - sizeof(struct tpacket3_hdr)) {
                COVERAGE_INC(netdev_linux_rx_bad_ring);
                frames_left_ = 0;
                break;
            }
            const auto *hdr = reinterpret_cast<const struct tpacket3_hdr *>(base + frame_offset_);
            uint32_t room = kBlockSize - frame_offset_;
            if (hdr->tp_mac > room || hdr->tp_snaplen > room - hdr->tp_mac
                || (vnet_hdr_ && hdr->tp_mac < sizeof(struct tpacket3_hdr) + sizeof(VnetHeader))) {
                COVERAGE_INC(netdev_linux_rx_bad_ring);
                frames_left_ = 0;
                break;
            }
            if (copy_frame(hdr, vnet_hdr_, batch.packets[n])) {
                n++;
            } else {
                count_rx_dropped(1);
            }
            if (--frames_left_ > 0) {
                if (hdr->tp_next_offset == 0 || hdr->tp_next_offset >= room) {
                    COVERAGE_INC(netdev_linux_rx_bad_ring);
                    frames_left_ = 0;
                    break;
                }
                frame_offset_ += hdr->tp_next_offset;
            }
        }
        if (frames_left_ == 0) {
            release_block();
            released++;
        }
    }
    batch.count = n;
    return n ? 0 : EAGAIN;
}

int NetdevLinux::do_send(PacketBatch &batch)
{
    size_t count = batch.count;
    for (size_t i = 0; i < count; i++) {
        DpPacket *p = batch.packets[i];
        msgs_[i] = {};
        if (vnet_hdr_) {
            vnet_headers_[i] = vnet_header_from_offload(p->offload, p->frame());
            iovs_[i][0] = {&vnet_headers_[i], sizeof vnet_headers_[i]};
            iovs_[i][1] = {p->data(), p->size()};
            msgs_[i].msg_hdr.msg_iovlen = 2;
        } else {
            iovs_[i][0] = {p->data(), p->size()};
            msgs_[i].msg_hdr.msg_iovlen = 1;
        }
        msgs_[i].msg_hdr.msg_iov = iovs_[i].data();
    }

    /* Every pass sends or drops at least one frame, except for EINTR, which
     * may repeat a pass a bounded number of times. */
    size_t sent = 0, dropped = 0;
    int last_error = 0;
    for (size_t interrupts = 0; sent + dropped < count;) {
        size_t done = sent + dropped;
        int n = sendmmsg(fd_, &msgs_[done], unsigned(count - done), 0);
        if (n > 0) {
            sent += size_t(n);
            continue;
        }
        int error = n < 0 ? errno : EAGAIN;
        if (error == EINTR && ++interrupts <= kMaxBurst) {
            continue;
        }
        last_error = error;
        if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
            /* The queue is full: the rest would fail the same way. */
            COVERAGE_ADD(netdev_linux_tx_busy, count - done);
            dropped += count - done;
        } else if (error == ENETDOWN || error == ENXIO || error == ENODEV) {
            /* The interface is down or gone: so is the rest. */
            COVERAGE_ADD(netdev_linux_tx_error, count - done);
            dropped += count - done;
        } else if (error == EMSGSIZE) {
            COVERAGE_INC(netdev_linux_tx_too_big);
            dropped++;
        } else {
            COVERAGE_INC(netdev_linux_tx_error);
            dropped++;
        }
    }
    if (dropped) {
        count_tx_dropped(dropped);
        static vlog::RateLimit rl(5, 20);
        VLOG_WARN_RL(rl, "{}: dropped {} of {} frames on transmit ({})", name(), dropped,
                     count, errno_to_string(last_error));
        return last_error;
    }
    return 0;
}

uint32_t NetdevLinux::do_tx_offloads() const
{
    return vnet_hdr_ ? kNetdevTxCsum | kNetdevTxTso4 | kNetdevTxTso6 | kNetdevTxTsoEcn | kNetdevTxUso
                     : 0;
}

void NetdevLinux::link_event()
{
    /* When the interface goes down (or is removed) the kernel leaves
     * ENETDOWN pending on the socket: it makes the descriptor poll with
     * POLLERR until read and fails the next send, even once the interface
     * is back.  Reading SO_ERROR clears it. */
    if (fd_ >= 0) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
    }
}

uint64_t NetdevLinux::extra_rx_dropped() const
{
    struct tpacket_stats_v3 st {};
    socklen_t len = sizeof st;
    if (fd_ >= 0 && !getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len)) {
        ring_drops_.fetch_add(st.tp_drops, std::memory_order_relaxed);
    }
    return ring_drops_.load(std::memory_order_relaxed);
}

}  // namespace

void netdev_linux_register()
{
    register_netdev_class("system", [](const std::string &name) {
        return std::unique_ptr<Netdev>(new NetdevLinux(name));
    });

    /* Tell the bridges when kernel interfaces come and go, so that an
     * interface configured before its device existed (or whose device was
     * deleted and created again) is set up without waiting for a database
     * change.  Control thread only. */
    static std::set<int> known;
    int id;
    rtnetlink_add_listener(-1, "", [](const RtnlLink &link, RtnlChange change) {
        bool appeared_or_gone =
            link.ifindex == 0                      /* Events were lost. */
            || (change == RtnlChange::kDelete ? known.erase(link.ifindex) > 0
                                              : known.insert(link.ifindex).second);
        if (appeared_or_gone) {
            Netdev::notify_devices_changed();
        }
    }, &id);
}

}  // namespace braid
