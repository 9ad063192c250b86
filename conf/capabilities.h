// Capabilities: the host and guest description `virsh capabilities` prints (formatted only)
// (STUB: to be filled in).
#pragma once

#include <string>

namespace virtd::conf {

struct Capabilities {
    std::string format() const;
};

} // namespace virtd::conf
