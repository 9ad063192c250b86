// NetworkDef: a <network> definition (STUB: to be filled in).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::conf {

struct NetworkDef {
    std::string name;

    bool operator==(const NetworkDef&) const = default;

    // Parses and validates a <network> document; the error lists every problem with its line.
    static Result<NetworkDef> parse(std::string_view xml);
    // The document as libvirt writes it; parse(format()) gives back an equal object.
    std::string format() const;
};

} // namespace virtd::conf
