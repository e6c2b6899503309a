/* braid-vswitchd's command line, which is ovs-vswitchd's. */
#ifndef BRAID_VSWITCHD_OPTIONS_H
#define BRAID_VSWITCHD_OPTIONS_H 1

#include <optional>
#include <string>
#include <vector>

#include "lib/daemon.h"

namespace braid {

/* The name ovs-appctl, ovs-ctl and logrotate know the daemon by: the
 * pidfile, control socket and log file are named after it. */
inline constexpr const char *kCompatProgramName = "ovs-vswitchd";

struct VswitchdOptions {
    std::string remote;                 /* The OVSDB remote. */
    daemon::Settings daemon;
    std::string log_file;               /* Empty: no log file. */
    std::vector<std::string> verbosity; /* -v settings, in order; "" = all dbg. */
    std::string unixctl_path;           /* Control socket; "none": no socket. */
    bool mlockall = false;
    std::string syslog_method;          /* Empty, "libc" or "null". */

    /* Accepted for compatibility; the datapath and netdev issues use them. */
    std::string enable_dummy;           /* "", "system" or "override". */
    bool disable_system = false;
    bool disable_system_route = false;

    /* SSL files for ssl: remotes. */
    std::string private_key;
    std::string certificate;
    std::string ca_cert;
    std::string peer_ca_cert;
    bool bootstrap_ca_cert = false;
    std::string ssl_protocols;
    std::string ssl_ciphers;

    bool show_help = false;
    bool show_version = false;
};

/* Parses 'argv'.  Relative pidfile and control socket names are taken in
 * the run directory, relative log file names in the log directory (as
 * ovs-vswitchd does).  Returns an error message for bad usage. */
std::optional<std::string> parse_vswitchd_options(int argc, char *argv[],
                                                  VswitchdOptions *options);

/* The text of --help. */
std::string vswitchd_usage();

/* The text of --version and of the "version" command. */
std::string vswitchd_version();

}  // namespace braid

#endif  // BRAID_VSWITCHD_OPTIONS_H
