/* Unit tests for the datapath (lib/dpif-netdev.cc) with dummy devices and a
 * scripted upcall handler, including the proof that forwarding allocates
 * no memory per packet once flows are installed. */
#include <config.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lib/dpif-netdev.h"
#include "lib/netdev-provider.h"
#include "lib/timeval.h"
#include "lib/unixctl.h"
#include "lib/vlog.h"
#include "tests/frame-builder.h"
#include "tests/test-util.h"

/* The replacements below pair malloc() with free() by design; GCC cannot
 * see that through inlining. */
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

/* Counts the allocations that datapath threads ("pmd..." threads) make
 * while 'counting' is on.  Replacing the global operator new affects the
 * whole test program, which is harmless: it only counts. */
namespace {
std::atomic<bool> counting{false};
std::atomic<uint64_t> pmd_allocations{0};

void note_allocation()
{
    if (counting.load(std::memory_order_relaxed)
        && braid::vlog::thread_name().rfind("pmd", 0) == 0) {
        pmd_allocations.fetch_add(1, std::memory_order_relaxed);
    }
}
}  // namespace

void *operator new(size_t size)
{
    note_allocation();
    if (void *p = std::malloc(size ? size : 1)) {
        return p;
    }
    throw std::bad_alloc();
}

void *operator new[](size_t size)
{
    note_allocation();
    if (void *p = std::malloc(size ? size : 1)) {
        return p;
    }
    throw std::bad_alloc();
}

/* The nothrow forms too: under ASan, the ones it supplies would allocate
 * with its own allocator and be freed here with free(). */
void *operator new(size_t size, const std::nothrow_t &) noexcept
{
    note_allocation();
    return std::malloc(size ? size : 1);
}

void *operator new[](size_t size, const std::nothrow_t &) noexcept
{
    note_allocation();
    return std::malloc(size ? size : 1);
}

void operator delete(void *p, const std::nothrow_t &) noexcept
{
    std::free(p);
}

void operator delete[](void *p, const std::nothrow_t &) noexcept
{
    std::free(p);
}

void operator delete(void *p) noexcept
{
    std::free(p);
}

void operator delete[](void *p) noexcept
{
    std::free(p);
}

void operator delete(void *p, size_t) noexcept
{
    std::free(p);
}

void operator delete[](void *p, size_t) noexcept
{
    std::free(p);
}

namespace braid {
namespace {

using test::Bytes;
using test::hex;

class DatapathTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        netdev_register_builtin_classes();
        std::string error;
        ASSERT_EQ(Netdev::open("dpt-in", "dummy", &in_, &error), 0) << error;
        ASSERT_EQ(Netdev::open("dpt-out", "dummy", &out_, &error), 0) << error;
        dp_.configure(dp::Datapath::Settings{});
        ASSERT_EQ(dp_.add_port(in_, &in_no_), 0);
        ASSERT_EQ(dp_.add_port(out_, &out_no_), 0);
        /* Everything from 'in' goes to 'out'; the decision reads only
         * in_port and the MAC addresses. */
        dp_.set_upcall_handler([this](const FlowKey &, const DpPacket &, dp::Upcall *up) {
            upcalls_++;
            up->actions = {dp::Action::output(out_no_)};
            up->mask = FlowKey{};
            up->mask.in_port = UINT32_MAX;
            up->mask.dl_src = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
            up->mask.dl_dst = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
            return true;
        });
    }

    void TearDown() override
    {
        dp_.remove_port(in_no_);
        dp_.remove_port(out_no_);
    }

    /* Injects 'frames' on "dpt-in" and waits until they went through. */
    void inject(const std::vector<Bytes> &frames)
    {
        unixctl::Args args = {"dpt-in"};
        for (const Bytes &f : frames) {
            args.push_back(hex(f));
        }
        ASSERT_TRUE(test::call("netdev-dummy/receive", args).first);
        dp_.sync();
    }

    uint64_t sent()
    {
        NetdevStats s;
        out_->get_stats(&s);
        return s.tx_packets;
    }

    dp::Datapath dp_{"test"};
    std::shared_ptr<Netdev> in_, out_;
    uint32_t in_no_ = 0, out_no_ = 0;
    std::atomic<int> upcalls_{0};
};

TEST_F(DatapathTest, MissInstallsAMegaflowThatLaterPacketsHit)
{
    inject({test::ipv4_frame(kIpProtoUdp, test::udp(1, 2))});
    EXPECT_EQ(upcalls_.load(), 1);
    EXPECT_EQ(sent(), 1u);
    /* Other L4 ports, same MACs: the megaflow covers them. */
    std::vector<Bytes> more;
    for (uint16_t port = 10; port < 42; port++) {
        more.push_back(test::ipv4_frame(kIpProtoUdp, test::udp(port, 2)));
    }
    inject(more);
    EXPECT_EQ(upcalls_.load(), 1);
    EXPECT_EQ(sent(), 33u);
    std::vector<dp::FlowDump> flows = dp_.dump_flows();
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].packets, 33u);
    EXPECT_EQ(dp::actions_to_string(flows[0].actions), std::to_string(out_no_));
    EXPECT_EQ(dp_.n_hits(), 32u);
    EXPECT_EQ(dp_.n_missed(), 1u);

    /* Revalidation makes it stale: the next packet asks again. */
    dp_.revalidate();
    inject({test::ipv4_frame(kIpProtoUdp, test::udp(1, 2))});
    EXPECT_EQ(upcalls_.load(), 2);
}

TEST_F(DatapathTest, SweepExpiresIdleFlows)
{
    inject({test::ipv4_frame(kIpProtoUdp, test::udp(1, 2))});
    ASSERT_EQ(dp_.dump_flows().size(), 1u);
    timeval::stop();
    dp_.sweep(10000);
    EXPECT_EQ(dp_.dump_flows().size(), 1u) << "just used";
    timeval::warp(10001);
    dp_.sweep(10000);
    EXPECT_EQ(dp_.dump_flows().size(), 0u) << "idle for more than 10 s";
    timeval::resume();
}

/* The forwarding path allocates nothing per packet: after a warm-up that
 * installs the flow and sizes every buffer, thousands of packets through
 * exact-match and megaflow hits make no allocation on the datapath thread. */
TEST_F(DatapathTest, NoAllocationPerPacket)
{
    inject({test::ipv4_frame(kIpProtoUdp, test::udp(1, 2))});
    std::vector<Bytes> batch;
    for (uint16_t port = 0; port < 32; port++) {
        batch.push_back(test::ipv4_frame(kIpProtoUdp, test::udp(1000 + port, 2)));
    }
    inject(batch);      /* Warm-up: EMC entries, tx buffers. */
    uint64_t before = sent();

    pmd_allocations.store(0);
    counting.store(true);
    for (int round = 0; round < 50; round++) {
        inject(batch);
    }
    counting.store(false);
    EXPECT_EQ(sent() - before, 50u * 32);
    EXPECT_EQ(pmd_allocations.load(), 0u) << "allocations on the datapath thread";
    EXPECT_EQ(upcalls_.load(), 1);
}

}  // namespace
}  // namespace braid
