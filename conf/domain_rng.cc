#include "conf/domain_rng.h"

namespace virtd::conf {

RngDef RngDef::read(const XmlElement& e) {
    RngDef d;
    d.address = DeviceAddress::read(e);
    return d;
}

void RngDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("rng");
    if (address) address->write(n);
}

} // namespace virtd::conf
