/* Unit tests for the software offloads of Netdev::send() (lib/netdev.cc):
 * a device that takes no offloads gets wire-size frames with complete
 * checksums, one that takes them gets the packets whole. */
#include <config.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lib/coverage.h"
#include "lib/csum.h"
#include "lib/flow.h"
#include "lib/netdev-provider.h"
#include "lib/packet-offload.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;

/* A device that records what reaches do_send() and declares the offloads
 * it is told to. */
class CaptureNetdev final : public Netdev {
public:
    explicit CaptureNetdev(const std::string &name) : Netdev(name, "offload-capture") {}

    /* The offloads the next device opened declares. */
    static inline uint32_t next_offloads = 0;

    struct Sent {
        Bytes frame;
        PacketOffload offload;
        const DpPacket *packet;
    };
    std::vector<Sent> sent;
    std::vector<size_t> batch_sizes;
    /* Calls of do_send() that began while another was running. */
    std::atomic<int> overlaps{0};
    /* How long do_send() dawdles (thread yields), to widen any race. */
    int spin_in_send = 0;

private:
    std::atomic<int> in_send{0};
    int do_construct(std::string *) override
    {
        offloads_ = next_offloads;
        return 0;
    }
    int do_get_etheraddr(EthAddr *mac) const override
    {
        *mac = EthAddr{};
        return 0;
    }
    int do_get_mtu(int *mtu) const override
    {
        *mtu = 1500;
        return 0;
    }
    int do_recv(PacketBatch &) override { return EAGAIN; }
    int do_send(PacketBatch &batch) override
    {
        if (in_send.fetch_add(1) != 0) {
            overlaps.fetch_add(1);
        }
        for (int i = 0; i < spin_in_send; i++) {
            std::this_thread::yield();
        }
        in_send.fetch_sub(1);
        batch_sizes.push_back(batch.count);
        for (const DpPacket *p : batch) {
            sent.push_back({Bytes(p->frame().begin(), p->frame().end()), p->offload, p});
        }
        return 0;
    }
    uint32_t do_tx_offloads() const override { return offloads_; }

    uint32_t offloads_ = 0;
};

uint64_t counter(const char *name)
{
    return coverage::read_counter(name).value_or(0);
}

uint32_t get32(const uint8_t *p)
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

/* An IPv4 TCP frame (14 + 20 + 20 bytes of headers) with 'payload_len'
 * bytes, sequence number 'seq', ACK|PSH, IP checksum set, TCP checksum
 * left partial: what a local stack with offloads sends. */
std::unique_ptr<DpPacket> tcp_packet(size_t payload_len, uint32_t seq, uint16_t gso_size)
{
    Bytes l4 = test::tcp(40000, 5201, kTcpAck | kTcpPsh);
    l4[4] = uint8_t(seq >> 24);
    l4[5] = uint8_t(seq >> 16);
    l4[6] = uint8_t(seq >> 8);
    l4[7] = uint8_t(seq);
    for (size_t i = 0; i < payload_len; i++) {
        l4.push_back(uint8_t(i * 13 + seq));
    }
    Bytes frame = test::ipv4_frame(kIpProtoTcp, l4);
    Ipv4Header ip;
    std::memcpy(&ip, frame.data() + 14, sizeof ip);
    be16 ip_csum = ipv4_header_csum(ip, {});
    std::memcpy(frame.data() + 24, ip_csum.data(), 2);
    /* The partial sum: the pseudo-header, folded, not complemented. */
    be16 partial = ~csum_finish(csum_pseudo_ipv4(ip.src, ip.dst, kIpProtoTcp,
                                                 uint16_t(l4.size())));
    std::memcpy(frame.data() + 34 + 16, partial.data(), 2);

    auto p = DpPacket::copy_of(frame);
    p->offload.flags = PacketOffload::kNeedsCsum;
    p->offload.csum_start = 34;
    p->offload.csum_offset = 16;
    if (gso_size) {
        p->offload.gso_type = GsoType::kTcpv4;
        p->offload.gso_size = gso_size;
        p->offload.hdr_len = 54;
    }
    return p;
}

