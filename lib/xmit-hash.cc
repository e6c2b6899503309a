/* The Linux bonding transmit hash policies (see xmit-hash.h).
 *
 * xmit_hash() reads everything from a flow key.  xmit_hash_frame() for the
 * encap policies walks the frame itself, through a bounds-checked reader, to
 * find the innermost IP header of IP-in-IP and GRE tunnels. */
#include <config.h>

#include "lib/xmit-hash.h"

#include <array>

namespace braid {
namespace {

/* The names of the policies, in enum order. */
constexpr std::array<const char *, 6> kPolicyNames{
    "layer2", "layer2+3", "layer3+4", "encap2+3", "encap3+4", "vlan+srcmac",
};

/* The policies in the order of their Linux numbers. */
constexpr std::array<XmitHashPolicy, 6> kPoliciesByLinuxNumber{
    XmitHashPolicy::kLayer2,  XmitHashPolicy::kLayer34, XmitHashPolicy::kLayer23,
    XmitHashPolicy::kEncap23, XmitHashPolicy::kEncap34, XmitHashPolicy::kVlanSrcMac,
};

/* The most IP headers the encap walk looks through; the innermost one it
 * reached is used if a frame nests deeper. */
constexpr int kMaxIpHeaders = 8;

/* The layer 3 and 4 inputs of the layer2+3 and layer3+4 formulas. */
struct L3Fields {
    uint32_t src = 0;       /* Source address, loaded or folded (xmit-hash.h). */
    uint32_t dst = 0;       /* Destination address, likewise. */
    uint32_t ports = 0;     /* The port word, 0 when ports are omitted. */
};

/* The 4 octets at 'p' loaded as a little-endian word. */
constexpr uint32_t load_le32(const uint8_t *p) noexcept
{
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16
           | uint32_t(p[3]) << 24;
}

/* The 2 octets at 'p' as a big-endian number. */
constexpr uint16_t load_be16(const uint8_t *p) noexcept
{
    return uint16_t(p[0] << 8 | p[1]);
}

/* Folds an IPv6 address to 32 bits like the kernel's ipv6_addr_hash(). */
uint32_t fold_in6(const In6Addr &addr) noexcept
{
    return load_le32(&addr.b[0]) ^ load_le32(&addr.b[4]) ^ load_le32(&addr.b[8])
           ^ load_le32(&addr.b[12]);
}

/* The port word of a source and a destination port in network order. */
uint32_t port_word(be16 src, be16 dst) noexcept
{
    const uint8_t bytes[4] = {src.data()[0], src.data()[1], dst.data()[0], dst.data()[1]};
    return load_le32(bytes);
}

/* Whether the ports of an IP packet with protocol 'proto' enter layer3+4. */
constexpr bool proto_has_ports(uint8_t proto) noexcept
{
    return proto == kIpProtoTcp || proto == kIpProtoUdp;
}

/* The layer2 formula. */
uint32_t layer2_hash(const FlowKey &key) noexcept
{
    return key.dl_src.b[5] ^ key.dl_dst.b[5] ^ key.dl_type.value();
}

/* The vlan+srcmac formula. */
uint32_t vlan_srcmac_hash(const FlowKey &key) noexcept
{
    const auto &mac = key.dl_src.b;
    uint32_t vendor = uint32_t(mac[0]) << 16 | uint32_t(mac[1]) << 8 | mac[2];
    uint32_t dev = uint32_t(mac[3]) << 16 | uint32_t(mac[4]) << 8 | mac[5];
    uint32_t vid = key.n_vlans > 0 ? key.vlans[0].vid() : 0;
    return vid ^ vendor ^ dev;
}

/* Fills 'f' from the L3 and L4 fields of 'key'.  Returns false if 'key' is
 * not IPv4 or IPv6. */
bool key_l3_fields(const FlowKey &key, L3Fields &f) noexcept
{
    uint16_t type = key.dl_type.value();
    if (type == kEthTypeIpv4) {
        f.src = load_le32(key.nw_src.data());
        f.dst = load_le32(key.nw_dst.data());
    } else if (type == kEthTypeIpv6) {
        f.src = fold_in6(key.ipv6_src);
        f.dst = fold_in6(key.ipv6_dst);
    } else {
        return false;
    }
    f.ports = proto_has_ports(key.nw_proto) && !key.nw_frag
                  ? port_word(key.tp_src, key.tp_dst)
                  : 0;
    return true;
}

/* The final steps of layer2+3 and encap2+3, with 'l2' the layer2 hash. */
uint32_t layer23_hash(uint32_t l2, const L3Fields &f) noexcept
{
    uint32_t hash = l2 ^ f.src ^ f.dst;
    hash ^= hash >> 16;
    hash ^= hash >> 8;
    return hash;
}

/* The final steps of layer3+4 and encap3+4. */
uint32_t layer34_hash(const L3Fields &f) noexcept
{
    uint32_t hash = f.ports ^ f.src ^ f.dst;
    hash ^= hash >> 16;
    hash ^= hash >> 8;
    return hash >> 1;
}

/* A bounds-checked view of part of a frame. */
class Reader {
public:
    explicit Reader(std::span<const uint8_t> frame) noexcept
        : data_(frame.data()), end_(frame.size())
    {
    }

