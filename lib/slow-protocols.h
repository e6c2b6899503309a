/* Validation of received IEEE 802.1AX Slow Protocols frames (LACP and
 * Marker).
 *
 * The parsers take a whole received Ethernet frame, without FCS.  A slow
 * protocol frame is untagged and has EtherType 0x8809; its destination MAC
 * is not checked (802.1AX-2014 lets a port use other group addresses, see
 * aAggPortProtocolDA).  The PDU that follows is 110 bytes long; anything
 * after it (padding, or the longer PDUs of later versions) is ignored.
 *
 * Checks are made in this order, and the first that fails is reported:
 *
 *   1. the Ethernet header is complete, the frame is untagged and its
 *      EtherType is 0x8809;
 *   2. the subtype byte is present, is LACP or Marker, and is the one the
 *      parser expects;
 *   3. the whole 110-byte PDU is present;
 *   4. the version is not 0;
 *   5. the TLV types and lengths at their fixed positions are right.
 *
 * Forward compatibility, as 802.1AX asks of version 1 receivers: a PDU with
 * a version above 1 is accepted and read as version 1.  Its version-1 TLVs
 * (Actor, Partner and Collector for LACP; the Information or Response TLV
 * for Marker) are checked as in version 1, but the Terminator TLV is not,
 * since later versions may place further TLVs at its position.  Reserved and
 * pad octets are never checked.
 *
 * The parsers never read past the end of the frame and never allocate. */
#ifndef BRAID_LIB_SLOW_PROTOCOLS_H
#define BRAID_LIB_SLOW_PROTOCOLS_H 1

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "lib/packets.h"

namespace braid {

/* The length of a LACPDU or Marker PDU after the Ethernet header. */
inline constexpr size_t kSlowPduLen = 110;

/* Why a received frame is not a valid LACPDU or Marker PDU. */
#define BRAID_SLOW_ERRORS                                                      \
    X(kNone, "none")                                                           \
    X(kEthTruncated, "ethernet header truncated")                              \
    X(kVlanTagged, "slow protocol frame is vlan tagged")                       \
    X(kNotSlow, "not a slow protocol frame")                                   \
    X(kSubtypeTruncated, "frame ends before the slow protocol subtype")        \
    X(kUnknownSubtype, "unknown slow protocol subtype")                        \
    X(kSubtypeMismatch, "slow protocol subtype is not the one expected")       \
    X(kPduTruncated, "frame ends before the end of the 110-byte pdu")          \
    X(kLacpBadVersion, "lacp version is 0")                                    \
    X(kLacpBadActorTlv, "lacp actor tlv type or length invalid")               \
    X(kLacpBadPartnerTlv, "lacp partner tlv type or length invalid")           \
    X(kLacpBadCollectorTlv, "lacp collector tlv type or length invalid")       \
    X(kLacpBadTerminator, "lacp terminator tlv invalid")                       \
    X(kMarkerBadVersion, "marker version is 0")                                \
    X(kMarkerBadTlvType, "marker tlv type is not information or response")     \
    X(kMarkerBadTlvLen, "marker tlv length is not 16")                         \
    X(kMarkerBadTerminator, "marker terminator tlv invalid")

enum class SlowError : uint8_t {
#define X(NAME, TEXT) NAME,
    BRAID_SLOW_ERRORS
#undef X
    kCount
};

/* A short lowercase description of 'error', e.g. "lacp version is 0". */
const char *slow_error_to_string(SlowError error) noexcept;

/* Returns the subtype byte of 'frame' if it is an untagged Ethernet frame
 * with EtherType 0x8809 that is long enough to hold the subtype, otherwise
 * nothing.  Any subtype value is returned, known or not. */
std::optional<uint8_t> slow_subtype(std::span<const uint8_t> frame) noexcept;

/* Validates 'frame' as a LACPDU.  On success, copies the 110 bytes of the PDU
 * into 'out' exactly as received (so 'out.version' may be above 1, and the
 * reserved octets hold whatever was received; callers ignore both) and
 * returns SlowError::kNone.  On failure, returns the reason and leaves 'out'
 * unchanged. */
SlowError parse_lacpdu(std::span<const uint8_t> frame, LacpPdu &out) noexcept;

/* Validates 'frame' as a Marker PDU or Marker Response PDU ('out.tlv_type'
 * tells which).  On success, copies the 110 bytes of the PDU into 'out'
 * exactly as received and returns SlowError::kNone.  On failure, returns the
 * reason and leaves 'out' unchanged. */
SlowError parse_marker(std::span<const uint8_t> frame, MarkerPdu &out) noexcept;

}  // namespace braid

#endif  // BRAID_LIB_SLOW_PROTOCOLS_H
