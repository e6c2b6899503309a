/* Unit tests for the MAC learning table (ofproto/mac-learning.cc), with the
 * Braid clock stopped and warped. */
#include <config.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "lib/timeval.h"
#include "ofproto/mac-learning.h"

namespace braid::ofproto {
namespace {

/* Stops the clock for the test and lets it run again afterwards. */
class MacLearningTest : public ::testing::Test {
protected:
    void SetUp() override { timeval::stop(); }
    void TearDown() override { timeval::resume(); }
};

constexpr EthAddr mac(uint64_t v)
{
    return EthAddr::from_u64(v);
}

constexpr EthAddr kMacA = mac(0x001122334455);
constexpr EthAddr kMacB = mac(0x0a0000000002);
constexpr EthAddr kMacC = mac(0x525400abcdef);

constexpr LearnSource kGarpOnPort{true, false};
constexpr LearnSource kGarpOnBond{true, true};
constexpr LearnSource kFrameOnBond{false, true};

constexpr uint32_t kBondPort = 100;

TEST_F(MacLearningTest, LearnLookupMoveRefresh)
{
    MacLearning ml;
    EXPECT_EQ(ml.generation(), 0u);
    EXPECT_EQ(ml.size(), 0u);

    EXPECT_EQ(ml.learn(kMacA, 10, 1), LearnResult::kLearned);
    EXPECT_EQ(ml.generation(), 1u);
    EXPECT_EQ(ml.lookup(kMacA, 10), 1u);
    EXPECT_EQ(ml.lookup(kMacA, 11), std::nullopt) << "VLANs are separate";
    EXPECT_EQ(ml.lookup(kMacB, 10), std::nullopt);

    /* Seen again on the same port: no new answer, no new generation. */
    EXPECT_EQ(ml.learn(kMacA, 10, 1), LearnResult::kRefreshed);
    timeval::warp(10);
    EXPECT_EQ(ml.learn(kMacA, 10, 1), LearnResult::kRefreshed);
    EXPECT_EQ(ml.generation(), 1u);

    EXPECT_EQ(ml.learn(kMacA, 10, 2), LearnResult::kMoved);
    EXPECT_EQ(ml.generation(), 2u);
    EXPECT_EQ(ml.lookup(kMacA, 10), 2u);

    EXPECT_EQ(ml.learn(kMacA, 20, 3), LearnResult::kLearned);
    EXPECT_EQ(ml.generation(), 3u);
    EXPECT_EQ(ml.size(), 2u);
    EXPECT_EQ(ml.lookup(kMacA, 10), 2u);
    EXPECT_EQ(ml.lookup(kMacA, 20), 3u);

    /* refresh() only confirms the port the entry already names. */
    EXPECT_FALSE(ml.refresh(kMacA, 10, 1));
    EXPECT_TRUE(ml.refresh(kMacA, 10, 2));
    EXPECT_FALSE(ml.refresh(kMacB, 10, 2)) << "refresh never learns";
    EXPECT_EQ(ml.lookup(kMacA, 10), 2u);
    EXPECT_EQ(ml.lookup(kMacB, 10), std::nullopt);
    EXPECT_EQ(ml.generation(), 3u);

    /* Port 0 is a port like any other. */
    EXPECT_EQ(ml.learn(kMacB, 0, 0), LearnResult::kLearned);
    EXPECT_EQ(ml.lookup(kMacB, 0), 0u);
    EXPECT_EQ(ml.generation(), 4u);

    EXPECT_EQ(ml.stats(), (MacLearningStats{3, 0, 0, 1}));
}

TEST_F(MacLearningTest, FindReportsTheEntry)
{
    MacLearning ml;
    int64_t t0 = timeval::msec();
    ml.learn(kMacC, 7, 42);
    timeval::warp(2500);
    std::optional<MacEntry> e = ml.find(kMacC, 7);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->mac, kMacC);
    EXPECT_EQ(e->vlan, 7);
    EXPECT_EQ(e->port, 42u);
    EXPECT_EQ(e->last_seen, t0);
    EXPECT_EQ(e->age, 2);
    EXPECT_FALSE(e->grat_arp_locked);
    EXPECT_EQ(ml.find(kMacC, 8), std::nullopt);
}

TEST_F(MacLearningTest, OddInputIsNotLearned)
{
    MacLearning ml;
    EXPECT_EQ(ml.learn(mac(0x01005e000001), 1, 1), LearnResult::kNotLearned) << "multicast";
    EXPECT_EQ(ml.learn(kEthAddrBroadcast, 1, 1), LearnResult::kNotLearned);
    EXPECT_EQ(ml.learn(mac(0), 1, 1), LearnResult::kNotLearned) << "zero MAC";
    EXPECT_EQ(ml.learn(kMacA, 4096, 1), LearnResult::kNotLearned);
    EXPECT_EQ(ml.learn(kMacA, 0xffff, 1), LearnResult::kNotLearned);
    EXPECT_EQ(ml.learn(kMacA, 4096, 1, kGarpOnPort), LearnResult::kNotLearned);
    EXPECT_EQ(ml.size(), 0u);
    EXPECT_EQ(ml.generation(), 0u);
    EXPECT_EQ(ml.stats(), MacLearningStats{});

    EXPECT_EQ(ml.lookup(kMacA, 4096), std::nullopt);
    EXPECT_EQ(ml.lookup(kEthAddrBroadcast, 0), std::nullopt);
    EXPECT_FALSE(ml.refresh(kMacA, 5000, 1));
    EXPECT_EQ(ml.flush_vlan(0xffff), 0u);

    EXPECT_EQ(ml.learn(kMacA, 4095, 1), LearnResult::kLearned) << "4095 is a key";
    EXPECT_EQ(ml.lookup(kMacA, 4095), 1u);
    /* A locally administered unicast address is learnable. */
    EXPECT_EQ(ml.learn(mac(0x020000000001), 0, 1), LearnResult::kLearned);
}

TEST_F(MacLearningTest, NormalizeSettings)
{
    EXPECT_EQ(MacLearning::normalize_idle_time(-5), 15u);
    EXPECT_EQ(MacLearning::normalize_idle_time(0), 15u);
    EXPECT_EQ(MacLearning::normalize_idle_time(14), 15u);
    EXPECT_EQ(MacLearning::normalize_idle_time(15), 15u);
    EXPECT_EQ(MacLearning::normalize_idle_time(300), 300u);
    EXPECT_EQ(MacLearning::normalize_idle_time(3600), 3600u);
    EXPECT_EQ(MacLearning::normalize_idle_time(3601), 3600u);
    EXPECT_EQ(MacLearning::normalize_max_entries(-1), 10u);
    EXPECT_EQ(MacLearning::normalize_max_entries(9), 10u);
    EXPECT_EQ(MacLearning::normalize_max_entries(10), 10u);
    EXPECT_EQ(MacLearning::normalize_max_entries(8192), 8192u);
    EXPECT_EQ(MacLearning::normalize_max_entries(1000000), 1000000u);
    EXPECT_EQ(MacLearning::normalize_max_entries(1000001), 1000000u);

    MacLearning defaults;
    EXPECT_EQ(defaults.max_entries(), 8192u);
    EXPECT_EQ(defaults.idle_time(), 300u);

    MacLearning ml(3, 5);
    EXPECT_EQ(ml.max_entries(), 10u);
    EXPECT_EQ(ml.idle_time(), 15u);
    ml.set_idle_time(100000);
    EXPECT_EQ(ml.idle_time(), 3600u);
    ml.set_max_entries(SIZE_MAX);
    EXPECT_EQ(ml.max_entries(), 1000000u);
    ml.set_max_entries(0);
    EXPECT_EQ(ml.max_entries(), 10u);
}

TEST_F(MacLearningTest, Aging)
{
    MacLearning ml;     /* 300 s. */
    ml.learn(kMacA, 1, 1);
    timeval::warp(299 * 1000);
    EXPECT_EQ(ml.lookup(kMacA, 1), 1u) << "alive at aging - 1 s";
    EXPECT_EQ(ml.expire(), 0u);
    timeval::warp(999);
    EXPECT_EQ(ml.lookup(kMacA, 1), 1u) << "alive 1 ms before the aging time";
    timeval::warp(1);
    EXPECT_EQ(ml.lookup(kMacA, 1), std::nullopt) << "dead at the aging time";
    EXPECT_EQ(ml.find(kMacA, 1), std::nullopt);

    /* Dead but not yet expired: lookups miss, but it is still held and the
     * generation has not moved. */
    timeval::warp(1000);
    EXPECT_EQ(ml.size(), 1u);
    EXPECT_EQ(ml.generation(), 1u);
    EXPECT_TRUE(ml.entries().empty());
    EXPECT_FALSE(ml.refresh(kMacA, 1, 1)) << "a dead entry is not revived";

    EXPECT_EQ(ml.expire(), 1u);
    EXPECT_EQ(ml.size(), 0u);
    EXPECT_EQ(ml.generation(), 2u);
    EXPECT_EQ(ml.stats(), (MacLearningStats{1, 1, 0, 0}));
    EXPECT_EQ(ml.expire(), 0u);
    EXPECT_EQ(ml.generation(), 2u);
}

TEST_F(MacLearningTest, RefreshKeepsAlive)
{
    MacLearning ml(kMacDefaultMaxEntries, 60);
    ml.learn(kMacA, 1, 1);
    timeval::warp(50 * 1000);
    EXPECT_TRUE(ml.refresh(kMacA, 1, 1));
    timeval::warp(50 * 1000);       /* 100 s after learning, 50 s after refresh. */
    EXPECT_EQ(ml.expire(), 0u);
    EXPECT_EQ(ml.lookup(kMacA, 1), 1u);
    timeval::warp(9 * 1000);
    ml.learn(kMacA, 1, 1);          /* Learning the same port refreshes too. */
    timeval::warp(59 * 1000);
    EXPECT_EQ(ml.expire(), 0u);
    EXPECT_EQ(ml.lookup(kMacA, 1), 1u);
    timeval::warp(1000);
    EXPECT_EQ(ml.expire(), 1u);
    EXPECT_EQ(ml.generation(), 2u);
}

TEST_F(MacLearningTest, RelearningADeadEntry)
{
    MacLearning ml(kMacDefaultMaxEntries, 15);
    ml.learn(kMacA, 1, 1);
    timeval::warp(20 * 1000);
    EXPECT_EQ(ml.learn(kMacA, 1, 2), LearnResult::kLearned) << "dead: learned afresh";
    EXPECT_EQ(ml.size(), 1u);
    EXPECT_EQ(ml.lookup(kMacA, 1), 2u);
    EXPECT_EQ(ml.generation(), 2u);
    EXPECT_EQ(ml.stats(), (MacLearningStats{2, 1, 0, 0}));
}

TEST_F(MacLearningTest, NextExpiry)
{
    MacLearning ml;
    EXPECT_EQ(ml.next_expiry(), -1);
    int64_t t0 = timeval::msec();
    ml.learn(kMacA, 1, 1);
    EXPECT_EQ(ml.next_expiry(), t0 + 300000);
    timeval::warp(10000);
    ml.learn(kMacB, 1, 1);
    EXPECT_EQ(ml.next_expiry(), t0 + 300000) << "A still dies first";
    timeval::warp(10000);
    ml.refresh(kMacA, 1, 1);
    EXPECT_EQ(ml.next_expiry(), t0 + 10000 + 300000) << "now B dies first";

    /* The aging time applies to the entries already held. */
    ml.set_idle_time(100);
    EXPECT_EQ(ml.next_expiry(), t0 + 10000 + 100000);

    timeval::warp(90000);           /* t0 + 110 s: B dead, A alive. */
    EXPECT_LE(ml.next_expiry(), timeval::msec()) << "work is due";
    EXPECT_EQ(ml.expire(), 1u);
    EXPECT_EQ(ml.next_expiry(), t0 + 20000 + 100000);
    ml.flush();
    EXPECT_EQ(ml.next_expiry(), -1);
}

TEST_F(MacLearningTest, ShorterAgingRemovesAtOnce)
{
    MacLearning ml;
    ml.learn(kMacA, 1, 1);
    timeval::warp(20000);
    ml.learn(kMacB, 1, 1);
    uint64_t gen = ml.generation();
    ml.set_idle_time(15);           /* A is 20 s old: dead; B is new. */
    EXPECT_EQ(ml.size(), 1u);
    EXPECT_EQ(ml.lookup(kMacA, 1), std::nullopt);
    EXPECT_EQ(ml.lookup(kMacB, 1), 1u);
    EXPECT_EQ(ml.generation(), gen + 1);
    EXPECT_EQ(ml.stats().expired, 1u);
    ml.set_idle_time(3600);         /* Removes nothing. */
    EXPECT_EQ(ml.generation(), gen + 1);
}

TEST_F(MacLearningTest, BoundKeepsRecentlyActiveMacs)
{
    constexpr size_t kMax = 8192;
    constexpr size_t kTotal = 100000;
    MacLearning ml(kMax);

    /* 'kKeep' is learned first, then kept active while kTotal - 1 distinct
     * random unicast MACs flood in. */
    const EthAddr kKeep = mac(0x0200000000aa);
    std::mt19937_64 rng(12345);
    std::unordered_set<uint64_t> seen{kKeep.to_u64()};
    std::vector<EthAddr> flood;
    while (flood.size() < kTotal - 1) {
        uint64_t v = rng() & 0xfeffffffffffull;    /* Clear the multicast bit. */
        if (v && seen.insert(v).second) {
            flood.push_back(mac(v));
        }
    }

    ASSERT_EQ(ml.learn(kKeep, 0, 1), LearnResult::kLearned);
    for (size_t i = 0; i < flood.size(); i++) {
        ASSERT_EQ(ml.learn(flood[i], 0, 2), LearnResult::kLearned);
        if (i % 1000 == 999) {
            ASSERT_EQ(ml.learn(kKeep, 0, 1), LearnResult::kRefreshed);
        }
        ASSERT_LE(ml.size(), kMax);
    }

    EXPECT_EQ(ml.size(), kMax);
    EXPECT_EQ(ml.stats(), (MacLearningStats{kTotal, 0, kTotal - kMax, 0}));
    EXPECT_EQ(ml.generation(), kTotal) << "one bump per new MAC";
    EXPECT_EQ(ml.lookup(kKeep, 0), 1u) << "the active MAC survives";

    /* The survivors are exactly the most recent kMax - 1 of the flood. */
    size_t first_kept = flood.size() - (kMax - 1);
    for (size_t i = 0; i < flood.size(); i++) {
        bool present = ml.lookup(flood[i], 0).has_value();
        ASSERT_EQ(present, i >= first_kept) << i;
    }
    EXPECT_EQ(ml.entries().size(), kMax);
}

TEST_F(MacLearningTest, ShrinkingEvictsLeastRecentlySeen)
{
    MacLearning ml(20);
    for (uint64_t i = 1; i <= 20; i++) {
        ml.learn(mac(0x020000000000 + i), 0, static_cast<uint32_t>(i));
        timeval::warp(1000);
    }
    ml.refresh(mac(0x020000000001), 0, 1);     /* Now the most recent. */
    uint64_t gen = ml.generation();
    EXPECT_EQ(gen, 20u);

    ml.set_max_entries(10);
    EXPECT_EQ(ml.max_entries(), 10u);
    EXPECT_EQ(ml.size(), 10u);
    EXPECT_EQ(ml.generation(), gen + 1);
    /* Like OVS, entries removed by shrinking count as expired. */
    EXPECT_EQ(ml.stats(), (MacLearningStats{20, 10, 0, 0}));
    EXPECT_EQ(ml.lookup(mac(0x020000000001), 0), 1u);
    for (uint64_t i = 2; i <= 11; i++) {
        EXPECT_EQ(ml.lookup(mac(0x020000000000 + i), 0), std::nullopt) << i;
    }
    for (uint64_t i = 12; i <= 20; i++) {
        EXPECT_EQ(ml.lookup(mac(0x020000000000 + i), 0), i) << i;
    }

    /* The new bound holds for learning. */
    for (uint64_t i = 21; i <= 25; i++) {
        EXPECT_EQ(ml.learn(mac(0x020000000000 + i), 0, 1), LearnResult::kLearned);
    }
    EXPECT_EQ(ml.size(), 10u);
    EXPECT_EQ(ml.stats(), (MacLearningStats{25, 10, 5, 0}));

    /* Growing keeps everything. */
    ml.set_max_entries(1000);
    EXPECT_EQ(ml.size(), 10u);
    EXPECT_EQ(ml.lookup(mac(0x020000000000 + 25), 0), 1u);
    EXPECT_EQ(ml.lookup(mac(0x020000000001), 0), 1u);
}

TEST_F(MacLearningTest, Flushes)
{
    MacLearning ml;
    ml.learn(mac(0x020000000001), 10, 1);
    ml.learn(mac(0x020000000002), 10, 2);
    ml.learn(mac(0x020000000003), 20, 2);
    ml.learn(mac(0x020000000004), 20, 3);
    ml.learn(mac(0x020000000005), 30, 3);
    EXPECT_EQ(ml.generation(), 5u);

    EXPECT_EQ(ml.flush_port(2), 2u);
    EXPECT_EQ(ml.generation(), 6u);
    EXPECT_EQ(ml.size(), 3u);
    EXPECT_EQ(ml.lookup(mac(0x020000000002), 10), std::nullopt);
    EXPECT_EQ(ml.lookup(mac(0x020000000003), 20), std::nullopt);
    EXPECT_EQ(ml.lookup(mac(0x020000000001), 10), 1u);

    EXPECT_EQ(ml.flush_port(99), 0u);
    EXPECT_EQ(ml.generation(), 6u) << "nothing removed, nothing changed";

    EXPECT_EQ(ml.flush_vlan(20), 1u);
    EXPECT_EQ(ml.generation(), 7u);
    EXPECT_EQ(ml.lookup(mac(0x020000000004), 20), std::nullopt);
    EXPECT_EQ(ml.lookup(mac(0x020000000005), 30), 3u);

    EXPECT_EQ(ml.flush(), 2u);
    EXPECT_EQ(ml.generation(), 8u);
    EXPECT_EQ(ml.size(), 0u);
    EXPECT_EQ(ml.lookup(mac(0x020000000005), 30), std::nullopt);
    EXPECT_EQ(ml.flush(), 0u);
    EXPECT_EQ(ml.generation(), 8u);

    /* Flushes are not counted in the statistics. */
    EXPECT_EQ(ml.stats(), (MacLearningStats{5, 0, 0, 0}));

    /* The table works after a flush. */
    EXPECT_EQ(ml.learn(mac(0x020000000001), 10, 7), LearnResult::kLearned);
    EXPECT_EQ(ml.lookup(mac(0x020000000001), 10), 7u);
    EXPECT_EQ(ml.size(), 1u);
}

TEST_F(MacLearningTest, GratuitousArpLock)
{
    MacLearning ml;
    const EthAddr vm = kMacC;

    /* A VM's gratuitous ARP on its own port learns it and locks it. */
    EXPECT_EQ(ml.learn(vm, 0, 1, kGarpOnPort), LearnResult::kLearned);
    EXPECT_TRUE(ml.find(vm, 0)->grat_arp_locked);
    uint64_t gen = ml.generation();

    /* Its reflection arrives on the bond: refused during the 5 s. */
    timeval::warp(2000);
    EXPECT_EQ(ml.learn(vm, 0, kBondPort, kGarpOnBond), LearnResult::kLocked);
    timeval::warp(2999);
    EXPECT_EQ(ml.learn(vm, 0, kBondPort, kGarpOnBond), LearnResult::kLocked);
    EXPECT_EQ(ml.lookup(vm, 0), 1u);
    EXPECT_EQ(ml.generation(), gen);
    EXPECT_EQ(ml.stats().moved, 0u);
    EXPECT_EQ(ml.find(vm, 0)->last_seen, timeval::msec() - 4999)
        << "a refused frame does not refresh the entry";

    /* 5 s after the ARP, the lock is over: the VM migrated behind the bond. */
    timeval::warp(1);
    EXPECT_FALSE(ml.find(vm, 0)->grat_arp_locked);
    EXPECT_EQ(ml.learn(vm, 0, kBondPort, kGarpOnBond), LearnResult::kMoved);
    EXPECT_EQ(ml.lookup(vm, 0), kBondPort);
    EXPECT_EQ(ml.generation(), gen + 1);
    EXPECT_FALSE(ml.find(vm, 0)->grat_arp_locked) << "a GARP on a bond never locks";

    /* It comes back: a gratuitous ARP on a port moves it and locks again. */
    timeval::warp(60000);
    EXPECT_EQ(ml.learn(vm, 0, 1, kGarpOnPort), LearnResult::kMoved);
    timeval::warp(3000);
    /* A repeated announcement re-arms the lock for 5 s from now. */
    EXPECT_EQ(ml.learn(vm, 0, 1, kGarpOnPort), LearnResult::kRefreshed);
    timeval::warp(3000);    /* 6 s after the first ARP, 3 s after the second. */
    EXPECT_EQ(ml.learn(vm, 0, kBondPort, kGarpOnBond), LearnResult::kLocked);
    EXPECT_EQ(ml.lookup(vm, 0), 1u);
    timeval::warp(2000);
    EXPECT_EQ(ml.learn(vm, 0, kBondPort, kGarpOnBond), LearnResult::kMoved);
}

TEST_F(MacLearningTest, GratuitousArpLockScope)
{
    MacLearning ml;

    /* Ordinary frames neither arm the lock nor obey it. */
    ml.learn(kMacA, 0, 1);
    EXPECT_FALSE(ml.find(kMacA, 0)->grat_arp_locked);
    EXPECT_EQ(ml.learn(kMacA, 0, kBondPort, kGarpOnBond), LearnResult::kMoved);

    ml.learn(kMacB, 0, 1, kGarpOnPort);
    EXPECT_EQ(ml.learn(kMacB, 0, kBondPort, kFrameOnBond), LearnResult::kMoved)
        << "the lock is only about gratuitous ARPs";
    EXPECT_EQ(ml.learn(kMacB, 0, 2, kGarpOnPort), LearnResult::kMoved)
        << "a GARP on a non-bond port is never refused";

    /* The lock is per (MAC, VLAN). */
    ml.learn(kMacC, 5, 1, kGarpOnPort);
    EXPECT_EQ(ml.learn(kMacC, 6, kBondPort, kGarpOnBond), LearnResult::kLearned);
    EXPECT_EQ(ml.learn(kMacC, 5, kBondPort, kGarpOnBond), LearnResult::kLocked);

    /* An unknown MAC is learned from a bond's GARP, unlocked. */
    const EthAddr other = mac(0x020000000099);
    EXPECT_EQ(ml.learn(other, 0, kBondPort, kGarpOnBond), LearnResult::kLearned);
    EXPECT_FALSE(ml.find(other, 0)->grat_arp_locked);
}

TEST_F(MacLearningTest, ShowText)
{
    MacLearning ml;
    EXPECT_EQ(ml.show(), " port  VLAN  MAC                Age\n");

    ml.learn(kMacA, 0, 1);
    timeval::warp(1500);
    ml.learn(kMacB, 100, 65534);
    timeval::warp(2000);
    ml.learn(kMacC, 4095, 12345);
    timeval::warp(700);             /* Ages 4.2 s, 2.7 s and 0.7 s. */

    /* Least recently seen first, as OVS prints its LRU list. */
    EXPECT_EQ(ml.show(),
              " port  VLAN  MAC                Age\n"
              "    1     0  00:11:22:33:44:55    4\n"
              "LOCAL   100  0a:00:00:00:00:02    2\n"
              "12345  4095  52:54:00:ab:cd:ef    0\n");

    /* Refreshing moves an entry to the end; a dead one is not shown. */
    ml.refresh(kMacA, 0, 1);
    timeval::warp(296000);          /* A: 296 s, B: 298.7 s, C: 296.7 s. */
    ml.learn(mac(0x020000000001), 1, 123456);
    timeval::warp(1500);            /* B dead at 300.2 s. */
    EXPECT_EQ(ml.show(),
              " port  VLAN  MAC                Age\n"
              "12345  4095  52:54:00:ab:cd:ef  298\n"
              "    1     0  00:11:22:33:44:55  297\n"
              "123456     1  02:00:00:00:00:01    1\n");

    std::vector<MacEntry> list = ml.entries();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].port, 1u);
    EXPECT_EQ(list[0].age, 297);
    EXPECT_EQ(list[1].port, 12345u);
    EXPECT_EQ(list[1].vlan, 4095);
    EXPECT_EQ(list[2].port, 123456u);
    EXPECT_EQ(list[2].mac, mac(0x020000000001));
    EXPECT_EQ(list[2].age, 1);
}

