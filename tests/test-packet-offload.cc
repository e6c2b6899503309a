/* Unit tests for software offloads (lib/packet-offload.cc), the offload
 * metadata of packet buffers (lib/dp-packet.h) and the virtio_net_hdr
 * translation (lib/vnet-header.cc).
 *
 * Checksums are checked with an independent reference sum written here
 * (RFC 1071, word by word), not only with lib/csum. */
#include <config.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "lib/csum.h"
#include "lib/dp-packet.h"
#include "lib/flow.h"
#include "lib/packet-offload.h"
#include "lib/vnet-header.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;

/* ---- Reference arithmetic ------------------------------------------------ */

/* The one's complement sum of 'bytes' as 16-bit big-endian words (an odd
 * last byte padded with zero), added to 'sum', not folded. */
uint64_t ref_sum(const uint8_t *bytes, size_t n, uint64_t sum = 0)
{
    for (size_t i = 0; i < n; i += 2) {
        sum += uint64_t(bytes[i]) << 8 | (i + 1 < n ? bytes[i + 1] : 0);
    }
    return sum;
}

/* Folds 'sum' to 16 bits. */
uint16_t ref_fold(uint64_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return uint16_t(sum);
}

uint16_t get16(const uint8_t *p)
{
    return uint16_t(p[0] << 8 | p[1]);
}

uint32_t get32(const uint8_t *p)
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

void put16(uint8_t *p, uint16_t v)
{
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}

void put32(uint8_t *p, uint32_t v)
{
    put16(p, uint16_t(v >> 16));
    put16(p + 2, uint16_t(v));
}

/* The pseudo-header sum (not folded) of an L4 packet of 'l4_len' bytes of
 * 'proto' in the IP packet at 'ip'. */
uint64_t ref_pseudo(const uint8_t *ip, uint8_t proto, size_t l4_len)
{
    if ((ip[0] >> 4) == 4) {
        return ref_sum(ip + 12, 8) + proto + l4_len;
    }
    return ref_sum(ip + 8, 32) + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

/* Whether the L4 checksum of the segment at 'l4' (with 'l4_len' bytes)
 * verifies: the sum of pseudo-header and segment, checksum field included,
 * is 0xffff. */
bool ref_l4_ok(const uint8_t *ip, const uint8_t *l4, uint8_t proto, size_t l4_len)
{
    return ref_fold(ref_pseudo(ip, proto, l4_len) + ref_sum(l4, l4_len)) == 0xffff;
}

/* ---- Building test packets ----------------------------------------------- */

/* 'n' payload bytes counting from 'seed'. */
Bytes pattern(size_t n, uint8_t seed = 1)
{
    Bytes b(n);
    for (size_t i = 0; i < n; i++) {
        b[i] = uint8_t(seed + i * 7 + (i >> 8));
    }
    return b;
}

/* A packet buffer holding exactly 'frame' (its capacity is the frame's
 * size, so AddressSanitizer catches a read past the end). */
std::unique_ptr<DpPacket> exact_packet(const Bytes &frame)
{
    auto p = std::make_unique<DpPacket>(frame.size());
    p->set_size(frame.size());
    if (!frame.empty()) {
        std::memcpy(p->data(), frame.data(), frame.size());
    }
    return p;
}

/* What a sender with checksum offload leaves in the L4 checksum field: the
 * folded pseudo-header sum, not complemented.  An IPv4 header gets its
 * checksum, as Linux fills it in. */
void put_partial_csum(Bytes &frame, size_t l3, size_t l4, uint8_t proto, size_t csum_field)
{
    if ((frame[l3] >> 4) == 4) {
        size_t ihl = (frame[l3] & 0x0f) * 4u;
        put16(frame.data() + l3 + 10, 0);
        put16(frame.data() + l3 + 10, uint16_t(~ref_fold(ref_sum(frame.data() + l3, ihl))));
    }
    uint16_t partial = ref_fold(ref_pseudo(frame.data() + l3, proto, frame.size() - l4));
    put16(frame.data() + csum_field, partial);
}

struct Gso {
    Bytes frame;
    size_t l3 = 0;
    size_t l4 = 0;
    size_t payload_off = 0;
    PacketOffload offload;
};

/* A large TCP segment as Linux hands it over: Ethernet (with 'vlans' tags),
 * IPv4 (with 'ip_options') or IPv6 (with a hop-by-hop header of
 * 'hbh_len8' extra units if 'hbh'), TCP with 'tcp_options' and 'flags',
 * sequence number 'seq', and 'payload'; checksum partial. */
Gso tcp_gso(bool ipv6, const Bytes &payload, uint16_t gso_size, uint16_t flags,
            uint32_t seq = 1000, size_t vlans = 0, const Bytes &ip_options = {},
            const Bytes &tcp_options = {}, bool hbh = false)
{
    Gso g;
    uint16_t type = ipv6 ? kEthTypeIpv6 : kEthTypeIpv4;
    if (vlans == 0) {
        g.frame = test::eth(type);
    } else if (vlans == 1) {
        g.frame = test::eth_vlans({{kEthTypeVlan8021Q, 0x0064}}, type);
    } else {
        g.frame = test::eth_vlans({{kEthTypeVlan8021AD, 0x000a}, {kEthTypeVlan8021Q, 0x0014}},
                                  type);
    }
    g.l3 = g.frame.size();
    Bytes l4 = test::tcp(40000, 5201, flags, tcp_options);
    put32(l4.data() + 4, seq);
    put32(l4.data() + 8, 0x01020304);
    if (ipv6) {
        Bytes ext = hbh ? test::ext6(kIpProtoTcp, 1, 0) : Bytes{};
        if (hbh) {
            ext[2] = 1;     /* PadN filling the rest of the option area. */
            ext[3] = uint8_t(ext.size() - 4);
        }
        test::append(g.frame, test::ipv6(hbh ? kIpProtoHopOpts : kIpProtoTcp,
                                         ext.size() + l4.size() + payload.size()));
        test::append(g.frame, ext);
    } else {
        test::append(g.frame, test::ipv4(kIpProtoTcp, l4.size() + payload.size(),
                                         test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2),
                                         kIpv4DontFragment, ip_options));
    }
    g.l4 = g.frame.size();
    test::append(g.frame, l4);
    g.payload_off = g.frame.size();
    test::append(g.frame, payload);
    put_partial_csum(g.frame, g.l3, g.l4, kIpProtoTcp, g.l4 + 16);
    g.offload.flags = PacketOffload::kNeedsCsum;
    g.offload.gso_type = ipv6 ? GsoType::kTcpv6 : GsoType::kTcpv4;
    g.offload.gso_size = gso_size;
    g.offload.csum_start = uint16_t(g.l4);
    g.offload.csum_offset = 16;
    g.offload.hdr_len = uint16_t(g.payload_off);
    return g;
}

