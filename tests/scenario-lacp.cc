/* Scenario tests of LACP on bonds of dummy ports, with the clock stopped
 * and warped, against a partner in the test process (see
 * tests/scenario-lacp.h). */
#include <config.h>

#include "tests/scenario-lacp.h"

namespace braid::test {
namespace {

TEST_F(LacpScenario, ActiveActiveNegotiatesAndCarriesTraffic)
{
    add_bond({"a", "b"}, {"bond_mode=balance-tcp", "lacp=active",
                          "other_config:lacp-time=fast"});
    make_peer();
    EXPECT_FALSE(negotiated());
    advance(3000);
    EXPECT_TRUE(negotiated()) << bond_show() << lacp_show();
    EXPECT_EQ(rx_state("a"), "current");
    EXPECT_EQ(rx_state("b"), "current");
    EXPECT_EQ(mux_state("a"), "collecting_distributing");
    EXPECT_TRUE(member_enabled("a")) << bond_show();
    EXPECT_TRUE(member_enabled("b")) << bond_show();
    EXPECT_TRUE(peer_.negotiated());
    EXPECT_TRUE(peer_.member_may_enable(1));
    EXPECT_TRUE(peer_.member_may_enable(2));
    std::string s = lacp_show();
    EXPECT_TRUE(contains(s, "status: active negotiated\n")) << s;
    EXPECT_TRUE(contains(s, "partner sys_id: 02:99:00:00:00:01\n")) << s;
    EXPECT_TRUE(contains(s, "sys_id: 02:aa:00:00:00:01\n")) << s;

    /* Traffic crosses the bond both ways. */
    size_t before = sent_data("a").size() + sent_data("b").size();
    inject("vm", {udp_frame(mac(1), mac(90), 1000, 2000)});
    EXPECT_EQ(sent_data("a").size() + sent_data("b").size(), before + 1);
    inject("b", {udp_frame(mac(90), mac(1), 2000, 1000)});
    EXPECT_EQ(sent("vm").size(), 1u);
}

}  // namespace
}  // namespace braid::test
