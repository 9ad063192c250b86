// InterfaceDef: a domain's <interface> device (STUB: to be filled in).
#pragma once

#include <optional>

#include <pugixml.hpp>

#include "common/mac.h"
#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

struct InterfaceDef {
    std::optional<MacAddress> mac; // unique within a domain (and on the host)
    std::optional<DeviceAddress> address;

    bool operator==(const InterfaceDef&) const = default;

    // Reads one device element; problems are reported through the element.
    static InterfaceDef read(const XmlElement& e);
    // Appends the device element to <devices>.
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