/* A large UDP datagram to be cut into gso_size-byte datagrams. */
Gso udp_gso(bool ipv6, const Bytes &payload, uint16_t gso_size)
{
    Gso g;
    g.frame = test::eth(ipv6 ? kEthTypeIpv6 : kEthTypeIpv4);
    g.l3 = g.frame.size();
    Bytes l4 = test::udp(5000, 6000, 0);
    put16(l4.data() + 4, uint16_t(8 + payload.size()));
    if (ipv6) {
        test::append(g.frame, test::ipv6(kIpProtoUdp, l4.size() + payload.size()));
    } else {
        test::append(g.frame, test::ipv4(kIpProtoUdp, l4.size() + payload.size()));
    }
    g.l4 = g.frame.size();
    test::append(g.frame, l4);
    g.payload_off = g.frame.size();
    test::append(g.frame, payload);
    put_partial_csum(g.frame, g.l3, g.l4, kIpProtoUdp, g.l4 + 6);
    g.offload.flags = PacketOffload::kNeedsCsum;
    g.offload.gso_type = GsoType::kUdpL4;
    g.offload.gso_size = gso_size;
    g.offload.csum_start = uint16_t(g.l4);
    g.offload.csum_offset = 6;
    return g;
}

/* Segments 'g' with a GsoSegmenter into fresh buffers. */
std::vector<std::unique_ptr<DpPacket>> segment(const Gso &g, OffloadError *error)
{
    auto p = exact_packet(g.frame);
    p->offload = g.offload;
    p->in_port = 9;
    std::vector<std::unique_ptr<DpPacket>> out;
    GsoSegmenter seg;
    *error = seg.start(*p);
    if (*error != OffloadError::kNone) {
        return out;
    }
    while (seg.remaining()) {
        out.push_back(std::make_unique<DpPacket>());
        *error = seg.next(*out.back());
        if (*error != OffloadError::kNone) {
            break;
        }
    }
    return out;
}

/* Checks every segment of a TCP large segment 'g' against the rules, and
 * that their payloads put together are the original payload. */
void check_tcp_segments(const Gso &g, const std::vector<std::unique_ptr<DpPacket>> &segs)
{
    const bool ipv6 = g.offload.gso_type == GsoType::kTcpv6;
    const size_t payload = g.frame.size() - g.payload_off;
    const size_t mss = g.offload.gso_size;
    const size_t expect_n = payload == 0 ? 1 : (payload + mss - 1) / mss;
    ASSERT_EQ(segs.size(), expect_n);

    const uint8_t *orig = g.frame.data();
    const uint16_t orig_flags = get16(orig + g.l4 + 12) & 0x1ff;
    Bytes joined;
    for (size_t i = 0; i < segs.size(); i++) {
        SCOPED_TRACE("segment " + std::to_string(i));
        const DpPacket &s = *segs[i];
        const uint8_t *d = s.data();
        const size_t seg_payload = std::min(mss, payload - i * mss);
        ASSERT_EQ(s.size(), g.payload_off + seg_payload);
        EXPECT_EQ(s.in_port, 9u);
        EXPECT_EQ(s.offload, PacketOffload{}) << "segments need no more work";

        /* The parser agrees that each segment is a whole, valid frame. */
        FlowKey key{};
        FlowLayout layout;
        ASSERT_EQ(test::extract_exact(Bytes(d, d + s.size()), key, &layout), FlowError::kNone);
        EXPECT_EQ(layout.l3, g.l3);
        EXPECT_EQ(layout.l4, g.l4);
        EXPECT_EQ(layout.l4_end, s.size());
        EXPECT_EQ(key.nw_proto, kIpProtoTcp);

        /* Everything in front of the IP header is copied. */
        EXPECT_EQ(Bytes(d, d + g.l3), Bytes(orig, orig + g.l3));
        if (ipv6) {
            EXPECT_EQ(get16(d + g.l3 + 4), s.size() - g.l3 - 40);
            EXPECT_EQ(Bytes(d + g.l3 + 6, d + g.l4), Bytes(orig + g.l3 + 6, orig + g.l4));
        } else {
            size_t ihl = (d[g.l3] & 0x0f) * 4u;
            EXPECT_EQ(get16(d + g.l3 + 2), s.size() - g.l3);
            EXPECT_EQ(get16(d + g.l3 + 4), uint16_t(get16(orig + g.l3 + 4) + i));
            EXPECT_EQ(ref_fold(ref_sum(d + g.l3, ihl)), 0xffff) << "ipv4 header checksum";
            EXPECT_EQ(Bytes(d + g.l3 + 20, d + g.l4), Bytes(orig + g.l3 + 20, orig + g.l4))
                << "ipv4 options";
        }

        /* TCP: sequence, flags, options, checksum. */
        EXPECT_EQ(get32(d + g.l4 + 4), uint32_t(get32(orig + g.l4 + 4) + i * mss));
        EXPECT_EQ(get32(d + g.l4 + 8), get32(orig + g.l4 + 8)) << "ack";
        uint16_t flags = get16(d + g.l4 + 12) & 0x1ff;
        uint16_t want = orig_flags;
        if (i + 1 < segs.size()) {
            want &= uint16_t(~(kTcpFin | kTcpPsh));
        }
        if (i > 0) {
            want &= uint16_t(~kTcpCwr);
        }
        EXPECT_EQ(flags, want);
        EXPECT_EQ(Bytes(d + g.l4 + 20, d + g.payload_off),
                  Bytes(orig + g.l4 + 20, orig + g.payload_off))
            << "tcp options";
        size_t l4_len = s.size() - g.l4;
        EXPECT_TRUE(ref_l4_ok(d + g.l3, d + g.l4, kIpProtoTcp, l4_len));
        uint32_t pseudo = ipv6 ? csum_pseudo_ipv6(key.ipv6_src, key.ipv6_dst, kIpProtoTcp,
                                                  uint32_t(l4_len))
                               : csum_pseudo_ipv4(key.nw_src, key.nw_dst, kIpProtoTcp,
                                                  uint16_t(l4_len));
        EXPECT_TRUE(csum_verify(pseudo, {d + g.l4, l4_len}));

        joined.insert(joined.end(), d + g.payload_off, d + s.size());
    }
    EXPECT_EQ(joined, Bytes(orig + g.payload_off, orig + g.frame.size()))
        << "payload put back together byte for byte";
}

