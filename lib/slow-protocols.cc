/* Validation of received LACPDUs and Marker PDUs.
 *
 * Every check reads only bytes whose presence an earlier length check has
 * established; the PDU is copied out only once it is fully validated. */
#include <config.h>

#include "lib/slow-protocols.h"

#include <cstring>

namespace braid {
namespace {

static_assert(sizeof(LacpPdu) == kSlowPduLen);
static_assert(sizeof(MarkerPdu) == kSlowPduLen);

/* Checks the Ethernet header and the subtype of 'frame' against 'subtype'.
 * On success, returns kNone and points 'pdu' at the first byte after the
 * Ethernet header, with at least kSlowPduLen bytes after it. */
SlowError check_frame(std::span<const uint8_t> frame, uint8_t subtype,
                      const uint8_t *&pdu) noexcept
{
    if (frame.size() < sizeof(EthHeader)) {
        return SlowError::kEthTruncated;
    }
    const auto *eth = reinterpret_cast<const EthHeader *>(frame.data());
    uint16_t type = eth->type.value();
    if (type != kEthTypeSlow) {
        if (eth_type_is_vlan(type) && frame.size() >= sizeof(VlanEthHeader)) {
            const auto *veth = reinterpret_cast<const VlanEthHeader *>(frame.data());
            if (veth->type.value() == kEthTypeSlow) {
                return SlowError::kVlanTagged;
            }
        }
        return SlowError::kNotSlow;
    }
    std::span<const uint8_t> rest = frame.subspan(sizeof(EthHeader));
    if (rest.empty()) {
        return SlowError::kSubtypeTruncated;
    }
    if (rest[0] != kSlowSubtypeLacp && rest[0] != kSlowSubtypeMarker) {
        return SlowError::kUnknownSubtype;
    }
    if (rest[0] != subtype) {
        return SlowError::kSubtypeMismatch;
    }
    if (rest.size() < kSlowPduLen) {
        return SlowError::kPduTruncated;
    }
    pdu = rest.data();
    return SlowError::kNone;
}

}  // namespace

const char *slow_error_to_string(SlowError error) noexcept
{
    switch (error) {
#define X(NAME, TEXT) \
    case SlowError::NAME: return TEXT;
        BRAID_SLOW_ERRORS
#undef X
    case SlowError::kCount:
        break;
    }
    return "unknown";
}

std::optional<uint8_t> slow_subtype(std::span<const uint8_t> frame) noexcept
{
    if (frame.size() <= sizeof(EthHeader)) {
        return std::nullopt;
    }
    const auto *eth = reinterpret_cast<const EthHeader *>(frame.data());
    if (eth->type.value() != kEthTypeSlow) {
        return std::nullopt;
    }
    return frame[sizeof(EthHeader)];
}

SlowError parse_lacpdu(std::span<const uint8_t> frame, LacpPdu &out) noexcept
{
    const uint8_t *bytes = nullptr;
    SlowError error = check_frame(frame, kSlowSubtypeLacp, bytes);
    if (error != SlowError::kNone) {
        return error;
    }
    const auto *pdu = reinterpret_cast<const LacpPdu *>(bytes);
    if (pdu->version == 0) {
        return SlowError::kLacpBadVersion;
    }
    if (pdu->actor_type != kLacpTlvActor || pdu->actor_len != kLacpInfoLen) {
        return SlowError::kLacpBadActorTlv;
    }
    if (pdu->partner_type != kLacpTlvPartner || pdu->partner_len != kLacpInfoLen) {
        return SlowError::kLacpBadPartnerTlv;
    }
    if (pdu->collector_type != kLacpTlvCollector
        || pdu->collector_len != kLacpCollectorLen) {
        return SlowError::kLacpBadCollectorTlv;
    }
    if (pdu->version == kLacpVersion
        && (pdu->terminator_type != kLacpTlvTerminator || pdu->terminator_len != 0)) {
        return SlowError::kLacpBadTerminator;
    }
    std::memcpy(&out, bytes, sizeof out);
    return SlowError::kNone;
}

SlowError parse_marker(std::span<const uint8_t> frame, MarkerPdu &out) noexcept
{
    const uint8_t *bytes = nullptr;
    SlowError error = check_frame(frame, kSlowSubtypeMarker, bytes);
    if (error != SlowError::kNone) {
        return error;
    }
    const auto *pdu = reinterpret_cast<const MarkerPdu *>(bytes);
    if (pdu->version == 0) {
        return SlowError::kMarkerBadVersion;
    }
    if (pdu->tlv_type != kMarkerTlvInformation && pdu->tlv_type != kMarkerTlvResponse) {
        return SlowError::kMarkerBadTlvType;
    }
    if (pdu->tlv_len != kMarkerInfoLen) {
        return SlowError::kMarkerBadTlvLen;
    }
    if (pdu->version == kMarkerVersion
        && (pdu->terminator_type != 0 || pdu->terminator_len != 0)) {
        return SlowError::kMarkerBadTerminator;
    }
    std::memcpy(&out, bytes, sizeof out);
    return SlowError::kNone;
}

}  // namespace braid