/* Whether 'frame' is IPv4 TCP with valid IP and TCP checksums. */
bool checksums_ok(const Bytes &frame)
{
    FlowKey key{};
    FlowLayout layout;
    if (flow_extract(frame, key, &layout) != FlowError::kNone || key.nw_proto != kIpProtoTcp) {
        return false;
    }
    size_t l4_len = layout.l4_end - layout.l4;
    return csum_verify(0, {frame.data() + layout.l3, size_t(layout.l4 - layout.l3)})
           && csum_verify(csum_pseudo_ipv4(key.nw_src, key.nw_dst, kIpProtoTcp,
                                           uint16_t(l4_len)),
                          {frame.data() + layout.l4, l4_len});
}

class NetdevOffloadTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        netdev_register_builtin_classes();
        register_netdev_class("offload-capture", [](const std::string &name) {
            return std::unique_ptr<Netdev>(new CaptureNetdev(name));
        });
    }

    /* Opens a capture device that declares 'offloads'. */
    CaptureNetdev &open(uint32_t offloads)
    {
        static int serial = 0;
        CaptureNetdev::next_offloads = offloads;
        std::string error;
        int err = Netdev::open("cap" + std::to_string(++serial), "offload-capture", &dev_,
                               &error);
        EXPECT_EQ(err, 0) << error;
        return static_cast<CaptureNetdev &>(*dev_);
    }

    /* Sends 'packets' as one batch. */
    int send(const std::vector<std::unique_ptr<DpPacket>> &packets)
    {
        PacketBatch batch;
        for (const auto &p : packets) {
            batch.add(p.get());
        }
        return dev_->send(batch);
    }

    std::shared_ptr<Netdev> dev_;
};

TEST_F(NetdevOffloadTest, PlainPacketsGoStraightThrough)
{
    CaptureNetdev &dev = open(0);
    std::vector<std::unique_ptr<DpPacket>> packets;
    packets.push_back(DpPacket::copy_of(test::ipv4_frame(kIpProtoUdp, test::udp(1, 2, 10))));
    packets.push_back(DpPacket::copy_of(test::ipv4_frame(kIpProtoUdp, test::udp(3, 4, 10))));
    packets[1]->offload.flags = PacketOffload::kDataValid;
    EXPECT_EQ(send(packets), 0);
    ASSERT_EQ(dev.sent.size(), 2u);
    EXPECT_EQ(dev.sent[0].packet, packets[0].get()) << "no copy";
    EXPECT_EQ(dev.sent[1].packet, packets[1].get());
    EXPECT_EQ(dev.batch_sizes, std::vector<size_t>{2});
}

TEST_F(NetdevOffloadTest, DeviceWithoutOffloadsGetsWireFrames)
{
    CaptureNetdev &dev = open(0);
    uint64_t gso = counter("netdev_soft_gso");
    uint64_t segments = counter("netdev_soft_gso_segments");
    uint64_t csum = counter("netdev_soft_csum");

    std::vector<std::unique_ptr<DpPacket>> packets;
    packets.push_back(DpPacket::copy_of(test::ipv4_frame(kIpProtoUdp, test::udp(1, 2, 10))));
    packets.push_back(tcp_packet(4000, 1000, 1448));    /* 1448 + 1448 + 1104. */
    packets.push_back(tcp_packet(300, 7, 0));           /* Checksum only. */
    EXPECT_EQ(send(packets), 0);

    ASSERT_EQ(dev.sent.size(), 5u);
    EXPECT_EQ(dev.sent[0].packet, packets[0].get());
    for (size_t i = 1; i < 5; i++) {
        SCOPED_TRACE("frame " + std::to_string(i));
        EXPECT_TRUE(checksums_ok(dev.sent[i].frame));
        EXPECT_FALSE(dev.sent[i].offload.needs_tx_work());
    }
    EXPECT_EQ(dev.sent[1].frame.size(), 54u + 1448);
    EXPECT_EQ(dev.sent[3].frame.size(), 54u + 1104);
    EXPECT_EQ(get32(dev.sent[1].frame.data() + 38), 1000u);
    EXPECT_EQ(get32(dev.sent[2].frame.data() + 38), 2448u);
    EXPECT_EQ(get32(dev.sent[3].frame.data() + 38), 3896u);
    EXPECT_EQ(dev.sent[4].packet, packets[2].get()) << "checksum completed in place";
    EXPECT_EQ(dev.sent[4].offload.flags, PacketOffload::kDataValid);

    EXPECT_EQ(counter("netdev_soft_gso"), gso + 1);
    EXPECT_EQ(counter("netdev_soft_gso_segments"), segments + 3);
    EXPECT_EQ(counter("netdev_soft_csum"), csum + 1);
}

