// DiskDef: a domain's <disk> device (STUB: to be filled in).
#pragma once

#include <optional>
#include <string>

#include <pugixml.hpp>

#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

struct DiskDef {
    std::string target_dev; // <target dev='vda'>: unique within a domain
    std::optional<DeviceAddress> address;

    bool operator==(const DiskDef&) const = default;

    // Reads one device element; problems are reported through the element.
    static DiskDef read(const XmlElement& e);
    // Appends the device element to <devices>.
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
