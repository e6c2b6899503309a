/* System tests of the Linux device types (lib/netdev-linux.cc,
 * lib/netdev-tap.cc) and of rtnetlink (lib/rtnetlink.cc), on real veth pairs
 * and tap devices in the private network namespace that system-main.cc
 * creates.  Every wait is bounded and driven by the event loop or poll();
 * nothing sleeps. */
#include <config.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/coverage.h"
#include "lib/dp-packet.h"
#include "lib/event-loop.h"
#include "lib/netdev.h"
#include "lib/rtnetlink.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;

/* The longest any single wait may take before the test fails. */
constexpr int kWaitMs = 5000;

/* An EtherType for local experiments (IEEE 802), used by every test frame
 * so that nothing else can be mistaken for one. */
constexpr uint16_t kTestEthType = 0x88b5;

/* Source addresses of frames injected from the kernel side and of frames
 * Braid sends. */
constexpr EthAddr kInjectSrc{{0x02, 0xb0, 0x00, 0x00, 0x00, 0x01}};
constexpr EthAddr kSendSrc{{0x02, 0xb0, 0x00, 0x00, 0x00, 0x02}};
constexpr EthAddr kDst{{0x02, 0xb0, 0x00, 0x00, 0x00, 0x03}};

/* Runs a shell command (bounded by timeout(1)) and returns its exit
 * status. */
int sh(const std::string &command)
{
    int status = std::system(("timeout 10 " + command).c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The output of a shell command. */
std::string sh_output(const std::string &command)
{
    std::string out;
    if (FILE *f = popen(("timeout 10 " + command).c_str(), "r")) {
        char buf[512];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            out.append(buf, n);
        }
        pclose(f);
    }
    return out;
}

/* A test frame: 'header' (an Ethernet header, maybe with tags) followed by
 * 'payload_len' bytes counting up from 'seed'. */
Bytes make_frame(const Bytes &header, size_t payload_len, uint8_t seed)
{
    Bytes frame = header;
    for (size_t i = 0; i < payload_len; i++) {
        frame.push_back(uint8_t(seed + i));
    }
    return frame;
}

Bytes plain_frame(size_t total_len, uint8_t seed, EthAddr src = kInjectSrc)
{
    return make_frame(test::eth(kTestEthType, kDst, src), total_len - kEthHeaderLen, seed);
}

bool is_test_frame(const Bytes &frame)
{
    /* The innermost EtherType: skip any tags. */
    size_t off = 12;
    while (frame.size() >= off + 2) {
        uint16_t type = uint16_t(frame[off] << 8 | frame[off + 1]);
        if (!eth_type_is_vlan(type)) {
            return type == kTestEthType;
        }
        off += 4;
    }
    return false;
}

/* A raw AF_PACKET socket on one interface: the kernel side of a test. */
class RawSocket {
public:
    explicit RawSocket(const std::string &ifname)
    {
        /* Protocol 0 until bound, so no other interface's frames queue up. */
        fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        struct sockaddr_ll sll {};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(ETH_P_ALL);
        sll.sll_ifindex = int(if_nametoindex(ifname.c_str()));
        ok_ = fd_ >= 0 && sll.sll_ifindex
              && bind(fd_, reinterpret_cast<struct sockaddr *>(&sll), sizeof sll) == 0;
    }
    ~RawSocket()
    {
        if (fd_ >= 0) {
            close(fd_);
        }
    }
    RawSocket(const RawSocket &) = delete;
    RawSocket &operator=(const RawSocket &) = delete;

    bool ok() const { return ok_; }

    bool send(const Bytes &frame)
    {
        return ::send(fd_, frame.data(), frame.size(), 0) == ssize_t(frame.size());
    }

    /* The next test frame that arrives on the interface (not one this
     * socket or the stack sent), or nothing within the wait limit. */
    std::optional<Bytes> recv()
    {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
        while (std::chrono::steady_clock::now() < deadline) {
            struct pollfd pfd = {fd_, POLLIN, 0};
            if (poll(&pfd, 1, 50) <= 0) {
                continue;
            }
            Bytes buf(65536);
            struct sockaddr_ll from {};
            socklen_t len = sizeof from;
            ssize_t n = recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                                 reinterpret_cast<struct sockaddr *>(&from), &len);
            if (n < 0 || from.sll_pkttype == PACKET_OUTGOING) {
                continue;
            }
            buf.resize(size_t(n));
            if (is_test_frame(buf)) {
                return buf;
            }
        }
        return std::nullopt;
    }

private:
    int fd_ = -1;
    bool ok_ = false;
};

/* kMaxBurst buffers and a batch pointing at them, as the datapath keeps. */
class RxBuffers {
public:
    RxBuffers()
    {
        for (auto &b : buffers_) {
            b = std::make_unique<DpPacket>();
        }
    }

