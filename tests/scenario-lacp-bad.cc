/* Scenario tests of LACP against what a well-behaved partner never sends:
 * malformed LACPDUs and Marker PDUs, Marker requests (one and a burst), our
 * own LACPDUs looped back, slow protocol frames on ports without LACP, a
 * flood of LACPDUs, bad LACP configuration, and the lacp/show and
 * lacp/show-stats commands.  The fixture is tests/scenario-lacp.h; the
 * clock is stopped and warped, never slept on. */
#include <config.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/scenario-lacp.h"

namespace braid::test {
namespace {

using ofproto::kLacpMaxMarkerResponsesPerWindow;
using ofproto::kLacpMaxTxPerWindow;
using ofproto::LacpMemberId;
using ofproto::LacpMemberStatus;

constexpr size_t kEthLen = sizeof(EthHeader);

/* The offsets in a whole frame (Ethernet header included) of the LACPDU's
 * and the Marker PDU's fixed fields. */
constexpr size_t kSubtypeAt = kEthLen + 0;
constexpr size_t kVersionAt = kEthLen + 1;
constexpr size_t kActorTypeAt = kEthLen + 2;
constexpr size_t kActorLenAt = kEthLen + 3;
constexpr size_t kPartnerTypeAt = kEthLen + 4 + sizeof(LacpInfo);
constexpr size_t kPartnerLenAt = kPartnerTypeAt + 1;
constexpr size_t kCollectorTypeAt = kPartnerTypeAt + 2 + sizeof(LacpInfo);
constexpr size_t kCollectorLenAt = kCollectorTypeAt + 1;
constexpr size_t kTerminatorTypeAt = kCollectorTypeAt + 16;
constexpr size_t kTerminatorLenAt = kTerminatorTypeAt + 1;
constexpr size_t kMarkerTlvTypeAt = kEthLen + 2;
constexpr size_t kMarkerTlvLenAt = kEthLen + 3;
constexpr size_t kMarkerTerminatorTypeAt = kEthLen + 2 + kMarkerInfoLen;
constexpr size_t kMarkerTerminatorLenAt = kMarkerTerminatorTypeAt + 1;

static_assert(kTerminatorTypeAt == kEthLen + 58);
static_assert(kMarkerTerminatorTypeAt == kEthLen + 18);

/* 'frame' with byte 'at' set to 'value'. */
Bytes with_byte(Bytes frame, size_t at, uint8_t value)
{
    frame.at(at) = value;
    return frame;
}

/* The first 'n' bytes of 'frame'. */
Bytes first_bytes(const Bytes &frame, size_t n)
{
    return Bytes(frame.begin(), frame.begin() + std::min(n, frame.size()));
}

/* A slow protocols frame from 'src' carrying 'pdu'. */
Bytes slow_frame(EthAddr src, const Bytes &pdu)
{
    return concat({eth(kEthTypeSlow, kEthAddrSlowProtocols, src), pdu});
}

/* The LACPDU the partner 'peer' would send now on its member 'id', built
 * from its status as its Transmit machine builds it. */
Bytes partner_lacpdu(const Lacp &peer, LacpMemberId id)
{
    for (const LacpMemberStatus &m : peer.status().members) {
        if (m.id == id) {
            return compose_lacpdu(m.settings.mac, m.actor.to_wire(), m.partner.to_wire(),
                                  peer.settings().collector_max_delay);
        }
    }
    ADD_FAILURE() << "the partner has no member " << id;
    return {};
}

/* Whether 'frame' is a slow protocols frame of subtype 'subtype'. */
bool is_slow(const Bytes &frame, uint8_t subtype)
{
    std::optional<uint8_t> s = slow_subtype(frame);
    return s && *s == subtype;
}

/* The part of lacp/show-stats text 'stats' about member 'member' in the
 * Open vSwitch format: from "member: NAME:" to the next blank line. */
std::string ovs_member_section(const std::string &stats, const std::string &member)
{
    std::string head = "\nmember: " + member + ":\n";
    size_t start = stats.find(head);
    if (start == std::string::npos) {
        ADD_FAILURE() << "no member " << member << " in:\n" << stats;
        return "";
    }
    size_t end = stats.find("\n\n", start + head.size());
    return stats.substr(start, end == std::string::npos ? std::string::npos : end + 1 - start);
}

/* The number after "  NAME: " in member 'member''s section of 'stats'. */
uint64_t ovs_stat(const std::string &stats, const std::string &member, const std::string &name)
{
    std::string section = ovs_member_section(stats, member);
    std::smatch m;
    if (!std::regex_search(section, m, std::regex("\n  " + name + ": (\\d+)\n"))) {
        ADD_FAILURE() << "no \"" << name << "\" for member " << member << " in:\n" << stats;
        return 0;
    }
    return std::stoull(m[1]);
}

/* The number after "FIELD " in the "braid: member NAME: rx lacpdus ..."
 * line of 'stats'. */
uint64_t braid_stat(const std::string &stats, const std::string &member,
                    const std::string &field)
{
    std::smatch line;
    if (!std::regex_search(stats, line,
                           std::regex("braid: member " + member + ": rx lacpdus [^\n]*"))) {
        ADD_FAILURE() << "no counters line for member " << member << " in:\n" << stats;
        return 0;
    }
    std::string text = line[0];
    std::smatch m;
    if (!std::regex_search(text, m, std::regex("[:,] " + field + " (\\d+)"))) {
        ADD_FAILURE() << "no \"" << field << "\" in: " << text;
        return 0;
    }
    return std::stoull(m[1]);
}

/* The whole "braid: member NAME: rx lacpdus ..." line of 'stats'. */
std::string braid_counters_line(const std::string &stats, const std::string &member)
{
    std::smatch m;
    if (!std::regex_search(stats, m,
                           std::regex("braid: member " + member + ": rx lacpdus [^\n]*"))) {
        ADD_FAILURE() << stats;
        return "";
    }
    return m[0];
}

/* What follows "braid: member NAME: rx bad by reason:" in 'stats'. */
std::string bad_reasons(const std::string &stats, const std::string &member)
{
    std::smatch m;
    std::regex line("braid: member " + member + ": rx bad by reason:([^\n]*)\n");
    if (!std::regex_search(stats, m, line)) {
        ADD_FAILURE() << "no reasons line for member " << member << " in:\n" << stats;
        return "";
    }
    return m[1];
}

using ReasonCounts = std::array<uint64_t, size_t(SlowError::kCount)>;

/* The text bad_reasons() should find for 'counts', as
 * ofproto/lacp-show.h describes it. */
std::string expected_reasons(const ReasonCounts &counts)
{
    std::string s;
    for (size_t i = 0; i < counts.size(); i++) {
        if (i == size_t(SlowError::kNone) || !counts[i]) {
            continue;
        }
        s += fmt::format("{} {} ({})", s.empty() ? "" : ",",
                         slow_error_to_string(static_cast<SlowError>(i)), counts[i]);
    }
    return s.empty() ? " none" : s;
}

size_t count_lines(const std::string &s)
{
    return size_t(std::count(s.begin(), s.end(), '\n'));
}

/* Calls 'done' up to 'tries' times (each normally a round trip to the
 * daemon) until it returns true. */
bool eventually(const std::function<bool()> &done, int tries = 200)
{
    for (int i = 0; i < tries; i++) {
        if (done()) {
            return true;
        }
    }
    return false;
}

/* Log lines the bad frames of these tests make, at WARN. */
const std::vector<std::regex> kBadFrameLogs = {
    std::regex("dropped a bad slow protocols frame"),
    std::regex("malformed pdu"),
    std::regex("too many marker requests"),
    std::regex("the link loops back"),
};

/* ---- 1. Malformed PDUs ------------------------------------------------------- */

/* Every way lib/slow-protocols rejects a frame that can reach a bond member
 * is counted once, by reason, on that member alone, and changes no state.
 * (kEthTruncated, kNotSlow and kSubtypeMismatch cannot reach LACP through
 * the daemon: netdev-dummy and the datapath refuse runts shorter than an
 * Ethernet header, only EtherType 0x8809 goes to the bond, and the bond
 * picks the parser by subtype.) */
TEST_F(LacpScenario, BadPdusAreCountedByReasonAndChangeNothing)
{
    allowed_.insert(allowed_.end(), kBadFrameLogs.begin(), kBadFrameLogs.end());
    ASSERT_NO_FATAL_FAILURE(negotiate_bond());

    const Bytes lacpdu = partner_lacpdu(peer_, 1);
    ASSERT_EQ(lacpdu.size(), kEthLen + kSlowPduLen);
    ASSERT_EQ(lacpdu[kTerminatorTypeAt], kLacpTlvTerminator);
    const Bytes marker = slow_frame(mac(0x60), bytes_of(marker_info(101, kPeerSystem, 7)));
    ASSERT_EQ(marker.size(), kEthLen + kSlowPduLen);

    struct Case {
        const char *what;
        Bytes frame;
        SlowError reason;
    };
    Bytes tagged = concat({eth_vlans({{0x8100, 10}}, kEthTypeSlow, kEthAddrSlowProtocols,
                                     mac(0x60)),
                           Bytes(lacpdu.begin() + kEthLen, lacpdu.end())});
    const std::vector<Case> cases = {
        {"truncated lacpdu", first_bytes(lacpdu, kEthLen + 60), SlowError::kPduTruncated},
        {"lacpdu one byte short", first_bytes(lacpdu, kEthLen + kSlowPduLen - 1),
         SlowError::kPduTruncated},
        {"runt: header and subtype", first_bytes(lacpdu, kEthLen + 1),
         SlowError::kPduTruncated},
        {"runt: header only", first_bytes(lacpdu, kEthLen), SlowError::kSubtypeTruncated},
        {"subtype 3 (oam)", with_byte(lacpdu, kSubtypeAt, 3), SlowError::kUnknownSubtype},
        {"subtype 0", with_byte(lacpdu, kSubtypeAt, 0), SlowError::kUnknownSubtype},
        {"subtype 255", with_byte(lacpdu, kSubtypeAt, 255), SlowError::kUnknownSubtype},
        {"vlan tagged lacpdu", tagged, SlowError::kVlanTagged},
        {"lacp version 0", with_byte(lacpdu, kVersionAt, 0), SlowError::kLacpBadVersion},
        {"actor tlv type 2", with_byte(lacpdu, kActorTypeAt, kLacpTlvPartner),
         SlowError::kLacpBadActorTlv},
        {"actor tlv length 19", with_byte(lacpdu, kActorLenAt, 19),
         SlowError::kLacpBadActorTlv},
        {"actor tlv length 0", with_byte(lacpdu, kActorLenAt, 0),
         SlowError::kLacpBadActorTlv},
        {"actor tlv length 255", with_byte(lacpdu, kActorLenAt, 255),
         SlowError::kLacpBadActorTlv},
        {"partner tlv type 1", with_byte(lacpdu, kPartnerTypeAt, kLacpTlvActor),
         SlowError::kLacpBadPartnerTlv},
        {"partner tlv length 18", with_byte(lacpdu, kPartnerLenAt, 18),
         SlowError::kLacpBadPartnerTlv},
        {"collector tlv type 0", with_byte(lacpdu, kCollectorTypeAt, 0),
         SlowError::kLacpBadCollectorTlv},
        {"collector tlv length 14", with_byte(lacpdu, kCollectorLenAt, 14),
         SlowError::kLacpBadCollectorTlv},
        {"terminator type 1", with_byte(lacpdu, kTerminatorTypeAt, 1),
         SlowError::kLacpBadTerminator},
        {"terminator length 2", with_byte(lacpdu, kTerminatorLenAt, 2),
         SlowError::kLacpBadTerminator},
        {"marker version 0", with_byte(marker, kVersionAt, 0), SlowError::kMarkerBadVersion},
        {"marker tlv type 0", with_byte(marker, kMarkerTlvTypeAt, 0),
         SlowError::kMarkerBadTlvType},
        {"marker tlv type 3", with_byte(marker, kMarkerTlvTypeAt, 3),
         SlowError::kMarkerBadTlvType},
        {"marker tlv length 15", with_byte(marker, kMarkerTlvLenAt, 15),
         SlowError::kMarkerBadTlvLen},
        {"marker tlv length 255", with_byte(marker, kMarkerTlvLenAt, 255),
         SlowError::kMarkerBadTlvLen},
        {"marker response tlv length 0",
         with_byte(with_byte(marker, kMarkerTlvTypeAt, kMarkerTlvResponse), kMarkerTlvLenAt, 0),
         SlowError::kMarkerBadTlvLen},
        {"marker terminator type 1", with_byte(marker, kMarkerTerminatorTypeAt, 1),
         SlowError::kMarkerBadTerminator},
        {"marker terminator length 3", with_byte(marker, kMarkerTerminatorLenAt, 3),
         SlowError::kMarkerBadTerminator},
        {"truncated marker", first_bytes(marker, kEthLen + 40), SlowError::kPduTruncated},
    };

    const std::string show_before = lacp_show();
    std::string stats = appctl_out({"lacp/show-stats", "bond0"});
    const std::string b_counters = braid_counters_line(stats, "b");
    const uint64_t b_frames = ovs_stat(stats, "b", "RX PDUs");
    EXPECT_EQ(ovs_stat(stats, "a", "RX Bad PDUs"), 0u) << stats;
    EXPECT_EQ(bad_reasons(stats, "a"), " none") << stats;
    const uint64_t malformed_before = counter("lacp_rx_malformed");
    ReasonCounts expected{};
    uint64_t bad = 0;
    for (const Case &c : cases) {
        SCOPED_TRACE(c.what);
        const uint64_t frames = ovs_stat(stats, "a", "RX PDUs");
        const std::string a_counters = braid_counters_line(stats, "a");
        inject("a", {c.frame});
        expected[size_t(c.reason)]++;
        bad++;

        stats = appctl_out({"lacp/show-stats", "bond0"});
        EXPECT_EQ(ovs_stat(stats, "a", "RX Bad PDUs"), bad) << stats;
        EXPECT_EQ(ovs_stat(stats, "a", "RX PDUs"), frames + 1) << stats;
        EXPECT_EQ(bad_reasons(stats, "a"), expected_reasons(expected)) << stats;
        EXPECT_TRUE(contains(bad_reasons(stats, "a"), slow_error_to_string(c.reason)));
        /* No LACPDU, marker or state change counted on 'a'; 'b' untouched. */
        EXPECT_EQ(braid_counters_line(stats, "a"), a_counters);
        EXPECT_EQ(braid_counters_line(stats, "b"), b_counters);
        EXPECT_EQ(ovs_stat(stats, "b", "RX Bad PDUs"), 0u) << stats;
        /* No state changed at all. */
        EXPECT_EQ(lacp_show(), show_before);
        EXPECT_TRUE(negotiated()) << bond_show();
        EXPECT_EQ(rx_state("a"), "current");
        EXPECT_EQ(mux_state("a"), "collecting_distributing");
        EXPECT_EQ(sb_.appctl({"version"}).status, 0) << "the daemon answers";
    }
    EXPECT_EQ(counter("lacp_rx_malformed"), malformed_before + cases.size());
    EXPECT_GE(counter("bond_lacp_rx_bad"), cases.size());
    EXPECT_EQ(ovs_stat(stats, "b", "RX PDUs"), b_frames);
    /* No reply went out for any of them. */
    for (const Bytes &f : new_slow_frames("a")) {
        EXPECT_FALSE(is_slow(f, kSlowSubtypeMarker)) << "a marker response to a bad marker";
    }

    /* Still a healthy aggregate once time moves on: the partner's PDUs keep
     * both members current. */
    advance(5000);
    EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_EQ(rx_state("b"), "current");
    EXPECT_EQ(mux_state("a"), "collecting_distributing");
    EXPECT_EQ(mux_state("b"), "collecting_distributing");
    EXPECT_TRUE(member_enabled("a")) << bond_show();
    EXPECT_TRUE(peer_.negotiated());
    stats = appctl_out({"lacp/show-stats", "bond0"});
    EXPECT_EQ(ovs_stat(stats, "a", "RX Bad PDUs"), cases.size()) << stats;
    EXPECT_EQ(ovs_stat(stats, "a", "Link Expired"), 0u) << stats;
    EXPECT_EQ(ovs_stat(stats, "a", "Link Defaulted"), 0u) << stats;
}

/* What is not malformed: a longer frame (padding, or a later version's
 * longer PDU) and a version 2 LACPDU whose Terminator position holds
 * something else are accepted as version 1 LACPDUs. */
TEST_F(LacpScenario, BadLookingButValidPdusAreAccepted)
{
    allowed_.insert(allowed_.end(), kBadFrameLogs.begin(), kBadFrameLogs.end());
    ASSERT_NO_FATAL_FAILURE(negotiate_bond());

    const Bytes lacpdu = partner_lacpdu(peer_, 1);
    Bytes longer = lacpdu;
    longer.resize(1514, 0xee);
    Bytes v2 = with_byte(with_byte(lacpdu, kVersionAt, 2), kTerminatorTypeAt, 9);
    v2 = with_byte(v2, kTerminatorLenAt, 12);

    const std::string show_before = lacp_show();
    std::string stats = appctl_out({"lacp/show-stats", "bond0"});
    const uint64_t frames = ovs_stat(stats, "a", "RX PDUs");
    const uint64_t pdus = braid_stat(stats, "a", "rx lacpdus");
    inject("a", {longer, v2});
    stats = appctl_out({"lacp/show-stats", "bond0"});
    EXPECT_EQ(ovs_stat(stats, "a", "RX PDUs"), frames + 2) << stats;
    EXPECT_EQ(braid_stat(stats, "a", "rx lacpdus"), pdus + 2) << stats;
    EXPECT_EQ(ovs_stat(stats, "a", "RX Bad PDUs"), 0u) << stats;
    EXPECT_EQ(bad_reasons(stats, "a"), " none") << stats;
    EXPECT_EQ(lacp_show(), show_before);
    EXPECT_TRUE(negotiated());
}

/* ---- 2. The Marker Responder -------------------------------------------------- */

TEST_F(LacpScenario, MarkerRequestsAreAnsweredWithinTheRateLimit)
{
    allowed_.insert(allowed_.end(), kBadFrameLogs.begin(), kBadFrameLogs.end());
    ASSERT_NO_FATAL_FAILURE(negotiate_bond());
    new_slow_frames("a");
    new_slow_frames("b");

    auto responses = [this](const std::string &port) {
        std::vector<MarkerPdu> v;
        for (const Bytes &f : new_slow_frames(port)) {
            if (!is_slow(f, kSlowSubtypeMarker)) {
                continue;
            }
            MarkerPdu m{};
            EXPECT_EQ(parse_marker(f, m), SlowError::kNone) << hex(f);
            EXPECT_EQ(m.tlv_type, kMarkerTlvResponse);
            EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kEthAddrSlowProtocols.b.begin()))
                << "sent to the Slow Protocols address: " << hex(f);
            v.push_back(m);
        }
        return v;
    };

