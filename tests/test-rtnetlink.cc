/* Unit tests for the rtnetlink message parser and event dispatch
 * (lib/rtnetlink.cc), with messages built byte by byte.  No privileges
 * needed: the listener socket only joins a multicast group. */
#include <config.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/coverage.h"
#include "lib/rtnetlink.h"

namespace braid {
namespace {

/* Builds one netlink message with an ifinfomsg header and attributes,
 * filling every length field by hand. */
class MsgBuilder {
public:
    MsgBuilder(uint16_t type, int ifindex, unsigned flags)
    {
        bytes_.resize(sizeof(struct nlmsghdr) + sizeof(struct ifinfomsg));
        struct ifinfomsg ifi {};
        ifi.ifi_index = ifindex;
        ifi.ifi_flags = flags;
        std::memcpy(bytes_.data() + sizeof(struct nlmsghdr), &ifi, sizeof ifi);
        type_ = type;
    }

    /* Appends an attribute with 'len' payload bytes, padded to 4. */
    MsgBuilder &attr(uint16_t type, const void *payload, size_t len)
    {
        struct nlattr nla {};
        nla.nla_len = uint16_t(sizeof nla + len);
        nla.nla_type = type;
        size_t at = bytes_.size();
        bytes_.resize(at + ((sizeof nla + len + 3) & ~size_t(3)));
        std::memcpy(bytes_.data() + at, &nla, sizeof nla);
        std::memcpy(bytes_.data() + at + sizeof nla, payload, len);
        return *this;
    }
    MsgBuilder &str(uint16_t type, const std::string &s)
    {
        return attr(type, s.c_str(), s.size() + 1);
    }
    MsgBuilder &u32(uint16_t type, uint32_t v) { return attr(type, &v, sizeof v); }
    MsgBuilder &u8(uint16_t type, uint8_t v) { return attr(type, &v, sizeof v); }