TEST_F(NetdevOffloadTest, DeviceWithOffloadsGetsPacketsWhole)
{
    CaptureNetdev &dev = open(kNetdevTxCsum | kNetdevTxTso4 | kNetdevTxTso6 | kNetdevTxTsoEcn);
    uint64_t gso = counter("netdev_soft_gso");
    uint64_t csum = counter("netdev_soft_csum");
    std::vector<std::unique_ptr<DpPacket>> packets;
    packets.push_back(tcp_packet(4000, 1000, 1448));
    packets.push_back(tcp_packet(300, 7, 0));
    Bytes before0(packets[0]->frame().begin(), packets[0]->frame().end());
    Bytes before1(packets[1]->frame().begin(), packets[1]->frame().end());
    EXPECT_EQ(send(packets), 0);
    ASSERT_EQ(dev.sent.size(), 2u);
    EXPECT_EQ(dev.sent[0].frame, before0);
    EXPECT_EQ(dev.sent[0].offload, packets[0]->offload);
    EXPECT_EQ(dev.sent[1].frame, before1);
    EXPECT_TRUE(dev.sent[1].offload.needs_csum());
    EXPECT_EQ(counter("netdev_soft_gso"), gso);
    EXPECT_EQ(counter("netdev_soft_csum"), csum);
}

TEST_F(NetdevOffloadTest, PartialOffloadSupport)
{
    /* Checksums but no TSO: segments (with checksums) and whole
     * checksum-offloaded packets. */
    CaptureNetdev &dev = open(kNetdevTxCsum);
    std::vector<std::unique_ptr<DpPacket>> packets;
    packets.push_back(tcp_packet(3000, 1, 1448));
    packets.push_back(tcp_packet(300, 7, 0));
    EXPECT_EQ(send(packets), 0);
    ASSERT_EQ(dev.sent.size(), 4u);
    EXPECT_TRUE(checksums_ok(dev.sent[0].frame));
    EXPECT_TRUE(dev.sent[3].offload.needs_csum()) << "left to the device";

    /* TSO without ECN: a segment whose sender uses ECN is cut up here. */
    CaptureNetdev &dev2 = open(kNetdevTxCsum | kNetdevTxTso4);
    std::vector<std::unique_ptr<DpPacket>> ecn;
    ecn.push_back(tcp_packet(3000, 1, 1448));
    ecn.push_back(tcp_packet(3000, 1, 1448));
    ecn[1]->offload.gso_ecn = true;
    EXPECT_EQ(send(ecn), 0);
    ASSERT_EQ(dev2.sent.size(), 1u + 3);
    EXPECT_TRUE(dev2.sent[0].offload.is_gso());
    EXPECT_FALSE(dev2.sent[1].offload.is_gso());
}

