// Accel and Vm: the KVM-shaped entry points of the software accelerator (DESIGN.md §3).
//
// A Vm owns guest physical memory slots (host memory stays the VMM's), the vCPUs, and the
// in-accelerator PLIC. Device models live in the VMM and see guest accesses as MMIO exits.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/error.h"
#include "drivers/kvm/accel/exit.h"
#include "drivers/kvm/accel/memory.h"
#include "drivers/kvm/accel/plic.h"

namespace virtd::accel {

class Vcpu;
struct Hart;

class Vm {
public:
    static constexpr unsigned kMaxVcpus = 64; // one SBI hart mask word

    Vm();
    ~Vm();
    Vm(const Vm&) = delete;
    Vm& operator=(const Vm&) = delete;

    // KVM_SET_USER_MEMORY_REGION: size 0 deletes the slot. Call only while no vCPU runs.
    Status set_memory_region(uint32_t slot, uint64_t guest_phys, uint64_t size, void* host_ptr,
                             uint32_t flags);
    // The slot's dirty bitmap (bit n = page n of the slot) since the last call, cleared.
    Result<std::vector<uint64_t>> get_dirty_log(uint32_t slot);
    // Creates vCPU `id` (the hart id). vCPU 0 starts runnable; the others start stopped
    // until the guest starts them with SBI HSM, as under KVM.
    Result<Vcpu*> create_vcpu(uint32_t id);
    // Records guest pages the VMM's devices wrote (DMA), for the dirty log of their slots.
    void mark_dirty(uint64_t gpa, uint64_t len);
    // Drops every hart's decoded instructions. For code the VMM writes behind the guest's back
    // (loading images before a reset); the guest itself announces new code with FENCE.I.
    void flush_code();
    // KVM_IOEVENTFD: a guest write of `len` bytes to `addr` signals eventfd `fd` (adds 1) instead
    // of exiting, so a virtqueue notification wakes a device thread and the vCPU keeps running.
    // Call only while no vCPU runs.
    void add_ioeventfd(uint64_t addr, uint32_t len, int fd);
    // Drives PLIC source `irq` (1..1023), level-triggered. Any thread.
    void set_irq_line(uint32_t irq, bool level);
    // How many times a decoded block runs in the interpreter before it is compiled to host
    // code (block_compiler.h); 0 keeps every block interpreted. Applies to vCPUs created
    // afterwards. The default is kCompileThreshold, or VIRTD_ACCEL_COMPILE from the
    // environment: "off", or a number of runs (tests run the CPU both ways with it).
    static constexpr unsigned kCompileThreshold = 32;
    void set_compile_threshold(unsigned runs) { compile_threshold_ = runs; }

    // For the accelerator itself.
    GuestMemory& memory() { return memory_; }
    Hart* hart(uint32_t id) const {
        return id < kMaxVcpus ? harts_[id].load(std::memory_order_acquire) : nullptr;
    }
    uint64_t epoch_ns() const { return epoch_ns_; }
    uint64_t time_offset() const { return time_offset_.load(std::memory_order_relaxed); }
    // Sets the time CSR's offset (restore and migration keep guest time continuous).
    void set_time_offset(uint64_t ticks) { time_offset_.store(ticks, std::memory_order_relaxed); }
    // The guest's `time` CSR now (10 MHz ticks), and making it read `ticks` from now on: what
    // a pause, a save and a restore use to keep guest time from jumping.
    uint64_t guest_time() const;
    void set_guest_time(uint64_t ticks);
    // The in-accelerator PLIC (KVM's irqchip get/set), for save and restore.
    Plic& plic() { return plic_; }
    // MMIO handled inside the accelerator (the PLIC). False: the access exits to the VMM.
    bool device_read(uint64_t pa, unsigned size, uint64_t& value);
    bool device_write(uint64_t pa, unsigned size, uint64_t value);
    // SBI SRST: every vCPU returns `kind` (Shutdown or Reset) from run().
    void request_system_event(Exit::Kind kind);
    Exit::Kind system_event() const { return system_event_.load(std::memory_order_acquire); }

private:
    unsigned compile_threshold_;
    struct IoEvent {
        uint64_t addr = 0;
        uint32_t len = 0;
        int fd = -1;
    };

    GuestMemory memory_;
    std::vector<IoEvent> ioevents_;
    Plic plic_;
    std::mutex create_mutex_;
    std::array<std::unique_ptr<Vcpu>, kMaxVcpus> vcpus_;
    std::array<std::atomic<Hart*>, kMaxVcpus> harts_{};
    uint64_t epoch_ns_ = 0;
    std::atomic<uint64_t> time_offset_{0};
    std::atomic<Exit::Kind> system_event_{Exit::Kind::None};
};

// The accelerator: the factory of VMs (KVM's /dev/kvm).
class Accel {
public:
    std::unique_ptr<Vm> create_vm() { return std::make_unique<Vm>(); }
};

} // namespace virtd::accel
