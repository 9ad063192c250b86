#include "conf/domain_disk.h"

namespace virtd::conf {

DiskDef DiskDef::read(const XmlElement& e) {
    DiskDef d;
    d.address = DeviceAddress::read(e);
    return d;
}

void DiskDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("disk");
    if (address) address->write(n);
}

} // namespace virtd::conf