/* ---- DpPacket ------------------------------------------------------------ */

TEST(DpPacketOffload, ReserveGrowsOnceAndKeepsContents)
{
    DpPacket p(100);
    EXPECT_EQ(p.capacity(), 100u);
    EXPECT_TRUE(p.reserve(100)) << "fits already";
    EXPECT_EQ(p.capacity(), 100u);
    Bytes frame = pattern(80);
    p.set_size(frame.size());
    std::memcpy(p.data(), frame.data(), frame.size());
    uint8_t *tag = p.push_front(4);
    ASSERT_NE(tag, nullptr);
    std::memcpy(tag, "\x81\x00\x00\x05", 4);

    ASSERT_TRUE(p.reserve(60000));
    EXPECT_EQ(p.capacity(), DpPacket::kMaxCapacity);
    EXPECT_EQ(p.headroom(), DpPacket::kHeadroom - 4);
    EXPECT_GE(p.tailroom(), 60000u);
    ASSERT_EQ(p.size(), 84u);
    EXPECT_EQ(Bytes(p.data(), p.data() + 4), (Bytes{0x81, 0x00, 0x00, 0x05}));
    EXPECT_EQ(Bytes(p.data() + 4, p.data() + 84), frame);

    /* Bytes written but not yet counted in the frame survive too (as a
     * reader that spills a large frame into a second buffer needs). */
    DpPacket q(64);
    std::memcpy(q.data(), frame.data(), 64);
    ASSERT_TRUE(q.reserve(1000));
    EXPECT_EQ(Bytes(q.data(), q.data() + 64), Bytes(frame.begin(), frame.begin() + 64));

    /* Grown once, it stays: no further allocation. */
    const uint8_t *before = p.data();
    EXPECT_TRUE(p.reserve(65000));
    EXPECT_EQ(p.data(), before);
    EXPECT_FALSE(p.reserve(DpPacket::kMaxCapacity + DpPacket::kHeadroom + 1));
    EXPECT_EQ(p.data(), before);
}

TEST(DpPacketOffload, ReserveRefusesMoreThanTheMaximum)
{
    DpPacket p;
    EXPECT_FALSE(p.reserve(DpPacket::kMaxCapacity + 1));
    EXPECT_EQ(p.capacity(), 2048u) << "unchanged";
    EXPECT_TRUE(p.reserve(DpPacket::kMaxCapacity));
}

TEST(DpPacketOffload, CopyFromGrowsAndCopiesMetadata)
{
    Bytes big = pattern(50000);
    auto src = exact_packet(big);
    src->in_port = 3;
    src->offload.flags = PacketOffload::kNeedsCsum;
    src->offload.gso_type = GsoType::kTcpv4;
    src->offload.gso_size = 1448;
    src->offload.csum_start = 34;
    src->offload.csum_offset = 16;
    src->offload.hdr_len = 66;

    DpPacket dst;
    dst.copy_from(*src);
    EXPECT_EQ(Bytes(dst.frame().begin(), dst.frame().end()), big);
    EXPECT_EQ(dst.in_port, 3u);
    EXPECT_EQ(dst.offload, src->offload);

    dst.clear();
    EXPECT_EQ(dst.offload, PacketOffload{});
    EXPECT_EQ(dst.size(), 0u);
    EXPECT_EQ(dst.capacity(), DpPacket::kMaxCapacity) << "the buffer keeps its size";
}

