/* Bonds: what they tell the network after a change: learning packets
 * (RARP) for the MACs behind the bridge, gratuitous ARPs and unsolicited
 * NAs for the bridge port's addresses, IGMP reports for its groups. */
#include <config.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "lib/coverage.h"
#include "lib/packet-compose.h"
#include "lib/timeval.h"
#include "lib/vlog.h"
#include "ofproto/bond.h"
#include "ofproto/mac-learning.h"
#include "ofproto/xlate.h"

BRAID_LOG_MODULE(bond_notify);
BRAID_COVERAGE_DEFINE(bond_learning_packet);
BRAID_COVERAGE_DEFINE(bond_learning_send_error);
BRAID_COVERAGE_DEFINE(bond_peer_notification);
BRAID_COVERAGE_DEFINE(bond_igmp_report);

namespace braid::ofproto {

/* The IPv4 and IPv6 addresses of device 'iface' (none if it has none or
 * is not a kernel device). */
void bond_device_addresses(const std::string &iface, std::vector<be32> *v4,
                           std::vector<In6Addr> *v6)
{
    struct ifaddrs *list = nullptr;
    if (iface.empty() || getifaddrs(&list)) {
        return;
    }
    for (struct ifaddrs *a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || iface != a->ifa_name) {
            continue;
        }
        if (a->ifa_addr->sa_family == AF_INET) {
            const auto *sin = reinterpret_cast<const struct sockaddr_in *>(a->ifa_addr);
            uint32_t host = ntohl(sin->sin_addr.s_addr);
            if ((host >> 28) != 0xe) {      /* Not a group joined with autojoin. */
                v4->push_back(be32::from_host(host));
            }
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            const auto *sin6 = reinterpret_cast<const struct sockaddr_in6 *>(a->ifa_addr);
            In6Addr addr;
            std::copy(sin6->sin6_addr.s6_addr, sin6->sin6_addr.s6_addr + 16, addr.b.begin());
            v6->push_back(addr);
        }
    }
    freeifaddrs(list);
}

/* The IPv4 multicast groups device 'iface' has joined, from the kernel's
 * /proc/net/igmp (whose group column is the address's four octets read as
 * a host-order number, in hexadecimal).  224.0.0.1 is never reported. */
std::vector<be32> bond_device_igmp_groups(const std::string &iface)
{
    std::vector<be32> groups;
    std::ifstream in("/proc/net/igmp");
    if (iface.empty() || !in) {
        return groups;
    }
    std::optional<std::string> text{std::string(std::istreambuf_iterator<char>(in),
                                                std::istreambuf_iterator<char>())};
    bool ours = false;
    size_t pos = 0;
    while (pos < text->size()) {
        size_t end = text->find('\n', pos);
        std::string line = text->substr(pos, end == std::string::npos ? std::string::npos
                                                                       : end - pos);
        pos = end == std::string::npos ? text->size() : end + 1;
        if (line.empty()) {
            continue;
        }
        if (line[0] != '\t' && line[0] != ' ') {
            /* "Idx\tDevice    : Count Querier" */
            size_t tab = line.find('\t');
            size_t colon = line.find(':');
            if (tab == std::string::npos || colon == std::string::npos || colon < tab) {
                ours = false;
                continue;
            }
            std::string dev = line.substr(tab + 1, colon - tab - 1);
            dev.erase(dev.find_last_not_of(' ') + 1);
            ours = dev == iface;
            continue;
        }
        if (!ours) {
            continue;
        }
        size_t start = line.find_first_not_of("\t ");
        if (start == std::string::npos) {
            continue;
        }
        uint32_t raw = uint32_t(std::strtoul(line.c_str() + start, nullptr, 16));
        uint8_t octets[4];
        std::memcpy(octets, &raw, 4);
        uint32_t host = uint32_t(octets[0]) << 24 | uint32_t(octets[1]) << 16
                        | uint32_t(octets[2]) << 8 | octets[3];
        if ((host >> 28) == 0xe && host != 0xe0000001) {
            groups.push_back(be32::from_host(host));
        }
    }
    return groups;
}

