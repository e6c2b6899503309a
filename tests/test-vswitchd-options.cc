/* Unit tests for braid-vswitchd's command line (vswitchd/options.cc). */
#include <config.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/dirs.h"
#include "vswitchd/options.h"

namespace braid {
namespace {

/* Parses 'args' (argv[0] first) into '*options' from a fresh, writable argv
 * as main() gets it; getopt may permute it. */
std::optional<std::string> parse(std::initializer_list<std::string> args,
                                 VswitchdOptions *options)
{
    std::vector<std::string> storage(args);
    std::vector<char *> argv;
    for (std::string &arg : storage) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    return parse_vswitchd_options(int(storage.size()), argv.data(), options);
}

/* Checks that 'options' holds nothing but the defaults. */
void expect_defaults(const VswitchdOptions &options)
{
    EXPECT_EQ(options.remote, "unix:" + dirs::rundir() + "/db.sock");
    EXPECT_EQ(options.daemon.pidfile, "");
    EXPECT_FALSE(options.daemon.overwrite_pidfile);
    EXPECT_FALSE(options.daemon.detach);
    EXPECT_FALSE(options.daemon.monitor);
    EXPECT_TRUE(options.daemon.chdir_root);
    EXPECT_EQ(options.log_file, "");
    EXPECT_TRUE(options.verbosity.empty());
    EXPECT_EQ(options.unixctl_path, "");
    EXPECT_FALSE(options.mlockall);
    EXPECT_EQ(options.syslog_method, "");
    EXPECT_EQ(options.enable_dummy, "");
    EXPECT_FALSE(options.disable_system);
    EXPECT_FALSE(options.disable_system_route);
    EXPECT_EQ(options.private_key, "");
    EXPECT_EQ(options.certificate, "");
    EXPECT_EQ(options.ca_cert, "");
    EXPECT_EQ(options.peer_ca_cert, "");
    EXPECT_FALSE(options.bootstrap_ca_cert);
    EXPECT_EQ(options.ssl_protocols, "");
    EXPECT_EQ(options.ssl_ciphers, "");
    EXPECT_FALSE(options.show_help);
    EXPECT_FALSE(options.show_version);
}

TEST(VswitchdOptions, OvsCtlCommandLine)
{
    /* What ovs-ctl start runs, with the database remote first. */
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "unix:/var/run/openvswitch/db.sock", "-vconsole:emer",
                     "-vsyslog:err", "-vfile:info", "--mlockall", "--no-chdir",
                     "--log-file=/var/log/openvswitch/ovs-vswitchd.log",
                     "--pidfile=/var/run/openvswitch/ovs-vswitchd.pid", "--detach",
                     "--monitor"},
                    &options),
              std::nullopt);
    EXPECT_EQ(options.remote, "unix:/var/run/openvswitch/db.sock");
    EXPECT_EQ(options.verbosity,
              (std::vector<std::string>{"console:emer", "syslog:err", "file:info"}));
    EXPECT_TRUE(options.mlockall);
    EXPECT_FALSE(options.daemon.chdir_root);
    EXPECT_EQ(options.log_file, "/var/log/openvswitch/ovs-vswitchd.log");
    EXPECT_EQ(options.daemon.pidfile, "/var/run/openvswitch/ovs-vswitchd.pid");
    EXPECT_TRUE(options.daemon.detach);
    EXPECT_TRUE(options.daemon.monitor);
    EXPECT_FALSE(options.daemon.overwrite_pidfile);
    EXPECT_EQ(options.unixctl_path, "");
    EXPECT_FALSE(options.show_help);
    EXPECT_FALSE(options.show_version);
}

TEST(VswitchdOptions, RemoteLastToo)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "--detach", "tcp:127.0.0.1:6640"}, &options),
              std::nullopt);
    EXPECT_EQ(options.remote, "tcp:127.0.0.1:6640");
    EXPECT_TRUE(options.daemon.detach);
}

TEST(VswitchdOptions, Defaults)
{
    VswitchdOptions options;
    options.mlockall = true;        /* Must be reset. */
    options.verbosity = {"stale"};
    ASSERT_EQ(parse({"ovs-vswitchd"}, &options), std::nullopt);
    expect_defaults(options);
}

