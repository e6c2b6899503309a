/* The scenario-test harness. */
#include <config.h>

#include "tests/sandbox.h"
#include "tests/frame-builder.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lib/daemon.h"

extern char **environ;

namespace braid::test {
namespace {

std::string exe_dir()
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) {
        return ".";
    }
    std::string path(buf, n);
    return path.substr(0, path.rfind('/'));
}

std::string env_or(const char *name, const std::string &fallback)
{
    const char *value = std::getenv(name);
    return value && *value ? value : fallback;
}

int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::vector<std::string> merged_environment(const std::vector<std::string> &env)
{
    std::vector<std::string> vars;
    for (char **e = environ; *e; e++) {
        std::string var = *e;
        std::string name = var.substr(0, var.find('='));
        bool overridden = false;
        for (const std::string &o : env) {
            overridden |= o.substr(0, o.find('=')) == name;
        }
        if (!overridden) {
            vars.push_back(var);
        }
    }
    vars.insert(vars.end(), env.begin(), env.end());
    return vars;
}

std::string builddir()
{
    /* The test binaries live in BUILDDIR/tests. */
    return env_or("BRAID_BUILDDIR", exe_dir() + "/..");
}

std::string srcdir()
{
    return env_or("BRAID_SRCDIR", builddir() + "/..");
}

std::optional<std::string> read_file(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

RunResult run(const std::vector<std::string> &argv, const std::vector<std::string> &env,
              int timeout_ms, const std::string &input)
{
    RunResult result;
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
        result.err = "pipe failed";
        return result;
    }

    std::vector<std::string> vars = merged_environment(env);
    std::vector<char *> envp, args;
    for (std::string &v : vars) {
        envp.push_back(v.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (std::string &a : argv_copy) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    pid_t pid;
    int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (error) {
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(err_pipe[0]);
        result.err = std::string("cannot run ") + argv[0] + ": " + std::strerror(error);
        result.status = 127;
        return result;
    }

    /* Feed the input, collect both outputs, until both close or time is
     * up.  A daemon that a command leaves behind (with --detach) holds no
     * copy of these pipes: it points its streams at /dev/null. */
    if (!input.empty()) {
        ssize_t n = write(in_pipe[1], input.data(), input.size());
        (void) n;
    }
    close(in_pipe[1]);
    int64_t deadline = now_ms() + timeout_ms;
    struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string *sinks[2] = {&result.out, &result.err};
    int open_fds = 2;
    while (open_fds > 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            result.timed_out = true;
            break;
        }
        int n = poll(fds, 2, int(left));
        if (n < 0 && errno != EINTR) {
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd >= 0 && fds[i].revents) {
                char buf[4096];
                ssize_t r = read(fds[i].fd, buf, sizeof buf);
                if (r > 0) {
                    sinks[i]->append(buf, r);
                } else if (r == 0 || errno != EINTR) {
                    close(fds[i].fd);
                    fds[i].fd = -1;
                    open_fds--;
                }
            }
        }
    }
    for (auto &fd : fds) {
        if (fd.fd >= 0) {
            close(fd.fd);
        }
    }
    if (result.timed_out) {
        kill(pid, SIGKILL);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        continue;
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status)
                    : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
    return result;
}

