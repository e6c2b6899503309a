/* Composers of whole Ethernet frames.
 *
 * A frame is built by appending wire structs (packets.h) to a byte vector;
 * checksums are computed once the bytes they cover are in place and then
 * written over their zero placeholders. */
#include <config.h>

#include "lib/packet-compose.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <type_traits>
#include <utility>

#include "lib/csum.h"

namespace braid {
namespace {

using Frame = std::vector<uint8_t>;

/* Appends the bytes of the wire struct 'hdr' to 'frame' and returns the
 * offset at which they start. */
template <typename T>
size_t append(Frame &frame, const T &hdr)
{
    static_assert(alignof(T) == 1 && std::is_trivially_copyable_v<T>);
    size_t offset = frame.size();
    frame.resize(offset + sizeof hdr);
    std::memcpy(frame.data() + offset, &hdr, sizeof hdr);
    return offset;
}

void append_bytes(Frame &frame, std::span<const uint8_t> bytes)
{
    frame.insert(frame.end(), bytes.begin(), bytes.end());
}

/* Overwrites the 16-bit field at 'offset' of 'frame' with 'value'. */
void put_be16(Frame &frame, size_t offset, be16 value)
{
    std::memcpy(frame.data() + offset, &value, sizeof value);
}

/* Starts a frame with an untagged Ethernet header; 'reserve' is the expected
 * length of the rest, to allocate once. */
Frame start_frame(EthAddr dst, EthAddr src, uint16_t type, size_t reserve)
{
    Frame frame;
    frame.reserve(std::max(kEthMinFrameLen, kEthHeaderLen + reserve));
    append(frame, EthHeader{dst, src, be16::from_host(type)});
    return frame;
}

/* Pads 'frame' with zeros to the minimum Ethernet frame length. */
Frame finish_frame(Frame frame)
{
    if (frame.size() < kEthMinFrameLen) {
        frame.resize(kEthMinFrameLen, 0);
    }
    return frame;
}

/* Composes an ARP-format packet (ARP or RARP, per 'eth_type') for Ethernet
 * and IPv4. */
Frame compose_arp_like(uint16_t eth_type, uint16_t op, EthAddr eth_src, EthAddr eth_dst,
                       EthAddr sha, be32 spa, EthAddr tha, be32 tpa)
{
    Frame frame = start_frame(eth_dst, eth_src, eth_type, sizeof(ArpHeader));
    ArpHeader arp{};
    arp.htype = be16::from_host(kArpHtypeEthernet);
    arp.ptype = be16::from_host(kEthTypeIpv4);
    arp.hlen = sizeof(EthAddr);
    arp.plen = sizeof(be32);
    arp.op = be16::from_host(op);
    arp.sha = sha;
    arp.spa = spa;
    arp.tha = tha;
    arp.tpa = tpa;
    append(frame, arp);
    return finish_frame(std::move(frame));
}

/* Appends an IPv6 header and the ICMPv6 message 'icmp6' (whose checksum
 * field is zero) to 'frame', filling in the ICMPv6 checksum. */
void append_ipv6_icmp6(Frame &frame, const In6Addr &src, const In6Addr &dst,
                       std::span<const uint8_t> icmp6)
{
    Ipv6Header ip6{};
    ip6.ver_tc_flow = be32::from_host(uint32_t(6) << 28);
    ip6.payload_len = be16::from_host(static_cast<uint16_t>(icmp6.size()));
    ip6.next_header = kIpProtoIcmpv6;
    ip6.hop_limit = 255;
    ip6.src = src;
    ip6.dst = dst;
    append(frame, ip6);

    size_t l4 = frame.size();
    append_bytes(frame, icmp6);
    uint32_t acc = csum_pseudo_ipv6(src, dst, kIpProtoIcmpv6, icmp6.size());
    acc = csum_add(acc, std::span<const uint8_t>(frame).subspan(l4));
    put_be16(frame, l4 + offsetof(Icmp6Header, csum), csum_finish(acc));
}

/* Appends an IPv4 header with the Router Alert option for an IGMP message of
 * 'igmp_len' bytes, as hosts send them. */
void append_igmp_ipv4(Frame &frame, be32 src, be32 dst, size_t igmp_len)
{
    constexpr size_t hlen = sizeof(Ipv4Header) + kIpv4OptRouterAlert.size();
    Ipv4Header ip{};
    ip.version_ihl = 0x40 | (hlen / 4);
    ip.tos = 0xc0;
    ip.tot_len = be16::from_host(static_cast<uint16_t>(hlen + igmp_len));
    ip.frag_off = be16::from_host(kIpv4DontFragment);
    ip.ttl = 1;
    ip.proto = kIpProtoIgmp;
    ip.src = src;
    ip.dst = dst;
    ip.csum = ipv4_header_csum(ip, kIpv4OptRouterAlert);
    append(frame, ip);
    append_bytes(frame, kIpv4OptRouterAlert);
}

/* Fills in the IGMP checksum of the message that starts at 'offset' and runs
 * to the end of 'frame'. */
void fill_igmp_csum(Frame &frame, size_t offset)
{
    be16 csum = csum_finish(csum_add(0, std::span<const uint8_t>(frame).subspan(offset)));
    put_be16(frame, offset + offsetof(IgmpHeader, csum), csum);
}

}  // namespace

EthAddr eth_addr_from_ipv4_multicast(be32 group) noexcept
{
    const uint8_t *g = group.data();
    return EthAddr{{0x01, 0x00, 0x5e, static_cast<uint8_t>(g[1] & 0x7f), g[2], g[3]}};
}

EthAddr eth_addr_from_ipv6_multicast(const In6Addr &addr) noexcept
{
    return EthAddr{{0x33, 0x33, addr.b[12], addr.b[13], addr.b[14], addr.b[15]}};
}

In6Addr ipv6_solicited_node(const In6Addr &addr) noexcept
{
    return In6Addr{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, addr.b[13],
                    addr.b[14], addr.b[15]}};
}

