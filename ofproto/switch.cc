/* The switching machinery shared by all bridges. */
#include <config.h>

#include "ofproto/switch.h"

#include <fmt/format.h>

#include "lib/timeval.h"
#include "lib/unixctl.h"
#include "lib/util.h"
#include "lib/vlog.h"
#include "ofproto/bond-liveness.h"
#include "ofproto/bond.h"
#include "ofproto/mac-learning.h"
#include "ofproto/ofproto.h"

BRAID_LOG_MODULE(switch);

namespace braid::ofproto {
namespace {

constexpr int64_t kRevalidateIntervalMs = 1000;

/* Parses pmd-cpu-mask (hexadecimal) into CPU numbers. */
std::vector<int> parse_cpu_mask(const std::string &mask)
{
    std::vector<int> cpus;
    std::string hex = mask.rfind("0x", 0) == 0 ? mask.substr(2) : mask;
    int bit = 0;
    for (auto it = hex.rbegin(); it != hex.rend(); ++it, bit += 4) {
        int v = std::isdigit(static_cast<unsigned char>(*it)) ? *it - '0'
                : std::isxdigit(static_cast<unsigned char>(*it)) ? std::tolower(*it) - 'a' + 10
                                                                 : -1;
        if (v < 0) {
            return {};
        }
        for (int b = 0; b < 4; b++) {
            if (v & (1 << b)) {
                cpus.push_back(bit + b);
            }
        }
    }
    return cpus;
}

}  // namespace

Switch::Switch(EventLoop &loop) : loop_(loop), xlate_(datapath_)
{
    datapath_.set_upcall_handler([this](const FlowKey &key, const DpPacket &packet,
                                        dp::Upcall *out) {
        return xlate_.translate(key, packet, out);
    });
    datapath_.configure(dp::Datapath::Settings{});
    datapath_.register_commands();
    register_commands();
    Bond::register_commands();
    liveness_ = std::make_unique<BondLiveness>(&datapath_);
    revalidator_.start(loop_, kRevalidateIntervalMs, [this] { revalidate_now(); });
}

Switch::~Switch()
{
    liveness_.reset();
    Bond::unregister_commands();
    for (const char *cmd : {"dpif/show", "fdb/show", "fdb/flush", "fdb/stats-show",
                            "fdb/stats-clear"}) {
        unixctl::unregister_command(cmd);
    }
}

void Switch::configure(const std::map<std::string, std::string> &other_config)
{
    dp::Datapath::Settings s;
    long long n;
    auto it = other_config.find("n-pmd-threads");
    if (it != other_config.end() && parse_int(it->second, 1, 64, &n)) {
        s.n_pmds = int(n);
    }
    it = other_config.find("pmd-cpu-mask");
    if (it != other_config.end()) {
        s.cpus = parse_cpu_mask(it->second);
        if (s.cpus.empty()) {
            static vlog::RateLimit rl(5, 20);
            VLOG_WARN_RL(rl, "ignoring pmd-cpu-mask \"{}\": not a hexadecimal CPU mask",
                         it->second);
        } else if (other_config.find("n-pmd-threads") == other_config.end()) {
            s.n_pmds = int(s.cpus.size());
        }
    }
    datapath_.configure(s);
}

void Switch::publish(const std::vector<const Ofproto *> &bridges)
{
    bridges_ = bridges;
    auto config = std::make_shared<XlateConfig>();
    for (const Ofproto *br : bridges) {
        XBridge xb;
        xb.name = br->name();
        xb.index = uint32_t(config->bridges.size());
        xb.mac_learning = br->mac_learning();
        for (const PortSettings &ps : br->settings().ports) {
            XPort xp;
            xp.name = ps.name;
            xp.id = br->port_id(ps);
            xp.vlan = ps.vlan;
            if (const Bond *bond = br->bond(ps.name)) {
                xp.bond_id = int64_t(bond->bond_id());
                xp.bond_reflection_rule = bond->reflection_rule();
            }
            for (const InterfaceSettings &is : ps.interfaces) {
                const Interface *iface = br->interface(is.name);
                if (iface && iface->dp_port) {
                    xp.dp_ports.push_back(iface->dp_port);
                    config->by_dp_port[iface->dp_port] = {xb.index,
                                                          uint32_t(xb.ports.size())};
                }
            }
            xb.ports.push_back(std::move(xp));
        }
        config->bridges.push_back(std::move(xb));
    }
    xlate_.publish(config);
}

void Switch::set_status_listener(std::function<void()> fn)
{
    std::lock_guard<std::mutex> lock(status_mutex_);
    status_listener_ = std::move(fn);
}

void Switch::status_changed()
{
    std::function<void()> fn;
    {
        std::lock_guard<std::mutex> lock(status_mutex_);
        fn = status_listener_;
    }
    if (fn) {
        fn();
    }
}

void Switch::revalidate_now()
{
    std::shared_ptr<const XlateConfig> config = xlate_.config();
    /* Flows that carried traffic keep their sources' MAC entries alive. */
    for (const dp::LearnInfo &l : datapath_.sweep(kMaxIdleMs)) {
        if (config && l.bridge < config->bridges.size()) {
            config->bridges[l.bridge].mac_learning->refresh(l.mac, l.vlan, l.port);
        }
    }
    bool changed = false;
    for (const Ofproto *br : bridges_) {
        changed |= br->mac_learning()->expire() > 0;
    }
    if (changed) {
        datapath_.revalidate();
    }
    revalidator_.start(loop_, kRevalidateIntervalMs, [this] { revalidate_now(); });
}

const Ofproto *Switch::find_bridge(const std::string &name) const
{
    for (const Ofproto *br : bridges_) {
        if (br->name() == name) {
            return br;
        }
    }
    return nullptr;
}

void Switch::register_commands()
{
    using unixctl::Args;
    using unixctl::Reply;
    unixctl::register_command("dpif/show", "", 0, 0, [this](const Args &, const Reply &reply) {
        std::string s = fmt::format("netdev@{}: hit:{} missed:{}\n", datapath_.name(),
                                    datapath_.n_hits(), datapath_.n_missed());
        for (const Ofproto *br : bridges_) {
            s += fmt::format("  {}:\n", br->name());
            for (const auto &[name, iface] : br->interfaces()) {
                if (!iface.dp_port) {
                    continue;
                }
                s += fmt::format("    {} {}/{}: ({})\n", name, iface.ofport, iface.dp_port,
                                 iface.settings.type.empty() ? "system" : iface.settings.type);
            }
        }
        reply.ok(s);
    });
    unixctl::register_command("fdb/show", "bridge", 1, 1, [this](const Args &args,
                                                                 const Reply &reply) {
        const Ofproto *br = find_bridge(args[0]);
        if (!br) {
            reply.error("no such bridge");
            return;
        }
        reply.ok(br->mac_learning()->show());
    });
    unixctl::register_command("fdb/flush", "[bridge]", 0, 1, [this](const Args &args,
                                                                    const Reply &reply) {
        if (!args.empty()) {
            const Ofproto *br = find_bridge(args[0]);
            if (!br) {
                reply.error("no such bridge");
                return;
            }
            br->mac_learning()->flush();
        } else {
            for (const Ofproto *br : bridges_) {
                br->mac_learning()->flush();
            }
        }
        datapath_.revalidate();
        reply.ok("table successfully flushed");
    });
    unixctl::register_command("fdb/stats-show", "bridge", 1, 1, [this](const Args &args,
                                                                       const Reply &reply) {
        const Ofproto *br = find_bridge(args[0]);
        if (!br) {
            reply.error("no such bridge");
            return;
        }
        reply.ok(br->mac_learning()->stats_show(br->name()));
    });
    unixctl::register_command("fdb/stats-clear", "[bridge]", 0, 1, [this](const Args &args,
                                                                          const Reply &reply) {
        for (const Ofproto *br : bridges_) {
            if (args.empty() || br->name() == args[0]) {
                br->mac_learning()->clear_stats();
            }
        }
        if (!args.empty() && !find_bridge(args[0])) {
            reply.error("no such bridge");
            return;
        }
        reply.ok("statistics successfully cleared");
    });
}

}  // namespace braid::ofproto
