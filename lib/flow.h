/* Flow keys and the flow-key extractor.
 *
 * A FlowKey holds the header fields of one frame that forwarding decisions,
 * hashing and flow caches use.  It is a fixed-size plain struct with no
 * implicit padding, zero-initialised, so two keys can be compared, hashed and
 * masked as raw 64-bit words.
 *
 * flow_extract() fills a FlowKey from a frame.  It never reads past the end
 * of the frame and never fails: a frame that is malformed or truncated at some
 * layer yields a key holding every field of the layers before it (the fields
 * of the bad layer and beyond stay zero) plus a FlowError saying what was
 * wrong, which callers count as a drop or an "invalid" reason. */
#ifndef BRAID_LIB_FLOW_H
#define BRAID_LIB_FLOW_H 1

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "lib/packets.h"

namespace braid {

/* A VLAN tag as carried in a flow key.  'tpid' is zero when there is no tag
 * at this position. */
struct FlowVlan {
    be16 tpid;
    be16 tci;

    constexpr bool present() const noexcept { return tpid.raw() != 0; }
    constexpr uint16_t vid() const noexcept { return vlan_tci_to_vid(tci.value()); }
    friend constexpr bool operator==(const FlowVlan &, const FlowVlan &) = default;
};
static_assert(sizeof(FlowVlan) == 4);

/* Values of FlowKey::nw_frag. */
inline constexpr uint8_t kFlowFragAny = 0x01;     /* Any fragment. */
inline constexpr uint8_t kFlowFragLater = 0x02;   /* Not the first fragment. */

inline constexpr int kFlowMaxVlans = 2;

struct FlowKey {
    /* Metadata, set by the caller (the datapath), not by flow_extract(). */
    uint32_t in_port;
    uint32_t metadata_pad;

    /* L2. */
    EthAddr dl_dst;
    EthAddr dl_src;
    be16 dl_type;           /* Innermost EtherType after the VLAN tags. */
    uint8_t n_vlans;        /* Tags parsed into 'vlans', 0..kFlowMaxVlans. */
    uint8_t l2_pad;
    FlowVlan vlans[kFlowMaxVlans];     /* Outermost first. */

    /* L3.  IPv4 and ARP use nw_src/nw_dst; IPv6 uses ipv6_src/ipv6_dst. */
    be32 nw_src;            /* IPv4 source, ARP sender protocol address. */
    be32 nw_dst;            /* IPv4 destination, ARP target protocol address. */
    In6Addr ipv6_src;
    In6Addr ipv6_dst;
    be32 ipv6_label;        /* Flow label (20 bits). */
    uint8_t nw_proto;       /* IP protocol; for ARP, the low byte of the opcode. */
    uint8_t nw_tos;         /* DSCP and ECN. */
    uint8_t nw_ttl;         /* TTL or hop limit. */
    uint8_t nw_frag;        /* kFlowFrag* bits. */

    /* ARP hardware addresses, or the ND link-layer address options. */
    EthAddr arp_sha;        /* ARP sender; ND source link-layer address. */
    EthAddr arp_tha;        /* ARP target; ND target link-layer address. */
    In6Addr nd_target;      /* ND target address. */
    be32 igmp_group;        /* IGMP group address. */

    /* L4.  TCP, UDP and SCTP ports; ICMP, ICMPv6 and IGMP type and code. */
    be16 tp_src;
    be16 tp_dst;
    be16 tcp_flags;         /* The 9 TCP flag bits. */
    uint8_t l4_pad[2];

    friend bool operator==(const FlowKey &, const FlowKey &) = default;
};
static_assert(sizeof(FlowKey) % 8 == 0, "FlowKey is hashed and masked as u64s");
static_assert(sizeof(FlowKey) == 120, "update the layout notes if this changes");
static_assert(std::is_trivially_copyable_v<FlowKey>);

/* Offsets of the layers found in a frame, from its first byte. */
struct FlowLayout {
    static constexpr uint16_t kNone = UINT16_MAX;

    uint16_t l3 = kNone;    /* Start of the IPv4/IPv6/ARP header. */
    uint16_t l4 = kNone;    /* Start of the TCP/UDP/SCTP/ICMP/IGMP header. */
    uint16_t l4_end = kNone;   /* End of the L3 payload (IP length, no padding). */
};

/* Why a frame could not be parsed completely.  Truncated means the frame
 * ends inside that header; the others mean a header field is invalid. */
#define BRAID_FLOW_ERRORS                                               \
    X(kNone, "none")                                                    \
    X(kEthTruncated, "ethernet header truncated")                       \
    X(kVlanTruncated, "vlan tag truncated")                             \
    X(kArpTruncated, "arp header truncated")                            \
    X(kIpv4Truncated, "ipv4 header truncated")                          \
    X(kIpv4BadVersion, "ipv4 version is not 4")                         \
    X(kIpv4BadHeaderLen, "ipv4 header length below 20")                 \
    X(kIpv4OptionsTruncated, "ipv4 options truncated")                  \
    X(kIpv4BadTotalLen, "ipv4 total length below header length")        \
    X(kIpv4PayloadTruncated, "ipv4 total length beyond frame")          \
    X(kIpv6Truncated, "ipv6 header truncated")                          \
    X(kIpv6BadVersion, "ipv6 version is not 6")                         \
    X(kIpv6PayloadTruncated, "ipv6 payload length beyond frame")        \
    X(kIpv6ExtTruncated, "ipv6 extension header truncated")             \
    X(kTcpTruncated, "tcp header truncated")                            \
    X(kTcpBadOffset, "tcp data offset below 5")                         \
    X(kTcpOptionsTruncated, "tcp options truncated")                    \
    X(kUdpTruncated, "udp header truncated")                            \
    X(kSctpTruncated, "sctp header truncated")                          \
    X(kIcmpTruncated, "icmp header truncated")                          \
    X(kIcmpv6Truncated, "icmpv6 header truncated")                      \
    X(kNdTruncated, "neighbor discovery message truncated")             \
    X(kNdOptionTruncated, "neighbor discovery option truncated")        \
    X(kNdBadOption, "neighbor discovery option invalid")                \
    X(kIgmpTruncated, "igmp header truncated")

enum class FlowError : uint8_t {
#define X(NAME, TEXT) NAME,
    BRAID_FLOW_ERRORS
#undef X
    kCount
};

/* A short lowercase description of 'error', e.g. "tcp header truncated". */
const char *flow_error_to_string(FlowError error) noexcept;

/* Extracts the header fields of 'frame' into 'key', which is zeroed first
 * except for the metadata (in_port).  If 'layout' is non-null, it receives
 * the offsets of the layers that were found.  Returns FlowError::kNone for a
 * frame that parsed completely. */
FlowError flow_extract(std::span<const uint8_t> frame, FlowKey &key,
                       FlowLayout *layout = nullptr) noexcept;

/* Describes 'key' in a compact one-line form for logs and tests, e.g.
 * "dl_src=..,dl_dst=..,dl_type=0x0800,nw_src=..,nw_proto=6,tp_src=..". */
std::string flow_to_string(const FlowKey &key);

}  // namespace braid

#endif  // BRAID_LIB_FLOW_H