TEST(DpPacketOffload, PushAndPullMoveTheOffsets)
{
    DpPacket p;
    p.set_size(100);
    p.offload.flags = PacketOffload::kNeedsCsum;
    p.offload.csum_start = 34;
    p.offload.csum_offset = 16;
    p.offload.hdr_len = 66;
    ASSERT_NE(p.push_front(4), nullptr);
    EXPECT_EQ(p.offload.csum_start, 38);
    EXPECT_EQ(p.offload.hdr_len, 70);
    EXPECT_EQ(p.offload.csum_offset, 16) << "relative to csum_start";
    p.pull_front(4);
    EXPECT_EQ(p.offload.csum_start, 34);
    EXPECT_EQ(p.offload.hdr_len, 66);

    /* Without a checksum to complete, only hdr_len moves. */
    p.offload.flags = PacketOffload::kDataValid;
    ASSERT_NE(p.push_front(8), nullptr);
    EXPECT_EQ(p.offload.csum_start, 34);
    EXPECT_EQ(p.offload.hdr_len, 74);

    /* Pulling the checksummed bytes away leaves nothing to describe. */
    p.offload.flags = PacketOffload::kNeedsCsum;
    p.offload.gso_type = GsoType::kTcpv4;
    p.pull_front(40);
    EXPECT_EQ(p.offload, PacketOffload{});
}

/* ---- Checksum completion -------------------------------------------------- */

TEST(CompleteCsum, TcpOverIpv4)
{
    Gso g = tcp_gso(false, pattern(333), 1448, kTcpAck | kTcpPsh);
    auto p = exact_packet(g.frame);
    p->offload = g.offload;
    p->offload.gso_type = GsoType::kNone;
    EXPECT_FALSE(ref_l4_ok(p->data() + g.l3, p->data() + g.l4, kIpProtoTcp,
                           p->size() - g.l4))
        << "the partial sum is not a checksum";
    ASSERT_EQ(packet_complete_csum(*p), OffloadError::kNone);
    EXPECT_TRUE(ref_l4_ok(p->data() + g.l3, p->data() + g.l4, kIpProtoTcp, p->size() - g.l4));
    EXPECT_EQ(p->offload.flags, PacketOffload::kDataValid);
    /* Nothing but the checksum changed. */
    Bytes after(p->frame().begin(), p->frame().end());
    after[g.l4 + 16] = g.frame[g.l4 + 16];
    after[g.l4 + 17] = g.frame[g.l4 + 17];
    EXPECT_EQ(after, g.frame);

    /* A second call has nothing to do. */
    Bytes done(p->frame().begin(), p->frame().end());
    ASSERT_EQ(packet_complete_csum(*p), OffloadError::kNone);
    EXPECT_EQ(Bytes(p->frame().begin(), p->frame().end()), done);
}

TEST(CompleteCsum, KnownTcpChecksum)
{
    /* 10.0.0.1:40000 -> 10.0.0.2:5201, ACK, seq 1000, ack 0x01020304,
     * window 65535, payload "hi".  The pseudo-header sum is
     * 0a00+0001+0a00+0002+0006+0016 = 0x141f; the TCP words are
     * 9c40 1451 0000 03e8 0102 0304 5010 ffff 0000 0000 6869, summing to
     * 0x270f7; all together 0x28516, folded 0x8518, complemented 0x7ae7. */
    Gso g = tcp_gso(false, Bytes{'h', 'i'}, 1448, kTcpAck);
    auto p = exact_packet(g.frame);
    p->offload = g.offload;
    p->offload.gso_type = GsoType::kNone;
    ASSERT_EQ(packet_complete_csum(*p), OffloadError::kNone);
    EXPECT_EQ(get16(p->data() + g.l4 + 16), 0x7ae7);
}

TEST(CompleteCsum, UdpZeroBecomesAllOnes)
{
    /* Choose two payload bytes so that the datagram's sum is 0xffff: its
     * checksum is then 0, which UDP must send as 0xffff. */
    Gso g = udp_gso(false, Bytes{0, 0, 0, 0}, 1000);
    /* The sum the device computes (the field holds the pseudo-header sum)
     * grows by the word put into the payload. */
    uint16_t have = ref_fold(ref_sum(g.frame.data() + g.l4, g.frame.size() - g.l4));
    put16(g.frame.data() + g.payload_off, uint16_t(0xffff - have));
    auto p = exact_packet(g.frame);
    p->offload = g.offload;
    p->offload.gso_type = GsoType::kNone;
    ASSERT_EQ(packet_complete_csum(*p), OffloadError::kNone);
    EXPECT_EQ(get16(p->data() + g.l4 + 6), 0xffff);
    EXPECT_TRUE(ref_l4_ok(p->data() + g.l3, p->data() + g.l4, kIpProtoUdp, p->size() - g.l4));
}

TEST(CompleteCsum, BadOffsetsChangeNothing)
{
    Gso g = tcp_gso(false, pattern(10), 1448, kTcpAck);
    for (auto [start, offset] : {std::pair<int, int>{int(g.frame.size()) - 1, 0},
                                 {int(g.l4), int(g.frame.size())},
                                 {65535, 65535},
                                 {int(g.frame.size()) - 2, 1}}) {
        auto p = exact_packet(g.frame);
        p->offload.flags = PacketOffload::kNeedsCsum;
        p->offload.csum_start = uint16_t(start);
        p->offload.csum_offset = uint16_t(offset);
        EXPECT_EQ(packet_complete_csum(*p), OffloadError::kBadCsumOffsets);
        EXPECT_EQ(Bytes(p->frame().begin(), p->frame().end()), g.frame);
        EXPECT_TRUE(p->offload.needs_csum());
    }
    /* The last two bytes of the frame are a valid place. */
    auto p = exact_packet(g.frame);
    p->offload.flags = PacketOffload::kNeedsCsum;
    p->offload.csum_start = uint16_t(g.frame.size() - 2);
    EXPECT_EQ(packet_complete_csum(*p), OffloadError::kNone);
}

/* ---- Segmentation --------------------------------------------------------- */

