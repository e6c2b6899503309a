/* The bond commands: bond/list, bond/show, bond/show-linux, bond/migrate,
 * bond/set-active-member, bond/enable-member, bond/disable-member and
 * bond/hash, with the names Open vSwitch used before "member" ("-slave");
 * and the commands of the bonds' LACP, lacp/show and lacp/show-stats. */
#include <config.h>

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "lib/dp-bond.h"
#include "lib/unixctl.h"
#include "lib/util.h"
#include "ofproto/bond-show.h"
#include "ofproto/bond.h"
#include "ofproto/lacp-show.h"

namespace braid::ofproto {
namespace {

using unixctl::Args;
using unixctl::Reply;

/* Bonds sorted by bridge and name, so output does not depend on the order
 * they were made in. */
std::vector<Bond *> sorted_bonds()
{
    std::vector<Bond *> v(Bond::all().begin(), Bond::all().end());
    std::sort(v.begin(), v.end(), [](const Bond *a, const Bond *b) { return a->name() < b->name(); });
    return v;
}

Bond *find_bond(const std::string &name)
{
    for (Bond *b : Bond::all()) {
        if (b->name() == name) {
            return b;
        }
    }
    return nullptr;
}

const char *const kCommands[] = {
    "bond/list", "bond/show", "bond/show-linux", "bond/migrate", "bond/set-active-member",
    "bond/set-active-slave", "bond/enable-member", "bond/enable-slave", "bond/disable-member",
    "bond/disable-slave", "bond/hash", "lacp/show", "lacp/show-stats",
};

/* lacp/show and lacp/show-stats: 'text' of the bond named by args[0], or
 * of every bond that runs LACP. */
void lacp_command(const Args &args, const Reply &reply,
                  std::string (*text)(const LacpStatus &, const std::string &))
{
    std::string out;
    for (Bond *b : sorted_bonds()) {
        if (!args.empty() && b->name() != args[0]) {
            continue;
        }
        if (std::optional<LacpStatus> s = b->lacp_status()) {
            out += text(*s, b->name());
        }
    }
    if (!args.empty() && out.empty()) {
        reply.error("no such lacp object");
        return;
    }
    reply.ok(out);
}

/* Runs 'fn' on the bond named by args[0] and member args[1]. */
void member_command(const Args &args, const Reply &reply,
                    const std::function<bool(Bond &, const std::string &, std::string *)> &fn)
{
    Bond *bond = find_bond(args[0]);
    if (!bond) {
        reply.error("no such bond");
        return;
    }
    std::string text;
    if (fn(*bond, args[1], &text)) {
        reply.ok(text);
    } else {
        reply.error(text);
    }
}

}  // namespace

void Bond::register_commands()
{
    unixctl::register_command("bond/list", "", 0, 0, [](const Args &, const Reply &reply) {
        std::vector<BondStatus> all;
        for (Bond *b : sorted_bonds()) {
            all.push_back(b->status());
        }
        reply.ok(bond_list_text(all));
    });
    unixctl::register_command("bond/show", "[port]", 0, 1, [](const Args &args,
                                                              const Reply &reply) {
        if (!args.empty()) {
            Bond *b = find_bond(args[0]);
            if (!b) {
                reply.error("no such bond");
                return;
            }
            reply.ok(bond_show_text(b->status()));
            return;
        }
        std::vector<BondStatus> all;
        for (Bond *b : sorted_bonds()) {
            all.push_back(b->status());
        }
        reply.ok(bond_show_all_text(all));
    });
    unixctl::register_command("bond/show-linux", "[port]", 0, 1, [](const Args &args,
                                                                    const Reply &reply) {
        std::string text;
        for (Bond *b : sorted_bonds()) {
            if (args.empty() || b->name() == args[0]) {
                text += (text.empty() ? "" : "\n") + bond_show_linux_text(b->status());
            }
        }
        if (!args.empty() && text.empty()) {
            reply.error("no such bond");
            return;
        }
        reply.ok(text);
    });
    unixctl::register_command("bond/migrate", "port hash member", 3, 3, [](const Args &args,
                                                                           const Reply &reply) {
        Bond *b = find_bond(args[0]);
        if (!b) {
            reply.error("no such bond");
            return;
        }
        long long hash;
        if (!parse_int(args[1], 0, LLONG_MAX, &hash)) {
            reply.error("bad hash");
            return;
        }
        std::string text;
        if (b->migrate(uint32_t(hash & dp::kBondBucketMask), args[2], &text)) {
            reply.ok(text);
        } else {
            reply.error(text);
        }
    });
    for (const char *name : {"bond/set-active-member", "bond/set-active-slave"}) {
        unixctl::register_command(name, "port member", 2, 2, [](const Args &args,
                                                                const Reply &reply) {
            member_command(args, reply, [](Bond &b, const std::string &member,
                                           std::string *text) {
                return b.set_active_member(member, text);
            });
        });
    }
    struct Toggle {
        const char *name;
        bool enable;
    };
    for (const Toggle &t : {Toggle{"bond/enable-member", true}, Toggle{"bond/enable-slave", true},
                            Toggle{"bond/disable-member", false},
                            Toggle{"bond/disable-slave", false}}) {
        bool enable = t.enable;
        unixctl::register_command(t.name, "port member", 2, 2, [enable](const Args &args,
                                                                        const Reply &reply) {
            member_command(args, reply, [enable](Bond &b, const std::string &member,
                                                 std::string *text) {
                return b.enable_member(member, enable, text);
            });
        });
    }
    unixctl::register_command("bond/hash", "mac [vlan] [basis]", 1, 3, [](const Args &args,
                                                                          const Reply &reply) {
        std::optional<EthAddr> mac = EthAddr::parse(args[0]);
        if (!mac) {
            reply.error("invalid mac");
            return;
        }
        long long vlan = 0;
        if (args.size() > 1 && !parse_int(args[1], 0, 4095, &vlan)) {
            reply.error("invalid vlan");
            return;
        }
        long long basis = 0;
        if (args.size() > 2 && !parse_int(args[2], 0, UINT32_MAX, &basis)) {
            reply.error("invalid basis");
            return;
        }
        uint32_t hash = dp::bond_hash_mac(*mac, uint16_t(vlan), uint32_t(basis));
        reply.ok(fmt::format("{}", hash & dp::kBondBucketMask));
    });
    unixctl::register_command("lacp/show", "[port]", 0, 1, [](const Args &args,
                                                              const Reply &reply) {
        lacp_command(args, reply, lacp_show_text);
    });
    unixctl::register_command("lacp/show-stats", "[port]", 0, 1, [](const Args &args,
                                                                    const Reply &reply) {
        lacp_command(args, reply, lacp_show_stats_text);
    });
}

void Bond::unregister_commands()
{
    for (const char *name : kCommands) {
        unixctl::unregister_command(name);
    }
}

}  // namespace braid::ofproto
