// MemballoonDef: a domain's <memballoon>: the virtio balloon that lets the host take memory back
// from the guest and read the guest's memory statistics.
#pragma once

#include <cstdint>
#include <optional>

#include <pugixml.hpp>

#include "common/enum_table.h"
#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

enum class BalloonModel { Virtio, None, Last = None };
inline constexpr auto kBalloonModels = make_enum_table<BalloonModel>("virtio", "none");

struct MemballoonDef {
    BalloonModel model = BalloonModel::Virtio;
    std::optional<bool> autodeflate;         // give memory back when the guest runs out
    std::optional<bool> free_page_reporting; // the guest reports freed pages
    std::optional<uint32_t> stats_period;    // seconds between statistics updates; 0 = off
    std::optional<DeviceAddress> address;

    bool operator==(const MemballoonDef&) const = default;

    static MemballoonDef read(const XmlElement& e);
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