std::vector<uint8_t> compose_arp(uint16_t op, EthAddr eth_src, EthAddr eth_dst, EthAddr sha,
                                 be32 spa, EthAddr tha, be32 tpa)
{
    return compose_arp_like(kEthTypeArp, op, eth_src, eth_dst, sha, spa, tha, tpa);
}

std::vector<uint8_t> compose_gratuitous_arp(EthAddr mac, be32 ip)
{
    return compose_arp(kArpOpRequest, mac, kEthAddrBroadcast, mac, ip, EthAddr{}, ip);
}

std::vector<uint8_t> compose_arp_request(EthAddr src_mac, be32 src_ip, be32 target_ip)
{
    return compose_arp(kArpOpRequest, src_mac, kEthAddrBroadcast, src_mac, src_ip, EthAddr{},
                       target_ip);
}

std::vector<uint8_t> compose_rarp(EthAddr mac)
{
    return compose_arp_like(kEthTypeRarp, kArpOpRequestReverse, mac, kEthAddrBroadcast, mac,
                            be32(), mac, be32());
}

std::vector<uint8_t> compose_nd_ns(EthAddr src_mac, const In6Addr &src_ip,
                                   const In6Addr &target)
{
    In6Addr dst = ipv6_solicited_node(target);
    Frame icmp6;
    NdMessage ns{};
    ns.icmp6.type = kIcmp6NeighborSolicit;
    ns.target = target;
    append(icmp6, ns);
    if (!src_ip.is_zero()) {
        append(icmp6, NdLinkAddrOption{{kNdOptSourceLinkAddr, 1}, src_mac});
    }

    Frame frame = start_frame(eth_addr_from_ipv6_multicast(dst), src_mac, kEthTypeIpv6,
                              sizeof(Ipv6Header) + icmp6.size());
    append_ipv6_icmp6(frame, src_ip, dst, icmp6);
    return finish_frame(std::move(frame));
}

std::vector<uint8_t> compose_nd_na(EthAddr src_mac, EthAddr eth_dst, const In6Addr &src_ip,
                                   const In6Addr &target, uint32_t flags,
                                   const In6Addr &dst_ip)
{
    Frame icmp6;
    NdMessage na{};
    na.icmp6.type = kIcmp6NeighborAdvert;
    na.flags = be32::from_host(flags & (kNdRouter | kNdSolicited | kNdOverride));
    na.target = target;
    append(icmp6, na);
    append(icmp6, NdLinkAddrOption{{kNdOptTargetLinkAddr, 1}, src_mac});

    Frame frame = start_frame(eth_dst, src_mac, kEthTypeIpv6,
                              sizeof(Ipv6Header) + icmp6.size());
    append_ipv6_icmp6(frame, src_ip, dst_ip, icmp6);
    return finish_frame(std::move(frame));
}

std::vector<uint8_t> compose_nd_na(EthAddr src_mac, const In6Addr &src_ip,
                                   const In6Addr &target, uint32_t flags,
                                   const In6Addr &dst_ip)
{
    return compose_nd_na(src_mac, eth_addr_from_ipv6_multicast(dst_ip), src_ip, target, flags,
                         dst_ip);
}

std::vector<uint8_t> compose_unsolicited_na(EthAddr mac, const In6Addr &ip)
{
    return compose_nd_na(mac, ip, ip, kNdOverride, kIn6AddrAllNodes);
}

