#include "drivers/kvm/vmm/state_sections.h"

#include <algorithm>
#include <cstring>

#include "drivers/kvm/accel/vm.h"

namespace virtd::vmm {
namespace {

constexpr uint32_t kMaxSlots = 64;
constexpr size_t kMaxSlotName = 128;
constexpr unsigned kPlicWords = accel::Plic::kSources / 32;

Error bad(const std::string& why) {
    return make_error(ErrorCode::OperationInvalid, ErrorDomain::None, "{}", why);
}

template <typename T>
Result<T> finish(StateReader& r, T value) {
    r.expect_end();
    if (!r.ok()) return bad(r.error());
    return value;
}

std::string mib(uint64_t bytes) {
    return bytes % (1 << 20) == 0 ? fmt::format("{} MiB", bytes >> 20)
                                  : fmt::format("{} bytes", bytes);
}

} // namespace

std::vector<uint8_t> encode_shape(const MachineShape& s) {
    StateWriter w;
    w.u64(s.ram_size);
    w.u32(s.harts);
    w.u32(static_cast<uint32_t>(s.slots.size()));
    for (const MachineShape::Slot& slot : s.slots) {
        w.u32(slot.device_id);
        w.str(slot.name);
        w.u64(slot.detail);
    }
    return w.take();
}

Result<MachineShape> decode_shape(std::span<const uint8_t> payload) {
    StateReader r(payload);
    MachineShape s;
    s.ram_size = r.u64();
    s.harts = r.u32();
    if (r.ok() && (s.harts == 0 || s.harts > accel::Vm::kMaxVcpus))
        r.fail(fmt::format("{} harts (1 to {} allowed)", s.harts, accel::Vm::kMaxVcpus));
    if (r.ok() && (s.ram_size == 0 || s.ram_size % kStatePageSize != 0))
        r.fail(fmt::format("RAM size {} is not a whole number of pages", s.ram_size));
    uint32_t n = r.count(kMaxSlots, 16);
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
        MachineShape::Slot slot;
        slot.device_id = r.u32();
        slot.name = r.str(kMaxSlotName);
        slot.detail = r.u64();
        s.slots.push_back(std::move(slot));
    }
    return finish(r, std::move(s));
}

std::string shape_difference(const MachineShape& f, const MachineShape& c) {
    if (f.ram_size != c.ram_size)
        return fmt::format("guest memory is {} in the file but {} on the command line (--memory)",
                           mib(f.ram_size), mib(c.ram_size));
    if (f.harts != c.harts)
        return fmt::format("the file has {} vCPUs but the command line {} (--smp)", f.harts,
                           c.harts);
    for (size_t i = 0; i < std::max(f.slots.size(), c.slots.size()); ++i) {
        if (i >= f.slots.size())
            return fmt::format("virtio slot {}: '{}' on the command line is not in the file", i,
                               c.slots[i].name);
        if (i >= c.slots.size())
            return fmt::format("virtio slot {}: '{}' in the file is not on the command line", i,
                               f.slots[i].name);
        const MachineShape::Slot& a = f.slots[i];
        const MachineShape::Slot& b = c.slots[i];
        if (a.device_id != b.device_id || a.name != b.name)
            return fmt::format("virtio slot {}: the file has '{}' but the command line '{}'", i,
                               a.name, b.name);
        if (a.detail != b.detail) {
            if (a.name.starts_with("virtio-blk"))
                return fmt::format("{}: disk size is {} in the file but {} now", a.name,
                                   mib(a.detail), mib(b.detail));
            return fmt::format("{}: configured differently (0x{:x} in the file, 0x{:x} now)",
                               a.name, a.detail, b.detail);
        }
    }
    return "";
}

std::vector<uint8_t> encode_vcpu(const accel::VcpuState& s) {
    StateWriter w;
    for (unsigned i = 1; i < 32; ++i)
        w.u64(s.core.x[i]);
    w.u64(s.core.pc);
    w.u8(static_cast<uint8_t>(s.core.priv));
    const accel::CsrRegs& c = s.csrs;
    for (uint64_t v : {c.sstatus, c.sie, c.sip, c.stvec, c.sscratch, c.sepc, c.scause, c.stval,
                       c.satp, c.scounteren, c.senvcfg, c.stimecmp})
        w.u64(v);
    for (uint64_t f : s.fp.f)
        w.u64(f);
    w.u32(s.fp.fflags);
    w.u32(s.fp.frm);
    w.u64(s.instret);
    w.u32(static_cast<uint32_t>(s.hsm_state));
    w.u64(s.start_pc);
    w.u64(s.start_opaque);
    return w.take();
}

