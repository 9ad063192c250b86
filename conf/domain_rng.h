// RngDef: a domain's <rng> device (STUB: to be filled in).
#pragma once

#include <optional>

#include <pugixml.hpp>

#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

struct RngDef {
    std::optional<DeviceAddress> address;

    bool operator==(const RngDef&) const = default;

    // Reads one device element; problems are reported through the element.
    static RngDef read(const XmlElement& e);
    // Appends the device element to <devices>.
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
