/* Packet buffers and batches, the units the datapath moves.
 *
 * A DpPacket is one frame in a buffer with headroom in front of it (so that
 * VLAN tags can be pushed without copying) and the metadata the datapath
 * keeps with it: the input port and the offload metadata (PacketOffload)
 * that says whether the frame is a large segment still to be cut up, or has
 * a checksum still to be completed.  A PacketBatch holds up to kMaxBurst
 * packets: receive and send work on whole batches, so a provider's virtual
 * call is paid once per batch, never per packet.
 *
 * Buffer size.  A buffer starts with the capacity its owner asked for
 * (2 KiB by default, which any standard frame fits) and grows on demand, in
 * one step, to kMaxCapacity: enough for the largest segment the kernel hands
 * over with offloads on (64 KiB) plus tags.  Growing allocates, so it
 * happens only the first time a buffer meets a frame larger than its
 * capacity; the buffer keeps its new size and is reused, so in steady state
 * nothing is allocated per packet.  A datapath thread whose buffers have
 * all grown holds kMaxBurst * (kHeadroom + kMaxCapacity) bytes (about
 * 2.1 MiB) per set of buffers. */
#ifndef BRAID_LIB_DP_PACKET_H
#define BRAID_LIB_DP_PACKET_H 1

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>

namespace braid {

/* The largest batch: the unit of datapath work. */
inline constexpr size_t kMaxBurst = 32;

/* How a packet larger than the wire allows is to be cut up into segments
 * (segmentation offload, "GSO").  The values are those of the gso_type
 * field of the virtio_net_hdr that Linux tap devices and packet sockets
 * use, without its ECN bit (PacketOffload::gso_ecn). */
enum class GsoType : uint8_t {
    kNone = 0,          /* Not a large segment. */
    kTcpv4 = 1,         /* TCP over IPv4: cut into gso_size-byte TCP segments. */
    kTcpv6 = 4,         /* TCP over IPv6. */
    kUdpL4 = 5,         /* UDP over IPv4 or IPv6: cut into gso_size-byte datagrams. */
};

/* Offload metadata: what a sender left for the device to do, as Linux
 * describes it in a struct virtio_net_hdr.  All offsets count from the
 * first byte of the frame (the Ethernet header).  A plain value type;
 * zero-initialised means "nothing to do". */
struct PacketOffload {
    /* Values of 'flags'. */
    static constexpr uint8_t kNeedsCsum = 0x01;     /* L4 checksum still to complete. */
    static constexpr uint8_t kDataValid = 0x02;     /* L4 checksum already verified. */

    /* kNeedsCsum and kDataValid bits. */
    uint8_t flags = 0;
    /* Whether and how the packet is to be segmented. */
    GsoType gso_type = GsoType::kNone;
    /* For TCP segmentation: the sender uses ECN, so the CWR flag must stay
     * on the first segment only (the device has to know ECN). */
    bool gso_ecn = false;
    /* Unused: makes the padding explicit, so that == compares all bytes. */
    uint8_t pad = 0;
    /* Length of the headers (Ethernet to L4) of a large segment, as the
     * sender gave it; a hint only (Linux gives the length of its linear
     * buffer), so software segmentation finds the headers itself. */
    uint16_t hdr_len = 0;
    /* Bytes of L4 payload in each segment but the last. */
    uint16_t gso_size = 0;
    /* With kNeedsCsum: the checksum covers the bytes from 'csum_start' to
     * the end of the frame, and goes at 'csum_start' + 'csum_offset'; that
     * field holds, until then, the sum of the pseudo-header. */
    uint16_t csum_start = 0;
    uint16_t csum_offset = 0;

    bool needs_csum() const noexcept { return flags & kNeedsCsum; }
    bool is_gso() const noexcept { return gso_type != GsoType::kNone; }

    /* Whether a device that takes no offloads could not send the packet as
     * it is: it must first be segmented or have its checksum completed. */
    bool needs_tx_work() const noexcept { return needs_csum() || is_gso(); }

    friend bool operator==(const PacketOffload &, const PacketOffload &) = default;
};
static_assert(sizeof(PacketOffload) == 12);

class DpPacket {
public:
    /* Room kept in front of the frame for pushed headers. */
    static constexpr size_t kHeadroom = 128;

    /* The capacity a buffer grows to when a frame needs more than it has:
     * a 64 KiB segment (the most that Linux hands over with segmentation
     * offload) plus 128 bytes for VLAN tags restored or pushed. */
    static constexpr size_t kMaxCapacity = 65536 + 128;

    /* A buffer for frames of up to 'capacity' bytes (plus headroom); it
     * grows to kMaxCapacity when a frame needs it (reserve()). */
    explicit DpPacket(size_t capacity = 2048)
        : buffer_(new uint8_t[kHeadroom + capacity]), capacity_(capacity)
    {
    }

    DpPacket(const DpPacket &) = delete;
    DpPacket &operator=(const DpPacket &) = delete;