TEST(VswitchdOptions, DefaultFileNames)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "--pidfile", "--log-file"}, &options), std::nullopt);
    EXPECT_EQ(options.daemon.pidfile, dirs::rundir() + "/ovs-vswitchd.pid");
    EXPECT_EQ(options.log_file, dirs::logdir() + "/ovs-vswitchd.log");
    EXPECT_EQ(options.remote, "unix:" + dirs::rundir() + "/db.sock");
}

TEST(VswitchdOptions, RelativeNames)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "--pidfile=x.pid", "--log-file=sub/x.log",
                     "--unixctl=x.ctl"},
                    &options),
              std::nullopt);
    EXPECT_EQ(options.daemon.pidfile, dirs::rundir() + "/x.pid");
    EXPECT_EQ(options.log_file, dirs::logdir() + "/sub/x.log");
    EXPECT_EQ(options.unixctl_path, dirs::rundir() + "/x.ctl");

    ASSERT_EQ(parse({"ovs-vswitchd", "--unixctl=/tmp/abs.ctl", "--pidfile=/tmp/abs.pid",
                     "--log-file=/tmp/abs.log"},
                    &options),
              std::nullopt);
    EXPECT_EQ(options.unixctl_path, "/tmp/abs.ctl");
    EXPECT_EQ(options.daemon.pidfile, "/tmp/abs.pid");
    EXPECT_EQ(options.log_file, "/tmp/abs.log");
}

TEST(VswitchdOptions, UnixctlNone)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "--unixctl=none"}, &options), std::nullopt);
    EXPECT_EQ(options.unixctl_path, "none");
}

TEST(VswitchdOptions, Verbosity)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "-v", "--verbose", "--verbose=bond:dbg", "-vANY:file:warn",
                     "-vPATTERN:file:%m"},
                    &options),
              std::nullopt);
    EXPECT_EQ(options.verbosity,
              (std::vector<std::string>{"", "", "bond:dbg", "ANY:file:warn", "PATTERN:file:%m"}));
}

TEST(VswitchdOptions, EnableDummy)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "--enable-dummy"}, &options), std::nullopt);
    EXPECT_EQ(options.enable_dummy, "system");
    ASSERT_EQ(parse({"ovs-vswitchd", "--enable-dummy=override"}, &options), std::nullopt);
    EXPECT_EQ(options.enable_dummy, "override");
    ASSERT_EQ(parse({"ovs-vswitchd", "--enable-dummy=system"}, &options), std::nullopt);
    EXPECT_EQ(options.enable_dummy, "system");
    EXPECT_EQ(parse({"ovs-vswitchd", "--enable-dummy=bogus"}, &options),
              "--enable-dummy=bogus: expected \"system\" or \"override\"");
    ASSERT_EQ(parse({"ovs-vswitchd", "--disable-system", "--disable-system-route"}, &options),
              std::nullopt);
    EXPECT_TRUE(options.disable_system);
    EXPECT_TRUE(options.disable_system_route);
    EXPECT_EQ(options.enable_dummy, "");
}

TEST(VswitchdOptions, User)
{
    VswitchdOptions options;
    EXPECT_EQ(parse({"ovs-vswitchd", "--user=root"}, &options), std::nullopt);
    EXPECT_EQ(parse({"ovs-vswitchd", "--user", "root:root"}, &options), std::nullopt);
    EXPECT_EQ(options.remote, "unix:" + dirs::rundir() + "/db.sock")
        << "the separate argument belongs to --user";
    EXPECT_EQ(parse({"ovs-vswitchd", "--user=ovs"}, &options),
              "--user=ovs: running as a user other than root is not supported");
    EXPECT_EQ(parse({"ovs-vswitchd", "--user=openvswitch:hugetlbfs"}, &options),
              "--user=openvswitch:hugetlbfs: running as a user other than root is not "
              "supported");
}

TEST(VswitchdOptions, OtherDaemonOptions)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "--overwrite-pidfile", "--no-self-confinement",
                     "--syslog-method=libc"},
                    &options),
              std::nullopt);
    EXPECT_TRUE(options.daemon.overwrite_pidfile);
    EXPECT_EQ(options.syslog_method, "libc");
    EXPECT_EQ(parse({"ovs-vswitchd", "--syslog-method=udp:127.0.0.1:514"}, &options),
              "--syslog-method=udp:127.0.0.1:514: only \"libc\" and \"null\" are supported");
}

