/* Fast non-cryptographic hashing for flow caches and bond buckets.
 *
 * The core is the 32-bit MurmurHash3 design (Austin Appleby, public domain):
 * each 32-bit input word is multiplied, rotated and multiplied again before
 * it is mixed into the running state, and a final avalanche step ("fmix")
 * makes every output bit depend on every input bit.  The implementation here
 * is Braid's own.
 *
 * hash_bytes() computes exactly MurmurHash3_x86_32 of its input with
 * 'basis' as the seed, reading the bytes as little-endian words on every
 * host, so its values are the published test vectors of that function.
 * hash_words64() and flow_hash() hash 64-bit words by value (low half
 * first), so on a little-endian host they equal hash_bytes() of the same
 * memory.
 *
 * Incremental use: start from a basis, call hash_add()/hash_add64() for each
 * word, then hash_finish() with the number of bytes that were added.  None of
 * these functions is suitable where an attacker must not find collisions. */
#ifndef BRAID_LIB_HASH_H
#define BRAID_LIB_HASH_H 1

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lib/flow.h"
#include "lib/packets.h"

namespace braid {

/* Rotates 'x' left by 'k' bits, 0 < k < 32. */
constexpr uint32_t hash_rotl(uint32_t x, int k) noexcept
{
    return (x << k) | (x >> (32 - k));
}

/* Scrambles one input word before it is folded into the state. */
constexpr uint32_t hash_scramble(uint32_t data) noexcept
{
    data *= 0xcc9e2d51u;
    data = hash_rotl(data, 15);
    return data * 0x1b873593u;
}

/* Mixes the 32-bit word 'data' into the running 'hash'. */
constexpr uint32_t hash_add(uint32_t hash, uint32_t data) noexcept
{
    hash ^= hash_scramble(data);
    hash = hash_rotl(hash, 13);
    return hash * 5 + 0xe6546b64u;
}

/* Mixes the 64-bit word 'data' into 'hash': its low 32 bits, then its high
 * 32 bits. */
constexpr uint32_t hash_add64(uint32_t hash, uint64_t data) noexcept
{
    return hash_add(hash_add(hash, static_cast<uint32_t>(data)),
                    static_cast<uint32_t>(data >> 32));
}

/* The final avalanche of a running 'hash' into which 'n_bytes' bytes were
 * mixed.  Every bit of the result depends on every bit of the input. */
constexpr uint32_t hash_finish(uint32_t hash, uint32_t n_bytes) noexcept
{
    hash ^= n_bytes;
    hash ^= hash >> 16;
    hash *= 0x85ebca6bu;
    hash ^= hash >> 13;
    hash *= 0xc2b2ae35u;
    hash ^= hash >> 16;
    return hash;
}

/* Hashes the 'n' bytes at 'p', which may have any alignment and length; no
 * byte beyond p[n - 1] is read.  Equals MurmurHash3_x86_32(p, n, basis). */
uint32_t hash_bytes(const void *p, size_t n, uint32_t basis) noexcept;

/* Hashes the values of the 'n_words' 64-bit words at 'p'. */
inline uint32_t hash_words64(const uint64_t *p, size_t n_words, uint32_t basis) noexcept
{
    uint32_t hash = basis;
    for (size_t i = 0; i < n_words; i++) {
        hash = hash_add64(hash, p[i]);
    }
    return hash_finish(hash, static_cast<uint32_t>(n_words * 8));
}

/* Hashes every byte of 'key' (as hash_words64() would hash the key's memory
 * seen as 64-bit words), for exact-match flow caches.  Two keys that compare
 * equal have the same hash. */
inline uint32_t flow_hash(const FlowKey &key, uint32_t basis) noexcept
{
    constexpr size_t kWords = sizeof(FlowKey) / sizeof(uint64_t);
    const auto *bytes = reinterpret_cast<const unsigned char *>(&key);
    uint32_t hash = basis;
    for (size_t i = 0; i < kWords; i++) {
        uint64_t word;
        std::memcpy(&word, bytes + i * sizeof word, sizeof word);
        hash = hash_add64(hash, word);
    }
    return hash_finish(hash, sizeof(FlowKey));
}

/* A hash of the connection 'key' belongs to that is the same for both of
 * its directions: swapping the source and destination MAC addresses, IP
 * addresses and L4 ports leaves it unchanged.  It covers the MAC addresses,
 * dl_type, the VLAN ids, for IPv4 and IPv6 the addresses and nw_proto, and
 * for TCP, UDP and SCTP (other than later fragments) the ports.  (The
 * datapath's balance-tcp uses bond_hash_symmetric_l34() of lib/dp-bond.h,
 * which hashes fewer fields at half the cost.) */
uint32_t flow_hash_symmetric_l4(const FlowKey &key, uint32_t basis) noexcept;

/* Hashes a MAC address and VLAN id.  (The datapath's balance-slb uses
 * bond_hash_mac() of lib/dp-bond.h, built to run per packet.) */
constexpr uint32_t hash_mac_vlan(EthAddr mac, uint16_t vid, uint32_t basis) noexcept
{
    uint64_t word = mac.to_u64() | static_cast<uint64_t>(vid) << 48;
    return hash_finish(hash_add64(basis, word), 8);
}

}  // namespace braid

#endif  // BRAID_LIB_HASH_H
