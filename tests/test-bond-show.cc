/* Unit tests for the bond/list, bond/show and Linux-style bond texts
 * (ofproto/bond-show.cc).  Every test builds BondStatus values by hand and
 * compares whole texts or whole lines, so any change of wording, order or
 * spacing fails a test. */
#include <config.h>

#include "ofproto/bond-show.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace braid::ofproto {
namespace {

const EthAddr kMac1 = EthAddr::from_u64(0x303ea71192a9);
const EthAddr kMac2 = EthAddr::from_u64(0x303ea71192aa);
const EthAddr kMac3 = EthAddr::from_u64(0x001aa0128fcb);

/* The drops line of a bond whose counters are all zero. */
const std::string kNoDrops =
    "braid: drops: lacp-not-negotiated 0, disabled-member 0, backup-member 0, "
    "multicast-on-backup 0, unicast-on-wrong-member 0, tx-no-member 0\n";

BondMemberStatus make_member(const std::string &name, const EthAddr &mac, bool up)
{
    BondMemberStatus m;
    m.name = name;
    m.mac = mac;
    m.enabled = up;
    m.may_enable = up;
    m.carrier = up;
    return m;
}

/* A two-member active-backup bond, p1 active, p2 a healthy backup. */
BondStatus make_ab_bond()
{
    BondStatus b;
    b.name = "bond0";
    b.bridge = "br0";
    b.bond_id = 3;
    b.config.mode = BondMode::kActiveBackup;
    b.config.primary = "p1";
    b.active = "p1";
    b.active_mac = kMac1;
    b.carrier_ok = true;
    b.failovers = 2;
    b.members.push_back(make_member("p1", kMac1, true));
    b.members.push_back(make_member("p2", kMac2, true));
    b.members[0].active = true;
    b.members[0].primary = true;
    b.members[0].link_failures = 1;
    b.members[0].tx_packets = 123;
    b.members[0].tx_bytes = 4567;
    return b;
}

/* Whether 'text' has 'line' as one of its lines. */
bool has_line(const std::string &text, const std::string &line)
{
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l == line) {
            return true;
        }
    }
    return false;
}

/* The lines of 'text' that start with 'prefix'. */
std::vector<std::string> lines_with(const std::string &text, const std::string &prefix)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l.starts_with(prefix)) {
            lines.push_back(l);
        }
    }
    return lines;
}

/* ---- bond/list ------------------------------------------------------------ */

TEST(BondShow, ListEmpty)
{
    EXPECT_EQ(bond_list_text({}), "bond\ttype\trecircID\tmembers\n");
}

TEST(BondShow, ListKeepsConfigurationOrder)
{
    BondStatus a = make_ab_bond();
    std::swap(a.members[0], a.members[1]);
    BondStatus b;
    b.name = "bond1";
    b.bond_id = 7;
    b.config.mode = BondMode::kBalanceSlb;
    b.members.push_back(make_member("eth9", kMac3, true));
    EXPECT_EQ(bond_list_text({a, b}),
              "bond\ttype\trecircID\tmembers\n"
              "bond0\tactive-backup\t3\tp2, p1\n"
              "bond1\tbalance-slb\t7\teth9\n");
}

/* ---- bond/show: whole texts --------------------------------------------- */

TEST(BondShow, ActiveBackupFull)
{
    BondStatus b = make_ab_bond();
    b.members[1].prio = 5;
    b.members[1].arp_missed = 1;
    b.drops[size_t(dp::BondDrop::kBackupMember)] = 12;
    EXPECT_EQ(bond_show_text(b),
              "---- bond0 ----\n"
              "bond_mode: active-backup\n"
              "bond may use recirculation: no, Recirc-ID : -1\n"
              "bond-hash-basis: 0\n"
              "lb_output action: disabled, bond-id: -1\n"
              "updelay: 0 ms\n"
              "downdelay: 0 ms\n"
              "lacp_status: off\n"
              "lacp_fallback_ab: false\n"
              "active-backup primary: p1\n"
              "active member mac: 30:3e:a7:11:92:a9(p1)\n"
              "\n"
              "member p1: enabled\n"
              "  active member\n"
              "  may_enable: true\n"
              "\n"
              "member p2: enabled\n"
              "  may_enable: true\n"
              "\n"
              "braid: bridge br0, datapath bond-id 3, failovers 2, carrier ok\n"
              "braid: xmit-hash-policy layer2, detect-mode carrier, min-links 0, "
              "rebalance-interval 10000 ms\n"
              "braid: drops: lacp-not-negotiated 0, disabled-member 0, backup-member 12, "
              "multicast-on-backup 0, unicast-on-wrong-member 0, tx-no-member 0\n"
              "braid: member p1: carrier up, admin-disabled false, link failures 1, "
              "tx 123 packets 4567 bytes, prio 0, arp missed 0\n"
              "braid: member p2: carrier up, admin-disabled false, link failures 0, "
              "tx 0 packets 0 bytes, prio 5, arp missed 1\n");
}

