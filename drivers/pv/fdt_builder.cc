#include "drivers/pv/fdt_builder.h"

#include <set>

#include <fmt/format.h>

#include "drivers/pv/fdt_writer.h"

namespace virtd::pv {

namespace {

constexpr unsigned kMaxHarts = 512; // what QEMU's PLIC window (kPlicSize) has contexts for

// Interrupt numbers on a hart's local interrupt controller (the mcause/scause codes).
constexpr uint32_t kIrqMachineSoft = 3;
constexpr uint32_t kIrqMachineTimer = 7;
constexpr uint32_t kIrqSupervisorExternal = 9;
// "Not connected" in an interrupts-extended specifier, as OpenSBI marks M-mode contexts.
constexpr uint32_t kIrqNone = 0xFFFF'FFFF;

// Phandles are fixed numbers so two trees for the same machine are byte-identical.
constexpr uint32_t kPlicPhandle = 1;
constexpr uint32_t kSysconPhandle = 2;
constexpr uint32_t cpu_phandle(unsigned hart) {
    return 3 + 2 * hart;
}
constexpr uint32_t intc_phandle(unsigned hart) {
    return 4 + 2 * hart;
}

constexpr const char* kUartPath = "/soc/serial@10000000";

Error invalid(std::string message) {
    return Error(ErrorCode::InvalidArg, ErrorDomain::Device, std::move(message));
}

Status validate(const MachineDescription& m) {
    if (m.ram_size == 0 || m.ram_base + m.ram_size < m.ram_base)
        return invalid(fmt::format("machine RAM size {:#x} at {:#x} is empty or wraps", m.ram_size,
                                   m.ram_base));
    if (m.harts == 0 || m.harts > kMaxHarts)
        return invalid(
            fmt::format("machine has {} harts; 1 to {} are supported", m.harts, kMaxHarts));
    if (!m.isa.starts_with("rv64"))
        return invalid(fmt::format("riscv,isa '{}' does not start with rv64", m.isa));
    if (m.mmu_type != "riscv,sv39" && m.mmu_type != "riscv,sv48" && m.mmu_type != "riscv,sv57")
        return invalid(
            fmt::format("mmu-type '{}' is not riscv,sv39, riscv,sv48 or riscv,sv57", m.mmu_type));
    if (m.initrd) {
        const auto& r = *m.initrd;
        if (r.end < r.start || r.start < m.ram_base || r.end > m.ram_base + m.ram_size)
            return invalid(fmt::format("initrd [{:#x}, {:#x}) is not inside RAM [{:#x}, {:#x})",
                                       r.start, r.end, m.ram_base, m.ram_base + m.ram_size));
    }
    std::set<unsigned> seen;
    for (unsigned slot : m.virtio_slots) {
        if (slot >= kVirtioSlots)
            return invalid(fmt::format("virtio-mmio slot {} is out of range (0 to {})", slot,
                                       kVirtioSlots - 1));
        if (!seen.insert(slot).second)
            return invalid(fmt::format("virtio-mmio slot {} is listed twice", slot));
    }
    return {};
}

void write_chosen(FdtWriter& w, const MachineDescription& m) {
    w.begin_node("chosen");
    if (!m.bootargs.empty()) w.prop_string("bootargs", m.bootargs);
    w.prop_string("stdout-path", kUartPath);
    if (m.initrd) {
        w.prop_u64("linux,initrd-start", m.initrd->start);
        w.prop_u64("linux,initrd-end", m.initrd->end);
    }
    if (!m.rng_seed.empty()) w.prop_bytes("rng-seed", m.rng_seed);
    w.end_node();

    w.begin_node("aliases");
    w.prop_string("serial0", kUartPath);
    w.end_node();
}

void write_cpus(FdtWriter& w, const MachineDescription& m) {
    w.begin_node("cpus");
    w.prop_u32("#address-cells", 1);
    w.prop_u32("#size-cells", 0);
    w.prop_u32("timebase-frequency", m.timebase_hz);
    for (unsigned hart = 0; hart < m.harts; ++hart) {
        w.begin_node(fmt::format("cpu@{:x}", hart));
        w.prop_u32("phandle", cpu_phandle(hart));
        w.prop_string("device_type", "cpu");
        w.prop_u32("reg", hart);
        w.prop_string("status", "okay");
        w.prop_string("compatible", "riscv");
        w.prop_string("riscv,isa", m.isa);
        w.prop_string("mmu-type", m.mmu_type);
        w.begin_node("interrupt-controller");
        w.prop_u32("#interrupt-cells", 1);
        w.prop_empty("interrupt-controller");
        w.prop_string("compatible", "riscv,cpu-intc");
        w.prop_u32("phandle", intc_phandle(hart));
        w.end_node();
        w.end_node();
    }
    // One cluster of single-threaded cores, as QEMU describes it (Linux's topology code).
    w.begin_node("cpu-map");
    w.begin_node("cluster0");
    for (unsigned hart = 0; hart < m.harts; ++hart) {
        w.begin_node(fmt::format("core{}", hart));
        w.prop_u32("cpu", cpu_phandle(hart));
        w.end_node();
    }
    w.end_node();
    w.end_node();
    w.end_node();
}

void write_syscon_users(FdtWriter& w) {
    // Linux's syscon-poweroff and syscon-reboot write value to offset in the regmap's device.
    w.begin_node("poweroff");
    w.prop_u32("value", 0x5555);
    w.prop_u32("offset", 0);
    w.prop_u32("regmap", kSysconPhandle);
    w.prop_string("compatible", "syscon-poweroff");
    w.end_node();
    w.begin_node("reboot");
    w.prop_u32("value", 0x7777);
    w.prop_u32("offset", 0);
    w.prop_u32("regmap", kSysconPhandle);
    w.prop_string("compatible", "syscon-reboot");
    w.end_node();
}

void write_plic(FdtWriter& w, const MachineDescription& m) {
    w.begin_node(fmt::format("plic@{:x}", kPlicBase));
    w.prop_u32("phandle", kPlicPhandle);
    w.prop_u32("riscv,ndev", m.plic_sources);
    w.prop_reg64(kPlicBase, kPlicSize);
    std::vector<uint32_t> contexts;
    for (unsigned hart = 0; hart < m.harts; ++hart) {
        contexts.insert(contexts.end(),
                        {intc_phandle(hart), kIrqNone, intc_phandle(hart), kIrqSupervisorExternal});
    }
    w.prop_cells("interrupts-extended", contexts);
    w.prop_empty("interrupt-controller");
    w.prop_strings("compatible", {"sifive,plic-1.0.0", "riscv,plic0"});
    w.prop_u32("#address-cells", 0);
    w.prop_u32("#interrupt-cells", 1);
    w.end_node();
}

void write_clint(FdtWriter& w, const MachineDescription& m) {
    w.begin_node(fmt::format("clint@{:x}", kClintBase));
    std::vector<uint32_t> irqs;
    for (unsigned hart = 0; hart < m.harts; ++hart) {
        irqs.insert(irqs.end(),
                    {intc_phandle(hart), kIrqMachineSoft, intc_phandle(hart), kIrqMachineTimer});
    }
    w.prop_cells("interrupts-extended", irqs);
    w.prop_reg64(kClintBase, kClintSize);
    w.prop_strings("compatible", {"sifive,clint0", "riscv,clint0"});
    w.end_node();
}

// Opens the node of a device on the PLIC with its reg, interrupt and compatible string; the
// caller adds any other properties and closes it.
void write_plic_device(FdtWriter& w, const std::string& name, uint64_t base, uint64_t size,
                       uint32_t irq, const char* compatible) {
    w.begin_node(fmt::format("{}@{:x}", name, base));
    w.prop_u32("interrupts", irq);
    w.prop_u32("interrupt-parent", kPlicPhandle);
    w.prop_reg64(base, size);
    w.prop_string("compatible", compatible);
}

void write_soc(FdtWriter& w, const MachineDescription& m) {
    w.begin_node("soc");
    w.prop_u32("#address-cells", 2);
    w.prop_u32("#size-cells", 2);
    w.prop_string("compatible", "simple-bus");
    w.prop_empty("ranges");

    w.begin_node(fmt::format("test@{:x}", kSysconBase));
    w.prop_u32("phandle", kSysconPhandle);
    w.prop_reg64(kSysconBase, kSysconSize);
    w.prop_strings("compatible", {"sifive,test1", "sifive,test0", "syscon"});
    w.end_node();

    write_plic_device(w, "rtc", kRtcBase, kRtcSize, kRtcIrq, "google,goldfish-rtc");
    w.end_node();

    write_plic_device(w, "serial", kUartBase, kUartSize, kUartIrq, "ns16550a");
    w.prop_u32("clock-frequency", kUartClockHz);
    w.end_node();

    for (unsigned slot : m.virtio_slots) {
        write_plic_device(w, "virtio_mmio", virtio_slot_base(slot), kVirtioStride,
                          virtio_slot_irq(slot), "virtio,mmio");
        w.end_node();
    }

    write_plic(w, m);
    if (m.clint) write_clint(w, m);
    w.end_node();
}

} // namespace

Result<std::vector<uint8_t>> build_fdt(const MachineDescription& machine, size_t max_size) {
    if (auto st = validate(machine); !st) return st.error();

    FdtWriter w(max_size);
    w.begin_node("");
    w.prop_u32("#address-cells", 2);
    w.prop_u32("#size-cells", 2);
    w.prop_string("compatible", "riscv-virtio");
    w.prop_string("model", "riscv-virtio,virtd");

    write_chosen(w, machine);
    write_syscon_users(w);

    w.begin_node(fmt::format("memory@{:x}", machine.ram_base));
    w.prop_string("device_type", "memory");
    w.prop_reg64(machine.ram_base, machine.ram_size);
    w.end_node();

    write_cpus(w, machine);
    write_soc(w, machine);
    w.end_node();
    return w.finish();
}

} // namespace virtd::pv
