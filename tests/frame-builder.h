/* Helpers for tests that build frames header by header, and for handing
 * frames to the parsers under test in a way that AddressSanitizer checks.
 *
 * These are deliberately independent of lib/packet-compose (the composers
 * under test): headers are filled field by field here. */
#ifndef BRAID_TESTS_FRAME_BUILDER_H
#define BRAID_TESTS_FRAME_BUILDER_H 1

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <span>
#include <utility>
#include <string>
#include <vector>

#include "lib/flow.h"
#include "lib/packets.h"

namespace braid::test {

using Bytes = std::vector<uint8_t>;

/* ---- Putting bytes together ---------------------------------------------- */

/* Appends the bytes of 'hdr' (a wire struct) to 'out'. */
template <typename T>
inline void append(Bytes &out, const T &hdr)
{
    /* resize() and memcpy() rather than insert(), which trips a false
     * -Wstringop-overflow in GCC 12. */
    size_t old = out.size();
    out.resize(old + sizeof hdr);
    std::memcpy(out.data() + old, &hdr, sizeof hdr);
}

/* Appends 'bytes' to 'out'. */
inline void append(Bytes &out, std::span<const uint8_t> bytes)
{
    out.insert(out.end(), bytes.begin(), bytes.end());
}

/* Exact match for byte vectors, so that the template above never appends a
 * vector object's own bytes. */
inline void append(Bytes &out, const Bytes &bytes)
{
    out.insert(out.end(), bytes.begin(), bytes.end());
}

/* The bytes of 'v' (a wire struct), as they would be on the wire. */
template <typename T>
inline Bytes bytes_of(const T &v)
{
    Bytes out;
    append(out, v);
    return out;
}

/* 'frame' in lower-case hexadecimal, two digits per octet, as
 * netdev-dummy/receive takes it. */
inline std::string hex(const Bytes &frame)
{
    static const char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(frame.size() * 2);
    for (uint8_t b : frame) {
        s += kDigits[b >> 4];
        s += kDigits[b & 15];
    }
    return s;
}

/* 'parts' one after the other. */
inline Bytes concat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const Bytes &p : parts) {
        append(out, p);
    }
    return out;
}

/* The first 'n' bytes of 'b' (all of it if it is shorter). */
inline Bytes head(const Bytes &b, size_t n)
{
    return Bytes(b.begin(), b.begin() + std::min(n, b.size()));
}

/* ---- Addresses ----------------------------------------------------------- */

/* kMacA is the default source MAC of eth() and eth_vlans(), kMacB the
 * default destination. */
inline constexpr EthAddr kMacA{{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}};
inline constexpr EthAddr kMacB{{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}};

/* The IPv4 address a.b.c.d. */
inline be32 ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    return be32::from_host(uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | d);
}

/* The IPv6 address whose 16-bit groups are 'groups', in order (all eight
 * written out: there is no "::"). */
inline In6Addr ip6(std::initializer_list<uint16_t> groups)
{
    In6Addr a;
    size_t i = 0;
    for (uint16_t g : groups) {
        a.b[i++] = g >> 8;
        a.b[i++] = g & 0xff;
    }
    return a;
}

/* ---- L2 ------------------------------------------------------------------ */

/* An untagged Ethernet header with EtherType (or 802.3 length) 'type'. */
inline Bytes eth(uint16_t type, EthAddr dst = kMacB, EthAddr src = kMacA)
{
    Bytes out;
    append(out, EthHeader{dst, src, be16::from_host(type)});
    return out;
}

/* An Ethernet header with the given VLAN tags, outermost first, each a
 * {tpid, tci} pair, followed by 'type'. */
inline Bytes eth_vlans(std::initializer_list<std::pair<uint16_t, uint16_t>> tags,
                       uint16_t type, EthAddr dst = kMacB, EthAddr src = kMacA)
{
    Bytes out;
    append(out, dst);
    append(out, src);
    for (auto [tpid, tci] : tags) {
        append(out, be16::from_host(tpid));
        append(out, be16::from_host(tci));
    }
    append(out, be16::from_host(type));
    return out;
}

/* An Ethernet ARP header (without the Ethernet header) for operation 'op',
 * from 'sha'/'spa' to 'tha'/'tpa'. */
inline Bytes arp(uint16_t op, EthAddr sha = kMacA, be32 spa = ip4(192, 0, 2, 1),
                 EthAddr tha = kMacB, be32 tpa = ip4(192, 0, 2, 2))
{
    ArpHeader a{};
    a.htype = be16::from_host(kArpHtypeEthernet);
    a.ptype = be16::from_host(kEthTypeIpv4);
    a.hlen = 6;
    a.plen = 4;
    a.op = be16::from_host(op);
    a.sha = sha;
    a.spa = spa;
    a.tha = tha;
    a.tpa = tpa;
    return bytes_of(a);
}

/* ---- IPv4 and IPv6 ------------------------------------------------------- */

