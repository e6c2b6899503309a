/* Unit tests for the Internet checksum (lib/csum.cc).
 *
 * Expected checksums are literal constants computed independently (by hand
 * or with a separate script from the RFC 1071 definition), or come from a
 * naive reference sum written here. */
#include <config.h>

#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "lib/csum.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;

/* A deliberately simple reference: the one's complement sum of 'b' padded to
 * an even length, complemented. */
uint16_t reference_csum(Bytes b)
{
    if (b.size() % 2) {
        b.push_back(0);
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < b.size(); i += 2) {
        sum += b[i] * 256u + b[i + 1];
    }
    while (sum > 0xffff) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum & 0xffff;
}

TEST(Csum, Rfc1071Example)
{
    /* RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0x2ddf0, which folds
     * to 0xddf2; the checksum is its complement. */
    const Bytes data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(csum_add(0, data), 0x2ddf0u);
    EXPECT_EQ(csum_finish(csum_add(0, data)).value(), 0x220d);
    EXPECT_EQ(csum_finish(csum_add(0, data)), be16::from_host(0x220d));
}

TEST(Csum, EmptyAndZero)
{
    EXPECT_EQ(csum_add(0, {}), 0u);
    EXPECT_EQ(csum_add(12345, {}), 12345u);
    EXPECT_EQ(csum_finish(0).value(), 0xffff);
    EXPECT_EQ(csum_finish(0xffff).value(), 0x0000);
    /* 0x1fffe folds to 0xffff (end-around carry), never to 0. */
    EXPECT_EQ(csum_finish(0x1fffe).value(), 0x0000);
    EXPECT_EQ(csum_finish(0x10000).value(), 0xfffe);
}

TEST(Csum, OddLength)
{
    /* 0x0102 + 0x0300 = 0x0402. */
    const Bytes data = {0x01, 0x02, 0x03};
    EXPECT_EQ(csum_add(0, data), 0x0402u);
    EXPECT_EQ(csum_finish(csum_add(0, data)).value(), 0xfbfd);
    const Bytes one = {0xab};
    EXPECT_EQ(csum_add(0, one), 0xab00u);
}

TEST(Csum, SplitAtEvenOffsets)
{
    std::mt19937 rng(1071);
    for (int iter = 0; iter < 200; iter++) {
        Bytes data(rng() % 300);
        for (auto &b : data) {
            b = rng();
        }
        uint32_t whole = csum_add(0, data);
        EXPECT_EQ(csum_finish(whole).value(), reference_csum(data));

        /* Any split at even offsets gives the same sum. */
        size_t pos = 0;
        uint32_t acc = 0;
        while (pos < data.size()) {
            size_t n = std::min(data.size() - pos, size_t(rng() % 40) * 2);
            if (n == 0 && pos + 1 == data.size()) {
                n = 1;
            }
            acc = csum_add(acc, std::span<const uint8_t>(data).subspan(pos, n));
            pos += n;
        }
        EXPECT_EQ(csum_finish(acc), csum_finish(whole));
    }
}

TEST(Csum, SplitAtOddOffsetDiffers)
{
    /* The documented rule: each call starts its own words, so an odd split
     * shifts the later bytes into the other half of their words. */
    const Bytes data = {0x12, 0x34, 0x56, 0x78};
    uint32_t whole = csum_add(0, data);
    EXPECT_EQ(whole, 0x1234u + 0x5678u);
    uint32_t split = csum_add(csum_add(0, {data.data(), 1}), {data.data() + 1, 3});
    EXPECT_EQ(split, 0x1200u + 0x3456u + 0x7800u);
    EXPECT_NE(csum_finish(split), csum_finish(whole));
}

TEST(Csum, LargeBuffersDoNotOverflow)
{
    /* 1 MiB of 0xff: 2^19 words of 0xffff; the one's complement sum is
     * 0xffff, so the checksum is 0. */
    Bytes ones(1 << 20, 0xff);
    EXPECT_EQ(csum_finish(csum_add(0, ones)).value(), 0x0000);
    EXPECT_EQ(csum_finish(csum_add(0xffffffff, ones)).value(), 0x0000);

    /* An accumulator near the top keeps adding correctly. */
    uint32_t acc = 0xfffffff0;
    const Bytes small = {0x00, 0x20};
    acc = csum_add(acc, small);
    /* 0xfffffff0 + 0x20 = 0x1_0000_0010, folded: 0x11. */
    EXPECT_EQ(acc, 0x11u);
}

TEST(Csum, AddWords)
{
    EXPECT_EQ(csum_add16(0, 0x1234), 0x1234u);
    EXPECT_EQ(csum_add_be16(1, be16::from_host(0xabcd)), 0xabceu);
    EXPECT_EQ(csum_add_be32(0, be32::from_host(0x12345678)), 0x1234u + 0x5678u);
    EXPECT_EQ(csum_add16(0xffffffff, 1), 1u);
}

