// MemballoonDef: a domain's <memballoon> device (STUB: to be filled in).
#pragma once

#include <optional>

#include <pugixml.hpp>

#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

struct MemballoonDef {
    std::optional<DeviceAddress> address;

    bool operator==(const MemballoonDef&) const = default;

    // Reads one device element; problems are reported through the element.
    static MemballoonDef read(const XmlElement& e);
    // Appends the device element to <devices>.
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
