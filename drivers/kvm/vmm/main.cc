// virtd-vmm: one guest, one process. Builds the machine from the command line, runs it, and
// exits with how the guest ended: 0 power off, 2 reset, 3 guest failure, 4 the user quit
// (Ctrl-A x), 1 an error before the guest could run (printed, naming the file or option).
// With --monitor, the JSON-lines monitor (MONITOR.md) controls it while it runs.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "common/file.h"
#include "drivers/kvm/vmm/machine.h"
#include "drivers/kvm/vmm/monitor_commands.h"
#include "drivers/kvm/vmm/vmm_options.h"

int main(int argc, char** argv) {
    using namespace virtd::vmm;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
        fmt::print("{}", vmm_usage());
        return 0;
    }
    virtd::Result<VmmOptions> options = parse_vmm_options(args);
    if (!options) {
        fmt::print(stderr, "virtd-vmm: {}\n{}", options.error().message(), vmm_usage());
        return 1;
    }
    // First, so that whoever started this process can find it again even if it dies right now.
    if (!options->pid_file.empty())
        if (virtd::Status s =
                virtd::write_run_file(options->pid_file, fmt::format("{}\n", getpid()), 0600);
            !s) {
            fmt::print(stderr, "virtd-vmm: --pid-file: {}\n", s.error().message());
            return 1;
        }
    virtd::Result<std::unique_ptr<Machine>> machine = Machine::create(*options);
    if (!machine) {
        fmt::print(stderr, "virtd-vmm: {}\n", machine.error().message());
        return 1;
    }
    std::unique_ptr<Monitor> monitor;
    if (!options->monitor.empty()) {
        virtd::Result<std::unique_ptr<Monitor>> m = Monitor::listen(options->monitor);
        if (!m) {
            fmt::print(stderr, "virtd-vmm: --monitor: {}\n", m.error().message());
            return 1;
        }
        monitor = std::move(*m);
        add_machine_commands(*monitor, **machine);
        if (virtd::Status s = monitor->start(); !s) {
            fmt::print(stderr, "virtd-vmm: --monitor: {}\n", s.error().message());
            return 1;
        }
    }
    Ending ending = (*machine)->run();
    if (monitor) {
        monitor->emit("SHUTDOWN", {{"reason", ending_reason(ending)}});
        monitor->close();
    }
    return static_cast<int>(ending);
}
