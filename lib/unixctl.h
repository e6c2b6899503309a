/* Commands for ovs-appctl: the registry.
 *
 * The module that owns some state registers the commands that show or change
 * it, with the number of arguments it takes; the unixctl server
 * (unixctl-server.h) checks the count before calling the handler, so
 * handlers only validate the values.
 *
 * A handler answers through its Reply, at once or later (time/warp and exit
 * answer after other work has run).  Reply text should end in a newline; one
 * is added when it is missing.  Every command is listed by list-commands
 * unless registered hidden (aliases kept for old names). */
#ifndef BRAID_LIB_UNIXCTL_H
#define BRAID_LIB_UNIXCTL_H 1

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace braid::unixctl {

/* The way a command answers.  Copies share one answer: the first ok() or
 * error() is sent, later ones are ignored.  If every copy is destroyed
 * without an answer, the client gets an error saying so. */
class Reply {
public:
    /* 'send' delivers the answer: 'ok' is true for a result, false for an
     * error.  The unixctl server makes these; tests may too. */
    using Sender = std::function<void(bool ok, const std::string &text)>;
    explicit Reply(Sender send);

    void ok(std::string text = "") const;
    void error(std::string text) const;

    /* True once ok() or error() was called on any copy. */
    bool answered() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

using Args = std::vector<std::string>;
using Handler = std::function<void(const Args &args, const Reply &reply)>;

struct Command {
    std::string usage;          /* e.g. "[port]" or "port member". */
    int min_args;
    int max_args;
    Handler handler;
    bool hidden;
};

/* Registers 'name' ("module/verb").  Registering a name again replaces the
 * earlier command. */
void register_command(const std::string &name, const std::string &usage, int min_args,
                      int max_args, Handler handler);

/* Like register_command(), but not shown by list-commands. */
void register_hidden_command(const std::string &name, const std::string &usage,
                             int min_args, int max_args, Handler handler);

/* Removes 'name' if it is registered. */
void unregister_command(const std::string &name);

/* The registered commands, sorted by name. */
const std::map<std::string, Command> &commands();

/* Registers the commands every Braid daemon has: list-commands, and version
 * answering with 'version_text'. */
void register_builtin_commands(const std::string &version_text);

/* Runs 'name' with 'args' as the server does, checking the argument count
 * first: unknown commands and bad counts are answered with an error. */
void dispatch(const std::string &name, const Args &args, const Reply &reply);

}  // namespace braid::unixctl

#endif  // BRAID_LIB_UNIXCTL_H