TEST(BondShow, SlbWithBucketsFull)
{
    BondStatus b;
    b.name = "bond0";
    b.bridge = "br-int";
    b.bond_id = 1;
    b.config.mode = BondMode::kBalanceSlb;
    b.config.hash_basis = 42;
    b.config.updelay = 100;
    b.config.downdelay = 50;
    b.config.lacp_fallback_ab = true;
    b.config.xmit_hash_policy = XmitHashPolicy::kLayer23;
    b.config.min_links = 1;
    b.config.rebalance_interval = 5000;
    b.next_rebalance = 9876;
    b.active = "p1";
    b.active_mac = kMac1;
    b.carrier_ok = false;
    b.drops[size_t(dp::BondDrop::kMulticastBackup)] = 3;
    b.drops[size_t(dp::BondDrop::kNoMember)] = 9;

    /* Given out of name order: bond/show sorts by name. */
    BondMemberStatus p2 = make_member("p2", kMac2, false);
    p2.carrier = true;
    p2.delay_remaining = 100;
    p2.delay_is_up = true;
    p2.admin_disabled = true;
    BondMemberStatus p1 = make_member("p1", kMac1, true);
    p1.active = true;
    p1.tx_packets = 10;
    p1.tx_bytes = 5000;
    /* 3 kB, 1 kB exactly, just under 1 kB (hidden), 2 kB rounded down. */
    p1.buckets = {{12, 3 * 1024}, {200, 1024}, {7, 1023}, {0, 2 * 1024 + 1023}};
    b.members = {p2, p1};

    EXPECT_EQ(bond_show_text(b),
              "---- bond0 ----\n"
              "bond_mode: balance-slb\n"
              "bond may use recirculation: no, Recirc-ID : -1\n"
              "bond-hash-basis: 42\n"
              "lb_output action: disabled, bond-id: -1\n"
              "all members active: false\n"
              "updelay: 100 ms\n"
              "downdelay: 50 ms\n"
              "next rebalance: 9876 ms\n"
              "lacp_status: off\n"
              "lacp_fallback_ab: true\n"
              "active-backup primary: <none>\n"
              "active member mac: 30:3e:a7:11:92:a9(p1)\n"
              "\n"
              "member p1: enabled\n"
              "  active member\n"
              "  may_enable: true\n"
              "  hash 12: 3 kB load\n"
              "  hash 200: 1 kB load\n"
              "  hash 0: 2 kB load\n"
              "\n"
              "member p2: disabled\n"
              "  may_enable: false\n"
              "  updelay expires in 100 ms\n"
              "\n"
              "braid: bridge br-int, datapath bond-id 1, failovers 0, carrier down\n"
              "braid: xmit-hash-policy layer2+3, detect-mode carrier, min-links 1, "
              "rebalance-interval 5000 ms\n"
              "braid: drops: lacp-not-negotiated 0, disabled-member 0, backup-member 0, "
              "multicast-on-backup 3, unicast-on-wrong-member 0, tx-no-member 9\n"
              "braid: member p1: carrier up, admin-disabled false, link failures 0, "
              "tx 10 packets 5000 bytes, prio 0, arp missed 0\n"
              "braid: member p2: carrier up, admin-disabled true, link failures 0, "
              "tx 0 packets 0 bytes, prio 0, arp missed 0\n");
}

/* ---- bond/show: single lines ------------------------------------------- */