    /* One request, answered on its member with the requester's fields. */
    inject("a", {slow_frame(mac(0x60), bytes_of(marker_info(101, kPeerSystem, 0xdeadbeef)))});
    std::vector<MarkerPdu> r = responses("a");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].requester_port.value(), 101);
    EXPECT_TRUE(r[0].requester_system == kPeerSystem);
    EXPECT_EQ(r[0].requester_transaction_id.value(), 0xdeadbeefu);
    EXPECT_TRUE(responses("b").empty()) << "answered on the member it came in on only";

    /* The same on the other member, other fields. */
    const EthAddr other_system{{0x02, 0x77, 0, 0, 0, 0x09}};
    inject("b", {slow_frame(mac(0x61), bytes_of(marker_info(4242, other_system, 17)))});
    r = responses("b");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].requester_port.value(), 4242);
    EXPECT_TRUE(r[0].requester_system == other_system);
    EXPECT_EQ(r[0].requester_transaction_id.value(), 17u);
    EXPECT_TRUE(responses("a").empty());

    /* A Marker Response is counted, never answered. */
    inject("a", {compose_marker_response(mac(0x60), marker_info(1, kPeerSystem, 5))});
    EXPECT_TRUE(responses("a").empty());

    /* A burst of 20 requests in one millisecond, once the window of the
     * first answer has passed: five answers, the first five, in order. */
    advance(1000);
    new_slow_frames("a");
    std::vector<Bytes> burst;
    for (uint32_t i = 0; i < 20; i++) {
        burst.push_back(slow_frame(mac(0x60), bytes_of(marker_info(101, kPeerSystem, 100 + i))));
    }
    inject("a", burst);
    r = responses("a");
    EXPECT_LE(r.size(), kLacpMaxMarkerResponsesPerWindow);
    ASSERT_EQ(r.size(), 5u);
    for (size_t i = 0; i < r.size(); i++) {
        EXPECT_EQ(r[i].requester_transaction_id.value(), 100 + i);
    }
    std::string stats = appctl_out({"lacp/show-stats", "bond0"});
    EXPECT_EQ(ovs_stat(stats, "a", "RX Marker Request PDUs"), 21u) << stats;
    EXPECT_EQ(braid_stat(stats, "a", "tx marker responses"), 6u) << stats;
    EXPECT_EQ(braid_stat(stats, "a", "marker responses dropped"), 15u) << stats;
    EXPECT_EQ(braid_stat(stats, "a", "rx marker responses"), 1u) << stats;
    EXPECT_EQ(ovs_stat(stats, "a", "RX Bad PDUs"), 0u) << stats;
    EXPECT_EQ(braid_stat(stats, "b", "tx marker responses"), 1u) << stats;
    EXPECT_EQ(braid_stat(stats, "b", "marker responses dropped"), 0u) << stats;
    EXPECT_EQ(counter("lacp_marker_dropped"), 15u);

    /* The limit is per window: a second later requests are answered again. */
    ASSERT_EQ(sb_.appctl({"time/warp", "1000"}).status, 0);
    sync();
    new_slow_frames("a");
    inject("a", {slow_frame(mac(0x60), bytes_of(marker_info(101, kPeerSystem, 999)))});
    r = responses("a");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].requester_transaction_id.value(), 999u);

    /* None of it disturbed LACP. */
    advance(2000);
    EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_EQ(mux_state("a"), "collecting_distributing");
}

