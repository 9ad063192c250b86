// Guest: the kvm driver's handle on one running guest: its virtd-vmm process, a monitor
// connection for commands, and the daemon's own connection to the serial console. The daemon
// stays connected to the console for the guest's whole life so nothing the guest prints is lost:
// every byte goes to the console log in the run dir and, while a client has the console open
// (virsh console), to that client too.
//
// Thread safety: every method may be called from any thread. on_console_readable() is meant for
// one I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/fd.h"
#include "drivers/domain_driver.h"
#include "drivers/kvm/launch.h"
#include "drivers/kvm/vmm_process.h"

namespace virtd::kvm {

// How a guest's run ended, as the driver acts on it.
enum class Ending {
    Poweroff, // the guest powered off
    Reset,    // the guest rebooted, or was reset
    Panic,    // the guest reported a failure
    Quit,     // the VMM was told to quit
    Crashed,  // the VMM died (killed, or crashed itself) without saying why
};
std::string_view ending_name(Ending e);

// A console client: where the guest's output goes, and how to tell it the console ended.
using ConsoleClient = ConsoleOutput;

class Guest : public std::enable_shared_from_this<Guest> {
public:
    // Starts the VMM and connects to its monitor and console.
    static Result<std::shared_ptr<Guest>> start(const std::string& vmm_binary,
                                                const VmmLaunch& launch);
    // Takes over a VMM an earlier daemon started (see VmmProcess::adopt); `timeout` bounds the
    // wait for its monitor's first greeting, not the later commands.
    static Result<std::shared_ptr<Guest>>
    adopt(const VmmLaunch& launch, std::chrono::milliseconds timeout = VmmProcess::kStartTimeout);
    ~Guest();
    Guest(const Guest&) = delete;
    Guest& operator=(const Guest&) = delete;

    pid_t pid() const { return process_->pid(); }
    // Readable once the VMM has exited.
    int pidfd() const { return process_->pidfd(); }
    const VmmLaunch& launch() const { return process_->launch(); }
    // The daemon's console connection, or -1 when the guest has no serial console.
    int console_fd() const { return console_.get(); }
    const std::string& console_log() const { return console_log_path_; }

    // One monitor command; serialised with every other.
    Result<nlohmann::json>
    command(std::string_view name, const nlohmann::json& args = nlohmann::json(),
            std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

    // After pidfd() turned readable: how the run ended. Reaps the VMM when it is a child.
    Ending ending();
    // Ends the VMM at once (SIGKILL) and waits for it to be gone.
    void kill();

    // Moves console output to the log and the attached client. Called when console_fd() is
    // readable; returns false once the VMM closed the console.
    bool on_console_readable();
    // Attaches a console client. Another one already attached is refused, or with `force`
    // told it is closed and replaced. Returns a token: the client stays attached while it lives.
    Result<std::shared_ptr<void>> attach_console(ConsoleClient client, bool force);
    // Moves the attached client (if any) to `other`, which replaces this guest (a reboot
    // starts a new VMM).
    void hand_console_to(Guest& other);
    // Tells the attached client the console ended and detaches it.
    void close_console();
    // The client holding `token` leaves (it is not told: it is the one going).
    void detach_console(const std::shared_ptr<void>& token);
    // What a client types.
    Status console_write(const std::shared_ptr<void>& token, std::string_view bytes);

    // Host figures of the VMM process.
    Result<uint64_t> cpu_time_ns() const;
    // Each vCPU thread's CPU time and the host CPU it last ran on, by vCPU number.
    std::vector<VcpuInfo> vcpu_threads() const;
    // The same, split into user and system time.
    Result<CpuTimes> cpu_times() const;
    Result<uint64_t> rss_kib() const;

private:
    struct Attachment {
        ConsoleClient client;
    };
    explicit Guest(std::unique_ptr<VmmProcess> process)
        : process_(std::move(process)) {}
    Status connect(std::chrono::milliseconds timeout);

    std::unique_ptr<VmmProcess> process_;
    std::mutex monitor_mu_;
    std::unique_ptr<VmmMonitorClient> monitor_; // guarded by monitor_mu_
    UniqueFd console_;
    UniqueFd console_log_;
    std::string console_log_path_;
    std::mutex console_mu_;
    std::shared_ptr<Attachment> attached_; // guarded by console_mu_
    std::mutex exit_mu_;
};

} // namespace virtd::kvm