    /* Receives from 'dev' until 'want' frames passing 'keep' arrived, or the
     * wait limit passed.  Returns them in order. */
    std::vector<Bytes> receive(Netdev &dev, size_t want,
                               const std::function<bool(const Bytes &)> &keep = is_test_frame)
    {
        std::vector<Bytes> out;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
        while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
            struct pollfd pfd = {dev.rx_fd(), POLLIN, 0};
            poll(&pfd, 1, 20);
            PacketBatch batch;
            for (size_t i = 0; i < kMaxBurst; i++) {
                buffers_[i]->clear();
                batch.packets[i] = buffers_[i].get();
            }
            if (dev.recv(batch) == 0) {
                EXPECT_GT(batch.count, 0u);
                EXPECT_LE(batch.count, kMaxBurst);
                largest_batch = std::max(largest_batch, batch.count);
                for (size_t i = 0; i < batch.count; i++) {
                    Bytes frame(batch.packets[i]->frame().begin(),
                                batch.packets[i]->frame().end());
                    if (keep(frame)) {
                        out.push_back(std::move(frame));
                    }
                }
            }
        }
        return out;
    }

    /* The largest batch recv() returned. */
    size_t largest_batch = 0;

private:
    std::array<std::unique_ptr<DpPacket>, kMaxBurst> buffers_;
};

/* Packets holding 'frames', and a batch of them for Netdev::send(). */
struct TxFrames {
    explicit TxFrames(const std::vector<Bytes> &frames)
    {
        for (const Bytes &f : frames) {
            packets.push_back(DpPacket::copy_of(f));
            batch.add(packets.back().get());
        }
    }
    std::vector<std::unique_ptr<DpPacket>> packets;
    PacketBatch batch;
};

/* Kernel views of an interface, through ioctls. */
int kernel_mtu(const std::string &ifname)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    int mtu = ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : -1;
    close(fd);
    return mtu;
}

EthAddr kernel_mac(const std::string &ifname)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    EthAddr mac;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
        std::memcpy(mac.b.data(), ifr.ifr_hwaddr.sa_data, mac.b.size());
    }
    close(fd);
    return mac;
}

unsigned kernel_flags(const std::string &ifname)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    unsigned flags = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 ? unsigned(ifr.ifr_flags) : 0;
    close(fd);
    return flags;
}

uint64_t counter(const char *name)
{
    return coverage::read_counter(name).value_or(0);
}

NetdevStats stats_of(const Netdev &dev)
{
    NetdevStats s;
    EXPECT_EQ(dev.get_stats(&s), 0);
    return s;
}

/* Each test gets an event loop that watches rtnetlink and runs the change
 * listeners, a change listener that counts, and a fresh veth pair
 * (dev_, peer_), both down. */
class SystemTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        static int serial = 0;
        serial++;
        dev_ = "bt" + std::to_string(serial) + "a";
        peer_ = "bt" + std::to_string(serial) + "b";
        ASSERT_EQ(sh("ip link add " + dev_ + " type veth peer name " + peer_), 0);
        rtnetlink_set_loop(&loop_);
        netdev_set_control_loop(&loop_);
        listener_ = Netdev::add_change_listener([this] { changes_++; });
    }

    void TearDown() override
    {
        Netdev::remove_change_listener(listener_);
        /* Let posted listener runs finish before the loop goes. */
        loop_.run_once(0);
        netdev_set_control_loop(nullptr);
        rtnetlink_set_loop(nullptr);
        sh("ip link del " + dev_ + " 2>/dev/null");
    }

    /* Runs the loop until 'done' holds; false if the wait limit passed. */
    bool run_until(const std::function<bool()> &done)
    {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return false;
            }
            loop_.run_once(20);
        }
        /* One more pass so that posted change listeners run too. */
        loop_.run_once(0);
        return true;
    }

    std::shared_ptr<Netdev> open(const std::string &name, const std::string &type = "system")
    {
        std::shared_ptr<Netdev> dev;
        std::string error;
        int err = Netdev::open(name, type, &dev, &error);
        EXPECT_EQ(err, 0) << error;
        return dev;
    }

    /* Opens dev_ as "system" and brings both ends up; waits for carrier. */
    std::shared_ptr<Netdev> open_up()
    {
        std::shared_ptr<Netdev> dev = open(dev_);
        if (dev) {
            EXPECT_EQ(sh("ip link set " + dev_ + " up && ip link set " + peer_ + " up"), 0);
            EXPECT_TRUE(run_until([&] { return dev->get_carrier(); }));
        }
        return dev;
    }

    EventLoop loop_;
    std::string dev_, peer_;
    int listener_ = 0;
    int changes_ = 0;
};