/* ---- 3. Loopback -------------------------------------------------------------- */

TEST_F(LacpScenario, LoopbackOwnLacpduIsCountedAndIgnored)
{
    allowed_.insert(allowed_.end(), kBadFrameLogs.begin(), kBadFrameLogs.end());
    ASSERT_NO_FATAL_FAILURE(negotiate_bond());

    Bytes own;
    for (const Bytes &f : sent("a")) {
        if (is_slow(f, kSlowSubtypeLacp)) {
            own = f;
        }
    }
    ASSERT_FALSE(own.empty()) << "member a sent no LACPDU";
    LacpPdu pdu{};
    ASSERT_EQ(parse_lacpdu(own, pdu), SlowError::kNone);
    EXPECT_TRUE(pdu.actor.system == EthAddr({{0x02, 0xaa, 0, 0, 0, 0x01}}));

    const std::string show_before = lacp_show();
    std::string stats = appctl_out({"lacp/show-stats", "bond0"});
    const uint64_t pdus_a = braid_stat(stats, "a", "rx lacpdus");
    const uint64_t changes_a = braid_stat(stats, "a", "state changes");
    const uint64_t loopback_before = counter("lacp_rx_loopback");

    /* Back into the member that sent it, and into the other member. */
    inject("a", {own});
    inject("b", {own});
    stats = appctl_out({"lacp/show-stats", "bond0"});
    EXPECT_EQ(braid_stat(stats, "a", "rx loopback"), 1u) << stats;
    EXPECT_EQ(braid_stat(stats, "b", "rx loopback"), 1u) << stats;
    EXPECT_EQ(braid_stat(stats, "a", "rx lacpdus"), pdus_a) << stats;
    EXPECT_EQ(braid_stat(stats, "a", "state changes"), changes_a) << stats;
    EXPECT_EQ(ovs_stat(stats, "a", "RX Bad PDUs"), 0u) << stats;
    EXPECT_EQ(counter("lacp_rx_loopback"), loopback_before + 2);
    EXPECT_EQ(lacp_show(), show_before) << "the partner is still the partner";
    std::string show = lacp_show();
    EXPECT_TRUE(contains(show, "partner sys_id: 02:99:00:00:00:01\n")) << show;

    advance(3000);
    EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_EQ(rx_state("b"), "current");
}

