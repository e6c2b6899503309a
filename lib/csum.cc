/* The Internet checksum.
 *
 * Words are summed into a 64-bit total, which cannot overflow for any buffer
 * that fits in memory, and folded back to 32 bits with end-around carries
 * before it is returned.  Since 2^32 and 2^16 are both 1 modulo 0xffff, the
 * folds keep the one's complement sum intact. */
#include <config.h>

#include "lib/csum.h"

#include <cstring>

namespace braid {
namespace {

/* Folds 'sum' into 32 bits with end-around carries. */
uint32_t fold32(uint64_t sum) noexcept
{
    while (sum >> 32) {
        sum = (sum & 0xffffffffu) + (sum >> 32);
    }
    return static_cast<uint32_t>(sum);
}

}  // namespace

uint32_t csum_add(uint32_t acc, std::span<const uint8_t> bytes) noexcept
{
    uint64_t sum = acc;
    const uint8_t *p = bytes.data();
    size_t n = bytes.size();
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        sum += uint32_t(p[i]) << 8 | p[i + 1];
    }
    if (i < n) {
        sum += uint32_t(p[i]) << 8;
    }
    return fold32(sum);
}

uint32_t csum_add16(uint32_t acc, uint16_t word) noexcept
{
    return fold32(uint64_t(acc) + word);
}

uint32_t csum_add_be16(uint32_t acc, be16 value) noexcept
{
    return csum_add16(acc, value.value());
}

uint32_t csum_add_be32(uint32_t acc, be32 value) noexcept
{
    uint32_t v = value.value();
    return fold32(uint64_t(acc) + (v >> 16) + (v & 0xffff));
}

be16 csum_finish(uint32_t acc) noexcept
{
    while (acc >> 16) {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    return be16::from_host(static_cast<uint16_t>(~acc & 0xffff));
}

bool csum_verify(uint32_t acc, std::span<const uint8_t> bytes) noexcept
{
    return csum_finish(csum_add(acc, bytes)).value() == 0;
}

be16 ipv4_header_csum(const Ipv4Header &ip, std::span<const uint8_t> options) noexcept
{
    Ipv4Header copy = ip;
    copy.csum = be16();
    uint8_t raw[sizeof copy];
    std::memcpy(raw, &copy, sizeof raw);
    return csum_finish(csum_add(csum_add(0, raw), options));
}

uint32_t csum_pseudo_ipv4(be32 src, be32 dst, uint8_t proto, uint16_t len) noexcept
{
    uint32_t acc = csum_add_be32(0, src);
    acc = csum_add_be32(acc, dst);
    acc = csum_add16(acc, proto);
    return csum_add16(acc, len);
}

uint32_t csum_pseudo_ipv6(const In6Addr &src, const In6Addr &dst, uint8_t next_header,
                          uint32_t len) noexcept
{
    uint32_t acc = csum_add(0, src.b);
    acc = csum_add(acc, dst.b);
    acc = csum_add_be32(acc, be32::from_host(len));
    return csum_add16(acc, next_header);
}

}  // namespace braid