TEST_F(SystemTest, MissingDeviceFailsWithExactMessage)
{
    std::shared_ptr<Netdev> dev;
    std::string error;
    EXPECT_EQ(Netdev::open("nosuchdev0", "system", &dev, &error), ENODEV);
    EXPECT_EQ(error, "could not open network device nosuchdev0 (No such device)");
    EXPECT_EQ(dev, nullptr);
    error.clear();
    EXPECT_EQ(Netdev::open("nosuchdev0", "", &dev, &error), ENODEV);
    EXPECT_EQ(error, "could not open network device nosuchdev0 (No such device)");
}

TEST_F(SystemTest, OpeningTwiceSharesTheDevice)
{
    std::shared_ptr<Netdev> a = open(dev_);
    std::shared_ptr<Netdev> b = open(dev_, "");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a->type(), "system");

    std::shared_ptr<Netdev> c;
    std::string error;
    EXPECT_EQ(Netdev::open(dev_, "internal", &c, &error), EEXIST);
    EXPECT_EQ(error, dev_ + " is already open as a device of type system");
}

TEST_F(SystemTest, StatusMatchesKernel)
{
    std::shared_ptr<Netdev> dev = open(dev_);
    ASSERT_NE(dev, nullptr);
    EXPECT_EQ(dev->get_ifindex(), int(if_nametoindex(dev_.c_str())));
    int mtu = 0;
    EXPECT_EQ(dev->get_mtu(&mtu), 0);
    EXPECT_EQ(mtu, 1500);
    EXPECT_EQ(kernel_mtu(dev_), 1500);
    EthAddr mac;
    EXPECT_EQ(dev->get_etheraddr(&mac), 0);
    EXPECT_EQ(mac, kernel_mac(dev_));
    EXPECT_FALSE(mac.is_zero());
    EXPECT_FALSE(dev->is_admin_up());
    EXPECT_FALSE(dev->get_carrier());
    EXPECT_EQ(dev->rx_fd() >= 0, true);
    /* Promiscuous while open (a packet socket's membership shows in the
     * promiscuity count, not in IFF_PROMISC). */
    EXPECT_NE(sh_output("ip -d link show " + dev_).find(" promiscuity 1 "), std::string::npos);

    int changes = changes_;
    uint64_t seq = dev->change_seq();
    ASSERT_EQ(sh("ip link set " + dev_ + " up"), 0);
    ASSERT_TRUE(run_until([&] { return dev->is_admin_up(); }));
    /* Up without a peer that is up: no carrier yet. */
    EXPECT_FALSE(dev->get_carrier());
    ASSERT_EQ(sh("ip link set " + peer_ + " up"), 0);
    ASSERT_TRUE(run_until([&] { return dev->get_carrier(); }));
    EXPECT_GT(changes_, changes);
    EXPECT_GT(dev->change_seq(), seq);
    EXPECT_EQ(dev->carrier_resets(), 1u) << "it came up after it was opened";

    /* Closing the device ends promiscuous mode. */
    dev.reset();
    EXPECT_NE(sh_output("ip -d link show " + dev_).find(" promiscuity 0 "), std::string::npos);
}

TEST_F(SystemTest, ReceivesInjectedFramesByteForByte)
{
    std::shared_ptr<Netdev> dev = open_up();
    ASSERT_NE(dev, nullptr);
    RawSocket peer(peer_);
    ASSERT_TRUE(peer.ok());

    const std::vector<Bytes> frames = {
        plain_frame(60, 1),
        plain_frame(1514, 2),
        /* 802.1Q, PCP 1, VID 100: the kernel moves the tag out of the frame
         * (into the ring's tp_vlan_tci), recv() must put it back. */
        make_frame(test::eth_vlans({{kEthTypeVlan8021Q, 0x2064}}, kTestEthType, kDst,
                                   kInjectSrc),
                   100, 3),
        /* 802.1ad S-tag VID 10 over C-tag VID 20: only the outer one is
         * moved out, with its TPID. */
        make_frame(test::eth_vlans({{kEthTypeVlan8021AD, 0x000a},
                                    {kEthTypeVlan8021Q, 0x0014}},
                                   kTestEthType, kDst, kInjectSrc),
                   100, 4),
        /* Priority-tagged: VID 0, PCP 5. */
        make_frame(test::eth_vlans({{kEthTypeVlan8021Q, 0xa000}}, kTestEthType, kDst,
                                   kInjectSrc),
                   60, 5),
    };
    NetdevStats before = stats_of(*dev);
    uint64_t restored = counter("netdev_linux_rx_vlan_restored");
    uint64_t bytes = 0;
    for (const Bytes &f : frames) {
        ASSERT_TRUE(peer.send(f));
        bytes += f.size();
    }
    RxBuffers rx;
    std::vector<Bytes> got = rx.receive(*dev, frames.size());
    ASSERT_EQ(got.size(), frames.size());
    for (size_t i = 0; i < frames.size(); i++) {
        EXPECT_EQ(got[i], frames[i]) << "frame " << i;
    }
    EXPECT_EQ(counter("netdev_linux_rx_vlan_restored"), restored + 3);

    NetdevStats after = stats_of(*dev);
    EXPECT_EQ(after.rx_packets - before.rx_packets, frames.size());
    EXPECT_EQ(after.rx_bytes - before.rx_bytes, bytes);
    EXPECT_EQ(after.tx_packets, before.tx_packets);
    /* The kernel counts a tagged frame that no VLAN device takes as
     * dropped, even though the packet socket received it. */
    EXPECT_EQ(after.rx_dropped - before.rx_dropped, 3u);
}

