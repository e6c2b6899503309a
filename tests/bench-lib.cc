/* Micro-benchmarks of the per-packet library functions: flow extraction,
 * flow hashing and the bond transmit hashes.  Run by hand:
 *
 *     _build/tests/bench-lib [--benchmark_filter=REGEX]
 *
 * Speed goals are checked here, never in timed unit tests. */
#include <config.h>

#include <benchmark/benchmark.h>

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

}  // namespace
}  // namespace braid

BENCHMARK_MAIN();
