/* The fixture of the LACP scenario tests (tests/scenario-lacp*.cc): bond0
 * of dummy ports on br0, and a LACP partner in the test process.
 *
 * The partner is a second LACP system: an ofproto::Lacp (the same protocol
 * code, another system id) with one member per bond member, on a clock of
 * its own that the test advances with every warp of the daemon's.  What
 * Braid sends is read from the members' tx captures; what the partner sends
 * goes in with netdev-dummy/receive.  For the cases a well-behaved partner
 * never makes, tests craft frames. */
#ifndef BRAID_TESTS_SCENARIO_LACP_H
#define BRAID_TESTS_SCENARIO_LACP_H 1

#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lib/packet-compose.h"
#include "lib/pcap-file.h"
#include "lib/slow-protocols.h"
#include "lib/vlog.h"
#include "ofproto/lacp.h"
#include "tests/frame-builder.h"
#include "tests/sandbox.h"

namespace braid::test {

using ofproto::Lacp;
using ofproto::LacpMemberSettings;
using ofproto::LacpSettings;

inline const EthAddr kPeerSystem{{0x02, 0x99, 0, 0, 0, 0x01}};

inline EthAddr mac(uint8_t last)
{
    return EthAddr{{0x02, 0, 0, 0, 0, last}};
}

class LacpScenario : public ::testing::Test {
protected:
    void SetUp() override
    {
        /* The in-process partner's news would clutter the test output. */
        vlog::set_levels("", vlog::Destination::kConsole, vlog::Level::kWarn);
        ASSERT_TRUE(sb_.start({"--enable-dummy=override"})) << sb_.last_error();
        vsctl({"add-br", "br0", "--", "set", "Bridge", "br0",
               "other_config:hwaddr=02:aa:00:00:00:01"});
        ASSERT_EQ(sb_.appctl({"time/stop"}).status, 0);
    }
    void TearDown() override { EXPECT_EQ(sb_.unexpected_log_lines(allowed_), ""); }

    RunResult vsctl(const std::vector<std::string> &args)
    {
        RunResult r = sb_.vsctl(args);
        EXPECT_EQ(r.status, 0) << r.err;
        return r;
    }

    std::string appctl_out(const std::vector<std::string> &args)
    {
        RunResult r = sb_.appctl(args);
        EXPECT_EQ(r.status, 0) << r.err;
        return r.out;
    }

    uint64_t counter(const std::string &name)
    {
        std::string out = appctl_out({"coverage/read-counter", name});
        return std::stoull(out.empty() ? "0" : out);
    }

    /* Adds a "vm" port and bond0 of 'members' with Port settings
     * 'settings', each member capturing what it sends. */
    void add_bond(const std::vector<std::string> &members,
                  const std::vector<std::string> &settings)
    {
        vsctl({"add-port", "br0", "vm", "--", "set", "Interface", "vm",
               "options:tx_pcap=" + sb_.path("vm.pcap")});
        std::vector<std::string> args = {"add-bond", "br0", "bond0"};
        args.insert(args.end(), members.begin(), members.end());
        args.insert(args.end(), settings.begin(), settings.end());
        for (const std::string &m : members) {
            for (const std::string &s : {std::string("--"), std::string("set"),
                                         std::string("Interface"), m,
                                         "options:tx_pcap=" + sb_.path(m + ".pcap")}) {
                args.push_back(s);
            }
        }
        vsctl(args);
        members_ = members;
        sync();
    }

    /* After 4 s more of warped time, both sides have negotiated, both
     * members collect and distribute, and lacp/show says "status: 'activity'
     * negotiated". */
    void expect_both_negotiated(const std::string &activity)
    {
        advance(4000);
        EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
        EXPECT_TRUE(peer_.negotiated());
        for (const char *m : {"a", "b"}) {
            EXPECT_EQ(rx_state(m), "current");
            EXPECT_EQ(mux_state(m), "collecting_distributing");
            EXPECT_TRUE(member_enabled(m)) << bond_show();
        }
        EXPECT_TRUE(contains(lacp_show(), "status: " + activity + " negotiated\n"))
            << lacp_show();
    }