TEST_F(SystemTest, ReceivesLongBurstsInOrder)
{
    std::shared_ptr<Netdev> dev = open_up();
    ASSERT_NE(dev, nullptr);
    RawSocket peer(peer_);
    ASSERT_TRUE(peer.ok());

    /* Two rounds of 3000 frames: each round fills about half of the ring,
     * so the second one wraps around it, and batches end in the middle of
     * ring blocks. */
    auto numbered = [](uint32_t seq) {
        Bytes f = plain_frame(200, uint8_t(seq));
        f[14] = uint8_t(seq >> 24);
        f[15] = uint8_t(seq >> 16);
        f[16] = uint8_t(seq >> 8);
        f[17] = uint8_t(seq);
        return f;
    };
    const uint32_t kRound = 3000;
    RxBuffers rx;
    for (uint32_t round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < kRound; i++) {
            ASSERT_TRUE(peer.send(numbered(round * kRound + i)));
        }
        std::vector<Bytes> got = rx.receive(*dev, kRound);
        ASSERT_EQ(got.size(), kRound);
        for (uint32_t i = 0; i < kRound; i++) {
            ASSERT_EQ(got[i], numbered(round * kRound + i)) << "frame " << round * kRound + i;
        }
    }
    EXPECT_EQ(rx.largest_batch, kMaxBurst);
    NetdevStats stats = stats_of(*dev);
    EXPECT_EQ(stats.rx_dropped, 0u);
}

TEST_F(SystemTest, LargeFramesAreReceivedWhole)
{
    std::shared_ptr<Netdev> dev = open_up();
    ASSERT_NE(dev, nullptr);
    ASSERT_EQ(sh("ip link set " + dev_ + " mtu 65535 && ip link set " + peer_ + " mtu 65535"), 0);
    RawSocket peer(peer_);
    ASSERT_TRUE(peer.ok());

    NetdevStats before = stats_of(*dev);
    uint64_t truncated = counter("netdev_linux_rx_truncated");
    uint64_t too_big = counter("netdev_linux_rx_too_big");
    /* Up to the largest frame a veth carries: the ring's 128 KiB blocks
     * hold it, and the 2 KiB packet buffers grow (once) to take it. */
    const std::vector<Bytes> frames = {plain_frame(65535 + 14, 6), plain_frame(20000, 7),
                                       plain_frame(3000, 8), plain_frame(64, 9)};
    for (const Bytes &f : frames) {
        ASSERT_TRUE(peer.send(f));
    }
    RxBuffers rx;
    std::vector<Bytes> got = rx.receive(*dev, frames.size());
    ASSERT_EQ(got.size(), frames.size());
    for (size_t i = 0; i < frames.size(); i++) {
        EXPECT_EQ(got[i], frames[i]) << "frame " << i;
    }
    EXPECT_EQ(counter("netdev_linux_rx_truncated"), truncated);
    EXPECT_EQ(counter("netdev_linux_rx_too_big"), too_big);
    NetdevStats after = stats_of(*dev);
    EXPECT_EQ(after.rx_dropped - before.rx_dropped, 0u);
    EXPECT_EQ(after.rx_packets - before.rx_packets, frames.size());
}

