/* Unit tests for the hash functions (lib/hash.h, lib/hash.cc). */
#include <config.h>

#include <bit>
#include <cstring>
#include <random>
#include <set>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/flow.h"
#include "lib/hash.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;

/* Hashes a heap copy of exactly 'n' bytes of 'p', so that AddressSanitizer
 * reports any read past the end. */
uint32_t hash_exact(const void *p, size_t n, uint32_t basis)
{
    test::ExactCopy copy({static_cast<const uint8_t *>(p), n});
    return hash_bytes(copy.span().data(), n, basis);
}

uint32_t hash_str(std::string_view s, uint32_t basis)
{
    return hash_exact(s.data(), s.size(), basis);
}

uint32_t hash_vec(const Bytes &b, uint32_t basis)
{
    return hash_exact(b.data(), b.size(), basis);
}

/* The chi-square statistic of 'counts' against a uniform distribution. */
double chi_square(const std::vector<unsigned> &counts, size_t n_items)
{
    double expected = double(n_items) / counts.size();
    double chi2 = 0;
    for (unsigned c : counts) {
        chi2 += (c - expected) * (c - expected) / expected;
    }
    return chi2;
}

/* With 255 degrees of freedom the statistic has mean 255 and standard
 * deviation about 22.6; this bound is more than 6 deviations above. */
constexpr double kChiSquareBound = 400;

FlowKey tcp4_key(be32 src, be32 dst, uint16_t sport, uint16_t dport)
{
    FlowKey key{};
    key.dl_src = test::kMacA;
    key.dl_dst = test::kMacB;
    key.dl_type = be16::from_host(kEthTypeIpv4);
    key.nw_src = src;
    key.nw_dst = dst;
    key.nw_proto = kIpProtoTcp;
    key.nw_ttl = 64;
    key.tp_src = be16::from_host(sport);
    key.tp_dst = be16::from_host(dport);
    return key;
}

/* 'key' seen from the other direction. */
FlowKey reversed(const FlowKey &key)
{
    FlowKey r = key;
    std::swap(r.dl_src, r.dl_dst);
    std::swap(r.nw_src, r.nw_dst);
    std::swap(r.ipv6_src, r.ipv6_dst);
    std::swap(r.tp_src, r.tp_dst);
    return r;
}

/* The published MurmurHash3_x86_32 test vectors: hash_bytes() is that
 * function, so these values come from outside this code. */
TEST(HashBytes, MurmurHash3TestVectors)
{
    EXPECT_EQ(hash_str("", 0), 0u);
    EXPECT_EQ(hash_str("", 1), 0x514e28b7u);
    EXPECT_EQ(hash_str("", 0xffffffff), 0x81f16f39u);
    EXPECT_EQ(hash_vec({0, 0, 0, 0}, 0), 0x2362f9deu);
    EXPECT_EQ(hash_vec({0, 0, 0}, 0), 0x85f0b427u);
    EXPECT_EQ(hash_vec({0, 0}, 0), 0x30f4c306u);
    EXPECT_EQ(hash_vec({0}, 0), 0x514e28b7u);
    EXPECT_EQ(hash_vec({0xff, 0xff, 0xff, 0xff}, 0), 0x76293b50u);
    EXPECT_EQ(hash_vec({0x21, 0x43, 0x65, 0x87}, 0), 0xf55b516bu);
    EXPECT_EQ(hash_vec({0x21, 0x43, 0x65, 0x87}, 0x5082edee), 0x2362f9deu);
    EXPECT_EQ(hash_vec({0x21, 0x43, 0x65}, 0), 0x7e4a8634u);
    EXPECT_EQ(hash_vec({0x21, 0x43}, 0), 0xa0f7b07au);
    EXPECT_EQ(hash_vec({0x21}, 0), 0x72661cf4u);
    EXPECT_EQ(hash_str("aaaa", 0x9747b28c), 0x5a97808au);
    EXPECT_EQ(hash_str("aaa", 0x9747b28c), 0x283e0130u);
    EXPECT_EQ(hash_str("aa", 0x9747b28c), 0x5d211726u);
    EXPECT_EQ(hash_str("a", 0x9747b28c), 0x7fa09ea6u);
    EXPECT_EQ(hash_str("abcd", 0x9747b28c), 0xf0478627u);
    EXPECT_EQ(hash_str("abc", 0x9747b28c), 0xc84a62ddu);
    EXPECT_EQ(hash_str("ab", 0x9747b28c), 0x74875592u);
    EXPECT_EQ(hash_str("Hello, world!", 0x9747b28c), 0x24884cbau);
    EXPECT_EQ(hash_str("The quick brown fox jumps over the lazy dog", 0x9747b28c),
              0x2fa826cdu);
}

