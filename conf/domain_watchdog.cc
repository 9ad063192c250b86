#include "conf/domain_watchdog.h"

namespace virtd::conf {

WatchdogDef WatchdogDef::read(const XmlElement& e) {
    WatchdogDef d;
    d.address = DeviceAddress::read(e);
    return d;
}

void WatchdogDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("watchdog");
    if (address) address->write(n);
}

} // namespace virtd::conf