/* An IPv4 header (with 'options', a multiple of 4 bytes) whose total length
 * covers 'payload_len' bytes of payload.  TOS 0x2e, ID 0x1234, TTL 64; the
 * checksum is left zero. */
inline Bytes ipv4(uint8_t proto, size_t payload_len, be32 src = ip4(10, 0, 0, 1),
                  be32 dst = ip4(10, 0, 0, 2), uint16_t frag_off = 0,
                  const Bytes &options = {})
{
    Ipv4Header ip{};
    ip.version_ihl = 0x40 | ((20 + options.size()) / 4);
    ip.tos = 0x2e;
    ip.tot_len = be16::from_host(20 + options.size() + payload_len);
    ip.id = be16::from_host(0x1234);
    ip.frag_off = be16::from_host(frag_off);
    ip.ttl = 64;
    ip.proto = proto;
    ip.src = src;
    ip.dst = dst;
    Bytes out;
    append(out, ip);
    append(out, options);
    return out;
}

/* An IPv6 header carrying 'payload_len' bytes after it: traffic class
 * 0xb8, flow label 0x12345, hop limit 255. */
inline Bytes ipv6(uint8_t next, size_t payload_len,
                  In6Addr src = ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}),
                  In6Addr dst = ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2}))
{
    Ipv6Header ip{};
    ip.ver_tc_flow = be32::from_host(0x6 << 28 | 0xb8 << 20 | 0x12345);
    ip.payload_len = be16::from_host(payload_len);
    ip.next_header = next;
    ip.hop_limit = 255;
    ip.src = src;
    ip.dst = dst;
    return bytes_of(ip);
}

/* An Ethernet frame (kMacA to kMacB) carrying an IPv4 packet of protocol
 * 'proto' whose payload is 'l4'; see ipv4() for the other fields. */
inline Bytes ipv4_frame(uint8_t proto, const Bytes &l4, be32 src = ip4(10, 0, 0, 1),
                        be32 dst = ip4(10, 0, 0, 2), uint16_t frag_off = 0)
{
    return concat({eth(kEthTypeIpv4), ipv4(proto, l4.size(), src, dst, frag_off), l4});
}

/* An Ethernet frame (kMacA to kMacB) carrying an IPv6 packet whose first
 * next header is 'next' and whose payload is 'payload'; see ipv6(). */
inline Bytes ipv6_frame(uint8_t next, const Bytes &payload,
                        In6Addr src = ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}),
                        In6Addr dst = ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2}))
{
    return concat({eth(kEthTypeIpv6), ipv6(next, payload.size(), src, dst), payload});
}

/* A Hop-by-Hop, Routing or Destination Options header of 'len8' 8-octet
 * units after the first 8, its body filled with 'fill'. */
inline Bytes ext6(uint8_t next, uint8_t len8, uint8_t fill = 0)
{
    Bytes out(8 + 8 * len8, fill);
    out[0] = next;
    out[1] = len8;
    return out;
}

/* An Authentication Header whose length field is 'len' (so (len + 2) * 4
 * bytes long), its body filled with 'fill'. */
inline Bytes ah6(uint8_t next, uint8_t len, uint8_t fill = 0)
{
    Bytes out((len + 2) * 4, fill);
    out[0] = next;
    out[1] = len;
    return out;
}

/* An IPv6 Fragment header with 'offset_flags' (offset in 8-octet units in
 * the top 13 bits, kIpv6MoreFragments) and identification 'id'. */
inline Bytes frag6(uint8_t next, uint16_t offset_flags, uint32_t id = 99)
{
    Ipv6FragHeader f{};
    f.next_header = next;
    f.offset_flags = be16::from_host(offset_flags);
    f.id = be32::from_host(id);
    return bytes_of(f);
}

/* A GRE header with 'flags' (and version) and 'proto', followed by the
 * 32-bit optional fields given, in order. */
inline Bytes gre(uint16_t flags, uint16_t proto, const std::vector<uint32_t> &fields = {})
{
    Bytes out;
    append(out, GreHeader{be16::from_host(flags), be16::from_host(proto)});
    for (uint32_t f : fields) {
        append(out, be32::from_host(f));
    }
    return out;
}

/* ---- L4 ------------------------------------------------------------------ */

/* A TCP header with 'flags' and 'options' (a multiple of 4 bytes); window
 * 65535, sequence numbers and checksum zero. */
inline Bytes tcp(uint16_t src, uint16_t dst, uint16_t flags = kTcpSyn,
                 const Bytes &options = {})
{
    TcpHeader t{};
    t.src = be16::from_host(src);
    t.dst = be16::from_host(dst);
    t.offset_flags = be16::from_host(((20 + options.size()) / 4) << 12 | flags);
    t.window = be16::from_host(65535);
    Bytes out;
    append(out, t);
    append(out, options);
    return out;
}

