/* The virtio_net_hdr that Linux puts in front of every frame read from, or
 * written to, a packet socket with PACKET_VNET_HDR or a tap device with
 * IFF_VNET_HDR, and its translation to and from PacketOffload.
 *
 * Linux uses the legacy virtio byte order for both, which is the host's;
 * the 16-bit fields here are therefore in host order. */
#ifndef BRAID_LIB_VNET_HEADER_H
#define BRAID_LIB_VNET_HEADER_H 1

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/dp-packet.h"

namespace braid {

/* The 10-byte header, laid out as struct virtio_net_hdr. */
struct VnetHeader {
    uint8_t flags;          /* kVnetFlag* bits. */
    uint8_t gso_type;       /* kVnetGso* value, maybe with kVnetGsoEcn. */
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
};
static_assert(sizeof(VnetHeader) == 10);

/* Values of VnetHeader::flags and VnetHeader::gso_type (Linux's
 * VIRTIO_NET_HDR_F_* and VIRTIO_NET_HDR_GSO_*; UDP_L4 is missing from older
 * headers). */
inline constexpr uint8_t kVnetFlagNeedsCsum = 0x01;
inline constexpr uint8_t kVnetFlagDataValid = 0x02;
inline constexpr uint8_t kVnetGsoNone = 0;
inline constexpr uint8_t kVnetGsoTcpv4 = 1;
inline constexpr uint8_t kVnetGsoUdp = 3;       /* IP fragmentation of UDP: unsupported. */
inline constexpr uint8_t kVnetGsoTcpv6 = 4;
inline constexpr uint8_t kVnetGsoUdpL4 = 5;
inline constexpr uint8_t kVnetGsoEcn = 0x80;

/* Sets '*offload' from 'hdr', which came with a frame of 'frame_len' bytes.
 * Returns false, leaving '*offload' cleared, if the header asks for a
 * segmentation Braid does not know (UDP fragmentation, unknown types or
 * flags), or for a checksum or a segmentation that does not fit the frame;
 * such a frame cannot be forwarded correctly and is dropped. */
bool vnet_header_to_offload(const VnetHeader &hdr, size_t frame_len,
                            PacketOffload *offload) noexcept;

/* The header to send with 'frame', whose metadata is 'offload': only
 * kNeedsCsum among the flags (kDataValid means nothing to a receiver).  For
 * a large segment, hdr_len is the real length of its headers (Ethernet to
 * the end of the TCP or UDP header, found from csum_start), not the hint
 * the segment came with: Linux allocates that much as one linear block, and
 * a hint as large as the whole segment makes that allocation fail under
 * memory fragmentation. */
VnetHeader vnet_header_from_offload(const PacketOffload &offload,
                                    std::span<const uint8_t> frame) noexcept;

}  // namespace braid

#endif  // BRAID_LIB_VNET_HEADER_H
