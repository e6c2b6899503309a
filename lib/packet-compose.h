/* Composers of whole Ethernet frames for the control plane.
 *
 * Each composer returns a complete, untagged Ethernet frame without FCS, as
 * a newly allocated byte vector: these frames are built at control-plane
 * rates (announcements, probes, LACP), never per forwarded packet.  Every
 * frame shorter than kEthMinFrameLen (60 bytes) is padded with zero bytes to
 * that length, after the end of the packet it carries; length fields (IPv4
 * total length, IPv6 payload length) never count the padding.  Every
 * checksum (IPv4 header, IGMP, ICMPv6) is filled in.
 *
 * Addresses are in network order (be32, In6Addr, EthAddr); other integer
 * parameters are host-order values. */
#ifndef BRAID_LIB_PACKET_COMPOSE_H
#define BRAID_LIB_PACKET_COMPOSE_H 1

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lib/packets.h"

namespace braid {

/* ---- Multicast addresses -------------------------------------------------- */

/* ff02::1, the IPv6 all-nodes link-local multicast address. */
inline constexpr In6Addr kIn6AddrAllNodes{
    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}};

/* 224.0.0.22, the address of all IGMPv3-capable multicast routers, to which
 * IGMPv3 reports are sent. */
inline constexpr be32 kIgmpv3ReportAddr = be32::from_host(0xe0000016);

/* The Ethernet address of IPv4 multicast group 'group' (RFC 1112 §6.4):
 * 01:00:5e followed by the low 23 bits of the group. */
EthAddr eth_addr_from_ipv4_multicast(be32 group) noexcept;

/* The Ethernet address of IPv6 multicast address 'addr' (RFC 2464 §7):
 * 33:33 followed by the last four octets of 'addr'. */
EthAddr eth_addr_from_ipv6_multicast(const In6Addr &addr) noexcept;

/* The solicited-node multicast address of 'addr' (RFC 4291 §2.7.1):
 * ff02::1:ff00:0 with the low 24 bits of 'addr'. */
In6Addr ipv6_solicited_node(const In6Addr &addr) noexcept;

/* ---- ARP and RARP ------------------------------------------------------- */

/* An ARP packet for Ethernet and IPv4 (RFC 826): Ethernet header from
 * 'eth_src' to 'eth_dst' with EtherType 0x0806, then hardware type 1,
 * protocol type 0x0800, lengths 6 and 4, opcode 'op' (kArpOpRequest,
 * kArpOpReply, ...), sender 'sha'/'spa' and target 'tha'/'tpa'.  60 bytes
 * (42 plus padding). */
std::vector<uint8_t> compose_arp(uint16_t op, EthAddr eth_src, EthAddr eth_dst, EthAddr sha,
                                 be32 spa, EthAddr tha, be32 tpa);

/* A gratuitous ARP announcing that 'ip' is at 'mac', as Linux bonding sends
 * on failover: a broadcast ARP request from 'mac' with sha = 'mac',
 * spa = tpa = 'ip' and tha = 00:00:00:00:00:00. */
std::vector<uint8_t> compose_gratuitous_arp(EthAddr mac, be32 ip);

/* A broadcast ARP request ("who has 'target_ip'?") from 'src_mac', as the
 * bonding ARP monitor sends: sha = 'src_mac', spa = 'src_ip' (which may be
 * 0.0.0.0, for a probe from a host without an address), tha = zero,
 * tpa = 'target_ip'. */
std::vector<uint8_t> compose_arp_request(EthAddr src_mac, be32 src_ip, be32 target_ip);

/* A RARP "request reverse" packet (RFC 903) that only serves to make
 * switches learn 'mac': broadcast from 'mac' with EtherType 0x8035, ARP
 * hardware type 1, protocol type 0x0800, opcode 3, sha = tha = 'mac' and
 * spa = tpa = 0.0.0.0.  60 bytes. */
std::vector<uint8_t> compose_rarp(EthAddr mac);

/* ---- IPv6 Neighbor Discovery -------------------------------------------- */

/* A Neighbor Solicitation (RFC 4861 §4.3) for 'target' from 'src_mac' and
 * 'src_ip', sent to the solicited-node multicast address of 'target' and its
 * Ethernet address 33:33:ff:XX:XX:XX.  IPv6 traffic class and flow label 0,
 * hop limit 255; ICMPv6 type 135, code 0, reserved field 0.  Unless 'src_ip'
 * is :: (Duplicate Address Detection, which forbids it), a source
 * link-layer address option carrying 'src_mac' follows.  86 bytes with the
 * option, 78 without. */
std::vector<uint8_t> compose_nd_ns(EthAddr src_mac, const In6Addr &src_ip,
                                   const In6Addr &target);

/* A Neighbor Advertisement (RFC 4861 §4.4) for 'target' from 'src_mac' and
 * 'src_ip' to 'dst_ip' and Ethernet address 'eth_dst', with the R/S/O flag
 * bits 'flags' (kNdRouter, kNdSolicited, kNdOverride; bits other than these
 * three are cleared) and a target link-layer address option carrying
 * 'src_mac'.  Hop limit 255, traffic class and flow label 0.  86 bytes. */
