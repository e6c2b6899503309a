/* Scenario tests of bonds, with dummy ports: a "vm" port and a bond of
 * dummy members on br0.  Frames go in with netdev-dummy/receive and come
 * out in each port's tx_pcap capture; links fail with
 * netdev-dummy/set-carrier; the clock is stopped and warped. */
#include <config.h>

#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lib/flow.h"
#include "lib/dp-bond.h"
#include "lib/hash.h"
#include "lib/packet-compose.h"
#include "lib/pcap-file.h"
#include "lib/xmit-hash.h"
#include "tests/frame-builder.h"
#include "tests/sandbox.h"

namespace braid::test {
namespace {

EthAddr mac(uint8_t last, uint8_t first = 0x02, uint8_t mid = 0)
{
    return EthAddr{{first, 0, 0, 0, mid, last}};
}

Bytes broadcast(EthAddr src)
{
    return concat({eth(kEthTypeArp, kEthAddrBroadcast, src), arp(kArpOpRequest, src)});
}

Bytes unicast(EthAddr src, EthAddr dst)
{
    return concat({eth(kEthTypeArp, dst, src), arp(kArpOpReply, src)});
}

/* A gratuitous ARP request from 'src'. */
Bytes garp(EthAddr src)
{
    return concat({eth(kEthTypeArp, kEthAddrBroadcast, src),
                   arp(kArpOpRequest, src, ip4(192, 0, 2, 9), EthAddr{}, ip4(192, 0, 2, 9))});
}

class BondScenario : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(sb_.start({"--enable-dummy=override"})) << sb_.last_error();
        vsctl({"add-br", "br0"});
        ASSERT_EQ(sb_.appctl({"time/stop"}).status, 0);
    }
    void TearDown() override { EXPECT_EQ(sb_.unexpected_log_lines(allowed_), ""); }

    RunResult vsctl(const std::vector<std::string> &args)
    {
        std::vector<std::string> argv = {"ovs-vsctl", "--timeout=5"};
        argv.insert(argv.end(), args.begin(), args.end());
        RunResult r = sb_.run(argv);
        EXPECT_EQ(r.status, 0) << r.err;
        return r;
    }

    std::vector<std::string> pcap_settings(const std::string &iface)
    {
        return {"--", "set", "Interface", iface, "options:tx_pcap=" + sb_.path(iface + ".pcap")};
    }

    void add_port(const std::string &name)
    {
        std::vector<std::string> args = {"add-port", "br0", name};
        for (const std::string &s : pcap_settings(name)) {
            args.push_back(s);
        }
        vsctl(args);
    }

    /* Adds bond 'name' of 'members' with Port settings 'settings' (such as
     * "bond_mode=balance-slb" or "other_config:bond-primary=b"). */
    void add_bond(const std::string &name, const std::vector<std::string> &members,
                  const std::vector<std::string> &settings = {})
    {
        std::vector<std::string> args = {"add-bond", "br0", name};
        args.insert(args.end(), members.begin(), members.end());
        args.insert(args.end(), settings.begin(), settings.end());
        for (const std::string &m : members) {
            for (const std::string &s : pcap_settings(m)) {
                args.push_back(s);
            }
        }
        vsctl(args);
    }

    void inject(const std::string &port, const std::vector<Bytes> &frames)
    {
        RunResult r = sb_.receive(port, frames);
        ASSERT_EQ(r.status, 0) << r.err;
        sync();
    }

    void sync() { ASSERT_EQ(sb_.appctl({"dpif-netdev/sync"}).status, 0); }

    void carrier(const std::string &iface, bool up)
    {
        ASSERT_EQ(sb_.appctl({"netdev-dummy/set-carrier", iface, up ? "up" : "down"}).status, 0);
        /* The device-change notification runs on the main loop before the
         * next command. */
        sb_.appctl({"version"});
        sync();
    }

    void warp(int64_t ms)
    {
        ASSERT_EQ(sb_.appctl({"time/warp", std::to_string(ms)}).status, 0);
        sync();
    }

    std::vector<Bytes> sent(const std::string &port)
    {
        std::string error;
        auto frames = pcap_read_all(sb_.path(port + ".pcap"), &error);
        EXPECT_TRUE(frames) << error;
        return frames.value_or(std::vector<Bytes>{});
    }

    /* Frames 'port' sent that are neither learning packets (RARP) nor
     * LACP's own. */
    std::vector<Bytes> sent_data(const std::string &port)
    {
        std::vector<Bytes> v;
        for (const Bytes &f : sent(port)) {
            FlowKey key{};
            flow_extract(f, key);
            if (key.dl_type.value() != kEthTypeRarp && key.dl_type.value() != kEthTypeSlow) {
                v.push_back(f);
            }
        }
        return v;
    }

    std::vector<Bytes> sent_rarps(const std::string &port)
    {
        std::vector<Bytes> v;
        for (const Bytes &f : sent(port)) {
            FlowKey key{};
            flow_extract(f, key);
            if (key.dl_type.value() == kEthTypeRarp) {
                v.push_back(f);
            }
        }
        return v;
    }

    std::string appctl_out(const std::vector<std::string> &args)
    {
        RunResult r = sb_.appctl(args);
        EXPECT_EQ(r.status, 0) << r.err;
        return r.out;
    }

    std::string show(const std::string &bond = "bond0") { return appctl_out({"bond/show", bond}); }

    /* The "link failures" count of bond0's member 'member'. */
    uint64_t link_failures(const std::string &member)
    {
        std::smatch m;
        std::string s = show();
        if (!std::regex_search(s, m, std::regex("member " + member
                                                + ": carrier \\w+, .*link failures (\\d+)"))) {
            ADD_FAILURE() << s;
            return 0;
        }
        return std::stoull(m[1]);
    }

    Sandbox sb_;
    std::vector<std::regex> allowed_{std::regex("bond bond0: all members disabled"),
                                     std::regex("rejected configuration")};
};

