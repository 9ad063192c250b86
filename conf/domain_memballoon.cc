#include "conf/domain_memballoon.h"

namespace virtd::conf {

MemballoonDef MemballoonDef::read(const XmlElement& e) {
    MemballoonDef d;
    d.address = DeviceAddress::read(e);
    return d;
}

void MemballoonDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("memballoon");
    if (address) address->write(n);
}

} // namespace virtd::conf
