// <watchdog>: reading and writing side by side.
#include "conf/domain_watchdog.h"

#include "conf/xml_writer.h"

namespace virtd::conf {

WatchdogDef WatchdogDef::read(const XmlElement& e) {
    WatchdogDef d;
    d.model = e.required_enum("model", kWatchdogModels).value_or(WatchdogModel::I6300esb);
    d.action = e.attr_enum("action", kWatchdogActions);
    d.address = DeviceAddress::read(e);
    return d;
}

void WatchdogDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("watchdog");
    set_attr(n, "model", kWatchdogModels.name(model));
    if (action) set_attr(n, "action", kWatchdogActions.name(*action));
    if (address) address->write(n);
}

} // namespace virtd::conf
