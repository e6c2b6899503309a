/* Address formatting and parsing for the wire types of packets.h. */
#include <config.h>

#include "lib/packets.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace braid {

std::string EthAddr::to_string() const
{
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                       b[0], b[1], b[2], b[3], b[4], b[5]);
}

std::optional<EthAddr> EthAddr::parse(std::string_view s)
{
    /* Exactly six groups of one or two hex digits, separated by ':' or '-'
     * (one kind throughout). */
    EthAddr addr;
    size_t pos = 0;
    char sep = 0;
    for (int i = 0; i < 6; i++) {
        if (i > 0) {
            if (pos >= s.size() || (s[pos] != ':' && s[pos] != '-')
                || (sep && s[pos] != sep)) {
                return std::nullopt;
            }
            sep = s[pos++];
        }
        unsigned value = 0;
        int digits = 0;
        while (pos < s.size() && digits < 2) {
            char c = s[pos];
            unsigned d;
            if (c >= '0' && c <= '9') {
                d = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                d = c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                d = c - 'A' + 10;
            } else {
                break;
            }
            value = value * 16 + d;
            digits++;
            pos++;
        }
        if (!digits) {
            return std::nullopt;
        }
        addr.b[i] = value;
    }
    if (pos != s.size()) {
        return std::nullopt;
    }
    return addr;
}

std::string In6Addr::to_string() const
{
    char buf[INET6_ADDRSTRLEN];
    return inet_ntop(AF_INET6, b.data(), buf, sizeof buf) ? buf : "";
}

std::optional<In6Addr> In6Addr::parse(std::string_view s)
{
    std::string str(s);
    In6Addr addr;
    if (inet_pton(AF_INET6, str.c_str(), addr.b.data()) != 1) {
        return std::nullopt;
    }
    return addr;
}

std::string ipv4_to_string(be32 addr)
{
    const uint8_t *p = addr.data();
    return fmt::format("{}.{}.{}.{}", p[0], p[1], p[2], p[3]);
}

std::optional<be32> ipv4_parse(std::string_view s)
{
    std::string str(s);
    uint32_t raw;
    if (inet_pton(AF_INET, str.c_str(), &raw) != 1) {
        return std::nullopt;
    }
    return be32::from_raw(raw);
}

}  // namespace braid
