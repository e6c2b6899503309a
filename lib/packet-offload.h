/* Offloads done in software: segmentation of large TCP and UDP segments
 * ("GSO") and completion of partial L4 checksums, for output devices that
 * cannot do them (see Netdev::send()).
 *
 * Both work on a DpPacket whose 'offload' metadata (dp-packet.h) says what
 * is to be done, and never allocate, except that an output buffer may grow
 * once (DpPacket::reserve()).  They check every header they rely on against
 * the frame first: a frame that is truncated or malformed yields an
 * OffloadError, never a read or write outside the frame.
 *
 * Segmentation keeps the headers (Ethernet, any number of VLAN tags, IPv4
 * with options or IPv6 with hop-by-hop and destination options, TCP with
 * options or UDP) and gives each segment at most gso_size bytes of payload,
 * with:
 *   - IPv4: the total length of the segment and the identification of the
 *     large segment plus the segment's index; the header checksum;
 *   - IPv6: the payload length of the segment;
 *   - TCP: the sequence number advanced by the payload before it; FIN and
 *     PSH on the last segment only, CWR on the first only; the checksum;
 *   - UDP: the length and checksum of each datagram.
 * Every segment's checksums are complete and its offload metadata is
 * cleared. */
#ifndef BRAID_LIB_PACKET_OFFLOAD_H
#define BRAID_LIB_PACKET_OFFLOAD_H 1

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/dp-packet.h"

namespace braid {

/* Why an offload could not be done. */
#define BRAID_OFFLOAD_ERRORS                                                \
    X(kNone, "none")                                                        \
    X(kNotGso, "not a gso packet")                                          \
    X(kBadGsoType, "unsupported gso type")                                  \
    X(kBadGsoSize, "gso size is zero")                                      \
    X(kEthTruncated, "ethernet header truncated")                           \
    X(kNotIp, "not an ip packet")                                           \
    X(kIpVersionMismatch, "gso type does not match the ip version")         \
    X(kIpv4Truncated, "ipv4 header truncated")                              \
    X(kIpv4BadHeader, "ipv4 version or header length invalid")             \
    X(kIpv4Fragment, "ipv4 packet is a fragment")                           \
    X(kIpv6Truncated, "ipv6 header truncated")                              \
    X(kIpv6BadExt, "ipv6 extension header truncated or unsupported")        \
    X(kBadIpLength, "ip length disagrees with the frame")                   \
    X(kL4Mismatch, "transport protocol does not match the gso type")        \
    X(kTcpTruncated, "tcp header truncated or invalid")                     \
    X(kUdpTruncated, "udp header truncated")                                \
    X(kBadCsumOffsets, "checksum offsets outside the frame")                \
    X(kNoRoom, "no buffer for a segment")

enum class OffloadError : uint8_t {
#define X(NAME, TEXT) NAME,
    BRAID_OFFLOAD_ERRORS
#undef X
    kCount
};

/* A short lowercase description of 'error', e.g. "ipv4 header truncated". */
const char *offload_error_to_string(OffloadError error) noexcept;

/* Completes the L4 checksum of 'packet' in place if its offload metadata
 * has kNeedsCsum: sums the bytes from csum_start to the end of the frame
 * (the checksum field holds the pseudo-header sum), stores the result at
 * csum_start + csum_offset (0 is stored as 0xffff, as UDP needs), and
 * replaces kNeedsCsum by kDataValid.  Without kNeedsCsum, does nothing.
 * Fails with kBadCsumOffsets, changing nothing, if the checksum field is
 * not inside the frame. */
OffloadError packet_complete_csum(DpPacket &packet) noexcept;

/* Cuts one large segment into wire-size packets, one at a time:
 *
 *     GsoSegmenter seg;
 *     if (seg.start(packet) == OffloadError::kNone) {
 *         while (seg.remaining()) {
 *             seg.next(*buffer);      // the next segment, into 'buffer'
 *         }
 *     }
 *
 * The packet must stay unchanged until the last segment is made. */
class GsoSegmenter {
public:
    /* Parses the headers of 'packet', whose offload metadata must ask for
     * segmentation (kTcpv4, kTcpv6 or kUdpL4 with a non-zero gso_size).
     * On success there is at least one segment to make (a payload no
     * larger than gso_size, even an empty one, gives one). */
    OffloadError start(const DpPacket &packet) noexcept;

    /* How many segments the packet gives, and how many are left. */
    size_t n_segments() const noexcept { return n_segments_; }
    size_t remaining() const noexcept { return n_segments_ - next_; }

    /* Writes the next segment into 'out' (replacing what it held; its
     * in_port is the packet's).  Fails with kNoRoom if 'out' cannot hold
     * it, and kNotGso if no segment is left or start() failed. */
    OffloadError next(DpPacket &out) noexcept;

private:
    const DpPacket *packet_ = nullptr;
    size_t n_segments_ = 0;
    size_t next_ = 0;
    size_t l3_ = 0;             /* Offset of the IP header. */
    size_t l4_ = 0;             /* Offset of the TCP or UDP header. */
    size_t hdr_len_ = 0;        /* Offset of the payload. */
    size_t end_ = 0;            /* End of the IP packet (no padding). */
    size_t gso_size_ = 0;
    bool ipv4_ = false;
    bool tcp_ = false;
};

/* Segments 'packet' into out[0], out[1], ... (see GsoSegmenter) and sets
 * '*n_out' to the number of segments made.  Fails with kNoRoom, after
 * making as many as fit, if 'out' has fewer buffers than segments. */
OffloadError gso_segment(const DpPacket &packet, std::span<DpPacket *const> out,
                         size_t *n_out) noexcept;

}  // namespace braid

#endif  // BRAID_LIB_PACKET_OFFLOAD_H
