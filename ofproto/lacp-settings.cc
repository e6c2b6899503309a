/* Parsing of a port's LACP configuration (see ofproto/lacp-settings.h).
 *
 * Everything is read into local values first, in a fixed order, stopping
 * at the first bad value; the caller's outputs are assigned only once every
 * key has been checked. */
#include <config.h>

#include "ofproto/lacp-settings.h"

#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "lib/coverage.h"
#include "lib/util.h"

BRAID_COVERAGE_DEFINE(lacp_settings_rejected);

namespace braid::ofproto {

namespace {

/* The default system priority of a port of a single interface, which Open
 * vSwitch gives a lower standing than a bond's (kLacpDefaultSystemPriority). */
constexpr uint16_t kSingleInterfaceSystemPriority = 65535;

std::optional<LacpAdSelect> ad_select_from_string(std::string_view s)
{
    if (s == "stable" || s == "0") {
        return LacpAdSelect::kStable;
    } else if (s == "bandwidth" || s == "1") {
        return LacpAdSelect::kBandwidth;
    } else if (s == "count" || s == "2") {
        return LacpAdSelect::kCount;
    } else if (s == "prio") {
        return LacpAdSelect::kPrio;
    }
    return std::nullopt;
}

/* Reads one port's keys, remembering the first problem in 'error_'. */
class Parser {
public:
    Parser(const PortSettings &port, EthAddr bridge_mac,
           const std::map<std::string, int64_t> &ofports)
        : port_(port), bridge_mac_(bridge_mac), ofports_(ofports)
    {
    }

    bool run();
    const std::string &error() const { return error_; }

    bool enabled = false;
    LacpSettings settings;
    std::map<std::string, LacpMemberSettings> members;

private:
    const std::string *find(const std::string &key) const
    {
        auto it = port_.other_config.find(key);
        return it == port_.other_config.end() ? nullptr : &it->second;
    }

    bool fail(std::string_view key, std::string_view problem, std::string_view value)
    {
        error_ = fmt::format("{}: {} \"{}\"", key, problem, value);
        return false;
    }

    /* Parses 'value' of 'key' as a number in 1..65535 into '*out'.  'iface'
     * names the interface in the error for an Interface key. */
    bool get_u16(const std::string &key, const std::string &value, const std::string *iface,
                 uint16_t *out)
    {
        long long n;
        if (!parse_int(value, 1, UINT16_MAX, &n)) {
            std::string problem = fmt::format("not a number in 1..{}", UINT16_MAX);
            if (iface) {
                problem += fmt::format(" for interface {}", *iface);
            }
            return fail(key, problem, value);
        }
        *out = static_cast<uint16_t>(n);
        return true;
    }

    bool parse_mode();
    bool parse_port_keys();
    bool parse_system_id();
    bool parse_members();