TEST_F(BondScenario, ActiveBackupSendsOnTheActiveMemberAndFailsOver)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"});
    std::string s = show();
    EXPECT_TRUE(contains(s, "bond_mode: active-backup\n")) << s;
    EXPECT_TRUE(contains(s, "member a: enabled\n  active member\n")) << s;
    EXPECT_TRUE(contains(s, "member b: enabled\n")) << s;

    Bytes hello = broadcast(mac(1));
    inject("vm", {hello});
    EXPECT_EQ(sent_data("a"), std::vector<Bytes>{hello});
    EXPECT_TRUE(sent_data("b").empty());

    /* The backup member receives nothing. */
    inject("b", {broadcast(mac(50))});
    EXPECT_TRUE(sent("vm").empty());
    EXPECT_TRUE(contains(show(), "backup-member 1")) << show();
    inject("a", {broadcast(mac(50))});
    EXPECT_EQ(sent("vm").size(), 1u);

    /* Carrier loss: b takes over at once, and the switch learns the VM's
     * MAC on b from a RARP. */
    carrier("a", false);
    s = show();
    EXPECT_TRUE(contains(s, "member a: disabled\n")) << s;
    EXPECT_TRUE(contains(s, "member b: enabled\n  active member\n")) << s;
    std::vector<Bytes> rarps = sent_rarps("b");
    ASSERT_EQ(rarps.size(), 1u);
    FlowKey key{};
    flow_extract(rarps[0], key);
    EXPECT_EQ(key.dl_src, mac(1));
    EXPECT_TRUE(key.dl_dst.is_broadcast());
    inject("vm", {hello});
    EXPECT_EQ(sent_data("b"), std::vector<Bytes>{hello});
    EXPECT_EQ(sent_data("a").size(), 1u);

    /* a comes back: with the default primary-less setup b stays active. */
    carrier("a", true);
    s = show();
    EXPECT_TRUE(contains(s, "member a: enabled\n  may_enable: true\n")) << s;
    EXPECT_TRUE(contains(s, "member b: enabled\n  active member\n")) << s;

    /* The database holds the active member's MAC. */
    RunResult r = vsctl({"get", "Port", "bond0", "bond_active_slave"});
    RunResult mac_b = vsctl({"get", "Interface", "b", "mac_in_use"});
    EXPECT_TRUE(sb_.wait_until([&] {
        return vsctl({"get", "Port", "bond0", "bond_active_slave"}).out == mac_b.out;
    })) << r.out << " vs " << mac_b.out;
}

TEST_F(BondScenario, UpdelayAndDowndelayOnTheWarpedClock)
{
    add_bond("bond0", {"a", "b"}, {"bond_updelay=1000", "bond_downdelay=500"});
    carrier("b", false);
    std::string s = show();
    EXPECT_TRUE(contains(s, "member b: enabled\n  may_enable: false\n  downdelay expires in 500 ms"))
        << s;
    warp(499);
    EXPECT_TRUE(contains(show(), "member b: enabled\n")) << show();
    warp(1);
    EXPECT_TRUE(contains(show(), "member b: disabled\n")) << show();

    carrier("b", true);
    EXPECT_TRUE(contains(show(), "  updelay expires in 1000 ms")) << show();
    /* Flapping back cancels the delay. */
    carrier("b", false);
    EXPECT_FALSE(contains(show(), "expires in")) << show();
    carrier("b", true);
    warp(1000);
    EXPECT_TRUE(contains(show(), "member b: enabled\n")) << show();

    /* With no member enabled, the first to come up is used at once. */
    carrier("a", false);
    carrier("b", false);
    warp(500);
    EXPECT_FALSE(contains(show(), ": enabled")) << show();
    carrier("a", true);
    s = show();
    EXPECT_TRUE(contains(s, "member a: enabled\n  active member\n")) << s;
}

TEST_F(BondScenario, PrimaryAndReselectPolicies)
{
    add_bond("bond0", {"a", "b", "c"}, {"other_config:bond-primary=b"});
    EXPECT_TRUE(contains(show(), "member b: enabled\n  active member\n")) << show();
    EXPECT_TRUE(contains(show(), "active-backup primary: b\n")) << show();

    /* always: the primary takes over again as soon as it is back. */
    carrier("b", false);
    EXPECT_FALSE(contains(show(), "member b: enabled\n  active member\n"));
    carrier("b", true);
    EXPECT_TRUE(contains(show(), "member b: enabled\n  active member\n")) << show();

    /* failure: it waits for the active member to fail. */
    vsctl({"set", "Port", "bond0", "other_config:bond-primary-reselect=failure"});
    carrier("b", false);
    std::string s = show();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(s, m, std::regex("member (\\w): enabled\n  active member")));
    std::string other = m[1];
    carrier("b", true);
    EXPECT_TRUE(contains(show(), "member " + other + ": enabled\n  active member\n")) << show();
    carrier(other, false);
    EXPECT_TRUE(contains(show(), "member b: enabled\n  active member\n")) << show();
    carrier(other, true);

    /* better: only when the primary's bond-member-prio is higher. */
    vsctl({"set", "Port", "bond0", "other_config:bond-primary-reselect=better"});
    vsctl({"set", "Interface", "a", "other_config:bond-member-prio=10"});
    vsctl({"set", "Interface", "c", "other_config:bond-member-prio=10"});
    carrier("b", false);
    s = show();
    ASSERT_TRUE(std::regex_search(s, m, std::regex("member (\\w): enabled\n  active member")));
    other = m[1];
    carrier("b", true);
    EXPECT_TRUE(contains(show(), "member " + other + ": enabled\n  active member\n"))
        << "prio 0 primary is not better than prio 10\n" << show();
    vsctl({"set", "Interface", "b", "other_config:bond-member-prio=20"});
    carrier("b", false);
    carrier("b", true);
    EXPECT_TRUE(contains(show(), "member b: enabled\n  active member\n")) << show();
}

TEST_F(BondScenario, SlbSpreadsMacsAndRebalancesAtOnceWhenAMemberReturns)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"}, {"bond_mode=balance-slb",
                                   "other_config:bond-rebalance-interval=0"});
    std::vector<Bytes> frames;
    for (int i = 0; i < 200; i++) {
        frames.push_back(broadcast(mac(uint8_t(i), 0x02, uint8_t(i >> 8) + 1)));
    }
    inject("vm", frames);
    size_t na = sent_data("a").size(), nb = sent_data("b").size();
    EXPECT_EQ(na + nb, 200u) << "each frame once";
    EXPECT_GT(na, 60u);
    EXPECT_GT(nb, 60u);

    /* Each MAC sticks to its member, as bond/hash and the buckets say. */
    inject("vm", frames);
    EXPECT_EQ(sent_data("a").size(), 2 * na);

    carrier("b", false);
    inject("vm", frames);
    EXPECT_EQ(sent_data("a").size(), 3 * na + nb) << "all on a";

    /* b is back: it gets half the buckets at once, rebalancing off. */
    carrier("b", true);
    inject("vm", frames);
    size_t nb2 = sent_data("b").size() - nb;
    EXPECT_GT(nb2, 60u);
    EXPECT_LT(nb2, 140u);
}