void Bond::send_peer_notifications()
{
    int64_t now = timeval::msec();
    while (notif_remaining_ && now >= next_notif_) {
        notif_remaining_--;
        next_notif_ = now + config_.peer_notif_delay;
        if (active_ < 0) {
            notif_remaining_ = 0;
            return;
        }
        const Member &m = members_[size_t(active_)];
        std::vector<be32> v4;
        std::vector<In6Addr> v6;
        bond_device_addresses(host_.iface, &v4, &v6);
        for (be32 ip : v4) {
            if (send_frame(m, compose_gratuitous_arp(host_.mac, ip), host_.vlan)) {
                COVERAGE_INC(bond_peer_notification);
                notifications_sent_++;
            }
        }
        for (const In6Addr &ip : v6) {
            if (send_frame(m, compose_unsolicited_na(host_.mac, ip), host_.vlan)) {
                COVERAGE_INC(bond_peer_notification);
                notifications_sent_++;
            }
        }
        if (config_.peer_notif_delay > 0) {
            break;
        }
    }

    /* IGMP reports for the groups the bridge's port joined, so that
     * snooping switches send them to the new member: bond-resend-igmp
     * rounds, 200 ms apart. */
    if (igmp_remaining_ && now >= next_igmp_) {
        igmp_remaining_--;
        next_igmp_ = now + kIgmpResendIntervalMs;
        if (active_ < 0) {
            igmp_remaining_ = 0;
            return;
        }
        const Member &m = members_[size_t(active_)];
        std::vector<be32> v4;
        std::vector<In6Addr> v6;
        bond_device_addresses(host_.iface, &v4, &v6);
        be32 src = v4.empty() ? be32{} : v4[0];
        for (be32 group : bond_device_igmp_groups(host_.iface)) {
            if (send_frame(m, compose_igmpv2_report(host_.mac, src, group), host_.vlan)) {
                COVERAGE_INC(bond_igmp_report);
                notifications_sent_++;
            }
        }
    }
}

uint32_t Bond::member_port_for(const EthAddr &mac, uint16_t wire_vid) const
{
    switch (config_.mode) {
    case BondMode::kActiveBackup:
        return active_ >= 0 ? members_[size_t(active_)].in.dp_port : 0;
    case BondMode::kBalanceSlb:
    case BondMode::kBalanceTlb:
    case BondMode::kBalanceAlb: {
        uint32_t b = dp::bond_hash_mac(mac, wire_vid, config_.hash_basis) & dp::kBondBucketMask;
        int m = bucket_member_[b];
        return m >= 0 ? members_[size_t(m)].in.dp_port : 0;
    }
    default:
        return 0;
    }
}

void Bond::send_learning_packets()
{
    learning_pending_ = false;
    if (!mac_learning_ || active_ < 0 || lacp_negotiated_) {
        return;
    }
    switch (config_.mode) {
    case BondMode::kActiveBackup:
    case BondMode::kBalanceSlb:
    case BondMode::kBalanceTlb:
    case BondMode::kBalanceAlb:
        break;
    default:
        return;     /* The switch has the links in a LAG of its own. */
    }
    XPort xport;
    xport.vlan = vlan_;
    size_t n = 0;
    size_t errors = 0;
    for (const MacEntry &e : mac_learning_->entries()) {
        if (e.port == port_id_) {
            continue;
        }
        bool tagged;
        if (!xlate_output_vlan(xport, e.vlan, &tagged)) {
            continue;
        }
        uint16_t vid = tagged ? e.vlan : 0;
        uint32_t port = member_port_for(e.mac, vid);
        const Member *member = nullptr;
        for (const Member &m : members_) {
            if (m.in.dp_port == port && m.enabled) {
                member = &m;
            }
        }
        if (!member || !member->in.netdev) {
            continue;
        }
        std::vector<uint8_t> frame = compose_rarp(e.mac);
        if (tagged) {
            push_vlan(frame, kEthTypeVlan8021Q, vid);
        }
        std::unique_ptr<DpPacket> packet = DpPacket::copy_of(frame);
        PacketBatch batch;
        batch.add(packet.get());
        COVERAGE_INC(bond_learning_packet);
        if (member->in.netdev->send(batch)) {
            COVERAGE_INC(bond_learning_send_error);
            errors++;
        }
        n++;
    }
    if (n) {
        last_learning_ = timeval::msec();
    }
    if (errors) {
        static vlog::RateLimit rl(5, 20);
        VLOG_WARN_RL(rl, "bond {}: {} errors sending {} learning packets", name_, errors, n);
    } else if (n) {
        VLOG_DBG("bond {}: sent {} learning packets", name_, n);
    }
}

}  // namespace braid::ofproto
