// InterfaceDef: a domain's <interface> device: a virtio network card attached to a virtual
// network, a host bridge, or a plain tap device (ethernet).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pugixml.hpp>

#include "common/enum_table.h"
#include "common/mac.h"
#include "conf/domain_address.h"
#include "conf/vlan.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

enum class InterfaceType { Network, Bridge, Ethernet, Last = Ethernet };
inline constexpr auto kInterfaceTypes =
    make_enum_table<InterfaceType>("network", "bridge", "ethernet");

enum class InterfaceModel { Virtio, Last = Virtio };
inline constexpr auto kInterfaceModels = make_enum_table<InterfaceModel>("virtio");

enum class LinkState { Up, Down, Last = Down };
inline constexpr auto kLinkStates = make_enum_table<LinkState>("up", "down");

// Longest host interface name (Linux IFNAMSIZ less the terminating NUL).
inline constexpr size_t kMaxIfaceNameLength = 15;

struct InterfaceDef {
    InterfaceType type = InterfaceType::Network;
    std::optional<MacAddress> mac; // unique within a domain (and on the host)
    // <source>: network (and portgroup) for type network, bridge for type bridge; none for
    // ethernet.
    std::string network;
    std::optional<std::string> portgroup;
    std::string bridge;
    std::optional<VlanDef> vlan;
    std::optional<std::string> target_dev; // host tap device name
    std::optional<InterfaceModel> model;
    std::optional<LinkState> link;
    std::optional<uint32_t> mtu; // bytes, 68..65535
    std::optional<uint32_t> boot_order;
    std::optional<DeviceAddress> address;

    bool operator==(const InterfaceDef&) const = default;

    // Reads one device element; problems are reported through the element.
    static InterfaceDef read(const XmlElement& e);
    // Appends the device element to <devices>.
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