Sandbox::Sandbox()
{
    /* Tests crash daemons on purpose; they must not leave core files. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);

    char dir_template[] = "/tmp/braid-sandbox.XXXXXX";
    if (!mkdtemp(dir_template)) {
        std::abort();
    }
    dir_ = dir_template;
}

Sandbox::~Sandbox()
{
    remember_pids();
    if (vswitchd_pid()) {
        stop();
    } else {
        ctl({"stop"});
    }
    for (pid_t pid : pids_) {
        if (kill(pid, 0) == 0 && !wait_for_exit(pid)) {
            kill(pid, SIGKILL);
            wait_for_exit(pid);
        }
    }
    if (!std::getenv("BRAID_KEEP_SANDBOX")) {
        test::run({"rm", "-rf", dir_});
    }
}

std::vector<std::string> Sandbox::env() const
{
    return {"OVS_RUNDIR=" + dir_, "OVS_LOGDIR=" + dir_, "OVS_DBDIR=" + dir_,
            "OVS_SYSCONFDIR=" + dir_, "BRAID_VSWITCHD=" + builddir() + "/vswitchd/braid-vswitchd"};
}

RunResult Sandbox::run(const std::vector<std::string> &argv, int timeout_ms,
                       const std::string &input) const
{
    return test::run(argv, env(), timeout_ms, input);
}

pid_t Sandbox::spawn(const std::vector<std::string> &argv, const std::string &output_name)
{
    std::vector<std::string> vars = merged_environment(env());
    std::vector<char *> envp, args;
    for (std::string &v : vars) {
        envp.push_back(v.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (std::string &a : argv_copy) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);

    std::string out = path(output_name);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid;
    int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (error) {
        return -1;
    }
    pids_.push_back(pid);
    return pid;
}

RunResult Sandbox::ctl(const std::vector<std::string> &args) const
{
    std::vector<std::string> argv = {builddir() + "/utilities/braid-ctl", "--sandbox=" + dir_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

bool Sandbox::start(const std::vector<std::string> &vswitchd_options)
{
    std::vector<std::string> args;
    for (const std::string &opt : vswitchd_options) {
        args.push_back("--vswitchd-opt=" + opt);
    }
    args.push_back("start");
    RunResult r = ctl(args);
    remember_pids();
    if (r.status != 0) {
        last_error_ = "braid-ctl start failed (status " + std::to_string(r.status) + "): "
                      + r.out + r.err;
        return false;
    }
    return true;
}

RunResult Sandbox::stop()
{
    remember_pids();
    return ctl({"stop"});
}

RunResult Sandbox::appctl(const std::vector<std::string> &args) const
{
    std::vector<std::string> argv = {"ovs-appctl", "--timeout=10"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

RunResult Sandbox::receive(const std::string &port,
                           const std::vector<std::vector<uint8_t>> &frames) const
{
    std::vector<std::string> args = {"netdev-dummy/receive", port};
    for (const std::vector<uint8_t> &f : frames) {
        args.push_back(hex(f));
    }
    return appctl(args);
}

RunResult Sandbox::vsctl(const std::vector<std::string> &args) const
{
    std::vector<std::string> argv = {"ovs-vsctl", "--timeout=10"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

std::optional<pid_t> Sandbox::vswitchd_pid() const
{
    std::string error;
    return daemon::read_pidfile(path("ovs-vswitchd.pid"), &error);
}

void Sandbox::remember_pids()
{
    /* Every pidfile in the sandbox: the daemons braid-ctl starts and any a
     * test starts by hand. */
    RunResult ls = test::run({"find", dir_, "-maxdepth", "1", "-name", "*.pid"});
    std::istringstream files(ls.out);
    for (std::string file; std::getline(files, file);) {
        std::string error;
        if (auto pid = daemon::read_pidfile(file, &error)) {
            if (std::find(pids_.begin(), pids_.end(), *pid) == pids_.end()) {
                pids_.push_back(*pid);
            }
        }
    }
}

bool Sandbox::wait_for_exit(pid_t pid, int timeout_ms)
{
    /* A pidfd becomes readable when the process exits, whoever its parent
     * is, so this waits for the event itself. */
    int pidfd = int(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        return errno == ESRCH;
    }
    struct pollfd pfd = {pidfd, POLLIN, 0};
    int n;
    do {
        n = poll(&pfd, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    close(pidfd);
    waitpid(pid, nullptr, WNOHANG);     /* Reap it if it is our child. */
    return n == 1;
}

bool Sandbox::wait_until(const std::function<bool()> &done, int timeout_ms) const
{
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) {
        return done();
    }
    inotify_add_watch(fd, dir_.c_str(),
                      IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE
                          | IN_MODIFY);
    int64_t deadline = now_ms() + timeout_ms;
    bool ok;
    while (!(ok = done())) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            break;
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, int(left)) > 0) {
            char buf[4096];
            while (read(fd, buf, sizeof buf) > 0) {
                continue;
            }
        }
    }
    close(fd);
    return ok;
}

std::string Sandbox::vswitchd_log() const
{
    return read_file(path("ovs-vswitchd.log")).value_or("");
}

std::string Sandbox::unexpected_log_lines(const std::vector<std::regex> &allowed) const
{
    std::string unexpected;
    std::istringstream log(vswitchd_log());
    for (std::string line; std::getline(log, line);) {
        if (line.find("|WARN|") == std::string::npos && line.find("|ERR|") == std::string::npos
            && line.find("|EMER|") == std::string::npos) {
            continue;
        }
        bool ok = false;
        for (const std::regex &re : allowed) {
            ok |= std::regex_search(line, re);
        }
        if (!ok) {
            unexpected += line + "\n";
        }
    }
    return unexpected;
}

}  // namespace braid::test