TEST(HashBytes, IncrementalApiMatches)
{
    /* "aaaa" and "aaaabbbb" as little-endian words. */
    EXPECT_EQ(hash_finish(hash_add(0x9747b28c, 0x61616161), 4), 0x5a97808au);
    EXPECT_EQ(hash_finish(hash_add(hash_add(7, 0x61616161), 0x62626262), 8),
              hash_str("aaaabbbb", 7));
    EXPECT_EQ(hash_add64(7, 0x6262626261616161ull),
              hash_add(hash_add(7, 0x61616161), 0x62626262));
    static_assert(hash_finish(hash_add(0x9747b28c, 0x61616161), 4) == 0x5a97808au,
                  "the inline functions are usable at compile time");
}

/* Pinned values: computed once with this implementation and written down
 * so that any change to the functions is noticed. */
TEST(Hash, PinnedValues)
{
    /* flow_hash() hashes the key's memory, whose in_port is in host order
     * and whose words load differently on a big-endian host. */
    constexpr bool kLittleEndian = std::endian::native == std::endian::little;

    const uint64_t words[3] = {0x0123456789abcdefull, 0, 0xffffffffffffffffull};
    EXPECT_EQ(hash_words64(words, 3, 0), 0x742c9953u);
    EXPECT_EQ(hash_words64(words, 3, 0x12345678), 0xa8cd6201u);
    EXPECT_EQ(hash_words64(words, 0, 0), 0u);

    FlowKey key = tcp4_key(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 1234, 80);
    if (kLittleEndian) {
        EXPECT_EQ(flow_hash(key, 0), 0xf04cf6eau);
        EXPECT_EQ(flow_hash(key, 42), 0xa4aa19a4u);
        EXPECT_EQ(flow_hash(FlowKey{}, 0), 0x754bad7au);
    }
    EXPECT_EQ(flow_hash_symmetric_l4(key, 0), 0x87924243u);

    EXPECT_EQ(hash_mac_vlan(test::kMacA, 0, 0), 0x939c24e2u);
    EXPECT_EQ(hash_mac_vlan(test::kMacA, 100, 0), 0x72af0ad4u);
    EXPECT_EQ(hash_mac_vlan(test::kMacB, 4095, 0xdeadbeef), 0xd060f485u);
}

TEST(HashWords64, MatchesHashBytesOnLittleEndian)
{
    if constexpr (std::endian::native != std::endian::little) {
        GTEST_SKIP() << "only a little-endian host sees words as LE bytes";
    } else {
        std::mt19937_64 rng(1);
        for (size_t n = 0; n < 20; n++) {
            std::vector<uint64_t> words(n);
            for (auto &w : words) {
                w = rng();
            }
            EXPECT_EQ(hash_words64(words.data(), n, 99),
                      hash_bytes(words.data(), n * 8, 99));
        }
    }
}

TEST(FlowHash, EqualsHashWords64OfTheKey)
{
    FlowKey key = tcp4_key(test::ip4(192, 0, 2, 1), test::ip4(198, 51, 100, 7), 5, 6);
    key.in_port = 3;
    uint64_t words[sizeof(FlowKey) / 8];
    std::memcpy(words, &key, sizeof key);
    EXPECT_EQ(flow_hash(key, 5), hash_words64(words, std::size(words), 5));
}

TEST(FlowHash, EveryByteMatters)
{
    FlowKey key = tcp4_key(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 1234, 80);
    uint32_t base = flow_hash(key, 0);
    for (size_t i = 0; i < sizeof key; i++) {
        FlowKey changed = key;
        reinterpret_cast<uint8_t *>(&changed)[i] ^= 0x01;
        EXPECT_NE(flow_hash(changed, 0), base) << "byte " << i;
    }
}