TEST_F(SystemTest, SendsBatchAndDoesNotReceiveItsOwnFrames)
{
    std::shared_ptr<Netdev> dev = open_up();
    ASSERT_NE(dev, nullptr);
    RawSocket peer(peer_);
    ASSERT_TRUE(peer.ok());

    std::vector<Bytes> frames;
    uint64_t bytes = 0;
    for (size_t i = 0; i < kMaxBurst; i++) {
        frames.push_back(plain_frame(60 + i * 40, uint8_t(i), kSendSrc));
        bytes += frames.back().size();
    }
    NetdevStats before = stats_of(*dev);
    TxFrames tx(frames);
    ASSERT_EQ(tx.batch.count, kMaxBurst);
    EXPECT_EQ(dev->send(tx.batch), 0);
    EXPECT_EQ(tx.batch.count, kMaxBurst);      /* Left with the caller. */
    for (size_t i = 0; i < kMaxBurst; i++) {
        std::optional<Bytes> f = peer.recv();
        ASSERT_TRUE(f) << "frame " << i;
        EXPECT_EQ(*f, frames[i]) << "frame " << i;
    }

    /* The kernel hands frames to packet sockets in order, so once a frame
     * injected after the send arrives, any echo of the send would have
     * arrived before it. */
    const Bytes marker = plain_frame(60, 0xee);
    ASSERT_TRUE(peer.send(marker));
    RxBuffers rx;
    std::vector<Bytes> got = rx.receive(*dev, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], marker);

    NetdevStats after = stats_of(*dev);
    EXPECT_EQ(after.tx_packets - before.tx_packets, kMaxBurst);
    EXPECT_EQ(after.tx_bytes - before.tx_bytes, bytes);
    EXPECT_EQ(after.rx_packets - before.rx_packets, 1u);
    EXPECT_EQ(after.tx_dropped, before.tx_dropped);
}

TEST_F(SystemTest, CarrierFollowsThePeer)
{
    std::shared_ptr<Netdev> dev = open_up();
    ASSERT_NE(dev, nullptr);
    EXPECT_EQ(dev->carrier_resets(), 1u) << "it came up after it was opened";

    for (uint64_t round = 1; round <= 2; round++) {
        int changes = changes_;
        uint64_t seq = dev->change_seq();
        ASSERT_EQ(sh("ip link set " + peer_ + " down"), 0);
        ASSERT_TRUE(run_until([&] { return !dev->get_carrier(); }));
        EXPECT_GT(changes_, changes);
        EXPECT_GT(dev->change_seq(), seq);
        EXPECT_EQ(dev->carrier_resets(), 2 * round) << "every change counts";
        EXPECT_TRUE(dev->is_admin_up());

        changes = changes_;
        ASSERT_EQ(sh("ip link set " + peer_ + " up"), 0);
        ASSERT_TRUE(run_until([&] { return dev->get_carrier(); }));
        EXPECT_GT(changes_, changes);
        EXPECT_EQ(dev->carrier_resets(), 2 * round + 1);
    }
}

TEST_F(SystemTest, AdminStateOfTheDeviceItself)
{
    std::shared_ptr<Netdev> dev = open_up();
    ASSERT_NE(dev, nullptr);

    int changes = changes_;
    EXPECT_EQ(dev->set_admin_up(false), 0);
    EXPECT_FALSE(dev->is_admin_up());
    EXPECT_FALSE(dev->get_carrier());
    EXPECT_FALSE(kernel_flags(dev_) & IFF_UP);
    EXPECT_EQ(dev->carrier_resets(), 2u) << "up after opening, then down";
    ASSERT_TRUE(run_until([&] { return changes_ > changes; }));
    /* The receive descriptor does not report an error forever. */
    struct pollfd pfd = {dev->rx_fd(), POLLIN, 0};
    EXPECT_EQ(poll(&pfd, 1, 0), 0);

    EXPECT_EQ(dev->set_admin_up(true), 0);
    EXPECT_TRUE(dev->is_admin_up());
    EXPECT_TRUE(kernel_flags(dev_) & IFF_UP);
    ASSERT_TRUE(run_until([&] { return dev->get_carrier(); }));
    /* Sending works at once after the interface was down. */
    RawSocket peer(peer_);
    ASSERT_TRUE(peer.ok());
    const Bytes frame = plain_frame(60, 0x44, kSendSrc);
    TxFrames tx({frame});
    EXPECT_EQ(dev->send(tx.batch), 0);
    std::optional<Bytes> seen = peer.recv();
    ASSERT_TRUE(seen);
    EXPECT_EQ(*seen, frame);

    /* Changes made by someone else arrive as events. */
    ASSERT_EQ(sh("ip link set " + dev_ + " down"), 0);
    ASSERT_TRUE(run_until([&] { return !dev->is_admin_up(); }));
    EXPECT_FALSE(dev->get_carrier());
    EXPECT_EQ(dev->carrier_resets(), 4u) << "up, down, up, down";
    ASSERT_EQ(sh("ip link set " + dev_ + " up"), 0);
    ASSERT_TRUE(run_until([&] { return dev->is_admin_up() && dev->get_carrier(); }));
}

