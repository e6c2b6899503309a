/* On-wire protocol headers and constants.
 *
 * Every header is a plain struct of byte-aligned members (uint8_t, EthAddr,
 * In6Addr and the BigEndian types of byte-order.h), so it has alignment 1, no
 * padding, and the exact size of the wire format, which a static_assert
 * checks for each.  A pointer to such a struct may therefore be laid over any
 * offset of a frame once the length has been checked. */
#ifndef BRAID_LIB_PACKETS_H
#define BRAID_LIB_PACKETS_H 1

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/byte-order.h"

namespace braid {

/* ---- Addresses ---------------------------------------------------------- */

/* A 48-bit Ethernet MAC address. */
struct EthAddr {
    std::array<uint8_t, 6> b{};

    constexpr bool is_zero() const noexcept
    {
        return (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0;
    }
    constexpr bool is_multicast() const noexcept { return b[0] & 1; }
    constexpr bool is_broadcast() const noexcept
    {
        return (b[0] & b[1] & b[2] & b[3] & b[4] & b[5]) == 0xff;
    }
    constexpr bool is_local() const noexcept { return b[0] & 2; }

    /* The address as a 48-bit integer, first octet most significant. */
    constexpr uint64_t to_u64() const noexcept
    {
        uint64_t v = 0;
        for (uint8_t octet : b) {
            v = (v << 8) | octet;
        }
        return v;
    }
    static constexpr EthAddr from_u64(uint64_t v) noexcept
    {
        EthAddr a;
        for (int i = 5; i >= 0; i--) {
            a.b[i] = v & 0xff;
            v >>= 8;
        }
        return a;
    }

    /* "aa:bb:cc:dd:ee:ff". */
    std::string to_string() const;

    /* Parses "aa:bb:cc:dd:ee:ff" (also accepts '-' separators). */
    static std::optional<EthAddr> parse(std::string_view s);

    friend constexpr auto operator<=>(const EthAddr &, const EthAddr &) = default;
};
static_assert(sizeof(EthAddr) == 6 && alignof(EthAddr) == 1);

inline constexpr EthAddr kEthAddrBroadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
/* The Slow Protocols multicast address (IEEE 802.3 Annex 57A), used by LACP
 * and the Marker protocol. */
inline constexpr EthAddr kEthAddrSlowProtocols{{0x01, 0x80, 0xc2, 0x00, 0x00, 0x02}};

/* A 128-bit IPv6 address in network order. */
struct In6Addr {
    std::array<uint8_t, 16> b{};

    constexpr bool is_zero() const noexcept
    {
        for (uint8_t octet : b) {
            if (octet) {
                return false;
            }
        }
        return true;
    }
    constexpr bool is_multicast() const noexcept { return b[0] == 0xff; }

    std::string to_string() const;
    static std::optional<In6Addr> parse(std::string_view s);