TEST(BondShow, AllMembersActiveOnlyForSlb)
{
    BondStatus b = make_ab_bond();
    b.config.all_members_active = true;
    EXPECT_TRUE(lines_with(bond_show_text(b), "all members active").empty());
    b.config.mode = BondMode::kBalanceSlb;
    EXPECT_TRUE(has_line(bond_show_text(b), "all members active: true"));
    b.config.mode = BondMode::kBalanceTcp;
    EXPECT_TRUE(lines_with(bond_show_text(b), "all members active").empty());
}

TEST(BondShow, NextRebalanceOnlyWhenSet)
{
    BondStatus b = make_ab_bond();
    EXPECT_TRUE(lines_with(bond_show_text(b), "next rebalance").empty());
    b.next_rebalance = -20;
    std::string text = bond_show_text(b);
    EXPECT_TRUE(has_line(text, "next rebalance: -20 ms"));
    /* It comes right after downdelay. */
    EXPECT_NE(text.find("downdelay: 0 ms\nnext rebalance: -20 ms\nlacp_status: off\n"),
              std::string::npos);
}

TEST(BondShow, LbOutputForBalanceTcp)
{
    BondStatus b = make_ab_bond();
    b.config.mode = BondMode::kBalanceTcp;
    b.bond_id = 17;
    b.lacp_status = "negotiated";
    std::string text = bond_show_text(b);
    EXPECT_TRUE(has_line(text, "bond_mode: balance-tcp"));
    EXPECT_TRUE(has_line(text, "lb_output action: enabled, bond-id: 17"));
    EXPECT_TRUE(has_line(text, "bond may use recirculation: no, Recirc-ID : -1"));
    EXPECT_TRUE(has_line(text, "lacp_status: negotiated"));
}

TEST(BondShow, PrimaryNoneAndMissing)
{
    BondStatus b = make_ab_bond();
    b.config.primary = "";
    EXPECT_TRUE(has_line(bond_show_text(b), "active-backup primary: <none>"));
    b.config.primary = "p9";
    EXPECT_TRUE(has_line(bond_show_text(b), "active-backup primary: p9 (no such member)"));
    b.config.primary = "p2";
    EXPECT_TRUE(has_line(bond_show_text(b), "active-backup primary: p2"));
}

TEST(BondShow, NoActiveMember)
{
    BondStatus b = make_ab_bond();
    b.active.reset();
    b.active_mac = EthAddr();
    b.members[0].active = false;
    b.members[0].enabled = false;
    b.members[1].enabled = false;
    std::string text = bond_show_text(b);
    EXPECT_TRUE(has_line(text, "active member mac: 00:00:00:00:00:00(none)"));
    EXPECT_TRUE(lines_with(text, "  active member").empty());
    EXPECT_TRUE(has_line(text, "member p1: disabled"));
    EXPECT_TRUE(has_line(text, "member p2: disabled"));
}

TEST(BondShow, PendingDelays)
{
    BondStatus b = make_ab_bond();
    b.members[0].delay_remaining = 250;
    b.members[0].delay_is_up = false;
    b.members[1].delay_remaining = -5;
    b.members[1].delay_is_up = true;
    b.members[1].may_enable = true;
    b.members[1].enabled = false;
    std::string text = bond_show_text(b);
    EXPECT_NE(text.find("member p1: enabled\n"
                        "  active member\n"
                        "  may_enable: true\n"
                        "  downdelay expires in 250 ms\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("member p2: disabled\n"
                        "  may_enable: true\n"
                        "  updelay expires in -5 ms\n"),
              std::string::npos)
        << text;
}

TEST(BondShow, RejectedConfiguration)
{
    BondStatus b = make_ab_bond();
    EXPECT_TRUE(lines_with(bond_show_text(b), "braid: rejected").empty());
    b.config_error = "bond-mode: unknown mode \"foo\"";
    std::string text = bond_show_text(b);
    EXPECT_EQ(lines_with(text, "braid: rejected"),
              std::vector<std::string>{"braid: rejected configuration: bond-mode: unknown mode "
                                       "\"foo\""});
    /* Between the configuration line and the drops line. */
    EXPECT_NE(text.find("rebalance-interval 10000 ms\n"
                        "braid: rejected configuration: bond-mode: unknown mode \"foo\"\n"
                        "braid: drops: "),
              std::string::npos);
}

