/* The test bench of the LACP unit tests (tests/test-lacp*.cc).
 *
 * Bonds ("nodes", each a Lacp) are wired member to member by simulated
 * cables.  Time is a plain number: the network steps every node to each
 * time one of them asks to wake up (next_wake()), and delivers every frame
 * at once, until all are quiet. */
#ifndef BRAID_TESTS_LACP_NET_H
#define BRAID_TESTS_LACP_NET_H 1

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lib/packet-compose.h"
#include "lib/slow-protocols.h"
#include "ofproto/lacp.h"
#include "tests/frame-builder.h"

namespace braid::ofproto::lacp_test {

using test::Bytes;

inline constexpr uint8_t kInSyncState = kLacpStateActivity | kLacpStateTimeout
                                 | kLacpStateAggregation | kLacpStateSynchronization
                                 | kLacpStateCollecting | kLacpStateDistributing;

/* The system id of node 'n', and the address of its member 'port'. */
inline EthAddr system_mac(uint8_t n)
{
    return EthAddr{{0x02, 0xaa, 0x00, 0x00, 0x00, n}};
}

inline EthAddr port_mac(uint8_t n, uint16_t port)
{
    return EthAddr{{0x02, 0xbb, 0x00, 0x00, n, uint8_t(port)}};
}

inline LacpSettings make_settings(uint8_t n, bool fast, bool active = true,
                           LacpAdSelect ad_select = LacpAdSelect::kStable,
                           uint16_t system_priority = kLacpDefaultSystemPriority)
{
    LacpSettings s;
    s.name = "bond" + std::to_string(n);
    s.active = active;
    s.fast = fast;
    s.system_id = system_mac(n);
    s.system_priority = system_priority;
    s.ad_select = ad_select;
    return s;
}

inline LacpMemberSettings make_member(uint8_t n, uint16_t port, uint16_t key = 0)
{
    LacpMemberSettings m;
    m.name = "p" + std::to_string(port);
    m.mac = port_mac(n, port);
    m.port = port;
    m.key = key;
    return m;
}

/* A bond whose members have ids 1 to 'members', equal to their port
 * numbers. */
struct Node {
    Node(uint8_t num, const LacpSettings &s, int members, uint16_t key = 0) : n(num)
    {
        std::string error;
        EXPECT_TRUE(lacp.reconfigure(s, 0, &error)) << error;
        for (int i = 1; i <= members; i++) {
            EXPECT_TRUE(lacp.set_member(i, make_member(n, i, key), 0, &error)) << error;
        }
    }

    LacpMemberStatus member(LacpMemberId id) const
    {
        for (const LacpMemberStatus &m : lacp.status().members) {
            if (m.id == id) {
                return m;
            }
        }
        ADD_FAILURE() << "no member " << id;
        return {};
    }

    uint8_t n;
    Lacp lacp;
};

/* A status without counters, to compare states. */
inline LacpStatus without_stats(LacpStatus s)
{
    for (LacpMemberStatus &m : s.members) {
        m.stats = {};
    }
    s.rx_unknown_member = 0;
    return s;
}

class Net {
public:
    struct End {
        Node *node;
        LacpMemberId member;
    };
    struct Sent {
        int64_t time;
        Node *node;
        LacpMemberId member;
        uint8_t subtype;
    };

    void add(Node &node) { nodes_.push_back(&node); }

    /* Cables member 'ma' of 'a' to member 'mb' of 'b' and brings both links
     * up.  Returns the cable's number. */
    size_t connect(Node &a, LacpMemberId ma, Node &b, LacpMemberId mb)
    {
        cables_.push_back({{&a, ma}, {&b, mb}, true});
        a.lacp.set_member_enabled(ma, true, now_);
        b.lacp.set_member_enabled(mb, true, now_);
        return cables_.size() - 1;
    }

    /* Stops frames on cable 'c' both ways; with 'carrier', both links go
     * down too. */
    void cut(size_t c, bool carrier = false)
    {
        cables_[c].up = false;
        if (carrier) {
            cables_[c].a.node->lacp.set_member_enabled(cables_[c].a.member, false, now_);
            cables_[c].b.node->lacp.set_member_enabled(cables_[c].b.member, false, now_);
        }
    }

    void repair(size_t c, bool carrier = false)
    {
        cables_[c].up = true;
        if (carrier) {
            cables_[c].a.node->lacp.set_member_enabled(cables_[c].a.member, true, now_);
            cables_[c].b.node->lacp.set_member_enabled(cables_[c].b.member, true, now_);
        }
    }