    friend constexpr auto operator<=>(const In6Addr &, const In6Addr &) = default;
};
static_assert(sizeof(In6Addr) == 16 && alignof(In6Addr) == 1);

/* Formats and parses dotted-quad IPv4 addresses held in network order. */
std::string ipv4_to_string(be32 addr);
std::optional<be32> ipv4_parse(std::string_view s);

/* ---- Ethernet and VLANs ------------------------------------------------- */

/* EtherType values.  Values below kEthTypeMin are 802.3 length fields. */
inline constexpr uint16_t kEthTypeMin = 0x0600;
inline constexpr uint16_t kEthTypeIpv4 = 0x0800;
inline constexpr uint16_t kEthTypeArp = 0x0806;
inline constexpr uint16_t kEthTypeTeb = 0x6558;    /* Transparent Ethernet Bridging. */
inline constexpr uint16_t kEthTypeRarp = 0x8035;
inline constexpr uint16_t kEthTypeVlan8021Q = 0x8100;
inline constexpr uint16_t kEthTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEthTypeSlow = 0x8809;   /* LACP and Marker. */
inline constexpr uint16_t kEthTypeMpls = 0x8847;
inline constexpr uint16_t kEthTypeMplsMcast = 0x8848;
inline constexpr uint16_t kEthTypeVlan8021AD = 0x88a8;
inline constexpr uint16_t kEthTypeLldp = 0x88cc;
inline constexpr uint16_t kEthTypeVlanQinQ9100 = 0x9100;  /* Pre-802.1ad QinQ. */
/* The EtherType a flow key reports for an 802.3 frame without a SNAP header. */
inline constexpr uint16_t kEthTypeNone = 0x05ff;

constexpr bool eth_type_is_vlan(uint16_t type) noexcept
{
    return type == kEthTypeVlan8021Q || type == kEthTypeVlan8021AD
           || type == kEthTypeVlanQinQ9100;
}

inline constexpr size_t kEthHeaderLen = 14;
inline constexpr size_t kEthMinFrameLen = 60;     /* Without the FCS. */
inline constexpr size_t kEthPayloadMaxLen = 1500;

struct EthHeader {
    EthAddr dst;
    EthAddr src;
    be16 type;
};
static_assert(sizeof(EthHeader) == kEthHeaderLen);

/* An 802.1Q or 802.1ad tag as it follows the TPID: the TCI, then the
 * EtherType (or TPID) of what comes next. */
struct VlanHeader {
    be16 tci;
    be16 next_type;
};
static_assert(sizeof(VlanHeader) == 4);

/* An Ethernet header with one 802.1Q tag. */
struct VlanEthHeader {
    EthAddr dst;
    EthAddr src;
    be16 tpid;
    be16 tci;
    be16 type;
};
static_assert(sizeof(VlanEthHeader) == 18);

/* An Ethernet header with two tags (802.1ad S-tag, then 802.1Q C-tag). */
struct QinQEthHeader {
    EthAddr dst;
    EthAddr src;
    be16 outer_tpid;
    be16 outer_tci;
    be16 inner_tpid;
    be16 inner_tci;
    be16 type;
};
static_assert(sizeof(QinQEthHeader) == 22);

inline constexpr uint16_t kVlanVidMask = 0x0fff;
inline constexpr uint16_t kVlanCfi = 0x1000;      /* DEI in 802.1ad. */
inline constexpr uint16_t kVlanPcpMask = 0xe000;
inline constexpr int kVlanPcpShift = 13;

constexpr uint16_t vlan_tci_to_vid(uint16_t tci) noexcept { return tci & kVlanVidMask; }
constexpr uint16_t vlan_tci_to_pcp(uint16_t tci) noexcept { return tci >> kVlanPcpShift; }

/* 802.2 LLC and SNAP headers, for 802.3 frames that carry an EtherType. */
struct LlcHeader {
    uint8_t dsap;
    uint8_t ssap;
    uint8_t control;
};
static_assert(sizeof(LlcHeader) == 3);

struct SnapHeader {
    std::array<uint8_t, 3> oui;
    be16 type;
};
static_assert(sizeof(SnapHeader) == 5);

inline constexpr uint8_t kLlcSapSnap = 0xaa;
inline constexpr uint8_t kLlcControlUi = 0x03;

/* ---- ARP / RARP ---------------------------------------------------------- */

inline constexpr uint16_t kArpHtypeEthernet = 1;
inline constexpr uint16_t kArpOpRequest = 1;
inline constexpr uint16_t kArpOpReply = 2;
inline constexpr uint16_t kArpOpRequestReverse = 3;   /* RARP request. */
inline constexpr uint16_t kArpOpReplyReverse = 4;     /* RARP reply. */

/* ARP for Ethernet and IPv4 (RFC 826); RARP (RFC 903) has the same layout. */
struct ArpHeader {
    be16 htype;
    be16 ptype;
    uint8_t hlen;
    uint8_t plen;
    be16 op;
    EthAddr sha;
    be32 spa;
    EthAddr tha;
    be32 tpa;
};
static_assert(sizeof(ArpHeader) == 28);

/* ---- IPv4 ---------------------------------------------------------------- */

inline constexpr uint8_t kIpProtoHopOpts = 0;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoIgmp = 2;
inline constexpr uint8_t kIpProtoIpip = 4;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIpv6 = 41;
inline constexpr uint8_t kIpProtoRouting = 43;
inline constexpr uint8_t kIpProtoFragment = 44;
inline constexpr uint8_t kIpProtoGre = 47;
inline constexpr uint8_t kIpProtoEsp = 50;
inline constexpr uint8_t kIpProtoAh = 51;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kIpProtoNone = 59;
inline constexpr uint8_t kIpProtoDstOpts = 60;
inline constexpr uint8_t kIpProtoSctp = 132;

struct Ipv4Header {
    uint8_t version_ihl;    /* Version (4 bits), header length in words (4 bits). */
    uint8_t tos;            /* DSCP (6 bits), ECN (2 bits). */
    be16 tot_len;
    be16 id;
    be16 frag_off;          /* Flags (3 bits), fragment offset in 8-octet units. */
    uint8_t ttl;
    uint8_t proto;
    be16 csum;
    be32 src;
    be32 dst;

