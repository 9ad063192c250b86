// Launch planning: turns a domain definition into the command line of its virtd-vmm process,
// after checking every resource the guest needs, so a guest that cannot run is refused with one
// clear error before any process, socket or file is made.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "conf/domain.h"

namespace virtd::kvm {

// Where a guest's runtime files go. The caller owns both folders; planning only names files.
struct LaunchPaths {
    std::string run_dir;           // per guest: monitor, console and channel sockets, pid file, log
    std::string switch_socket_dir; // virtual network NAME's switch listens on DIR/NAME.sock
};

// What the host has and uses right now. Passed in rather than looked up so planning stays a pure
// function of its inputs (and tests choose the host).
struct HostFacts {
    uint64_t memory_kib = 0;
    unsigned cpus = 0;
    std::set<std::string> macs_in_use;    // MACs of other guests' NICs, any case
    std::set<std::string> names_running;  // names of the guests that run now
    std::map<std::string, bool> networks; // the virtual networks defined: name -> active
};

// The planned virtd-vmm process: its arguments and the files it will create or the daemon will
// use to find it again.
struct VmmLaunch {
    std::vector<std::string> argv; // without the program name
    std::string monitor_socket;
    std::string console_socket;                         // empty: the definition has no serial
    std::string hvc_socket;                             // empty: no virtio console
    std::string pid_file;                               // written by the VMM (--pid-file)
    std::string log_file;                               // the VMM's stdout and stderr
    std::map<std::string, std::string> channel_sockets; // channel name -> host socket
};

// A launch as JSON, kept in the guest's run dir so a restarted daemon finds the guest's files,
// and back. Reading checks the shape and that every path is absolute.
std::string launch_to_json(const VmmLaunch& launch);
Result<VmmLaunch> launch_from_json(std::string_view text);

// Checks `def` against the host and the VMM's limits and builds the launch. Errors name the domain
// and the device or setting at fault and carry libvirt's code for the kind of problem.
Result<VmmLaunch> plan_launch(const conf::DomainDef& def, const LaunchPaths& paths,
                              const HostFacts& host);

} // namespace virtd::kvm