TEST_F(BondScenario, SlbReceiveRules)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"}, {"bond_mode=balance-slb"});
    EthAddr vm = mac(1);
    inject("vm", {broadcast(vm)});

    /* Broadcast from the network: only on the active member (a). */
    inject("b", {broadcast(mac(60))});
    EXPECT_TRUE(sent("vm").empty());
    inject("a", {broadcast(mac(60))});
    EXPECT_EQ(sent("vm").size(), 1u);

    /* Our own broadcast reflected back by the switch is dropped. */
    inject("a", {broadcast(vm)});
    EXPECT_EQ(sent("vm").size(), 1u);
    std::string fdb = appctl_out({"fdb/show", "br0"});
    EXPECT_TRUE(contains(fdb, "02:00:00:00:00:01")) << fdb;

    /* Unknown unicast flooded by a non-LAG switch on both members reaches
     * the VM once. */
    Bytes to_vm = unicast(mac(61), vm);
    inject("a", {to_vm});
    inject("b", {to_vm});
    EXPECT_EQ(sent("vm").size(), 2u) << show();
    EXPECT_TRUE(contains(show(), "unicast-on-wrong-member 1")) << show();

    /* A gratuitous ARP from the VM's MAC on the bond (the VM moved away)
     * moves the entry, unless the VM's own gratuitous ARP armed the 5 s
     * lock. */
    inject("vm", {garp(vm)});
    size_t before = sent("vm").size();
    inject("a", {garp(vm)});
    EXPECT_EQ(sent("vm").size(), before) << "locked: dropped";
    warp(6000);
    inject("a", {garp(vm)});
    fdb = appctl_out({"fdb/show", "br0"});
    EXPECT_FALSE(contains(fdb, "    1     0  02:00:00:00:00:01")) << "moved to the bond\n" << fdb;
}

TEST_F(BondScenario, BalanceXorUsesTheLinuxLayer2Formula)
{
    add_port("vm");
    add_bond("bond0", {"a", "b", "c"}, {"other_config:bond-mode=balance-xor",
                                        "other_config:bond-xmit-hash-policy=layer2"});
    inject("b", {broadcast(mac(200))});     /* Learn a destination. */
    std::map<std::string, size_t> want;
    for (int i = 0; i < 30; i++) {
        Bytes f = unicast(mac(uint8_t(i)), mac(200));
        inject("vm", {f});
        FlowKey key{};
        flow_extract(f, key);
        unsigned m = xmit_hash_member(xmit_hash(XmitHashPolicy::kLayer2, key), 3);
        want[std::string(1, char('a' + m))]++;
    }
    EXPECT_EQ(sent_data("a").size(), want["a"]);
    EXPECT_EQ(sent_data("b").size(), want["b"]);
    EXPECT_EQ(sent_data("c").size(), want["c"]);
}

TEST_F(BondScenario, RoundRobinAndBroadcast)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"}, {"other_config:bond-mode=balance-rr",
                                   "other_config:bond-packets-per-member=2"});
    std::vector<Bytes> frames;
    for (int i = 0; i < 8; i++) {
        frames.push_back(udp_frame(mac(1), kEthAddrBroadcast, 1000, uint16_t(i)));
    }
    inject("vm", frames);
    EXPECT_EQ(sent_data("a").size(), 4u);
    EXPECT_EQ(sent_data("b").size(), 4u);

    /* The switch has a static aggregate: a broadcast may come in on any
     * member and is delivered. */
    inject("b", {broadcast(mac(90))});
    inject("a", {broadcast(mac(91))});
    EXPECT_EQ(sent("vm").size(), 2u);

    vsctl({"set", "Port", "bond0", "other_config:bond-mode=broadcast"});
    inject("vm", {frames[0]});
    EXPECT_EQ(sent_data("a").size(), 5u);
    EXPECT_EQ(sent_data("b").size(), 5u);
}

TEST_F(BondScenario, BalanceTcpWithoutLacpCarriesNothing)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"}, {"bond_mode=balance-tcp"});
    inject("vm", {broadcast(mac(1))});
    EXPECT_TRUE(sent_data("a").empty());
    EXPECT_TRUE(sent_data("b").empty());
    EXPECT_TRUE(contains(show(), "tx-no-member")) << show();
    /* With lacp-fallback-ab it runs as active-backup. */
    vsctl({"set", "Port", "bond0", "other_config:lacp-fallback-ab=true"});
    inject("vm", {broadcast(mac(1))});
    EXPECT_EQ(sent_data("a").size() + sent_data("b").size(), 1u);
}

TEST_F(BondScenario, BadConfigurationKeepsTheLastWorkingOne)
{
    add_bond("bond0", {"a", "b"}, {"bond_mode=balance-slb"});
    vsctl({"set", "Port", "bond0", "other_config:bond-mode=balance-foo"});
    std::string s = show();
    EXPECT_TRUE(contains(s, "bond_mode: balance-slb\n")) << s;
    EXPECT_TRUE(contains(s, "bond-mode")) << s;
    EXPECT_TRUE(contains(s, "balance-foo")) << s;
    /* The database says so too, in Port.status (an ephemeral column: no
     * file changes to wait for, so ovs-vsctl waits). */
    vsctl({"--timeout=10", "wait-until", "Port", "bond0",
           "status:bond_error=\"bond-mode: unknown mode \\\"balance-foo\\\"\""});
    vsctl({"set", "Port", "bond0", "other_config:bond-mode=balance-rr",
           "other_config:bond-primary=zz"});
    s = show();
    EXPECT_TRUE(contains(s, "bond_mode: balance-slb\n")) << s;
    EXPECT_TRUE(contains(s, "bond-primary")) << s;
    vsctl({"remove", "Port", "bond0", "other_config", "bond-primary"});
    EXPECT_TRUE(contains(show(), "bond_mode: balance-rr\n")) << show();
    vsctl({"--timeout=10", "wait-until", "Port", "bond0", "status={}"});
    EXPECT_EQ(sb_.appctl({"version"}).status, 0) << "still running";
}