std::vector<uint8_t> compose_nd_na(EthAddr src_mac, EthAddr eth_dst, const In6Addr &src_ip,
                                   const In6Addr &target, uint32_t flags,
                                   const In6Addr &dst_ip);

/* Like the above, for a multicast 'dst_ip': the Ethernet destination is
 * eth_addr_from_ipv6_multicast('dst_ip'). */
std::vector<uint8_t> compose_nd_na(EthAddr src_mac, const In6Addr &src_ip,
                                   const In6Addr &target, uint32_t flags,
                                   const In6Addr &dst_ip);

/* An unsolicited Neighbor Advertisement announcing that 'ip' is at 'mac'
 * (RFC 4861 §7.2.6): from 'mac' and 'ip' to ff02::1 (33:33:00:00:00:01),
 * target 'ip', flags Override only, target link-layer address 'mac'. */
std::vector<uint8_t> compose_unsolicited_na(EthAddr mac, const In6Addr &ip);

/* ---- IGMP ------------------------------------------------------------------ */

/* The largest number of groups compose_igmpv3_report() puts in one report:
 * what fits in a 1500-byte IP packet with a 24-byte header, the 8-byte
 * report header and 8 bytes per record. */
inline constexpr size_t kIgmpv3ReportMaxGroups = (kEthPayloadMaxLen - 24 - 8) / 8;

/* An IGMPv2 Membership Report (RFC 2236) for 'group' from 'src_mac' and
 * 'src_ip', sent to 'group' and its Ethernet address.  The IPv4 header has
 * the Router Alert option (IHL 6), TOS 0xc0 (internetwork control, as Linux
 * sends), ID 0, Don't Fragment, TTL 1 and a valid checksum; the IGMP message
 * has type 0x16, max response time 0 and a valid checksum.  60 bytes (46
 * plus padding). */
std::vector<uint8_t> compose_igmpv2_report(EthAddr src_mac, be32 src_ip, be32 group);

/* An IGMPv3 Membership Report (RFC 3376 §4.2) from 'src_mac' and 'src_ip' to
 * 224.0.0.22 (Ethernet 01:00:5e:00:00:16) with one MODE_IS_EXCLUDE record
 * without sources (that is, "joined, any source") per entry of 'groups', in
 * order.  The IPv4 header is as for compose_igmpv2_report().  Returns an
 * empty vector if 'groups' has more than kIgmpv3ReportMaxGroups entries;
 * the caller splits such lists into several reports. */
std::vector<uint8_t> compose_igmpv3_report(EthAddr src_mac, be32 src_ip,
                                           std::span<const be32> groups);

/* ---- IEEE 802.1AX Slow Protocols ----------------------------------------- */

/* A version 1 LACPDU from 'src_mac' to the Slow Protocols address
 * 01:80:c2:00:00:02 with EtherType 0x8809: subtype 1, version 1, the Actor
 * and Partner Information TLVs (types 1 and 2, length 20) carrying 'actor'
 * and 'partner' byte for byte (their reserved octets included), the
 * Collector Information TLV (type 3, length 16) with 'collector_max_delay'
 * (tens of microseconds) and 12 zero octets, the Terminator TLV (0, 0) and
 * 50 zero octets.  124 bytes. */
std::vector<uint8_t> compose_lacpdu(EthAddr src_mac, const LacpInfo &actor,
                                    const LacpInfo &partner, uint16_t collector_max_delay);

/* The Marker Response PDU that answers the Marker PDU 'request', from
 * 'src_mac' to 01:80:c2:00:00:02 with EtherType 0x8809: subtype 2,
 * version 1, Marker Response TLV (type 2, length 16) carrying the requester
 * port, system and transaction ID of 'request', zero pad, the Terminator TLV
 * (0, 0) and 90 zero octets.  124 bytes.  Nothing else of 'request' is
 * used. */
std::vector<uint8_t> compose_marker_response(EthAddr src_mac, const MarkerPdu &request);

/* ---- VLAN tags ------------------------------------------------------------ */

/* Inserts a VLAN tag with TPID 'tpid' and TCI 'tci' (host order) right after
 * the MAC addresses of 'frame', so that it becomes the outermost tag; the
 * frame grows by 4 bytes.  Returns false, leaving 'frame' unchanged, if it is
 * shorter than an Ethernet header. */
bool push_vlan(std::vector<uint8_t> &frame, uint16_t tpid, uint16_t tci);

/* Removes the outermost VLAN tag of 'frame', if its EtherType field after the
 * MAC addresses holds a VLAN TPID (eth_type_is_vlan()) and the whole tag is
 * present; then pads the frame with zeros to kEthMinFrameLen if it has
 * become shorter.  Returns true if a tag was removed, false (leaving 'frame'
 * unchanged) otherwise. */
bool pop_vlan(std::vector<uint8_t> &frame);

}  // namespace braid

#endif  // BRAID_LIB_PACKET_COMPOSE_H