TEST(Csum, VerifyDetectsErrors)
{
    const Bytes data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0x22, 0x0d};
    EXPECT_TRUE(csum_verify(0, data));
    for (size_t i = 0; i < data.size(); i++) {
        Bytes bad = data;
        bad[i] ^= 0x10;
        EXPECT_FALSE(csum_verify(0, bad)) << "byte " << i;
    }
    /* All-zero data has checksum 0xffff, which verifies. */
    EXPECT_TRUE(csum_verify(0, Bytes{0, 0, 0xff, 0xff}));
}

TEST(Csum, Ipv4HeaderKnownVector)
{
    /* A real header: 192.168.0.1 -> 192.168.0.199, UDP, total length 115,
     * DF, TTL 64; its checksum is 0xb861. */
    const Bytes raw = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                       0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    Ipv4Header ip;
    std::memcpy(&ip, raw.data(), sizeof ip);
    EXPECT_EQ(ipv4_header_csum(ip, {}).value(), 0xb861);
    EXPECT_TRUE(csum_verify(0, raw));

    /* The stored checksum is ignored. */
    ip.csum = be16::from_host(0x1234);
    EXPECT_EQ(ipv4_header_csum(ip, {}).value(), 0xb861);
}

TEST(Csum, Ipv4HeaderWithOptions)
{
    /* IGMP-style header, 192.168.1.10 -> 224.0.0.251, TOS 0xc0, total length
     * 32, DF, TTL 1, proto 2, Router Alert: checksum 0x416a. */
    Ipv4Header ip{};
    ip.version_ihl = 0x46;
    ip.tos = 0xc0;
    ip.tot_len = be16::from_host(32);
    ip.frag_off = be16::from_host(kIpv4DontFragment);
    ip.ttl = 1;
    ip.proto = kIpProtoIgmp;
    ip.src = test::ip4(192, 168, 1, 10);
    ip.dst = test::ip4(224, 0, 0, 251);
    EXPECT_EQ(ipv4_header_csum(ip, kIpv4OptRouterAlert).value(), 0x416a);
}

TEST(Csum, PseudoIpv4Udp)
{
    /* UDP 10.0.0.1:1234 -> 10.0.0.2:80, length 12, payload "abcd":
     * checksum 0x21eb. */
    Bytes udp = test::udp(1234, 80, 4);
    std::memcpy(udp.data() + 8, "abcd", 4);
    uint32_t pseudo = csum_pseudo_ipv4(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2),
                                       kIpProtoUdp, udp.size());
    /* The pseudo-header words: 0a00 0001 0a00 0002 0011 000c. */
    EXPECT_EQ(pseudo, 0x0a00u + 0x0001u + 0x0a00u + 0x0002u + 0x0011u + 0x000cu);
    be16 csum = csum_finish(csum_add(pseudo, udp));
    EXPECT_EQ(csum.value(), 0x21eb);

    std::memcpy(udp.data() + 6, &csum, 2);
    EXPECT_TRUE(csum_verify(pseudo, udp));
    EXPECT_FALSE(csum_verify(csum_pseudo_ipv4(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 3),
                                              kIpProtoUdp, udp.size()),
                             udp));
}

TEST(Csum, PseudoIpv6)
{
    In6Addr src = test::ip6({0xfe80, 0, 0, 0, 0x0211, 0x22ff, 0xfe33, 0x4455});
    In6Addr dst = test::ip6({0xff02, 0, 0, 0, 0, 1, 0xff00, 1});
    /* Address words, then the length as two words (0x0001, 0x0002 for
     * 0x10002) and the next header. */
    uint32_t expected = 0xfe80 + 0x0211 + 0x22ff + 0xfe33 + 0x4455 + 0xff02 + 1 + 0xff00 + 1
                        + 0x0001 + 0x0002 + 58;
    EXPECT_EQ(csum_finish(csum_pseudo_ipv6(src, dst, kIpProtoIcmpv6, 0x10002)),
              csum_finish(expected));

    /* A Neighbor Solicitation for fe80::1 with a source link-layer address
     * option 00:11:22:33:44:55: ICMPv6 checksum 0xae68. */
    Bytes ns = {135, 0, 0, 0, 0, 0, 0, 0};
    In6Addr target = test::ip6({0xfe80, 0, 0, 0, 0, 0, 0, 1});
    test::append(ns, target);
    test::append(ns, Bytes{1, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55});
    uint32_t pseudo = csum_pseudo_ipv6(src, dst, kIpProtoIcmpv6, ns.size());
    EXPECT_EQ(csum_finish(csum_add(pseudo, ns)).value(), 0xae68);
}

}  // namespace
}  // namespace braid