    const PortSettings &port_;
    EthAddr bridge_mac_;
    const std::map<std::string, int64_t> &ofports_;
    std::string error_;
};

bool Parser::parse_mode()
{
    const std::string &lacp = port_.bond.lacp;
    if (lacp.empty() || lacp == "off") {
        enabled = false;
    } else if (lacp == "active" || lacp == "passive") {
        enabled = true;
        settings.active = lacp == "active";
    } else {
        return fail("lacp", "not active, passive or off", lacp);
    }
    return true;
}

bool Parser::parse_port_keys()
{
    if (const std::string *s = find("lacp-time")) {
        if (*s == "fast") {
            settings.fast = true;
        } else if (*s == "slow") {
            settings.fast = false;
        } else {
            return fail("lacp-time", "not fast or slow", *s);
        }
    }

    settings.system_priority = port_.interfaces.size() >= 2 ? kLacpDefaultSystemPriority
                                                            : kSingleInterfaceSystemPriority;
    if (const std::string *s = find("lacp-system-priority")) {
        if (!get_u16("lacp-system-priority", *s, nullptr, &settings.system_priority)) {
            return false;
        }
    }

    if (const std::string *s = find("lacp-fallback-ab")) {
        if (*s == "true") {
            settings.fallback_ab = true;
        } else if (*s == "false") {
            settings.fallback_ab = false;
        } else {
            return fail("lacp-fallback-ab", "not true or false", *s);
        }
    }

    if (const std::string *s = find("lacp-ad-select")) {
        std::optional<LacpAdSelect> ad_select = ad_select_from_string(*s);
        if (!ad_select) {
            return fail("lacp-ad-select", "not stable, bandwidth, count or prio", *s);
        }
        settings.ad_select = *ad_select;
    }

    if (const std::string *s = find("lacp-mux-control")) {
        if (*s == "coupled") {
            settings.independent_control = false;
        } else if (*s == "independent") {
            settings.independent_control = true;
        } else {
            return fail("lacp-mux-control", "not coupled or independent", *s);
        }
    }
    return true;
}

bool Parser::parse_system_id()
{
    if (const std::string *s = find("lacp-system-id")) {
        std::optional<EthAddr> id = EthAddr::parse(*s);
        if (!id) {
            return fail("lacp-system-id", "not an Ethernet address", *s);
        } else if (id->is_zero()) {
            return fail("lacp-system-id", "zero address", *s);
        } else if (id->is_multicast()) {
            return fail("lacp-system-id", "multicast address", *s);
        }
        settings.system_id = *id;
    } else {
        if (enabled && (bridge_mac_.is_zero() || bridge_mac_.is_multicast())) {
            return fail("lacp-system-id", "not set, and the bridge's address cannot be used",
                        bridge_mac_.to_string());
        }
        settings.system_id = bridge_mac_;
    }
    return true;
}

bool Parser::parse_members()
{
    /* Which interface has which port number, to find duplicates. */
    std::map<uint16_t, std::string> by_port;

    for (const InterfaceSettings &iface : port_.interfaces) {
        LacpMemberSettings m;
        m.name = iface.name;
        m.lacp_enabled = true;

        auto find_key = [&iface](const std::string &key) -> const std::string * {
            auto it = iface.other_config.find(key);
            return it == iface.other_config.end() ? nullptr : &it->second;
        };

        const std::string *port_id = find_key("lacp-port-id");
        if (port_id) {
            if (!get_u16("lacp-port-id", *port_id, &iface.name, &m.port)) {
                return false;
            }
        } else if (auto it = ofports_.find(iface.name);
                   it != ofports_.end() && it->second >= 1 && it->second <= UINT16_MAX) {
            m.port = static_cast<uint16_t>(it->second);
        }
        if (const std::string *s = find_key("lacp-port-priority")) {
            if (!get_u16("lacp-port-priority", *s, &iface.name, &m.port_priority)) {
                return false;
            }
        }
        if (const std::string *s = find_key("lacp-aggregation-key")) {
            if (!get_u16("lacp-aggregation-key", *s, &iface.name, &m.key)) {
                return false;
            }
        }

        if (m.port) {
            auto [it, inserted] = by_port.emplace(m.port, iface.name);
            if (!inserted) {
                return fail("lacp-port-id",
                            fmt::format("the same port number for interfaces {} and {}",
                                        it->second, iface.name),
                            port_id ? *port_id : std::to_string(m.port));
            }
        }
        members[iface.name] = std::move(m);
    }
    return true;
}

bool Parser::run()
{
    settings.name = port_.name;
    return parse_mode() && parse_port_keys() && parse_system_id() && parse_members();
}

}  // namespace

bool parse_lacp_config(const PortSettings &port, EthAddr bridge_mac,
                       const std::map<std::string, int64_t> &ofports, bool *enabled,
                       LacpSettings *settings,
                       std::map<std::string, LacpMemberSettings> *members, std::string *error)
{
    Parser parser(port, bridge_mac, ofports);
    if (!parser.run()) {
        COVERAGE_INC(lacp_settings_rejected);
        *error = parser.error();
        return false;
    }
    *enabled = parser.enabled;
    *settings = std::move(parser.settings);
    *members = std::move(parser.members);
    return true;
}

}  // namespace braid::ofproto
