// Syscon: the SiFive "test" device at kSysconBase through which the guest powers off, reboots
// or reports a failure (Linux's syscon-poweroff and syscon-reboot drivers write to it).
//
// A 32-bit write to offset 0 whose low 16 bits are 0x5555 means power off, 0x7777 reboot, and
// 0x3333 power off with an exit status in the high 16 bits (how test guests report failure).
// Reads return 0; Linux's regmap reads before it writes, and 0 makes every command a change.
//
// Thread safety: stateless; the handler may be called from any vCPU thread, concurrently if two
// harts write at once, and must be thread-safe itself (typically it records the request and
// kicks the vCPUs).
#pragma once

#include <cstdint>
#include <functional>

#include "drivers/pv/mmio_device.h"

namespace virtd::pv {

class Syscon : public MmioDevice {
public:
    enum class Request { Poweroff, Reboot, Fail };
    // status: the exit status for Fail (the write's high 16 bits), 0 otherwise.
    using Handler = std::function<void(Request request, uint32_t status)>;

    static constexpr uint32_t kFail = 0x3333;
    static constexpr uint32_t kPoweroff = 0x5555;
    static constexpr uint32_t kReboot = 0x7777;

    explicit Syscon(Handler handler);

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

private:
    const Handler handler_; // immutable after construction
};

} // namespace virtd::pv