TEST_F(MacLearningTest, EntriesAreSorted)
{
    MacLearning ml;
    ml.learn(mac(0x020000000003), 5, 2);
    ml.learn(mac(0x020000000001), 5, 2);
    ml.learn(mac(0x020000000002), 4, 2);
    ml.learn(mac(0x020000000009), 9, 1);
    std::vector<MacEntry> list = ml.entries();
    ASSERT_EQ(list.size(), 4u);
    EXPECT_EQ(list[0].mac, mac(0x020000000009));
    EXPECT_EQ(list[1].mac, mac(0x020000000002));
    EXPECT_EQ(list[2].mac, mac(0x020000000001));
    EXPECT_EQ(list[3].mac, mac(0x020000000003));
}

TEST_F(MacLearningTest, StatsShowText)
{
    MacLearning ml(10, 60);
    EXPECT_EQ(ml.stats_show("br0"),
              "Statistics for bridge \"br0\":\n"
              "  Current/maximum MAC entries in the table: 0/10\n"
              "  Current static MAC entries in the table : 0\n"
              "  Total number of learned MAC entries     : 0\n"
              "  Total number of expired MAC entries     : 0\n"
              "  Total number of evicted MAC entries     : 0\n"
              "  Total number of port moved MAC entries  : 0\n");

    for (uint64_t i = 1; i <= 12; i++) {      /* 12 learned, 2 evicted. */
        ml.learn(mac(0x020000000000 + i), 0, 1);
    }
    ml.learn(mac(0x020000000005), 0, 2);       /* 1 moved. */
    ml.learn(mac(0x020000000006), 0, 3);       /* 2 moved. */
    timeval::warp(30000);
    ml.learn(mac(0x020000000007), 0, 1);
    timeval::warp(30000);
    ml.expire();                               /* All but one: 9 expired. */
    EXPECT_EQ(ml.stats_show("br-ex"),
              "Statistics for bridge \"br-ex\":\n"
              "  Current/maximum MAC entries in the table: 1/10\n"
              "  Current static MAC entries in the table : 0\n"
              "  Total number of learned MAC entries     : 12\n"
              "  Total number of expired MAC entries     : 9\n"
              "  Total number of evicted MAC entries     : 2\n"
              "  Total number of port moved MAC entries  : 2\n");

    ml.clear_stats();
    EXPECT_EQ(ml.stats(), MacLearningStats{});
    EXPECT_EQ(ml.size(), 1u) << "clearing the statistics keeps the entries";
}

