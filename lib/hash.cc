/* Byte-string and symmetric flow hashing (see hash.h). */
#include <config.h>

#include "lib/hash.h"

#include <bit>
#include <cstring>
#include <utility>

namespace braid {
namespace {

/* Loads 4 bytes at 'p' as a little-endian word, whatever the host order. */
inline uint32_t load_le32(const unsigned char *p) noexcept
{
    uint32_t word;
    std::memcpy(&word, p, sizeof word);
    if constexpr (std::endian::native == std::endian::big) {
        word = __builtin_bswap32(word);
    }
    return word;
}

/* The value of the 4 octets at 'p' read as a big-endian number. */
inline uint32_t load_be32(const uint8_t *p) noexcept
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

/* 'a' and 'b' in ascending order (by value: std::minmax() would return
 * references to temporaries). */
template <typename T>
constexpr std::pair<T, T> sorted(T a, T b) noexcept
{
    return a <= b ? std::pair{a, b} : std::pair{b, a};
}

/* Mixes the 16 octets of 'addr' into 'hash' as four words. */
uint32_t hash_add_in6(uint32_t hash, const In6Addr &addr) noexcept
{
    for (size_t i = 0; i < addr.b.size(); i += 4) {
        hash = hash_add(hash, load_be32(&addr.b[i]));
    }
    return hash;
}

/* The VLAN id of 'vlan' with a presence bit, so that a priority tag (VID 0)
 * differs from no tag. */
inline uint32_t vlan_word(const FlowVlan &vlan) noexcept
{
    return vlan.present() ? 0x10000u | vlan.vid() : 0;
}

}  // namespace

uint32_t hash_bytes(const void *p_, size_t n, uint32_t basis) noexcept
{
    const auto *p = static_cast<const unsigned char *>(p_);
    uint32_t hash = basis;

    size_t n_words = n / 4;
    for (size_t i = 0; i < n_words; i++) {
        hash = hash_add(hash, load_le32(p + i * 4));
    }

    /* The 1 to 3 trailing bytes form a little-endian partial word, which is
     * scrambled and folded in without the rotate-and-add step. */
    const unsigned char *tail = p + n_words * 4;
    uint32_t last = 0;
    switch (n & 3) {
    case 3:
        last |= uint32_t(tail[2]) << 16;
        [[fallthrough]];
    case 2:
        last |= uint32_t(tail[1]) << 8;
        [[fallthrough]];
    case 1:
        last |= tail[0];
        hash ^= hash_scramble(last);
        break;
    default:
        break;
    }

    /* MurmurHash3 folds in the length modulo 2**32. */
    return hash_finish(hash, static_cast<uint32_t>(n));
}

uint32_t flow_hash_symmetric_l4(const FlowKey &key, uint32_t basis) noexcept
{
    /* Each source/destination pair is hashed in sorted order, which makes
     * the result independent of the direction without the collisions that
     * XORing the two halves would cause. */
    uint32_t hash = basis;
    uint32_t n_bytes = 0;

    auto [mac_lo, mac_hi] = sorted(key.dl_src.to_u64(), key.dl_dst.to_u64());
    hash = hash_add64(hash, mac_lo);
    hash = hash_add64(hash, mac_hi);
    n_bytes += 16;

    uint16_t dl_type = key.dl_type.value();
    bool is_ip = dl_type == kEthTypeIpv4 || dl_type == kEthTypeIpv6;
    hash = hash_add(hash, uint32_t(dl_type) << 16 | (is_ip ? key.nw_proto : 0));
    hash = hash_add(hash, vlan_word(key.vlans[0]));
    hash = hash_add(hash, vlan_word(key.vlans[1]));
    n_bytes += 12;

    if (dl_type == kEthTypeIpv4) {
        auto [lo, hi] = sorted(key.nw_src.value(), key.nw_dst.value());
        hash = hash_add(hash, lo);
        hash = hash_add(hash, hi);
        n_bytes += 8;
    } else if (dl_type == kEthTypeIpv6) {
        bool src_first = key.ipv6_src <= key.ipv6_dst;
        hash = hash_add_in6(hash, src_first ? key.ipv6_src : key.ipv6_dst);
        hash = hash_add_in6(hash, src_first ? key.ipv6_dst : key.ipv6_src);
        n_bytes += 32;
    }

    if (is_ip && !(key.nw_frag & kFlowFragLater)
        && (key.nw_proto == kIpProtoTcp || key.nw_proto == kIpProtoUdp
            || key.nw_proto == kIpProtoSctp)) {
        auto [lo, hi] = sorted(key.tp_src.value(), key.tp_dst.value());
        hash = hash_add(hash, uint32_t(lo) << 16 | hi);
        n_bytes += 4;
    }
    return hash_finish(hash, n_bytes);
}

}  // namespace braid
