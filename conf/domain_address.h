// DeviceAddress: a device's <address> in a domain definition, kept as given so that a definition
// round-trips unchanged (virtd places virtio-mmio devices itself; other address kinds are kept for
// compatibility with documents written for other hypervisors).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include "common/enum_table.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

enum class AddressType { Pci, Drive, VirtioSerial, VirtioMmio, Last = VirtioMmio };
inline constexpr auto kAddressTypes =
    make_enum_table<AddressType>("pci", "drive", "virtio-serial", "virtio-mmio");

struct DeviceAddress {
    AddressType type = AddressType::VirtioMmio;
    // The type's attributes that were given, in the type's fixed order, values as written
    // ("0x0000" stays "0x0000").
    std::vector<std::pair<std::string, std::string>> attrs;

    bool operator==(const DeviceAddress&) const = default;

    // Reads `device`'s <address> child, if it has one.
    static std::optional<DeviceAddress> read(const XmlElement& device);
    // Appends <address .../> to `device`.
    void write(pugi::xml_node device) const;
};

} // namespace virtd::conf
