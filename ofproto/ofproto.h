/* One switch ("bridge"): its ports, their interfaces and the devices behind
 * them, and their OpenFlow port numbers.
 *
 * Configuration enters as a plain BridgeSettings through reconfigure(),
 * which is idempotent: it opens what is new, closes what is gone, changes
 * what changed, and leaves alone what did not.  What could not be set up is
 * reported per interface (ofport -1 and an error sentence) without
 * affecting the rest of the bridge, and is tried again on the next call.
 *
 * OpenFlow port numbers follow ovs-vswitchd: the bridge's own interface
 * (named after the bridge) is 65534 (LOCAL); others take their
 * ofport_request (1-65279) if it is free, else the number they had before
 * (from the database, so numbers survive restarts), else the lowest free
 * number.  Interfaces with a request are placed first. */
#ifndef BRAID_OFPROTO_OFPROTO_H
#define BRAID_OFPROTO_OFPROTO_H 1

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/netdev.h"
#include "lib/packets.h"

namespace braid::ofproto {

class Bond;
class MacLearning;
class Switch;

inline constexpr int64_t kOfpPortLocal = 65534;
inline constexpr int64_t kOfpPortMax = 0xff00;      /* Valid numbers are below. */

struct InterfaceSettings {
    std::string name;
    std::string type;                           /* "" means "system". */
    NetdevOptions options;
    std::optional<int64_t> ofport_request;
    std::optional<int64_t> previous_ofport;     /* Interface.ofport read back. */
    std::optional<int64_t> mtu_request;
    std::optional<EthAddr> mac;                 /* Interface.mac, for internal. */
    std::map<std::string, std::string> other_config;

    friend bool operator==(const InterfaceSettings &, const InterfaceSettings &) = default;
};

enum class VlanMode { kTrunk, kAccess, kNativeTagged, kNativeUntagged, kDot1qTunnel };

/* "trunk", "access", "native-tagged", "native-untagged", "dot1q-tunnel". */
const char *vlan_mode_to_string(VlanMode mode);

struct VlanSettings {
    VlanMode mode = VlanMode::kTrunk;
    std::optional<uint16_t> tag;                /* Access VLAN or native VLAN. */
    std::vector<uint16_t> trunks;               /* Sorted; empty means all. */

    friend bool operator==(const VlanSettings &, const VlanSettings &) = default;
};

/* A port's bonding and LACP columns, as the database has them; the bond and
 * LACP modules interpret them. */
struct BondSettings {
    std::string bond_mode;                      /* Port.bond_mode. */
    std::string lacp;                           /* Port.lacp. */
    int64_t updelay = 0;
    int64_t downdelay = 0;
    bool fake_iface = false;
    std::optional<EthAddr> active_member;       /* Port.bond_active_slave read back. */

    friend bool operator==(const BondSettings &, const BondSettings &) = default;
};

struct PortSettings {
    std::string name;
    std::vector<InterfaceSettings> interfaces;
    VlanSettings vlan;
    BondSettings bond;
    bool fake_bridge = false;
    std::map<std::string, std::string> other_config;

    friend bool operator==(const PortSettings &, const PortSettings &) = default;
};

/* A Controller row, kept for the OpenFlow issue. */
struct ControllerSettings {
    std::string target;
    std::string connection_mode;
    std::optional<int64_t> max_backoff;
    std::optional<int64_t> inactivity_probe;

    friend bool operator==(const ControllerSettings &, const ControllerSettings &) = default;
};

struct BridgeSettings {
    std::string name;
    std::string datapath_type;
    std::vector<PortSettings> ports;
    std::map<std::string, std::string> other_config;
    std::string fail_mode;
    std::vector<std::string> protocols;
    std::vector<ControllerSettings> controllers;

    friend bool operator==(const BridgeSettings &, const BridgeSettings &) = default;
};

/* One interface as the bridge has it. */
struct Interface {
    std::string name;
    std::string port;                           /* Name of its port. */
    InterfaceSettings settings;
    std::shared_ptr<Netdev> netdev;             /* Null if it failed. */
    int64_t ofport = -1;                        /* -1 if it failed. */
    uint32_t dp_port = 0;                       /* Datapath port, 0 if none. */
    std::string error;                          /* Why it failed, or empty. */
};

class Ofproto {
public:
    /* A bridge whose interfaces become ports of 'sw''s datapath; without a
     * Switch (unit tests) devices are opened but nothing is switched. */
    explicit Ofproto(std::string name, Switch *sw = nullptr);
    ~Ofproto();
    Ofproto(const Ofproto &) = delete;
    Ofproto &operator=(const Ofproto &) = delete;

    /* Applies 'settings' (whose name must be this bridge's). */
    void reconfigure(const BridgeSettings &settings);

    /* The first half of reconfigure(): only closes the interfaces that
     * 'settings' no longer has, or has with another type.  Calling this on
     * every bridge before reconfiguring any lets a device move from one
     * bridge to another in one step. */
    void prune(const BridgeSettings &settings);

    const std::string &name() const { return name_; }
    const BridgeSettings &settings() const { return settings_; }

    /* Every interface, by name, including failed ones. */
    const std::map<std::string, Interface> &interfaces() const { return interfaces_; }
    const Interface *interface(const std::string &name) const;

    /* The stable id of port 'port' in the MAC table: the lowest OpenFlow
     * port number of its working interfaces, or 0 if none works. */
    uint32_t port_id(const PortSettings &port) const;

    /* The bridge's MAC learning table. */
    const std::shared_ptr<MacLearning> &mac_learning() const { return mac_learning_; }

    /* The bridge's Ethernet address and its 16-hex-digit datapath id. */
    EthAddr hwaddr() const { return hwaddr_; }
    std::string datapath_id() const;

    /* The bond of port 'port' (a port with two or more interfaces), or
     * null. */
    const Bond *bond(const std::string &port) const;

    /* The MAC of the active member of bond 'port'; nothing for ports that
     * are not bonds or have no active member. */
    std::optional<EthAddr> bond_active_member(const std::string &port) const;

    /* Why the bond configuration of port 'port' was rejected (the bond
     * keeps its previous one), or empty; nothing for ports that are not
     * bonds. */
    std::optional<std::string> bond_error(const std::string &port) const;

    /* Whether interface 'iface' of a bond that runs LACP has a current
     * partner (Interface.lacp_current); nothing for other interfaces. */
    std::optional<bool> lacp_current(const std::string &iface) const;

private:
    void remove_interface(const std::string &name);
    void open_interface(Interface &iface);
    void assign_ofports(const std::vector<std::string> &order);
    void choose_hwaddr();
    void configure_bonds();

    void attach(Interface &iface);
    void detach(Interface &iface);

    std::string name_;
    Switch *switch_;
    std::shared_ptr<MacLearning> mac_learning_;
    BridgeSettings settings_;
    std::map<std::string, Interface> interfaces_;
    std::map<int64_t, std::string> ofports_;    /* In use -> interface name. */
    std::set<uint32_t> port_ids_;               /* port_id() of every port. */
    std::map<std::string, std::unique_ptr<Bond>> bonds_;    /* By port name. */
    EthAddr hwaddr_;
};

}  // namespace braid::ofproto

#endif  // BRAID_OFPROTO_OFPROTO_H
