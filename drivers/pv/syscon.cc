#include "drivers/pv/syscon.h"

#include <utility>

namespace virtd::pv {

Syscon::Syscon(Handler handler)
    : handler_(std::move(handler)) {}

uint64_t Syscon::read(uint64_t /*offset*/, unsigned /*size*/) {
    return 0;
}

void Syscon::write(uint64_t offset, unsigned size, uint64_t value) {
    // The command register is 32 bits wide; narrower writes cannot carry a whole command.
    if (offset != 0 || size < 4 || !handler_) return;
    auto command = static_cast<uint32_t>(value & 0xFFFF);
    auto status = static_cast<uint32_t>((value >> 16) & 0xFFFF);
    switch (command) {
    case kPoweroff:
        handler_(Request::Poweroff, 0);
        break;
    case kReboot:
        handler_(Request::Reboot, 0);
        break;
    case kFail:
        handler_(Request::Fail, status);
        break;
    default:
        break; // anything else is not a command; the real device ignores it too
    }
}

} // namespace virtd::pv
