/* Commands for ovs-appctl: the registry and the built-in commands. */
#include <config.h>

#include "lib/unixctl.h"

#include <fmt/format.h>

namespace braid::unixctl {

struct Reply::State {
    Sender send;
    bool answered = false;

    ~State()
    {
        if (!answered && send) {
            send(false, "command finished without answering (internal error)\n");
        }
    }
};

namespace {

std::string with_newline(std::string text)
{
    if (!text.empty() && text.back() != '\n') {
        text += '\n';
    }
    return text;
}

std::map<std::string, Command> &registry()
{
    static std::map<std::string, Command> commands;
    return commands;
}

}  // namespace

Reply::Reply(Sender send) : state_(std::make_shared<State>())
{
    state_->send = std::move(send);
}

void Reply::ok(std::string text) const
{
    if (!state_->answered) {
        state_->answered = true;
        state_->send(true, with_newline(std::move(text)));
    }
}

void Reply::error(std::string text) const
{
    if (!state_->answered) {
        state_->answered = true;
        state_->send(false, with_newline(std::move(text)));
    }
}

bool Reply::answered() const
{
    return state_->answered;
}

void register_command(const std::string &name, const std::string &usage, int min_args,
                      int max_args, Handler handler)
{
    registry()[name] = Command{usage, min_args, max_args, std::move(handler), false};
}

void register_hidden_command(const std::string &name, const std::string &usage,
                             int min_args, int max_args, Handler handler)
{
    registry()[name] = Command{usage, min_args, max_args, std::move(handler), true};
}

void unregister_command(const std::string &name)
{
    registry().erase(name);
}

const std::map<std::string, Command> &commands()
{
    return registry();
}

void register_builtin_commands(const std::string &version_text)
{
    register_command("list-commands", "", 0, 0, [](const Args &, const Reply &reply) {
        std::string text = "The available commands are:\n";
        for (const auto &[name, command] : commands()) {
            if (!command.hidden) {
                text += fmt::format("  {:<23} {}\n", name, command.usage);
            }
        }
        reply.ok(text);
    });
    register_command("version", "", 0, 0, [version_text](const Args &, const Reply &reply) {
        reply.ok(version_text);
    });
}

void dispatch(const std::string &name, const Args &args, const Reply &reply)
{
    auto it = registry().find(name);
    if (it == registry().end()) {
        reply.error(fmt::format("\"{}\" is not a valid command (use \"list-commands\" to "
                                "see a list of valid commands)",
                                name));
        return;
    }
    const Command &command = it->second;
    int n = int(args.size());
    if (n < command.min_args) {
        reply.error(fmt::format("\"{}\" command requires at least {} argument{}", name,
                                command.min_args, command.min_args == 1 ? "" : "s"));
    } else if (n > command.max_args) {
        reply.error(fmt::format("\"{}\" command takes at most {} argument{}", name,
                                command.max_args, command.max_args == 1 ? "" : "s"));
    } else {
        /* Copy the handler: it may re-register or remove its own command. */
        Handler handler = command.handler;
        handler(args, reply);
    }
}

}  // namespace braid::unixctl
