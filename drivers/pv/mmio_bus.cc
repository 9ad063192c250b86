#include "drivers/pv/mmio_bus.h"

#include <mutex>

namespace virtd::pv {

namespace {

bool valid_size(unsigned size) {
    return size == 1 || size == 2 || size == 4 || size == 8;
}

} // namespace

Status MmioBus::add(uint64_t base, uint64_t size, std::shared_ptr<MmioDevice> device,
                    std::string name) {
    if (size == 0 || base + size < base) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Device,
                          "MMIO range for '{}' at {:#x} size {:#x} is empty or wraps", name, base,
                          size);
    }
    if (!device) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Device, "MMIO device '{}' is null",
                          name);
    }
    std::unique_lock lock(mu_);
    // Only the nearest range below and the first at or above can overlap a new range.
    auto next = ranges_.lower_bound(base);
    if (next != ranges_.end() && next->first < base + size) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Device,
                          "MMIO range for '{}' [{:#x}, {:#x}) overlaps '{}' [{:#x}, {:#x})", name,
                          base, base + size, next->second.name, next->first,
                          next->first + next->second.size);
    }
    if (next != ranges_.begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second.size > base) {
            return make_error(ErrorCode::InvalidArg, ErrorDomain::Device,
                              "MMIO range for '{}' [{:#x}, {:#x}) overlaps '{}' [{:#x}, {:#x})",
                              name, base, base + size, prev->second.name, prev->first,
                              prev->first + prev->second.size);
        }
    }
    ranges_.emplace(base, Range{size, std::move(device), std::move(name)});
    return {};
}

Status MmioBus::remove(uint64_t base) {
    std::unique_lock lock(mu_);
    if (ranges_.erase(base) == 0) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Device,
                          "no MMIO range starts at {:#x}", base);
    }
    return {};
}

const std::pair<const uint64_t, MmioBus::Range>* MmioBus::lookup(uint64_t addr,
                                                                 unsigned size) const {
    if (!valid_size(size)) return nullptr;
    auto it = ranges_.upper_bound(addr);
    if (it == ranges_.begin()) return nullptr;
    --it;
    uint64_t offset = addr - it->first;
    // Written so that neither side can overflow: offset < range size is checked first.
    if (offset >= it->second.size || it->second.size - offset < size) return nullptr;
    return &*it;
}

std::optional<MmioBus::Target> MmioBus::find(uint64_t addr, unsigned size) const {
    std::shared_lock lock(mu_);
    const auto* hit = lookup(addr, size);
    if (!hit) return std::nullopt;
    return Target{hit->second.device, addr - hit->first, hit->second.name};
}

bool MmioBus::read(uint64_t addr, unsigned size, uint64_t* value) const {
    *value = 0;
    std::shared_lock lock(mu_);
    const auto* hit = lookup(addr, size);
    if (!hit) return false;
    uint64_t v = hit->second.device->read(addr - hit->first, size);
    // A device returning stray high bits must not leak them into the guest's register.
    *value = size == 8 ? v : v & ((uint64_t{1} << (size * 8)) - 1);
    return true;
}

bool MmioBus::write(uint64_t addr, unsigned size, uint64_t value) const {
    std::shared_lock lock(mu_);
    const auto* hit = lookup(addr, size);
    if (!hit) return false;
    hit->second.device->write(addr - hit->first, size, value);
    return true;
}

} // namespace virtd::pv
