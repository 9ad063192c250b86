#include "drivers/kvm/accel/vm.h"

#include <cstdlib>
#include <cstring>
#include <ctime>

#include <unistd.h>

#include "drivers/kvm/accel/block.h"
#include "drivers/kvm/accel/block_compiler.h"
#include "drivers/kvm/accel/hart.h"
#include "drivers/kvm/accel/vcpu.h"

namespace virtd::accel {
namespace {

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

unsigned compile_threshold_from_env() {
    const char* v = std::getenv("VIRTD_ACCEL_COMPILE");
    if (v == nullptr || *v == '\0') return Vm::kCompileThreshold;
    if (std::strcmp(v, "off") == 0) return 0;
    char* end = nullptr;
    unsigned long n = std::strtoul(v, &end, 10);
    return *end == '\0' && n <= 1000000 ? static_cast<unsigned>(n) : Vm::kCompileThreshold;
}

} // namespace

Vm::Vm()
    : compile_threshold_(compile_threshold_from_env())
    , plic_(kMaxVcpus,
            [this](unsigned hart_id, bool level) {
                if (Hart* h = hart(hart_id)) h->set_pending(kSeip, level);
            })
    , epoch_ns_(monotonic_ns()) {}

Vm::~Vm() = default;

Status Vm::set_memory_region(uint32_t slot, uint64_t guest_phys, uint64_t size, void* host_ptr,
                             uint32_t flags) {
    Status st = memory_.set_region(slot, guest_phys, size, host_ptr, flags);
    if (!st) return st;
    // Cached translations may point into the old mapping.
    for (unsigned i = 0; i < kMaxVcpus; ++i) {
        if (Hart* h = hart(i)) {
            h->tlb.flush();
            h->blocks->flush();
        }
    }
    return st;
}

Result<std::vector<uint64_t>> Vm::get_dirty_log(uint32_t slot) {
    // Drop every write TLB entry first, so the next write to any page takes the slow path and
    // marks it again; only then harvest.
    for (unsigned i = 0; i < kMaxVcpus; ++i) {
        if (Hart* h = hart(i)) h->request_sync(kEvStoreFlush, nullptr);
    }
    return memory_.take_dirty(slot);
}

Result<Vcpu*> Vm::create_vcpu(uint32_t id) {
    std::lock_guard<std::mutex> guard(create_mutex_);
    if (id >= kMaxVcpus) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Qemu, "vCPU id {} out of range", id);
    }
    if (vcpus_[id]) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Qemu, "vCPU {} already exists", id);
    }
    vcpus_[id] = std::make_unique<Vcpu>(*this, id);
    Hart& h = vcpus_[id]->hart();
    h.compile_threshold = BlockCompiler::supported() ? compile_threshold_ : 0;
    h.hsm_state.store(id == 0 ? kHsmStarted : kHsmStopped);
    harts_[id].store(&h, std::memory_order_release);
    unsigned count = 0;
    for (unsigned i = 0; i < kMaxVcpus; ++i) {
        if (vcpus_[i]) count = i + 1;
    }
    plic_.set_hart_count(count);
    return vcpus_[id].get();
}

void Vm::mark_dirty(uint64_t gpa, uint64_t len) {
    for (uint64_t page = gpa & ~0xfffULL; len != 0 && page < gpa + len; page += 0x1000) {
        memory_.mark_dirty(page);
    }
}

void Vm::flush_code() {
    for (unsigned i = 0; i < kMaxVcpus; ++i) {
        if (Hart* h = hart(i)) h->request_sync(kEvFenceI, nullptr);
    }
}

void Vm::set_irq_line(uint32_t irq, bool level) {
    plic_.set_line(irq, level);
}

bool Vm::device_read(uint64_t pa, unsigned size, uint64_t& value) {
    if (pa - Plic::kBase < Plic::kSize) {
        if (!plic_.read(pa - Plic::kBase, size, value)) value = 0;
        return true;
    }
    return false;
}

void Vm::add_ioeventfd(uint64_t addr, uint32_t len, int fd) {
    ioevents_.push_back(IoEvent{addr, len, fd});
}

bool Vm::device_write(uint64_t pa, unsigned size, uint64_t value) {
    for (const IoEvent& e : ioevents_) {
        if (e.addr == pa && e.len == size) {
            uint64_t one = 1;
            // A full eventfd counter only means the device thread has not caught up yet.
            [[maybe_unused]] ssize_t n = ::write(e.fd, &one, sizeof(one));
            return true;
        }
    }
    if (pa - Plic::kBase < Plic::kSize) {
        plic_.write(pa - Plic::kBase, size, value);
        return true;
    }
    return false;
}

void Vm::request_system_event(Exit::Kind kind) {
    Exit::Kind none = Exit::Kind::None;
    system_event_.compare_exchange_strong(none, kind);
    for (unsigned i = 0; i < kMaxVcpus; ++i) {
        if (Hart* h = hart(i)) h->post(kEvSystem);
    }
}

uint64_t Vm::guest_time() const {
    return (monotonic_ns() - epoch_ns_) / 100 + time_offset();
}

void Vm::set_guest_time(uint64_t ticks) {
    // Unsigned arithmetic wraps: read_time() adds the elapsed ticks back and gets `ticks`.
    set_time_offset(ticks - (monotonic_ns() - epoch_ns_) / 100);
}

} // namespace virtd::accel