TEST_F(SystemTest, SetMtuAndEthernetAddress)
{
    std::shared_ptr<Netdev> dev = open_up();
    ASSERT_NE(dev, nullptr);
    int ifindex = dev->get_ifindex();
    /* The kernel queues the event for a change before it acknowledges the
     * change, so the device learns the result from the event, in order,
     * without a query. */
    uint64_t queries = counter("netdev_linux_settle_query");

    EXPECT_EQ(dev->set_mtu(1400), 0);
    int mtu = 0;
    EXPECT_EQ(dev->get_mtu(&mtu), 0);
    EXPECT_EQ(mtu, 1400);
    EXPECT_EQ(kernel_mtu(dev_), 1400);
    EXPECT_NE(sh_output("ip -o link show " + dev_).find(" mtu 1400 "), std::string::npos);

    const EthAddr mac{{0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}};
    EXPECT_EQ(dev->set_etheraddr(mac), 0);
    EthAddr got;
    EXPECT_EQ(dev->get_etheraddr(&got), 0);
    EXPECT_EQ(got, mac);
    EXPECT_EQ(kernel_mac(dev_), mac);
    EXPECT_NE(sh_output("ip -o link show " + dev_).find("link/ether 02:00:00:aa:bb:cc "),
              std::string::npos);
    EXPECT_EQ(int(if_nametoindex(dev_.c_str())), ifindex);
    EXPECT_EQ(counter("netdev_linux_settle_query"), queries);

    /* Values the wrapper refuses, and values the kernel refuses. */
    EXPECT_EQ(dev->set_mtu(65536), EINVAL);
    EXPECT_EQ(dev->set_mtu(67), EINVAL);
    EXPECT_EQ(rtnetlink_set_mtu(ifindex, 70000), EINVAL);
    EXPECT_EQ(dev->set_etheraddr(kEthAddrBroadcast), EINVAL);
    EXPECT_EQ(kernel_mtu(dev_), 1400);

    /* Changes made by someone else. */
    int changes = changes_;
    ASSERT_EQ(sh("ip link set " + dev_ + " mtu 1300 address 02:00:00:aa:bb:dd"), 0);
    ASSERT_TRUE(run_until([&] {
        int m = 0;
        EthAddr a;
        return dev->get_mtu(&m) == 0 && m == 1300 && dev->get_etheraddr(&a) == 0
               && a == EthAddr{{0x02, 0x00, 0x00, 0xaa, 0xbb, 0xdd}};
    }));
    EXPECT_GT(changes_, changes);
}

TEST_F(SystemTest, RemovedDeviceReportsCarrierDown)
{
    std::shared_ptr<Netdev> dev = open_up();
    ASSERT_NE(dev, nullptr);
    int changes = changes_;
    ASSERT_EQ(sh("ip link del " + dev_), 0);
    ASSERT_TRUE(run_until([&] { return !dev->get_carrier(); }));
    EXPECT_GT(changes_, changes);
    EXPECT_EQ(dev->carrier_resets(), 2u) << "up after opening, then gone";
    EXPECT_FALSE(dev->is_admin_up());

    /* The data path keeps working without the device: nothing to receive,
     * and what it sends is dropped and counted. */
    RxBuffers rx;
    PacketBatch batch;
    std::unique_ptr<DpPacket> p = std::make_unique<DpPacket>();
    batch.packets.fill(p.get());
    EXPECT_EQ(dev->recv(batch), EAGAIN);
    NetdevStats before = stats_of(*dev);
    TxFrames tx({plain_frame(60, 9, kSendSrc)});
    EXPECT_NE(dev->send(tx.batch), 0);
    NetdevStats after = stats_of(*dev);
    EXPECT_EQ(after.tx_dropped - before.tx_dropped, 1u);

    /* A new device with the old name is another device. */
    ASSERT_EQ(sh("ip link add " + dev_ + " type veth peer name " + peer_), 0);
    ASSERT_EQ(sh("ip link set " + dev_ + " up && ip link set " + peer_ + " up"), 0);
    loop_.run_once(50);
    EXPECT_FALSE(dev->get_carrier());
}

TEST_F(SystemTest, LostEventsAreRecoveredByQuery)
{
    std::shared_ptr<Netdev> dev = open_up();
    ASSERT_NE(dev, nullptr);
    uint64_t overruns = counter("rtnetlink_overrun");
    uint64_t resyncs = counter("rtnetlink_resync");

    /* Change the MTU behind the device's back, many times, without running
     * the loop, until the listener's socket buffer must overflow (each
     * event takes well over a kilobyte of it, and it holds about 2 MB). */
    const int kChanges = 4000;
    for (int i = 0; i < kChanges; i++) {
        ASSERT_EQ(rtnetlink_set_mtu(dev->get_ifindex(), 1000 + i % 2), 0);
    }
    ASSERT_EQ(rtnetlink_set_mtu(dev->get_ifindex(), 1234), 0);
    ASSERT_TRUE(run_until([&] {
        int mtu = 0;
        return dev->get_mtu(&mtu) == 0 && mtu == 1234 && counter("rtnetlink_resync") > resyncs;
    }));
    EXPECT_GT(counter("rtnetlink_overrun"), overruns);
    /* Everything queued has been read: the state stays. */
    loop_.run_once(50);
    int mtu = 0;
    EXPECT_EQ(dev->get_mtu(&mtu), 0);
    EXPECT_EQ(mtu, 1234);
}