/* ---- 4. Ports without LACP ---------------------------------------------------- */

TEST_F(LacpScenario, BadPortWithoutLacpDropsSlowFrames)
{
    add_bond({"a", "b"}, {"bond_mode=active-backup"});
    Bytes pdu = compose_lacpdu(mac(0x60), lacp_info(100, kPeerSystem, 7, 255, 101, 0x3f),
                               lacp_info(0, EthAddr{}, 0, 0, 0, 0), 0);
    Bytes marker = slow_frame(mac(0x60), bytes_of(marker_info(101, kPeerSystem, 1)));

    RunResult r = sb_.appctl({"lacp/show", "bond0"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "no such lacp object")) << r.err;

    /* On a member of a bond with LACP off: the bond takes and drops it. */
    uint64_t without_before = counter("bond_slow_frame_without_lacp");
    inject("a", {pdu});
    EXPECT_TRUE(eventually([&] {
        return counter("bond_slow_frame_without_lacp") == without_before + 1;
    })) << counter("bond_slow_frame_without_lacp");
    inject("b", {marker});
    EXPECT_TRUE(eventually([&] {
        return counter("bond_slow_frame_without_lacp") == without_before + 2;
    })) << counter("bond_slow_frame_without_lacp");

    /* On a port of no bond: the datapath drops it. */
    uint64_t not_bond_before = counter("datapath_drop_slow_not_bond");
    inject("vm", {pdu, marker});
    EXPECT_EQ(counter("datapath_drop_slow_not_bond"), not_bond_before + 2);

    /* Nothing was switched or answered anywhere. */
    EXPECT_TRUE(sent("vm").empty()) << sent("vm").size();
    for (const std::string &port : {std::string("a"), std::string("b")}) {
        for (const Bytes &f : sent(port)) {
            EXPECT_FALSE(slow_subtype(f).has_value()) << port << " sent " << hex(f);
        }
    }
    EXPECT_EQ(counter("bond_lacp_frame"), 0u);
    EXPECT_EQ(sb_.appctl({"version"}).status, 0);
}

