/* The Internet checksum (RFC 1071).
 *
 * The checksum is the one's complement of the one's complement sum of the
 * data taken as 16-bit big-endian words.  It is computed in two steps:
 *
 *   - csum_add() and the pseudo-header helpers add data into an accumulator,
 *     a plain uint32_t that starts at 0 and holds a partial sum in host
 *     order (the numeric value of the big-endian words);
 *   - csum_finish() folds the accumulator to 16 bits and complements it,
 *     giving the value to store in a header's checksum field.
 *
 * Splitting rule: each csum_add() call takes its bytes as words starting at
 * its own first byte, and pads an odd last byte with a zero low-order byte.
 * Summing a buffer in several calls therefore gives the same result as one
 * call only if every piece except the last has an even length.  Callers must
 * split only at even offsets from the start of the checksummed data.
 *
 * A checksum is verified by summing the data including its checksum field:
 * the result is valid when csum_finish() of that sum is zero (csum_verify()).
 *
 * Note for UDP over IPv4: a computed checksum of zero is sent as 0xffff,
 * since zero there means "no checksum"; the caller does this. */
#ifndef BRAID_LIB_CSUM_H
#define BRAID_LIB_CSUM_H 1

#include <cstdint>
#include <span>

#include "lib/byte-order.h"
#include "lib/packets.h"

namespace braid {

/* Adds 'bytes' to the accumulator 'acc' and returns the new accumulator.
 * The bytes are taken as 16-bit big-endian words from 'bytes[0]'; an odd
 * last byte counts as the high byte of a word whose low byte is zero.  The
 * result never overflows, whatever the length of 'bytes' and the value of
 * 'acc' (carries are folded back into it). */
uint32_t csum_add(uint32_t acc, std::span<const uint8_t> bytes) noexcept;

/* Adds one 16-bit word, given in host order, to 'acc'. */
uint32_t csum_add16(uint32_t acc, uint16_t word) noexcept;

/* Adds a 16-bit or 32-bit network-order field (as it lies in a header) to
 * 'acc'. */
uint32_t csum_add_be16(uint32_t acc, be16 value) noexcept;
uint32_t csum_add_be32(uint32_t acc, be32 value) noexcept;

/* Folds 'acc' to 16 bits with end-around carries and returns its one's
 * complement in network order: the value for a header's checksum field. */
be16 csum_finish(uint32_t acc) noexcept;

/* Returns true if 'bytes', which include a checksum field, added to 'acc'
 * (e.g. a pseudo-header sum) have a correct Internet checksum, that is, if
 * their one's complement sum is 0xffff (negative zero). */
bool csum_verify(uint32_t acc, std::span<const uint8_t> bytes) noexcept;

/* Computes the header checksum of an IPv4 header whose fixed part is 'ip'
 * and whose options are 'options' (ip.header_len() - 20 bytes, normally).
 * The value of 'ip.csum' is ignored: it counts as zero. */
be16 ipv4_header_csum(const Ipv4Header &ip, std::span<const uint8_t> options) noexcept;

/* Returns the accumulator for the IPv4 pseudo-header that TCP and UDP
 * checksums cover (RFC 793, RFC 768): source and destination addresses, a
 * zero byte, the protocol 'proto', and 'len', the length of the TCP or UDP
 * header plus data in bytes. */
uint32_t csum_pseudo_ipv4(be32 src, be32 dst, uint8_t proto, uint16_t len) noexcept;

/* Returns the accumulator for the IPv6 pseudo-header that TCP, UDP and
 * ICMPv6 checksums cover (RFC 8200 §8.1): source and destination addresses,
 * the 32-bit upper-layer packet length 'len', three zero bytes and the
 * upper-layer protocol 'next_header'. */
uint32_t csum_pseudo_ipv6(const In6Addr &src, const In6Addr &dst, uint8_t next_header,
                          uint32_t len) noexcept;

}  // namespace braid

#endif  // BRAID_LIB_CSUM_H
