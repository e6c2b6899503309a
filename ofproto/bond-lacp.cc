/* Bonds: running LACP (ofproto/lacp.h) for a bond.
 *
 * The bond keeps one Lacp while Port.lacp is active or passive.  Members
 * are given to it under ids the bond hands out, so that a member keeps its
 * protocol state across reconfigurations.  The bond feeds it the members'
 * link states (the link monitor's reading: carrier, miimon or ARP/NS, not
 * the admin state of bond/disable-member, which is the bond's business) and
 * the slow protocol frames they receive, runs its timers, and sends the
 * frames it makes straight on the member's device.  In return a member
 * carries frames only while LACP lets it collect and distribute, or, with
 * lacp-fallback-ab, while its partner is defaulted (nobody speaks LACP on
 * that link).  Whether LACP negotiated decides the bond's mode (see
 * Bond::publish()).
 *
 * All of it runs under the bond's mutex, on the liveness thread when there
 * is one: a busy control thread does not hold up a LACPDU. */
#include <config.h>

#include <map>

#include "lib/coverage.h"
#include "lib/dpif-netdev.h"
#include "lib/timeval.h"
#include "lib/vlog.h"
#include "ofproto/bond.h"
#include "ofproto/lacp-settings.h"

BRAID_LOG_MODULE(bond_lacp);
BRAID_COVERAGE_DEFINE(bond_lacp_tx);
BRAID_COVERAGE_DEFINE(bond_lacp_tx_error);
BRAID_COVERAGE_DEFINE(bond_lacp_rx);
BRAID_COVERAGE_DEFINE(bond_lacp_rx_bad);
BRAID_COVERAGE_DEFINE(bond_lacp_config_rejected);
BRAID_COVERAGE_DEFINE(bond_lacp_negotiated);
BRAID_COVERAGE_DEFINE(bond_lacp_lost);