/* ---- 5. A flood --------------------------------------------------------------- */

TEST_F(LacpScenario, FloodOfLacpdusIsSurvivedQuietly)
{
    allowed_.insert(allowed_.end(), kBadFrameLogs.begin(), kBadFrameLogs.end());
    ASSERT_NO_FATAL_FAILURE(negotiate_bond());

    const Bytes pdu = partner_lacpdu(peer_, 1);
    std::string stats = appctl_out({"lacp/show-stats", "bond0"});
    const uint64_t frames = ovs_stat(stats, "a", "RX PDUs");
    const uint64_t pdus = braid_stat(stats, "a", "rx lacpdus");
    const uint64_t tx = ovs_stat(stats, "a", "TX PDUs");
    const size_t log_lines = count_lines(sb_.vswitchd_log());

    /* 2000 valid LACPDUs, 100 at a time, over one second. */
    for (int batch = 0; batch < 20; batch++) {
        inject("a", std::vector<Bytes>(100, pdu));
        advance(50, 50);
    }
    EXPECT_EQ(sb_.appctl({"version"}).status, 0) << "the daemon answers";
    stats = appctl_out({"lacp/show-stats", "bond0"});
    EXPECT_GE(ovs_stat(stats, "a", "RX PDUs"), frames + 2000) << stats;
    EXPECT_GE(braid_stat(stats, "a", "rx lacpdus"), pdus + 2000) << stats;
    EXPECT_EQ(ovs_stat(stats, "a", "RX Bad PDUs"), 0u) << stats;
    /* The flood provokes no answers: at most the periodic ones and the
     * rate limit's worth. */
    EXPECT_LE(ovs_stat(stats, "a", "TX PDUs"), tx + 2 * kLacpMaxTxPerWindow) << stats;
    EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_EQ(mux_state("a"), "collecting_distributing");
    std::string log = sb_.vswitchd_log();
    EXPECT_LE(count_lines(log), log_lines + 4) << log;
    const size_t flood_lines = count_lines(log);

    /* 1000 malformed ones in the same millisecond: all counted, the log
     * rate-limited. */
    const Bytes truncated = first_bytes(pdu, kEthLen + 50);
    for (int batch = 0; batch < 10; batch++) {
        inject("a", std::vector<Bytes>(100, truncated));
    }
    EXPECT_EQ(sb_.appctl({"version"}).status, 0) << "the daemon answers";
    stats = appctl_out({"lacp/show-stats", "bond0"});
    EXPECT_EQ(ovs_stat(stats, "a", "RX Bad PDUs"), 1000u) << stats;
    EXPECT_EQ(bad_reasons(stats, "a"),
              fmt::format(" {} (1000)", slow_error_to_string(SlowError::kPduTruncated)));
    log = sb_.vswitchd_log();
    /* Two rate-limited call sites (the protocol's and the bond's), each a
     * burst of at most 20 (and perhaps a line about what was suppressed). */
    EXPECT_LE(count_lines(log), flood_lines + 2 * 20 + 2) << log;

    advance(3000);
    EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_EQ(rx_state("b"), "current");
}