TEST(Gso, TcpIpv4ThreeSegments)
{
    Gso g = tcp_gso(false, pattern(4000), 1448, kTcpAck | kTcpPsh | kTcpFin | kTcpCwr, 1000);
    OffloadError error;
    auto segs = segment(g, &error);
    ASSERT_EQ(error, OffloadError::kNone);
    ASSERT_EQ(segs.size(), 3u);
    /* 4000 = 1448 + 1448 + 1104. */
    EXPECT_EQ(segs[0]->size(), 54u + 1448);
    EXPECT_EQ(segs[2]->size(), 54u + 1104);
    /* Literal values for the first and last segments. */
    EXPECT_EQ(get16(segs[0]->data() + 16), 20 + 20 + 1448) << "total length";
    EXPECT_EQ(get16(segs[2]->data() + 18), 0x1236) << "id 0x1234 + 2";
    EXPECT_EQ(get32(segs[1]->data() + 38), 2448u) << "seq 1000 + 1448";
    EXPECT_EQ(get32(segs[2]->data() + 38), 3896u) << "seq 1000 + 2896";
    EXPECT_EQ(get16(segs[0]->data() + 46) & 0x1ff, kTcpAck | kTcpCwr);
    EXPECT_EQ(get16(segs[1]->data() + 46) & 0x1ff, kTcpAck);
    EXPECT_EQ(get16(segs[2]->data() + 46) & 0x1ff, kTcpAck | kTcpPsh | kTcpFin);
    check_tcp_segments(g, segs);
}

TEST(Gso, TcpIpv4WithVlanTagsAndOptions)
{
    Bytes ip_options = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};
    Bytes tcp_options = {0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2};  /* Timestamps. */
    for (size_t vlans : {1, 2}) {
        SCOPED_TRACE(std::to_string(vlans) + " tags");
        Gso g = tcp_gso(false, pattern(9000, 3), 1000, kTcpAck | kTcpPsh, 0xfffff000, vlans,
                        ip_options, tcp_options);
        OffloadError error;
        auto segs = segment(g, &error);
        ASSERT_EQ(error, OffloadError::kNone);
        EXPECT_EQ(segs.size(), 9u);
        check_tcp_segments(g, segs);
        /* The sequence number wraps: 0xfffff000 + 8000 - 2^32 = 3904. */
        EXPECT_EQ(get32(segs[8]->data() + g.l4 + 4), 3904u);
    }
}

TEST(Gso, TcpIpv6WithHopByHop)
{
    for (bool hbh : {false, true}) {
        SCOPED_TRACE(hbh ? "hop-by-hop" : "plain");
        Gso g = tcp_gso(true, pattern(60000, 9), 1428, kTcpAck | kTcpPsh, 7, 0, {}, {}, hbh);
        OffloadError error;
        auto segs = segment(g, &error);
        ASSERT_EQ(error, OffloadError::kNone);
        EXPECT_EQ(segs.size(), 43u) << "60000 / 1428 = 42.02";
        check_tcp_segments(g, segs);
    }
}

TEST(Gso, LargestSegment)
{
    /* A 65226-byte frame as Linux hands it over: TCP with timestamps (32
     * bytes of header), 65160 = 45 * 1448 bytes of payload. */
    Bytes timestamps = {0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2};
    Gso g = tcp_gso(false, pattern(65160), 1448, kTcpAck, 1, 0, {}, timestamps);
    ASSERT_EQ(g.frame.size(), 65226u);
    OffloadError error;
    auto segs = segment(g, &error);
    ASSERT_EQ(error, OffloadError::kNone);
    EXPECT_EQ(segs.size(), 45u);
    check_tcp_segments(g, segs);
}

TEST(Gso, PayloadNoLargerThanGsoSize)
{
    for (size_t len : {0, 1, 1447, 1448}) {
        SCOPED_TRACE(std::to_string(len) + " bytes");
        Gso g = tcp_gso(false, pattern(len), 1448, kTcpAck | kTcpPsh | kTcpFin | kTcpCwr);
        OffloadError error;
        auto segs = segment(g, &error);
        ASSERT_EQ(error, OffloadError::kNone);
        ASSERT_EQ(segs.size(), 1u);
        check_tcp_segments(g, segs);
        /* One segment is the packet itself, its checksum complete. */
        Bytes got(segs[0]->frame().begin(), segs[0]->frame().end());
        auto p = exact_packet(g.frame);
        p->offload = g.offload;
        p->offload.gso_type = GsoType::kNone;
        ASSERT_EQ(packet_complete_csum(*p), OffloadError::kNone);
        EXPECT_EQ(got, Bytes(p->frame().begin(), p->frame().end()));
    }
}

TEST(Gso, EthernetPaddingIsNotPayload)
{
    Gso g = tcp_gso(false, pattern(3000), 1448, kTcpAck);
    g.frame.resize(g.frame.size() + 6, 0xee);
    OffloadError error;
    auto segs = segment(g, &error);
    ASSERT_EQ(error, OffloadError::kNone);
    ASSERT_EQ(segs.size(), 3u);
    EXPECT_EQ(segs[2]->size(), 54u + 3000 - 2 * 1448);
    g.frame.resize(g.frame.size() - 6);
    check_tcp_segments(g, segs);
}