    /* The finished message; its nlmsg_len covers everything appended. */
    std::vector<uint8_t> build() const
    {
        std::vector<uint8_t> out = bytes_;
        struct nlmsghdr nlh {};
        nlh.nlmsg_len = uint32_t(out.size());
        nlh.nlmsg_type = type_;
        std::memcpy(out.data(), &nlh, sizeof nlh);
        return out;
    }

private:
    std::vector<uint8_t> bytes_;
    uint16_t type_;
};

/* A nested attribute's bytes: header plus the inner attributes. */
std::vector<uint8_t> nested_kind(const std::string &kind)
{
    std::vector<uint8_t> inner(4 + ((kind.size() + 1 + 3) & ~size_t(3)));
    struct nlattr nla {};
    nla.nla_len = uint16_t(4 + kind.size() + 1);
    nla.nla_type = IFLA_INFO_KIND;
    std::memcpy(inner.data(), &nla, sizeof nla);
    std::memcpy(inner.data() + 4, kind.c_str(), kind.size() + 1);
    return inner;
}

RtnlParseError parse(const std::vector<uint8_t> &msg, RtnlLink *link)
{
    return rtnetlink_parse_link(reinterpret_cast<const struct nlmsghdr *>(msg.data()), link);
}

uint64_t counter(const char *name)
{
    return coverage::read_counter(name).value_or(0);
}

constexpr unsigned kUpFlags = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;

TEST(RtnetlinkParseTest, NewLinkWithEveryAttribute)
{
    const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    struct rtnl_link_stats64 st {};
    st.rx_packets = 1;
    st.tx_packets = 2;
    st.rx_bytes = 3;
    st.tx_bytes = 4;
    st.rx_errors = 5;
    st.tx_errors = 6;
    st.rx_dropped = 7;
    st.tx_dropped = 0x100000008ull;     /* Needs all 64 bits. */
    std::vector<uint8_t> info = nested_kind("veth");
    std::vector<uint8_t> msg = MsgBuilder(RTM_NEWLINK, 7, kUpFlags)
                                   .str(IFLA_IFNAME, "veth0")
                                   .u32(IFLA_MTU, 9000)
                                   .u8(IFLA_OPERSTATE, IF_OPER_UP)
                                   .attr(IFLA_ADDRESS, mac, sizeof mac)
                                   .attr(IFLA_STATS64, &st, sizeof st)
                                   .attr(IFLA_LINKINFO, info.data(), info.size())
                                   .build();
    RtnlLink link;
    ASSERT_EQ(parse(msg, &link), RtnlParseError::kNone);
    EXPECT_EQ(link.ifindex, 7);
    EXPECT_EQ(link.name, "veth0");
    EXPECT_EQ(link.flags, kUpFlags);
    EXPECT_EQ(link.operstate, IF_OPER_UP);
    EXPECT_EQ(link.mtu, 9000);
    EXPECT_TRUE(link.has_mac);
    EXPECT_EQ(link.mac, (EthAddr{{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}}));
    ASSERT_TRUE(link.has_stats);
    EXPECT_EQ(link.stats.rx_packets, 1u);
    EXPECT_EQ(link.stats.tx_packets, 2u);
    EXPECT_EQ(link.stats.rx_bytes, 3u);
    EXPECT_EQ(link.stats.tx_bytes, 4u);
    EXPECT_EQ(link.stats.rx_errors, 5u);
    EXPECT_EQ(link.stats.tx_errors, 6u);
    EXPECT_EQ(link.stats.rx_dropped, 7u);
    EXPECT_EQ(link.stats.tx_dropped, 0x100000008ull);
    EXPECT_EQ(link.kind, "veth");
    EXPECT_TRUE(link.is_admin_up());
    EXPECT_TRUE(link.has_carrier());
}

TEST(RtnetlinkParseTest, MinimalDelLink)
{
    RtnlLink link;
    ASSERT_EQ(parse(MsgBuilder(RTM_DELLINK, 12, 0).build(), &link), RtnlParseError::kNone);
    EXPECT_EQ(link.ifindex, 12);
    EXPECT_EQ(link.name, "");
    EXPECT_EQ(link.mtu, 0);
    EXPECT_FALSE(link.has_mac);
    EXPECT_FALSE(link.has_stats);
    EXPECT_FALSE(link.is_admin_up());
    EXPECT_FALSE(link.has_carrier());
}

TEST(RtnetlinkParseTest, Stats32AreUsedOnlyWithoutStats64)
{
    struct rtnl_link_stats st32 {};
    st32.rx_packets = 10;
    st32.tx_dropped = 80;
    struct rtnl_link_stats64 st64 {};
    st64.rx_packets = 1000;
    st64.tx_dropped = 8000;

    RtnlLink link;
    ASSERT_EQ(parse(MsgBuilder(RTM_NEWLINK, 1, 0).attr(IFLA_STATS, &st32, sizeof st32).build(),
                    &link),
              RtnlParseError::kNone);
    EXPECT_TRUE(link.has_stats);
    EXPECT_EQ(link.stats.rx_packets, 10u);
    EXPECT_EQ(link.stats.tx_dropped, 80u);

    /* The kernel sends IFLA_STATS first; the 64-bit ones win in any order. */
    for (bool stats64_first : {false, true}) {
        MsgBuilder b(RTM_NEWLINK, 1, 0);
        if (stats64_first) {
            b.attr(IFLA_STATS64, &st64, sizeof st64).attr(IFLA_STATS, &st32, sizeof st32);
        } else {
            b.attr(IFLA_STATS, &st32, sizeof st32).attr(IFLA_STATS64, &st64, sizeof st64);
        }
        ASSERT_EQ(parse(b.build(), &link), RtnlParseError::kNone);
        EXPECT_EQ(link.stats.rx_packets, 1000u);
        EXPECT_EQ(link.stats.tx_dropped, 8000u);
    }
}

TEST(RtnetlinkParseTest, CarrierNeedsLowerUpAndOperationalState)
{
    struct Case {
        unsigned flags;
        uint8_t operstate;
        bool carrier;
    };
    const Case cases[] = {
        {IFF_UP | IFF_LOWER_UP, IF_OPER_UP, true},
        {IFF_UP | IFF_LOWER_UP, IF_OPER_UNKNOWN, true},     /* Taps, loopback. */
        {IFF_UP | IFF_LOWER_UP, IF_OPER_DORMANT, false},
        {IFF_UP | IFF_LOWER_UP, IF_OPER_LOWERLAYERDOWN, false},
        {IFF_UP, IF_OPER_UP, false},
        {IFF_UP, IF_OPER_DOWN, false},
    };
    for (const Case &c : cases) {
        RtnlLink link;
        std::vector<uint8_t> msg =
            MsgBuilder(RTM_NEWLINK, 3, c.flags).u8(IFLA_OPERSTATE, c.operstate).build();
        ASSERT_EQ(parse(msg, &link), RtnlParseError::kNone);
        EXPECT_EQ(link.has_carrier(), c.carrier) << c.flags << " " << int(c.operstate);
    }
}

TEST(RtnetlinkParseTest, NonEthernetAddressIsIgnored)
{
    const uint8_t addr4[4] = {10, 0, 0, 1};
    RtnlLink link;
    ASSERT_EQ(parse(MsgBuilder(RTM_NEWLINK, 4, 0).attr(IFLA_ADDRESS, addr4, 4).build(), &link),
              RtnlParseError::kNone);
    EXPECT_FALSE(link.has_mac);
}

TEST(RtnetlinkParseTest, RejectsMalformedMessages)
{
    RtnlLink link;
    EXPECT_EQ(parse(MsgBuilder(RTM_NEWADDR, 1, 0).build(), &link), RtnlParseError::kNotLink);

    /* nlmsg_len too short for the ifinfomsg. */
    std::vector<uint8_t> short_msg = MsgBuilder(RTM_NEWLINK, 1, 0).build();
    uint32_t short_len = sizeof(struct nlmsghdr) + 8;
    std::memcpy(short_msg.data(), &short_len, sizeof short_len);
    EXPECT_EQ(parse(short_msg, &link), RtnlParseError::kTruncated);

    const char no_nul[4] = {'e', 't', 'h', '0'};
    EXPECT_EQ(parse(MsgBuilder(RTM_NEWLINK, 1, 0).attr(IFLA_IFNAME, no_nul, 4).build(), &link),
              RtnlParseError::kBadAttribute);
    const uint16_t mtu16 = 1500;
    EXPECT_EQ(parse(MsgBuilder(RTM_NEWLINK, 1, 0).attr(IFLA_MTU, &mtu16, 2).build(), &link),
              RtnlParseError::kBadAttribute);
    const uint64_t few[4] = {};
    EXPECT_EQ(parse(MsgBuilder(RTM_NEWLINK, 1, 0).attr(IFLA_STATS64, few, sizeof few).build(),
                    &link),
              RtnlParseError::kBadAttribute);
    EXPECT_EQ(parse(MsgBuilder(RTM_NEWLINK, 1, 0).attr(IFLA_STATS, few, 16).build(), &link),
              RtnlParseError::kBadAttribute);

    /* An attribute whose length runs past the end of the message. */
    std::vector<uint8_t> overrun = MsgBuilder(RTM_NEWLINK, 1, 0).u32(IFLA_MTU, 1500).build();
    uint16_t big = 200;
    std::memcpy(overrun.data() + sizeof(struct nlmsghdr) + sizeof(struct ifinfomsg), &big,
                sizeof big);
    EXPECT_EQ(parse(overrun, &link), RtnlParseError::kBadAttribute);

    /* An attribute length below the attribute header. */
    std::vector<uint8_t> tiny = MsgBuilder(RTM_NEWLINK, 1, 0).u32(IFLA_MTU, 1500).build();
    uint16_t two = 2;
    std::memcpy(tiny.data() + sizeof(struct nlmsghdr) + sizeof(struct ifinfomsg), &two,
                sizeof two);
    EXPECT_EQ(parse(tiny, &link), RtnlParseError::kBadAttribute);

    /* A nested kind without its NUL. */
    std::vector<uint8_t> info = nested_kind("veth");
    info[4 + 4] = 'x';      /* Overwrite the NUL; the padding is zero... */
    struct nlattr inner {};
    inner.nla_len = 4 + 4;  /* ...so shrink the inner attribute to "veth". */
    inner.nla_type = IFLA_INFO_KIND;
    std::memcpy(info.data(), &inner, sizeof inner);
    info.resize(8);
    EXPECT_EQ(parse(MsgBuilder(RTM_NEWLINK, 1, 0).attr(IFLA_LINKINFO, info.data(), info.size())
                        .build(),
                    &link),
              RtnlParseError::kBadAttribute);
}

TEST(RtnetlinkParseTest, ErrorStrings)
{
    EXPECT_STREQ(rtnl_parse_error_to_string(RtnlParseError::kNone), "no error");
    EXPECT_STREQ(rtnl_parse_error_to_string(RtnlParseError::kNotLink), "not a link message");
    EXPECT_STREQ(rtnl_parse_error_to_string(RtnlParseError::kTruncated), "truncated message");
    EXPECT_STREQ(rtnl_parse_error_to_string(RtnlParseError::kBadAttribute),
                 "malformed attribute");
}

/* Records what a listener callback hears. */
struct Heard {
    std::vector<std::pair<RtnlLink, RtnlChange>> events;
    RtnlCallback callback()
    {
        return [this](const RtnlLink &link, RtnlChange change) {
            events.emplace_back(link, change);
        };
    }
};

/* Dispatches a heap copy of exactly 'bytes.size()' bytes, so that
 * AddressSanitizer reports any read past the end. */
void feed(const std::vector<uint8_t> &bytes)
{
    auto copy = std::make_unique<uint8_t[]>(bytes.size() + (bytes.empty() ? 1 : 0));
    std::copy(bytes.begin(), bytes.end(), copy.get());
    rtnetlink_handle_messages({copy.get(), bytes.size()});
}

/* Names and indexes that no real interface of the test machine has. */
constexpr int kFakeIndex = 1999999;
constexpr int kOtherIndex = 1999998;

TEST(RtnetlinkDispatchTest, ListenersFollowNameThenIndex)
{
    Heard heard;
    int id = 0;
    ASSERT_EQ(rtnetlink_add_listener(0, "braidfake0", heard.callback(), &id), 0);
    ASSERT_GT(id, 0);

    feed(MsgBuilder(RTM_NEWLINK, kFakeIndex, IFF_UP).str(IFLA_IFNAME, "braidfake0").build());
    feed(MsgBuilder(RTM_NEWLINK, kOtherIndex, IFF_UP).str(IFLA_IFNAME, "braidfake1").build());
    ASSERT_EQ(heard.events.size(), 1u);
    EXPECT_EQ(heard.events[0].first.ifindex, kFakeIndex);
    EXPECT_EQ(heard.events[0].second, RtnlChange::kNew);

    /* Once following the index, a rename is still heard and another link
     * taking the old name is not. */
    rtnetlink_set_listener_ifindex(id, kFakeIndex);
    feed(MsgBuilder(RTM_NEWLINK, kFakeIndex, 0).str(IFLA_IFNAME, "renamed0").build());
    feed(MsgBuilder(RTM_NEWLINK, kOtherIndex, 0).str(IFLA_IFNAME, "braidfake0").build());
    feed(MsgBuilder(RTM_DELLINK, kFakeIndex, 0).str(IFLA_IFNAME, "renamed0").build());
    ASSERT_EQ(heard.events.size(), 3u);
    EXPECT_EQ(heard.events[1].first.name, "renamed0");
    EXPECT_EQ(heard.events[1].second, RtnlChange::kNew);
    EXPECT_EQ(heard.events[2].second, RtnlChange::kDelete);

    rtnetlink_remove_listener(id);
    feed(MsgBuilder(RTM_NEWLINK, kFakeIndex, 0).build());
    EXPECT_EQ(heard.events.size(), 3u);
}

TEST(RtnetlinkDispatchTest, MalformedInputIsCountedAndSkipped)
{
    Heard heard;
    int id = 0;
    ASSERT_EQ(rtnetlink_add_listener(kFakeIndex, "", heard.callback(), &id), 0);
    uint64_t short_header = counter("rtnetlink_short_header");
    uint64_t bad_attr = counter("rtnetlink_bad_attribute");
    uint64_t unexpected = counter("rtnetlink_unexpected_type");
    uint64_t truncated = counter("rtnetlink_msg_truncated");

    /* One datagram: a short message, a bad attribute, another type, then a
     * good message, which must still be delivered. */
    std::vector<uint8_t> short_msg = MsgBuilder(RTM_NEWLINK, kFakeIndex, 0).build();
    uint32_t short_len = sizeof(struct nlmsghdr) + 4;
    std::memcpy(short_msg.data(), &short_len, sizeof short_len);
    short_msg.resize(sizeof(struct nlmsghdr) + 4);
    std::vector<uint8_t> bad = MsgBuilder(RTM_NEWLINK, kFakeIndex, 0)
                                   .attr(IFLA_MTU, "ab", 2)
                                   .build();
    std::vector<uint8_t> other = MsgBuilder(RTM_NEWROUTE, kFakeIndex, 0).build();
    std::vector<uint8_t> good = MsgBuilder(RTM_NEWLINK, kFakeIndex, IFF_UP)
                                    .u32(IFLA_MTU, 1234)
                                    .build();
    std::vector<uint8_t> all;
    for (const auto *part : {&short_msg, &bad, &other, &good}) {
        all.insert(all.end(), part->begin(), part->end());
    }
    feed(all);
    EXPECT_EQ(counter("rtnetlink_short_header"), short_header + 1);
    EXPECT_EQ(counter("rtnetlink_bad_attribute"), bad_attr + 1);
    EXPECT_EQ(counter("rtnetlink_unexpected_type"), unexpected + 1);
    ASSERT_EQ(heard.events.size(), 1u);
    EXPECT_EQ(heard.events[0].first.mtu, 1234);

    /* Bytes that cannot hold a header, and a header claiming more than
     * the datagram holds. */
    feed(std::vector<uint8_t>(10, 0xff));
    std::vector<uint8_t> claims_more = good;
    uint32_t huge = uint32_t(good.size() + 64);
    std::memcpy(claims_more.data(), &huge, sizeof huge);
    feed(claims_more);
    EXPECT_EQ(counter("rtnetlink_msg_truncated"), truncated + 2);
    EXPECT_EQ(heard.events.size(), 1u);

    rtnetlink_remove_listener(id);
}

TEST(RtnetlinkDispatchTest, SurvivesMutatedMessages)
{
    Heard heard;
    int id = 0;
    ASSERT_EQ(rtnetlink_add_listener(kFakeIndex, "", heard.callback(), &id), 0);
    struct rtnl_link_stats64 st {};
    std::vector<uint8_t> info = nested_kind("tun");
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    std::vector<uint8_t> base = MsgBuilder(RTM_NEWLINK, kFakeIndex, kUpFlags)
                                    .str(IFLA_IFNAME, "braidfake0")
                                    .u32(IFLA_MTU, 1500)
                                    .attr(IFLA_ADDRESS, mac, sizeof mac)
                                    .attr(IFLA_STATS64, &st, sizeof st)
                                    .attr(IFLA_LINKINFO, info.data(), info.size())
                                    .build();
    std::mt19937 rng(12345);
    for (int i = 0; i < 20000; i++) {
        std::vector<uint8_t> m = base;
        int flips = 1 + int(rng() % 4);
        for (int f = 0; f < flips; f++) {
            m[rng() % m.size()] = uint8_t(rng());
        }
        m.resize(rng() % (m.size() + 1));
        feed(m);
    }
    rtnetlink_remove_listener(id);
    /* Only messages that still named the link reached the callback. */
    for (const auto &[link, change] : heard.events) {
        EXPECT_EQ(link.ifindex, kFakeIndex);
    }
}

}  // namespace
}  // namespace braid
