/* System tests of switching with real devices: test hosts in network
 * namespaces of their own, wired to Braid bridges by veth pairs, pinging
 * each other.  Runs as root inside the private namespaces of
 * tests/system-main.cc; every namespace is made here and removed again. */
#include <config.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/sandbox.h"

namespace braid::test {
namespace {

class SystemSwitch : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(sb_.start()) << sb_.last_error(); }

    void TearDown() override
    {
        EXPECT_EQ(sb_.unexpected_log_lines(), "");
        for (const std::string &ns : namespaces_) {
            sb_.run({"ip", "netns", "del", ns});
        }
        for (const std::string &link : links_) {
            sb_.run({"ip", "link", "del", link});
        }
    }

    void sh(const std::vector<std::string> &argv)
    {
        RunResult r = sb_.run(argv);
        ASSERT_EQ(r.status, 0) << argv[0] << " " << argv[1] << ": " << r.err;
    }

    void vsctl(const std::vector<std::string> &args)
    {
        std::vector<std::string> argv = {"ovs-vsctl", "--timeout=5"};
        argv.insert(argv.end(), args.begin(), args.end());
        sh(argv);
    }

    /* A test host: namespace 'ns' with interface eth0 at 'cidr', wired by a
     * veth pair to 'port' here. */
    void host(const std::string &ns, const std::string &cidr, const std::string &port)
    {
        sh({"ip", "netns", "add", ns});
        namespaces_.push_back(ns);
        sh({"ip", "link", "add", port, "type", "veth", "peer", "name", ns + "-e"});
        links_.push_back(port);
        sh({"ip", "link", "set", ns + "-e", "netns", ns, "name", "eth0"});
        sh({"ip", "-n", ns, "addr", "add", cidr, "dev", "eth0"});
        sh({"ip", "-n", ns, "link", "set", "eth0", "up"});
        sh({"ip", "-n", ns, "link", "set", "lo", "up"});
        sh({"ip", "link", "set", port, "up"});
    }

    /* Whether 'ns' gets answers to pings of 'ip' (bounded: up to 3
     * attempts of 1 s). */
    bool ping(const std::string &ns, const std::string &ip)
    {
        RunResult r = sb_.run({"ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", "-w",
                               "3", "-q", ip},
                              10000);
        return r.status == 0;
    }

    /* Whether 'ns' gets no answer to one ping of 'ip' within 1 s. */
    bool unreachable(const std::string &ns, const std::string &ip)
    {
        RunResult r = sb_.run(
            {"ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", "-q", ip}, 10000);
        return r.status != 0;
    }

    Sandbox sb_;
    std::vector<std::string> namespaces_;
    std::vector<std::string> links_;
};

TEST_F(SystemSwitch, TwoNamespacesPingThroughABridge)
{
    vsctl({"add-br", "br0"});
    host("h1", "10.0.0.1/24", "p1");
    host("h2", "10.0.0.2/24", "p2");
    vsctl({"add-port", "br0", "p1", "--", "add-port", "br0", "p2"});
    EXPECT_TRUE(ping("h1", "10.0.0.2"));
    EXPECT_TRUE(ping("h2", "10.0.0.1"));
    RunResult r = sb_.appctl({"fdb/show", "br0"});
    EXPECT_NE(r.out.find("    1     0  "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("    2     0  "), std::string::npos) << r.out;
}

TEST_F(SystemSwitch, HostReachesANamespaceThroughTheBridgeDevice)
{
    vsctl({"add-br", "br0"});
    sh({"ip", "addr", "add", "10.0.1.254/24", "dev", "br0"});
    sh({"ip", "link", "set", "br0", "up"});
    host("h3", "10.0.1.3/24", "p3");
    vsctl({"add-port", "br0", "p3"});
    RunResult r = sb_.run({"ping", "-c", "1", "-W", "1", "-w", "3", "-q", "10.0.1.3"}, 10000);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(ping("h3", "10.0.1.254"));
}

/* A fake bridge is VLAN 10 of its parent: the host, through the fake
 * bridge's internal device, reaches the access port of VLAN 10 and not the
 * one of VLAN 20. */
TEST_F(SystemSwitch, FakeBridgeDeviceReachesOnlyItsVlan)
{
    vsctl({"add-br", "br0", "--", "add-br", "vlan10", "br0", "10"});
    sh({"ip", "addr", "add", "10.0.5.254/24", "dev", "vlan10"});
    sh({"ip", "link", "set", "vlan10", "up"});
    host("f10", "10.0.5.1/24", "pf10");
    host("f20", "10.0.5.2/24", "pf20");
    vsctl({"add-port", "br0", "pf10", "tag=10", "--", "add-port", "br0", "pf20", "tag=20"});
    RunResult r = sb_.run({"ping", "-c", "1", "-W", "1", "-w", "3", "-q", "10.0.5.1"}, 10000);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    r = sb_.run({"ping", "-c", "1", "-W", "1", "-q", "10.0.5.2"}, 10000);
    EXPECT_NE(r.status, 0) << "VLAN 10's fake bridge must not reach VLAN 20";
    r = sb_.appctl({"fdb/show", "br0"});
    EXPECT_NE(r.out.find("   10  "), std::string::npos) << r.out;
}

/* Two bridges joined by a trunk carrying VLANs 10 and 20, with an access
 * port of each VLAN on each side: each VLAN reaches only its own hosts. */
TEST_F(SystemSwitch, TrunkBetweenTwoBridgesSeparatesVlans)
{
    vsctl({"add-br", "bra", "--", "add-br", "brb"});
    sh({"ip", "link", "add", "trka", "type", "veth", "peer", "name", "trkb"});
    links_.push_back("trka");
    sh({"ip", "link", "set", "trka", "up"});
    sh({"ip", "link", "set", "trkb", "up"});
    vsctl({"add-port", "bra", "trka", "trunks=10,20", "--", "add-port", "brb", "trkb",
           "trunks=10,20"});
    host("a10", "10.0.2.1/24", "pa10");
    host("a20", "10.0.2.2/24", "pa20");
    host("b10", "10.0.2.3/24", "pb10");
    host("b20", "10.0.2.4/24", "pb20");
    vsctl({"add-port", "bra", "pa10", "tag=10", "--", "add-port", "bra", "pa20", "tag=20", "--",
           "add-port", "brb", "pb10", "tag=10", "--", "add-port", "brb", "pb20", "tag=20"});

    EXPECT_TRUE(ping("a10", "10.0.2.3")) << "VLAN 10 across the trunk";
    EXPECT_TRUE(ping("a20", "10.0.2.4")) << "VLAN 20 across the trunk";
    EXPECT_TRUE(unreachable("a10", "10.0.2.4")) << "VLAN 10 must not reach VLAN 20";
    EXPECT_TRUE(unreachable("a20", "10.0.2.3")) << "VLAN 20 must not reach VLAN 10";
    EXPECT_TRUE(unreachable("a10", "10.0.2.2")) << "nor on the same bridge";

    /* The trunk carried tagged frames: both VLANs were learned on it. */
    RunResult r = sb_.appctl({"fdb/show", "brb"});
    EXPECT_NE(r.out.find("    1    10  "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("    1    20  "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace braid::test
