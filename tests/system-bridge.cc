/* System tests of the management plane with real devices: veth pairs and
 * the internal tap devices of bridges, configured with the real ovs-vsctl.
 * They run as root inside the private network namespace that
 * tests/system-main.cc creates. */
#include <config.h>

#include <net/if.h>
#include <signal.h>

#include <chrono>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/sandbox.h"

namespace braid::test {
namespace {

std::string chomp(std::string s)
{
    while (!s.empty() && s.back() == '\n') {
        s.pop_back();
    }
    return s;
}

int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

class SystemBridge : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_EQ(sb_.run({"ip", "link", "add", "sb0a", "type", "veth", "peer", "name", "sb0b"})
                      .status,
                  0);
        ASSERT_EQ(sb_.run({"ip", "link", "set", "sb0a", "up"}).status, 0);
        ASSERT_EQ(sb_.run({"ip", "link", "set", "sb0b", "up"}).status, 0);
        ASSERT_TRUE(sb_.start()) << sb_.last_error();
    }
    void TearDown() override
    {
        EXPECT_EQ(sb_.unexpected_log_lines(allowed_), "");
        sb_.run({"ip", "link", "del", "sb0a"});
    }

    RunResult vsctl(const std::vector<std::string> &args)
    {
        std::vector<std::string> argv = {"ovs-vsctl", "--timeout=5"};
        argv.insert(argv.end(), args.begin(), args.end());
        RunResult r = sb_.run(argv);
        EXPECT_EQ(r.status, 0) << r.err;
        return r;
    }

    std::string get(const std::string &table, const std::string &record,
                    const std::string &column)
    {
        return chomp(vsctl({"get", table, record, column}).out);
    }

    Sandbox sb_;
    std::vector<std::regex> allowed_;
};

TEST_F(SystemBridge, BridgeHasAKernelDeviceLibvirtCanRead)
{
    vsctl({"add-br", "br0"});
    ASSERT_NE(if_nametoindex("br0"), 0u) << "the bridge's internal device exists";
    /* What libvirt reads (the MTU, through an ioctl on the device). */
    std::string link = sb_.run({"ip", "-o", "link", "show", "br0"}).out;
    EXPECT_TRUE(contains(link, " mtu 1500 ")) << link;
    EXPECT_EQ(get("Interface", "br0", "ofport"), "65534");
    EXPECT_EQ(get("Interface", "br0", "ifindex"), std::to_string(if_nametoindex("br0")));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(link, m, std::regex("link/ether (\\S+)"))) << link;
    EXPECT_EQ(get("Interface", "br0", "mac_in_use"), "\"" + m[1].str() + "\"");

    /* The internal device goes with the bridge. */
    vsctl({"del-br", "br0"});
    EXPECT_EQ(if_nametoindex("br0"), 0u);
}

TEST_F(SystemBridge, VethLinkStateFollowsThePeer)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "sb0a"});
    EXPECT_EQ(get("Interface", "sb0a", "ofport"), "1");
    EXPECT_EQ(get("Interface", "sb0a", "link_state"), "up");
    EXPECT_EQ(get("Interface", "sb0a", "ifindex"), std::to_string(if_nametoindex("sb0a")));

    /* Each change reaches the database as an event, within 100 ms of the
     * peer's change (ovs-vsctl's own start-up included). */
    for (const char *state : {"down", "up", "down", "up"}) {
        int64_t start = now_ms();
        ASSERT_EQ(sb_.run({"ip", "link", "set", "sb0b", state}).status, 0);
        RunResult r = vsctl({"wait-until", "Interface", "sb0a",
                             std::string("link_state=") + state});
        int64_t elapsed = now_ms() - start;
        ASSERT_EQ(r.status, 0);
        EXPECT_LT(elapsed, 100) << "link_state=" << state << " took " << elapsed << " ms";
        RecordProperty(std::string("link_state_") + state + "_ms", int(elapsed));
    }
    EXPECT_EQ(get("Interface", "sb0a", "link_resets"), "4");
}

TEST_F(SystemBridge, MissingDeviceReportsAndHeals)
{
    allowed_.push_back(std::regex("sb1a"));
    vsctl({"add-br", "br0"});
    RunResult r = vsctl({"add-port", "br0", "sb1a"});
    EXPECT_TRUE(contains(r.err, "ovs-vsctl: Error detected while setting up 'sb1a': could not "
                                "open network device sb1a (No such device)."))
        << r.err;
    EXPECT_EQ(get("Interface", "sb1a", "ofport"), "-1");
    EXPECT_EQ(get("Interface", "sb1a", "error"),
              "\"could not open network device sb1a (No such device)\"");

    /* The device appears: the interface heals by itself, with no change to
     * the database. */
    ASSERT_EQ(sb_.run({"ip", "link", "add", "sb1a", "type", "veth", "peer", "name", "sb1b"})
                  .status,
              0);
    vsctl({"wait-until", "Interface", "sb1a", "ofport=1"});
    EXPECT_EQ(get("Interface", "sb1a", "error"), "[]");
    sb_.run({"ip", "link", "del", "sb1a"});
}

TEST_F(SystemBridge, DeletedAndRecreatedDeviceIsFollowed)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "sb0a"});
    EXPECT_EQ(get("Interface", "sb0a", "link_state"), "up");

    /* Gone: the interface fails, saying why. */
    ASSERT_EQ(sb_.run({"ip", "link", "del", "sb0a"}).status, 0);
    vsctl({"wait-until", "Interface", "sb0a", "ofport=-1"});
    EXPECT_EQ(get("Interface", "sb0a", "error"),
              "\"could not open network device sb0a (No such device)\"");
    ASSERT_EQ(sb_.run({"ip", "link", "add", "sb0a", "type", "veth", "peer", "name", "sb0b"})
                  .status,
              0);
    ASSERT_EQ(sb_.run({"ip", "link", "set", "sb0a", "up"}).status, 0);
    ASSERT_EQ(sb_.run({"ip", "link", "set", "sb0b", "up"}).status, 0);
    std::string ifindex = std::to_string(if_nametoindex("sb0a"));
    vsctl({"wait-until", "Interface", "sb0a", "ifindex=" + ifindex, "link_state=up"});
    EXPECT_EQ(get("Interface", "sb0a", "ofport"), "1");
    EXPECT_EQ(get("Interface", "sb0a", "error"), "[]");
}

TEST_F(SystemBridge, KillAndRestartRecreatesInternalDevices)
{
    vsctl({"add-br", "br0"});
    vsctl({"add-port", "br0", "sb0a"});
    auto pid = sb_.vswitchd_pid();
    ASSERT_TRUE(pid);
    ASSERT_EQ(kill(*pid, SIGKILL), 0);
    ASSERT_TRUE(Sandbox::wait_for_exit(*pid));
    EXPECT_EQ(if_nametoindex("br0"), 0u) << "the tap went with the process";

    RunResult r = sb_.ctl({"--no-ovsdb-server", "start"});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    vsctl({"add-port", "br0", "sb0b"});
    EXPECT_NE(if_nametoindex("br0"), 0u);
    EXPECT_EQ(get("Interface", "sb0a", "ofport"), "1");
    EXPECT_EQ(get("Interface", "sb0b", "ofport"), "2");
}

}  // namespace
}  // namespace braid::test