    constexpr unsigned version() const noexcept { return version_ihl >> 4; }
    constexpr unsigned ihl() const noexcept { return version_ihl & 0x0f; }
    constexpr size_t header_len() const noexcept { return ihl() * 4u; }
};
static_assert(sizeof(Ipv4Header) == 20);

inline constexpr size_t kIpv4HeaderMinLen = 20;
inline constexpr uint16_t kIpv4DontFragment = 0x4000;
inline constexpr uint16_t kIpv4MoreFragments = 0x2000;
inline constexpr uint16_t kIpv4FragOffsetMask = 0x1fff;
/* The Router Alert option (RFC 2113), as IGMP reports carry it. */
inline constexpr std::array<uint8_t, 4> kIpv4OptRouterAlert{0x94, 0x04, 0x00, 0x00};

/* ---- IPv6 ---------------------------------------------------------------- */

struct Ipv6Header {
    be32 ver_tc_flow;       /* Version (4), traffic class (8), flow label (20). */
    be16 payload_len;
    uint8_t next_header;
    uint8_t hop_limit;
    In6Addr src;
    In6Addr dst;

    constexpr unsigned version() const noexcept { return ver_tc_flow.value() >> 28; }
    constexpr uint8_t traffic_class() const noexcept
    {
        return (ver_tc_flow.value() >> 20) & 0xff;
    }
    constexpr uint32_t flow_label() const noexcept
    {
        return ver_tc_flow.value() & 0xfffff;
    }
};
static_assert(sizeof(Ipv6Header) == 40);

/* The common start of the Hop-by-Hop, Routing and Destination Options
 * extension headers; 'len' counts 8-octet units after the first 8. */
struct Ipv6ExtHeader {
    uint8_t next_header;
    uint8_t len;
};
static_assert(sizeof(Ipv6ExtHeader) == 2);

inline constexpr size_t kIpv6ExtHeaderMinLen = 8;

struct Ipv6FragHeader {
    uint8_t next_header;
    uint8_t reserved;
    be16 offset_flags;      /* Offset in 8-octet units (13 bits), 2 reserved, M. */
    be32 id;
};
static_assert(sizeof(Ipv6FragHeader) == 8);

inline constexpr uint16_t kIpv6FragOffsetMask = 0xfff8;
inline constexpr uint16_t kIpv6MoreFragments = 0x0001;

/* The Authentication Header (RFC 4302); 'len' counts 4-octet units minus 2. */
struct Ipv6AuthHeader {
    uint8_t next_header;
    uint8_t len;
    be16 reserved;
    be32 spi;
    be32 seq;
};
static_assert(sizeof(Ipv6AuthHeader) == 12);

/* ---- Transport ----------------------------------------------------------- */

struct TcpHeader {
    be16 src;
    be16 dst;
    be32 seq;
    be32 ack;
    be16 offset_flags;      /* Data offset in words (4 bits), 3 reserved, flags (9). */
    be16 window;
    be16 csum;
    be16 urgent;