TEST_F(BondScenario, Commands)
{
    add_bond("bond0", {"a", "b"}, {"bond_mode=balance-slb"});
    EXPECT_EQ(appctl_out({"bond/list"}),
              "bond\ttype\trecircID\tmembers\nbond0\tbalance-slb\t0\ta, b\n");

    /* set-active-member. */
    EXPECT_EQ(appctl_out({"bond/set-active-member", "bond0", "b"}), "done\n");
    EXPECT_TRUE(contains(show(), "member b: enabled\n  active member\n")) << show();
    EXPECT_EQ(appctl_out({"bond/set-active-slave", "bond0", "b"}), "no change\n");
    RunResult r = sb_.appctl({"bond/set-active-member", "bond0", "zz"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "no such member")) << r.err;
    r = sb_.appctl({"bond/set-active-member", "nope", "a"});
    EXPECT_TRUE(contains(r.err, "no such bond")) << r.err;

    /* disable-member stays in force over carrier changes. */
    EXPECT_EQ(appctl_out({"bond/disable-member", "bond0", "a"}), "disabled\n");
    EXPECT_TRUE(contains(show(), "member a: disabled\n")) << show();
    carrier("a", false);
    carrier("a", true);
    EXPECT_TRUE(contains(show(), "member a: disabled\n")) << show();
    r = sb_.appctl({"bond/set-active-member", "bond0", "a"});
    EXPECT_TRUE(contains(r.err, "cannot make disabled member active")) << r.err;
    r = sb_.appctl({"bond/migrate", "bond0", "7", "a"});
    EXPECT_TRUE(contains(r.err, "cannot migrate to disabled member")) << r.err;
    EXPECT_EQ(appctl_out({"bond/enable-member", "bond0", "a"}), "enabled\n");
    EXPECT_TRUE(contains(show(), "member a: enabled\n")) << show();

    /* migrate and hash. */
    std::string h = appctl_out({"bond/hash", "02:00:00:00:00:01", "0", "0"});
    uint32_t want = dp::bond_hash_mac(mac(1), 0, 0) & 0xff;
    EXPECT_EQ(h, fmt::format("{}\n", want));
    EXPECT_EQ(appctl_out({"bond/hash", "02:00:00:00:00:01"}), h);
    EXPECT_EQ(appctl_out({"bond/migrate", "bond0", std::to_string(want + 256), "a"}),
              "migrated\n");
    add_port("vm");
    inject("vm", {broadcast(mac(1))});
    EXPECT_EQ(sent_data("a").size(), 1u);
    EXPECT_EQ(appctl_out({"bond/migrate", "bond0", std::to_string(want), "b"}), "migrated\n");
    inject("vm", {broadcast(mac(1))});
    EXPECT_EQ(sent_data("b").size(), 1u);
    r = sb_.appctl({"bond/migrate", "bond0", "x", "a"});
    EXPECT_TRUE(contains(r.err, "bad hash")) << r.err;
    r = sb_.appctl({"bond/hash", "nope"});
    EXPECT_TRUE(contains(r.err, "invalid mac")) << r.err;
    r = sb_.appctl({"bond/hash", "02:00:00:00:00:01", "5000"});
    EXPECT_TRUE(contains(r.err, "invalid vlan")) << r.err;
    r = sb_.appctl({"bond/hash", "02:00:00:00:00:01", "1", "x"});
    EXPECT_TRUE(contains(r.err, "invalid basis")) << r.err;
    r = sb_.appctl({"bond/show", "nope"});
    EXPECT_TRUE(contains(r.err, "no such bond")) << r.err;

    /* show-linux. */
    std::string linux_text = appctl_out({"bond/show-linux", "bond0"});
    EXPECT_TRUE(contains(linux_text, "Slave Interface: a\n")) << linux_text;
    EXPECT_TRUE(contains(linux_text, "Slave Interface: b\n")) << linux_text;
    r = sb_.appctl({"bond/show-linux", "nope"});
    EXPECT_TRUE(contains(r.err, "no such bond")) << r.err;

    vsctl({"set", "Port", "bond0", "bond_mode=active-backup"});
    r = sb_.appctl({"bond/migrate", "bond0", "1", "a"});
    EXPECT_TRUE(contains(r.err, "not a bond with buckets")) << r.err;
}

}  // namespace
}  // namespace braid::test

namespace braid::test {
namespace {

/* The ARP monitor: probes, and which frames keep a member up for each
 * bond-arp-validate value, with replies injected or withheld. */
TEST_F(BondScenario, ArpMonitorWithEachValidateMode)
{
    add_bond("bond0", {"a", "b"}, {"other_config:bond-primary=a"});
    be32 target = ip4(10, 0, 0, 9);
    /* 0: an IPv4 broadcast, 1: an ARP reply from the target, 2: an ARP
     * reply from another address. */
    auto frame = [&](int kind, EthAddr src) {
        switch (kind) {
        case 0:
            return udp_frame(src, kEthAddrBroadcast, 7, 7);
        case 1:
            return concat({eth(kEthTypeArp, kEthAddrBroadcast, src),
                           arp(kArpOpReply, src, target, EthAddr{}, ip4(10, 0, 0, 1))});
        default:
            return concat({eth(kEthTypeArp, kEthAddrBroadcast, src),
                           arp(kArpOpReply, src, ip4(10, 0, 0, 77), EthAddr{},
                               ip4(10, 0, 0, 1))});
        }
    };
    struct Case {
        const char *validate;
        const char *member;     /* a is active, b the backup. */
        int kind;
        bool up;
    };
    const Case cases[] = {
        {"none", "a", 0, true},          {"none", "b", 0, true},
        {"active", "a", 0, false},       {"active", "a", 1, true},
        {"active", "b", 0, true},        {"backup", "b", 0, false},
        {"backup", "b", 1, true},        {"backup", "a", 0, true},
        {"all", "a", 2, false},          {"all", "b", 2, false},
        {"all", "a", 1, true},           {"filter", "a", 0, false},
        {"filter", "a", 2, true},        {"filter_active", "a", 2, false},
        {"filter_active", "a", 1, true}, {"filter_active", "b", 0, false},
        {"filter_active", "b", 2, true}, {"filter_backup", "b", 2, false},
        {"filter_backup", "b", 1, true}, {"filter_backup", "a", 2, true},
        {"filter_backup", "a", 0, false},
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(fmt::format("validate {} member {} frame {}", c.validate, c.member, c.kind));
        vsctl({"set", "Port", "bond0", "other_config:bond-detect-mode=carrier"});
        vsctl({"set", "Port", "bond0", "other_config:bond-detect-mode=arp",
               "other_config:bond-arp-interval=100", "other_config:bond-arp-ip-targets=10.0.0.9",
               std::string("other_config:bond-arp-validate=") + c.validate});
        std::string other = std::string(c.member) == "a" ? "b" : "a";
        uint64_t failures = link_failures(c.member);
        uint64_t other_failures = link_failures(other);
        for (int i = 0; i < 6; i++) {
            warp(100);
            inject(c.member, {frame(c.kind, mac(70))});
            inject(other, {frame(1, mac(71))});     /* Keeps the other one up. */
        }
        if (c.up) {
            EXPECT_EQ(link_failures(c.member), failures) << show();
        } else {
            EXPECT_GT(link_failures(c.member), failures) << show();
        }
        EXPECT_EQ(link_failures(other), other_failures) << show();
    }

    /* Probes went out for the target. */
    size_t probes = 0;
    for (const Bytes &f : sent("a")) {
        FlowKey key{};
        flow_extract(f, key);
        probes += key.dl_type.value() == kEthTypeArp && key.nw_dst == target;
    }
    EXPECT_GE(probes, 20u);

    /* An ARP monitor is refused in modes that cannot use it. */
    vsctl({"set", "Port", "bond0", "other_config:bond-mode=balance-tlb"});
    EXPECT_TRUE(contains(show(), "bond_mode: active-backup\n")) << show();
    EXPECT_TRUE(contains(show(), "ARP monitor")) << show();
}

}  // namespace
}  // namespace braid::test