TEST(HashBytes, AlignmentDoesNotMatter)
{
    std::mt19937 rng(2);
    Bytes data(64);
    for (auto &b : data) {
        b = rng();
    }
    for (size_t n = 0; n <= data.size(); n++) {
        uint32_t expected = hash_exact(data.data(), n, 17);
        alignas(16) uint8_t buf[64 + 16];
        for (size_t offset = 0; offset < 16; offset++) {
            std::memcpy(buf + offset, data.data(), n);
            EXPECT_EQ(hash_bytes(buf + offset, n, 17), expected)
                << "length " << n << " offset " << offset;
        }
    }
}

/* Hashing a range inside a larger buffer gives the same value as hashing an
 * exact copy at any unaligned start, and the bytes around it do not count. */
TEST(HashBytes, SubrangeOfLargerBuffer)
{
    std::mt19937 rng(3);
    Bytes big(256);
    for (auto &b : big) {
        b = rng();
    }
    for (size_t start : {0, 1, 3, 5, 7, 100}) {
        for (size_t n : {0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 64}) {
            uint32_t h = hash_bytes(big.data() + start, n, 0);
            EXPECT_EQ(h, hash_exact(big.data() + start, n, 0));
            Bytes around = big;
            if (start > 0) {
                around[start - 1] ^= 0xff;
            }
            around[start + n] ^= 0xff;
            EXPECT_EQ(hash_bytes(around.data() + start, n, 0), h);
        }
    }
}

TEST(HashBytes, EveryTailByteIsHashed)
{
    for (size_t n = 0; n <= 16; n++) {
        Bytes data(n);
        for (size_t i = 0; i < n; i++) {
            data[i] = 0x30 + i;
        }
        uint32_t base = hash_vec(data, 0);
        for (size_t i = 0; i < n; i++) {
            for (uint8_t flip : {0x01, 0x80, 0xff}) {
                Bytes changed = data;
                changed[i] ^= flip;
                EXPECT_NE(hash_vec(changed, 0), base)
                    << "length " << n << " byte " << i << " flip " << int(flip);
            }
        }
    }
}

TEST(HashBytes, LengthMatters)
{
    /* All-zero inputs of lengths 0..16 differ only in their length. */
    std::set<uint32_t> seen;
    for (size_t n = 0; n <= 16; n++) {
        seen.insert(hash_vec(Bytes(n, 0), 0));
    }
    EXPECT_EQ(seen.size(), 17u);
}

TEST(Hash, BasisChangesResult)
{
    Bytes data{1, 2, 3, 4, 5, 6, 7};
    FlowKey key = tcp4_key(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 1234, 80);
    const uint64_t words[2] = {1, 2};
    for (uint32_t basis : {1u, 2u, 0x80000000u, 0xffffffffu}) {
        EXPECT_NE(hash_vec(data, basis), hash_vec(data, 0));
        EXPECT_NE(hash_words64(words, 2, basis), hash_words64(words, 2, 0));
        EXPECT_NE(flow_hash(key, basis), flow_hash(key, 0));
        EXPECT_NE(flow_hash_symmetric_l4(key, basis), flow_hash_symmetric_l4(key, 0));
        EXPECT_NE(hash_mac_vlan(test::kMacA, 10, basis), hash_mac_vlan(test::kMacA, 10, 0));
    }
}

