/* Pidfiles, detaching and the monitor process. */
#include <config.h>

#include "lib/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "lib/timeval.h"
#include "lib/util.h"
#include "lib/vlog.h"

BRAID_LOG_MODULE(daemon);

namespace braid::daemon {
namespace {

std::string pidfile_name;
int pidfile_fd = -1;
bool detached = false;
int ready_fd = -1;              /* Write end of the pipe to the starter. */

std::mutex &files_mutex()
{
    static std::mutex m;
    return m;
}

std::set<std::string> &files_to_unlink()
{
    static std::set<std::string> files;
    return files;
}

/* Returns the pid of the process holding a write lock on 'fd''s file, 0 if
 * none, or -errno. */
pid_t lock_holder(int fd)
{
    struct flock lck {};
    lck.l_type = F_WRLCK;
    lck.l_whence = SEEK_SET;
    if (fcntl(fd, F_GETLK, &lck) < 0) {
        return -errno;
    }
    return lck.l_type == F_UNLCK ? 0 : lck.l_pid;
}

void make_pidfile(const Settings &settings)
{
    const std::string &path = settings.pidfile;

    /* Refuse to start over a live daemon's pidfile. */
    int old_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (old_fd >= 0) {
        pid_t holder = lock_holder(old_fd);
        close(old_fd);
        if (holder > 0 && holder != getpid() && !settings.overwrite_pidfile) {
            fatal("{}: already running as pid {}, aborting", path, holder);
        }
        if (holder == 0) {
            VLOG_INFO("{}: removing stale pidfile", path);
        }
    } else if (errno != ENOENT) {
        fatal("{}: cannot open pidfile ({})", path, errno_to_string(errno));
    }

    /* Write a temporary file, lock it, then rename it into place, so that
     * the pidfile never exists without a lock or with partial contents. */
    std::string tmp = path + ".tmp";
    unlink(tmp.c_str());
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        fatal("{}: create failed ({})", tmp, errno_to_string(errno));
    }
    struct flock lck {};
    lck.l_type = F_WRLCK;
    lck.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &lck) < 0) {
        int error = errno;
        unlink(tmp.c_str());
        fatal("{}: fcntl lock failed ({})", tmp, errno_to_string(error));
    }
    std::string text = std::to_string(getpid()) + "\n";
    if (write(fd, text.data(), text.size()) != ssize_t(text.size()) || fsync(fd) < 0) {
        int error = errno;
        unlink(tmp.c_str());
        fatal("{}: write failed ({})", tmp, errno_to_string(error));
    }
    if (rename(tmp.c_str(), path.c_str()) < 0) {
        int error = errno;
        unlink(tmp.c_str());
        fatal("failed to rename \"{}\" to \"{}\" ({})", tmp, path, errno_to_string(error));
    }
    pidfile_name = path;
    pidfile_fd = fd;
    std::atexit(remove_files);
}

/* Runs in the process that was started: waits until the daemon reports
 * that it is ready, then exits. */
[[noreturn]] void wait_for_daemon(int read_fd, pid_t child)
{
    char byte;
    ssize_t n;
    do {
        n = read(read_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) {
        _exit(EXIT_SUCCESS);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        continue;
    }
    if (WIFEXITED(status)) {
        /* The daemon already printed why. */
        _exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : EXIT_FAILURE);
    }
    fprintf(stderr, "%s: daemon died before it was ready (%s)\n", program_name().c_str(),
            WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "unknown status");
    _exit(EXIT_FAILURE);
}

bool is_crash(int status)
{
    if (!WIFSIGNALED(status)) {
        return false;
    }
    switch (WTERMSIG(status)) {
    case SIGABRT: case SIGBUS: case SIGFPE: case SIGILL: case SIGSEGV:
    case SIGSYS: case SIGTRAP: case SIGXCPU: case SIGXFSZ:
        return true;
    default:
        return false;
    }
}

/* Points the standard streams at /dev/null. */
void close_standard_streams()
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    }
}

/* Runs the monitor: starts the daemon as a child and starts it again after
 * a crash.  Returns only in a daemon child. */