TEST(BondShow, DropsListEveryReason)
{
    BondStatus b = make_ab_bond();
    EXPECT_EQ(lines_with(bond_show_text(b), "braid: drops:"),
              std::vector<std::string>{kNoDrops.substr(0, kNoDrops.size() - 1)});
    for (size_t i = 0; i < b.drops.size(); i++) {
        b.drops[i] = 1000 + i;
    }
    EXPECT_TRUE(has_line(bond_show_text(b),
                         "braid: drops: lacp-not-negotiated 1000, disabled-member 1001, "
                         "backup-member 1002, multicast-on-backup 1003, "
                         "unicast-on-wrong-member 1004, tx-no-member 1005"));
}

TEST(BondShow, DetectModeAndPolicyLine)
{
    BondStatus b = make_ab_bond();
    b.config.detect_mode = BondDetectMode::kMiimon;
    b.config.xmit_hash_policy = XmitHashPolicy::kVlanSrcMac;
    b.config.min_links = 2;
    b.config.rebalance_interval = 0;
    EXPECT_TRUE(has_line(bond_show_text(b),
                         "braid: xmit-hash-policy vlan+srcmac, detect-mode miimon, min-links 2, "
                         "rebalance-interval 0 ms"));
}

TEST(BondShow, NoMembers)
{
    BondStatus b;
    b.name = "bond9";
    b.bridge = "br0";
    EXPECT_EQ(bond_show_text(b),
              "---- bond9 ----\n"
              "bond_mode: active-backup\n"
              "bond may use recirculation: no, Recirc-ID : -1\n"
              "bond-hash-basis: 0\n"
              "lb_output action: disabled, bond-id: -1\n"
              "updelay: 0 ms\n"
              "downdelay: 0 ms\n"
              "lacp_status: off\n"
              "lacp_fallback_ab: false\n"
              "active-backup primary: <none>\n"
              "active member mac: 00:00:00:00:00:00(none)\n"
              "\n"
              "braid: bridge br0, datapath bond-id 0, failovers 0, carrier down\n"
              "braid: xmit-hash-policy layer2, detect-mode carrier, min-links 0, "
              "rebalance-interval 10000 ms\n" +
                  kNoDrops);
}

TEST(BondShow, ShowAllSeparatesBonds)
{
    EXPECT_EQ(bond_show_all_text({}), "");
    BondStatus a = make_ab_bond();
    BondStatus b = make_ab_bond();
    b.name = "bond1";
    EXPECT_EQ(bond_show_all_text({a}), bond_show_text(a));
    EXPECT_EQ(bond_show_all_text({a, b}), bond_show_text(a) + "\n" + bond_show_text(b));
}

/* ---- Linux view --------------------------------------------------------- */

const std::string kDriverLine =
    std::string("Ethernet Channel Bonding Driver: Braid ") + PACKAGE_VERSION + "\n";

TEST(BondShow, LinuxActiveBackupFull)
{
    BondStatus b = make_ab_bond();
    b.config.detect_mode = BondDetectMode::kMiimon;
    b.config.miimon_interval = 100;
    b.config.updelay = 200;
    b.config.downdelay = 300;
    b.config.peer_notif_delay = 400;
    b.members[1].link_failures = 4;
    EXPECT_EQ(bond_show_linux_text(b),
              kDriverLine +
                  "\n"
                  "Bonding Mode: fault-tolerance (active-backup)\n"
                  "Primary Slave: p1 (primary_reselect always)\n"
                  "Currently Active Slave: p1\n"
                  "MII Status: up\n"
                  "MII Polling Interval (ms): 100\n"
                  "Up Delay (ms): 200\n"
                  "Down Delay (ms): 300\n"
                  "Peer Notification Delay (ms): 400\n"
                  "\n"
                  "Slave Interface: p1\n"
                  "MII Status: up\n"
                  "Speed: Unknown\n"
                  "Duplex: Unknown\n"
                  "Link Failure Count: 1\n"
                  "Permanent HW addr: 30:3e:a7:11:92:a9\n"
                  "Slave queue ID: 0\n"
                  "\n"
                  "Slave Interface: p2\n"
                  "MII Status: up\n"
                  "Speed: Unknown\n"
                  "Duplex: Unknown\n"
                  "Link Failure Count: 4\n"
                  "Permanent HW addr: 30:3e:a7:11:92:aa\n"
                  "Slave queue ID: 0\n");
}

