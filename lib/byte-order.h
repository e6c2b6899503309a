/* Strong big-endian ("network order") integer types for wire structures.
 *
 * A BigEndian<T> holds its value as bytes in network order, so:
 *
 *   - byte order never travels in a plain integer: converting to or from host
 *     order is always explicit (value(), BigEndian::from_host());
 *   - its alignment is 1, so header structs built from these types have no
 *     padding, need no [[gnu::packed]], and may sit at any offset inside a
 *     frame without misaligned accesses.
 *
 * Comparisons and bitwise operations work on the raw bytes and need no
 * conversion.  Everything is constexpr. */
#ifndef BRAID_LIB_BYTE_ORDER_H
#define BRAID_LIB_BYTE_ORDER_H 1

#include <array>
#include <bit>
#include <cstdint>
#include <type_traits>

namespace braid {

/* Swaps the bytes of 'v' when the host is little-endian. */
template <typename T>
constexpr T host_to_be(T v) noexcept
{
    static_assert(std::is_unsigned_v<T>);
    if constexpr (std::endian::native == std::endian::big || sizeof(T) == 1) {
        return v;
    } else if constexpr (sizeof(T) == 2) {
        return __builtin_bswap16(v);
    } else if constexpr (sizeof(T) == 4) {
        return __builtin_bswap32(v);
    } else {
        static_assert(sizeof(T) == 8);
        return __builtin_bswap64(v);
    }
}

template <typename T>
constexpr T be_to_host(T v) noexcept
{
    return host_to_be(v);
}

template <typename T>
class BigEndian {
    static_assert(std::is_unsigned_v<T> && sizeof(T) >= 2 && sizeof(T) <= 8);

public:
    using value_type = T;

    constexpr BigEndian() noexcept = default;

    /* Builds from a host-order value. */
    static constexpr BigEndian from_host(T host) noexcept
    {
        BigEndian be;
        be.bytes_ = std::bit_cast<Bytes>(host_to_be(host));
        return be;
    }

    /* Builds from the value as it lies in memory (already network order). */
    static constexpr BigEndian from_raw(T raw) noexcept
    {
        BigEndian be;
        be.bytes_ = std::bit_cast<Bytes>(raw);
        return be;
    }

    /* The value in host order. */
    constexpr T value() const noexcept
    {
        return be_to_host(std::bit_cast<T>(bytes_));
    }

    /* The value as it lies in memory, in network order. */
    constexpr T raw() const noexcept { return std::bit_cast<T>(bytes_); }

    constexpr const uint8_t *data() const noexcept { return bytes_.data(); }

    friend constexpr bool operator==(BigEndian, BigEndian) noexcept = default;

    friend constexpr BigEndian operator&(BigEndian a, BigEndian b) noexcept
    {
        return from_raw(a.raw() & b.raw());
    }
    friend constexpr BigEndian operator|(BigEndian a, BigEndian b) noexcept
    {
        return from_raw(a.raw() | b.raw());
    }
    friend constexpr BigEndian operator^(BigEndian a, BigEndian b) noexcept
    {
        return from_raw(a.raw() ^ b.raw());
    }
    constexpr BigEndian operator~() const noexcept { return from_raw(~raw()); }

private:
    using Bytes = std::array<uint8_t, sizeof(T)>;
    Bytes bytes_{};
};

using be16 = BigEndian<uint16_t>;
using be32 = BigEndian<uint32_t>;
using be64 = BigEndian<uint64_t>;

static_assert(sizeof(be16) == 2 && alignof(be16) == 1);
static_assert(sizeof(be32) == 4 && alignof(be32) == 1);
static_assert(sizeof(be64) == 8 && alignof(be64) == 1);
static_assert(std::is_trivially_copyable_v<be32>);
static_assert(std::is_standard_layout_v<be32>);

}  // namespace braid

#endif  // BRAID_LIB_BYTE_ORDER_H
