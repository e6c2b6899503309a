/* Bonds: the ARP and NS link monitor. */
#include <config.h>

#include <algorithm>
#include <array>

#include "lib/coverage.h"
#include "lib/dpif-netdev.h"
#include "lib/packet-compose.h"
#include "lib/timeval.h"
#include "lib/vlog.h"
#include "ofproto/bond.h"
#include "ofproto/xlate.h"

BRAID_LOG_MODULE(bond_monitor);
BRAID_COVERAGE_DEFINE(bond_arp_probe);
BRAID_COVERAGE_DEFINE(bond_arp_link_down);

namespace braid::ofproto {

bool Bond::arp_monitor() const
{
    return config_.detect_mode == BondDetectMode::kArp
           || config_.detect_mode == BondDetectMode::kNs;
}

void Bond::arp_tick(int64_t now)
{
    if (!arp_monitor() || now < next_arp_) {
        return;
    }
    int64_t interval = std::max<int64_t>(1, config_.arp_interval);
    /* A tick that comes late (its thread was held up) sent no probes while
     * it waited: the members are judged as of when it was due, so that
     * the wait costs them nothing. */
    const int64_t due = next_arp_ > 0 ? std::min(now, next_arp_) : now;
    next_arp_ = now + interval;
    if (datapath_ && bond_id_ != UINT32_MAX) {
        dp::BondStats st = datapath_->bond_stats(bond_id_);
        size_t n_targets = std::min(dp::kBondMaxTargets,
                                    config_.arp_targets.size() + config_.ns_targets.size());
        /* The datapath keeps the times by slot: the position among the
         * members that have a datapath port, as publish() lists them.  The
         * bond keeps the latest it saw, since restarted datapath threads
         * start from zero. */
        size_t slot = 0;
        std::array<size_t, dp::kMaxBondMembers> judged{};
        size_t n_judged = 0;
        for (size_t i = 0; i < members_.size(); i++) {
            Member &m = members_[i];
            if (!m.in.dp_port || slot >= dp::kMaxBondMembers) {
                continue;
            }
            m.last_rx = std::max(m.last_rx, st.last_rx[slot]);
            m.last_reply_rx = std::max(m.last_reply_rx, st.last_reply_rx[slot]);
            for (size_t t = 0; t < n_targets; t++) {
                m.last_target_rx[t] = std::max(m.last_target_rx[t], st.last_target_rx[slot][t]);
            }
            slot++;
            judged[n_judged++] = i;
        }
        /* The backups of an active-backup bond hear the probes of the
         * active member, which the switch floods to them.  While the
         * active member fails its probes may not get that far, so its
         * backups' silence says nothing of them: those that are up stay
         * up, their allowance starting again now.  (Otherwise a late
         * round can take the active member and its backups down at once,
         * as it did on a loaded machine.) */
        bool active_failing = false;
        if (config_.mode == BondMode::kActiveBackup && active_ >= 0) {
            const Member &a = members_[size_t(active_)];
            active_failing = a.in.dp_port
                             && due - arp_last_heard(a, false, n_targets)
                                    > interval * int64_t(config_.arp_missed_max);
        }
        for (size_t j = 0; j < n_judged; j++) {
            Member &m = members_[judged[j]];
            size_t i = judged[j];
            bool backup = config_.mode == BondMode::kActiveBackup && int(i) != active_;
            int64_t last = arp_last_heard(m, backup, n_targets);
            int64_t allowed = interval * (int64_t(config_.arp_missed_max) + (backup ? 1 : 0));
            bool ok = due - last <= allowed;
            if (!ok && backup && active_failing && m.arp_ok) {
                m.monitor_since = due;
                last = due;
                ok = true;
            }
            m.arp_missed = uint32_t(std::max<int64_t>(0, due - last) / interval);
            if (m.arp_ok && !ok) {
                COVERAGE_INC(bond_arp_link_down);
                VLOG_INFO("bond {}: member {}: no {} reply for {} ms: link down", name_,
                          m.in.name, config_.detect_mode == BondDetectMode::kArp ? "ARP" : "NS",
                          due - last);
            } else if (!m.arp_ok && ok) {
                VLOG_INFO("bond {}: member {}: {} replies again: link up", name_, m.in.name,
                          config_.detect_mode == BondDetectMode::kArp ? "ARP" : "NS");
            }
            m.arp_ok = ok;
        }
    }
    send_probes();
}

int64_t Bond::arp_last_heard(const Member &m, bool backup, size_t n_targets) const
{
    /* The latest frame that counts, by bond-arp-validate. */
    bool validated = unsigned(config_.arp_validate) & (backup ? 2u : 1u);
    int64_t last = m.last_rx;
    if (validated && n_targets) {
        last = config_.arp_all_targets ? INT64_MAX : 0;
        for (size_t t = 0; t < n_targets; t++) {
            int64_t at = m.last_target_rx[t];
            last = config_.arp_all_targets ? std::min(last, at) : std::max(last, at);
        }
    }
    return std::max(last, m.monitor_since);
}

bool Bond::target_answered(const Member &m, int64_t now) const
{
    int64_t interval = std::max<int64_t>(1, config_.arp_interval);
    return arp_monitor() && m.last_reply_rx > 0
           && now - m.last_reply_rx <= interval * (int64_t(config_.arp_missed_max) + 1);
}

bool Bond::send_frame(const Member &m, std::vector<uint8_t> frame, uint16_t vlan)
{
    if (!m.in.netdev) {
        return false;
    }
    XPort xport;
    xport.vlan = vlan_;
    bool tagged;
    if (!xlate_output_vlan(xport, vlan, &tagged)) {
        return false;
    }
    if (tagged) {
        push_vlan(frame, kEthTypeVlan8021Q, vlan);
    }
    std::unique_ptr<DpPacket> packet = DpPacket::copy_of(frame);
    PacketBatch batch;
    batch.add(packet.get());
    return m.in.netdev->send(batch) == 0;
}

void Bond::send_probes()
{
    std::vector<be32> v4;
    std::vector<In6Addr> v6;
    bond_device_addresses(host_.iface, &v4, &v6);
    be32 src4 = v4.empty() ? be32{} : v4[0];
    In6Addr src6{};
    for (const In6Addr &a : v6) {
        if (a.b[0] != 0xfe || (a.b[1] & 0xc0) != 0x80) {
            src6 = a;       /* Prefer a global address. */
            break;
        }
        src6 = a;
    }
    /* active-backup probes on the active member (backups hear the probes
     * and replies the switch floods); the other modes, and a bond with no
     * active member, on every member with carrier. */
    for (size_t i = 0; i < members_.size(); i++) {
        const Member &m = members_[i];
        if (!carrier(m) || m.admin_disabled) {
            continue;
        }
        if (config_.mode == BondMode::kActiveBackup && active_ >= 0 && int(i) != active_) {
            continue;
        }
        for (be32 target : config_.arp_targets) {
            if (send_frame(m, compose_arp_request(host_.mac, src4, target), host_.vlan)) {
                COVERAGE_INC(bond_arp_probe);
                probes_sent_++;
            }
        }
        for (const In6Addr &target : config_.ns_targets) {
            if (send_frame(m, compose_nd_ns(host_.mac, src6, target), host_.vlan)) {
                COVERAGE_INC(bond_arp_probe);
                probes_sent_++;
            }
        }
    }
}

}  // namespace braid::ofproto
