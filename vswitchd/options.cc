/* braid-vswitchd's command line. */
#include <config.h>

#include "vswitchd/options.h"

#include <getopt.h>

#include <fmt/format.h>

#include "lib/dirs.h"

namespace braid {
namespace {

enum {
    OPT_PIDFILE = 256,
    OPT_OVERWRITE_PIDFILE,
    OPT_DETACH,
    OPT_NO_CHDIR,
    OPT_MONITOR,
    OPT_USER,
    OPT_NO_SELF_CONFINEMENT,
    OPT_LOG_FILE,
    OPT_SYSLOG_METHOD,
    OPT_SYSLOG_TARGET,
    OPT_UNIXCTL,
    OPT_MLOCKALL,
    OPT_ENABLE_DUMMY,
    OPT_DISABLE_SYSTEM,
    OPT_DISABLE_SYSTEM_ROUTE,
    OPT_PEER_CA_CERT,
    OPT_BOOTSTRAP_CA_CERT,
    OPT_SSL_PROTOCOLS,
    OPT_SSL_CIPHERS,
};

const struct option kLongOptions[] = {
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
    {"verbose", optional_argument, nullptr, 'v'},
    {"pidfile", optional_argument, nullptr, OPT_PIDFILE},
    {"overwrite-pidfile", no_argument, nullptr, OPT_OVERWRITE_PIDFILE},
    {"detach", no_argument, nullptr, OPT_DETACH},
    {"no-chdir", no_argument, nullptr, OPT_NO_CHDIR},
    {"monitor", no_argument, nullptr, OPT_MONITOR},
    {"user", required_argument, nullptr, OPT_USER},
    {"no-self-confinement", no_argument, nullptr, OPT_NO_SELF_CONFINEMENT},
    {"log-file", optional_argument, nullptr, OPT_LOG_FILE},
    {"syslog-method", required_argument, nullptr, OPT_SYSLOG_METHOD},
    {"syslog-target", required_argument, nullptr, OPT_SYSLOG_TARGET},
    {"unixctl", required_argument, nullptr, OPT_UNIXCTL},
    {"mlockall", no_argument, nullptr, OPT_MLOCKALL},
    {"enable-dummy", optional_argument, nullptr, OPT_ENABLE_DUMMY},
    {"disable-system", no_argument, nullptr, OPT_DISABLE_SYSTEM},
    {"disable-system-route", no_argument, nullptr, OPT_DISABLE_SYSTEM_ROUTE},
    {"private-key", required_argument, nullptr, 'p'},
    {"certificate", required_argument, nullptr, 'c'},
    {"ca-cert", required_argument, nullptr, 'C'},
    {"peer-ca-cert", required_argument, nullptr, OPT_PEER_CA_CERT},
    {"bootstrap-ca-cert", required_argument, nullptr, OPT_BOOTSTRAP_CA_CERT},
    {"ssl-protocols", required_argument, nullptr, OPT_SSL_PROTOCOLS},
    {"ssl-ciphers", required_argument, nullptr, OPT_SSL_CIPHERS},
    {nullptr, 0, nullptr, 0},
};

bool valid_remote(const std::string &remote)
{
    for (const char *prefix : {"unix:", "tcp:", "ssl:", "punix:", "ptcp:", "pssl:"}) {
        if (remote.rfind(prefix, 0) == 0 && remote.size() > std::string(prefix).size()) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::optional<std::string> parse_vswitchd_options(int argc, char *argv[],
                                                  VswitchdOptions *options)
{
    *options = VswitchdOptions{};
    optind = 0;         /* Restart getopt, also for repeated calls in tests. */
    opterr = 0;
    for (;;) {
        int longindex = 0;
        int c = getopt_long(argc, argv, ":hVv::p:c:C:", kLongOptions, &longindex);
        if (c == -1) {
            break;
        }
        std::string arg = optarg ? optarg : "";
        switch (c) {
        case 'h':
            options->show_help = true;
            break;
        case 'V':
            options->show_version = true;
            break;
        case 'v':
            options->verbosity.push_back(arg);
            break;
        case OPT_PIDFILE:
            options->daemon.pidfile = dirs::abs_file_name(
                dirs::rundir(), arg.empty() ? std::string(kCompatProgramName) + ".pid" : arg);
            break;
        case OPT_OVERWRITE_PIDFILE:
            options->daemon.overwrite_pidfile = true;
            break;
        case OPT_DETACH:
            options->daemon.detach = true;
            break;
        case OPT_NO_CHDIR:
            options->daemon.chdir_root = false;
            break;
        case OPT_MONITOR:
            options->daemon.monitor = true;
            break;
        case OPT_USER:
            /* Braid needs root for AF_PACKET and tap devices, and does not
             * drop privileges yet; say so instead of pretending. */
            if (arg != "root" && arg != "root:root") {
                return fmt::format("--user={}: running as a user other than root is not "
                                   "supported",
                                   arg);
            }
            break;
        case OPT_NO_SELF_CONFINEMENT:
            break;      /* Braid does not confine itself; nothing to turn off. */
        case OPT_LOG_FILE:
            options->log_file = dirs::abs_file_name(
                dirs::logdir(), arg.empty() ? std::string(kCompatProgramName) + ".log" : arg);
            break;
        case OPT_SYSLOG_METHOD:
            if (arg != "libc" && arg != "null") {
                return fmt::format("--syslog-method={}: only \"libc\" and \"null\" are "
                                   "supported",
                                   arg);
            }
            options->syslog_method = arg;
            break;
        case OPT_SYSLOG_TARGET:
            return fmt::format("--syslog-target={}: sending logs to a remote syslog "
                               "target is not supported",
                               arg);
        case OPT_UNIXCTL:
            options->unixctl_path = arg == "none" ? arg : dirs::abs_file_name(dirs::rundir(), arg);
            break;
        case OPT_MLOCKALL:
            options->mlockall = true;
            break;
        case OPT_ENABLE_DUMMY:
            if (!arg.empty() && arg != "system" && arg != "override") {
                return fmt::format("--enable-dummy={}: expected \"system\" or \"override\"",
                                   arg);
            }
            options->enable_dummy = arg.empty() ? "system" : arg;
            break;
        case OPT_DISABLE_SYSTEM:
            options->disable_system = true;
            break;
        case OPT_DISABLE_SYSTEM_ROUTE:
            options->disable_system_route = true;
            break;
        case 'p':
            options->private_key = arg;
            break;
        case 'c':
            options->certificate = arg;
            break;
        case 'C':
            options->ca_cert = arg;
            break;
        case OPT_PEER_CA_CERT:
            options->peer_ca_cert = arg;
            break;
        case OPT_BOOTSTRAP_CA_CERT:
            options->ca_cert = arg;
            options->bootstrap_ca_cert = true;
            break;
        case OPT_SSL_PROTOCOLS:
            options->ssl_protocols = arg;
            break;
        case OPT_SSL_CIPHERS:
            options->ssl_ciphers = arg;
            break;
        case ':':
            return fmt::format("option \"{}\" requires an argument (use --help for help)",
                               argv[optind - 1]);
        case '?':
        default: {
            std::string typed = argv[optind - 1];
            if (optopt == 0) {
                return fmt::format("unrecognized or incomplete option \"{}\" (use --help "
                                   "for help)",
                                   typed);
            } else if (typed.rfind("--", 0) == 0) {
                return fmt::format("option \"{}\" does not take an argument (use --help "
                                   "for help)",
                                   typed.substr(0, typed.find('=')));
            }
            return fmt::format("invalid option -{} (use --help for help)", char(optopt));
        }
        }
    }

    int n_args = argc - optind;
    if (n_args > 1) {
        return "at most one non-option argument (the database remote) is accepted";
    }
    options->remote = n_args == 1 ? argv[optind] : "unix:" + dirs::rundir() + "/db.sock";
    if (!valid_remote(options->remote)) {
        return fmt::format("\"{}\" is not a database remote (expected unix:PATH, "
                           "tcp:HOST:PORT or ssl:HOST:PORT)",
                           options->remote);
    }
    return std::nullopt;
}

std::string vswitchd_usage()
{
    return fmt::format(
        "braid-vswitchd: Braid virtual switch daemon (a drop-in for ovs-vswitchd)\n"
        "usage: braid-vswitchd [OPTIONS] [DATABASE]\n"
        "where DATABASE is a socket on which ovsdb-server is listening\n"
        "      (default: \"unix:{}/db.sock\").\n"
        "\n"
        "Daemon options:\n"
        "  --detach                run in background as daemon\n"
        "  --monitor               restart the daemon if it crashes\n"
        "  --no-chdir              do not chdir to '/'\n"
        "  --pidfile[=FILE]        create pidfile (default: {}/{}.pid)\n"
        "  --overwrite-pidfile     with --pidfile, start even if already running\n"
        "  --user=root             accepted for compatibility (Braid runs as root)\n"
        "\n"
        "Logging options:\n"
        "  -vSPEC, --verbose=SPEC  set logging levels\n"
        "  -v, --verbose           set maximum verbosity level\n"
        "  --log-file[=FILE]       enable logging to specified FILE\n"
        "                          (default: {}/{}.log)\n"
        "  --syslog-method=libc    how to send syslog messages\n"
        "\n"
        "Other options:\n"
        "  --unixctl=SOCKET        override default control socket name\n"
        "  --mlockall              lock all memory into RAM\n"
        "  --enable-dummy[=override]  use dummy network devices (for tests)\n"
        "  -p, --private-key=FILE  file with private key (for ssl: remotes)\n"
        "  -c, --certificate=FILE  file with certificate for private key\n"
        "  -C, --ca-cert=FILE      file with peer CA certificate\n"
        "  -h, --help              display this help message\n"
        "  -V, --version           display version information\n",
        dirs::rundir(), dirs::rundir(), kCompatProgramName, dirs::logdir(), kCompatProgramName);
}

std::string vswitchd_version()
{
    /* The first line has the form tools parse ("... (Open vSwitch) X.Y.Z");
     * the version is that of the ovs-vswitchd contract Braid implements. */
    return fmt::format("braid-vswitchd (Open vSwitch) {}\nBraid {}\n",
                       BRAID_OVS_COMPAT_VERSION, PACKAGE_VERSION);
}

}  // namespace braid
