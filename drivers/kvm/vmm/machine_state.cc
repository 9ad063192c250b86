// Machine::save_state and Machine::restore_state: the whole guest to one file and back
// (STATE.md). Saving pauses the vCPUs, completes their last exits, quiesces every virtio device
// (no request in flight, no device thread touching RAM), then writes every component's section.
// Restoring builds the machine from the same options and loads each component in place of
// booting the kernel; caches (soft TLB, decoded blocks) are flushed, never saved.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "drivers/kvm/vmm/machine.h"
#include "drivers/kvm/vmm/state_file.h"

namespace virtd::vmm {
namespace {

std::string hart_section(size_t i) {
    return fmt::format("hart {}", i);
}

std::string virtio_section(size_t slot) {
    return fmt::format("virtio {}", slot);
}

} // namespace

MachineShape Machine::shape() const {
    MachineShape s;
    s.ram_size = ram_size_;
    s.harts = static_cast<uint32_t>(vcpus_.size());
    for (size_t i = 0; i < virtio_.size(); ++i) {
        s.slots.push_back({static_cast<uint32_t>(virtio_[i]->device().device_id()),
                           virtio_[i]->name(), virtio_detail_[i]});
    }
    return s;
}

Result<uint64_t> Machine::save_state(const std::string& path, const std::string& note) {
    if (stopping_.load())
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::None,
                          "{}: the guest is shutting down", path);
    bool was_paused = paused();
    if (!pause()) {
        if (!was_paused) resume();
        return make_error(ErrorCode::OperationFailed, ErrorDomain::None,
                          "{}: not saved: a vCPU did not stop within {} s", path,
                          kPauseTimeout.count());
    }
    for (accel::Vcpu* v : vcpus_)
        v->settle();
    for (auto& t : virtio_)
        t->quiesce();
    Result<uint64_t> written = write_state(path, note);
    for (auto& t : virtio_)
        t->unquiesce();
    if (!written && !was_paused) resume();
    return written;
}

Result<uint64_t> Machine::write_state(const std::string& path, const std::string& note) {
    std::vector<uint8_t> shape_bytes = encode_shape(shape());
    Result<StateFileWriter> w =
        StateFileWriter::create(path, crc32c(shape_bytes.data(), shape_bytes.size()));
    if (!w) return w.error();
    uint64_t now = 0;
    {
        std::lock_guard lock(pause_mu_);
        now = frozen_time_.value_or(vm_->guest_time());
    }
    auto add = [&](const std::string& name, const std::vector<uint8_t>& bytes) {
        return w->add(name, bytes);
    };
    if (Status s = add("machine", shape_bytes); !s) return s.error();
    if (!note.empty())
        if (Status s = w->add(
                "note", std::span(reinterpret_cast<const uint8_t*>(note.data()), note.size()));
            !s)
            return s.error();
    if (Status s = add("clock", encode_clock(now)); !s) return s.error();
    for (size_t i = 0; i < vcpus_.size(); ++i)
        if (Status s = add(hart_section(i), encode_vcpu(vcpus_[i]->get_state())); !s)
            return s.error();
    if (Status s = add("plic", encode_plic(vm_->plic().save())); !s) return s.error();
    StateWriter uart;
    uart_->save_state(uart);
    if (Status s = add("uart", uart.bytes()); !s) return s.error();
    StateWriter rtc;
    rtc_->save_state(rtc);
    if (Status s = add("rtc", rtc.bytes()); !s) return s.error();
    for (size_t i = 0; i < virtio_.size(); ++i) {
        StateWriter dev;
        virtio_[i]->save_state(dev);
        if (Status s = add(virtio_section(i), dev.bytes()); !s) return s.error();
    }
    // RAM last, in place: only the pages that are not all zero.
    std::vector<RamRun> runs = find_ram_runs(ram_, ram_size_);
    if (Status s = w->begin("ram", ram_section_length(runs)); !s) return s.error();
    for (const RamRun& r : runs) {
        StateWriter head;
        head.u64(r.first);
        head.u64(r.pages);
        if (Status s = w->append(head.bytes()); !s) return s.error();
        if (Status s =
                w->append(std::span(ram_ + r.first * kStatePageSize, r.pages * kStatePageSize));
            !s)
            return s.error();
    }
    if (Status s = w->end(); !s) return s.error();
    return w->commit();
}

