// The payloads of a virtd-vmm state file's machine-level sections (STATE.md): the machine's
// shape ("machine"), guest time ("clock"), each hart ("hart N"), the PLIC ("plic") and guest
// RAM ("ram"). Each is a plain struct with an encoder and a checking decoder of untrusted bytes;
// the devices' own sections are written by the devices (drivers/pv).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/state_codec.h"
#include "drivers/kvm/accel/plic.h"
#include "drivers/kvm/accel/vcpu.h"

namespace virtd::vmm {

// What must match between a state file and the command line restoring it.
struct MachineShape {
    struct Slot {
        uint32_t device_id = 0; // pv::virtio::DeviceId
        std::string name;       // "virtio-blk vda", "virtio-net net0", ...
        uint64_t detail = 0;    // disk size in bytes, MAC, console ports, balloon options
        bool operator==(const Slot&) const = default;
    };
    uint64_t ram_size = 0;
    uint32_t harts = 0;
    std::vector<Slot> slots;
};

std::vector<uint8_t> encode_shape(const MachineShape& s);
// Errors are the problem alone; callers add the file and section.
Result<MachineShape> decode_shape(std::span<const uint8_t> payload);
// "" when they match, else the first difference, saying what the file and the command line have.
std::string shape_difference(const MachineShape& file, const MachineShape& command_line);

std::vector<uint8_t> encode_vcpu(const accel::VcpuState& s);
Result<accel::VcpuState> decode_vcpu(std::span<const uint8_t> payload);

std::vector<uint8_t> encode_plic(const accel::Plic::State& s);
// `contexts`: how many the restoring PLIC has; the file must have as many.
Result<accel::Plic::State> decode_plic(std::span<const uint8_t> payload, size_t contexts);

std::vector<uint8_t> encode_clock(uint64_t guest_time);
Result<uint64_t> decode_clock(std::span<const uint8_t> payload);

// Guest RAM: runs of non-zero 4 KiB pages, {u64 first page, u64 pages, the pages' bytes}, in
// increasing page order; pages in no run are zero.
inline constexpr uint64_t kStatePageSize = 4096;
struct RamRun {
    uint64_t first = 0;
    uint64_t pages = 0;
};
// The runs of non-zero pages of `ram` (its size a multiple of 4 KiB).
std::vector<RamRun> find_ram_runs(const uint8_t* ram, uint64_t size);
// The "ram" section's length for these runs.
uint64_t ram_section_length(const std::vector<RamRun>& runs);
// Copies the runs into `ram` (already zero, `size` bytes); checks every run's bounds and order.
Status load_ram(std::span<const uint8_t> payload, uint8_t* ram, uint64_t size);

} // namespace virtd::vmm