TEST(VswitchdOptions, SslOptions)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "-p", "key.pem", "--certificate=cert.pem", "-Cca.pem",
                     "--peer-ca-cert=peer.pem", "--ssl-protocols=TLSv1.2",
                     "--ssl-ciphers=HIGH", "ssl:192.0.2.1:6640"},
                    &options),
              std::nullopt);
    EXPECT_EQ(options.private_key, "key.pem");
    EXPECT_EQ(options.certificate, "cert.pem");
    EXPECT_EQ(options.ca_cert, "ca.pem");
    EXPECT_EQ(options.peer_ca_cert, "peer.pem");
    EXPECT_FALSE(options.bootstrap_ca_cert);
    EXPECT_EQ(options.ssl_protocols, "TLSv1.2");
    EXPECT_EQ(options.ssl_ciphers, "HIGH");
    EXPECT_EQ(options.remote, "ssl:192.0.2.1:6640");

    ASSERT_EQ(parse({"ovs-vswitchd", "--bootstrap-ca-cert=boot.pem"}, &options), std::nullopt);
    EXPECT_EQ(options.ca_cert, "boot.pem");
    EXPECT_TRUE(options.bootstrap_ca_cert);
}

TEST(VswitchdOptions, UnknownOption)
{
    VswitchdOptions options;
    EXPECT_EQ(parse({"ovs-vswitchd", "--bogus"}, &options),
              "unrecognized or incomplete option \"--bogus\" (use --help for help)");
    EXPECT_EQ(parse({"ovs-vswitchd", "--bogus=1"}, &options),
              "unrecognized or incomplete option \"--bogus=1\" (use --help for help)");
    EXPECT_EQ(parse({"ovs-vswitchd", "-x"}, &options),
              "invalid option -x (use --help for help)");
}

TEST(VswitchdOptions, MissingRequiredArgument)
{
    VswitchdOptions options;
    EXPECT_EQ(parse({"ovs-vswitchd", "--user"}, &options),
              "option \"--user\" requires an argument (use --help for help)");
    EXPECT_EQ(parse({"ovs-vswitchd", "--unixctl"}, &options),
              "option \"--unixctl\" requires an argument (use --help for help)");
    EXPECT_EQ(parse({"ovs-vswitchd", "-C"}, &options),
              "option \"-C\" requires an argument (use --help for help)");
    EXPECT_EQ(parse({"ovs-vswitchd", "--help=yes"}, &options),
              "option \"--help\" does not take an argument (use --help for help)");
}

TEST(VswitchdOptions, BadUseOfOptionWithShortForm)
{
    /* -p, -c and -C (--private-key, --certificate, --ca-cert) are valid
     * options that need an argument; the error must not call them invalid,
     * and must name the option the user typed.  Long options that have a
     * short form and take no argument (--help, --version) likewise. */
    VswitchdOptions options;
    std::optional<std::string> error = parse({"ovs-vswitchd", "--ca-cert"}, &options);
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find("--ca-cert"), std::string::npos) << *error;
    EXPECT_EQ(error->find("invalid option"), std::string::npos) << *error;

    error = parse({"ovs-vswitchd", "-p"}, &options);
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find("-p"), std::string::npos) << *error;
    EXPECT_EQ(error->find("invalid option"), std::string::npos) << *error;

    /* --version takes no argument; the error must name it too. */
    error = parse({"ovs-vswitchd", "--version=1"}, &options);
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find("--version"), std::string::npos) << *error;
    EXPECT_EQ(error->find("invalid option"), std::string::npos) << *error;
}

TEST(VswitchdOptions, TwoPositionalArguments)
{
    VswitchdOptions options;
    EXPECT_EQ(parse({"ovs-vswitchd", "unix:/a.sock", "unix:/b.sock"}, &options),
              "at most one non-option argument (the database remote) is accepted");
    EXPECT_EQ(parse({"ovs-vswitchd", "unix:/a.sock", "--detach", "unix:/b.sock"}, &options),
              "at most one non-option argument (the database remote) is accepted");
}