    /* Takes every node's frames at the current time and delivers them,
     * until no node has more. */
    void step()
    {
        for (int round = 0; round < 1000; round++) {
            bool any = false;
            for (Node *node : nodes_) {
                for (auto &[member, frame] : node->lacp.take_tx(now_)) {
                    any = true;
                    uint8_t subtype = frame.size() > kEthHeaderLen ? frame[kEthHeaderLen] : 0;
                    sent_.push_back({now_, node, member, subtype});
                    if (tap) {
                        tap(*node, member, frame);
                    }
                    if (const End *peer = peer_of(node, member)) {
                        last_rx_[{peer->node, peer->member}] = now_;
                        test::ExactCopy copy(frame);
                        peer->node->lacp.process_pdu(peer->member, copy.span(), now_);
                    }
                }
            }
            if (!any) {
                return;
            }
        }
        ADD_FAILURE() << "frames never stopped at " << now_;
    }

    /* Runs to 'until', stepping only at the times the nodes ask to wake up
     * (so a next_wake() later than a timer shows up as a late transition). */
    void advance_to(int64_t until)
    {
        int same = 0;
        while (true) {
            int64_t wake = kLacpNever;
            for (Node *node : nodes_) {
                int64_t w = node->lacp.next_wake(now_);
                EXPECT_GE(w, now_);
                wake = std::min(wake, w);
            }
            if (wake > until) {
                break;
            }
            if (wake == now_ && ++same > 100) {
                ADD_FAILURE() << "next_wake() stuck at " << wake;
                break;
            }
            if (wake != now_) {
                same = 0;
            }
            now_ = wake;
            step();
        }
        now_ = until;
    }

    /* Runs to 'until' in fixed steps of 'dt', ignoring next_wake(). */
    void tick_to(int64_t until, int64_t dt)
    {
        step();
        while (now_ + dt <= until) {
            now_ += dt;
            step();
        }
    }

    int64_t now() const { return now_; }

    /* When member 'm' of 'node' last received a frame. */
    int64_t last_rx(Node &node, LacpMemberId m) { return last_rx_[{&node, m}]; }

    /* The times member 'm' of 'node' sent LACPDUs, in order. */
    std::vector<int64_t> lacpdu_times(const Node &node, LacpMemberId m) const
    {
        std::vector<int64_t> times;
        for (const Sent &s : sent_) {
            if (s.node == &node && s.member == m && s.subtype == kSlowSubtypeLacp) {
                times.push_back(s.time);
            }
        }
        return times;
    }

    /* LACPDUs member 'm' of 'node' sent in (from, to]. */
    size_t lacpdus_between(const Node &node, LacpMemberId m, int64_t from, int64_t to) const
    {
        size_t n = 0;
        for (int64_t t : lacpdu_times(node, m)) {
            n += t > from && t <= to;
        }
        return n;
    }

    size_t frames_sent() const { return sent_.size(); }

    /* Checks that no member sent more than 3 LACPDUs in any 1 s window. */
    void check_rate_limits() const
    {
        std::map<std::pair<const Node *, LacpMemberId>, std::vector<int64_t>> by_member;
        for (const Sent &s : sent_) {
            if (s.subtype == kSlowSubtypeLacp) {
                by_member[{s.node, s.member}].push_back(s.time);
            }
        }
        for (const auto &[who, times] : by_member) {
            for (size_t i = 0; i + kLacpMaxTxPerWindow < times.size(); i++) {
                EXPECT_GE(times[i + kLacpMaxTxPerWindow] - times[i], kLacpTxWindowMs)
                    << "node " << int(who.first->n) << " member " << who.second << " at "
                    << times[i];
            }
        }
    }

    /* Sees every frame sent, if set. */
    std::function<void(Node &, LacpMemberId, const Bytes &)> tap;

private:
    struct Cable {
        End a;
        End b;
        bool up;
    };

    const End *peer_of(const Node *node, LacpMemberId m) const
    {
        for (const Cable &c : cables_) {
            if (!c.up) {
                continue;
            }
            if (c.a.node == node && c.a.member == m) {
                return &c.b;
            }
            if (c.b.node == node && c.b.member == m) {
                return &c.a;
            }
        }
        return nullptr;
    }

    std::vector<Node *> nodes_;
    std::vector<Cable> cables_;
    std::vector<Sent> sent_;
    std::map<std::pair<Node *, LacpMemberId>, int64_t> last_rx_;
    int64_t now_ = 0;
};

/* Two bonds, A (node 1, settings 'sa') and B (node 2, settings 'sb'), with
 * 'members' members each, member i of A cabled to member i of B (cable
 * i - 1).  Tests take its parts apart: auto &[a, b, net, cables] = pair. */
struct Pair {
    Pair(const LacpSettings &sa, const LacpSettings &sb, int members)
        : a(1, sa, members), b(2, sb, members)
    {
        net.add(a);
        net.add(b);
        for (int i = 1; i <= members; i++) {
            cables.push_back(net.connect(a, i, b, i));
        }
    }

    Node a;
    Node b;
    Net net;
    std::vector<size_t> cables;
};

}  // namespace braid::ofproto::lacp_test

#endif  // BRAID_TESTS_LACP_NET_H
