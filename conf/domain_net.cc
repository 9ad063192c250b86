#include "conf/domain_net.h"

namespace virtd::conf {

InterfaceDef InterfaceDef::read(const XmlElement& e) {
    InterfaceDef d;
    d.address = DeviceAddress::read(e);
    return d;
}

void InterfaceDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("interface");
    if (address) address->write(n);
}

} // namespace virtd::conf