/* ---- 6. The commands ---------------------------------------------------------- */

TEST_F(LacpScenario, CommandsShowAndShowStats)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=active",
                          "other_config:lacp-time=fast"});
    /* A second bond, without LACP. */
    vsctl({"add-bond", "br0", "bond1", "c", "d"});
    make_peer();
    advance(3000);
    ASSERT_TRUE(negotiated()) << bond_show() << lacp_show();

    /* Every bond with LACP, and only those. */
    std::string all = appctl_out({"lacp/show"});
    EXPECT_TRUE(contains(all, "---- bond0 ----\n")) << all;
    EXPECT_FALSE(contains(all, "bond1")) << all;
    EXPECT_EQ(all, lacp_show());

    RunResult r = sb_.appctl({"lacp/show", "nosuch"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "no such lacp object")) << r.err;
    r = sb_.appctl({"lacp/show-stats", "nosuch"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "no such lacp object")) << r.err;
    r = sb_.appctl({"lacp/show", "bond1"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "no such lacp object")) << r.err;
    r = sb_.appctl({"lacp/show-stats", "bond1"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "no such lacp object")) << r.err;

    /* lacp/show: the Open vSwitch part, then Braid's. */
    std::string s = lacp_show();
    EXPECT_EQ(s.rfind("---- bond0 ----\n", 0), 0u) << s;
    for (const char *line : {"  status: active negotiated\n", "  sys_id: 02:aa:00:00:00:01\n",
                             "  sys_priority: 65534\n", "  lacp_time: fast\n",
                             "\nmember: a: current attached\n",
                             "\nmember: b: current attached\n", "  may_enable: true\n",
                             "  partner sys_id: 02:99:00:00:00:01\n", "  partner key: 7\n",
                             "braid: ad-select stable, fallback-ab false, active aggregator "}) {
        EXPECT_TRUE(contains(s, line)) << "missing \"" << line << "\" in:\n" << s;
    }
    EXPECT_TRUE(std::regex_search(
        s, std::regex("\nbraid: aggregator \\d+: active true, individual false, actor key \\d+, "
                      "partner system priority 65534, partner system 02:99:00:00:00:01, "
                      "partner key 7, members a, b\n")))
        << s;
    for (const char *m : {"a", "b"}) {
        EXPECT_TRUE(std::regex_search(
            s, std::regex(fmt::format("\nbraid: member {}: link up, rx current, mux "
                                      "collecting_distributing, periodic \\w+, tx \\w+, "
                                      "selection selected, aggregator \\d+, actor churn \\w+, "
                                      "partner churn \\w+\n",
                                      m))))
            << s;
    }
    EXPECT_LT(s.find("\nmember: a:"), s.find("\nbraid: ")) << "Open vSwitch's part first";

    /* lacp/show-stats. */
    std::string st = appctl_out({"lacp/show-stats", "bond0"});
    EXPECT_EQ(st.rfind("---- bond0 statistics ----\n", 0), 0u) << st;
    EXPECT_EQ(st, appctl_out({"lacp/show-stats"}));
    for (const char *m : {"a", "b"}) {
        for (const char *line : {"TX PDUs", "RX PDUs", "RX Bad PDUs", "RX Marker Request PDUs",
                                 "Link Expired", "Link Defaulted",
                                 "Carrier Status Changed"}) {
            EXPECT_TRUE(std::regex_search(ovs_member_section(st, m),
                                          std::regex(fmt::format("\n  {}: \\d+\n", line))))
                << m << " " << line << " in:\n" << st;
        }
        EXPECT_GE(ovs_stat(st, m, "TX PDUs"), 1u) << st;
        EXPECT_GE(ovs_stat(st, m, "RX PDUs"), 1u) << st;
        EXPECT_EQ(ovs_stat(st, m, "RX Bad PDUs"), 0u) << st;
        EXPECT_EQ(ovs_stat(st, m, "Link Expired"), 0u) << st;
        EXPECT_EQ(bad_reasons(st, m), " none") << st;
        EXPECT_GE(braid_stat(st, m, "rx lacpdus"), 1u) << st;
        EXPECT_EQ(braid_stat(st, m, "rx loopback"), 0u) << st;
    }
    EXPECT_TRUE(contains(st, "\nbraid: rx frames for unknown members 0\n")) << st;
    EXPECT_LT(st.find("\nmember: b:"), st.find("\nbraid: ")) << st;

    /* Turning LACP off makes bond0 no LACP object either. */
    vsctl({"set", "Port", "bond0", "lacp=off"});
    r = sb_.appctl({"lacp/show", "bond0"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "no such lacp object")) << r.err;
    EXPECT_EQ(appctl_out({"lacp/show"}), "");
}

