// MmioBus: maps guest-physical address ranges to the MmioDevice that owns them, and dispatches
// the vCPU's MMIO exits to it.
//
// Thread safety: read(), write() and find() may run on every vCPU thread at once (they share a
// reader lock); add() and remove() take the writer lock, so once remove() returns no vCPU is
// still inside the removed device. A device must not add or remove bus entries from its own
// read() or write().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include "common/error.h"
#include "drivers/pv/mmio_device.h"

namespace virtd::pv {

class MmioBus {
public:
    MmioBus() = default;
    MmioBus(const MmioBus&) = delete;
    MmioBus& operator=(const MmioBus&) = delete;

    // Places device at [base, base + size). Fails, changing nothing, when size is 0, the range
    // wraps past 2^64, or it overlaps a range already on the bus (the message names both).
    Status add(uint64_t base, uint64_t size, std::shared_ptr<MmioDevice> device, std::string name);

    // Takes the device at base off the bus; fails if no range starts there.
    Status remove(uint64_t base);

    // Where an access lands: the device and the offset inside its window. Empty when no device
    // covers all of [addr, addr + size).
    struct Target {
        std::shared_ptr<MmioDevice> device;
        uint64_t offset = 0;
        std::string name;
    };
    std::optional<Target> find(uint64_t addr, unsigned size) const;

    // Dispatch an access. They return false (and read leaves *value at 0) when the access hits
    // no device or its size is not 1, 2, 4 or 8; the VMM decides what the guest sees then.
    bool read(uint64_t addr, unsigned size, uint64_t* value) const;
    bool write(uint64_t addr, unsigned size, uint64_t value) const;

private:
    struct Range {
        uint64_t size;
        std::shared_ptr<MmioDevice> device;
        std::string name;
    };
    // The range containing [addr, addr + size), or nullptr; caller holds mu_.
    const std::pair<const uint64_t, Range>* lookup(uint64_t addr, unsigned size) const;

    mutable std::shared_mutex mu_;
    std::map<uint64_t, Range> ranges_; // keyed by base; guarded by mu_
};

} // namespace virtd::pv
