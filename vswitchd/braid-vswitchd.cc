/* braid-vswitchd: the Braid switch daemon, a drop-in for ovs-vswitchd. */
#include <config.h>

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <memory>
#include <thread>

#include "lib/coverage.h"
#include "lib/daemon.h"
#include "lib/event-loop.h"
#include "lib/memory.h"
#include "lib/netdev-provider.h"
#include "lib/ovsdb-session.h"
#include "lib/rtnetlink.h"
#include "lib/signals.h"
#include "lib/timeval.h"
#include "lib/unixctl-server.h"
#include "lib/unixctl.h"
#include "lib/util.h"
#include "lib/vlog.h"
#include "vswitchd/bridge.h"
#include "vswitchd/db-settings.h"
#include "vswitchd/options.h"

BRAID_LOG_MODULE(vswitchd);

namespace braid {
namespace {

/* Applies the logging options.  Exits on a bad one. */
void configure_logging(const VswitchdOptions &options)
{
    for (const std::string &spec : options.verbosity) {
        if (spec.empty()) {
            vlog::set_all_levels(vlog::Level::kDbg);
        } else if (auto error = vlog::set_from_string(spec)) {
            fmt::print(stderr, "braid-vswitchd: -v{}: {}\n", spec, *error);
            std::exit(EXIT_FAILURE);
        }
    }
    if (options.syslog_method == "null") {
        vlog::set_levels("", vlog::Destination::kSyslog, vlog::Level::kOff);
    }
    vlog::set_syslog_ident(kCompatProgramName);
    if (!options.log_file.empty()) {
        if (auto error = vlog::set_log_file(options.log_file)) {
            fmt::print(stderr, "braid-vswitchd: {}\n", *error);
            std::exit(EXIT_FAILURE);
        }
    }
}

/* The daemon after start-up: the loop and what hangs off it. */
class Vswitchd {
public:
    explicit Vswitchd(const VswitchdOptions &options) : options_(options) {}

    int run()
    {
        signals_ = std::make_unique<SignalWatcher>(
            loop_, std::initializer_list<int>{SIGTERM, SIGINT, SIGHUP, SIGALRM},
            [this](int signo) { terminate(signo); });

        if (options_.unixctl_path != "none") {
            std::string path = options_.unixctl_path.empty()
                                   ? UnixctlServer::default_path(kCompatProgramName)
                                   : options_.unixctl_path;
            std::string error;
            unixctl_ = UnixctlServer::create(loop_, path, &error);
            if (!unixctl_) {
                fatal("could not initialize control socket {}", error);
            }
            daemon::unlink_at_exit(path);
        }
        register_commands();

        /* Devices, then the database session that configures them. */
        netdev_set_control_loop(&loop_);
        rtnetlink_set_loop(&loop_);
        if (options_.enable_dummy == "override") {
            netdev_enable_dummy_override();
        }
        netdev_register_builtin_classes();
        ovsdb::Session::Settings db;
        db.remote = options_.remote;
        db.lock = "ovs_vswitchd";
        db.wanted = vswitchd_wanted_columns();
        session_ = std::make_unique<ovsdb::Session>(loop_, db, [this] { bridges_->run(); });
        bridges_ = std::make_unique<BridgeManager>(loop_, *session_);
        session_->start();

        VLOG_INFO("{}", vswitchd_version().substr(0, vswitchd_version().find('\n')));
        VLOG_INFO("Braid {} started, database {}, control socket {}", PACKAGE_VERSION,
                  options_.remote, unixctl_ ? unixctl_->path() : "none");
        daemon::notify_ready();

        loop_.run();

        VLOG_INFO("exiting");
        bridges_.reset();       /* Removes the devices the bridges created. */
        session_.reset();
        rtnetlink_set_loop(nullptr);
        netdev_set_control_loop(nullptr);
        daemon::remove_files();
        if (exit_signal_) {
            /* Die of the signal, as a process killed by it would. */
            vlog::close_log_file();
            signal(exit_signal_, SIG_DFL);
            raise(exit_signal_);
        }
        return EXIT_SUCCESS;
    }

private:
    void register_commands()
    {
        unixctl::register_builtin_commands(vswitchd_version());
        vlog::register_commands();
        coverage::register_commands(loop_);
        memory::register_commands();
        timeval::register_commands(loop_);
        unixctl::register_command(
            "exit", "[--cleanup]", 0, 1,
            [this](const unixctl::Args &args, const unixctl::Reply &reply) {
                if (!args.empty() && args[0] != "--cleanup") {
                    reply.error(fmt::format("exit: unknown option \"{}\" (expected "
                                            "--cleanup)",
                                            args[0]));
                    return;
                }
                VLOG_INFO("exit requested{}", args.empty() ? "" : " with --cleanup");
                /* Remove our files before answering, so that once ovs-appctl
                 * returns, nobody finds a pidfile or socket of a daemon that
                 * is going away. */
                if (unixctl_) {
                    unixctl_->unlink_path();
                }
                daemon::remove_files();
                reply.ok();
                loop_.stop_running();
            });
        unixctl::register_command(
            "debug/block-main-thread", "MSECS", 1, 1,
            [](const unixctl::Args &args, const unixctl::Reply &reply) {
                long long ms;
                if (!parse_int(args[0], 0, 60000, &ms)) {
                    reply.error("debug/block-main-thread: expected a time in milliseconds, "
                                "0 to 60000");
                    return;
                }
                /* For tests of the liveness paths: the control thread does
                 * nothing else (no database, no commands, no device
                 * notifications) for this long, in real time. */
                VLOG_WARN("blocking the main thread for {} ms, as asked", ms);
                std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                reply.ok(fmt::format("blocked for {} ms", ms));
            });
    }

    void terminate(int signo)
    {
        VLOG_INFO("received signal {} ({}), exiting", signo, strsignal(signo));
        exit_signal_ = signo;
        loop_.stop_running();
    }

    const VswitchdOptions &options_;
    EventLoop loop_;
    std::unique_ptr<SignalWatcher> signals_;
    std::unique_ptr<UnixctlServer> unixctl_;
    std::unique_ptr<ovsdb::Session> session_;
    std::unique_ptr<BridgeManager> bridges_;
    int exit_signal_ = 0;
};

}  // namespace
}  // namespace braid

int main(int argc, char *argv[])
{
    using namespace braid;
    set_program_name("braid-vswitchd");
    ignore_sigpipe();

    VswitchdOptions options;
    if (auto error = parse_vswitchd_options(argc, argv, &options)) {
        fmt::print(stderr, "braid-vswitchd: {}\n", *error);
        return EXIT_FAILURE;
    }
    if (options.show_help) {
        fmt::print("{}", vswitchd_usage());
        return EXIT_SUCCESS;
    }
    if (options.show_version) {
        fmt::print("{}", vswitchd_version());
        return EXIT_SUCCESS;
    }
    configure_logging(options);
    if (options.mlockall && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
        VLOG_ERR("mlockall failed: {}", errno_to_string(errno));
    }

    daemon::start(options.daemon);
    Vswitchd vswitchd(options);
    return vswitchd.run();
}
