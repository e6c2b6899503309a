/* System tests of TCP through Braid with the offloads every veth and tap
 * has by default (TSO/GSO and checksum offload on): test hosts in network
 * namespaces of their own, wired to a Braid bridge by veth pairs, and the
 * host stack behind the bridge's internal device, moving data with iperf3.
 *
 * Runs as root inside the private namespaces of tests/system-main.cc: the
 * namespaces that "ip netns add" makes here are named in the program's own
 * /run/netns (a private mount), so nobody outside sees them, and each is
 * removed again by the test that made it.  Every command has a time
 * limit. */
#include <config.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/sandbox.h"

namespace braid::test {
namespace {

/* The least throughput that counts as working (the kernel alone moves
 * tens of Gbit/s here; without offload support it is 0). */
constexpr double kMinMbps = 100.0;

/* How long each iperf3 run sends. */
constexpr int kIperfSeconds = 2;

class SystemOffload : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(sb_.start()) << sb_.last_error(); }

    void TearDown() override
    {
        EXPECT_EQ(sb_.unexpected_log_lines(), "");
        for (const std::string &ns : namespaces_) {
            sb_.run({"ip", "netns", "del", ns}, 5000);
        }
        for (const std::string &link : links_) {
            sb_.run({"ip", "link", "del", link}, 5000);
        }
    }

    void sh(const std::vector<std::string> &argv)
    {
        RunResult r = sb_.run(argv, 10000);
        ASSERT_EQ(r.status, 0) << argv[0] << " " << argv[1] << ": " << r.err;
    }

    void vsctl(const std::vector<std::string> &args)
    {
        std::vector<std::string> argv = {"ovs-vsctl", "--timeout=5"};
        argv.insert(argv.end(), args.begin(), args.end());
        sh(argv);
    }

    /* A test host: namespace 'ns' with interface eth0 at 'cidr', wired by a
     * veth pair to 'port' here.  Offloads stay as the kernel sets them. */
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

    /* 'argv' run in namespace 'ns', or here if 'ns' is empty. */
    static std::vector<std::string> in(const std::string &ns, std::vector<std::string> argv)
    {
        if (!ns.empty()) {
            argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
        }
        return argv;
    }

    /* Whether pings from 'ns' (or here) to 'ip' are answered (bounded: up
     * to 3 attempts of 1 s). */
    bool ping(const std::string &ns, const std::string &ip)
    {
        RunResult r = sb_.run(in(ns, {"ping", "-c", "1", "-W", "1", "-w", "3", "-q", ip}), 10000);
        return r.status == 0;
    }

    /* Runs iperf3 for kIperfSeconds from 'client_ns' to a server at
     * 'server_ip' in 'server_ns' (either may be "" for here), data flowing
     * towards the server, or back if 'reverse'.  Returns the receiver's
     * rate in Mbit/s, or -1 (with a failure recorded) if it did not run. */
    double iperf(const std::string &client_ns, const std::string &server_ns,
                 const std::string &server_ip, bool reverse)
    {
        /* The server serves one test and quits, or quits after 15 s
         * without a client.  ("ip netns exec" becomes the server itself, so
         * 'server' is its pid, which the end of this function and the
         * sandbox can kill; a timeout(1) in between would survive a
         * SIGKILL's target and leave the server running.)  Each run has a
         * port of its own, so that a client never meets the previous run's
         * server. */
        std::string port = std::to_string(5201 + runs_++);
        pid_t server = sb_.spawn(in(server_ns, {"iperf3", "-s", "-1", "--idle-timeout", "15",
                                                "-B", server_ip, "-p", port}),
                                 "iperf3-server.log");
        EXPECT_GT(server, 0);
        struct ServerReaper {
            pid_t pid;
            ~ServerReaper()
            {
                if (pid > 0 && kill(pid, 0) == 0 && !Sandbox::wait_for_exit(pid)) {
                    kill(pid, SIGKILL);
                    Sandbox::wait_for_exit(pid);
                }
            }
        } reaper{server};

        /* The client fails at once while the server is not yet listening
         * (iperf3 -J then reports the error in its output and still exits
         * with 0): try again, a bounded number of times. */
        std::vector<std::string> client = in(
            client_ns, {"timeout", "20", "iperf3", "-c", server_ip, "-p", port, "-t",
                        std::to_string(kIperfSeconds), "-J", "--connect-timeout", "2000"});
        if (reverse) {
            client.push_back("-R");
        }
        RunResult r, first;
        for (int attempt = 0; attempt < 50; attempt++) {
            r = sb_.run(client, 30000);
            if (attempt == 0) {
                first = r;
            }
            if (r.out.find("Connection refused") == std::string::npos) {
                break;
            }
            sb_.run({"sleep", "0.1"}, 2000);
        }
        EXPECT_EQ(r.status, 0) << r.out << r.err;
        if (r.status != 0) {
            return -1;
        }
        const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
        const nlohmann::json *bps = nullptr;
        if (!j.is_discarded() && j.contains("end") && j["end"].contains("sum_received")) {
            bps = &j["end"]["sum_received"]["bits_per_second"];
        }
        if (!bps || !bps->is_number()) {
            ADD_FAILURE() << "iperf3 printed no result: " << r.out << "\nfirst attempt: "
                          << first.out;
            return -1;
        }
        return bps->get<double>() / 1e6;
    }

