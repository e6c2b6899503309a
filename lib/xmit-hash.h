/* The transmit hash policies of the Linux bonding driver (xmit_hash_policy).
 *
 * balance-xor and 802.3ad bonds pick a member for each frame as
 * xmit_hash_member(hash, n_members), hash % n_members, where the hash is
 * computed by one of the policies below with the formulas of the Linux
 * bonding documentation:
 *
 *   layer2:      hash = src MAC[5] XOR dst MAC[5] XOR packet type ID
 *   layer2+3:    hash = layer2 hash XOR src IP XOR dst IP
 *                hash = hash XOR (hash >> 16); hash = hash XOR (hash >> 8)
 *   layer3+4:    hash = port word XOR src IP XOR dst IP
 *                hash = hash XOR (hash >> 16); hash = hash XOR (hash >> 8)
 *                hash = hash >> 1
 *   encap2+3, encap3+4: as layer2+3 and layer3+4, but with the IP addresses
 *                and ports of the innermost IP header (see xmit_hash_frame())
 *   vlan+srcmac: hash = VID XOR (src MAC octets 0-2) XOR (src MAC octets 3-5)
 *
 * Byte order.  Braid computes, on every host, the values the Linux driver
 * computes on a little-endian host, bit for bit:
 *
 *   - MAC[5] is the last octet of the address.
 *   - The packet type ID is the EtherType as a number (0x0800 for IPv4); for
 *     a VLAN-tagged frame it is the innermost EtherType, as on Linux with
 *     VLAN acceleration, where the tag is not in the frame.
 *   - An IPv4 address is its 4 octets in wire order loaded as a
 *     little-endian word: 10.0.0.1 is 0x0100000a.
 *   - An IPv6 address is first folded to 32 bits as the kernel's
 *     ipv6_addr_hash() does: the XOR of its four 32-bit words, each loaded
 *     like an IPv4 address.
 *   - The port word is the 4 octets of the source and destination ports in
 *     wire order loaded as a little-endian word: source port 0x1234 and
 *     destination port 0x5678 (octets 12 34 56 78) give 0x78563412.
 *   - vlan+srcmac reads the MAC octets as two 24-bit big-endian numbers
 *     (00:11:22:33:44:55 gives 0x001122 and 0x334455); the VID is that of
 *     the outermost VLAN tag, 0 for an untagged frame.
 *
 * Fallbacks.  layer2+3 and layer3+4 hash non-IP frames (including ARP) with
 * the layer2 formula.  layer3+4 uses the ports only for TCP and UDP packets
 * that are not fragments (neither first nor later fragments); for any other
 * IP packet the port word is 0. */
#ifndef BRAID_LIB_XMIT_HASH_H
#define BRAID_LIB_XMIT_HASH_H 1

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "lib/flow.h"

namespace braid {

/* A transmit hash policy.  The Linux numbers of the policies (as the
 * xmit_hash_policy module parameter accepts them) differ from the order
 * here: layer2 0, layer3+4 1, layer2+3 2, encap2+3 3, encap3+4 4,
 * vlan+srcmac 5. */
enum class XmitHashPolicy : uint8_t {
    kLayer2,        /* "layer2". */
    kLayer23,       /* "layer2+3". */
    kLayer34,       /* "layer3+4". */
    kEncap23,       /* "encap2+3". */
    kEncap34,       /* "encap3+4". */
    kVlanSrcMac,    /* "vlan+srcmac". */
};

/* Parses a policy from its Linux name ("layer2", "layer2+3", "layer3+4",
 * "encap2+3", "encap3+4", "vlan+srcmac") or its Linux number ("0" to "5").
 * Returns nullopt for anything else. */
std::optional<XmitHashPolicy> xmit_hash_policy_from_string(std::string_view s) noexcept;

/* The Linux name of 'policy', e.g. "layer2+3". */
const char *xmit_hash_policy_to_string(XmitHashPolicy policy) noexcept;

/* Hashes the frame whose fields are in 'key' with 'policy'.  The encap
 * policies have no inner headers to look at here and hash as layer2+3 and
 * layer3+4 do; use xmit_hash_frame() for them. */
uint32_t xmit_hash(XmitHashPolicy policy, const FlowKey &key) noexcept;

/* Hashes 'frame', whose fields flow_extract() put in 'outer', with 'policy'.
 *
 * For encap2+3 and encap3+4 the IP addresses and ports come from the
 * innermost IP header, found as the kernel's flow dissector finds it: by
 * following IPv4 or IPv6 carried in IPv4 or IPv6 (IP-in-IP), and GRE
 * version 0 (RFC 2784, with the checksum, key and sequence number fields of
 * RFC 2890) whose payload is IPv4, IPv6 or Transparent Ethernet Bridging,
 * in which case the inner Ethernet header and up to two VLAN tags are
 * skipped.  The walk stops at a fragment, at GRE with routing or another
 * version, and at any other payload, and uses the IP header it stopped at.
 * UDP tunnels (VXLAN, Geneve) are not followed.  The layer2 part of
 * encap2+3 comes from the outer Ethernet header.  No byte outside 'frame'
 * is read; if a header on the way is truncated or invalid, the outer fields
 * in 'outer' are used instead.
 *
 * For the other policies this returns xmit_hash(policy, outer). */
uint32_t xmit_hash_frame(XmitHashPolicy policy, std::span<const uint8_t> frame,
                         const FlowKey &outer) noexcept;

/* The index of the member, among 'n_members' eligible ones, that a frame
 * with transmit hash 'hash' goes to.  Returns 0 if 'n_members' is 0. */
inline unsigned xmit_hash_member(uint32_t hash, unsigned n_members) noexcept
{
    return n_members ? hash % n_members : 0;
}

}  // namespace braid

#endif  // BRAID_LIB_XMIT_HASH_H
