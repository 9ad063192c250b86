// Machine: one guest as virtd-vmm builds it: RAM in a memfd, the accelerator's Vm with one vCPU
// per hart, the platform devices (UART, syscon, RTC) on an MMIO bus, the console, and the
// kernel, initrd and device tree in place. run() drives every vCPU on its own thread until the
// guest powers off, resets or fails.
//
// Thread safety: create() and run() on one thread; the vCPU threads and the console's reader
// thread are the machine's own. pause(), resume(), end() and the device accessors may be
// called from any thread (the monitor's).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/error.h"
#include "common/fd.h"
#include "drivers/kvm/accel/vcpu.h"
#include "drivers/kvm/accel/vm.h"
#include "drivers/kvm/vmm/console.h"
#include "drivers/kvm/vmm/state_sections.h"
#include "drivers/kvm/vmm/vmm_options.h"
#include "drivers/pv/goldfish_rtc.h"
#include "drivers/pv/mmio_bus.h"
#include "drivers/pv/uart16550.h"
#include "drivers/pv/virtio/balloon.h"
#include "drivers/pv/virtio/blk.h"
#include "drivers/pv/virtio/guest_ram.h"
#include "drivers/pv/virtio/mmio_transport.h"
#include "drivers/pv/virtio/net.h"

namespace virtd::vmm {

// How a guest's run ended, and the process exit status virtd-vmm gives for it.
enum class Ending : int {
    Poweroff = 0, // the guest powered off (SBI SRST, syscon 0x5555)
    Reset = 2,    // the guest asked for a reboot: the caller restarts it
    Failure = 3,  // the guest reported a failure (syscon 0x3333) or a vCPU could not go on
    Quit = 4,     // the user left through the console (Ctrl-A x)
};

class Machine {
public:
    static Result<std::unique_ptr<Machine>> create(const VmmOptions& options);
    ~Machine();
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    Ending run();

    // For tests: where the console of a pty machine is.
    const Console& console() const { return *console_; }

    // Stops every vCPU (they wait, their state kept) until resume(), and returns once none
    // executes guest code: true, or false when one has not stopped within kPauseTimeout (it is
    // blocked outside guest code, e.g. writing to a console client that does not read; it
    // stops when it can). Devices keep finishing requests already started. Guest time stands
    // still meanwhile (the time CSR continues from where it stopped), as on QEMU.
    static constexpr std::chrono::seconds kPauseTimeout{5};
    bool pause();
    void resume();
    bool paused() const;

    // Saves the whole guest to `path` (STATE.md) and returns the file's size. Pauses the guest
    // first if it runs and leaves it paused; on an error, a guest this call paused runs again.
    Result<uint64_t> save_state(const std::string& path, const std::string& note = {});
    // What a state file must agree with to be restored into this machine.
    MachineShape shape() const;
    // Ends the run as if the guest had asked (reset, poweroff) or the user quit.
    void end(Ending ending) { finish(ending); }

    // The guest's disks, by name (vda, vdb, ...), for query-block.
    struct Disk {
        std::string name;
        DiskSpec spec;
        pv::virtio::VirtioBlk* device;
    };
    const std::vector<Disk>& disks() const { return disks_; }
    // The guest's NICs (net0, net1, ...), for query-net and set_link.
    struct Nic {
        std::string name;
        NetSpec spec;
        pv::virtio::VirtioNet* device;
    };
    const std::vector<Nic>& nics() const { return nics_; }
    // The balloon, or nullptr without --balloon.
    pv::virtio::VirtioBalloon* balloon() const { return balloon_; }
    uint64_t ram_size() const { return ram_size_; }

private:
    Machine() = default;
    Status load_images(const VmmOptions& options);
    Status add_devices(const VmmOptions& options);
    // The virtio devices the options ask for, in slot order (virtio_devices.cc).
    Status add_virtio_devices(const VmmOptions& options);
    // Puts a virtio device in the next free virtio-mmio slot: its transport on the bus, its
    // queue notifications on `notify_fd` (an ioeventfd), its interrupt on the slot's PLIC line.
    // `detail` is what the slot's entry in shape() records besides the name (a disk's size).
    Status add_virtio(const std::string& name, std::unique_ptr<pv::virtio::VirtioDevice> device,
                      int notify_fd, uint64_t detail = 0);
    // Loads a state file written by save_state() in place of load_images() (machine_state.cc).
    Status restore_state(const std::string& path);
    Result<uint64_t> write_state(const std::string& path, const std::string& note);
    // Waits until every vCPU thread is parked by pause() or gone; false after kPauseTimeout.
    bool wait_parked();
    void vcpu_loop(accel::Vcpu& vcpu);
    void handle_sbi(accel::Exit::Sbi& sbi);
    // Ends the run (the first ending wins) and brings every vCPU out of run().
    void finish(Ending ending);
    // Guest RAM at guest physical `pa`, or nullptr when [pa, pa + len) is not all RAM.
    uint8_t* ram_at(uint64_t pa, uint64_t len);

    uint64_t ram_size_ = 0;
    UniqueFd ram_fd_;
    // Unmaps guest RAM when the machine goes. Members are destroyed in reverse order, so the
    // devices declared below (whose threads may still write into RAM) stop first.
    struct RamMapping {
        void* base = nullptr;
        uint64_t size = 0;
        RamMapping() = default;
        RamMapping(const RamMapping&) = delete;
        RamMapping& operator=(const RamMapping&) = delete;
        ~RamMapping();
    } ram_map_;
    uint8_t* ram_ = nullptr;
    std::unique_ptr<accel::Vm> vm_;
    std::unique_ptr<pv::GuestRam> guest_ram_; // what virtio devices see of RAM
    std::vector<std::shared_ptr<pv::virtio::MmioTransport>> virtio_; // by slot
    std::vector<uint64_t> virtio_detail_;                            // by slot, for shape()
    std::vector<Disk> disks_;
    std::vector<Nic> nics_;
    pv::virtio::VirtioBalloon* balloon_ = nullptr; // owned by its transport
    std::vector<accel::Vcpu*> vcpus_;
    pv::MmioBus bus_;
    std::shared_ptr<pv::Uart16550> uart_;
    std::shared_ptr<pv::GoldfishRtc> rtc_;
    std::unique_ptr<Console> console_;
    std::mutex ending_mu_;
    Ending ending_ = Ending::Poweroff; // guarded by ending_mu_
    std::atomic<bool> stopping_{false};
    mutable std::mutex pause_mu_;
    std::condition_variable pause_cv_;
    bool paused_ = false; // guarded by pause_mu_
    // vCPU threads in vcpu_loop(), and how many of them wait paused; guarded by pause_mu_.
    size_t vcpu_threads_ = 0;
    size_t parked_ = 0;
    std::condition_variable parked_cv_;
    // Guest time while paused (set by pause() and a restore), applied again by resume();
    // guarded by pause_mu_.
    std::optional<uint64_t> frozen_time_;
};

} // namespace virtd::vmm