    /* A coverage counter of the daemon. */
    uint64_t daemon_counter(const std::string &name)
    {
        RunResult r = sb_.appctl({"coverage/read-counter", name});
        return r.status == 0 ? std::stoull(r.out) : 0;
    }

    /* Whether the ethtool setting 'cmd' (ETHTOOL_GTSO, ETHTOOL_GTXCSUM) is
     * on for 'dev' here: the premise of these tests is that the kernel's
     * defaults (offloads on) are left alone. */
    static bool offload_on(const std::string &dev, uint32_t cmd)
    {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ethtool_value value {};
        value.cmd = cmd;
        struct ifreq ifr {};
        std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
        ifr.ifr_data = reinterpret_cast<char *>(&value);
        bool on = fd >= 0 && ioctl(fd, SIOCETHTOOL, &ifr) == 0 && value.data;
        if (fd >= 0) {
            close(fd);
        }
        return on;
    }

    void report(const std::string &what, double mbps)
    {
        RecordProperty(what + "_mbps", fmt::format("{:.0f}", mbps));
        std::printf("[ iperf3   ] %s: %.0f Mbit/s\n", what.c_str(), mbps);
    }

    Sandbox sb_;
    std::vector<std::string> namespaces_;
    std::vector<std::string> links_;
    int runs_ = 0;              /* iperf3 runs so far. */
};

TEST_F(SystemOffload, TcpBetweenNamespacesWithDefaultOffloads)
{
    vsctl({"add-br", "br0"});
    host("ho1", "10.0.3.1/24", "po1");
    host("ho2", "10.0.3.2/24", "po2");
    vsctl({"add-port", "br0", "po1", "--", "add-port", "br0", "po2"});
    ASSERT_TRUE(offload_on("po1", ETHTOOL_GTSO));
    ASSERT_TRUE(offload_on("po1", ETHTOOL_GTXCSUM));
    ASSERT_TRUE(ping("ho1", "10.0.3.2"));
    EXPECT_TRUE(ping("ho2", "10.0.3.1"));

    uint64_t soft_gso = daemon_counter("netdev_soft_gso");
    double tx = iperf("ho1", "ho2", "10.0.3.2", false);
    report("ns_to_ns", tx);
    EXPECT_GT(tx, kMinMbps);
    double rx = iperf("ho1", "ho2", "10.0.3.2", true);
    report("ns_to_ns_reverse", rx);
    EXPECT_GT(rx, kMinMbps);
    /* Veth to veth: large segments went through whole. */
    EXPECT_EQ(daemon_counter("netdev_soft_gso"), soft_gso);
}

/* Two bridges joined by a trunk: each large segment gets a VLAN tag pushed
 * on one bridge, travels tagged (the kernel takes the tag out of the frame
 * on receive, Braid puts it back), and is popped on the other bridge, its
 * checksum offsets following the tag each time. */
TEST_F(SystemOffload, TcpAcrossAVlanTrunk)
{
    vsctl({"add-br", "bra", "--", "add-br", "brb"});
    sh({"ip", "link", "add", "tro1", "type", "veth", "peer", "name", "tro2"});
    links_.push_back("tro1");
    sh({"ip", "link", "set", "tro1", "up"});
    sh({"ip", "link", "set", "tro2", "up"});
    vsctl({"add-port", "bra", "tro1", "trunks=10", "--", "add-port", "brb", "tro2",
           "trunks=10"});
    host("ho5", "10.0.5.1/24", "po5");
    host("ho6", "10.0.5.2/24", "po6");
    vsctl({"add-port", "bra", "po5", "tag=10", "--", "add-port", "brb", "po6", "tag=10"});
    ASSERT_TRUE(ping("ho5", "10.0.5.2"));

    uint64_t soft_gso = daemon_counter("netdev_soft_gso");
    double tx = iperf("ho5", "ho6", "10.0.5.2", false);
    report("vlan_trunk", tx);
    EXPECT_GT(tx, kMinMbps);
    double rx = iperf("ho5", "ho6", "10.0.5.2", true);
    report("vlan_trunk_reverse", rx);
    EXPECT_GT(rx, kMinMbps);
    EXPECT_EQ(daemon_counter("netdev_soft_gso"), soft_gso);
}

TEST_F(SystemOffload, TcpBetweenHostAndNamespaceThroughTheBridgeDevice)
{
    vsctl({"add-br", "br0"});
    sh({"ip", "addr", "add", "10.0.4.254/24", "dev", "br0"});
    sh({"ip", "link", "set", "br0", "up"});
    host("ho3", "10.0.4.3/24", "po3");
    vsctl({"add-port", "br0", "po3"});
    /* Braid enables TSO on its tap (TUNSETOFFLOAD). */
    EXPECT_TRUE(offload_on("br0", ETHTOOL_GTSO));
    EXPECT_TRUE(offload_on("br0", ETHTOOL_GTXCSUM));
    ASSERT_TRUE(ping("", "10.0.4.3"));
    EXPECT_TRUE(ping("ho3", "10.0.4.254"));

    /* Host stack -> br0 (tap) -> Braid -> po3 -> ho3, and back. */
    double tx = iperf("", "ho3", "10.0.4.3", false);
    report("host_to_ns", tx);
    EXPECT_GT(tx, kMinMbps);
    double rx = iperf("", "ho3", "10.0.4.3", true);
    report("ns_to_host", rx);
    EXPECT_GT(rx, kMinMbps);
}

}  // namespace
}  // namespace braid::test