TEST(BondShow, LinuxXorFull)
{
    BondStatus b;
    b.name = "bond1";
    b.config.mode = BondMode::kBalanceXor;
    b.config.xmit_hash_policy = XmitHashPolicy::kLayer34;
    b.config.primary = "eth1";          /* Not used by balance-xor. */
    b.active = "eth1";
    b.carrier_ok = false;
    /* Configuration order, not name order. */
    b.members.push_back(make_member("eth1", kMac3, false));
    b.members.push_back(make_member("eth0", kMac1, false));
    EXPECT_EQ(bond_show_linux_text(b),
              kDriverLine +
                  "\n"
                  "Bonding Mode: load balancing (xor)\n"
                  "Transmit Hash Policy: layer3+4 (1)\n"
                  "MII Status: down\n"
                  "MII Polling Interval (ms): 0\n"
                  "Up Delay (ms): 0\n"
                  "Down Delay (ms): 0\n"
                  "Peer Notification Delay (ms): 0\n"
                  "\n"
                  "Slave Interface: eth1\n"
                  "MII Status: down\n"
                  "Speed: Unknown\n"
                  "Duplex: Unknown\n"
                  "Link Failure Count: 0\n"
                  "Permanent HW addr: 00:1a:a0:12:8f:cb\n"
                  "Slave queue ID: 0\n"
                  "\n"
                  "Slave Interface: eth0\n"
                  "MII Status: down\n"
                  "Speed: Unknown\n"
                  "Duplex: Unknown\n"
                  "Link Failure Count: 0\n"
                  "Permanent HW addr: 30:3e:a7:11:92:a9\n"
                  "Slave queue ID: 0\n");
}

TEST(BondShow, LinuxLacp)
{
    BondStatus b;
    b.name = "bond0";
    b.config.mode = BondMode::k8023ad;
    b.config.min_links = 1;
    b.carrier_ok = true;
    b.members.push_back(make_member("eth0", kMac1, true));
    b.members.push_back(make_member("eth1", kMac3, true));
    LacpStatus l;
    l.settings.active = true;
    l.settings.fast = true;
    l.settings.system_id = kMac1;
    l.settings.system_priority = 100;
    l.settings.ad_select = LacpAdSelect::kCount;
    l.active_aggregator = 4;
    LacpAggregatorStatus standby;
    standby.id = 3;
    l.aggregators.push_back(standby);
    LacpAggregatorStatus agg;
    agg.id = 4;
    agg.active = true;
    agg.actor_key = 7;
    agg.partner_key = 9;
    agg.partner_system = kMac3;
    agg.members = {11};
    l.aggregators.push_back(agg);
    LacpMemberStatus m;
    m.id = 11;
    m.aggregator = 4;
    m.actor_churn = LacpChurnState::kNoChurn;
    m.partner_churn = LacpChurnState::kChurn;
    m.stats.partner_churns = 2;
    m.actor = LacpPortInfo{100, kMac1, 7, 255, 1, 0x3f};
    m.partner = LacpPortInfo{1, kMac3, 9, 128, 5, 0x3d};
    l.members.push_back(m);
    b.lacp = l;
    b.lacp_ids = {{"eth0", 11}};        /* eth1 takes no part. */
    EXPECT_EQ(bond_show_linux_text(b),
              kDriverLine +
                  "\n"
                  "Bonding Mode: IEEE 802.3ad Dynamic link aggregation\n"
                  "Transmit Hash Policy: layer2 (0)\n"
                  "MII Status: up\n"
                  "MII Polling Interval (ms): 0\n"
                  "Up Delay (ms): 0\n"
                  "Down Delay (ms): 0\n"
                  "Peer Notification Delay (ms): 0\n"
                  "\n"
                  "802.3ad info\n"
                  "LACP active: on\n"
                  "LACP rate: fast\n"
                  "Min links: 1\n"
                  "Aggregator selection policy (ad_select): count\n"
                  "System priority: 100\n"
                  "System MAC address: 30:3e:a7:11:92:a9\n"
                  "Active Aggregator Info:\n"
                  "\tAggregator ID: 4\n"
                  "\tNumber of ports: 1\n"
                  "\tActor Key: 7\n"
                  "\tPartner Key: 9\n"
                  "\tPartner Mac Address: 00:1a:a0:12:8f:cb\n"
                  "\n"
                  "Slave Interface: eth0\n"
                  "MII Status: up\n"
                  "Speed: Unknown\n"
                  "Duplex: Unknown\n"
                  "Link Failure Count: 0\n"
                  "Permanent HW addr: 30:3e:a7:11:92:a9\n"
                  "Slave queue ID: 0\n"
                  "Aggregator ID: 4\n"
                  "Actor Churn State: none\n"
                  "Partner Churn State: churned\n"
                  "Actor Churned Count: 0\n"
                  "Partner Churned Count: 2\n"
                  "details actor lacp pdu:\n"
                  "    system priority: 100\n"
                  "    system mac address: 30:3e:a7:11:92:a9\n"
                  "    port key: 7\n"
                  "    port priority: 255\n"
                  "    port number: 1\n"
                  "    port state: 63\n"
                  "details partner lacp pdu:\n"
                  "    system priority: 1\n"
                  "    system mac address: 00:1a:a0:12:8f:cb\n"
                  "    port key: 9\n"
                  "    port priority: 128\n"
                  "    port number: 5\n"
                  "    port state: 61\n"
                  "\n"
                  "Slave Interface: eth1\n"
                  "MII Status: up\n"
                  "Speed: Unknown\n"
                  "Duplex: Unknown\n"
                  "Link Failure Count: 0\n"
                  "Permanent HW addr: 00:1a:a0:12:8f:cb\n"
                  "Slave queue ID: 0\n");
}

