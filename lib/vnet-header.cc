/* Translation between virtio_net_hdr and PacketOffload. */
#include <config.h>

#include "lib/vnet-header.h"

#include <algorithm>

namespace braid {

bool vnet_header_to_offload(const VnetHeader &hdr, size_t frame_len,
                            PacketOffload *offload) noexcept
{
    *offload = PacketOffload{};
    PacketOffload o;
    o.flags = hdr.flags & (kVnetFlagNeedsCsum | kVnetFlagDataValid);
    if (o.needs_csum()) {
        o.flags &= uint8_t(~kVnetFlagDataValid);
        o.csum_start = hdr.csum_start;
        o.csum_offset = hdr.csum_offset;
        if (size_t(o.csum_start) + o.csum_offset + 2 > frame_len) {
            return false;
        }
    }
    switch (hdr.gso_type & uint8_t(~kVnetGsoEcn)) {
    case kVnetGsoNone:
        if (hdr.gso_type != kVnetGsoNone) {
            return false;       /* ECN without segmentation. */
        }
        break;
    case kVnetGsoTcpv4:
        o.gso_type = GsoType::kTcpv4;
        break;
    case kVnetGsoTcpv6:
        o.gso_type = GsoType::kTcpv6;
        break;
    case kVnetGsoUdpL4:
        o.gso_type = GsoType::kUdpL4;
        break;
    default:
        return false;
    }
    if (o.is_gso()) {
        if (hdr.gso_size == 0) {
            return false;
        }
        o.gso_ecn = hdr.gso_type & kVnetGsoEcn;
        o.gso_size = hdr.gso_size;
        o.hdr_len = uint16_t(std::min<size_t>(hdr.hdr_len, frame_len));
    }
    *offload = o;
    return true;
}

VnetHeader vnet_header_from_offload(const PacketOffload &offload,
                                    std::span<const uint8_t> frame) noexcept
{
    VnetHeader hdr{};
    if (offload.needs_csum()) {
        hdr.flags = kVnetFlagNeedsCsum;
        hdr.csum_start = offload.csum_start;
        hdr.csum_offset = offload.csum_offset;
    }
    if (offload.is_gso()) {
        hdr.gso_type = uint8_t(offload.gso_type) | (offload.gso_ecn ? kVnetGsoEcn : 0);
        hdr.gso_size = offload.gso_size;
        size_t len = offload.hdr_len;
        if (offload.needs_csum()) {
            /* The L4 header starts at csum_start: UDP's is 8 bytes, TCP's
             * length is in its data offset (byte 12). */
            size_t l4 = offload.csum_start;
            if (offload.gso_type == GsoType::kUdpL4) {
                len = l4 + 8;
            } else if (l4 + 12 < frame.size()) {
                len = l4 + (frame[l4 + 12] >> 4) * 4u;
            }
        }
        hdr.hdr_len = uint16_t(std::min(len, frame.size()));
    }
    return hdr;
}

}  // namespace braid
