/* One switch: ports, interfaces, devices and OpenFlow port numbers. */
#include <config.h>

#include "ofproto/ofproto.h"

#include <algorithm>

#include <fmt/format.h>

#include "lib/coverage.h"
#include "lib/hash.h"
#include "lib/util.h"
#include "lib/vlog.h"
#include "ofproto/bond.h"
#include "ofproto/mac-learning.h"
#include "ofproto/switch.h"

BRAID_LOG_MODULE(ofproto);
BRAID_COVERAGE_DEFINE(ofproto_iface_added);
BRAID_COVERAGE_DEFINE(ofproto_iface_removed);
BRAID_COVERAGE_DEFINE(ofproto_iface_failed);

namespace braid::ofproto {

const char *vlan_mode_to_string(VlanMode mode)
{
    switch (mode) {
    case VlanMode::kTrunk: return "trunk";
    case VlanMode::kAccess: return "access";
    case VlanMode::kNativeTagged: return "native-tagged";
    case VlanMode::kNativeUntagged: return "native-untagged";
    case VlanMode::kDot1qTunnel: return "dot1q-tunnel";
    }
    return "trunk";
}

Ofproto::Ofproto(std::string name, Switch *sw)
    : name_(std::move(name)), switch_(sw), mac_learning_(std::make_shared<MacLearning>())
{
    settings_.name = name_;
    VLOG_INFO("bridge {}: created", name_);
}

Ofproto::~Ofproto()
{
    bonds_.clear();
    for (auto &[name, iface] : interfaces_) {
        detach(iface);
    }
    VLOG_INFO("bridge {}: destroyed", name_);
}

void Ofproto::attach(Interface &iface)
{
    if (switch_ && iface.netdev && !iface.dp_port) {
        switch_->datapath().add_port(iface.netdev, &iface.dp_port);
    }
}

void Ofproto::detach(Interface &iface)
{
    if (switch_ && iface.dp_port) {
        switch_->datapath().remove_port(iface.dp_port);
        iface.dp_port = 0;
    }
}

const Interface *Ofproto::interface(const std::string &name) const
{
    auto it = interfaces_.find(name);
    return it == interfaces_.end() ? nullptr : &it->second;
}

void Ofproto::remove_interface(const std::string &name)
{
    auto it = interfaces_.find(name);
    if (it == interfaces_.end()) {
        return;
    }
    if (it->second.ofport > 0) {
        ofports_.erase(it->second.ofport);
    }
    detach(it->second);
    COVERAGE_INC(ofproto_iface_removed);
    VLOG_INFO("bridge {}: removed interface {} (port {})", name_, name, it->second.ofport);
    interfaces_.erase(it);
}

void Ofproto::open_interface(Interface &iface)
{
    const InterfaceSettings &s = iface.settings;
    iface.error.clear();
    if (!iface.netdev) {
        std::string error;
        if (Netdev::open(s.name, s.type, &iface.netdev, &error)) {
            COVERAGE_INC(ofproto_iface_failed);
            iface.error = error;
            iface.netdev.reset();
            return;
        }
    }
    std::string error;
    if (iface.netdev->set_config(s.options, &error)) {
        COVERAGE_INC(ofproto_iface_failed);
        iface.error = error;
        iface.netdev.reset();
        return;
    }
    if (s.mtu_request && *s.mtu_request > 0) {
        int mtu = 0;
        iface.netdev->get_mtu(&mtu);
        if (mtu != *s.mtu_request) {
            if (int err = iface.netdev->set_mtu(int(*s.mtu_request))) {
                static vlog::RateLimit rl(5, 20);
                VLOG_WARN_RL(rl, "bridge {}: {}: could not set MTU {} ({})", name_, s.name,
                             *s.mtu_request, strerror(err));
            }
        }
    }
    if (s.mac && (s.type == "internal")) {
        EthAddr current;
        if (!iface.netdev->get_etheraddr(&current) && current != *s.mac) {
            iface.netdev->set_etheraddr(*s.mac);
        }
    }
}

void Ofproto::prune(const BridgeSettings &settings)
{
    std::map<std::string, const InterfaceSettings *> wanted;
    for (const PortSettings &port : settings.ports) {
        for (const InterfaceSettings &iface : port.interfaces) {
            wanted.emplace(iface.name, &iface);
        }
    }
    /* Drop what is gone, and what changed type (it is opened anew). */
    for (auto it = interfaces_.begin(); it != interfaces_.end();) {
        auto w = wanted.find(it->first);
        std::string name = it->first;
        ++it;
        if (w == wanted.end() || w->second->type != interfaces_[name].settings.type) {
            remove_interface(name);
        }
    }
}

void Ofproto::reconfigure(const BridgeSettings &settings)
{
    settings_ = settings;

    /* What is wanted, in order: the bridge's own interface, then those
     * with an ofport_request, then the rest. */
    std::map<std::string, std::pair<std::string, const InterfaceSettings *>> wanted;
    for (const PortSettings &port : settings.ports) {
        for (const InterfaceSettings &iface : port.interfaces) {
            wanted.emplace(iface.name, std::make_pair(port.name, &iface));
        }
    }

    prune(settings);

    std::vector<std::string> order;
    for (const auto &[name, w] : wanted) {
        if (name == name_) {
            order.insert(order.begin(), name);
        } else if (w.second->ofport_request) {
            order.push_back(name);
        }
    }
    for (const auto &[name, w] : wanted) {
        if (name != name_ && !w.second->ofport_request) {
            order.push_back(name);
        }
    }

    for (const std::string &name : order) {
        const auto &[port, s] = wanted.at(name);
        auto [it, inserted] = interfaces_.try_emplace(name);
        Interface &iface = it->second;
        if (iface.netdev && iface.netdev->is_gone()) {
            /* The kernel device was deleted: open the name anew. */
            VLOG_INFO("bridge {}: device {} is gone; reopening", name_, name);
            detach(iface);
            iface.netdev.reset();
        }
        /* The number read back from the database is not configuration. */
        InterfaceSettings old_cfg = iface.settings;
        old_cfg.previous_ofport = s->previous_ofport;
        bool changed = inserted || !(old_cfg == *s) || !iface.netdev;
        iface.name = name;
        iface.port = port;
        iface.settings = *s;
        if (changed) {
            Netdev *before = iface.netdev.get();
            open_interface(iface);
            if (iface.netdev.get() != before) {
                detach(iface);      /* A new device needs a new datapath port. */
            }
            if (inserted && iface.netdev) {
                COVERAGE_INC(ofproto_iface_added);
            }
        }
        if (!iface.netdev) {
            detach(iface);
        }
    }
    assign_ofports(order);
    for (auto &[name, iface] : interfaces_) {
        if (iface.ofport > 0) {
            attach(iface);
        } else {
            detach(iface);
        }
    }
    choose_hwaddr();

    /* No MAC entries for ports that are gone. */
    std::set<uint32_t> ids;
    for (const PortSettings &port : settings.ports) {
        if (uint32_t id = port_id(port)) {
            ids.insert(id);
        }
    }
    for (uint32_t id : port_ids_) {
        if (!ids.count(id)) {
            mac_learning_->flush_port(id);
        }
    }
    port_ids_ = std::move(ids);

    configure_bonds();

    /* The MAC table's limits. */
    long long value;
    auto oc = settings.other_config;
    mac_learning_->set_max_entries(
        oc.count("mac-table-size") && parse_int(oc["mac-table-size"], INT32_MIN, INT32_MAX, &value)
            ? MacLearning::normalize_max_entries(value) : kMacDefaultMaxEntries);
    mac_learning_->set_idle_time(
        oc.count("mac-aging-time") && parse_int(oc["mac-aging-time"], INT32_MIN, INT32_MAX, &value)
            ? MacLearning::normalize_idle_time(value) : kMacDefaultIdleTime);
}

void Ofproto::assign_ofports(const std::vector<std::string> &order)
{
    auto valid = [](int64_t n) { return n >= 1 && n < kOfpPortMax; };
    auto release = [&](Interface &iface) {
        if (iface.ofport > 0) {
            ofports_.erase(iface.ofport);
        }
        iface.ofport = -1;
    };

    /* Failed interfaces hold no number.  The others have no error but the
     * number conflicts found below, which are decided anew each time. */
    for (const std::string &name : order) {
        Interface &iface = interfaces_.at(name);
        if (!iface.netdev) {
            release(iface);
        } else {
            iface.error.clear();
        }
    }

    /* The local port, then requests, which may displace interfaces that did
     * not ask for their number. */
    for (const std::string &name : order) {
        Interface &iface = interfaces_.at(name);
        if (!iface.netdev) {
            continue;
        }
        int64_t want;
        if (name == name_) {
            want = kOfpPortLocal;
        } else if (iface.settings.ofport_request && valid(*iface.settings.ofport_request)) {
            want = *iface.settings.ofport_request;
        } else {
            continue;
        }
        if (iface.ofport == want) {
            continue;
        }
        auto holder = ofports_.find(want);
        if (holder != ofports_.end() && holder->second != name) {
            Interface &other = interfaces_.at(holder->second);
            if (other.settings.ofport_request == want) {
                /* Both asked for it: the one that has it keeps it, and this
                 * one keeps the number it has, if any. */
                iface.error = fmt::format("ofport_request {} is already taken by interface {}, "
                                          "which requested it too",
                                          want, other.name);
                continue;
            }
            VLOG_INFO("bridge {}: interface {} gives up port {} to {}, which requested it",
                      name_, other.name, want, name);
            release(other);
        }
        release(iface);
        iface.ofport = want;
        ofports_[want] = name;
    }

    /* The rest: the number they had, else the lowest free one.  (An
     * interface whose request lost a conflict keeps the number it had, or
     * gets none, so that the conflict shows.) */
    for (const std::string &name : order) {
        Interface &iface = interfaces_.at(name);
        if (!iface.netdev || iface.ofport > 0 || !iface.error.empty()) {
            continue;
        }
        int64_t want = -1;
        if (iface.settings.previous_ofport && valid(*iface.settings.previous_ofport)
            && !ofports_.count(*iface.settings.previous_ofport)) {
            want = *iface.settings.previous_ofport;
        } else {
            for (int64_t n = 1; n < kOfpPortMax; n++) {
                if (!ofports_.count(n)) {
                    want = n;
                    break;
                }
            }
        }
        if (want < 0) {
            iface.error = "no OpenFlow port number is free";
            continue;
        }
        iface.ofport = want;
        ofports_[want] = name;
        VLOG_INFO("bridge {}: added interface {} on port {}", name_, name, want);
    }
}

void Ofproto::choose_hwaddr()
{
    EthAddr mac;
    auto configured = settings_.other_config.find("hwaddr");
    std::optional<EthAddr> parsed;
    if (configured != settings_.other_config.end()) {
        parsed = EthAddr::parse(configured->second);
    }
    if (parsed && !parsed->is_multicast() && !parsed->is_zero()) {
        mac = *parsed;
    } else {
        /* The lowest address of the bridge's other devices keeps the bridge's
         * address (and datapath id) stable as long as they stay. */
        std::optional<EthAddr> lowest;
        for (const auto &[name, iface] : interfaces_) {
            EthAddr a;
            if (name == name_ || !iface.netdev || iface.settings.type == "internal"
                || iface.netdev->get_etheraddr(&a) || a.is_zero() || a.is_multicast()) {
                continue;
            }
            if (!lowest || a < *lowest) {
                lowest = a;
            }
        }
        if (lowest) {
            mac = *lowest;
        } else {
            /* No other device: an address derived from the bridge name, so it
             * is the same after every restart.  Locally administered. */
            uint32_t h = hash_bytes(name_.data(), name_.size(), 0x62726964);
            uint32_t h2 = hash_bytes(name_.data(), name_.size(), h);
            mac = EthAddr{{0x02, uint8_t(h2), uint8_t(h >> 24), uint8_t(h >> 16),
                           uint8_t(h >> 8), uint8_t(h)}};
        }
    }
    if (mac != hwaddr_) {
        hwaddr_ = mac;
        VLOG_DBG("bridge {}: using Ethernet address {}", name_, mac.to_string());
    }
    auto local = interfaces_.find(name_);
    if (local != interfaces_.end() && local->second.netdev && !local->second.settings.mac) {
        EthAddr current;
        if (!local->second.netdev->get_etheraddr(&current) && current != hwaddr_) {
            local->second.netdev->set_etheraddr(hwaddr_);
        }
    }
}

uint32_t Ofproto::port_id(const PortSettings &port) const
{
    uint32_t id = 0;
    for (const InterfaceSettings &is : port.interfaces) {
        const Interface *iface = interface(is.name);
        if (iface && iface->ofport > 0 && (!id || uint32_t(iface->ofport) < id)) {
            id = uint32_t(iface->ofport);
        }
    }
    return id;
}

std::string Ofproto::datapath_id() const
{
    auto configured = settings_.other_config.find("datapath-id");
    if (configured != settings_.other_config.end()) {
        const std::string &id = configured->second;
        std::string hex = id.rfind("0x", 0) == 0 ? id.substr(2) : id;
        if (hex.size() == 16 && std::all_of(hex.begin(), hex.end(), ::isxdigit)) {
            std::string lower = hex;
            std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
            return lower;
        }
    }
    return fmt::format("0000{:012x}", hwaddr_.to_u64());
}

void Ofproto::configure_bonds()
{
    /* A port with more than one interface is a bond. */
    std::set<std::string> keep;
    for (const PortSettings &port : settings_.ports) {
        if (port.interfaces.size() < 2) {
            continue;
        }
        keep.insert(port.name);
        std::unique_ptr<Bond> &bond = bonds_[port.name];
        if (!bond) {
            Switch *sw = switch_;
            std::function<void()> status;
            if (sw) {
                status = [sw] { sw->status_changed(); };
            }
            bond = std::make_unique<Bond>(name_, port.name, sw ? &sw->datapath() : nullptr,
                                          sw ? &sw->loop() : nullptr, std::move(status));
        }
        std::vector<BondMemberInput> members;
        for (const InterfaceSettings &is : port.interfaces) {
            const Interface *iface = interface(is.name);
            BondMemberInput in;
            in.name = is.name;
            if (iface) {
                in.ofport = iface->ofport;
                in.dp_port = iface->dp_port;
                in.netdev = iface->netdev;
            }
            members.push_back(std::move(in));
        }
        /* The database keeps a port's interfaces as a set: order them by
         * name, which is the members' order everywhere (balance-xor's
         * "hash % n", the choice among equals, the command output). */
        std::sort(members.begin(), members.end(),
                  [](const BondMemberInput &a, const BondMemberInput &b) { return a.name < b.name; });
        BondHost host;
        host.mac = hwaddr_;
        host.iface = name_;
        for (const PortSettings &p : settings_.ports) {
            if (p.name == name_ && p.vlan.mode == VlanMode::kAccess && p.vlan.tag) {
                host.vlan = *p.vlan.tag;
            }
        }
        bond->set_host(host);
        bond->reconfigure(port, members, mac_learning_, port_id(port));
    }
    for (auto it = bonds_.begin(); it != bonds_.end();) {
        it = keep.count(it->first) ? std::next(it) : bonds_.erase(it);
    }
}

const Bond *Ofproto::bond(const std::string &port) const
{
    auto it = bonds_.find(port);
    return it != bonds_.end() ? it->second.get() : nullptr;
}

std::optional<std::string> Ofproto::bond_error(const std::string &port) const
{
    const Bond *b = bond(port);
    return b ? std::optional<std::string>(b->config_error()) : std::nullopt;
}

std::optional<EthAddr> Ofproto::bond_active_member(const std::string &port) const
{
    const Bond *b = bond(port);
    return b ? b->active_member_mac() : std::nullopt;
}

std::optional<bool> Ofproto::lacp_current(const std::string &iface) const
{
    for (const auto &[name, bond] : bonds_) {
        if (std::optional<bool> current = bond->lacp_current(iface)) {
            return current;
        }
    }
    return std::nullopt;
}

}  // namespace braid::ofproto