TEST_F(MacLearningTest, LearnResultNames)
{
    EXPECT_STREQ(learn_result_to_string(LearnResult::kLearned), "learned");
    EXPECT_STREQ(learn_result_to_string(LearnResult::kMoved), "moved");
    EXPECT_STREQ(learn_result_to_string(LearnResult::kRefreshed), "refreshed");
    EXPECT_STREQ(learn_result_to_string(LearnResult::kLocked), "locked");
    EXPECT_STREQ(learn_result_to_string(LearnResult::kNotLearned), "not-learned");
}

/* Two datapath-like threads learn and look up while a control thread
 * flushes, expires, resizes and prints.  Checks only that nothing crashes
 * or breaks the bound (the sanitizers do the rest). */
TEST_F(MacLearningTest, ConcurrencySmoke)
{
    MacLearning ml(64, 15);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> hits{0};

    auto worker = [&](uint64_t seed) {
        std::mt19937_64 rng(seed);
        for (int i = 0; i < 40000; i++) {
            EthAddr m = mac(0x020000000000 + rng() % 200);
            uint16_t vlan = rng() % 3;
            uint32_t port = rng() % 4;
            LearnSource source{rng() % 8 == 0, rng() % 2 == 0};
            ml.learn(m, vlan, port, source);
            if (ml.lookup(m, vlan)) {
                hits++;
            }
            ml.refresh(m, vlan, port);
            ml.find(m, vlan);
        }
    };
    std::thread control([&] {
        int round = 0;
        while (!stop.load()) {
            switch (round++ % 6) {
            case 0: ml.flush(); break;
            case 1: ml.flush_port(1); break;
            case 2: ml.flush_vlan(2); break;
            case 3: ml.expire(); timeval::warp(1000); break;
            case 4: ml.set_max_entries(round % 12 == 4 ? 32 : 128); break;
            case 5: (void) ml.show(); (void) ml.entries(); (void) ml.stats_show("br0"); break;
            }
            EXPECT_LE(ml.size(), ml.max_entries());
            std::this_thread::yield();
        }
    });
    std::thread a(worker, 1), b(worker, 2);
    a.join();
    b.join();
    stop = true;
    control.join();

    EXPECT_GT(hits.load(), 0u);
    EXPECT_LE(ml.size(), ml.max_entries());
    EXPECT_GT(ml.generation(), 0u);
    size_t live = ml.entries().size();
    EXPECT_LE(live, ml.size());
}

}  // namespace
}  // namespace braid::ofproto
