// VlanDef: the <vlan> element shared by networks, portgroups and domain interfaces.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <pugixml.hpp>

#include "common/enum_table.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

enum class VlanNativeMode { Tagged, Untagged, Last = Untagged };
inline constexpr auto kVlanNativeModes = make_enum_table<VlanNativeMode>("tagged", "untagged");

struct VlanTag {
    uint32_t id = 0; // 0..4095
    std::optional<VlanNativeMode> native_mode;

    bool operator==(const VlanTag&) const = default;
};

struct VlanDef {
    std::optional<bool> trunk; // trunk='yes': the port carries every listed tag
    std::vector<VlanTag> tags;

    bool operator==(const VlanDef&) const = default;

    // Reads a <vlan> element: at least one tag; several tags need trunk='yes'; at most one
    // nativeMode tag, and only on a trunk.
    static VlanDef read(const XmlElement& e);
    void write(pugi::xml_node parent) const;
};

} // namespace virtd::conf