/* A UDP header followed by 'payload_len' zero bytes of payload. */
inline Bytes udp(uint16_t src, uint16_t dst, size_t payload_len = 0)
{
    UdpHeader u{};
    u.src = be16::from_host(src);
    u.dst = be16::from_host(dst);
    u.len = be16::from_host(8 + payload_len);
    Bytes out;
    append(out, u);
    out.resize(out.size() + payload_len);
    return out;
}

/* An Ethernet frame from 'src' to 'dst' carrying a UDP datagram from
 * 10.0.0.1 port 'sport' to 10.0.0.2 port 'dport' with 8 bytes of zero
 * payload. */
inline Bytes udp_frame(EthAddr src, EthAddr dst, uint16_t sport, uint16_t dport)
{
    Bytes l4 = udp(sport, dport, 8);
    return concat({eth(kEthTypeIpv4, dst, src),
                   ipv4(kIpProtoUdp, l4.size(), ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)), l4});
}

/* An SCTP common header; verification tag and checksum zero. */
inline Bytes sctp(uint16_t src, uint16_t dst)
{
    SctpHeader h{};
    h.src = be16::from_host(src);
    h.dst = be16::from_host(dst);
    return bytes_of(h);
}

/* An ICMP header of 'type' and 'code' with the identifier and sequence
 * number of an echo message; checksum zero. */
inline Bytes icmp(uint8_t type, uint8_t code = 0, uint16_t id = 7, uint16_t seq = 1)
{
    IcmpHeader h{};
    h.type = type;
    h.code = code;
    h.id = be16::from_host(id);
    h.seq = be16::from_host(seq);
    return bytes_of(h);
}

/* An IGMPv1/v2 message of 'type' for 'group', maximum response time 100;
 * checksum zero. */
inline Bytes igmp(uint8_t type, be32 group)
{
    IgmpHeader h{};
    h.type = type;
    h.max_resp_time = 100;
    h.group = group;
    return bytes_of(h);
}

/* A Neighbor Solicitation or Advertisement ('type') for 'target' followed by
 * 'options'.  An advertisement has the Override flag set. */
inline Bytes nd(uint8_t type, const In6Addr &target, const Bytes &options)
{
    NdMessage m{};
    m.icmp6.type = type;
    m.flags = be32::from_host(type == kIcmp6NeighborAdvert ? kNdOverride : 0);
    m.target = target;
    Bytes out;
    append(out, m);
    append(out, options);
    return out;
}

/* A source or target ('type') link-layer address option carrying 'mac'. */
inline Bytes lla_option(uint8_t type, EthAddr mac)
{
    return bytes_of(NdLinkAddrOption{{type, 1}, mac});
}

/* ---- Slow Protocols ------------------------------------------------------ */

/* The Actor or Partner information of a LACPDU; reserved bytes zero. */
inline LacpInfo lacp_info(uint16_t sys_prio, EthAddr system, uint16_t key,
                          uint16_t port_prio, uint16_t port, uint8_t state)
{
    LacpInfo info{};
    info.system_priority = be16::from_host(sys_prio);
    info.system = system;
    info.key = be16::from_host(key);
    info.port_priority = be16::from_host(port_prio);
    info.port = be16::from_host(port);
    info.state = state;
    return info;
}

/* A Marker PDU with an Information TLV for the given requester fields; pad,
 * terminator and reserved bytes zero. */
inline MarkerPdu marker_info(uint16_t port, EthAddr system, uint32_t transaction_id)
{
    MarkerPdu m{};
    m.subtype = kSlowSubtypeMarker;
    m.version = kMarkerVersion;
    m.tlv_type = kMarkerTlvInformation;
    m.tlv_len = kMarkerInfoLen;
    m.requester_port = be16::from_host(port);
    m.requester_system = system;
    m.requester_transaction_id = be32::from_host(transaction_id);
    return m;
}

/* ---- Handing frames to parsers ------------------------------------------- */

/* A heap copy of some bytes in a buffer of exactly their size, so that
 * AddressSanitizer reports any read past their end.  (Empty input still gets
 * a one-byte buffer, so that the pointer is never null.) */
class ExactCopy {
public:
    explicit ExactCopy(std::span<const uint8_t> bytes)
        : data_(std::make_unique<uint8_t[]>(bytes.empty() ? 1 : bytes.size())),
          size_(bytes.size())
    {
        std::copy(bytes.begin(), bytes.end(), data_.get());
    }

    /* The copied bytes. */
    std::span<const uint8_t> span() const
    {
        return {data_.get(), size_};
    }

private:
    std::unique_ptr<uint8_t[]> data_;
    size_t size_;
};

/* Runs flow_extract() on an exact-size copy of 'frame' (see ExactCopy). */
inline FlowError extract_exact(const Bytes &frame, FlowKey &key, FlowLayout *layout = nullptr)
{
    ExactCopy copy(frame);
    return flow_extract(copy.span(), key, layout);
}

}  // namespace braid::test

#endif  // BRAID_TESTS_FRAME_BUILDER_H
