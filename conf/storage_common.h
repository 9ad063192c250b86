// Pieces shared by storage pool and volume definitions: <permissions>.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pugixml.hpp>

#include "conf/xml_reader.h"

namespace virtd::conf {

// <permissions>: owner and group as numeric ids (-1 = leave as is), octal mode, security label.
struct Permissions {
    std::optional<uint32_t> mode;
    std::optional<int64_t> owner;
    std::optional<int64_t> group;
    std::optional<std::string> label;

    bool operator==(const Permissions&) const = default;

    static Permissions read(const XmlElement& e);
    void write(pugi::xml_node parent) const;
};

} // namespace virtd::conf