TEST(FlowHashSymmetric, SameForBothDirections)
{
    FlowKey tcp4 = tcp4_key(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 1234, 80);
    FlowKey udp6{};
    udp6.dl_src = test::kMacA;
    udp6.dl_dst = test::kMacB;
    udp6.dl_type = be16::from_host(kEthTypeIpv6);
    udp6.n_vlans = 2;
    udp6.vlans[0] = {be16::from_host(kEthTypeVlan8021AD), be16::from_host(0x2064)};
    udp6.vlans[1] = {be16::from_host(kEthTypeVlan8021Q), be16::from_host(7)};
    udp6.ipv6_src = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
    udp6.ipv6_dst = test::ip6({0xfe80, 0, 0, 0, 0, 0, 0, 9});
    udp6.nw_proto = kIpProtoUdp;
    udp6.tp_src = be16::from_host(53);
    udp6.tp_dst = be16::from_host(40000);
    FlowKey sctp4 = tcp4;
    sctp4.nw_proto = kIpProtoSctp;
    FlowKey arp{};
    arp.dl_src = test::kMacA;
    arp.dl_dst = test::kMacB;
    arp.dl_type = be16::from_host(kEthTypeArp);

    for (const FlowKey &key : {tcp4, udp6, sctp4, arp}) {
        EXPECT_EQ(flow_hash_symmetric_l4(key, 0), flow_hash_symmetric_l4(reversed(key), 0))
            << flow_to_string(key);
        EXPECT_EQ(flow_hash_symmetric_l4(key, 9), flow_hash_symmetric_l4(reversed(key), 9));
    }

    /* Fields outside the connection's identity do not count. */
    FlowKey other = tcp4;
    other.in_port = 5;
    other.nw_ttl = 3;
    other.nw_tos = 0xb8;
    other.tcp_flags = be16::from_host(kTcpAck);
    other.vlans[0].tci = be16::from_host(0xe000);   /* PCP only, VID 0. */
    EXPECT_EQ(flow_hash_symmetric_l4(other, 0), flow_hash_symmetric_l4(tcp4, 0));
}

TEST(FlowHashSymmetric, DifferentFlowsDiffer)
{
    FlowKey base = tcp4_key(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 1234, 80);
    std::vector<FlowKey> keys{base};
    auto add = [&](auto change) {
        FlowKey k = base;
        change(k);
        keys.push_back(k);
    };
    add([](FlowKey &k) { k.nw_src = test::ip4(10, 0, 0, 3); });
    add([](FlowKey &k) { k.nw_dst = test::ip4(10, 0, 0, 3); });
    add([](FlowKey &k) { k.tp_src = be16::from_host(1235); });
    add([](FlowKey &k) { k.tp_dst = be16::from_host(81); });
    /* Same XOR of the ports as the base: an XOR fold would collide. */
    add([](FlowKey &k) {
        k.tp_src = be16::from_host(1234 ^ 3);
        k.tp_dst = be16::from_host(80 ^ 3);
    });
    add([](FlowKey &k) { k.nw_proto = kIpProtoUdp; });
    add([](FlowKey &k) { k.dl_src = EthAddr::from_u64(0x020000000001); });
    add([](FlowKey &k) {
        k.n_vlans = 1;
        k.vlans[0] = {be16::from_host(kEthTypeVlan8021Q), be16::from_host(10)};
    });
    add([](FlowKey &k) {
        k.n_vlans = 1;
        k.vlans[0] = {be16::from_host(kEthTypeVlan8021Q), be16::from_host(0)};
    });
    add([](FlowKey &k) {
        k.dl_type = be16::from_host(kEthTypeIpv6);
        k.nw_src = k.nw_dst = be32{};
        k.ipv6_src = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
        k.ipv6_dst = test::ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2});
    });
    std::set<uint32_t> hashes;
    for (const FlowKey &k : keys) {
        hashes.insert(flow_hash_symmetric_l4(k, 0));
    }
    EXPECT_EQ(hashes.size(), keys.size());
}

TEST(FlowHashSymmetric, PortsOnlyWhereTheyBelong)
{
    FlowKey a = tcp4_key(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 1234, 80);
    FlowKey b = a;
    b.tp_src = be16::from_host(999);

    /* Later fragments: no ports (a flow key would hold none; ignore any). */
    a.nw_frag = b.nw_frag = kFlowFragAny | kFlowFragLater;
    EXPECT_EQ(flow_hash_symmetric_l4(a, 0), flow_hash_symmetric_l4(b, 0));
    /* First fragments carry the ports. */
    a.nw_frag = b.nw_frag = kFlowFragAny;
    EXPECT_NE(flow_hash_symmetric_l4(a, 0), flow_hash_symmetric_l4(b, 0));
    /* UDP and SCTP ports count like TCP ports. */
    for (uint8_t proto : {kIpProtoUdp, kIpProtoSctp}) {
        a.nw_proto = b.nw_proto = proto;
        EXPECT_NE(flow_hash_symmetric_l4(a, 0), flow_hash_symmetric_l4(b, 0)) << int(proto);
    }
    /* ICMP type and code are not ports. */
    a.nw_frag = b.nw_frag = 0;
    a.nw_proto = b.nw_proto = kIpProtoIcmp;
    EXPECT_EQ(flow_hash_symmetric_l4(a, 0), flow_hash_symmetric_l4(b, 0));
}

