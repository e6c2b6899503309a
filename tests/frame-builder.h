/* Helpers for tests that build frames header by header.
 *
 * These are deliberately independent of lib/packet-compose (the composers
 * under test): headers are filled field by field here. */
#ifndef BRAID_TESTS_FRAME_BUILDER_H
#define BRAID_TESTS_FRAME_BUILDER_H 1

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <span>
#include <vector>

#include "lib/packets.h"

namespace braid::test {

using Bytes = std::vector<uint8_t>;

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

inline Bytes concat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const Bytes &p : parts) {
        append(out, p);
    }
    return out;
}

inline Bytes head(const Bytes &b, size_t n)
{
    return Bytes(b.begin(), b.begin() + std::min(n, b.size()));
}

inline constexpr EthAddr kMacA{{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}};
inline constexpr EthAddr kMacB{{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}};

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

inline be32 ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    return be32::from_host(uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | d);
}

/* An IPv4 header (with 'options', a multiple of 4 bytes) whose total length
 * covers 'payload_len' bytes of payload.  The checksum is left zero. */
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

/* An IPv6 header carrying 'payload_len' bytes after it. */
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
    Bytes out;
    append(out, ip);
    return out;
}

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

}  // namespace braid::test

#endif  // BRAID_TESTS_FRAME_BUILDER_H
