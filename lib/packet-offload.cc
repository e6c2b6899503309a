/* Software segmentation and checksum completion.
 *
 * Segmentation copies the headers of the large segment in front of each
 * slice of its payload, then fixes the fields that differ from one segment
 * to the next and computes the checksums from scratch (rather than
 * adjusting the large segment's partial sums), so a segment's checksums
 * never depend on what the sender left in them. */
#include <config.h>

#include "lib/packet-offload.h"

#include <algorithm>
#include <cstring>

#include "lib/csum.h"
#include "lib/packets.h"

namespace braid {
namespace {

/* The big-endian 16-bit value at 'p'. */
uint16_t read16(const uint8_t *p) noexcept
{
    return uint16_t(p[0] << 8 | p[1]);
}

/* Stores the checksum 'csum' at 'p'. */
void store_csum(uint8_t *p, be16 csum) noexcept
{
    std::memcpy(p, csum.data(), 2);
}

/* Offsets of the checksum fields in TCP and UDP headers. */
constexpr size_t kTcpCsumOffset = 16;
constexpr size_t kUdpCsumOffset = 6;

}  // namespace

const char *offload_error_to_string(OffloadError error) noexcept
{
    switch (error) {
#define X(NAME, TEXT) \
    case OffloadError::NAME: return TEXT;
        BRAID_OFFLOAD_ERRORS
#undef X
    case OffloadError::kCount:
        break;
    }
    return "unknown";
}

OffloadError packet_complete_csum(DpPacket &packet) noexcept
{
    PacketOffload &o = packet.offload;
    if (!o.needs_csum()) {
        return OffloadError::kNone;
    }
    size_t start = o.csum_start;
    size_t field = start + o.csum_offset;
    if (field + 2 > packet.size()) {
        return OffloadError::kBadCsumOffsets;
    }
    uint8_t *d = packet.data();
    be16 csum = csum_finish(csum_add(0, {d + start, packet.size() - start}));
    if (csum.value() == 0) {
        csum = be16::from_host(0xffff);
    }
    store_csum(d + field, csum);
    o.flags = uint8_t((o.flags & ~PacketOffload::kNeedsCsum) | PacketOffload::kDataValid);
    return OffloadError::kNone;
}

OffloadError GsoSegmenter::start(const DpPacket &packet) noexcept
{
    packet_ = nullptr;
    n_segments_ = next_ = 0;

    const PacketOffload &o = packet.offload;
    GsoType type = o.gso_type;
    if (type == GsoType::kNone) {
        return OffloadError::kNotGso;
    }
    if (type != GsoType::kTcpv4 && type != GsoType::kTcpv6 && type != GsoType::kUdpL4) {
        return OffloadError::kBadGsoType;
    }
    if (o.gso_size == 0) {
        return OffloadError::kBadGsoSize;
    }

    const uint8_t *p = packet.data();
    size_t size = packet.size();
    if (size < kEthHeaderLen) {
        return OffloadError::kEthTruncated;
    }
    uint16_t eth_type = read16(p + 12);
    size_t off = kEthHeaderLen;
    while (eth_type_is_vlan(eth_type)) {
        if (size < off + sizeof(VlanHeader)) {
            return OffloadError::kEthTruncated;
        }
        eth_type = read16(p + off + 2);
        off += sizeof(VlanHeader);
    }

    size_t l3 = off, l4, end;
    uint8_t proto;
    if (eth_type == kEthTypeIpv4) {
        if (type == GsoType::kTcpv6) {
            return OffloadError::kIpVersionMismatch;
        }
        if (size < l3 + sizeof(Ipv4Header)) {
            return OffloadError::kIpv4Truncated;
        }
        Ipv4Header ip;
        std::memcpy(&ip, p + l3, sizeof ip);
        size_t hlen = ip.header_len();
        if (ip.version() != 4 || hlen < kIpv4HeaderMinLen) {
            return OffloadError::kIpv4BadHeader;
        }
        if (size < l3 + hlen) {
            return OffloadError::kIpv4Truncated;
        }
        if (ip.frag_off.value() & (kIpv4MoreFragments | kIpv4FragOffsetMask)) {
            return OffloadError::kIpv4Fragment;
        }
        size_t tot_len = ip.tot_len.value();
        if (tot_len < hlen || l3 + tot_len > size) {
            return OffloadError::kBadIpLength;
        }
        end = l3 + tot_len;
        l4 = l3 + hlen;
        proto = ip.proto;
        ipv4_ = true;
    } else if (eth_type == kEthTypeIpv6) {
        if (type == GsoType::kTcpv4) {
            return OffloadError::kIpVersionMismatch;
        }
        if (size < l3 + sizeof(Ipv6Header)) {
            return OffloadError::kIpv6Truncated;
        }
        Ipv6Header ip6;
        std::memcpy(&ip6, p + l3, sizeof ip6);
        if (ip6.version() != 6) {
            return OffloadError::kNotIp;
        }
        end = l3 + sizeof ip6 + ip6.payload_len.value();
        if (end > size) {
            return OffloadError::kBadIpLength;
        }
        /* Options headers are copied into every segment; anything else
         * between IPv6 and L4 (routing, fragments) is not segmented. */
        proto = ip6.next_header;
        l4 = l3 + sizeof ip6;
        while (proto == kIpProtoHopOpts || proto == kIpProtoDstOpts) {
            if (end < l4 + kIpv6ExtHeaderMinLen) {
                return OffloadError::kIpv6BadExt;
            }
            size_t len = (p[l4 + 1] + 1u) * 8u;
            if (end < l4 + len) {
                return OffloadError::kIpv6BadExt;
            }
            proto = p[l4];
            l4 += len;
        }
        ipv4_ = false;
    } else {
        return OffloadError::kNotIp;
    }

    tcp_ = type != GsoType::kUdpL4;
    if (tcp_) {
        if (proto != kIpProtoTcp) {
            return OffloadError::kL4Mismatch;
        }
        if (end < l4 + sizeof(TcpHeader)) {
            return OffloadError::kTcpTruncated;
        }
        size_t thlen = (p[l4 + 12] >> 4) * 4u;
        if (thlen < sizeof(TcpHeader) || end < l4 + thlen) {
            return OffloadError::kTcpTruncated;
        }
        hdr_len_ = l4 + thlen;
    } else {
        if (proto != kIpProtoUdp) {
            return OffloadError::kL4Mismatch;
        }
        if (end < l4 + sizeof(UdpHeader)) {
            return OffloadError::kUdpTruncated;
        }
        hdr_len_ = l4 + sizeof(UdpHeader);
    }

    l3_ = l3;
    l4_ = l4;
    end_ = end;
    gso_size_ = o.gso_size;
    size_t payload = end - hdr_len_;
    n_segments_ = payload == 0 ? 1 : (payload + gso_size_ - 1) / gso_size_;
    packet_ = &packet;
    return OffloadError::kNone;
}

OffloadError GsoSegmenter::next(DpPacket &out) noexcept
{
    if (!packet_ || next_ >= n_segments_) {
        return OffloadError::kNotGso;
    }
    size_t index = next_;
    size_t payload = end_ - hdr_len_;
    size_t seg_off = index * gso_size_;
    size_t seg_len = std::min(gso_size_, payload - seg_off);
    size_t len = hdr_len_ + seg_len;

    out.clear();
    if (!out.reserve(len)) {
        return OffloadError::kNoRoom;
    }
    const uint8_t *src = packet_->data();
    uint8_t *d = out.data();
    std::memcpy(d, src, hdr_len_);
    std::memcpy(d + hdr_len_, src + hdr_len_ + seg_off, seg_len);
    out.set_size(len);
    out.in_port = packet_->in_port;

    uint8_t proto = tcp_ ? kIpProtoTcp : kIpProtoUdp;
    size_t l4_len = len - l4_;
    uint32_t pseudo;
    if (ipv4_) {
        Ipv4Header ip;
        std::memcpy(&ip, d + l3_, sizeof ip);
        ip.tot_len = be16::from_host(uint16_t(len - l3_));
        ip.id = be16::from_host(uint16_t(ip.id.value() + index));
        ip.csum = ipv4_header_csum(ip, {d + l3_ + sizeof ip, ip.header_len() - sizeof ip});
        std::memcpy(d + l3_, &ip, sizeof ip);
        pseudo = csum_pseudo_ipv4(ip.src, ip.dst, proto, uint16_t(l4_len));
    } else {
        Ipv6Header ip6;
        std::memcpy(&ip6, d + l3_, sizeof ip6);
        ip6.payload_len = be16::from_host(uint16_t(len - l3_ - sizeof ip6));
        std::memcpy(d + l3_, &ip6, sizeof ip6);
        pseudo = csum_pseudo_ipv6(ip6.src, ip6.dst, proto, uint32_t(l4_len));
    }

    if (tcp_) {
        TcpHeader th;
        std::memcpy(&th, d + l4_, sizeof th);
        th.seq = be32::from_host(th.seq.value() + uint32_t(seg_off));
        uint16_t offset_flags = th.offset_flags.value();
        if (index + 1 < n_segments_) {
            offset_flags &= uint16_t(~(kTcpFin | kTcpPsh));
        }
        if (index > 0) {
            offset_flags &= uint16_t(~kTcpCwr);
        }
        th.offset_flags = be16::from_host(offset_flags);
        th.csum = be16();
        std::memcpy(d + l4_, &th, sizeof th);
        store_csum(d + l4_ + kTcpCsumOffset, csum_finish(csum_add(pseudo, {d + l4_, l4_len})));
    } else {
        UdpHeader uh;
        std::memcpy(&uh, d + l4_, sizeof uh);
        uh.len = be16::from_host(uint16_t(l4_len));
        uh.csum = be16();
        std::memcpy(d + l4_, &uh, sizeof uh);
        be16 csum = csum_finish(csum_add(pseudo, {d + l4_, l4_len}));
        if (csum.value() == 0) {
            csum = be16::from_host(0xffff);
        }
        store_csum(d + l4_ + kUdpCsumOffset, csum);
    }
    next_++;
    return OffloadError::kNone;
}

OffloadError gso_segment(const DpPacket &packet, std::span<DpPacket *const> out,
                         size_t *n_out) noexcept
{
    *n_out = 0;
    GsoSegmenter seg;
    OffloadError error = seg.start(packet);
    if (error != OffloadError::kNone) {
        return error;
    }
    while (seg.remaining()) {
        if (*n_out >= out.size()) {
            return OffloadError::kNoRoom;
        }
        error = seg.next(*out[*n_out]);
        if (error != OffloadError::kNone) {
            return error;
        }
        ++*n_out;
    }
    return OffloadError::kNone;
}

}  // namespace braid