namespace braid::test {
namespace {

TEST_F(BondScenario, ActiveMemberSurvivesARestart)
{
    add_bond("bond0", {"a", "b"});
    ASSERT_EQ(appctl_out({"bond/set-active-member", "bond0", "b"}), "done\n");
    RunResult mac_b = vsctl({"get", "Interface", "b", "mac_in_use"});
    ASSERT_TRUE(sb_.wait_until([&] {
        return vsctl({"get", "Port", "bond0", "bond_active_slave"}).out == mac_b.out;
    }));
    /* kill -9, then a new daemon: it reads bond_active_slave back. */
    std::optional<pid_t> pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    ASSERT_EQ(kill(*pid, SIGKILL), 0);
    ASSERT_TRUE(Sandbox::wait_for_exit(*pid));
    RunResult r = sb_.ctl({"--no-ovsdb-server", "--vswitchd-opt=--enable-dummy=override", "start"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(show(), "member b: enabled\n  active member\n")) << show();
}

TEST_F(BondScenario, RebalancingMovesLoadedBuckets)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"}, {"bond_mode=balance-slb",
                                   "other_config:bond-rebalance-interval=1000"});
    /* Put every bucket on a, then give b its buckets back by migration of
     * nothing: instead, load only MACs that hash to a's buckets. */
    std::vector<Bytes> heavy;
    for (int i = 0; heavy.size() < 8 && i < 1000; i++) {
        EthAddr src = mac(uint8_t(i), 0x02, uint8_t(i >> 8) + 1);
        std::string bucket = appctl_out({"bond/hash", src.to_string()});
        bucket.pop_back();
        /* Move the MAC's bucket to a, so that a carries all the load. */
        appctl_out({"bond/migrate", "bond0", bucket, "a"});
        Bytes f = udp_frame(src, kEthAddrBroadcast, 1, 2);
        f.resize(1400);
        heavy.push_back(f);
    }
    for (int round = 0; round < 10; round++) {
        inject("vm", heavy);
    }
    EXPECT_EQ(sent_data("a").size(), 80u);
    EXPECT_TRUE(sent_data("b").empty());
    warp(1000);
    std::string s = show();
    EXPECT_TRUE(std::regex_search(s, std::regex("member b: enabled\n(  .*\n)*  hash \\d+: \\d+ kB load")))
        << "b took loaded buckets\n" << s;
    EXPECT_TRUE(contains(sb_.vswitchd_log(), "bond bond0: rebalanced (now carrying: a:")) << s;
    for (int round = 0; round < 10; round++) {
        inject("vm", heavy);
    }
    EXPECT_GT(sent_data("b").size(), 20u);
    EXPECT_GT(sent_data("a").size(), 100u);
}

TEST_F(BondScenario, HashBasisChangeKeepsTrafficFlowing)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"}, {"bond_mode=balance-slb"});
    std::vector<Bytes> frames;
    for (int i = 0; i < 64; i++) {
        frames.push_back(broadcast(mac(uint8_t(i), 0x02, 9)));
    }
    inject("vm", frames);
    vsctl({"set", "Port", "bond0", "other_config:bond-hash-basis=12345"});
    inject("vm", frames);
    EXPECT_EQ(sent_data("a").size() + sent_data("b").size(), 128u) << "nothing lost";
    std::string s = show();
    EXPECT_TRUE(contains(s, "bond-hash-basis: 12345\n")) << s;
    EXPECT_TRUE(contains(s, "member a: enabled\n")) << s;
    EXPECT_TRUE(contains(s, "member b: enabled\n")) << s;
    EXPECT_TRUE(contains(s, "tx-no-member 0")) << s;
}

TEST_F(BondScenario, MinLinks)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"}, {"bond_mode=balance-slb", "other_config:bond-min-links=2"});
    inject("vm", {broadcast(mac(1))});
    EXPECT_EQ(sent_data("a").size() + sent_data("b").size(), 1u);
    carrier("b", false);
    inject("vm", {broadcast(mac(1))});
    EXPECT_EQ(sent_data("a").size() + sent_data("b").size(), 1u) << "below min-links: silent";
    EXPECT_TRUE(contains(show(), "carrier down")) << show();
    carrier("b", true);
    inject("vm", {broadcast(mac(1))});
    EXPECT_EQ(sent_data("a").size() + sent_data("b").size(), 2u);
}

TEST_F(BondScenario, LearningPacketsAreTaggedPerTheBondsVlans)
{
    /* vm is an access port in VLAN 10; the bond trunks 10 and 20. */
    add_port("vm");
    vsctl({"set", "Port", "vm", "tag=10"});
    add_bond("bond0", {"a", "b"}, {"trunks=10,20"});
    inject("vm", {broadcast(mac(1))});
    carrier("a", false);
    std::vector<Bytes> rarps = sent_rarps("b");
    ASSERT_EQ(rarps.size(), 1u);
    FlowKey key{};
    flow_extract(rarps[0], key);
    EXPECT_EQ(key.dl_src, mac(1));
    ASSERT_EQ(key.n_vlans, 1);
    EXPECT_EQ(vlan_tci_to_vid(key.vlans[0].tci.value()), 10);
    EXPECT_EQ(rarps[0].size(), 64u) << "60-byte RARP plus the tag";
}

}  // namespace
}  // namespace braid::test

namespace braid::test {
namespace {

TEST_F(BondScenario, BlockMainThreadCommand)
{
    allowed_.push_back(std::regex("blocking the main thread for 10 ms"));
    EXPECT_EQ(appctl_out({"debug/block-main-thread", "10"}), "blocked for 10 ms\n");
    RunResult r = sb_.appctl({"debug/block-main-thread", "x"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "expected a time in milliseconds")) << r.err;
    r = sb_.appctl({"debug/block-main-thread", "60001"});
    EXPECT_EQ(r.status, 2);
}

}  // namespace
}  // namespace braid::test

