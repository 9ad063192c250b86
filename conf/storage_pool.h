// StoragePoolDef: a <pool> definition (STUB: to be filled in).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::conf {

struct StoragePoolDef {
    std::string name;

    bool operator==(const StoragePoolDef&) const = default;

    // Parses and validates a <pool> document; the error lists every problem with its line.
    static Result<StoragePoolDef> parse(std::string_view xml);
    // The document as libvirt writes it; parse(format()) gives back an equal object.
    std::string format() const;
};

} // namespace virtd::conf
