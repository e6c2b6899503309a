/* The directories Braid shares with the Open vSwitch tools. */
#include <config.h>

#include "lib/dirs.h"

#include <cstdlib>

namespace braid::dirs {
namespace {

std::string from_env(const char *var, const char *fallback)
{
    const char *value = std::getenv(var);
    return value && *value ? value : fallback;
}

}  // namespace

const std::string &rundir()
{
    static const std::string dir = from_env("OVS_RUNDIR", BRAID_RUNDIR);
    return dir;
}

const std::string &logdir()
{
    static const std::string dir = from_env("OVS_LOGDIR", BRAID_LOGDIR);
    return dir;
}

const std::string &dbdir()
{
    /* Like OVS: OVS_DBDIR, else $OVS_SYSCONFDIR/openvswitch, else built in. */
    static const std::string dir = [] {
        const char *db = std::getenv("OVS_DBDIR");
        if (db && *db) {
            return std::string(db);
        }
        const char *sys = std::getenv("OVS_SYSCONFDIR");
        if (sys && *sys) {
            return std::string(sys) + "/openvswitch";
        }
        return std::string(BRAID_DBDIR);
    }();
    return dir;
}

const std::string &sysconfdir()
{
    static const std::string dir = from_env("OVS_SYSCONFDIR", BRAID_SYSCONFDIR);
    return dir;
}

const std::string &pkgdatadir()
{
    static const std::string dir = from_env("OVS_PKGDATADIR", BRAID_PKGDATADIR);
    return dir;
}

std::string abs_file_name(const std::string &dir, const std::string &name)
{
    if (!name.empty() && name[0] == '/') {
        return name;
    }
    return dir + "/" + name;
}

}  // namespace braid::dirs