TEST(BondShow, LinuxArpMonitor)
{
    BondStatus b = make_ab_bond();
    b.config.detect_mode = BondDetectMode::kArp;
    b.config.miimon_interval = 200;     /* Ignored: not miimon. */
    b.config.arp_interval = 1000;
    b.config.arp_missed_max = 3;
    b.config.arp_targets = {*ipv4_parse("10.0.0.1"), *ipv4_parse("192.0.2.254")};
    std::string text = bond_show_linux_text(b);
    EXPECT_NE(text.find("MII Polling Interval (ms): 0\n"
                        "Up Delay (ms): 0\n"
                        "Down Delay (ms): 0\n"
                        "Peer Notification Delay (ms): 0\n"
                        "ARP Polling Interval (ms): 1000\n"
                        "ARP Missed Max: 3\n"
                        "ARP IP target/s (n.n.n.n form): 10.0.0.1, 192.0.2.254\n"
                        "NS IPv6 target/s (xx::xx form):\n"
                        "\n"
                        "Slave Interface: p1\n"),
              std::string::npos)
        << text;

    b.config.detect_mode = BondDetectMode::kNs;
    b.config.arp_targets.clear();
    b.config.ns_targets = {*In6Addr::parse("2001:db8::1"), *In6Addr::parse("fe80::2")};
    text = bond_show_linux_text(b);
    EXPECT_TRUE(has_line(text, "ARP IP target/s (n.n.n.n form):"));
    EXPECT_TRUE(has_line(text, "NS IPv6 target/s (xx::xx form): 2001:db8::1, fe80::2"));

    /* Neither line without the ARP/NS monitor. */
    b.config.detect_mode = BondDetectMode::kCarrier;
    text = bond_show_linux_text(b);
    EXPECT_TRUE(lines_with(text, "ARP").empty());
    EXPECT_TRUE(lines_with(text, "NS IPv6").empty());
}