TEST(HashDistribution, SequentialMacsIntoBuckets)
{
    constexpr size_t kItems = 65536;
    std::vector<unsigned> low(256), high(256);
    for (size_t i = 0; i < kItems; i++) {
        uint32_t h = hash_mac_vlan(EthAddr::from_u64(0x525400000000 + i), 0, 0);
        low[h & 0xff]++;
        high[h >> 24]++;
    }
    EXPECT_LT(chi_square(low, kItems), kChiSquareBound);
    EXPECT_LT(chi_square(high, kItems), kChiSquareBound);
}

TEST(HashDistribution, SequentialPortsIntoBuckets)
{
    constexpr size_t kItems = 65536;
    std::vector<unsigned> flow(256), symmetric(256), bytes(256);
    FlowKey key = tcp4_key(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 0, 443);
    for (size_t port = 0; port < kItems; port++) {
        key.tp_src = be16::from_host(port);
        flow[flow_hash(key, 0) % 256]++;
        symmetric[flow_hash_symmetric_l4(key, 0) % 256]++;
        uint16_t p = port;
        bytes[hash_bytes(&p, sizeof p, 0) % 256]++;
    }
    EXPECT_LT(chi_square(flow, kItems), kChiSquareBound);
    EXPECT_LT(chi_square(symmetric, kItems), kChiSquareBound);
    EXPECT_LT(chi_square(bytes, kItems), kChiSquareBound);
}

TEST(HashDistribution, ChiSquareDetectsBadDistribution)
{
    /* The statistic itself: taking the port modulo 256 is perfectly even for
     * sequential ports, and putting everything in 128 buckets is not. */
    std::vector<unsigned> even(256), half(256);
    for (size_t i = 0; i < 65536; i++) {
        even[i % 256]++;
        half[i % 128]++;
    }
    EXPECT_EQ(chi_square(even, 65536), 0);
    EXPECT_GT(chi_square(half, 65536), kChiSquareBound);
}

/* Flipping one input bit flips about half of the 32 output bits. */
TEST(HashAvalanche, OneBitFlipsHalfTheOutput)
{
    std::mt19937_64 rng(4);
    auto check = [&](const char *what, auto hash_fn, size_t n_bits) {
        uint64_t total = 0, n = 0;
        for (int sample = 0; sample < 200; sample++) {
            Bytes input((n_bits + 7) / 8);
            for (auto &b : input) {
                b = rng();
            }
            uint32_t base = hash_fn(input);
            for (size_t bit = 0; bit < n_bits; bit++) {
                Bytes flipped = input;
                flipped[bit / 8] ^= 1u << (bit % 8);
                total += std::popcount(hash_fn(flipped) ^ base);
                n++;
            }
        }
        double mean = double(total) / n;
        EXPECT_GT(mean, 12) << what;
        EXPECT_LT(mean, 20) << what;
    };
    check("hash_bytes 13", [](const Bytes &b) { return hash_bytes(b.data(), b.size(), 0); },
          13 * 8);
    check("hash_bytes 4", [](const Bytes &b) { return hash_bytes(b.data(), b.size(), 0); },
          32);
    check("hash_mac_vlan", [](const Bytes &b) {
        EthAddr mac;
        std::memcpy(mac.b.data(), b.data(), 6);
        return hash_mac_vlan(mac, b[6] | (b[7] & 0x0f) << 8, 0);
    }, 60);
    check("flow_hash", [](const Bytes &b) {
        FlowKey key{};
        std::memcpy(&key, b.data(), b.size());
        return flow_hash(key, 0);
    }, sizeof(FlowKey) * 8);
    check("flow_hash_symmetric_l4", [](const Bytes &b) {
        FlowKey key = tcp4_key(be32{}, be32{}, 0, 0);
        std::memcpy(&key.nw_src, b.data(), 4);
        std::memcpy(&key.nw_dst, b.data() + 4, 4);
        std::memcpy(&key.tp_src, b.data() + 8, 2);
        std::memcpy(&key.tp_dst, b.data() + 10, 2);
        return flow_hash_symmetric_l4(key, 0);
    }, 96);
}

}  // namespace
}  // namespace braid