TEST_F(SystemTest, EventsWithoutALoop)
{
    rtnetlink_set_loop(nullptr);
    netdev_set_control_loop(nullptr);
    std::shared_ptr<Netdev> dev = open(dev_);
    ASSERT_NE(dev, nullptr);
    EXPECT_FALSE(dev->is_admin_up());
    int changes = changes_;
    /* "ip" returns after the kernel queued the event. */
    ASSERT_EQ(sh("ip link set " + dev_ + " up"), 0);
    EXPECT_FALSE(dev->is_admin_up());
    rtnetlink_run();
    EXPECT_TRUE(dev->is_admin_up());
    EXPECT_GT(changes_, changes);
}

TEST_F(SystemTest, RtnetlinkGetLinkReportsCounters)
{
    ASSERT_EQ(sh("ip link set " + dev_ + " up && ip link set " + peer_ + " up"), 0);
    RawSocket peer(peer_);
    ASSERT_TRUE(peer.ok());
    RtnlLink before;
    ASSERT_EQ(rtnetlink_get_link(dev_, &before), 0);
    EXPECT_EQ(before.name, dev_);
    EXPECT_EQ(before.ifindex, int(if_nametoindex(dev_.c_str())));
    EXPECT_EQ(before.kind, "veth");
    EXPECT_TRUE(before.has_stats);
    for (int i = 0; i < 3; i++) {
        ASSERT_TRUE(peer.send(plain_frame(100, uint8_t(i))));
    }
    RtnlLink after;
    ASSERT_EQ(rtnetlink_get_link_by_index(before.ifindex, &after), 0);
    EXPECT_EQ(after.stats.rx_packets - before.stats.rx_packets, 3u);
    EXPECT_EQ(after.stats.rx_bytes - before.stats.rx_bytes, 300u);

    RtnlLink none;
    EXPECT_EQ(rtnetlink_get_link("nosuchdev0", &none), ENODEV);
    EXPECT_EQ(rtnetlink_get_link("a-name-far-too-long-for-linux", &none), ENODEV);
    EXPECT_EQ(rtnetlink_get_link_by_index(1999999, &none), ENODEV);
    EXPECT_EQ(rtnetlink_set_mtu(1999999, 1500), ENODEV);
    EXPECT_EQ(rtnetlink_set_admin_up(1999999, true), ENODEV);
}

/* ---- Tap devices ---- */