TEST(Gso, UdpOverIpv4AndIpv6)
{
    for (bool ipv6 : {false, true}) {
        SCOPED_TRACE(ipv6 ? "ipv6" : "ipv4");
        Gso g = udp_gso(ipv6, pattern(5000, 5), 1400);
        OffloadError error;
        auto segs = segment(g, &error);
        ASSERT_EQ(error, OffloadError::kNone);
        ASSERT_EQ(segs.size(), 4u) << "1400 * 3 + 800";
        Bytes joined;
        for (size_t i = 0; i < segs.size(); i++) {
            const DpPacket &s = *segs[i];
            const uint8_t *d = s.data();
            size_t len = i < 3 ? 1400 : 800;
            ASSERT_EQ(s.size(), g.payload_off + len);
            FlowKey key{};
            FlowLayout layout;
            ASSERT_EQ(test::extract_exact(Bytes(d, d + s.size()), key, &layout),
                      FlowError::kNone);
            EXPECT_EQ(layout.l4_end, s.size());
            EXPECT_EQ(get16(d + g.l4 + 4), 8 + len) << "udp length";
            if (ipv6) {
                EXPECT_EQ(get16(d + g.l3 + 4), 8 + len);
            } else {
                EXPECT_EQ(get16(d + g.l3 + 2), 28 + len);
                EXPECT_EQ(get16(d + g.l3 + 4), 0x1234 + i);
                EXPECT_EQ(ref_fold(ref_sum(d + g.l3, 20)), 0xffff);
            }
            EXPECT_NE(get16(d + g.l4 + 6), 0) << "a checksum is present";
            EXPECT_TRUE(ref_l4_ok(d + g.l3, d + g.l4, kIpProtoUdp, s.size() - g.l4));
            joined.insert(joined.end(), d + g.payload_off, d + s.size());
        }
        EXPECT_EQ(joined, Bytes(g.frame.begin() + g.payload_off, g.frame.end()));
    }
}

TEST(Gso, SegmentIntoBuffersTooFew)
{
    Gso g = tcp_gso(false, pattern(3000), 1000, kTcpAck);
    auto p = exact_packet(g.frame);
    p->offload = g.offload;
    DpPacket a, b;
    DpPacket *two[] = {&a, &b};
    size_t n = 99;
    EXPECT_EQ(gso_segment(*p, two, &n), OffloadError::kNoRoom);
    EXPECT_EQ(n, 2u);
    DpPacket c;
    DpPacket *three[] = {&a, &b, &c};
    EXPECT_EQ(gso_segment(*p, three, &n), OffloadError::kNone);
    EXPECT_EQ(n, 3u);
    EXPECT_EQ(get32(c.data() + g.l4 + 4), 1000u + 2000);
}

TEST(Gso, NextAfterTheLastSegmentFails)
{
    Gso g = tcp_gso(false, pattern(100), 1000, kTcpAck);
    auto p = exact_packet(g.frame);
    p->offload = g.offload;
    GsoSegmenter seg;
    DpPacket out;
    EXPECT_EQ(seg.next(out), OffloadError::kNotGso) << "before start()";
    ASSERT_EQ(seg.start(*p), OffloadError::kNone);
    EXPECT_EQ(seg.n_segments(), 1u);
    EXPECT_EQ(seg.next(out), OffloadError::kNone);
    EXPECT_EQ(seg.remaining(), 0u);
    EXPECT_EQ(seg.next(out), OffloadError::kNotGso);
}

/* Runs start() on 'frame' with 'offload' and returns the error. */
OffloadError start_error(const Bytes &frame, const PacketOffload &offload)
{
    auto p = exact_packet(frame);
    p->offload = offload;
    GsoSegmenter seg;
    return seg.start(*p);
}

TEST(Gso, MalformedFramesFailCleanly)
{
    const Gso v4 = tcp_gso(false, pattern(3000), 1448, kTcpAck);
    const Gso v6 = tcp_gso(true, pattern(3000), 1448, kTcpAck);
    PacketOffload o = v4.offload;

    EXPECT_EQ(start_error(v4.frame, PacketOffload{}), OffloadError::kNotGso);
    PacketOffload bad = o;
    bad.gso_type = GsoType(3);
    EXPECT_EQ(start_error(v4.frame, bad), OffloadError::kBadGsoType);
    bad = o;
    bad.gso_size = 0;
    EXPECT_EQ(start_error(v4.frame, bad), OffloadError::kBadGsoSize);

    /* Truncated at every layer. */
    EXPECT_EQ(start_error(test::head(v4.frame, 13), o), OffloadError::kEthTruncated);
    EXPECT_EQ(start_error(test::head(v4.frame, 33), o), OffloadError::kIpv4Truncated);
    EXPECT_EQ(start_error(test::head(v4.frame, 100), o), OffloadError::kBadIpLength);
    EXPECT_EQ(start_error(test::head(v6.frame, 53), v6.offload), OffloadError::kIpv6Truncated);
    EXPECT_EQ(start_error(test::head(v6.frame, 100), v6.offload), OffloadError::kBadIpLength);
    Gso tagged = tcp_gso(false, pattern(10), 1448, kTcpAck, 0, 2);
    EXPECT_EQ(start_error(test::head(tagged.frame, 17), tagged.offload),
              OffloadError::kEthTruncated);

    /* Wrong protocol or version for the gso type. */
    EXPECT_EQ(start_error(v6.frame, o), OffloadError::kIpVersionMismatch);
    EXPECT_EQ(start_error(v4.frame, v6.offload), OffloadError::kIpVersionMismatch);
    Bytes arp = test::concat({test::eth(kEthTypeArp), test::arp(kArpOpRequest)});
    EXPECT_EQ(start_error(arp, o), OffloadError::kNotIp);
    Gso udp = udp_gso(false, pattern(3000), 1000);
    EXPECT_EQ(start_error(udp.frame, o), OffloadError::kL4Mismatch);
    PacketOffload as_udp = o;
    as_udp.gso_type = GsoType::kUdpL4;
    EXPECT_EQ(start_error(v4.frame, as_udp), OffloadError::kL4Mismatch);

    /* Bad IPv4 fields. */
    Bytes f = v4.frame;
    f[14] = 0x44;
    EXPECT_EQ(start_error(f, o), OffloadError::kIpv4BadHeader) << "header length 16";
    f = v4.frame;
    f[14] = 0x65;
    EXPECT_EQ(start_error(f, o), OffloadError::kIpv4BadHeader) << "version 6";
    f = v4.frame;
    f[14] = 0x4f;
    EXPECT_EQ(start_error(test::head(f, 60), o), OffloadError::kIpv4Truncated) << "options";
    f = v4.frame;
    put16(f.data() + 20, kIpv4MoreFragments);
    EXPECT_EQ(start_error(f, o), OffloadError::kIpv4Fragment);
    f = v4.frame;
    put16(f.data() + 16, 19);
    EXPECT_EQ(start_error(f, o), OffloadError::kBadIpLength) << "total length < header";
    f = v4.frame;
    put16(f.data() + 16, 39);
    EXPECT_EQ(start_error(f, o), OffloadError::kTcpTruncated) << "tcp beyond ip length";

    /* Bad TCP data offset. */
    f = v4.frame;
    f[46] = 0x40;
    EXPECT_EQ(start_error(f, o), OffloadError::kTcpTruncated) << "data offset 4";
    f = v4.frame;
    f[46] = 0xf0;
    put16(f.data() + 16, 20 + 40);
    EXPECT_EQ(start_error(f, o), OffloadError::kTcpTruncated) << "options beyond ip length";

    /* IPv6: bad version, unsupported and truncated extension headers. */
    f = v6.frame;
    f[14] = 0x40;
    EXPECT_EQ(start_error(f, v6.offload), OffloadError::kNotIp);
    Gso hbh = tcp_gso(true, pattern(100), 1448, kTcpAck, 0, 0, {}, {}, true);
    f = hbh.frame;
    f[54 + 1] = 200;        /* Hop-by-hop length beyond the packet. */
    EXPECT_EQ(start_error(f, hbh.offload), OffloadError::kIpv6BadExt);
    f = hbh.frame;
    f[20] = kIpProtoRouting;
    f[54] = kIpProtoTcp;
    EXPECT_EQ(start_error(f, hbh.offload), OffloadError::kL4Mismatch) << "routing header";

    /* UDP header truncated. */
    Bytes short_udp = test::concat({test::eth(kEthTypeIpv4), test::ipv4(kIpProtoUdp, 4),
                                    Bytes{1, 2, 3, 4}});
    PacketOffload uo = udp.offload;
    EXPECT_EQ(start_error(short_udp, uo), OffloadError::kUdpTruncated);
}