    /* A packet holding a copy of 'frame' (with no offload metadata). */
    static std::unique_ptr<DpPacket> copy_of(std::span<const uint8_t> frame)
    {
        auto p = std::make_unique<DpPacket>(std::max<size_t>(frame.size(), 2048));
        p->set_size(frame.size());
        std::memcpy(p->data(), frame.data(), frame.size());
        return p;
    }

    uint8_t *data() noexcept { return buffer_.get() + offset_; }
    const uint8_t *data() const noexcept { return buffer_.get() + offset_; }
    size_t size() const noexcept { return size_; }
    std::span<const uint8_t> frame() const noexcept { return {data(), size_}; }

    /* Bytes that fit after data() without growing the buffer. */
    size_t tailroom() const noexcept { return kHeadroom + capacity_ - offset_; }

    /* Frame bytes the buffer holds at the standard offset (without
     * growing). */
    size_t capacity() const noexcept { return capacity_; }

    /* Sets the frame length; 'size' must not exceed tailroom(). */
    void set_size(size_t size) noexcept { size_ = size; }

    /* Makes tailroom() at least 'size', growing the buffer to kMaxCapacity
     * if it is smaller; every byte of the buffer keeps its contents (also
     * bytes written after data() but not yet counted by set_size()).
     * Returns false, changing nothing, if even that is too small or memory
     * runs out.  Allocates only when the buffer grows, which happens once
     * in its life. */
    bool reserve(size_t size) noexcept
    {
        if (size <= tailroom()) {
            return true;
        }
        if (capacity_ >= kMaxCapacity || size > kHeadroom + kMaxCapacity - offset_) {
            return false;
        }
        uint8_t *bigger;
        try {
            /* Plain new[] (not the nothrow form), so that programs that
             * replace operator new[] see this allocation too. */
            bigger = new uint8_t[kHeadroom + kMaxCapacity];
        } catch (const std::bad_alloc &) {
            return false;
        }
        std::memcpy(bigger, buffer_.get(), kHeadroom + capacity_);
        buffer_.reset(bigger);
        capacity_ = kMaxCapacity;
        return true;
    }

    /* Bytes free in front of the frame. */
    size_t headroom() const noexcept { return offset_; }

    /* Grows the frame by 'n' bytes at the front (for a pushed header) and
     * returns the new start, or null if the headroom is too small.  The
     * offload offsets move with the headers behind the new bytes. */
    uint8_t *push_front(size_t n) noexcept
    {
        if (n > offset_) {
            return nullptr;
        }
        offset_ -= n;
        size_ += n;
        if (offload.needs_csum()) {
            offload.csum_start = uint16_t(offload.csum_start + n);
        }
        if (offload.hdr_len) {
            offload.hdr_len = uint16_t(offload.hdr_len + n);
        }
        return data();
    }

    /* Removes 'n' bytes (at most size()) from the front.  The offload
     * offsets move back with the headers; if the bytes removed reach into
     * the checksummed part, the offload metadata no longer describes the
     * frame and is cleared. */
    void pull_front(size_t n) noexcept
    {
        n = std::min(n, size_);
        offset_ += n;
        size_ -= n;
        if (offload.needs_csum()) {
            if (offload.csum_start < n) {
                offload = PacketOffload{};
            } else {
                offload.csum_start = uint16_t(offload.csum_start - n);
            }
        }
        offload.hdr_len = uint16_t(offload.hdr_len > n ? offload.hdr_len - n : 0);
    }

    /* Copies the frame and metadata of 'other' into this buffer, growing
     * it if 'other' is larger than its capacity (if it cannot grow, the
     * copy is cut to the capacity). */
    void copy_from(const DpPacket &other) noexcept
    {
        offset_ = kHeadroom;
        if (other.size_ > capacity_) {
            reserve(other.size_);
        }
        size_ = std::min(other.size_, capacity_);
        std::memcpy(data(), other.data(), size_);
        in_port = other.in_port;
        offload = other.offload;
    }

    /* Resets to an empty frame at the standard offset, without metadata. */
    void clear() noexcept
    {
        offset_ = kHeadroom;
        size_ = 0;
        in_port = 0;
        offload = PacketOffload{};
    }

    /* The datapath port the packet came in on. */
    uint32_t in_port = 0;

    /* What the sender left for the device to do (segmentation, checksum);
     * receivers fill it in, Netdev::send() carries it out where the output
     * device cannot. */
    PacketOffload offload;

private:
    std::unique_ptr<uint8_t[]> buffer_;
    size_t capacity_;
    size_t offset_ = kHeadroom;
    size_t size_ = 0;
};

/* Up to kMaxBurst packets, not owned. */
struct PacketBatch {
    std::array<DpPacket *, kMaxBurst> packets{};
    size_t count = 0;

    bool full() const noexcept { return count == kMaxBurst; }
    void add(DpPacket *p) noexcept { packets[count++] = p; }
    DpPacket **begin() noexcept { return packets.data(); }
    DpPacket **end() noexcept { return packets.data() + count; }
};

}  // namespace braid

#endif  // BRAID_LIB_DP_PACKET_H
