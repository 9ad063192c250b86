#include "conf/domain_chardev.h"

#include <string>

namespace virtd::conf {

ChardevDef ChardevDef::read(const XmlElement& e) {
    ChardevDef d;
    d.kind = kChardevKinds.parse(e.name()).value_or(ChardevKind::Serial);
    d.address = DeviceAddress::read(e);
    return d;
}

void ChardevDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child(std::string(kChardevKinds.name(kind)).c_str());
    if (address) address->write(n);
}

} // namespace virtd::conf
