/* Packet buffers and batches, the units the datapath moves.
 *
 * A DpPacket is one frame in a buffer with headroom in front of it (so that
 * VLAN tags can be pushed without copying) and the metadata the datapath
 * keeps with it.  A PacketBatch holds up to kMaxBurst packets: receive and
 * send work on whole batches, so a provider's virtual call is paid once per
 * batch, never per packet. */
#ifndef BRAID_LIB_DP_PACKET_H
#define BRAID_LIB_DP_PACKET_H 1

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace braid {

/* The largest batch: the unit of datapath work. */
inline constexpr size_t kMaxBurst = 32;

class DpPacket {
public:
    /* Room kept in front of the frame for pushed headers. */
    static constexpr size_t kHeadroom = 128;

    /* A buffer for frames of up to 'capacity' bytes (plus headroom). */
    explicit DpPacket(size_t capacity = 2048)
        : buffer_(new uint8_t[kHeadroom + capacity]), capacity_(capacity)
    {
    }

    DpPacket(const DpPacket &) = delete;
    DpPacket &operator=(const DpPacket &) = delete;

    /* A packet holding a copy of 'frame'. */
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

    /* Bytes that fit after data(). */
    size_t tailroom() const noexcept { return kHeadroom + capacity_ - offset_; }

    /* Sets the frame length; 'size' must not exceed tailroom(). */
    void set_size(size_t size) noexcept { size_ = size; }

    /* Bytes free in front of the frame. */
    size_t headroom() const noexcept { return offset_; }

    /* Grows the frame by 'n' bytes at the front (for a pushed header) and
     * returns the new start, or null if the headroom is too small. */
    uint8_t *push_front(size_t n) noexcept
    {
        if (n > offset_) {
            return nullptr;
        }
        offset_ -= n;
        size_ += n;
        return data();
    }

    /* Removes 'n' bytes (at most size()) from the front. */
    void pull_front(size_t n) noexcept
    {
        n = std::min(n, size_);
        offset_ += n;
        size_ -= n;
    }

    /* Copies the frame and metadata of 'other' into this buffer (which
     * must have the capacity). */
    void copy_from(const DpPacket &other) noexcept
    {
        offset_ = kHeadroom;
        size_ = std::min(other.size_, capacity_);
        std::memcpy(data(), other.data(), size_);
        in_port = other.in_port;
    }

    /* Resets to an empty frame at the standard offset. */
    void clear() noexcept
    {
        offset_ = kHeadroom;
        size_ = 0;
        in_port = 0;
    }

    /* The datapath port the packet came in on. */
    uint32_t in_port = 0;

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
