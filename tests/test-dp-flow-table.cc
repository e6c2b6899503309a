/* Tests of the datapath's flow caches: the exact-match cache in front, the
 * classifier of masked megaflows behind it. */
#include <config.h>

#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "lib/dp-flow-table.h"

namespace braid::dp {
namespace {

/* A key with a distinct source MAC and L4 port for 'i'. */
FlowKey key_of(uint32_t i)
{
    FlowKey k{};
    k.in_port = 1 + (i & 3);
    k.dl_src = EthAddr{{0x02, 0, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i), 1}};
    k.dl_dst = EthAddr{{0x02, 0, 0, 0, 0, 2}};
    k.dl_type = be16::from_host(0x0800);
    k.nw_src = be32::from_host(0x0a000000 + i);
    k.tp_src = be16::from_host(uint16_t(i * 7));
    return k;
}

/* The mask NORMAL makes: in_port and the Ethernet addresses. */
FlowKey l2_mask()
{
    FlowKey m{};
    m.in_port = 0xffffffff;
    m.dl_src = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    m.dl_dst = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    return m;
}

Megaflow *find(FlowTable &t, const FlowKey &k, uint64_t gen = 1, bool *emc_hit = nullptr)
{
    bool emc;
    int subtables;
    Megaflow *f = t.lookup(k, flow_key_hash(k), gen, &emc, &subtables);
    if (emc_hit) {
        *emc_hit = emc;
    }
    return f;
}

TEST(FlowTable, MaskedFieldsAreIgnoredAndTheEmcRemembers)
{
    FlowTable t;
    FlowKey k = key_of(5);
    Megaflow *f = t.insert(k, flow_key_hash(k), l2_mask(), {Action::output(2)}, 1, {});
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(t.n_flows(), 1u);
    EXPECT_EQ(t.n_subtables(), 1u);

    /* Different IP and port, same L2: the same megaflow, first from the
     * classifier, then from the EMC. */
    FlowKey other = k;
    other.nw_src = be32::from_host(0x0b000001);
    other.tp_src = be16::from_host(9999);
    bool emc = true;
    EXPECT_EQ(find(t, other, 1, &emc), f);
    EXPECT_FALSE(emc);
    EXPECT_EQ(find(t, other, 1, &emc), f);
    EXPECT_TRUE(emc);

    /* A field in the mask differs: no match. */
    FlowKey miss = k;
    miss.in_port = 9;
    EXPECT_EQ(find(t, miss), nullptr);
    miss = k;
    miss.dl_dst.b[5] = 3;
    EXPECT_EQ(find(t, miss), nullptr);
}

TEST(FlowTable, OlderGenerationsDoNotMatch)
{
    FlowTable t;
    FlowKey k = key_of(1);
    t.insert(k, flow_key_hash(k), l2_mask(), {}, 1, {});
    EXPECT_NE(find(t, k, 1), nullptr);
    EXPECT_EQ(find(t, k, 2), nullptr);

    /* Reinstalling in the new generation replaces the stale megaflow. */
    Megaflow *f = t.insert(k, flow_key_hash(k), l2_mask(), {Action::output(3)}, 2, {});
    EXPECT_EQ(t.n_flows(), 1u);
    EXPECT_EQ(find(t, k, 2), f);
    t.purge();
    FlowKey other = k;
    other.tp_src = be16::from_host(1);
    EXPECT_EQ(find(t, other, 2), f);
}

TEST(FlowTable, DistinctMasksMakeSubtables)
{
    FlowTable t;
    FlowKey k = key_of(1);
    FlowKey exact = flow_key_all_ones();
    Megaflow *a = t.insert(k, flow_key_hash(k), l2_mask(), {Action::output(2)}, 1, {});
    FlowKey k2 = key_of(2);
    Megaflow *b = t.insert(k2, flow_key_hash(k2), exact, {Action::output(3)}, 1, {});
    EXPECT_EQ(t.n_subtables(), 2u);
    EXPECT_EQ(find(t, k), a);
    EXPECT_EQ(find(t, k2), b);
    FlowKey k2_other = k2;
    k2_other.tp_src = be16::from_host(4242);
    EXPECT_EQ(find(t, k2_other), nullptr) << "the exact-match megaflow must not widen";

    t.remove(b);
    t.purge();
    EXPECT_EQ(t.n_subtables(), 1u) << "an empty subtable goes away";
    EXPECT_EQ(find(t, k2), nullptr);
    EXPECT_EQ(find(t, k), a);
}

/* Thousands of inserts and removals in random order against a reference
 * map: the classifier's open-addressed index must find exactly the flows
 * that are present, through growth and backward-shift deletion. */
TEST(FlowTable, RandomInsertsAndRemovalsMatchAReference)
{
    FlowTable t;
    std::map<uint32_t, Megaflow *> present;
    std::mt19937 rng(12345);
    for (int step = 0; step < 20000; step++) {
        uint32_t i = rng() % 3000;
        FlowKey k = key_of(i);
        auto it = present.find(i);
        if (it == present.end()) {
            present[i] = t.insert(k, flow_key_hash(k), l2_mask(), {Action::output(i)}, 1, {});
        } else if (rng() % 2) {
            t.remove(it->second);
            present.erase(it);
        }
        if (step % 1000 == 999) {
            t.purge();
            ASSERT_EQ(t.n_flows(), present.size());
            for (uint32_t j = 0; j < 3000; j++) {
                FlowKey q = key_of(j);
                q.nw_dst = be32::from_host(step);   /* Wildcarded; defeats the EMC. */
                auto p = present.find(j);
                Megaflow *want = p == present.end() ? nullptr : p->second;
                ASSERT_EQ(find(t, q), want) << "flow " << j << " at step " << step;
            }
        }
    }
}

TEST(FlowTable, PurgeDropsEmcEntriesOfRemovedFlows)
{
    FlowTable t;
    FlowKey k = key_of(7);
    Megaflow *f = t.insert(k, flow_key_hash(k), l2_mask(), {}, 1, {});
    bool emc = false;
    EXPECT_EQ(find(t, k, 1, &emc), f);
    EXPECT_TRUE(emc);
    t.remove(f);
    EXPECT_EQ(find(t, k), nullptr) << "a removed flow must not hit in the EMC";
    t.purge();
    EXPECT_EQ(find(t, k), nullptr);
    EXPECT_EQ(t.n_flows(), 0u);

    size_t n = 0;
    t.insert(k, flow_key_hash(k), l2_mask(), {}, 1, {});
    t.for_each([&n](const Megaflow &) { n++; });
    EXPECT_EQ(n, 1u);
    t.clear();
    EXPECT_EQ(find(t, k), nullptr);
    EXPECT_EQ(t.n_flows(), 0u);
}

}  // namespace
}  // namespace braid::dp