TEST(Gso, SegmentBuffersGrow)
{
    /* One segment of 65054 bytes into a 16-byte buffer. */
    Gso g = tcp_gso(false, pattern(65000), 65000, kTcpAck);
    auto p = exact_packet(g.frame);
    p->offload = g.offload;
    GsoSegmenter seg;
    ASSERT_EQ(seg.start(*p), OffloadError::kNone);
    DpPacket out(16);
    EXPECT_EQ(seg.next(out), OffloadError::kNone) << "65054 bytes fit after growing";
    EXPECT_EQ(out.capacity(), DpPacket::kMaxCapacity);
}

TEST(Gso, RandomFuzz)
{
    /* Valid large segments, mutated: random bytes changed, cut short, or
     * given random metadata.  start() and next() must never read or write
     * outside the frame (AddressSanitizer watches the exact-size buffers),
     * and every segment they make must parse. */
    std::mt19937 rng(20240607);
    size_t ok = 0, failed = 0;
    std::vector<std::unique_ptr<DpPacket>> out;
    for (int i = 0; i < 40; i++) {
        out.push_back(std::make_unique<DpPacket>());
    }
    for (int iter = 0; iter < 3000; iter++) {
        Gso g;
        switch (rng() % 4) {
        case 0:
            g = tcp_gso(false, pattern(rng() % 5000), uint16_t(200 + rng() % 1500),
                        uint16_t(rng() & 0x1ff), rng(), rng() % 3,
                        rng() % 2 ? Bytes{1, 1, 1, 0} : Bytes{});
            break;
        case 1:
            g = tcp_gso(true, pattern(rng() % 5000), uint16_t(200 + rng() % 1500),
                        uint16_t(rng() & 0x1ff), rng(), rng() % 3, {}, {}, rng() % 2);
            break;
        default:
            g = udp_gso(rng() % 2, pattern(rng() % 5000), uint16_t(200 + rng() % 1500));
            break;
        }
        Bytes f = g.frame;
        PacketOffload o = g.offload;
        switch (rng() % 4) {
        case 0:
            for (int k = rng() % 4; k >= 0; k--) {
                f[rng() % std::min<size_t>(f.size(), 80)] = uint8_t(rng());
            }
            break;
        case 1:
            f.resize(rng() % f.size());
            break;
        case 2:
            o.gso_type = GsoType(rng() % 6);
            o.gso_size = uint16_t(rng() % 3000);
            break;
        default:
            break;
        }
        auto p = exact_packet(f);
        p->offload = o;
        GsoSegmenter seg;
        if (seg.start(*p) != OffloadError::kNone) {
            failed++;
            continue;
        }
        ok++;
        ASSERT_GE(seg.n_segments(), 1u);
        size_t total = 0;
        for (size_t k = 0; seg.remaining(); k++) {
            DpPacket &s = *out[k % out.size()];
            ASSERT_EQ(seg.next(s), OffloadError::kNone);
            FlowKey key{};
            FlowLayout layout;
            FlowError fe = flow_extract(s.frame(), key, &layout);
            EXPECT_TRUE(fe == FlowError::kNone) << flow_error_to_string(fe);
            EXPECT_EQ(layout.l4_end, s.size());
            total += s.size() - g.payload_off;
        }
        (void) total;
    }
    EXPECT_GT(ok, 500u);
    EXPECT_GT(failed, 500u);
}