Status Machine::restore_state(const std::string& path) {
    MappedStateFile file;
    if (Status s = file.open(path); !s) return s;
    Result<StateFile> parsed = parse_state_file(file.bytes(), path);
    if (!parsed) return parsed.error();
    const StateFile& f = *parsed;
    auto need = [&](const std::string& name) -> Result<std::span<const uint8_t>> {
        const StateSection* s = f.find(name);
        if (s == nullptr) return state_section_error(path, name, "missing");
        return s->payload;
    };
    auto fail = [&](const std::string& name, const Error& e) {
        return state_section_error(path, name, e.message());
    };

    Result<std::span<const uint8_t>> shape_bytes = need("machine");
    if (!shape_bytes) return shape_bytes.error();
    Result<MachineShape> saved = decode_shape(*shape_bytes);
    if (!saved) return fail("machine", saved.error());
    if (std::string diff = shape_difference(*saved, shape()); !diff.empty())
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::None,
                          "{}: does not match this virtd-vmm's options: {}", path, diff);
    if (crc32c(shape_bytes->data(), shape_bytes->size()) != f.fingerprint)
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::None,
                          "{}: the machine fingerprint does not match its 'machine' section", path);
    // Every section must be one this machine knows: a file from another shape never half-loads.
    // "note" is the saver's (the daemon keeps the domain's definition there); the VMM skips it.
    std::vector<std::string> known{"machine", "note", "clock", "plic", "uart", "rtc", "ram"};
    for (size_t i = 0; i < vcpus_.size(); ++i)
        known.push_back(hart_section(i));
    for (size_t i = 0; i < virtio_.size(); ++i)
        known.push_back(virtio_section(i));
    for (const StateSection& s : f.sections)
        if (std::find(known.begin(), known.end(), s.name) == known.end())
            return state_section_error(path, s.name, "not a section this machine has");

    // RAM first: the devices' restored queues read their rings from it.
    Result<std::span<const uint8_t>> ram = need("ram");
    if (!ram) return ram.error();
    if (Status s = load_ram(*ram, ram_, ram_size_); !s) return fail("ram", s.error());
    Result<std::span<const uint8_t>> clock = need("clock");
    if (!clock) return clock.error();
    Result<uint64_t> now = decode_clock(*clock);
    if (!now) return fail("clock", now.error());
    for (size_t i = 0; i < vcpus_.size(); ++i) {
        Result<std::span<const uint8_t>> b = need(hart_section(i));
        if (!b) return b.error();
        Result<accel::VcpuState> st = decode_vcpu(*b);
        if (!st) return fail(hart_section(i), st.error());
        vcpus_[i]->set_state(*st);
    }
    Result<std::span<const uint8_t>> plic = need("plic");
    if (!plic) return plic.error();
    Result<accel::Plic::State> plic_state = decode_plic(*plic, vm_->plic().context_count());
    if (!plic_state) return fail("plic", plic_state.error());
    vm_->plic().restore(*plic_state);
    for (const char* name : {"uart", "rtc"}) {
        Result<std::span<const uint8_t>> b = need(name);
        if (!b) return b.error();
        StateReader r(*b);
        Status s =
            std::string_view(name) == "uart" ? uart_->restore_state(r) : rtc_->restore_state(r);
        if (!s) return fail(name, s.error());
    }
    for (size_t i = 0; i < virtio_.size(); ++i) {
        Result<std::span<const uint8_t>> b = need(virtio_section(i));
        if (!b) return b.error();
        StateReader r(*b);
        if (Status s = virtio_[i]->restore_state(r); !s)
            return fail(virtio_section(i), Error(s.error()).with_context(virtio_[i]->name()));
    }
    {
        std::lock_guard lock(pause_mu_);
        frozen_time_ = *now;
    }
    vm_->flush_code();
    return {};
}

} // namespace virtd::vmm