namespace braid::test {
namespace {

/* balance-alb: the bridge's own ARP goes out with a member's MAC, chosen
 * per peer, and frames for a member's MAC reach the bridge's port; a VM's
 * frames are never rewritten. */
TEST_F(BondScenario, AlbBalancesTheHostsArpByPeer)
{
    add_port("vm");
    vsctl({"set", "Interface", "br0", "options:tx_pcap=" + sb_.path("br0.pcap")});
    add_bond("bond0", {"a", "b"}, {"other_config:bond-mode=balance-alb"});
    auto mac_of = [&](const std::string &iface) {
        std::string s = vsctl({"get", "Interface", iface, "mac_in_use"}).out;
        s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
        s.erase(std::remove(s.begin(), s.end(), '\n'), s.end());
        return *EthAddr::parse(s);
    };
    EthAddr host = mac_of("br0");
    /* Each member's balancing MAC, as bond/show tells it. */
    auto alb_mac_of = [&](const std::string &member) {
        std::smatch m;
        std::string s = show();
        EXPECT_TRUE(std::regex_search(s, m, std::regex("braid: member " + member
                                                       + ":.*, alb mac ([0-9a-f:]{17})")))
            << s;
        return EthAddr::parse(m.size() > 1 ? std::string(m[1]) : "").value_or(EthAddr{});
    };
    EthAddr ma = alb_mac_of("a"), mb = alb_mac_of("b");
    ASSERT_NE(ma, mb);
    ASSERT_FALSE(ma.is_zero());
    EXPECT_NE(ma, mac_of("a")) << "not the device's own MAC";
    EXPECT_NE(ma, host);
    EXPECT_NE(mb, host);

    /* ARP replies from the host to 40 peers. */
    std::vector<Bytes> replies;
    for (int i = 0; i < 40; i++) {
        replies.push_back(concat({eth(kEthTypeArp, mac(uint8_t(100 + i)), host),
                                  arp(kArpOpReply, host, ip4(10, 0, 0, 1), mac(uint8_t(100 + i)),
                                      ip4(10, 0, 1, uint8_t(i)))}));
    }
    inject("br0", replies);
    std::vector<Bytes> on_a = sent_data("a"), on_b = sent_data("b");
    EXPECT_EQ(on_a.size() + on_b.size(), 40u);
    EXPECT_GT(on_a.size(), 5u) << "spread over both members";
    EXPECT_GT(on_b.size(), 5u);
    for (const auto &[frames, m] : {std::pair{on_a, ma}, std::pair{on_b, mb}}) {
        for (const Bytes &f : frames) {
            FlowKey key{};
            flow_extract(f, key);
            EXPECT_EQ(key.dl_src, m) << "Ethernet source is the member's MAC";
            EXPECT_EQ(key.arp_sha, m) << "so is the ARP sender";
        }
    }
    /* The same peer always gets the same member. */
    bool peer0_on_a = false;
    for (const Bytes &f : on_a) {
        FlowKey k{};
        flow_extract(f, k);
        peer0_on_a |= k.dl_dst == mac(100);
    }
    inject("br0", {replies[0]});
    EXPECT_EQ(sent_data("a").size(), on_a.size() + (peer0_on_a ? 1 : 0));
    EXPECT_EQ(sent_data("b").size(), on_b.size() + (peer0_on_a ? 0 : 1));

    /* A peer that learned b's MAC sends to it: the frame reaches br0,
     * addressed to the host's MAC. */
    Bytes to_b = udp_frame(mac(120), mb, 5, 6);
    inject("b", {to_b});
    std::vector<Bytes> at_host = sent("br0");
    ASSERT_FALSE(at_host.empty());
    FlowKey key{};
    flow_extract(at_host.back(), key);
    EXPECT_EQ(key.dl_dst, host);
    EXPECT_EQ(key.dl_src, mac(120));
    /* The copy a switch that forgot b's MAC floods to a is dropped. */
    size_t at_host_before = sent("br0").size();
    inject("a", {to_b});
    EXPECT_EQ(sent("br0").size(), at_host_before);
    EXPECT_TRUE(contains(show(), "unicast-on-wrong-member 1")) << show();

    /* A VM's ARP is not rewritten. */
    Bytes vm_arp = concat({eth(kEthTypeArp, mac(130), mac(1)),
                           arp(kArpOpReply, mac(1), ip4(10, 0, 0, 5), mac(130),
                               ip4(10, 0, 1, 7))});
    size_t before = sent_data("a").size() + sent_data("b").size();
    inject("vm", {vm_arp});
    std::vector<Bytes> all = sent_data("a");
    std::vector<Bytes> more = sent_data("b");
    all.insert(all.end(), more.begin(), more.end());
    ASSERT_EQ(all.size(), before + 1);
    EXPECT_NE(std::find(all.begin(), all.end(), vm_arp), all.end()) << "sent unchanged";
}

}  // namespace
}  // namespace braid::test

namespace braid::test {
namespace {

/* Failover swaps the bond's table under the cached flows: no upcall, no
 * revalidation; and the megaflow that outputs to the bond matches no L4
 * field for it. */
TEST_F(BondScenario, FailoverKeepsTheFlowCache)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"}, {"bond_mode=balance-slb"});
    inject("a", {broadcast(mac(200))});         /* The remote MAC, on the bond. */
    Bytes f1 = udp_frame(mac(1), mac(200), 1000, 53);
    Bytes f2 = udp_frame(mac(1), mac(200), 2000, 53);
    inject("vm", {f1, f2});
    std::string flows = appctl_out({"dpctl/dump-flows"});
    std::smatch m;
    ASSERT_TRUE(std::regex_search(flows, m, std::regex("in_port\\(\\d+\\),eth\\(src=02:00:00:00:00:01,"
                                                       "dst=02:00:00:00:00:c8\\)[^\n]*"
                                                       "actions:bond_output\\(0\\)\n")))
        << flows;
    EXPECT_FALSE(contains(m[0], "udp")) << m[0];
    EXPECT_FALSE(contains(m[0], "ipv4")) << m[0];
    ASSERT_EQ(sb_.appctl({"dpif-netdev/pmd-stats-clear"}).status, 0);

