/* Micro-benchmarks of the per-packet library functions: flow extraction,
 * flow hashing, the bond transmit hashes and the bond member choice of
 * bond_output.  Run by hand:
 *
 *     _build/tests/bench-lib [--benchmark_filter=REGEX]
 *
 * Speed goals are checked here, never in timed unit tests. */
#include <config.h>

#include <benchmark/benchmark.h>

#include "lib/dp-actions.h"
#include "lib/dp-bond.h"
#include "lib/dp-flow-table.h"
#include "lib/flow.h"
#include "lib/hash.h"
#include "lib/xmit-hash.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;

Bytes tcp_frame()
{
    Bytes l4 = test::tcp(40000, 80, kTcpAck);
    Bytes frame = test::concat({test::eth(kEthTypeIpv4), test::ipv4(kIpProtoTcp, l4.size()), l4});
    frame.resize(64);
    return frame;
}

Bytes vlan_ipv6_udp_frame()
{
    Bytes l4 = test::udp(5353, 5353, 8);
    return test::concat({test::eth_vlans({{kEthTypeVlan8021Q, 10}}, kEthTypeIpv6),
                         test::ipv6(kIpProtoUdp, l4.size()), l4});
}

void BM_FlowExtractIpv4Tcp(benchmark::State &state)
{
    Bytes frame = tcp_frame();
    FlowKey key{};
    for (auto _ : state) {
        benchmark::DoNotOptimize(flow_extract(frame, key));
        benchmark::DoNotOptimize(key);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FlowExtractIpv4Tcp);

void BM_FlowExtractVlanIpv6Udp(benchmark::State &state)
{
    Bytes frame = vlan_ipv6_udp_frame();
    FlowKey key{};
    for (auto _ : state) {
        benchmark::DoNotOptimize(flow_extract(frame, key));
        benchmark::DoNotOptimize(key);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FlowExtractVlanIpv6Udp);

void BM_FlowHash(benchmark::State &state)
{
    FlowKey key{};
    flow_extract(tcp_frame(), key);
    uint32_t basis = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(basis = flow_hash(key, basis));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FlowHash);

void BM_FlowHashSymmetricL4(benchmark::State &state)
{
    FlowKey key{};
    flow_extract(tcp_frame(), key);
    uint32_t basis = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(basis = flow_hash_symmetric_l4(key, basis));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FlowHashSymmetricL4);

void BM_XmitHash(benchmark::State &state)
{
    auto policy = static_cast<XmitHashPolicy>(state.range(0));
    state.SetLabel(xmit_hash_policy_to_string(policy));
    FlowKey key{};
    flow_extract(tcp_frame(), key);
    for (auto _ : state) {
        benchmark::DoNotOptimize(xmit_hash(policy, key));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_XmitHash)
    ->Arg(int(XmitHashPolicy::kLayer2))
    ->Arg(int(XmitHashPolicy::kLayer23))
    ->Arg(int(XmitHashPolicy::kLayer34))
    ->Arg(int(XmitHashPolicy::kVlanSrcMac));

/* A batch of 32 frames extracted and hashed, the unit of datapath work. */
void BM_ExtractAndHashBatch32(benchmark::State &state)
{
    std::vector<Bytes> frames;
    for (int i = 0; i < 32; i++) {
        Bytes f = tcp_frame();
        f[14 + 20 + 1] = uint8_t(i);    /* Vary the source port. */
        frames.push_back(f);
    }
    FlowKey keys[32] = {};
    uint32_t hashes[32];
    for (auto _ : state) {
        for (int i = 0; i < 32; i++) {
            flow_extract(frames[i], keys[i]);
        }
        for (int i = 0; i < 32; i++) {
            hashes[i] = flow_hash(keys[i], 0);
        }
        benchmark::DoNotOptimize(hashes);
    }
    state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_ExtractAndHashBatch32);

void BM_FlowKeyHash(benchmark::State &state)
{
    FlowKey key{};
    flow_extract(tcp_frame(), key);
    for (auto _ : state) {
        benchmark::DoNotOptimize(dp::flow_key_hash(key));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FlowKeyHash);

/* An L2 megaflow mask, as NORMAL makes. */
FlowKey l2_mask()
{
    FlowKey m{};
    m.in_port = UINT32_MAX;
    m.dl_src = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    m.dl_dst = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    m.vlans[0].tpid = be16::from_host(0xffff);
    m.vlans[0].tci = be16::from_host(0xffff);
    return m;
}

void BM_EmcHit(benchmark::State &state)
{
    dp::FlowTable table;
    FlowKey key{};
    flow_extract(tcp_frame(), key);
    uint32_t hash = dp::flow_key_hash(key);
    table.insert(key, hash, l2_mask(), {dp::Action::output(2)}, 1, {});
    bool emc;
    int subtables;
    for (auto _ : state) {
        benchmark::DoNotOptimize(table.lookup(key, hash, 1, &emc, &subtables));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EmcHit);

/* Megaflow lookups (EMC misses) with state.range(0) subtables, the match in
 * the last one. */
void BM_MegaflowLookup(benchmark::State &state)
{
    dp::FlowTable table;
    FlowKey key{};
    flow_extract(tcp_frame(), key);
    for (int i = 1; i < state.range(0); i++) {
        FlowKey mask = l2_mask();
        mask.tp_src = be16::from_host(uint16_t(i));     /* A distinct mask each. */
        FlowKey other = key;
        other.dl_src.b[0] ^= 0x10;
        table.insert(other, dp::flow_key_hash(other), mask, {}, 1, {});
    }
    table.insert(key, dp::flow_key_hash(key), l2_mask(), {dp::Action::output(2)}, 1, {});
    /* 64K keys differing in L4 ports: far more than the EMC holds, so
     * nearly every lookup misses it and probes the subtables. */
    std::vector<FlowKey> keys(65536, key);
    std::vector<uint32_t> hashes(keys.size());
    for (size_t i = 0; i < keys.size(); i++) {
        keys[i].tp_src = be16::from_host(uint16_t(i));
        keys[i].nw_src = be32::from_host(uint32_t(i));
        hashes[i] = dp::flow_key_hash(keys[i]);
    }
    bool emc;
    int subtables;
    size_t i = 0;
    for (auto _ : state) {
        size_t j = (i++ * 40503) & 65535;
        benchmark::DoNotOptimize(table.lookup(keys[j], hashes[j], 1, &emc, &subtables));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MegaflowLookup)->Arg(1)->Arg(4)->Arg(16);

/* Counts outputs, as the datapath's per-port batching would take them. */
struct NullSink {
    size_t outputs = 0;
    void output(uint32_t, const DpPacket &) { outputs++; }
    void bond_output(uint32_t, uint16_t, const FlowKey &, const DpPacket &) { outputs++; }
    void userspace(uint32_t, const DpPacket &) {}
};

/* What a datapath thread does for a batch of 32 packets of installed flows:
 * extract, hash, look up (EMC), count, run the actions. */
void BM_DatapathBatch32(benchmark::State &state)
{
    dp::FlowTable table;
    std::vector<std::unique_ptr<DpPacket>> packets;
    for (int i = 0; i < 32; i++) {
        Bytes f = tcp_frame();
        f[14 + 20 + 1] = uint8_t(i);
        packets.push_back(DpPacket::copy_of(f));
        FlowKey key{};
        key.in_port = 1;
        flow_extract(packets.back()->frame(), key);
        table.insert(key, dp::flow_key_hash(key), l2_mask(), {dp::Action::output(2)}, 1, {});
    }
    NullSink sink;
    FlowKey keys[32];
    for (auto _ : state) {
        for (int i = 0; i < 32; i++) {
            DpPacket &p = *packets[i];
            keys[i].in_port = 1;
            flow_extract(p.frame(), keys[i]);
            uint32_t hash = dp::flow_key_hash(keys[i]);
            bool emc;
            int subtables;
            dp::Megaflow *flow = table.lookup(keys[i], hash, 1, &emc, &subtables);
            flow->packets.store(flow->packets.load(std::memory_order_relaxed) + 1,
                                std::memory_order_relaxed);
            dp::execute_actions(flow->actions, keys[i], p, sink);
        }
    }
    benchmark::DoNotOptimize(sink.outputs);
    state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_DatapathBatch32);

/* The transmit rules of bond_output, as the bond modes use them. */
enum class BondMode {
    kActiveBackup,      /* kActive. */
    kSlb,               /* kBuckets, source MAC and VLAN. */
    kTcp,               /* kBuckets, symmetric L3/L4 (balance-tcp). */
    kLacpLayer34,       /* kBuckets, Linux layer3+4 (802.3ad). */
    kXorLayer2,         /* kModulo, Linux layer2 (balance-xor). */
    kRoundRobin,        /* kRoundRobin, one packet per member. */
    kBroadcast,         /* kBroadcast. */
};

/* A published table for 'mode' with two enabled members (ports 1 and 2)
 * whose buckets alternate between them. */
dp::BondTable bond_bench_table(BondMode mode)
{
    dp::BondTable t;
    t.basis = 0x5eed1234;
    t.enabled = {1, 2};
    t.active = 1;
    for (size_t b = 0; b < dp::kBondBuckets; b++) {
        t.buckets[b] = 1 + (b & 1);
    }
    switch (mode) {
    case BondMode::kActiveBackup:
        t.tx = dp::BondTx::kActive;
        break;
    case BondMode::kSlb:
        t.tx = dp::BondTx::kBuckets;
        t.hash = dp::BondHash::kSrcMacVlan;
        break;
    case BondMode::kTcp:
        t.tx = dp::BondTx::kBuckets;
        t.hash = dp::BondHash::kSymmetricL34;
        break;
    case BondMode::kLacpLayer34:
        t.tx = dp::BondTx::kBuckets;
        t.hash = dp::BondHash::kPolicy;
        t.policy = XmitHashPolicy::kLayer34;
        break;
    case BondMode::kXorLayer2:
        t.tx = dp::BondTx::kModulo;
        t.hash = dp::BondHash::kPolicy;
        t.policy = XmitHashPolicy::kLayer2;
        break;
    case BondMode::kRoundRobin:
        t.tx = dp::BondTx::kRoundRobin;
        t.packets_per_member = 1;
        break;
    case BondMode::kBroadcast:
        t.tx = dp::BondTx::kBroadcast;
        break;
    }
    return t;
}

/* The member choice of bond_output for a batch of 32 packets (64-byte UDP
 * frames with varied MACs, addresses and ports, keys already extracted),
 * with the per-bucket counting. */
void BM_BondChoose(benchmark::State &state, BondMode mode)
{
    const dp::BondTable table = bond_bench_table(mode);
    std::vector<std::unique_ptr<DpPacket>> packets;
    FlowKey keys[32];
    for (int i = 0; i < 32; i++) {
        EthAddr src{{0x02, 0x00, 0x00, 0x00, uint8_t(i >> 3), uint8_t(i * 7)}};
        EthAddr dst{{0x02, 0x00, 0x00, 0x01, uint8_t(i & 3), uint8_t(i * 13)}};
        Bytes l4 = test::udp(uint16_t(10000 + 97 * i), uint16_t(53 + i), 8);
        Bytes f = test::concat({test::eth(kEthTypeIpv4, dst, src),
                                test::ipv4(kIpProtoUdp, l4.size(),
                                           test::ip4(10, 0, uint8_t(i), uint8_t(1 + i)),
                                           test::ip4(10, 1, uint8_t(i * 3), 2)),
                                l4});
        f.resize(64);
        packets.push_back(DpPacket::copy_of(f));
        keys[i] = FlowKey{};
        keys[i].in_port = 3;
        flow_extract(packets.back()->frame(), keys[i]);
    }
    auto counters = std::make_unique<dp::BondCounters>();
    uint32_t ports[dp::kMaxBondMembers];
    size_t outputs = 0;
    for (auto _ : state) {
        for (int i = 0; i < 32; i++) {
            /* The VLAN comes with the action, as in the datapath. */
            outputs += dp::bond_choose(table, keys[i], *packets[i], *counters, ports, 0);
        }
        benchmark::DoNotOptimize(ports);
    }
    benchmark::DoNotOptimize(outputs);
    state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK_CAPTURE(BM_BondChoose, active_backup, BondMode::kActiveBackup);
BENCHMARK_CAPTURE(BM_BondChoose, slb, BondMode::kSlb);
BENCHMARK_CAPTURE(BM_BondChoose, tcp, BondMode::kTcp);
BENCHMARK_CAPTURE(BM_BondChoose, 802_3ad_layer34, BondMode::kLacpLayer34);
BENCHMARK_CAPTURE(BM_BondChoose, xor_layer2, BondMode::kXorLayer2);
BENCHMARK_CAPTURE(BM_BondChoose, rr, BondMode::kRoundRobin);
BENCHMARK_CAPTURE(BM_BondChoose, broadcast, BondMode::kBroadcast);

}  // namespace
}  // namespace braid

BENCHMARK_MAIN();