    constexpr unsigned data_offset() const noexcept { return offset_flags.value() >> 12; }
    constexpr uint16_t flags() const noexcept { return offset_flags.value() & 0x01ff; }
};
static_assert(sizeof(TcpHeader) == 20);

inline constexpr uint16_t kTcpFin = 0x001;
inline constexpr uint16_t kTcpSyn = 0x002;
inline constexpr uint16_t kTcpRst = 0x004;
inline constexpr uint16_t kTcpPsh = 0x008;
inline constexpr uint16_t kTcpAck = 0x010;
inline constexpr uint16_t kTcpUrg = 0x020;
inline constexpr uint16_t kTcpEce = 0x040;
inline constexpr uint16_t kTcpCwr = 0x080;
inline constexpr uint16_t kTcpNs = 0x100;

struct UdpHeader {
    be16 src;
    be16 dst;
    be16 len;
    be16 csum;
};
static_assert(sizeof(UdpHeader) == 8);

struct SctpHeader {
    be16 src;
    be16 dst;
    be32 vtag;
    be32 csum;
};
static_assert(sizeof(SctpHeader) == 12);

/* GRE (RFC 2784 with the key and sequence extensions of RFC 2890). */
struct GreHeader {
    be16 flags_version;
    be16 protocol;
};
static_assert(sizeof(GreHeader) == 4);

inline constexpr uint16_t kGreChecksumPresent = 0x8000;
inline constexpr uint16_t kGreRoutingPresent = 0x4000;
inline constexpr uint16_t kGreKeyPresent = 0x2000;
inline constexpr uint16_t kGreSeqPresent = 0x1000;
inline constexpr uint16_t kGreVersionMask = 0x0007;

/* ---- ICMP, ICMPv6 and Neighbor Discovery --------------------------------- */

struct IcmpHeader {
    uint8_t type;
    uint8_t code;
    be16 csum;
    be16 id;                /* Echo request/reply; other types use these */
    be16 seq;               /* four octets differently. */
};
static_assert(sizeof(IcmpHeader) == 8);

inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpEchoRequest = 8;

struct Icmp6Header {
    uint8_t type;
    uint8_t code;
    be16 csum;
};
static_assert(sizeof(Icmp6Header) == 4);

inline constexpr uint8_t kIcmp6EchoRequest = 128;
inline constexpr uint8_t kIcmp6EchoReply = 129;
inline constexpr uint8_t kIcmp6MldQuery = 130;
inline constexpr uint8_t kIcmp6MldReport = 131;
inline constexpr uint8_t kIcmp6MldDone = 132;
inline constexpr uint8_t kIcmp6RouterSolicit = 133;
inline constexpr uint8_t kIcmp6RouterAdvert = 134;
inline constexpr uint8_t kIcmp6NeighborSolicit = 135;
inline constexpr uint8_t kIcmp6NeighborAdvert = 136;
inline constexpr uint8_t kIcmp6MldV2Report = 143;

/* A Neighbor Solicitation or Advertisement (RFC 4861 §4.3, §4.4), without
 * options. */
struct NdMessage {
    Icmp6Header icmp6;
    be32 flags;             /* NA: Router, Solicited, Override; NS: reserved. */
    In6Addr target;
};
static_assert(sizeof(NdMessage) == 24);

inline constexpr uint32_t kNdRouter = 0x80000000;
inline constexpr uint32_t kNdSolicited = 0x40000000;
inline constexpr uint32_t kNdOverride = 0x20000000;

/* A Neighbor Discovery option header; 'len' counts 8-octet units and
 * includes the header. */
struct NdOptionHeader {
    uint8_t type;
    uint8_t len;
};
static_assert(sizeof(NdOptionHeader) == 2);

inline constexpr uint8_t kNdOptSourceLinkAddr = 1;
inline constexpr uint8_t kNdOptTargetLinkAddr = 2;

/* A source or target link-layer address option for Ethernet. */
struct NdLinkAddrOption {
    NdOptionHeader hdr;
    EthAddr mac;
};
static_assert(sizeof(NdLinkAddrOption) == 8);

/* ---- IGMP ---------------------------------------------------------------- */

inline constexpr uint8_t kIgmpMembershipQuery = 0x11;
inline constexpr uint8_t kIgmpV1MembershipReport = 0x12;
inline constexpr uint8_t kIgmpV2MembershipReport = 0x16;
inline constexpr uint8_t kIgmpV2LeaveGroup = 0x17;
inline constexpr uint8_t kIgmpV3MembershipReport = 0x22;

/* IGMPv1/v2 messages (RFC 2236) and the start of an IGMPv3 query. */
struct IgmpHeader {
    uint8_t type;
    uint8_t max_resp_time;
    be16 csum;
    be32 group;
};
static_assert(sizeof(IgmpHeader) == 8);

/* An IGMPv3 membership report (RFC 3376 §4.2), followed by its records. */
struct Igmpv3ReportHeader {
    uint8_t type;
    uint8_t reserved1;
    be16 csum;
    be16 reserved2;
    be16 n_records;
};
static_assert(sizeof(Igmpv3ReportHeader) == 8);

struct Igmpv3GroupRecord {
    uint8_t type;
    uint8_t aux_len;
    be16 n_sources;
    be32 group;
};
static_assert(sizeof(Igmpv3GroupRecord) == 8);

inline constexpr uint8_t kIgmpv3ModeIsExclude = 2;
inline constexpr uint8_t kIgmpv3ChangeToExclude = 4;

/* ---- IEEE 802.1AX Slow Protocols: LACP and Marker ------------------------ */

inline constexpr uint8_t kSlowSubtypeLacp = 0x01;
inline constexpr uint8_t kSlowSubtypeMarker = 0x02;

inline constexpr uint8_t kLacpVersion = 0x01;
inline constexpr uint8_t kLacpTlvTerminator = 0x00;
inline constexpr uint8_t kLacpTlvActor = 0x01;
inline constexpr uint8_t kLacpTlvPartner = 0x02;
inline constexpr uint8_t kLacpTlvCollector = 0x03;
inline constexpr uint8_t kLacpInfoLen = 20;       /* Actor/Partner TLV length. */
inline constexpr uint8_t kLacpCollectorLen = 16;

/* The Actor_State / Partner_State bits (802.1AX-2014 §6.4.2.3). */
inline constexpr uint8_t kLacpStateActivity = 0x01;
inline constexpr uint8_t kLacpStateTimeout = 0x02;      /* Set: short timeout. */
inline constexpr uint8_t kLacpStateAggregation = 0x04;
inline constexpr uint8_t kLacpStateSynchronization = 0x08;
inline constexpr uint8_t kLacpStateCollecting = 0x10;
inline constexpr uint8_t kLacpStateDistributing = 0x20;
inline constexpr uint8_t kLacpStateDefaulted = 0x40;
inline constexpr uint8_t kLacpStateExpired = 0x80;

/* The body of an Actor or Partner Information TLV, after type and length. */
struct LacpInfo {
    be16 system_priority;
    EthAddr system;
    be16 key;
    be16 port_priority;
    be16 port;
    uint8_t state;
    std::array<uint8_t, 3> reserved;
};
static_assert(sizeof(LacpInfo) == 18);

/* A LACPDU, version 1 (802.1AX-2014 §6.4.2.3); it follows an Ethernet header
 * with EtherType kEthTypeSlow. */
struct LacpPdu {
    uint8_t subtype;                /* kSlowSubtypeLacp. */
    uint8_t version;                /* kLacpVersion. */
    uint8_t actor_type;             /* kLacpTlvActor. */
    uint8_t actor_len;              /* kLacpInfoLen. */
    LacpInfo actor;
    uint8_t partner_type;           /* kLacpTlvPartner. */
    uint8_t partner_len;            /* kLacpInfoLen. */
    LacpInfo partner;
    uint8_t collector_type;         /* kLacpTlvCollector. */
    uint8_t collector_len;          /* kLacpCollectorLen. */
    be16 collector_max_delay;       /* In tens of microseconds. */
    std::array<uint8_t, 12> collector_reserved;
    uint8_t terminator_type;        /* kLacpTlvTerminator. */
    uint8_t terminator_len;         /* 0. */
    std::array<uint8_t, 50> reserved;
};
static_assert(sizeof(LacpPdu) == 110);

inline constexpr uint8_t kMarkerVersion = 0x01;
inline constexpr uint8_t kMarkerTlvInformation = 0x01;
inline constexpr uint8_t kMarkerTlvResponse = 0x02;
inline constexpr uint8_t kMarkerInfoLen = 16;

/* A Marker PDU or Marker Response PDU (802.1AX-2014 §6.5.3.3). */
struct MarkerPdu {
    uint8_t subtype;                /* kSlowSubtypeMarker. */
    uint8_t version;                /* kMarkerVersion. */
    uint8_t tlv_type;               /* Information or Response. */
    uint8_t tlv_len;                /* kMarkerInfoLen. */
    be16 requester_port;
    EthAddr requester_system;
    be32 requester_transaction_id;
    std::array<uint8_t, 2> pad;
    uint8_t terminator_type;
    uint8_t terminator_len;
    std::array<uint8_t, 90> reserved;
};
static_assert(sizeof(MarkerPdu) == 110);

}  // namespace braid

#endif  // BRAID_LIB_PACKETS_H