std::vector<uint8_t> compose_igmpv2_report(EthAddr src_mac, be32 src_ip, be32 group)
{
    Frame frame = start_frame(eth_addr_from_ipv4_multicast(group), src_mac, kEthTypeIpv4,
                              24 + sizeof(IgmpHeader));
    append_igmp_ipv4(frame, src_ip, group, sizeof(IgmpHeader));
    IgmpHeader igmp{};
    igmp.type = kIgmpV2MembershipReport;
    igmp.group = group;
    fill_igmp_csum(frame, append(frame, igmp));
    return finish_frame(std::move(frame));
}

std::vector<uint8_t> compose_igmpv3_report(EthAddr src_mac, be32 src_ip,
                                           std::span<const be32> groups)
{
    if (groups.size() > kIgmpv3ReportMaxGroups) {
        return {};
    }
    size_t igmp_len = sizeof(Igmpv3ReportHeader) + groups.size() * sizeof(Igmpv3GroupRecord);
    Frame frame = start_frame(eth_addr_from_ipv4_multicast(kIgmpv3ReportAddr), src_mac,
                              kEthTypeIpv4, 24 + igmp_len);
    append_igmp_ipv4(frame, src_ip, kIgmpv3ReportAddr, igmp_len);
    Igmpv3ReportHeader report{};
    report.type = kIgmpV3MembershipReport;
    report.n_records = be16::from_host(static_cast<uint16_t>(groups.size()));
    size_t offset = append(frame, report);
    for (be32 group : groups) {
        Igmpv3GroupRecord record{};
        record.type = kIgmpv3ModeIsExclude;
        record.group = group;
        append(frame, record);
    }
    fill_igmp_csum(frame, offset);
    return finish_frame(std::move(frame));
}

std::vector<uint8_t> compose_lacpdu(EthAddr src_mac, const LacpInfo &actor,
                                    const LacpInfo &partner, uint16_t collector_max_delay)
{
    Frame frame = start_frame(kEthAddrSlowProtocols, src_mac, kEthTypeSlow, sizeof(LacpPdu));
    LacpPdu pdu{};
    pdu.subtype = kSlowSubtypeLacp;
    pdu.version = kLacpVersion;
    pdu.actor_type = kLacpTlvActor;
    pdu.actor_len = kLacpInfoLen;
    pdu.actor = actor;
    pdu.partner_type = kLacpTlvPartner;
    pdu.partner_len = kLacpInfoLen;
    pdu.partner = partner;
    pdu.collector_type = kLacpTlvCollector;
    pdu.collector_len = kLacpCollectorLen;
    pdu.collector_max_delay = be16::from_host(collector_max_delay);
    pdu.terminator_type = kLacpTlvTerminator;
    pdu.terminator_len = 0;
    append(frame, pdu);
    return finish_frame(std::move(frame));
}

std::vector<uint8_t> compose_marker_response(EthAddr src_mac, const MarkerPdu &request)
{
    Frame frame = start_frame(kEthAddrSlowProtocols, src_mac, kEthTypeSlow, sizeof(MarkerPdu));
    MarkerPdu pdu{};
    pdu.subtype = kSlowSubtypeMarker;
    pdu.version = kMarkerVersion;
    pdu.tlv_type = kMarkerTlvResponse;
    pdu.tlv_len = kMarkerInfoLen;
    pdu.requester_port = request.requester_port;
    pdu.requester_system = request.requester_system;
    pdu.requester_transaction_id = request.requester_transaction_id;
    pdu.terminator_type = 0;
    pdu.terminator_len = 0;
    append(frame, pdu);
    return finish_frame(std::move(frame));
}

bool push_vlan(std::vector<uint8_t> &frame, uint16_t tpid, uint16_t tci)
{
    if (frame.size() < kEthHeaderLen) {
        return false;
    }
    constexpr size_t at = 2 * sizeof(EthAddr);
    const uint8_t tag[4] = {static_cast<uint8_t>(tpid >> 8), static_cast<uint8_t>(tpid),
                            static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)};
    frame.insert(frame.begin() + at, std::begin(tag), std::end(tag));
    return true;
}

bool pop_vlan(std::vector<uint8_t> &frame)
{
    constexpr size_t at = 2 * sizeof(EthAddr);
    if (frame.size() < sizeof(VlanEthHeader)) {
        return false;
    }
    uint16_t type = uint16_t(frame[at]) << 8 | frame[at + 1];
    if (!eth_type_is_vlan(type)) {
        return false;
    }
    frame.erase(frame.begin() + at, frame.begin() + at + sizeof(VlanHeader));
    if (frame.size() < kEthMinFrameLen) {
        frame.resize(kEthMinFrameLen, 0);
    }
    return true;
}

}  // namespace braid
