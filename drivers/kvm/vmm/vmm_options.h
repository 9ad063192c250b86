// VmmOptions: the command line of virtd-vmm, the per-guest process, parsed and checked before
// anything is built, so a mistake is reported once, clearly, naming the option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/mac.h"

namespace virtd::vmm {

// Where the guest's serial console goes.
struct ConsoleSpec {
    enum class Kind { Stdio, Pty, Unix } kind = Kind::Stdio;
    std::string path; // Unix: the socket path
};

// --disk PATH[,format=raw][,readonly][,serial=S][,direct]
struct DiskSpec {
    std::string path;
    std::string format = "raw";
    bool read_only = false;
    bool direct = false; // O_DIRECT: bypass the host page cache
    std::string serial;  // at most 20 bytes (what GET_ID carries)
};

// --net tap=IFNAME[,mac=M] | switch=SOCKET[,mac=M][,vlan=N|trunk=N,M,...]
struct NetSpec {
    enum class Kind { Tap, Switch } kind = Kind::Tap;
    std::string target;          // the tap's name or the switch's socket
    MacAddress mac;              // generated when not given
    uint16_t vlan = 1;           // switch access port: its VLAN
    std::vector<uint16_t> trunk; // switch trunk port: its VLANs (then `vlan` is unused)
};

// --channel NAME=unix:PATH: a named virtio-console port with a unix socket on the host.
struct ChannelSpec {
    std::string name;
    std::string path;
};

struct VmmOptions {
    std::string kernel;             // a RISC-V Linux Image
    std::string initrd;             // optional
    std::string append;             // the kernel command line
    uint64_t memory = 256ull << 20; // bytes
    uint32_t smp = 1;
    ConsoleSpec console;
    bool rng = false; // a virtio-rng device
    bool balloon = false;
    bool balloon_deflate_on_oom = false; // --balloon=deflate-on-oom
    std::vector<DiskSpec> disks;
    std::vector<NetSpec> nets;
    std::vector<ChannelSpec> channels;
    std::string hvc;           // --hvc unix:PATH: the virtio console port's host socket
    std::string monitor;       // --monitor PATH: the JSON-lines monitor socket
    std::string incoming;      // --incoming PATH: restore this state file instead of booting
    bool start_paused = false; // --start-paused: vCPUs wait for the monitor's cont
    std::string pid_file;      // --pid-file PATH: this process's pid, written first
};

// The largest guest virtd-vmm accepts: RAM sits at 0x8000_0000, below the 64-bit hole.
inline constexpr uint64_t kMaxMemory = 64ull << 30;
inline constexpr uint32_t kMaxHarts = 64;

// Parses `args` (without the program name). Errors name the option and the problem.
Result<VmmOptions> parse_vmm_options(const std::vector<std::string>& args);

// "256M", "1G", "512MiB", "65536K", "268435456": a size in bytes (binary suffixes, as QEMU's -m).
Result<uint64_t> parse_memory_size(const std::string& text);

// The usage text printed for --help and after an argument error.
std::string vmm_usage();

} // namespace virtd::vmm