/* ---- 7. Bad configuration ----------------------------------------------------- */

TEST_F(LacpScenario, BadConfigurationIsRejectedAndTheOldOneKept)
{
    ASSERT_NO_FATAL_FAILURE(negotiate_bond());

    /* A Port key. */
    vsctl({"set", "Port", "bond0", "other_config:lacp-time=medium"});
    vsctl({"--timeout=10", "wait-until", "Port", "bond0",
           "status:bond_error=\"lacp-time: not fast or slow \\\"medium\\\"\""});
    std::string s = bond_show();
    EXPECT_TRUE(contains(s, "braid: rejected configuration: lacp-time: not fast or slow "
                            "\"medium\"\n"))
        << s;
    EXPECT_TRUE(contains(lacp_show(), "  lacp_time: fast\n")) << lacp_show();
    advance(4000);
    EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_EQ(rx_state("b"), "current");

    /* A good value is taken, and clears the error. */
    vsctl({"set", "Port", "bond0", "other_config:lacp-time=slow"});
    vsctl({"--timeout=10", "wait-until", "Port", "bond0", "status={}"});
    EXPECT_TRUE(contains(lacp_show(), "  lacp_time: slow\n")) << lacp_show();
    EXPECT_FALSE(contains(bond_show(), "rejected")) << bond_show();

    /* A multicast system id. */
    vsctl({"set", "Port", "bond0", "other_config:lacp-system-id=01:00:5e:00:00:01"});
    vsctl({"--timeout=10", "wait-until", "Port", "bond0",
           "status:bond_error=\"lacp-system-id: multicast address \\\"01:00:5e:00:00:01\\\"\""});
    EXPECT_TRUE(contains(lacp_show(), "  sys_id: 02:aa:00:00:00:01\n")) << lacp_show();
    EXPECT_TRUE(contains(bond_show(), "braid: rejected configuration: lacp-system-id"))
        << bond_show();
    vsctl({"remove", "Port", "bond0", "other_config", "lacp-system-id"});
    vsctl({"--timeout=10", "wait-until", "Port", "bond0", "status={}"});

    /* An Interface key. */
    vsctl({"set", "Interface", "a", "other_config:lacp-port-priority=0"});
    vsctl({"--timeout=10", "wait-until", "Port", "bond0",
           "status:bond_error=\"lacp-port-priority: not a number in 1..65535 for interface a "
           "\\\"0\\\"\""});
    s = bond_show();
    EXPECT_TRUE(contains(s, "braid: rejected configuration: lacp-port-priority")) << s;
    s = lacp_show();
    EXPECT_TRUE(std::regex_search(s, std::regex("\nmember: a: [^\n]*\n  port_id: \\d+\n"
                                                "  port_priority: 65535\n")))
        << s;
    advance(4000);
    EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_EQ(mux_state("a"), "collecting_distributing");
    vsctl({"remove", "Interface", "a", "other_config", "lacp-port-priority"});
    vsctl({"--timeout=10", "wait-until", "Port", "bond0", "status={}"});
    EXPECT_FALSE(contains(bond_show(), "rejected")) << bond_show();
    EXPECT_TRUE(negotiated()) << bond_show();
    EXPECT_EQ(sb_.appctl({"version"}).status, 0);
}

