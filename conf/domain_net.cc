// <interface>: reading and writing, side by side. schemas/domain_net.rng states the same rules.
#include "conf/domain_net.h"

#include <string_view>

#include <fmt/format.h>

#include "conf/document.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

// A network or portgroup name: not empty, no '/' or newline (the schema's objectName).
void check_name(const XmlElement& e, const char* attr, const std::string& value) {
    if (value.empty() || value.find_first_of("/\n") != std::string::npos)
        e.error(fmt::format("attribute '{}': invalid name '{}'", attr, value));
}

// A host interface name: 1 to 15 letters, digits and _ . -, not starting with '.'.
void check_iface_name(const XmlElement& e, const char* attr, const std::string& value) {
    if (!is_interface_name(value))
        e.error(fmt::format("attribute '{}': invalid interface name '{}' (1 to {} letters, digits "
                            "and _ . -, not starting with '.')",
                            attr, value, kMaxIfaceNameLength));
}

std::optional<MacAddress> read_mac(const XmlElement& m) {
    std::optional<std::string> text = m.required_attr("address");
    if (!text) return std::nullopt;
    Result<MacAddress> mac = MacAddress::parse(*text);
    if (!mac) {
        m.error(mac.error().message());
        return std::nullopt;
    }
    if (mac->is_multicast()) {
        m.error(fmt::format("expected unicast mac address, found multicast '{}'", *text));
        return std::nullopt;
    }
    return *mac;
}

void read_source(const XmlElement& src, InterfaceType type, InterfaceDef& d) {
    if (type == InterfaceType::Ethernet) {
        src.error("an interface of type 'ethernet' takes no <source>");
        src.take(true);
        return;
    }
    bool network = type == InterfaceType::Network;
    for (const char* attr : {"network", "portgroup", "bridge"}) {
        bool fits =
            network ? std::string_view(attr) != "bridge" : std::string_view(attr) == "bridge";
        if (fits || !src.has_attr(attr)) continue;
        src.attr(attr);
        src.error(fmt::format("attribute '{}' does not match an interface of type '{}'", attr,
                              kInterfaceTypes.name(type)));
    }
    if (network) {
        if (std::optional<std::string> name = src.required_attr("network")) {
            d.network = *name;
            check_name(src, "network", d.network);
        }
        d.portgroup = src.attr("portgroup");
        if (d.portgroup) check_name(src, "portgroup", *d.portgroup);
    } else if (std::optional<std::string> bridge = src.required_attr("bridge")) {
        d.bridge = *bridge;
        check_iface_name(src, "bridge", d.bridge);
    }
}

} // namespace

InterfaceDef InterfaceDef::read(const XmlElement& e) {
    InterfaceDef d;
    std::optional<InterfaceType> type = e.required_enum("type", kInterfaceTypes);
    d.type = type.value_or(InterfaceType::Network);
    if (XmlElement m = e.child("mac")) d.mac = read_mac(m);
    if (XmlElement src = e.child("source")) {
        if (type)
            read_source(src, *type, d);
        else
            src.take(true); // its attributes mean nothing without a type
    } else if (type && *type != InterfaceType::Ethernet) {
        e.error("missing element 'source'");
    }
    if (XmlElement v = e.child("vlan")) d.vlan = VlanDef::read(v);
    if (XmlElement t = e.child("target")) {
        d.target_dev = t.required_attr("dev");
        if (d.target_dev) check_iface_name(t, "dev", *d.target_dev);
    }
    if (XmlElement m = e.child("model")) d.model = m.required_enum("type", kInterfaceModels);
    if (XmlElement l = e.child("link")) d.link = l.required_enum("state", kLinkStates);
    if (XmlElement m = e.child("mtu")) {
        if (std::optional<uint64_t> size = m.required_uint("size", 68, 65535))
            d.mtu = static_cast<uint32_t>(*size);
    }
    if (XmlElement b = e.child("boot")) {
        if (std::optional<uint64_t> o = b.required_uint("order", 1, UINT32_MAX))
            d.boot_order = static_cast<uint32_t>(*o);
    }
    d.address = DeviceAddress::read(e);
    return d;
}

void InterfaceDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("interface");
    set_attr(n, "type", kInterfaceTypes.name(type));
    if (mac) set_attr(n.append_child("mac"), "address", mac->format());
    if (type == InterfaceType::Network) {
        pugi::xml_node src = n.append_child("source");
        set_attr(src, "network", network);
        set_attr(src, "portgroup", portgroup);
    } else if (type == InterfaceType::Bridge) {
        set_attr(n.append_child("source"), "bridge", bridge);
    }
    if (vlan) vlan->write(n);
    if (target_dev) set_attr(n.append_child("target"), "dev", *target_dev);
    if (model) set_attr(n.append_child("model"), "type", kInterfaceModels.name(*model));
    if (link) set_attr(n.append_child("link"), "state", kLinkStates.name(*link));
    if (mtu) set_attr(n.append_child("mtu"), "size", *mtu);
    if (boot_order) set_attr(n.append_child("boot"), "order", *boot_order);
    if (address) address->write(n);
}

} // namespace virtd::conf
