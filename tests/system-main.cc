/* The main program of the system tests, which create real network
 * interfaces and so need root.
 *
 * Before any test runs, the process moves into a network namespace of its
 * own (unshare(CLONE_NEWNET)), so every interface the tests make, and every
 * frame they send, stays in a namespace that disappears with the process,
 * whatever happens to it.  It also takes a mount namespace of its own, with
 * a private /run/netns (so the named namespaces that "ip netns add" makes
 * for test hosts are the program's alone and vanish with it) and a /sys
 * that shows this network namespace's devices.  Without root (or without the right to create a
 * namespace) the program exits with status 77, which the test harness
 * reports as SKIP.  Tests and the commands they run ("ip") inherit the
 * namespace; the process must stay single-threaded until the unshare. */
#include <config.h>

#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>

namespace {

/* The exit status that the automake harness reports as SKIP. */
constexpr int kExitSkip = 77;

/* Brings up the namespace's loopback interface. */
bool bring_up_loopback()
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    struct ifreq ifr {};
    std::strcpy(ifr.ifr_name, "lo");
    bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    if (ok) {
        ifr.ifr_flags |= IFF_UP;
        ok = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    }
    close(fd);
    return ok;
}

/* Turns IPv6 off in the namespace, so that interfaces coming up send no
 * neighbour discovery or MLD frames of their own and the tests' frame and
 * counter checks see only what the tests sent. */
void disable_ipv6()
{
    for (const char *path : {"/proc/sys/net/ipv6/conf/all/disable_ipv6",
                             "/proc/sys/net/ipv6/conf/default/disable_ipv6"}) {
        std::ofstream(path) << "1\n";
    }
}

}  // namespace

int main(int argc, char *argv[])
{
    if (geteuid() != 0) {
        std::fprintf(stderr, "%s: the system tests need root; skipping\n", argv[0]);
        return kExitSkip;
    }
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
        std::fprintf(stderr, "%s: cannot create network and mount namespaces (%s); skipping\n",
                     argv[0], std::strerror(errno));
        return kExitSkip;
    }
    /* Nothing mounted here leaks out; then a private /run/netns and a /sys
     * for this network namespace. */
    mkdir("/run/netns", 0755);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0
        || mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755") != 0
        || mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0) {
        std::fprintf(stderr, "%s: cannot set up private mounts (%s)\n", argv[0],
                     std::strerror(errno));
        return 1;
    }
    if (!bring_up_loopback()) {
        std::fprintf(stderr, "%s: cannot bring up lo (%s)\n", argv[0], std::strerror(errno));
        return 1;
    }
    disable_ipv6();

    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
