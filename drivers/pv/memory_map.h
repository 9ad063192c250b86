// The guest platform's physical memory map and interrupt numbers (DESIGN.md §3).
//
// QEMU virt-compatible, so stock kernels and device trees find devices where they expect them.
// The VMM places its devices and the FDT builder describes them from these same constants, so
// the two cannot drift apart. Plain constants: safe from any thread.
#pragma once

#include <cstdint>

namespace virtd::pv {

inline constexpr uint64_t kSysconBase = 0x0010'0000;
inline constexpr uint64_t kSysconSize = 0x1000;
inline constexpr uint64_t kRtcBase = 0x0010'1000;
inline constexpr uint64_t kRtcSize = 0x1000;
inline constexpr uint64_t kClintBase = 0x0200'0000;
inline constexpr uint64_t kClintSize = 0x1'0000;
inline constexpr uint64_t kPlicBase = 0x0C00'0000;
// QEMU sizes the PLIC window for its maximum hart count; Linux only maps what it is told.
inline constexpr uint64_t kPlicSize = 0x60'0000;
inline constexpr uint64_t kUartBase = 0x1000'0000;
inline constexpr uint64_t kUartSize = 0x100;
inline constexpr uint64_t kVirtioBase = 0x1000'1000;
inline constexpr uint64_t kVirtioStride = 0x1000;
inline constexpr unsigned kVirtioSlots = 8;
inline constexpr uint64_t kRamBase = 0x8000'0000;

// PLIC interrupt sources (wired lines, 1-based; 0 means "no interrupt" to the PLIC).
inline constexpr uint32_t kVirtioIrqBase = 1; // slot n uses kVirtioIrqBase + n
inline constexpr uint32_t kUartIrq = 10;
inline constexpr uint32_t kRtcIrq = 11;
// Number of PLIC sources the device tree announces (riscv,ndev), as QEMU virt does.
inline constexpr uint32_t kPlicSources = 96;

// The UART's input clock as QEMU reports it; Linux only uses it to compute divisors.
inline constexpr uint32_t kUartClockHz = 3'686'400;
// The frequency of the time CSR (the accelerator's timer runs at this rate).
inline constexpr uint32_t kTimebaseHz = 10'000'000;

constexpr uint64_t virtio_slot_base(unsigned slot) {
    return kVirtioBase + slot * kVirtioStride;
}
constexpr uint32_t virtio_slot_irq(unsigned slot) {
    return kVirtioIrqBase + slot;
}

} // namespace virtd::pv