TEST_F(SystemTest, InternalDeviceLivesWithTheNetdev)
{
    const std::string name = "bint0";
    std::shared_ptr<Netdev> dev = open(name, "internal");
    ASSERT_NE(dev, nullptr);
    EXPECT_EQ(dev->type(), "internal");
    ASSERT_NE(if_nametoindex(name.c_str()), 0u);
    EXPECT_EQ(dev->get_ifindex(), int(if_nametoindex(name.c_str())));
    RtnlLink link;
    ASSERT_EQ(rtnetlink_get_link(name, &link), 0);
    EXPECT_EQ(link.kind, "tun");
    /* Created down, like an Open vSwitch internal port. */
    EXPECT_FALSE(kernel_flags(name) & IFF_UP);
    EXPECT_FALSE(dev->is_admin_up());
    EXPECT_FALSE(dev->get_carrier());
    EthAddr mac;
    EXPECT_EQ(dev->get_etheraddr(&mac), 0);
    EXPECT_EQ(mac, kernel_mac(name));
    int mtu = 0;
    EXPECT_EQ(dev->get_mtu(&mtu), 0);
    EXPECT_EQ(mtu, 1500);

    EXPECT_EQ(dev->set_admin_up(true), 0);
    ASSERT_TRUE(run_until([&] { return dev->get_carrier(); }));
    EXPECT_TRUE(kernel_flags(name) & IFF_UP);

    /* Kernel to Braid: a frame sent on the interface is read from the tap;
     * the counters are Braid's view (the kernel's tx is Braid's rx). */
    RawSocket kernel(name);
    ASSERT_TRUE(kernel.ok());
    NetdevStats before = stats_of(*dev);
    const Bytes in = plain_frame(200, 0x10);
    ASSERT_TRUE(kernel.send(in));
    RxBuffers rx;
    std::vector<Bytes> got = rx.receive(*dev, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], in);
    NetdevStats mid = stats_of(*dev);
    EXPECT_EQ(mid.rx_packets - before.rx_packets, 1u);
    EXPECT_EQ(mid.rx_bytes - before.rx_bytes, in.size());
    EXPECT_EQ(mid.tx_packets, before.tx_packets);

    /* Braid to kernel. */
    const Bytes out = plain_frame(300, 0x20, kSendSrc);
    TxFrames tx({out});
    EXPECT_EQ(dev->send(tx.batch), 0);
    std::optional<Bytes> seen = kernel.recv();
    ASSERT_TRUE(seen);
    EXPECT_EQ(*seen, out);
    NetdevStats after = stats_of(*dev);
    EXPECT_EQ(after.tx_packets - mid.tx_packets, 1u);
    EXPECT_EQ(after.tx_bytes - mid.tx_bytes, out.size());

    /* The kernel's own stack: with an address on the interface, a datagram
     * to a neighbour makes the kernel send an ARP request through it. */
    ASSERT_EQ(sh("ip addr add 10.77.0.1/24 dev " + name), 0);
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin {};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(9);
    sin.sin_addr.s_addr = htonl(0x0a4d0002);    /* 10.77.0.2 */
    EXPECT_EQ(sendto(udp, "x", 1, 0, reinterpret_cast<struct sockaddr *>(&sin), sizeof sin), 1);
    close(udp);
    std::vector<Bytes> arp = rx.receive(*dev, 1, [](const Bytes &f) {
        return f.size() >= 42 && f[12] == 0x08 && f[13] == 0x06;
    });
    ASSERT_EQ(arp.size(), 1u);
    EXPECT_EQ(Bytes(arp[0].begin(), arp[0].begin() + 6), Bytes(6, 0xff));
    EXPECT_EQ(Bytes(arp[0].begin() + 6, arp[0].begin() + 12), Bytes(mac.b.begin(), mac.b.end()));
    EXPECT_EQ(Bytes(arp[0].begin() + 38, arp[0].begin() + 42), (Bytes{10, 77, 0, 2}));

    dev.reset();
    EXPECT_EQ(if_nametoindex(name.c_str()), 0u);
}

TEST_F(SystemTest, InternalNameClashFailsCleanly)
{
    std::shared_ptr<Netdev> dev;
    std::string error;
    EXPECT_EQ(Netdev::open(dev_, "internal", &dev, &error), EEXIST);
    EXPECT_EQ(error, "could not create network device " + dev_
                         + " (a device of that name already exists and is a veth device, "
                           "not a tap)");
    EXPECT_EQ(dev, nullptr);
    EXPECT_NE(if_nametoindex(dev_.c_str()), 0u);
    /* Nothing was left registered under the name. */
    EXPECT_NE(open(dev_, "system"), nullptr);

    EXPECT_EQ(Netdev::open("a-name-far-too-long", "internal", &dev, &error), EINVAL);
    EXPECT_EQ(error, "could not create network device a-name-far-too-long (a name must have "
                     "1 to 15 characters)");
}

TEST_F(SystemTest, TapAttachesToAnExistingTap)
{
    const std::string name = "btap0";
    ASSERT_EQ(sh("ip tuntap add dev " + name + " mode tap && ip link set " + name + " up"), 0);
    std::shared_ptr<Netdev> dev = open(name, "tap");
    ASSERT_NE(dev, nullptr);
    EXPECT_EQ(dev->type(), "tap");
    EXPECT_EQ(dev->get_ifindex(), int(if_nametoindex(name.c_str())));
    ASSERT_TRUE(run_until([&] { return dev->get_carrier(); }));

    RawSocket kernel(name);
    ASSERT_TRUE(kernel.ok());
    const Bytes in = plain_frame(80, 0x30);
    ASSERT_TRUE(kernel.send(in));
    RxBuffers rx;
    std::vector<Bytes> got = rx.receive(*dev, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], in);

    /* Detaching leaves the persistent tap, without carrier. */
    dev.reset();
    EXPECT_NE(if_nametoindex(name.c_str()), 0u);
    RtnlLink link;
    ASSERT_EQ(rtnetlink_get_link(name, &link), 0);
    EXPECT_FALSE(link.has_carrier());
    EXPECT_EQ(sh("ip tuntap del dev " + name + " mode tap"), 0);
}

TEST_F(SystemTest, TapIsCreatedWhenMissing)
{
    const std::string name = "btap1";
    ASSERT_EQ(if_nametoindex(name.c_str()), 0u);
    std::shared_ptr<Netdev> dev = open(name, "tap");
    ASSERT_NE(dev, nullptr);
    EXPECT_NE(if_nametoindex(name.c_str()), 0u);
    dev.reset();
    EXPECT_EQ(if_nametoindex(name.c_str()), 0u);
}

}  // namespace
}  // namespace braid
