#include "conf/domain_address.h"

#include <cctype>
#include <string_view>

#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

// The attributes each address type has, in the order they are written.
std::vector<const char*> attrs_of(AddressType type) {
    switch (type) {
    case AddressType::Pci:
        return {"domain", "bus", "slot", "function", "multifunction"};
    case AddressType::Drive:
        return {"controller", "bus", "target", "unit"};
    case AddressType::VirtioSerial:
        return {"controller", "bus", "port"};
    case AddressType::VirtioMmio:
        return {};
    }
    return {};
}

bool is_number(std::string_view v) {
    if (v.starts_with("0x") || v.starts_with("0X")) {
        v.remove_prefix(2);
        if (v.empty() || v.size() > 8) return false;
        for (char c : v)
            if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
        return true;
    }
    if (v.empty() || v.size() > 10) return false;
    for (char c : v)
        if (c < '0' || c > '9') return false;
    return true;
}

} // namespace

std::optional<DeviceAddress> DeviceAddress::read(const XmlElement& device) {
    XmlElement e = device.child("address");
    if (!e) return std::nullopt;
    std::optional<AddressType> type = e.required_enum("type", kAddressTypes);
    if (!type) return std::nullopt;
    DeviceAddress a;
    a.type = *type;
    for (const char* name : attrs_of(*type)) {
        std::optional<std::string> v = e.attr(name);
        if (!v) continue;
        bool ok =
            std::string_view(name) == "multifunction" ? (*v == "on" || *v == "off") : is_number(*v);
        if (!ok) e.error(fmt::format("attribute '{}': invalid value '{}'", name, *v));
        a.attrs.emplace_back(name, *v);
    }
    return a;
}

void DeviceAddress::write(pugi::xml_node device) const {
    pugi::xml_node n = device.append_child("address");
    set_attr(n, "type", kAddressTypes.name(type));
    for (const auto& [name, value] : attrs)
        set_attr(n, name.c_str(), value);
}

} // namespace virtd::conf