    size_t remaining() const noexcept { return end_ - pos_; }

    /* A pointer to the next 'n' bytes, or null if fewer remain. */
    const uint8_t *peek(size_t n) const noexcept
    {
        return remaining() >= n ? data_ + pos_ : nullptr;
    }

    /* Advances past 'n' bytes, which must not exceed remaining(). */
    void skip(size_t n) noexcept { pos_ += n; }

    /* Makes the view end 'n' bytes after the current position; 'n' must not
     * exceed remaining(). */
    void truncate(size_t n) noexcept { end_ = pos_ + n; }

private:
    const uint8_t *data_;
    size_t end_;
    size_t pos_ = 0;
};

/* The result of parsing one IP header. */
struct IpInfo {
    L3Fields fields;        /* Addresses; 'ports' still 0. */
    uint8_t proto = 0;      /* What follows the header(s). */
    bool fragment = false;  /* First or later fragment. */
};

/* Parses the IPv4 header at 'r', leaving 'r' on its payload (limited to the
 * total length).  Returns false if it is truncated or invalid. */
bool parse_ipv4(Reader &r, IpInfo &info) noexcept
{
    const auto *ip = reinterpret_cast<const Ipv4Header *>(r.peek(sizeof(Ipv4Header)));
    if (!ip || ip->version() != 4 || ip->header_len() < kIpv4HeaderMinLen
        || ip->header_len() > r.remaining()) {
        return false;
    }
    size_t tot_len = ip->tot_len.value();
    if (tot_len < ip->header_len() || tot_len > r.remaining()) {
        return false;
    }
    info.fields.src = load_le32(ip->src.data());
    info.fields.dst = load_le32(ip->dst.data());
    info.proto = ip->proto;
    info.fragment = ip->frag_off.value() & (kIpv4MoreFragments | kIpv4FragOffsetMask);
    r.truncate(tot_len);
    r.skip(ip->header_len());
    return true;
}

/* Parses the IPv6 header at 'r' and its extension headers, leaving 'r' on
 * the upper-layer header (limited to the payload length).  Returns false if
 * anything is truncated or invalid. */
bool parse_ipv6(Reader &r, IpInfo &info) noexcept
{
    const auto *ip6 = reinterpret_cast<const Ipv6Header *>(r.peek(sizeof(Ipv6Header)));
    if (!ip6 || ip6->version() != 6) {
        return false;
    }
    r.skip(sizeof(Ipv6Header));
    size_t payload_len = ip6->payload_len.value();
    if (payload_len > r.remaining()) {
        return false;
    }
    r.truncate(payload_len);
    info.fields.src = fold_in6(ip6->src);
    info.fields.dst = fold_in6(ip6->dst);

    /* Extension headers, as flow_extract() walks them.  Each is at least 8
     * bytes long, so the loop ends. */
    uint8_t next = ip6->next_header;
    for (;;) {
        size_t len;
        if (next == kIpProtoHopOpts || next == kIpProtoRouting
            || next == kIpProtoDstOpts) {
            const uint8_t *ext = r.peek(sizeof(Ipv6ExtHeader));
            if (!ext) {
                return false;
            }
            len = (ext[1] + 1u) * 8u;
        } else if (next == kIpProtoAh) {
            const uint8_t *ext = r.peek(sizeof(Ipv6ExtHeader));
            if (!ext) {
                return false;
            }
            len = (ext[1] + 2u) * 4u;
        } else if (next == kIpProtoFragment) {
            const auto *frag =
                reinterpret_cast<const Ipv6FragHeader *>(r.peek(sizeof(Ipv6FragHeader)));
            if (!frag) {
                return false;
            }
            /* An atomic fragment (offset 0, M clear) is not a fragment. */
            if (frag->offset_flags.value() & (kIpv6FragOffsetMask | kIpv6MoreFragments)) {
                info.fragment = true;
            }
            len = sizeof(Ipv6FragHeader);
        } else {
            break;
        }
        const uint8_t *ext = r.peek(len);
        if (!ext) {
            return false;
        }
        next = ext[0];
        r.skip(len);
        if (info.fragment) {
            break;
        }
    }
    info.proto = next;
    return true;
}

/* Skips an Ethernet header and up to kFlowMaxVlans VLAN tags at 'r' and
 * sets 'type' to the EtherType or 802.3 length that follows.  Returns false
 * if the frame ends first. */
bool skip_ethernet(Reader &r, uint16_t &type) noexcept
{
    const uint8_t *eth = r.peek(sizeof(EthHeader));
    if (!eth) {
        return false;
    }
    type = load_be16(eth + 12);
    r.skip(sizeof(EthHeader));
    for (int i = 0; i < kFlowMaxVlans && eth_type_is_vlan(type); i++) {
        const uint8_t *tag = r.peek(sizeof(VlanHeader));
        if (!tag) {
            return false;
        }
        type = load_be16(tag + 2);
        r.skip(sizeof(VlanHeader));
    }
    return true;
}

/* How a GRE header ended the walk. */
enum class GreResult {
    kFollow,        /* 'type' is the payload's EtherType, 'r' is on it. */
    kStop,          /* Not a kind of GRE that is followed. */
    kBad,           /* Truncated. */
};

/* Parses the GRE header at 'r' and, for Transparent Ethernet Bridging, the
 * inner Ethernet header. */
GreResult parse_gre(Reader &r, uint16_t &type) noexcept
{
    const auto *gre = reinterpret_cast<const GreHeader *>(r.peek(sizeof(GreHeader)));
    if (!gre) {
        return GreResult::kBad;
    }
    uint16_t flags = gre->flags_version.value();
    if (flags & (kGreRoutingPresent | kGreVersionMask)) {
        return GreResult::kStop;
    }
    size_t len = sizeof(GreHeader);
    len += (flags & kGreChecksumPresent) ? 4 : 0;  /* Checksum and reserved. */
    len += (flags & kGreKeyPresent) ? 4 : 0;
    len += (flags & kGreSeqPresent) ? 4 : 0;
    if (!r.peek(len)) {
        return GreResult::kBad;
    }
    type = gre->protocol.value();
    r.skip(len);
    if (type == kEthTypeTeb && !skip_ethernet(r, type)) {
        return GreResult::kBad;
    }
    return GreResult::kFollow;
}

/* Finds the L3 fields of the innermost IP header of 'frame', whose first
 * IP header has EtherType 'outer_type' (from the flow key).  Returns nullopt if a
 * header on the way is truncated or invalid. */
std::optional<L3Fields> dissect_inner(std::span<const uint8_t> frame,
                                      uint16_t outer_type) noexcept
{
    Reader r(frame);
    uint16_t type;
    if (!skip_ethernet(r, type)) {
        return std::nullopt;
    }
    if (type < kEthTypeMin) {
        /* IP over LLC/SNAP with a zero OUI, which flow_extract() accepts. */
        const uint8_t *snap = r.peek(sizeof(LlcHeader) + sizeof(SnapHeader));
        if (!snap || snap[0] != kLlcSapSnap || snap[1] != kLlcSapSnap
            || snap[2] != kLlcControlUi || snap[3] || snap[4] || snap[5]) {
            return std::nullopt;
        }
        type = load_be16(snap + 6);
        r.skip(sizeof(LlcHeader) + sizeof(SnapHeader));
    }
    if (type != outer_type) {
        return std::nullopt;
    }

    IpInfo info;
    for (int depth = 0; depth < kMaxIpHeaders; depth++) {
        info = IpInfo{};
        if (!(type == kEthTypeIpv4 ? parse_ipv4(r, info) : parse_ipv6(r, info))) {
            return std::nullopt;
        }
        if (info.fragment) {
            return info.fields;
        }
        switch (info.proto) {
        case kIpProtoIpip:
            type = kEthTypeIpv4;
            break;
        case kIpProtoIpv6:
            type = kEthTypeIpv6;
            break;
        case kIpProtoGre:
            switch (parse_gre(r, type)) {
            case GreResult::kBad:
                return std::nullopt;
            case GreResult::kStop:
                return info.fields;
            case GreResult::kFollow:
                break;
            }
            if (type != kEthTypeIpv4 && type != kEthTypeIpv6) {
                return info.fields;
            }
            break;
        case kIpProtoTcp:
        case kIpProtoUdp:
            if (const uint8_t *ports = r.peek(4)) {
                info.fields.ports = load_le32(ports);
                return info.fields;
            }
            return std::nullopt;
        default:
            return info.fields;
        }
    }
    return info.fields;
}

}  // namespace

std::optional<XmitHashPolicy> xmit_hash_policy_from_string(std::string_view s) noexcept
{
    for (size_t i = 0; i < kPolicyNames.size(); i++) {
        if (s == kPolicyNames[i]) {
            return static_cast<XmitHashPolicy>(i);
        }
    }
    if (s.size() == 1 && s[0] >= '0' && s[0] < char('0' + kPoliciesByLinuxNumber.size())) {
        return kPoliciesByLinuxNumber[s[0] - '0'];
    }
    return std::nullopt;
}

const char *xmit_hash_policy_to_string(XmitHashPolicy policy) noexcept
{
    size_t i = static_cast<size_t>(policy);
    return i < kPolicyNames.size() ? kPolicyNames[i] : "unknown";
}

uint32_t xmit_hash(XmitHashPolicy policy, const FlowKey &key) noexcept
{
    L3Fields f;
    switch (policy) {
    case XmitHashPolicy::kLayer2:
        return layer2_hash(key);
    case XmitHashPolicy::kVlanSrcMac:
        return vlan_srcmac_hash(key);
    case XmitHashPolicy::kLayer23:
    case XmitHashPolicy::kEncap23:
        return key_l3_fields(key, f) ? layer23_hash(layer2_hash(key), f)
                                     : layer2_hash(key);
    case XmitHashPolicy::kLayer34:
    case XmitHashPolicy::kEncap34:
        return key_l3_fields(key, f) ? layer34_hash(f) : layer2_hash(key);
    }
    return layer2_hash(key);
}

uint32_t xmit_hash_frame(XmitHashPolicy policy, std::span<const uint8_t> frame,
                         const FlowKey &outer) noexcept
{
    if (policy != XmitHashPolicy::kEncap23 && policy != XmitHashPolicy::kEncap34) {
        return xmit_hash(policy, outer);
    }
    L3Fields f;
    if (!key_l3_fields(outer, f)) {
        return layer2_hash(outer);
    }
    if (std::optional<L3Fields> inner = dissect_inner(frame, outer.dl_type.value())) {
        f = *inner;
    }
    return policy == XmitHashPolicy::kEncap23 ? layer23_hash(layer2_hash(outer), f)
                                              : layer34_hash(f);
}

}  // namespace braid
