/* Becoming a daemon the way Open vSwitch daemons do, so that ovs-ctl,
 * systemd (Type=forking) and ovs-appctl treat braid-vswitchd like
 * ovs-vswitchd.
 *
 * The pidfile holds "<pid>\n" and the daemon keeps an fcntl write lock on it
 * for its whole life; that lock is how ovs-appctl tells a live daemon from a
 * stale file.  With --detach, the process that was started stays until the
 * daemon calls notify_ready() (pidfile written, control socket listening),
 * then exits 0, or exits 1 if the daemon died first.  With --monitor, a
 * monitor process restarts the daemon after a crash. */
#ifndef BRAID_LIB_DAEMON_H
#define BRAID_LIB_DAEMON_H 1

#include <sys/types.h>

#include <optional>
#include <string>

namespace braid::daemon {

struct Settings {
    std::string pidfile;            /* Empty: no pidfile. */
    bool overwrite_pidfile = false; /* Replace a pidfile a live process holds. */
    bool detach = false;
    bool monitor = false;
    bool chdir_root = true;         /* Cleared by --no-chdir. */
};

/* Detaches (and starts the monitor) as 'settings' ask, then creates the
 * pidfile in the final daemon process.  Fails with a message and exit
 * status 1 if the pidfile is held by a live process. */
void start(const Settings &settings);

/* Tells the process that started us that start-up is complete, so that it
 * exits 0, and points the standard streams at /dev/null if detached.  Does
 * nothing without --detach, or when called again. */
void notify_ready();

/* Removes the pidfile (if we created it) and every file registered with
 * unlink_at_exit(), now.  Also runs at exit. */
void remove_files();

/* Registers 'path' to be removed by remove_files(). */
void unlink_at_exit(const std::string &path);
void cancel_unlink_at_exit(const std::string &path);

/* The pidfile in use, or empty. */
const std::string &pidfile();

/* Reads the pid of the process that holds the pidfile 'path' locked.
 * Returns nullopt with '*error' describing why not: missing file, not
 * locked (stale), locked by a process other than the one it names, or
 * unreadable contents. */
std::optional<pid_t> read_pidfile(const std::string &path, std::string *error);

}  // namespace braid::daemon

#endif  // BRAID_LIB_DAEMON_H
