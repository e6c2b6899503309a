/* Unit tests for the Slow Protocols validators (lib/slow-protocols.cc). */
#include <config.h>

#include <array>
#include <bit>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "lib/packet-compose.h"
#include "lib/slow-protocols.h"
#include "tests/frame-builder.h"

namespace braid {
namespace {

using test::Bytes;

/* Parses from a heap copy of exactly 'frame.size()' bytes, so that
 * AddressSanitizer reports any read past the end. */
template <typename Pdu>
SlowError parse(const Bytes &frame, Pdu &out)
{
    test::ExactCopy copy(frame);
    std::span<const uint8_t> span = copy.span();
    if constexpr (std::is_same_v<Pdu, LacpPdu>) {
        return parse_lacpdu(span, out);
    } else {
        return parse_marker(span, out);
    }
}

std::optional<uint8_t> subtype_of(const Bytes &frame)
{
    test::ExactCopy copy(frame);
    return slow_subtype(copy.span());
}

/* A wire struct whose every byte is 0x5a, to show whether a parser wrote
 * to it. */
template <typename T>
T filled()
{
    std::array<uint8_t, sizeof(T)> raw;
    raw.fill(0x5a);
    return std::bit_cast<T>(raw);
}

const LacpInfo kActor = test::lacp_info(0x8000, test::kMacA, 0x1234, 0x00ff, 7,
                                        kLacpStateActivity | kLacpStateTimeout
                                            | kLacpStateAggregation
                                            | kLacpStateSynchronization);
const LacpInfo kPartner = test::lacp_info(0x0100, test::kMacB, 0x0021, 0x8000, 0x0102,
                                          kLacpStateAggregation | kLacpStateDefaulted);

Bytes lacp_frame()
{
    return compose_lacpdu(test::kMacA, kActor, kPartner, 0x1f40);
}

/* A Marker (Information) PDU frame, built field by field. */
Bytes marker_frame()
{
    return test::concat({test::eth(kEthTypeSlow, kEthAddrSlowProtocols),
                         test::bytes_of(test::marker_info(0x0203, test::kMacB, 0xdeadbeef))});
}

/* Offsets in a frame of the PDU fields. */
constexpr size_t kSubtypeAt = 14;
constexpr size_t kVersionAt = 15;
constexpr size_t kActorTypeAt = 16;
constexpr size_t kActorLenAt = 17;
constexpr size_t kPartnerTypeAt = 36;
constexpr size_t kPartnerLenAt = 37;
constexpr size_t kCollectorTypeAt = 56;
constexpr size_t kCollectorLenAt = 57;
constexpr size_t kTerminatorTypeAt = 72;
constexpr size_t kTerminatorLenAt = 73;
constexpr size_t kMarkerTlvTypeAt = 16;
constexpr size_t kMarkerTlvLenAt = 17;
constexpr size_t kMarkerTerminatorAt = 32;

TEST(SlowProtocols, ErrorStrings)
{
    std::set<std::string> seen;
    for (int i = 0; i < int(SlowError::kCount); i++) {
        std::string s = slow_error_to_string(SlowError(i));
        EXPECT_NE(s, "unknown");
        EXPECT_TRUE(seen.insert(s).second) << "duplicate: " << s;
    }
    EXPECT_EQ(seen.size(), 17u);
    EXPECT_STREQ(slow_error_to_string(SlowError::kNone), "none");
    EXPECT_STREQ(slow_error_to_string(SlowError::kLacpBadVersion), "lacp version is 0");
    EXPECT_STREQ(slow_error_to_string(SlowError::kCount), "unknown");
}

TEST(SlowProtocols, LacpduRoundTrip)
{
    Bytes frame = lacp_frame();
    ASSERT_EQ(frame.size(), 124u);
    LacpPdu pdu = filled<LacpPdu>();
    ASSERT_EQ(parse(frame, pdu), SlowError::kNone);
    EXPECT_EQ(pdu.subtype, kSlowSubtypeLacp);
    EXPECT_EQ(pdu.version, 1);
    EXPECT_EQ(test::bytes_of(pdu.actor), test::bytes_of(kActor));
    EXPECT_EQ(test::bytes_of(pdu.partner), test::bytes_of(kPartner));
    EXPECT_EQ(pdu.actor.system, test::kMacA);
    EXPECT_EQ(pdu.actor.port.value(), 7);
    EXPECT_EQ(pdu.actor.state, 0x0f);
    EXPECT_EQ(pdu.partner.key.value(), 0x0021);
    EXPECT_EQ(pdu.partner.state, 0x44);
    EXPECT_EQ(pdu.collector_max_delay.value(), 0x1f40);
    /* The whole PDU is copied as it was on the wire. */
    EXPECT_EQ(test::bytes_of(pdu), test::head(Bytes(frame.begin() + 14, frame.end()), 110));
    EXPECT_EQ(subtype_of(frame), kSlowSubtypeLacp);

    /* Trailing bytes (padding) are ignored. */
    frame.resize(200, 0xee);
    ASSERT_EQ(parse(frame, pdu), SlowError::kNone);
    EXPECT_EQ(pdu.collector_max_delay.value(), 0x1f40);
}

TEST(SlowProtocols, MarkerRoundTrip)
{
    Bytes frame = marker_frame();
    ASSERT_EQ(frame.size(), 124u);
    MarkerPdu pdu;
    ASSERT_EQ(parse(frame, pdu), SlowError::kNone);
    EXPECT_EQ(pdu.tlv_type, kMarkerTlvInformation);
    EXPECT_EQ(pdu.requester_port.value(), 0x0203);
    EXPECT_EQ(pdu.requester_system, test::kMacB);
    EXPECT_EQ(pdu.requester_transaction_id.value(), 0xdeadbeefu);
    EXPECT_EQ(subtype_of(frame), kSlowSubtypeMarker);

    /* The response composed from it parses as a response with the same
     * requester fields. */
    Bytes response = compose_marker_response(test::kMacA, pdu);
    MarkerPdu back;
    ASSERT_EQ(parse(response, back), SlowError::kNone);
    EXPECT_EQ(back.subtype, kSlowSubtypeMarker);
    EXPECT_EQ(back.version, kMarkerVersion);
    EXPECT_EQ(back.tlv_type, kMarkerTlvResponse);
    EXPECT_EQ(back.tlv_len, kMarkerInfoLen);
    EXPECT_EQ(back.requester_port.value(), 0x0203);
    EXPECT_EQ(back.requester_system, test::kMacB);
    EXPECT_EQ(back.requester_transaction_id.value(), 0xdeadbeefu);
}

/* The documented reason for a slow protocol frame cut to 'len' bytes. */
SlowError truncation_reason(size_t len)
{
    if (len < 14) {
        return SlowError::kEthTruncated;
    }
    if (len == 14) {
        return SlowError::kSubtypeTruncated;
    }
    if (len < 124) {
        return SlowError::kPduTruncated;
    }
    return SlowError::kNone;
}

TEST(SlowProtocols, LacpduEveryTruncation)
{
    Bytes frame = lacp_frame();
    for (size_t len = 0; len <= frame.size(); len++) {
        LacpPdu pdu = filled<LacpPdu>();
        EXPECT_EQ(parse(test::head(frame, len), pdu), truncation_reason(len)) << len;
        if (len < frame.size()) {
            EXPECT_EQ(test::bytes_of(pdu), Bytes(sizeof pdu, 0x5a)) << "untouched at " << len;
        }
    }
}

TEST(SlowProtocols, MarkerEveryTruncation)
{
    Bytes frame = marker_frame();
    for (size_t len = 0; len <= frame.size(); len++) {
        MarkerPdu pdu = filled<MarkerPdu>();
        EXPECT_EQ(parse(test::head(frame, len), pdu), truncation_reason(len)) << len;
        if (len < frame.size()) {
            EXPECT_EQ(test::bytes_of(pdu), Bytes(sizeof pdu, 0x5a)) << "untouched at " << len;
        }
    }
}

TEST(SlowProtocols, NotSlowFrames)
{
    LacpPdu lacp;
    MarkerPdu marker;
    Bytes frame = lacp_frame();

    Bytes ipv4 = frame;
    ipv4[12] = 0x08;
    ipv4[13] = 0x00;
    EXPECT_EQ(parse(ipv4, lacp), SlowError::kNotSlow);
    EXPECT_EQ(parse(ipv4, marker), SlowError::kNotSlow);
    EXPECT_EQ(subtype_of(ipv4), std::nullopt);

    /* An 802.1Q-tagged slow protocol frame. */
    Bytes tagged = frame;
    ASSERT_TRUE(push_vlan(tagged, kEthTypeVlan8021Q, 10));
    EXPECT_EQ(parse(tagged, lacp), SlowError::kVlanTagged);
    EXPECT_EQ(parse(tagged, marker), SlowError::kVlanTagged);
    EXPECT_EQ(subtype_of(tagged), std::nullopt);
    /* Tagged, but carrying something else. */
    Bytes tagged_ip = ipv4;
    ASSERT_TRUE(push_vlan(tagged_ip, kEthTypeVlan8021AD, 10));
    EXPECT_EQ(parse(tagged_ip, lacp), SlowError::kNotSlow);
    /* A tag cut short. */
    EXPECT_EQ(parse(test::head(tagged, 17), lacp), SlowError::kNotSlow);
    EXPECT_EQ(parse(test::head(tagged, 18), lacp), SlowError::kVlanTagged);

    /* An 802.3 frame. */
    Bytes llc = frame;
    llc[12] = 0x00;
    llc[13] = 110;
    EXPECT_EQ(parse(llc, lacp), SlowError::kNotSlow);
}

TEST(SlowProtocols, Subtypes)
{
    LacpPdu lacp;
    MarkerPdu marker;
    Bytes frame = lacp_frame();
    EXPECT_EQ(parse(frame, marker), SlowError::kSubtypeMismatch);
    EXPECT_EQ(parse(marker_frame(), lacp), SlowError::kSubtypeMismatch);
    /* The subtype is checked before the PDU length. */
    EXPECT_EQ(parse(test::head(frame, 15), marker), SlowError::kSubtypeMismatch);
    EXPECT_EQ(parse(test::head(frame, 15), lacp), SlowError::kPduTruncated);

    for (uint8_t subtype : {0x00, 0x03, 0x0a, 0xff}) {
        Bytes other = frame;
        other[kSubtypeAt] = subtype;
        EXPECT_EQ(parse(other, lacp), SlowError::kUnknownSubtype) << int(subtype);
        EXPECT_EQ(parse(other, marker), SlowError::kUnknownSubtype) << int(subtype);
        EXPECT_EQ(subtype_of(other), subtype);
        EXPECT_EQ(subtype_of(test::head(other, 15)), subtype);
    }
    EXPECT_EQ(subtype_of(test::head(frame, 14)), std::nullopt);
    EXPECT_EQ(subtype_of(Bytes{}), std::nullopt);
}

TEST(SlowProtocols, LacpduBadFields)
{
    struct Case {
        size_t offset;
        uint8_t value;
        SlowError expected;
    };
    const Case cases[] = {
        {kVersionAt, 0, SlowError::kLacpBadVersion},
        {kActorTypeAt, 0, SlowError::kLacpBadActorTlv},
        {kActorTypeAt, kLacpTlvPartner, SlowError::kLacpBadActorTlv},
        {kActorLenAt, 19, SlowError::kLacpBadActorTlv},
        {kActorLenAt, 21, SlowError::kLacpBadActorTlv},
        {kPartnerTypeAt, kLacpTlvActor, SlowError::kLacpBadPartnerTlv},
        {kPartnerTypeAt, 0, SlowError::kLacpBadPartnerTlv},
        {kPartnerLenAt, 18, SlowError::kLacpBadPartnerTlv},
        {kCollectorTypeAt, 4, SlowError::kLacpBadCollectorTlv},
        {kCollectorLenAt, 20, SlowError::kLacpBadCollectorTlv},
        {kCollectorLenAt, 0, SlowError::kLacpBadCollectorTlv},
        {kTerminatorTypeAt, 1, SlowError::kLacpBadTerminator},
        {kTerminatorLenAt, 2, SlowError::kLacpBadTerminator},
    };
    for (const Case &c : cases) {
        Bytes frame = lacp_frame();
        frame[c.offset] = c.value;
        LacpPdu pdu = filled<LacpPdu>();
        EXPECT_EQ(parse(frame, pdu), c.expected) << "offset " << c.offset;
        EXPECT_EQ(test::bytes_of(pdu), Bytes(sizeof pdu, 0x5a)) << "untouched";
    }

    /* The first failing check in the documented order is reported. */
    Bytes frame = lacp_frame();
    frame[kVersionAt] = 0;
    frame[kActorTypeAt] = 0;
    frame[kTerminatorTypeAt] = 9;
    LacpPdu pdu;
    EXPECT_EQ(parse(frame, pdu), SlowError::kLacpBadVersion);
    frame[kVersionAt] = 1;
    EXPECT_EQ(parse(frame, pdu), SlowError::kLacpBadActorTlv);
    frame[kActorTypeAt] = 1;
    EXPECT_EQ(parse(frame, pdu), SlowError::kLacpBadTerminator);
}

TEST(SlowProtocols, LacpduReservedAndDestinationIgnored)
{
    Bytes frame = lacp_frame();
    /* Another destination (802.1AX-2014 allows several). */
    for (int i = 0; i < 6; i++) {
        frame[i] = 0x10 + i;
    }
    /* Actor and partner reserved octets, collector reserved, trailing
     * reserved octets. */
    for (size_t i : {33, 34, 35, 53, 54, 55}) {
        frame[i] = 0xa5;
    }
    for (size_t i = 60; i < 72; i++) {
        frame[i] = 0xb6;
    }
    for (size_t i = 74; i < 124; i++) {
        frame[i] = 0xc7;
    }
    LacpPdu pdu;
    ASSERT_EQ(parse(frame, pdu), SlowError::kNone);
    EXPECT_EQ(pdu.actor.reserved, (std::array<uint8_t, 3>{0xa5, 0xa5, 0xa5}));
    EXPECT_EQ(pdu.reserved[49], 0xc7) << "copied as received";
    EXPECT_EQ(pdu.actor.port.value(), 7);
}

TEST(SlowProtocols, LacpduHigherVersion)
{
    /* A version 2 LACPDU with a Port Algorithm TLV (type 4, length 6) where
     * version 1 has its Terminator, and a longer body. */
    Bytes frame = lacp_frame();
    frame[kVersionAt] = 2;
    const Bytes port_algorithm = {0x04, 0x06, 0x00, 0x80, 0xc2, 0x01};
    std::copy(port_algorithm.begin(), port_algorithm.end(), frame.begin() + kTerminatorTypeAt);
    frame.resize(300, 0x11);
    LacpPdu pdu;
    ASSERT_EQ(parse(frame, pdu), SlowError::kNone);
    EXPECT_EQ(pdu.version, 2) << "reported as received";
    EXPECT_EQ(test::bytes_of(pdu.actor), test::bytes_of(kActor));
    EXPECT_EQ(test::bytes_of(pdu.partner), test::bytes_of(kPartner));
    EXPECT_EQ(pdu.collector_max_delay.value(), 0x1f40);

    frame[kVersionAt] = 0xff;
    EXPECT_EQ(parse(frame, pdu), SlowError::kNone);

    /* The version-1 TLVs are still checked in a higher version. */
    for (size_t offset : {kActorTypeAt, kPartnerLenAt, kCollectorTypeAt}) {
        Bytes bad = frame;
        bad[offset] ^= 0x40;
        EXPECT_NE(parse(bad, pdu), SlowError::kNone) << offset;
    }
    /* And it must still hold the 110 bytes. */
    EXPECT_EQ(parse(test::head(frame, 123), pdu), SlowError::kPduTruncated);
}

TEST(SlowProtocols, MarkerBadFields)
{
    struct Case {
        size_t offset;
        uint8_t value;
        SlowError expected;
    };
    const Case cases[] = {
        {kVersionAt, 0, SlowError::kMarkerBadVersion},
        {kMarkerTlvTypeAt, 0, SlowError::kMarkerBadTlvType},
        {kMarkerTlvTypeAt, 3, SlowError::kMarkerBadTlvType},
        {kMarkerTlvLenAt, 15, SlowError::kMarkerBadTlvLen},
        {kMarkerTlvLenAt, 17, SlowError::kMarkerBadTlvLen},
        {kMarkerTerminatorAt, 1, SlowError::kMarkerBadTerminator},
        {kMarkerTerminatorAt + 1, 16, SlowError::kMarkerBadTerminator},
    };
    for (const Case &c : cases) {
        Bytes frame = marker_frame();
        frame[c.offset] = c.value;
        MarkerPdu pdu = filled<MarkerPdu>();
        EXPECT_EQ(parse(frame, pdu), c.expected) << "offset " << c.offset;
        EXPECT_EQ(test::bytes_of(pdu), Bytes(sizeof pdu, 0x5a)) << "untouched";
    }

    /* A response TLV is valid; pad and reserved octets are ignored. */
    Bytes frame = marker_frame();
    frame[kMarkerTlvTypeAt] = kMarkerTlvResponse;
    frame[30] = frame[31] = 0xee;
    frame[123] = 0xee;
    MarkerPdu pdu;
    ASSERT_EQ(parse(frame, pdu), SlowError::kNone);
    EXPECT_EQ(pdu.tlv_type, kMarkerTlvResponse);

    /* A higher version is read as version 1, without the terminator check. */
    frame[kVersionAt] = 2;
    frame[kMarkerTerminatorAt] = 7;
    ASSERT_EQ(parse(frame, pdu), SlowError::kNone);
    EXPECT_EQ(pdu.version, 2);
    frame[kMarkerTlvLenAt] = 18;
    EXPECT_EQ(parse(frame, pdu), SlowError::kMarkerBadTlvLen);
}

/* Flips every byte of a valid frame in turn and checks the outcome against
 * the field layout: only the EtherType, subtype and TLV headers matter (a
 * flipped version 1 becomes 0xfe, a higher version). */
TEST(SlowProtocols, EveryByteFlipped)
{
    Bytes lacp = lacp_frame();
    for (size_t i = 0; i < lacp.size(); i++) {
        Bytes frame = lacp;
        frame[i] ^= 0xff;
        SlowError expected = SlowError::kNone;
        if (i == 12 || i == 13) {
            expected = SlowError::kNotSlow;
        } else if (i == kSubtypeAt) {
            expected = SlowError::kUnknownSubtype;
        } else if (i == kActorTypeAt || i == kActorLenAt) {
            expected = SlowError::kLacpBadActorTlv;
        } else if (i == kPartnerTypeAt || i == kPartnerLenAt) {
            expected = SlowError::kLacpBadPartnerTlv;
        } else if (i == kCollectorTypeAt || i == kCollectorLenAt) {
            expected = SlowError::kLacpBadCollectorTlv;
        } else if (i == kTerminatorTypeAt || i == kTerminatorLenAt) {
            expected = SlowError::kLacpBadTerminator;
        }
        LacpPdu pdu;
        EXPECT_EQ(parse(frame, pdu), expected) << "lacp byte " << i;
    }

    Bytes marker = marker_frame();
    for (size_t i = 0; i < marker.size(); i++) {
        Bytes frame = marker;
        frame[i] ^= 0xff;
        SlowError expected = SlowError::kNone;
        if (i == 12 || i == 13) {
            expected = SlowError::kNotSlow;
        } else if (i == kSubtypeAt) {
            expected = SlowError::kUnknownSubtype;
        } else if (i == kMarkerTlvTypeAt) {
            expected = SlowError::kMarkerBadTlvType;
        } else if (i == kMarkerTlvLenAt) {
            expected = SlowError::kMarkerBadTlvLen;
        } else if (i == kMarkerTerminatorAt || i == kMarkerTerminatorAt + 1) {
            expected = SlowError::kMarkerBadTerminator;
        }
        MarkerPdu pdu;
        EXPECT_EQ(parse(frame, pdu), expected) << "marker byte " << i;
    }
}

/* Checks, from the raw bytes, that an accepted LACPDU frame satisfies every
 * documented rule. */
void expect_valid_lacp(const Bytes &f, const LacpPdu &pdu)
{
    ASSERT_GE(f.size(), 124u);
    EXPECT_EQ(f[12] << 8 | f[13], kEthTypeSlow);
    EXPECT_EQ(f[kSubtypeAt], kSlowSubtypeLacp);
    EXPECT_NE(f[kVersionAt], 0);
    EXPECT_EQ(f[kActorTypeAt], 1);
    EXPECT_EQ(f[kActorLenAt], 20);
    EXPECT_EQ(f[kPartnerTypeAt], 2);
    EXPECT_EQ(f[kPartnerLenAt], 20);
    EXPECT_EQ(f[kCollectorTypeAt], 3);
    EXPECT_EQ(f[kCollectorLenAt], 16);
    if (f[kVersionAt] == 1) {
        EXPECT_EQ(f[kTerminatorTypeAt], 0);
        EXPECT_EQ(f[kTerminatorLenAt], 0);
    }
    EXPECT_EQ(test::bytes_of(pdu), Bytes(f.begin() + 14, f.begin() + 124));
}

void expect_valid_marker(const Bytes &f, const MarkerPdu &pdu)
{
    ASSERT_GE(f.size(), 124u);
    EXPECT_EQ(f[12] << 8 | f[13], kEthTypeSlow);
    EXPECT_EQ(f[kSubtypeAt], kSlowSubtypeMarker);
    EXPECT_NE(f[kVersionAt], 0);
    EXPECT_TRUE(f[kMarkerTlvTypeAt] == 1 || f[kMarkerTlvTypeAt] == 2);
    EXPECT_EQ(f[kMarkerTlvLenAt], 16);
    if (f[kVersionAt] == 1) {
        EXPECT_EQ(f[kMarkerTerminatorAt], 0);
        EXPECT_EQ(f[kMarkerTerminatorAt + 1], 0);
    }
    EXPECT_EQ(test::bytes_of(pdu), Bytes(f.begin() + 14, f.begin() + 124));
}

TEST(SlowProtocols, RandomCorruptionNeverCrashes)
{
    std::mt19937 rng(8023);
    const Bytes seeds[] = {lacp_frame(), marker_frame()};
    int accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        Bytes frame = seeds[iter % 2];
        /* Corrupt a few bytes, mostly in the headers. */
        int flips = 1 + rng() % 4;
        for (int k = 0; k < flips; k++) {
            size_t at = (rng() % 4) ? rng() % 80 : rng() % frame.size();
            frame[at] = (rng() % 2) ? uint8_t(rng()) : uint8_t(frame[at] ^ (1u << (rng() % 8)));
        }
        /* Sometimes cut or extend it. */
        switch (rng() % 4) {
        case 0:
            frame.resize(rng() % frame.size());
            break;
        case 1:
            frame.resize(frame.size() + rng() % 64, uint8_t(rng()));
            break;
        default:
            break;
        }

        LacpPdu lacp;
        SlowError e1 = parse(frame, lacp);
        ASSERT_LT(int(e1), int(SlowError::kCount));
        if (e1 == SlowError::kNone) {
            expect_valid_lacp(frame, lacp);
            accepted++;
        }
        MarkerPdu marker;
        SlowError e2 = parse(frame, marker);
        ASSERT_LT(int(e2), int(SlowError::kCount));
        if (e2 == SlowError::kNone) {
            expect_valid_marker(frame, marker);
            accepted++;
        }
        EXPECT_FALSE(e1 == SlowError::kNone && e2 == SlowError::kNone);
        (void) subtype_of(frame);
    }
    EXPECT_GT(accepted, 100) << "the corruption leaves some frames valid";
}

}  // namespace
}  // namespace braid
