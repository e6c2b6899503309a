/* The flow-key extractor.
 *
 * The frame is consumed through a Cursor, a bounds-checked view whose every
 * read first checks the remaining length, so no path can read beyond the
 * frame.  Each layer either parses completely or returns the reason it could
 * not; the fields of earlier layers are kept. */
#include <config.h>

#include "lib/flow.h"

#include <fmt/format.h>

namespace braid {
namespace {

/* A read position inside a frame. */
class Cursor {
public:
    Cursor(const uint8_t *data, size_t size) noexcept : data_(data), size_(size) {}

    size_t remaining() const noexcept { return size_ - pos_; }
    size_t offset() const noexcept { return pos_; }

    /* Returns a pointer to a T at the current position and advances past it,
     * or null (without advancing) if fewer than sizeof(T) bytes remain.
     * Header types have alignment 1 (packets.h), so any offset is fine. */
    template <typename T>
    const T *pull() noexcept
    {
        static_assert(alignof(T) == 1);
        return static_cast<const T *>(pull_bytes(sizeof(T)));
    }

    /* Like pull(), but does not advance. */
    template <typename T>
    const T *peek() const noexcept
    {
        static_assert(alignof(T) == 1);
        return remaining() >= sizeof(T)
                   ? reinterpret_cast<const T *>(data_ + pos_)
                   : nullptr;
    }

    const void *pull_bytes(size_t n) noexcept
    {
        if (remaining() < n) {
            return nullptr;
        }
        const uint8_t *p = data_ + pos_;
        pos_ += n;
        return p;
    }

