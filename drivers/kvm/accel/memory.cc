#include "drivers/kvm/accel/memory.h"

#include <cerrno>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

namespace virtd::accel {

Status GuestMemory::set_region(uint32_t slot, uint64_t gpa, uint64_t size, void* host,
                               uint32_t flags) {
    if (slot >= kMaxSlots) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Qemu,
                          "memory slot {} out of range (at most {})", slot, kMaxSlots - 1);
    }
    if ((gpa | size) & 0xfff) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Qemu,
                          "memory slot {}: address {:#x} and size {:#x} must be page aligned", slot,
                          gpa, size);
    }
    for (uint32_t i = 0; i < kMaxSlots; ++i) {
        const MemorySlot& s = slots_[i];
        if (i != slot && s.size != 0 && size != 0 && gpa < s.gpa + s.size && s.gpa < gpa + size) {
            return make_error(ErrorCode::InvalidArg, ErrorDomain::Qemu,
                              "memory slot {} overlaps slot {}", slot, i);
        }
    }
    MemorySlot& s = slots_[slot];
    s.gpa = gpa;
    s.size = size;
    s.host = static_cast<uint8_t*>(host);
    s.flags = flags;
    s.dirty.reset();
    if ((flags & kMemLogDirty) && size != 0) {
        uint64_t words = (size / 4096 + 63) / 64;
        s.dirty = std::make_unique<std::atomic<uint64_t>[]>(words);
    }
    return {};
}

Result<std::vector<uint64_t>> GuestMemory::take_dirty(uint32_t slot) {
    if (slot >= kMaxSlots || !slots_[slot].dirty) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Qemu,
                          "memory slot {} does not log dirty pages", slot);
    }
    const MemorySlot& s = slots_[slot];
    std::vector<uint64_t> out((s.size / 4096 + 63) / 64);
    for (size_t i = 0; i < out.size(); ++i) {
        out[i] = s.dirty[i].exchange(0, std::memory_order_acq_rel);
    }
    return out;
}

Result<MemfdRegion> MemfdRegion::create(const std::string& name, uint64_t size) {
    int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
    if (fd < 0) return system_error(ErrorDomain::Qemu, errno, "memfd_create " + name);
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
        int err = errno;
        close(fd);
        return system_error(ErrorDomain::Qemu, err, "sizing guest memory " + name);
    }
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        int err = errno;
        close(fd);
        return system_error(ErrorDomain::Qemu, err, "mapping guest memory " + name);
    }
    // Both are hints: a host without KSM or transparent huge pages just says no.
    madvise(p, size, MADV_MERGEABLE);
    madvise(p, size, MADV_HUGEPAGE);
    return MemfdRegion(fd, static_cast<uint8_t*>(p), size);
}

MemfdRegion::MemfdRegion(MemfdRegion&& other) noexcept
    : fd_(std::exchange(other.fd_, -1))
    , data_(std::exchange(other.data_, nullptr))
    , size_(std::exchange(other.size_, 0)) {}

MemfdRegion& MemfdRegion::operator=(MemfdRegion&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

MemfdRegion::~MemfdRegion() {
    release();
}

void MemfdRegion::release() {
    if (data_ != nullptr) munmap(data_, size_);
    if (fd_ >= 0) close(fd_);
    data_ = nullptr;
    fd_ = -1;
}

} // namespace virtd::accel