TEST(Gso, ErrorsHaveNames)
{
    EXPECT_STREQ(offload_error_to_string(OffloadError::kNone), "none");
    EXPECT_STREQ(offload_error_to_string(OffloadError::kIpv4Truncated), "ipv4 header truncated");
    for (size_t e = 0; e < size_t(OffloadError::kCount); e++) {
        EXPECT_STRNE(offload_error_to_string(OffloadError(e)), "unknown");
    }
    EXPECT_STREQ(offload_error_to_string(OffloadError::kCount), "unknown");
}

/* ---- virtio_net_hdr ------------------------------------------------------- */

TEST(VnetHeader, ToOffload)
{
    /* What Linux gave for a 65226-byte TCP segment (seen on a veth). */
    VnetHeader h{kVnetFlagNeedsCsum, kVnetGsoTcpv4, 66, 1448, 34, 16};
    PacketOffload o;
    ASSERT_TRUE(vnet_header_to_offload(h, 65226, &o));
    EXPECT_EQ(o.flags, PacketOffload::kNeedsCsum);
    EXPECT_EQ(o.gso_type, GsoType::kTcpv4);
    EXPECT_FALSE(o.gso_ecn);
    EXPECT_EQ(o.hdr_len, 66);
    EXPECT_EQ(o.gso_size, 1448);
    EXPECT_EQ(o.csum_start, 34);
    EXPECT_EQ(o.csum_offset, 16);

    h.gso_type = kVnetGsoTcpv6 | kVnetGsoEcn;
    ASSERT_TRUE(vnet_header_to_offload(h, 65226, &o));
    EXPECT_EQ(o.gso_type, GsoType::kTcpv6);
    EXPECT_TRUE(o.gso_ecn);
    h.gso_type = kVnetGsoUdpL4;
    ASSERT_TRUE(vnet_header_to_offload(h, 65226, &o));
    EXPECT_EQ(o.gso_type, GsoType::kUdpL4);

    /* Nothing to do, or a verified checksum. */
    ASSERT_TRUE(vnet_header_to_offload(VnetHeader{}, 60, &o));
    EXPECT_EQ(o, PacketOffload{});
    ASSERT_TRUE(vnet_header_to_offload(VnetHeader{kVnetFlagDataValid, 0, 0, 0, 0, 0}, 60, &o));
    EXPECT_EQ(o.flags, PacketOffload::kDataValid);
}

TEST(VnetHeader, RejectsWhatCannotBeForwarded)
{
    PacketOffload o;
    o.flags = 0xff;
    EXPECT_FALSE(vnet_header_to_offload(VnetHeader{0, kVnetGsoUdp, 0, 1400, 0, 0}, 3000, &o));
    EXPECT_EQ(o, PacketOffload{}) << "cleared on failure";
    EXPECT_FALSE(vnet_header_to_offload(VnetHeader{0, 2, 0, 1400, 0, 0}, 3000, &o));
    EXPECT_FALSE(vnet_header_to_offload(VnetHeader{0, kVnetGsoEcn, 0, 0, 0, 0}, 3000, &o));
    EXPECT_FALSE(vnet_header_to_offload(VnetHeader{1, kVnetGsoTcpv4, 0, 0, 34, 16}, 3000, &o))
        << "gso size 0";
    EXPECT_FALSE(vnet_header_to_offload(VnetHeader{1, 0, 0, 0, 40, 19}, 60, &o))
        << "checksum field beyond the frame";
    EXPECT_TRUE(vnet_header_to_offload(VnetHeader{1, 0, 0, 0, 40, 18}, 60, &o));
}

TEST(VnetHeader, FromOffload)
{
    PacketOffload o;
    o.flags = PacketOffload::kNeedsCsum | PacketOffload::kDataValid;
    o.gso_type = GsoType::kTcpv4;
    o.gso_ecn = true;
    o.gso_size = 1448;
    o.csum_start = 38;
    o.csum_offset = 16;
    o.hdr_len = 70;
    /* A tagged frame whose TCP header (at 38) has a data offset of 8
     * words: the headers end at 38 + 32 = 70, whatever the hint says. */
    Bytes frame(5000);
    frame[38 + 12] = 0x80;
    o.hdr_len = 4000;
    VnetHeader h = vnet_header_from_offload(o, frame);
    EXPECT_EQ(h.flags, kVnetFlagNeedsCsum);
    EXPECT_EQ(h.gso_type, kVnetGsoTcpv4 | kVnetGsoEcn);
    EXPECT_EQ(h.gso_size, 1448);
    EXPECT_EQ(h.hdr_len, 70);
    EXPECT_EQ(h.csum_start, 38);
    EXPECT_EQ(h.csum_offset, 16);
    EXPECT_EQ(vnet_header_from_offload(o, test::head(frame, 60)).hdr_len, 60)
        << "never beyond the frame";
    o.gso_type = GsoType::kUdpL4;
    o.csum_offset = 6;
    EXPECT_EQ(vnet_header_from_offload(o, frame).hdr_len, 38 + 8);
    /* Without a checksum offset, the hint is all there is. */
    o.flags = 0;
    EXPECT_EQ(vnet_header_from_offload(o, frame).hdr_len, 4000);

    VnetHeader none = vnet_header_from_offload(PacketOffload{}, test::head(frame, 60));
    VnetHeader zero{};
    EXPECT_EQ(std::memcmp(&none, &zero, sizeof zero), 0);
    o = PacketOffload{};
    o.flags = PacketOffload::kDataValid;
    EXPECT_EQ(vnet_header_from_offload(o, test::head(frame, 60)).flags, 0);
}

}  // namespace
}  // namespace braid