TEST(VswitchdOptions, Remotes)
{
    VswitchdOptions options;
    for (const char *remote : {"unix:/x", "tcp:127.0.0.1:6640", "ssl:192.0.2.1:6640",
                               "punix:/x", "ptcp:6640", "pssl:6640"}) {
        EXPECT_EQ(parse({"ovs-vswitchd", remote}, &options), std::nullopt) << remote;
        EXPECT_EQ(options.remote, remote);
    }
    EXPECT_EQ(parse({"ovs-vswitchd", "db.sock"}, &options),
              "\"db.sock\" is not a database remote (expected unix:PATH, tcp:HOST:PORT or "
              "ssl:HOST:PORT)");
    EXPECT_EQ(parse({"ovs-vswitchd", "unix:"}, &options),
              "\"unix:\" is not a database remote (expected unix:PATH, tcp:HOST:PORT or "
              "ssl:HOST:PORT)");
    EXPECT_EQ(parse({"ovs-vswitchd", "udp:1.2.3.4:5"}, &options),
              "\"udp:1.2.3.4:5\" is not a database remote (expected unix:PATH, "
              "tcp:HOST:PORT or ssl:HOST:PORT)");
}

TEST(VswitchdOptions, SyslogTargetRejected)
{
    VswitchdOptions options;
    EXPECT_EQ(parse({"ovs-vswitchd", "--syslog-target=192.0.2.1:514"}, &options),
              "--syslog-target=192.0.2.1:514: sending logs to a remote syslog target is not "
              "supported");
}

TEST(VswitchdOptions, HelpAndVersion)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "-h"}, &options), std::nullopt);
    EXPECT_TRUE(options.show_help);
    EXPECT_FALSE(options.show_version);
    ASSERT_EQ(parse({"ovs-vswitchd", "--help"}, &options), std::nullopt);
    EXPECT_TRUE(options.show_help);
    ASSERT_EQ(parse({"ovs-vswitchd", "-V"}, &options), std::nullopt);
    EXPECT_FALSE(options.show_help);
    EXPECT_TRUE(options.show_version);
    ASSERT_EQ(parse({"ovs-vswitchd", "--version"}, &options), std::nullopt);
    EXPECT_TRUE(options.show_version);
}

TEST(VswitchdOptions, NoStateLeaksBetweenCalls)
{
    VswitchdOptions options;
    ASSERT_EQ(parse({"ovs-vswitchd", "unix:/other.sock", "-vdbg", "--mlockall", "--detach",
                     "--monitor", "--no-chdir", "--pidfile", "--log-file", "--unixctl=none",
                     "--enable-dummy", "-pkey", "--overwrite-pidfile", "-h", "-V"},
                    &options),
              std::nullopt);
    ASSERT_EQ(parse({"ovs-vswitchd"}, &options), std::nullopt);
    expect_defaults(options);

    /* An error in the middle of a group of short options leaves getopt
     * half-way through an argument; the next call starts afresh. */
    EXPECT_EQ(parse({"ovs-vswitchd", "-Vx", "--detach"}, &options),
              "invalid option -x (use --help for help)");
    ASSERT_EQ(parse({"ovs-vswitchd", "-h"}, &options), std::nullopt);
    EXPECT_TRUE(options.show_help);
    EXPECT_FALSE(options.show_version);
    EXPECT_FALSE(options.daemon.detach);

    EXPECT_EQ(parse({"ovs-vswitchd", "--bogus", "--detach"}, &options),
              "unrecognized or incomplete option \"--bogus\" (use --help for help)");
    ASSERT_EQ(parse({"ovs-vswitchd", "--monitor"}, &options), std::nullopt);
    EXPECT_TRUE(options.daemon.monitor);
    EXPECT_FALSE(options.daemon.detach);
}

TEST(VswitchdOptions, VersionText)
{
    std::string version = vswitchd_version();
    std::string first = version.substr(0, version.find('\n'));
    const std::string suffix = "(Open vSwitch) 3.1.0";
    ASSERT_GE(first.size(), suffix.size());
    EXPECT_EQ(first.substr(first.size() - suffix.size()), suffix) << first;
    EXPECT_EQ(first, "braid-vswitchd (Open vSwitch) 3.1.0");
    EXPECT_EQ(version.back(), '\n');
}

TEST(VswitchdOptions, UsageNamesDefaults)
{
    std::string usage = vswitchd_usage();
    EXPECT_NE(usage.find("unix:" + dirs::rundir() + "/db.sock"), std::string::npos);
    EXPECT_NE(usage.find(dirs::rundir() + "/ovs-vswitchd.pid"), std::string::npos);
    EXPECT_NE(usage.find(dirs::logdir() + "/ovs-vswitchd.log"), std::string::npos);
    EXPECT_EQ(usage.back(), '\n');
}

}  // namespace
}  // namespace braid