Result<accel::VcpuState> decode_vcpu(std::span<const uint8_t> payload) {
    StateReader r(payload);
    accel::VcpuState s;
    for (unsigned i = 1; i < 32; ++i)
        s.core.x[i] = r.u64();
    s.core.pc = r.u64();
    uint8_t priv = r.u8();
    if (r.ok() && priv > 1) r.fail(fmt::format("privilege {} (0 or 1 allowed)", priv));
    s.core.priv = static_cast<accel::Priv>(priv);
    accel::CsrRegs& c = s.csrs;
    for (uint64_t* v : {&c.sstatus, &c.sie, &c.sip, &c.stvec, &c.sscratch, &c.sepc, &c.scause,
                        &c.stval, &c.satp, &c.scounteren, &c.senvcfg, &c.stimecmp})
        *v = r.u64();
    for (uint64_t& f : s.fp.f)
        f = r.u64();
    s.fp.fflags = r.u32();
    s.fp.frm = r.u32();
    if (r.ok() && (s.fp.fflags > 0x1f || s.fp.frm > 7)) r.fail("fcsr out of range");
    s.instret = r.u64();
    uint32_t hsm = r.u32();
    if (r.ok() && hsm > accel::kHsmStopPending) r.fail(fmt::format("HSM state {} unknown", hsm));
    s.hsm_state = static_cast<int>(hsm);
    s.start_pc = r.u64();
    s.start_opaque = r.u64();
    uint64_t mode = c.satp >> 60;
    if (r.ok() && mode != 0 && mode != 8 && mode != 9)
        r.fail(fmt::format("satp mode {} unknown", mode));
    return finish(r, s);
}

std::vector<uint8_t> encode_plic(const accel::Plic::State& s) {
    StateWriter w;
    for (uint32_t v : s.priority)
        w.u32(v);
    for (const uint32_t* words : {s.pending, s.claimed, s.line})
        for (unsigned i = 0; i < kPlicWords; ++i)
            w.u32(words[i]);
    w.u32(static_cast<uint32_t>(s.threshold.size()));
    for (uint32_t v : s.enable)
        w.u32(v);
    for (uint32_t v : s.threshold)
        w.u32(v);
    return w.take();
}

Result<accel::Plic::State> decode_plic(std::span<const uint8_t> payload, size_t contexts) {
    StateReader r(payload);
    accel::Plic::State s;
    for (uint32_t& v : s.priority)
        v = r.u32();
    for (uint32_t* words : {s.pending, s.claimed, s.line})
        for (unsigned i = 0; i < kPlicWords; ++i)
            words[i] = r.u32();
    uint32_t n = r.u32();
    if (r.ok() && n != contexts) r.fail(fmt::format("{} contexts, this PLIC has {}", n, contexts));
    if (!r.ok()) return bad(r.error());
    s.enable.resize(size_t{n} * kPlicWords);
    for (uint32_t& v : s.enable)
        v = r.u32();
    s.threshold.resize(n);
    for (uint32_t& v : s.threshold)
        v = r.u32();
    return finish(r, std::move(s));
}

std::vector<uint8_t> encode_clock(uint64_t guest_time) {
    StateWriter w;
    w.u64(guest_time);
    return w.take();
}

Result<uint64_t> decode_clock(std::span<const uint8_t> payload) {
    StateReader r(payload);
    uint64_t t = r.u64();
    return finish(r, t);
}

std::vector<RamRun> find_ram_runs(const uint8_t* ram, uint64_t size) {
    static const uint8_t zero[kStatePageSize] = {};
    std::vector<RamRun> runs;
    for (uint64_t page = 0; page < size / kStatePageSize; ++page) {
        if (std::memcmp(ram + page * kStatePageSize, zero, kStatePageSize) == 0) continue;
        if (!runs.empty() && runs.back().first + runs.back().pages == page) {
            ++runs.back().pages;
        } else {
            runs.push_back({page, 1});
        }
    }
    return runs;
}

uint64_t ram_section_length(const std::vector<RamRun>& runs) {
    uint64_t len = 0;
    for (const RamRun& r : runs)
        len += 16 + r.pages * kStatePageSize;
    return len;
}

Status load_ram(std::span<const uint8_t> payload, uint8_t* ram, uint64_t size) {
    StateReader r(payload);
    uint64_t pages = size / kStatePageSize;
    uint64_t next = 0; // runs go up: the first page a run may start at
    while (r.ok() && r.remaining() != 0) {
        uint64_t first = r.u64();
        uint64_t count = r.u64();
        if (!r.ok()) break;
        if (count == 0 || first < next || first > pages || count > pages - first) {
            r.fail(fmt::format("byte {}: a run of {} pages at page {} is out of order or outside "
                               "{} pages of RAM",
                               r.position() - 16, count, first, pages));
            break;
        }
        if (count > r.remaining() / kStatePageSize) {
            r.fail(fmt::format("truncated at byte {}", payload.size()));
            break;
        }
        std::memcpy(ram + first * kStatePageSize, payload.data() + r.position(),
                    count * kStatePageSize);
        r.skip(count * kStatePageSize);
        next = first + count;
    }
    if (!r.ok()) return bad(r.error());
    return {};
}

} // namespace virtd::vmm