    /* Lose the member that carried the VM; the next frames take the other
     * one through the same cached flow. */
    std::string used = sent_data("a").empty() ? "b" : "a";
    std::string other = used == "a" ? "b" : "a";
    size_t before = sent_data(other).size();
    carrier(used, false);
    inject("vm", {f1, f2});
    EXPECT_EQ(sent_data(other).size(), before + 2);
    std::string stats = appctl_out({"dpif-netdev/pmd-stats-show"});
    EXPECT_TRUE(contains(stats, "  miss with success upcall: 0\n")) << stats;
    EXPECT_TRUE(contains(stats, "  emc hits: 2\n")) << stats;
}

/* miimon: the carrier is read every bond-miimon-interval, not on change. */
TEST_F(BondScenario, MiimonPollsTheCarrier)
{
    add_bond("bond0", {"a", "b"}, {"other_config:bond-detect-mode=miimon",
                                   "other_config:bond-miimon-interval=100"});
    warp(100);
    carrier("b", false);
    EXPECT_TRUE(contains(show(), "member b: enabled\n")) << "not polled yet\n" << show();
    warp(100);
    EXPECT_TRUE(contains(show(), "member b: disabled\n")) << show();
    carrier("b", true);
    warp(100);
    EXPECT_TRUE(contains(show(), "member b: enabled\n")) << show();
    EXPECT_TRUE(contains(appctl_out({"bond/show-linux", "bond0"}),
                         "MII Polling Interval (ms): 100\n"));
}

/* bond-arp-all-targets=all: with validation, every target must answer. */
TEST_F(BondScenario, ArpMonitorAllTargets)
{
    add_bond("bond0", {"a", "b"}, {"other_config:bond-primary=a"});
    vsctl({"set", "Port", "bond0", "other_config:bond-detect-mode=arp",
           "other_config:bond-arp-interval=100",
           "other_config:bond-arp-ip-targets=10.0.0.9,10.0.0.10",
           "other_config:bond-arp-validate=active", "other_config:bond-arp-all-targets=all"});
    auto reply_from = [](be32 ip, EthAddr src) {
        return concat({eth(kEthTypeArp, kEthAddrBroadcast, src),
                       arp(kArpOpReply, src, ip, EthAddr{}, ip4(10, 0, 0, 1))});
    };
    /* Only one target answers: with "all", the active member goes down. */
    for (int i = 0; i < 6; i++) {
        warp(100);
        inject("a", {reply_from(ip4(10, 0, 0, 9), mac(70))});
        inject("b", {reply_from(ip4(10, 0, 0, 9), mac(71))});
    }
    EXPECT_GT(link_failures("a"), 0u) << show();

    /* "any": one target is enough. */
    vsctl({"set", "Port", "bond0", "other_config:bond-detect-mode=carrier"});
    vsctl({"set", "Port", "bond0", "other_config:bond-detect-mode=arp",
           "other_config:bond-arp-all-targets=any"});
    uint64_t failures = link_failures("a");
    for (int i = 0; i < 6; i++) {
        warp(100);
        inject("a", {reply_from(ip4(10, 0, 0, 9), mac(70))});
        inject("b", {reply_from(ip4(10, 0, 0, 9), mac(71))});
    }
    EXPECT_EQ(link_failures("a"), failures) << show();
}

/* The ARP monitor when the way to the target breaks behind a member whose
 * carrier stays up.  The test plays the network: a probe sent on a member
 * that is not cut is answered on that member, and the switch floods it to
 * the other member; a probe sent on a cut member is lost.  A late monitor
 * tick costs nothing; the member the target still answers takes over and
 * keeps the active role, even with every round late (the backups' silence
 * while the active member fails does not count against them, and a backup
 * that becomes active gets missed_max intervals to be answered); and after
 * both members went down, the member the target answers wins over the one
 * that only hears the other's probes, although that one was active last. */
TEST_F(BondScenario, ArpMonitorFailsOverToTheMemberTheTargetAnswers)
{
    add_bond("bond0", {"a", "b"});
    vsctl({"set", "Port", "bond0", "other_config:bond-detect-mode=arp",
           "other_config:bond-arp-interval=100", "other_config:bond-arp-ip-targets=10.0.0.9"});
    const be32 target = ip4(10, 0, 0, 9);
    const EthAddr target_mac = mac(90), host_mac = mac(91);
    auto probes = [&](const std::string &port) {
        size_t n = 0;
        for (const Bytes &f : sent(port)) {
            FlowKey key{};
            flow_extract(f, key);
            n += key.dl_type.value() == kEthTypeArp && key.nw_dst == target;
        }
        return n;
    };
    std::map<std::string, size_t> seen = {{"a", probes("a")}, {"b", probes("b")}};
    std::set<std::string> cut;
    auto tick = [&](int64_t ms) {
        warp(ms);
        for (const std::string port : {"a", "b"}) {
            size_t n = probes(port);
            bool probed = n > seen[port];
            seen[port] = n;
            if (!probed || cut.count(port)) {
                continue;
            }
            inject(port == "a" ? "b" : "a",
                   {concat({eth(kEthTypeArp, kEthAddrBroadcast, host_mac),
                            arp(kArpOpRequest, host_mac, ip4(10, 0, 0, 1), EthAddr{}, target)})});
            inject(port, {concat({eth(kEthTypeArp, kEthAddrBroadcast, target_mac),
                                  arp(kArpOpReply, target_mac, target, host_mac,
                                      ip4(10, 0, 0, 1))})});
        }
    };
    auto active = [&]() {
        std::smatch m;
        std::string s = show();
        bool found = std::regex_search(s, m, std::regex("active member mac: [0-9a-f:]+\\((\\w+)\\)"));
        return found && m[1] != "none" ? m[1].str() : std::string();
    };

    for (int i = 0; i < 10; i++) {
        tick(100);
    }
    ASSERT_EQ(active(), "a") << show();

    /* A tick 1 s late, as when the monitor's thread is held up. */
    tick(1000);
    tick(100);
    EXPECT_EQ(active(), "a") << show();
    EXPECT_EQ(link_failures("a"), 0u) << show();
    EXPECT_EQ(link_failures("b"), 0u) << show();

    /* The way behind a breaks, and the rounds run 150 ms late, each on the
     * schedule the one before set (b hears nothing either, as a's probes
     * are lost): b takes over without going down itself, and keeps the
     * role. */
    cut = {"a"};
    for (int i = 0; i < 10 && active() != "b"; i++) {
        tick(250);
    }
    EXPECT_EQ(active(), "b") << show();
    EXPECT_EQ(link_failures("a"), 1u) << show();
    for (int i = 0; i < 20; i++) {
        tick(100);
        ASSERT_EQ(active(), "b") << "tick " << i << "\n" << show();
    }
    EXPECT_EQ(link_failures("b"), 0u) << show();

    /* The target is gone for a while: both members go down, a last (it
     * took over from b).  The target comes back behind b only: b, which
     * the target answers, is the first member chosen, and keeps the role,
     * although a was active last and hears b's probes. */
    cut = {"a", "b"};
    for (int i = 0; i < 10 && !active().empty(); i++) {
        tick(100);
    }
    for (int i = 0; i < 3; i++) {
        tick(100);
    }
    ASSERT_EQ(active(), "") << show();
    cut = {"a"};
    for (int i = 0; i < 10 && active().empty(); i++) {
        tick(100);
    }
    EXPECT_EQ(active(), "b") << "the first member chosen\n" << show();
    uint64_t b_failures = link_failures("b");
    for (int i = 0; i < 20; i++) {
        tick(100);
        ASSERT_EQ(active(), "b") << "tick " << i << "\n" << show();
    }
    EXPECT_EQ(link_failures("b"), b_failures) << show();
}

/* The NS monitor for IPv6 targets: probes are neighbour solicitations, and
 * advertisements from the target keep a member up. */
TEST_F(BondScenario, NsMonitor)
{
    add_bond("bond0", {"a", "b"}, {"other_config:bond-primary=a"});
    vsctl({"set", "Port", "bond0", "other_config:bond-detect-mode=ns",
           "other_config:bond-arp-interval=100", "other_config:bond-ns-ip6-targets=2001:db8::9",
           "other_config:bond-arp-validate=active"});
    In6Addr target = *In6Addr::parse("2001:db8::9");
    In6Addr us = *In6Addr::parse("2001:db8::1");
    auto na = [&](EthAddr src) {
        Bytes msg = nd(kIcmp6NeighborAdvert, target, lla_option(2, src));
        return concat({eth(kEthTypeIpv6, kEthAddrBroadcast, src),
                       ipv6(kIpProtoIcmpv6, msg.size(), target, us), msg});
    };
    for (int i = 0; i < 6; i++) {
        warp(100);
        inject("a", {na(mac(70))});
        inject("b", {na(mac(71))});
    }
    EXPECT_EQ(link_failures("a"), 0u) << show();
    /* Probes: neighbour solicitations for the target on the active member. */
    size_t probes = 0;
    for (const Bytes &f : sent("a")) {
        FlowKey key{};
        flow_extract(f, key);
        probes += key.dl_type.value() == kEthTypeIpv6 && key.nw_proto == kIpProtoIcmpv6
                  && key.tp_src.value() == kIcmp6NeighborSolicit && key.nd_target == target;
    }
    EXPECT_GE(probes, 5u);
    /* Withheld: the active member goes down. */
    for (int i = 0; i < 4; i++) {
        warp(100);
        inject("b", {na(mac(71))});
    }
    EXPECT_GT(link_failures("a"), 0u) << show();
}

/* LACP configured but not negotiated (and no fallback): nothing in or out,
 * each counted. */
TEST_F(BondScenario, LacpNotNegotiatedDropsBothWays)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"}, {"lacp=active"});
    inject("a", {broadcast(mac(90))});
    inject("vm", {broadcast(mac(1))});
    EXPECT_TRUE(sent("vm").empty());
    EXPECT_TRUE(sent_data("a").empty());
    EXPECT_TRUE(sent_data("b").empty());
    std::string s = show();
    EXPECT_TRUE(contains(s, "lacp_status: configured\n")) << s;
    EXPECT_TRUE(contains(s, "lacp-not-negotiated 1")) << s;
    EXPECT_TRUE(contains(s, "tx-no-member 1")) << s;
}

}  // namespace
}  // namespace braid::test