/* A bad LACP key in the very first configuration: there is no previous
 * LACP configuration to keep, so LACP stays off and the bond works as it
 * would without it (here active-backup), with the error shown. */
TEST_F(LacpScenario, BadFirstConfigurationLeavesLacpOff)
{
    add_bond({"a", "b"}, {"bond_mode=active-backup", "lacp=active",
                          "other_config:lacp-time=medium"});
    vsctl({"--timeout=10", "wait-until", "Port", "bond0",
           "status:bond_error=\"lacp-time: not fast or slow \\\"medium\\\"\""});
    RunResult r = sb_.appctl({"lacp/show", "bond0"});
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "no such lacp object")) << r.err;
    EXPECT_TRUE(contains(bond_show(), "lacp_status: off\n")) << bond_show();
    EXPECT_TRUE(member_enabled("a") || member_enabled("b")) << bond_show();
    inject("vm", {udp_frame(mac(1), mac(90), 1000, 2000)});
    EXPECT_EQ(sent_data("a").size() + sent_data("b").size(), 1u);

    /* Fixed: LACP starts, and the bond waits for a partner. */
    vsctl({"set", "Port", "bond0", "other_config:lacp-time=fast"});
    vsctl({"--timeout=10", "wait-until", "Port", "bond0", "status={}"});
    make_peer();
    advance(3000);
    EXPECT_TRUE(negotiated()) << lacp_show();
}

}  // namespace
}  // namespace braid::test
