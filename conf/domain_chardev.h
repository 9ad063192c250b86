// ChardevDef: a domain's <serial, console and channel> device (STUB: to be filled in).
#pragma once

#include <optional>

#include <pugixml.hpp>

#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

enum class ChardevKind { Serial, Console, Channel, Last = Channel };
inline constexpr auto kChardevKinds = make_enum_table<ChardevKind>("serial", "console", "channel");

struct ChardevDef {
    ChardevKind kind = ChardevKind::Serial; // the element name
    std::optional<DeviceAddress> address;

    bool operator==(const ChardevDef&) const = default;

    // Reads one device element; problems are reported through the element.
    static ChardevDef read(const XmlElement& e);
    // Appends the device element to <devices>.
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