TEST_F(NetdevOffloadTest, ManySegmentsGoOutInFullBatchesInOrder)
{
    CaptureNetdev &dev = open(0);
    std::vector<std::unique_ptr<DpPacket>> packets;
    for (uint32_t i = 0; i < kMaxBurst; i++) {
        packets.push_back(tcp_packet(45 * 1448, i << 24, 1448));
    }
    EXPECT_EQ(send(packets), 0);
    ASSERT_EQ(dev.sent.size(), kMaxBurst * 45);
    for (size_t n : dev.batch_sizes) {
        EXPECT_EQ(n, kMaxBurst);
    }
    EXPECT_EQ(dev.batch_sizes.size(), 45u);
    for (size_t k = 0; k < dev.sent.size(); k++) {
        uint32_t want = uint32_t(k / 45) << 24 | uint32_t(k % 45 * 1448);
        ASSERT_EQ(get32(dev.sent[k].frame.data() + 38), want) << "segment " << k;
        ASSERT_TRUE(checksums_ok(dev.sent[k].frame)) << "segment " << k;
    }
}

TEST_F(NetdevOffloadTest, MalformedPacketsAreDroppedAndCounted)
{
    CaptureNetdev &dev = open(0);
    uint64_t malformed = counter("netdev_soft_drop_malformed");
    uint64_t unsupported = counter("netdev_soft_drop_unsupported");
    std::vector<std::unique_ptr<DpPacket>> packets;
    packets.push_back(tcp_packet(3000, 1, 1448));
    packets[0]->set_size(40);                       /* TCP header cut off. */
    packets.push_back(tcp_packet(100, 1, 0));
    packets[1]->offload.csum_offset = 2000;         /* Beyond the frame. */
    packets.push_back(DpPacket::copy_of(test::concat({test::eth(kEthTypeArp),
                                                      test::arp(kArpOpRequest)})));
    packets[2]->offload.gso_type = GsoType::kTcpv4; /* Not IP at all. */
    packets[2]->offload.gso_size = 100;
    packets.push_back(tcp_packet(100, 1, 0));       /* A good one. */
    EXPECT_EQ(send(packets), EOPNOTSUPP) << "the last drop's reason";
    ASSERT_EQ(dev.sent.size(), 1u);
    EXPECT_EQ(dev.sent[0].packet, packets[3].get());
    EXPECT_EQ(counter("netdev_soft_drop_malformed"), malformed + 2);
    EXPECT_EQ(counter("netdev_soft_drop_unsupported"), unsupported + 1);
    NetdevStats stats;
    ASSERT_EQ(dev_->get_stats(&stats), 0);
    EXPECT_EQ(stats.tx_dropped, 3u);
}

TEST_F(NetdevOffloadTest, DummyDevicesTakeNoOffloads)
{
    std::shared_ptr<Netdev> dummy;
    std::string error;
    ASSERT_EQ(Netdev::open("offload-dummy0", "dummy", &dummy, &error), 0) << error;
    EXPECT_EQ(dummy->tx_offloads(), 0u);

    /* What it sends is what a wire would carry: three segments. */
    std::vector<std::unique_ptr<DpPacket>> packets;
    packets.push_back(tcp_packet(4000, 1000, 1448));
    PacketBatch batch;
    batch.add(packets[0].get());
    EXPECT_EQ(dummy->send(batch), 0);
    NetdevStats stats;
    ASSERT_EQ(dummy->get_stats(&stats), 0);
    EXPECT_EQ(stats.tx_packets, 3u);
    EXPECT_EQ(stats.tx_bytes, 3 * 54u + 4000);
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

/* Every datapath thread outputs to every port: send() must keep two
 * threads out of the provider's do_send() at once. */
TEST_F(NetdevOffloadTest, ConcurrentSendersAreSerialized)
{
    CaptureNetdev &dev = open(0);
    dev.spin_in_send = 20;
    constexpr int kSends = 500;
    auto sender = [this] {
        auto packet = DpPacket::copy_of(test::ipv4_frame(kIpProtoUdp, test::udp(1, 2, 10)));
        for (int i = 0; i < kSends; i++) {
            PacketBatch batch;
            batch.add(packet.get());
            dev_->send(batch);
        }
    };
    std::thread a(sender), b(sender);
    a.join();
    b.join();
    EXPECT_EQ(dev.overlaps.load(), 0);
    EXPECT_EQ(dev.sent.size(), size_t(2 * kSends));
}

}  // namespace
}  // namespace braid
