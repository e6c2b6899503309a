/* The directories Braid shares with the Open vSwitch tools.
 *
 * Each comes from its environment variable when that is set and not empty
 * (the same variables ovs-vsctl, ovs-appctl and ovs-ofctl read), else from
 * the configure-time default, which matches Debian's openvswitch packages. */
#ifndef BRAID_LIB_DIRS_H
#define BRAID_LIB_DIRS_H 1

#include <string>

namespace braid::dirs {

const std::string &rundir();        /* OVS_RUNDIR: sockets, pidfiles. */
const std::string &logdir();        /* OVS_LOGDIR: log files. */
const std::string &dbdir();         /* OVS_DBDIR: conf.db. */
const std::string &sysconfdir();    /* OVS_SYSCONFDIR. */
const std::string &pkgdatadir();    /* OVS_PKGDATADIR: vswitch.ovsschema. */

/* 'name' if it is absolute, else 'dir'/'name'. */
std::string abs_file_name(const std::string &dir, const std::string &name);

}  // namespace braid::dirs

#endif  // BRAID_LIB_DIRS_H