namespace braid::ofproto {

void Bond::lacp_reconfigure(const PortSettings &port, int64_t now)
{
    std::map<std::string, int64_t> ofports;
    for (const Member &m : members_) {
        ofports[m.in.name] = m.in.ofport;
    }
    bool enabled = false;
    LacpSettings settings;
    std::map<std::string, LacpMemberSettings> member_settings;
    std::string error;
    if (!parse_lacp_config(port, host_.mac, ofports, &enabled, &settings, &member_settings,
                           &error)) {
        COVERAGE_INC(bond_lacp_config_rejected);
        if (error != lacp_error_) {
            VLOG_WARN("bond {}: rejected LACP configuration ({}); {}", name_, error,
                      lacp_ ? "keeping the previous one" : "LACP stays off");
        }
        lacp_error_ = error;
        if (!lacp_) {
            for (Member &m : members_) {
                m.lacp_enable = true;
            }
        }
        return;
    }
    lacp_error_.clear();
    if (!enabled) {
        if (lacp_) {
            VLOG_INFO("bond {}: LACP off", name_);
        }
        lacp_.reset();
        lacp_negotiated_ = false;
        for (Member &m : members_) {
            m.lacp_id = 0;
            m.lacp_enable = true;
            m.lacp_current = false;
            m.lacp_collecting = false;
        }
        return;
    }

    settings.name = name_;
    if (!lacp_) {
        lacp_ = std::make_unique<Lacp>();
        VLOG_INFO("bond {}: LACP {}, {} timeout", name_, settings.active ? "active" : "passive",
                  settings.fast ? "fast" : "slow");
    }
    if (!lacp_->reconfigure(settings, now, &error)) {
        /* parse_lacp_config() checks everything reconfigure() does. */
        lacp_error_ = error;
        VLOG_WARN("bond {}: rejected LACP configuration ({})", name_, error);
        return;
    }

    std::set<LacpMemberId> keep;
    for (Member &m : members_) {
        auto it = member_settings.find(m.in.name);
        if (it == member_settings.end() || !it->second.port) {
            /* No port number (the interface failed to open): it cannot
             * take part, so it carries nothing. */
            m.lacp_enable = false;
            continue;
        }
        LacpMemberSettings ms = it->second;
        ms.mac = m.mac.is_zero() ? host_.mac : m.mac;
        if (!m.lacp_id) {
            m.lacp_id = next_lacp_id_++;
        }
        if (!lacp_->set_member(m.lacp_id, ms, now, &error)) {
            VLOG_WARN("bond {}: member {}: not in LACP ({})", name_, m.in.name, error);
            m.lacp_id = 0;
            m.lacp_enable = false;
            continue;
        }
        keep.insert(m.lacp_id);
    }
    /* Members that left the bond. */
    for (const LacpMemberStatus &ms : lacp_->status().members) {
        if (!keep.count(ms.id)) {
            lacp_->remove_member(ms.id, now);
        }
    }
}

bool Bond::lacp_run(int64_t now)
{
    if (!lacp_) {
        return false;
    }
    for (const Member &m : members_) {
        if (m.lacp_id) {
            lacp_->set_member_enabled(m.lacp_id, m.link, now);
        }
    }
    lacp_->run(now);
    for (auto &[id, frame] : lacp_->take_tx(now)) {
        for (const Member &m : members_) {
            if (m.lacp_id != id) {
                continue;
            }
            if (send_frame(m, std::move(frame), 0)) {
                COVERAGE_INC(bond_lacp_tx);
            } else {
                /* The device already logged why (rate-limited). */
                static vlog::RateLimit rl(5, 20);
                COVERAGE_INC(bond_lacp_tx_error);
                VLOG_DBG_RL(rl, "bond {}: member {}: could not send a LACP frame", name_,
                            m.in.name);
            }
            break;
        }
    }

    /* lacp-fallback-ab lets a defaulted member carry frames only while no
     * member negotiated: a member the partner left out of its aggregate
     * must not join the aggregate's traffic. */
    bool negotiated = lacp_->negotiated();
    bool status = false;
    bool changed = false;
    for (Member &m : members_) {
        if (!m.lacp_id) {
            continue;
        }
        bool may = lacp_->member_may_enable(m.lacp_id)
                   || (config_.lacp_fallback_ab && !negotiated
                       && lacp_->member_defaulted(m.lacp_id));
        if (may != m.lacp_enable) {
            VLOG_INFO("bond {}: member {}: LACP {} it", name_, m.in.name,
                      may ? "enables" : "disables");
            m.lacp_enable = may;
            changed = true;
        }
        bool collecting = lacp_->member_collecting(m.lacp_id);
        if (collecting != m.lacp_collecting) {
            m.lacp_collecting = collecting;
            changed = true;
        }
        bool current = lacp_->member_current(m.lacp_id);
        if (current != m.lacp_current) {
            m.lacp_current = current;
            status = true;
        }
    }
    if (negotiated != lacp_negotiated_) {
        lacp_negotiated_ = negotiated;
        if (negotiated) {
            COVERAGE_INC(bond_lacp_negotiated);
            VLOG_INFO("bond {}: LACP negotiated", name_);
        } else {
            COVERAGE_INC(bond_lacp_lost);
            VLOG_WARN("bond {}: LACP no longer negotiated{}", name_,
                      config_.lacp_fallback_ab ? ", falling back to active-backup" : "");
        }
        learning_pending_ = true;
        status = true;
        changed = true;
    }
    if (status && status_changed_) {
        status_changed_();      /* Interface.lacp_current. */
    }
    return changed;
}

void Bond::lacp_slow_frame(Member &m, const std::vector<uint8_t> &frame, int64_t now)
{
    if (!m.lacp_id) {
        static vlog::RateLimit rl(5, 20);
        VLOG_DBG_RL(rl, "bond {}: member {}: dropping a slow protocol frame: the member has "
                    "no LACP port number", name_, m.in.name);
        return;
    }
    LacpRxResult result = lacp_->process_pdu(m.lacp_id, frame, now);
    if (result == LacpRxResult::kMalformed) {
        static vlog::RateLimit rl(5, 20);
        COVERAGE_INC(bond_lacp_rx_bad);
        VLOG_WARN_RL(rl, "bond {}: member {}: {} ({} bytes)", name_, m.in.name,
                     lacp_rx_result_to_string(result), frame.size());
    } else {
        COVERAGE_INC(bond_lacp_rx);
    }
}

std::optional<LacpStatus> Bond::lacp_status() const
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    if (!lacp_) {
        return std::nullopt;
    }
    return lacp_->status();
}

std::optional<bool> Bond::lacp_current(const std::string &iface) const
{
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    int i = find_member(iface);
    if (!lacp_ || i < 0) {
        return std::nullopt;
    }
    const Member &m = members_[size_t(i)];
    return m.lacp_id && lacp_->member_current(m.lacp_id);
}

}  // namespace braid::ofproto