void run_monitor()
{
    int64_t last_restart = -1;
    for (bool first = true;; first = false) {
        /* Restart at most once every 10 s, so that a daemon that crashes at
         * start-up does not make the monitor spin. */
        if (last_restart >= 0) {
            int64_t wait = last_restart + 10000 - timeval::msec();
            if (wait > 0) {
                usleep(wait * 1000);
            }
        }
        if (!first) {
            last_restart = timeval::msec();
        }
        pid_t pid = fork();
        if (pid < 0) {
            fatal("fork failed ({})", errno_to_string(errno));
        } else if (pid == 0) {
            return;         /* The daemon. */
        }
        if (first) {
            /* The daemon reports start-up problems on the original streams
             * itself; the monitor keeps none, so that whoever started us
             * (a shell, a test) is not held by them. */
            if (ready_fd >= 0) {
                close(ready_fd);
                ready_fd = -1;
            }
            close_standard_streams();
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            continue;
        }
        if (!is_crash(status)) {
            VLOG_INFO("daemon (pid {}) exited, monitor exiting too", pid);
            _exit(WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_SUCCESS);
        }
        VLOG_ERR("daemon (pid {}) died of {}, restarting", pid, strsignal(WTERMSIG(status)));
    }
}

}  // namespace

void start(const Settings &settings)
{
    if (settings.detach) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) {
            fatal("pipe failed ({})", errno_to_string(errno));
        }
        pid_t pid = fork();
        if (pid < 0) {
            fatal("fork failed ({})", errno_to_string(errno));
        } else if (pid > 0) {
            close(fds[1]);
            wait_for_daemon(fds[0], pid);
        }
        close(fds[0]);
        ready_fd = fds[1];
        detached = true;
        setsid();
    }
    if (settings.monitor) {
        run_monitor();
    }
    if (settings.chdir_root && chdir("/") < 0) {
        VLOG_WARN("could not change directory to / ({})", errno_to_string(errno));
    }
    if (!settings.pidfile.empty()) {
        make_pidfile(settings);
    }
}

void notify_ready()
{
    if (ready_fd >= 0) {
        char byte = 0;
        ssize_t n = write(ready_fd, &byte, 1);
        (void) n;
        close(ready_fd);
        ready_fd = -1;
    }
    if (detached) {
        close_standard_streams();
        detached = false;
    }
}

void remove_files()
{
    if (!pidfile_name.empty()) {
        /* Only remove the pidfile if it is still ours. */
        struct stat a, b;
        if (pidfile_fd >= 0 && fstat(pidfile_fd, &a) == 0
            && stat(pidfile_name.c_str(), &b) == 0 && a.st_ino == b.st_ino
            && a.st_dev == b.st_dev) {
            unlink(pidfile_name.c_str());
        }
        pidfile_name.clear();
    }
    std::set<std::string> files;
    {
        std::lock_guard<std::mutex> lock(files_mutex());
        files.swap(files_to_unlink());
    }
    for (const std::string &file : files) {
        unlink(file.c_str());
    }
}

void unlink_at_exit(const std::string &path)
{
    std::lock_guard<std::mutex> lock(files_mutex());
    files_to_unlink().insert(path);
}

void cancel_unlink_at_exit(const std::string &path)
{
    std::lock_guard<std::mutex> lock(files_mutex());
    files_to_unlink().erase(path);
}

const std::string &pidfile()
{
    return pidfile_name;
}

std::optional<pid_t> read_pidfile(const std::string &path, std::string *error)
{
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = fmt::format("{}: open failed ({})", path, errno_to_string(errno));
        return std::nullopt;
    }
    pid_t holder = lock_holder(fd);
    char buf[32] = {};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (holder < 0) {
        *error = fmt::format("{}: fcntl failed ({})", path, errno_to_string(-holder));
        return std::nullopt;
    } else if (holder == 0) {
        *error = fmt::format("{}: pid file is stale", path);
        return std::nullopt;
    }
    long long pid;
    std::string_view text(buf, n > 0 ? n : 0);
    if (!text.empty() && text.back() == '\n') {
        text.remove_suffix(1);
    }
    if (!parse_int(text, 1, INT32_MAX, &pid)) {
        *error = fmt::format("{}: pid file does not hold a pid", path);
        return std::nullopt;
    }
    if (pid != holder) {
        *error = fmt::format("{}: locked by pid {} but holds pid {} (stale)", path, holder, pid);
        return std::nullopt;
    }
    return pid_t(pid);
}

}  // namespace braid::daemon