TEST(BondShow, LinuxPrimaryAndActiveNone)
{
    BondStatus b = make_ab_bond();
    b.config.primary = "";
    b.active.reset();
    std::string text = bond_show_linux_text(b);
    EXPECT_NE(text.find("Bonding Mode: fault-tolerance (active-backup)\n"
                        "Primary Slave: None\n"
                        "Currently Active Slave: None\n"
                        "MII Status: up\n"),
              std::string::npos)
        << text;

    /* A primary that is not a member is not shown, as in Linux. */
    b.config.primary = "p9";
    EXPECT_TRUE(has_line(bond_show_linux_text(b), "Primary Slave: None"));

    b.config.primary = "p2";
    b.config.primary_reselect = PrimaryReselect::kFailure;
    b.active = "p2";
    text = bond_show_linux_text(b);
    EXPECT_TRUE(has_line(text, "Primary Slave: p2 (primary_reselect failure)"));
    EXPECT_TRUE(has_line(text, "Currently Active Slave: p2"));
}

TEST(BondShow, LinuxMemberLinkStates)
{
    BondStatus b = make_ab_bond();
    b.members[0].delay_remaining = 100;
    b.members[0].delay_is_up = false;
    b.members[1].enabled = false;
    b.members[1].delay_remaining = 100;
    b.members[1].delay_is_up = true;
    BondMemberStatus p3 = make_member("p3", kMac3, false);
    b.members.push_back(p3);
    EXPECT_EQ(lines_with(bond_show_linux_text(b), "MII Status:"),
              (std::vector<std::string>{"MII Status: up", "MII Status: going down",
                                        "MII Status: going back", "MII Status: down"}));
}

TEST(BondShow, LinuxModeNamesAndHashPolicy)
{
    struct Case {
        BondMode mode;
        const char *text;
        bool hash;
        bool primary;
    };
    const Case cases[] = {
        {BondMode::kBalanceRr, "load balancing (round-robin)", false, false},
        {BondMode::kActiveBackup, "fault-tolerance (active-backup)", false, true},
        {BondMode::kBalanceXor, "load balancing (xor)", true, false},
        {BondMode::kBroadcast, "fault-tolerance (broadcast)", false, false},
        {BondMode::k8023ad, "IEEE 802.3ad Dynamic link aggregation", true, false},
        {BondMode::kBalanceTlb, "transmit load balancing", true, true},
        {BondMode::kBalanceAlb, "adaptive load balancing", true, true},
        {BondMode::kBalanceSlb, "load balancing (slb, Open vSwitch)", false, false},
        {BondMode::kBalanceTcp, "load balancing (tcp, Open vSwitch)", false, false},
    };
    for (const Case &c : cases) {
        BondStatus b = make_ab_bond();
        b.config.mode = c.mode;
        b.config.xmit_hash_policy = XmitHashPolicy::kLayer23;
        std::string text = bond_show_linux_text(b);
        SCOPED_TRACE(c.text);
        EXPECT_TRUE(has_line(text, std::string("Bonding Mode: ") + c.text));
        EXPECT_EQ(has_line(text, "Transmit Hash Policy: layer2+3 (2)"), c.hash);
        EXPECT_EQ(lines_with(text, "Transmit Hash Policy").size(), c.hash ? 1u : 0u);
        EXPECT_EQ(has_line(text, "Primary Slave: p1 (primary_reselect always)"), c.primary);
        EXPECT_EQ(has_line(text, "Currently Active Slave: p1"), c.primary);
    }

    const std::pair<XmitHashPolicy, const char *> policies[] = {
        {XmitHashPolicy::kLayer2, "Transmit Hash Policy: layer2 (0)"},
        {XmitHashPolicy::kLayer34, "Transmit Hash Policy: layer3+4 (1)"},
        {XmitHashPolicy::kLayer23, "Transmit Hash Policy: layer2+3 (2)"},
        {XmitHashPolicy::kEncap23, "Transmit Hash Policy: encap2+3 (3)"},
        {XmitHashPolicy::kEncap34, "Transmit Hash Policy: encap3+4 (4)"},
        {XmitHashPolicy::kVlanSrcMac, "Transmit Hash Policy: vlan+srcmac (5)"},
    };
    for (const auto &[policy, line] : policies) {
        BondStatus b = make_ab_bond();
        b.config.mode = BondMode::k8023ad;
        b.config.xmit_hash_policy = policy;
        EXPECT_TRUE(has_line(bond_show_linux_text(b), line)) << line;
    }
}

}  // namespace
}  // namespace braid::ofproto