    /* bond0 of members a and b in balance-tcp with active LACP and
     * lacp-time 'lacp_time', and an active partner that asks for fast
     * LACPDUs if 'peer_fast'; both have negotiated after 'ms' of warped
     * time. */
    void negotiate_bond(int64_t ms = 3000, const std::string &lacp_time = "fast",
                        bool peer_fast = true)
    {
        add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=active",
                              "other_config:lacp-time=" + lacp_time});
        make_peer(/*active=*/true, peer_fast);
        advance(ms);
        ASSERT_TRUE(negotiated()) << bond_show() << lacp_show();
    }

    /* Makes the partner: 'active' or passive, 'fast' or slow, with key
     * 'key'; one partner member per bond member, ports 101, 102, ...  The
     * partner member of the i-th bond member gets key 'member_keys[i]'
     * instead when that is given and not 0. */
    void make_peer(bool active = true, bool fast = true, uint16_t key = 7,
                   EthAddr system = kPeerSystem, const std::vector<uint16_t> &member_keys = {})
    {
        std::string error;
        ASSERT_TRUE(peer_.reconfigure(peer_settings("peer", active, fast, system, key), peer_now_,
                                      &error))
            << error;
        for (size_t i = 0; i < members_.size(); i++) {
            LacpMemberSettings ms = peer_member_settings("peer-", i);
            ms.key = i < member_keys.size() ? member_keys[i] : 0;
            ASSERT_TRUE(peer_.set_member(uint32_t(i + 1), ms, peer_now_, &error)) << error;
            peer_.set_member_enabled(uint32_t(i + 1), true, peer_now_);
        }
    }

    /* Moves the partner end of member 'port' to a second partner system,
     * 'system' (as an MC-LAG peer that reboots with another identity): the
     * first partner forgets the member, and the second one, 'fast' or slow
     * with key 'key', takes it with the same port number and address and
     * its link up.  From then on exchange() routes the member's frames to
     * and from the second partner. */
    void move_to_peer2(const std::string &port, EthAddr system, bool fast = true,
                       uint16_t key = 7)
    {
        size_t i = member_index(port);
        ASSERT_LT(i, members_.size()) << port;
        std::string error;
        ASSERT_TRUE(peer2_.reconfigure(peer_settings("peer2", true, fast, system, key), peer_now_,
                                       &error))
            << error;
        LacpMemberSettings ms = peer_member_settings("peer2-", i);
        peer_.remove_member(uint32_t(i + 1), peer_now_);
        ASSERT_TRUE(peer2_.set_member(uint32_t(i + 1), ms, peer_now_, &error)) << error;
        peer2_.set_member_enabled(uint32_t(i + 1), true, peer_now_);
        on_peer2_.insert(port);
    }

    static LacpSettings peer_settings(const std::string &name, bool active, bool fast,
                                      EthAddr system, uint16_t key)
    {
        LacpSettings s;
        s.name = name;
        s.active = active;
        s.fast = fast;
        s.system_id = system;
        s.key = key;
        return s;
    }

    /* A partner's end of member members_[i]: the same port number and
     * address on either partner system. */
    LacpMemberSettings peer_member_settings(const std::string &prefix, size_t i) const
    {
        LacpMemberSettings ms;
        ms.name = prefix + members_[i];
        ms.mac = mac(uint8_t(0x60 + i));
        ms.port = uint16_t(101 + i);
        return ms;
    }

    /* The index of member 'port' in members_, or members_.size(). */
    size_t member_index(const std::string &port) const
    {
        for (size_t i = 0; i < members_.size(); i++) {
            if (members_[i] == port) {
                return i;
            }
        }
        return members_.size();
    }

    /* The partner system at the far end of the i-th member. */
    Lacp &peer_for(size_t i) { return on_peer2_.count(members_[i]) ? peer2_ : peer_; }

    /* Lets the datapath and the liveness thread finish what was injected
     * or warped. */
    void sync()
    {
        ASSERT_EQ(sb_.appctl({"dpif-netdev/sync"}).status, 0);
        ASSERT_EQ(sb_.appctl({"time/warp", "0"}).status, 0);
    }

    void inject(const std::string &port, const std::vector<Bytes> &frames)
    {
        RunResult r = sb_.receive(port, frames);
        ASSERT_EQ(r.status, 0) << r.err;
        sync();
    }

    std::vector<Bytes> sent(const std::string &port)
    {
        std::string error;
        auto frames = pcap_read_all(sb_.path(port + ".pcap"), &error);
        return frames.value_or(std::vector<Bytes>{});
    }

    /* The frames 'port' sent that are neither slow protocol frames nor
     * learning packets (RARP). */
    std::vector<Bytes> sent_data(const std::string &port)
    {
        std::vector<Bytes> v;
        for (const Bytes &f : sent(port)) {
            uint16_t type = f.size() >= 14 ? uint16_t(f[12] << 8 | f[13]) : 0;
            if (type != kEthTypeSlow && type != kEthTypeRarp) {
                v.push_back(f);
            }
        }
        return v;
    }

    /* The slow protocol frames 'port' sent that the test has not read yet. */
    std::vector<Bytes> new_slow_frames(const std::string &port)
    {
        std::vector<Bytes> all = sent(port);
        std::vector<Bytes> v;
        for (size_t i = read_[port]; i < all.size(); i++) {
            if (all[i].size() >= 14 && all[i][12] == 0x88 && all[i][13] == 0x09) {
                v.push_back(all[i]);
            }
        }
        read_[port] = all.size();
        return v;
    }

    /* Hands the partner what Braid sent and Braid what the partner sends,
     * until neither has more (bounded).  Members in 'cut' exchange
     * nothing, either way. */
    void exchange()
    {
        for (int round = 0; round < 6; round++) {
            bool any = false;
            for (size_t i = 0; i < members_.size(); i++) {
                for (const Bytes &f : new_slow_frames(members_[i])) {
                    braid_tx_[members_[i]]++;
                    Lacp &peer = peer_for(i);
                    if (!cut_.count(members_[i]) && peer.has_member(uint32_t(i + 1))) {
                        peer.process_pdu(uint32_t(i + 1), f, peer_now_);
                        any = true;
                    }
                }
            }
            std::map<std::string, std::vector<Bytes>> out;
            for (Lacp *peer : {&peer_, &peer2_}) {
                peer->run(peer_now_);
                for (auto &[id, frame] : peer->take_tx(peer_now_)) {
                    const std::string &port = members_[id - 1];
                    if (!cut_.count(port)) {
                        out[port].push_back(frame);
                    }
                }
            }
            for (auto &[port, frames] : out) {
                inject(port, frames);
                peer_tx_at_[port] = peer_now_;
                any = true;
            }
            if (!any) {
                return;
            }
        }
    }

    /* Advances both clocks by 'ms', 'step' ms at a time, exchanging PDUs
     * after each step.  With 'substep', the daemon runs its timers every
     * 'substep' ms within a step (time/warp STEP SUBSTEP), while the
     * partner still hears from it once a step. */
    void advance(int64_t ms, int64_t step = 250, int64_t substep = 0)
    {
        exchange();
        for (int64_t done = 0; done < ms;) {
            int64_t d = std::min(step, ms - done);
            std::vector<std::string> warp = {"time/warp", std::to_string(d)};
            if (substep > 0 && substep < d) {
                warp.push_back(std::to_string(substep));
            }
            ASSERT_EQ(sb_.appctl(warp).status, 0);
            ASSERT_EQ(sb_.appctl({"dpif-netdev/sync"}).status, 0);
            peer_now_ += d;
            done += d;
            exchange();
        }
    }

    /* Advances both clocks 'step' ms at a time (as advance()) until
     * 'done' holds, for at most 'max_ms'.  Returns how long it took, ms (0
     * if 'done' held at once), or -1 if it never held. */
    int64_t advance_until(const std::function<bool()> &done, int64_t max_ms,
                          int64_t step = 250)
    {
        exchange();
        for (int64_t elapsed = 0;; elapsed += step) {
            if (done()) {
                return elapsed;
            }
            if (elapsed >= max_ms) {
                return -1;
            }
            advance(step, step);
        }
    }

    /* Cuts member 'port' off from the partner (both ways) or restores it,
     * as a broken cable would, without telling either side's carrier. */
    void cut(const std::string &port, bool cut)
    {
        if (cut) {
            cut_.insert(port);
        } else {
            cut_.erase(port);
        }
    }

    /* Sets the carrier of member 'port' on both sides. */
    void carrier(const std::string &port, bool up)
    {
        ASSERT_EQ(sb_.appctl({"netdev-dummy/set-carrier", port, up ? "up" : "down"}).status, 0);
        sb_.appctl({"version"});
        sync();
        for (size_t i = 0; i < members_.size(); i++) {
            if (members_[i] == port && peer_for(i).has_member(uint32_t(i + 1))) {
                peer_for(i).set_member_enabled(uint32_t(i + 1), up, peer_now_);
            }
        }
        cut(port, !up);
    }

    std::string lacp_show() { return appctl_out({"lacp/show", "bond0"}); }
    std::string bond_show() { return appctl_out({"bond/show", "bond0"}); }

    /* The word after "member: NAME: " in lacp/show: the Receive state. */
    std::string rx_state(const std::string &member)
    {
        std::smatch m;
        std::string s = lacp_show();
        if (!std::regex_search(s, m, std::regex("member: " + member + ": (\\w+)"))) {
            ADD_FAILURE() << s;
            return "";
        }
        return m[1];
    }

    std::string mux_state(const std::string &member)
    {
        std::smatch m;
        std::string s = lacp_show();
        if (!std::regex_search(s, m, std::regex("braid: member " + member
                                                + ": link \\w+, rx \\w+, mux (\\w+)"))) {
            ADD_FAILURE() << s;
            return "";
        }
        return m[1];
    }

    bool negotiated() { return contains(bond_show(), "lacp_status: negotiated\n"); }

    /* Whether member 'member' is enabled in bond/show. */
    bool member_enabled(const std::string &member)
    {
        std::string s = bond_show();
        return contains(s, "member " + member + ": enabled\n");
    }

    /* Counter 'label' ("Link Expired", "TX PDUs", ...) of member 'member'
     * in lacp/show-stats, or -1 if it is missing. */
    int64_t lacp_stat(const std::string &member, const std::string &label)
    {
        std::smatch m;
        std::string s = appctl_out({"lacp/show-stats", "bond0"});
        if (!std::regex_search(s, m, std::regex("member: " + member + ":\n(?:  .*\n)*?  "
                                                + label + ": (\\d+)\n"))) {
            ADD_FAILURE() << "no " << label << " for " << member << " in\n" << s;
            return -1;
        }
        return std::stoll(m[1]);
    }

    /* The bond/show drop counter of 'reason' ("tx-no-member", ...), or -1
     * if it is missing. */
    int64_t bond_drops(const std::string &reason)
    {
        std::smatch m;
        std::string s = bond_show();
        if (!std::regex_search(s, m, std::regex("braid: drops: .*\\b" + reason
                                                + " (\\d+)"))) {
            ADD_FAILURE() << "no drop counter " << reason << " in\n" << s;
            return -1;
        }
        return std::stoll(m[1]);
    }

    /* The "braid: aggregator" lines of lacp/show. */
    std::vector<std::string> aggregator_lines()
    {
        std::vector<std::string> v;
        std::istringstream in(lacp_show());
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("braid: aggregator ", 0) == 0) {
                v.push_back(line);
            }
        }
        return v;
    }

    /* The number of data frames (see sent_data()) members 'ports' sent. */
    size_t data_sent_on(const std::vector<std::string> &ports)
    {
        size_t n = 0;
        for (const std::string &p : ports) {
            n += sent_data(p).size();
        }
        return n;
    }

    Sandbox sb_;
    Lacp peer_;
    /* The second partner system of move_to_peer2(), and its members. */
    Lacp peer2_;
    std::set<std::string> on_peer2_;
    /* The partner's clock when it last sent frames to each member. */
    std::map<std::string, int64_t> peer_tx_at_;
    int64_t peer_now_ = 1000000;
    std::vector<std::string> members_;
    std::map<std::string, size_t> read_;
    std::map<std::string, uint64_t> braid_tx_;
    std::set<std::string> cut_;
    std::vector<std::regex> allowed_{std::regex("bond bond0: all members disabled"),
                                     std::regex("LACP no longer negotiated"),
                                     std::regex("rejected")};
};

}  // namespace braid::test

#endif  // BRAID_TESTS_SCENARIO_LACP_H