    /* Shrinks the view so that it ends 'n' bytes after the current position,
     * e.g. to drop Ethernet padding after an IP packet.  'n' must not exceed
     * remaining(). */
    void truncate(size_t n) noexcept { size_ = pos_ + n; }

private:
    const uint8_t *data_;
    size_t size_;
    size_t pos_ = 0;
};

/* Parses an 802.3 length field's LLC/SNAP header, returning the EtherType it
 * carries or kEthTypeNone. */
uint16_t parse_llc_snap(Cursor &c) noexcept
{
    const auto *llc = c.peek<LlcHeader>();
    if (!llc || llc->dsap != kLlcSapSnap || llc->ssap != kLlcSapSnap
        || llc->control != kLlcControlUi
        || c.remaining() < sizeof(LlcHeader) + sizeof(SnapHeader)) {
        return kEthTypeNone;
    }
    c.pull<LlcHeader>();
    const auto *snap = c.pull<SnapHeader>();
    if (snap->oui[0] || snap->oui[1] || snap->oui[2]
        || snap->type.value() < kEthTypeMin) {
        return kEthTypeNone;
    }
    return snap->type.value();
}

FlowError parse_arp(Cursor &c, FlowKey &key) noexcept
{
    const auto *arp = c.pull<ArpHeader>();
    if (!arp) {
        return FlowError::kArpTruncated;
    }
    /* Only ARP for Ethernet and IPv4 has fields a flow key can hold; other
     * kinds are valid frames with just the L2 fields. */
    if (arp->htype.value() == kArpHtypeEthernet
        && arp->ptype.value() == kEthTypeIpv4 && arp->hlen == 6
        && arp->plen == 4) {
        uint16_t op = arp->op.value();
        if (op <= 0xff) {
            key.nw_proto = op;
        }
        key.nw_src = arp->spa;
        key.nw_dst = arp->tpa;
        key.arp_sha = arp->sha;
        key.arp_tha = arp->tha;
    }
    return FlowError::kNone;
}

FlowError parse_tcp(Cursor &c, FlowKey &key) noexcept
{
    const auto *tcp = c.peek<TcpHeader>();
    if (!tcp) {
        return FlowError::kTcpTruncated;
    }
    unsigned offset = tcp->data_offset();
    if (offset < 5) {
        return FlowError::kTcpBadOffset;
    }
    if (c.remaining() < offset * 4u) {
        return FlowError::kTcpOptionsTruncated;
    }
    c.pull_bytes(offset * 4u);
    key.tp_src = tcp->src;
    key.tp_dst = tcp->dst;
    key.tcp_flags = be16::from_host(tcp->flags());
    return FlowError::kNone;
}

/* Parses the options of a Neighbor Solicitation or Advertisement. */
FlowError parse_nd_options(Cursor &c, FlowKey &key, uint8_t type) noexcept
{
    bool have_sll = false, have_tll = false;
    while (c.remaining() > 0) {
        const auto *opt = c.peek<NdOptionHeader>();
        if (!opt) {
            return FlowError::kNdOptionTruncated;
        }
        if (opt->len == 0) {
            return FlowError::kNdBadOption;
        }
        size_t len = opt->len * 8u;
        if (c.remaining() < len) {
            return FlowError::kNdOptionTruncated;
        }
        const auto *lla = reinterpret_cast<const NdLinkAddrOption *>(c.pull_bytes(len));
        if (opt->type == kNdOptSourceLinkAddr && len == 8) {
            /* RFC 4861 allows a source address only in a solicitation. */
            if (have_sll || type != kIcmp6NeighborSolicit) {
                return FlowError::kNdBadOption;
            }
            have_sll = true;
            key.arp_sha = lla->mac;
        } else if (opt->type == kNdOptTargetLinkAddr && len == 8) {
            if (have_tll || type != kIcmp6NeighborAdvert) {
                return FlowError::kNdBadOption;
            }
            have_tll = true;
            key.arp_tha = lla->mac;
        }
    }
    return FlowError::kNone;
}

FlowError parse_icmpv6(Cursor &c, FlowKey &key) noexcept
{
    const auto *icmp6 = c.peek<Icmp6Header>();
    if (!icmp6) {
        return FlowError::kIcmpv6Truncated;
    }
    key.tp_src = be16::from_host(icmp6->type);
    key.tp_dst = be16::from_host(icmp6->code);
    if ((icmp6->type != kIcmp6NeighborSolicit
         && icmp6->type != kIcmp6NeighborAdvert) || icmp6->code != 0) {
        c.pull<Icmp6Header>();
        return FlowError::kNone;
    }
    const auto *nd = c.pull<NdMessage>();
    if (!nd) {
        return FlowError::kNdTruncated;
    }
    key.nd_target = nd->target;
    FlowError error = parse_nd_options(c, key, icmp6->type);
    if (error != FlowError::kNone) {
        /* Keep the ICMPv6 type and code, drop the half-parsed ND fields. */
        key.nd_target = {};
        key.arp_sha = {};
        key.arp_tha = {};
    }
    return error;
}

/* Parses the L4 header of an unfragmented packet or first fragment. */
FlowError parse_l4(Cursor &c, FlowKey &key, FlowLayout &layout) noexcept
{
    layout.l4 = c.offset();
    switch (key.nw_proto) {
    case kIpProtoTcp:
        return parse_tcp(c, key);
    case kIpProtoUdp:
        if (const auto *udp = c.pull<UdpHeader>()) {
            key.tp_src = udp->src;
            key.tp_dst = udp->dst;
            return FlowError::kNone;
        }
        return FlowError::kUdpTruncated;
    case kIpProtoSctp:
        if (const auto *sctp = c.pull<SctpHeader>()) {
            key.tp_src = sctp->src;
            key.tp_dst = sctp->dst;
            return FlowError::kNone;
        }
        return FlowError::kSctpTruncated;
    case kIpProtoIcmp:
        if (key.dl_type.value() != kEthTypeIpv4) {
            break;
        }
        if (const auto *icmp = c.pull<IcmpHeader>()) {
            key.tp_src = be16::from_host(icmp->type);
            key.tp_dst = be16::from_host(icmp->code);
            return FlowError::kNone;
        }
        return FlowError::kIcmpTruncated;
    case kIpProtoIgmp:
        if (key.dl_type.value() != kEthTypeIpv4) {
            break;
        }
        if (const auto *igmp = c.pull<IgmpHeader>()) {
            key.tp_src = be16::from_host(igmp->type);
            key.tp_dst = be16::from_host(igmp->max_resp_time);
            key.igmp_group = igmp->group;
            return FlowError::kNone;
        }
        return FlowError::kIgmpTruncated;
    case kIpProtoIcmpv6:
        if (key.dl_type.value() != kEthTypeIpv6) {
            break;
        }
        return parse_icmpv6(c, key);
    default:
        break;
    }
    layout.l4 = FlowLayout::kNone;
    return FlowError::kNone;
}

FlowError parse_ipv4(Cursor &c, FlowKey &key, FlowLayout &layout) noexcept
{
    const auto *ip = c.peek<Ipv4Header>();
    if (!ip) {
        return FlowError::kIpv4Truncated;
    }
    if (ip->version() != 4) {
        return FlowError::kIpv4BadVersion;
    }
    size_t hlen = ip->header_len();
    if (hlen < kIpv4HeaderMinLen) {
        return FlowError::kIpv4BadHeaderLen;
    }
    if (c.remaining() < hlen) {
        return FlowError::kIpv4OptionsTruncated;
    }
    size_t tot_len = ip->tot_len.value();
    if (tot_len < hlen) {
        return FlowError::kIpv4BadTotalLen;
    }
    if (tot_len > c.remaining()) {
        return FlowError::kIpv4PayloadTruncated;
    }
    c.truncate(tot_len);        /* Drop Ethernet padding. */
    c.pull_bytes(hlen);
    layout.l4_end = c.offset() + (tot_len - hlen);

    key.nw_src = ip->src;
    key.nw_dst = ip->dst;
    key.nw_proto = ip->proto;
    key.nw_tos = ip->tos;
    key.nw_ttl = ip->ttl;
    uint16_t frag = ip->frag_off.value();
    if (frag & (kIpv4MoreFragments | kIpv4FragOffsetMask)) {
        key.nw_frag = kFlowFragAny;
        if (frag & kIpv4FragOffsetMask) {
            key.nw_frag |= kFlowFragLater;
            return FlowError::kNone;    /* No L4 header in a later fragment. */
        }
    }
    return parse_l4(c, key, layout);
}

FlowError parse_ipv6(Cursor &c, FlowKey &key, FlowLayout &layout) noexcept
{
    const auto *ip6 = c.peek<Ipv6Header>();
    if (!ip6) {
        return FlowError::kIpv6Truncated;
    }
    if (ip6->version() != 6) {
        return FlowError::kIpv6BadVersion;
    }
    c.pull<Ipv6Header>();
    size_t payload_len = ip6->payload_len.value();
    if (payload_len > c.remaining()) {
        return FlowError::kIpv6PayloadTruncated;
    }
    c.truncate(payload_len);
    layout.l4_end = c.offset() + payload_len;

    key.ipv6_src = ip6->src;
    key.ipv6_dst = ip6->dst;
    key.ipv6_label = be32::from_host(ip6->flow_label());
    key.nw_tos = ip6->traffic_class();
    key.nw_ttl = ip6->hop_limit;

    /* Walk the extension headers.  Each is at least 8 bytes long, so the
     * walk ends within the frame. */
    uint8_t next = ip6->next_header;
    for (;;) {
        if (next == kIpProtoHopOpts || next == kIpProtoRouting
            || next == kIpProtoDstOpts) {
            const auto *ext = c.peek<Ipv6ExtHeader>();
            if (!ext || c.remaining() < (ext->len + 1u) * 8u) {
                return FlowError::kIpv6ExtTruncated;
            }
            next = ext->next_header;
            c.pull_bytes((ext->len + 1u) * 8u);
        } else if (next == kIpProtoAh) {
            const auto *ext = c.peek<Ipv6ExtHeader>();
            if (!ext || c.remaining() < (ext->len + 2u) * 4u) {
                return FlowError::kIpv6ExtTruncated;
            }
            next = ext->next_header;
            c.pull_bytes((ext->len + 2u) * 4u);
        } else if (next == kIpProtoFragment) {
            const auto *frag = c.pull<Ipv6FragHeader>();
            if (!frag) {
                return FlowError::kIpv6ExtTruncated;
            }
            next = frag->next_header;
            uint16_t offset_flags = frag->offset_flags.value();
            /* An atomic fragment (offset 0, M clear) is not a fragment. */
            if (offset_flags & (kIpv6FragOffsetMask | kIpv6MoreFragments)) {
                key.nw_frag = kFlowFragAny;
                if (offset_flags & kIpv6FragOffsetMask) {
                    key.nw_frag |= kFlowFragLater;
                    key.nw_proto = next;
                    return FlowError::kNone;
                }
            }
        } else {
            break;
        }
    }
    key.nw_proto = next;
    return parse_l4(c, key, layout);
}

}  // namespace

const char *flow_error_to_string(FlowError error) noexcept
{
    switch (error) {
#define X(NAME, TEXT) \
    case FlowError::NAME: return TEXT;
        BRAID_FLOW_ERRORS
#undef X
    case FlowError::kCount:
        break;
    }
    return "unknown";
}

FlowError flow_extract(std::span<const uint8_t> frame, FlowKey &key,
                       FlowLayout *layout_out) noexcept
{
    uint32_t in_port = key.in_port;
    key = FlowKey{};
    key.in_port = in_port;

    FlowLayout scratch;
    FlowLayout &layout = layout_out ? *layout_out : scratch;
    layout = FlowLayout{};

    Cursor c(frame.data(), frame.size());
    const auto *eth = c.pull<EthHeader>();
    if (!eth) {
        return FlowError::kEthTruncated;
    }
    key.dl_dst = eth->dst;
    key.dl_src = eth->src;

    uint16_t type = eth->type.value();
    while (eth_type_is_vlan(type) && key.n_vlans < kFlowMaxVlans) {
        const auto *vlan = c.pull<VlanHeader>();
        if (!vlan) {
            return FlowError::kVlanTruncated;
        }
        key.vlans[key.n_vlans++] = {be16::from_host(type), vlan->tci};
        type = vlan->next_type.value();
    }
    if (type < kEthTypeMin) {
        type = parse_llc_snap(c);
    }
    key.dl_type = be16::from_host(type);

    switch (type) {
    case kEthTypeIpv4:
        layout.l3 = c.offset();
        return parse_ipv4(c, key, layout);
    case kEthTypeIpv6:
        layout.l3 = c.offset();
        return parse_ipv6(c, key, layout);
    case kEthTypeArp:
    case kEthTypeRarp:
        layout.l3 = c.offset();
        return parse_arp(c, key);
    default:
        return FlowError::kNone;
    }
}

std::string flow_to_string(const FlowKey &key)
{
    std::string s = fmt::format("in_port={},dl_src={},dl_dst={}", key.in_port,
                                key.dl_src.to_string(), key.dl_dst.to_string());
    for (int i = 0; i < key.n_vlans; i++) {
        s += fmt::format(",vlan{}=0x{:04x}/{}/{}", i, key.vlans[i].tpid.value(),
                         key.vlans[i].vid(),
                         vlan_tci_to_pcp(key.vlans[i].tci.value()));
    }
    uint16_t type = key.dl_type.value();
    s += fmt::format(",dl_type=0x{:04x}", type);
    if (type == kEthTypeIpv4 || type == kEthTypeArp || type == kEthTypeRarp) {
        s += fmt::format(",nw_src={},nw_dst={}", ipv4_to_string(key.nw_src),
                         ipv4_to_string(key.nw_dst));
    } else if (type == kEthTypeIpv6) {
        s += fmt::format(",ipv6_src={},ipv6_dst={},ipv6_label=0x{:05x}",
                         key.ipv6_src.to_string(), key.ipv6_dst.to_string(),
                         key.ipv6_label.value());
    } else {
        return s;
    }
    s += fmt::format(",nw_proto={}", key.nw_proto);
    if (type == kEthTypeArp || type == kEthTypeRarp) {
        return s + fmt::format(",arp_sha={},arp_tha={}", key.arp_sha.to_string(),
                               key.arp_tha.to_string());
    }
    s += fmt::format(",nw_tos={},nw_ttl={},nw_frag={}", key.nw_tos, key.nw_ttl,
                     (key.nw_frag & kFlowFragLater) ? "later"
                     : key.nw_frag ? "first" : "no");
    s += fmt::format(",tp_src={},tp_dst={}", key.tp_src.value(), key.tp_dst.value());
    if (key.nw_proto == kIpProtoTcp) {
        s += fmt::format(",tcp_flags=0x{:03x}", key.tcp_flags.value());
    }
    if (!key.nd_target.is_zero()) {
        s += fmt::format(",nd_target={}", key.nd_target.to_string());
    }
    if (!key.arp_sha.is_zero() || !key.arp_tha.is_zero()) {
        s += fmt::format(",nd_sll={},nd_tll={}", key.arp_sha.to_string(),
                         key.arp_tha.to_string());
    }
    if (key.igmp_group.raw()) {
        s += fmt::format(",igmp_group={}", ipv4_to_string(key.igmp_group));
    }
    return s;
}

}  // namespace braid