namespace braid::test {
namespace {

/* The ARP monitor's probes come from the bridge's own port, in its VLAN. */
TEST_F(BondScenario, ArpProbesComeFromTheBridgePortInItsVlan)
{
    vsctl({"set", "Port", "br0", "tag=10"});
    add_bond("bond0", {"a", "b"}, {"trunks=10,20", "other_config:bond-detect-mode=arp",
                                   "other_config:bond-arp-interval=100",
                                   "other_config:bond-arp-ip-targets=10.0.0.9"});
    warp(100);
    warp(100);
    std::string host = vsctl({"get", "Interface", "br0", "mac_in_use"}).out;
    size_t probes = 0;
    for (const Bytes &f : sent("a")) {
        FlowKey key{};
        flow_extract(f, key);
        if (key.dl_type.value() == kEthTypeArp && key.nw_dst == ip4(10, 0, 0, 9)) {
            probes++;
            ASSERT_EQ(key.n_vlans, 1);
            EXPECT_EQ(vlan_tci_to_vid(key.vlans[0].tci.value()), 10);
            EXPECT_TRUE(contains(host, key.dl_src.to_string())) << host;
            EXPECT_TRUE(key.dl_dst.is_broadcast());
        }
    }
    EXPECT_GE(probes, 2u);
}

}  // namespace
}  // namespace braid::test

namespace braid::test {
namespace {

/* balance-tlb: VMs' MACs spread over the members and stay put, without
 * any rewriting. */
TEST_F(BondScenario, TlbSpreadsMacsWithoutRewriting)
{
    add_port("vm");
    add_bond("bond0", {"a", "b", "c"}, {"other_config:bond-mode=balance-tlb"});
    std::vector<Bytes> frames;
    for (int i = 0; i < 300; i++) {
        frames.push_back(broadcast(mac(uint8_t(i), 0x02, uint8_t(i >> 8) + 7)));
    }
    inject("vm", frames);
    std::vector<Bytes> a = sent_data("a"), b = sent_data("b"), c = sent_data("c");
    EXPECT_EQ(a.size() + b.size() + c.size(), 300u);
    /* 100 each on average; each member within 60..140. */
    for (size_t n : {a.size(), b.size(), c.size()}) {
        EXPECT_GT(n, 60u);
        EXPECT_LT(n, 140u);
    }
    std::vector<Bytes> all = a;
    all.insert(all.end(), b.begin(), b.end());
    all.insert(all.end(), c.begin(), c.end());
    std::sort(all.begin(), all.end());
    std::vector<Bytes> want = frames;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(all, want) << "every frame sent once, unchanged";
    inject("vm", frames);
    EXPECT_EQ(sent_data("a").size(), 2 * a.size()) << "the same member again";
}

}  // namespace
}  // namespace braid::test

namespace braid::test {
namespace {

/* Slow protocol frames (LACP, marker) are never switched: on a bond member
 * they go to the bond (through the liveness thread), elsewhere they are
 * dropped; each case counted. */
TEST_F(BondScenario, SlowProtocolFramesAreNeverSwitched)
{
    add_port("vm");
    add_bond("bond0", {"a", "b"});
    Bytes pdu = compose_lacpdu(mac(80), lacp_info(1, mac(80), 1, 1, 1, 0x3d),
                               lacp_info(0, EthAddr{}, 0, 0, 0, 0), 0);
    auto counter = [&](const std::string &name) {
        std::string out = appctl_out({"coverage/read-counter", name});
        return std::stoull(out.empty() ? "0" : out);
    };
    inject("a", {pdu});
    inject("vm", {pdu});
    EXPECT_TRUE(sent("vm").empty());
    EXPECT_TRUE(sent("a").empty());
    EXPECT_TRUE(sent("b").empty());
    EXPECT_EQ(counter("datapath_drop_slow_not_bond"), 1u);
    /* The liveness thread takes it; each try is a round trip to the daemon
     * (no sleeping), bounded. */
    auto eventually = [&](const std::function<bool()> &done) {
        for (int i = 0; i < 500; i++) {
            if (done()) {
                return true;
            }
        }
        return false;
    };
    EXPECT_TRUE(eventually([&] { return counter("bond_slow_frame_without_lacp") == 1; }))
        << "the bond got it, LACP off";
    EXPECT_EQ(counter("bond_lacp_frame"), 0u);

    vsctl({"set", "Port", "bond0", "lacp=active"});
    inject("b", {pdu});
    EXPECT_TRUE(eventually([&] { return counter("bond_lacp_frame") == 1; }));
    EXPECT_TRUE(sent("vm").empty());
}

}  // namespace
}  // namespace braid::test
