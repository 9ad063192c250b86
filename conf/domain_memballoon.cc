// <memballoon>: reading and writing side by side.
#include "conf/domain_memballoon.h"

#include "conf/xml_writer.h"

namespace virtd::conf {

MemballoonDef MemballoonDef::read(const XmlElement& e) {
    MemballoonDef d;
    d.model = e.required_enum("model", kBalloonModels).value_or(BalloonModel::Virtio);
    d.autodeflate = e.attr_on_off("autodeflate");
    d.free_page_reporting = e.attr_on_off("freePageReporting");
    if (XmlElement stats = e.child("stats")) {
        if (auto period = stats.required_uint("period", 0, INT32_MAX))
            d.stats_period = static_cast<uint32_t>(*period);
    }
    d.address = DeviceAddress::read(e);
    bool configured = d.autodeflate || d.free_page_reporting || d.stats_period || d.address;
    if (d.model == BalloonModel::None && configured)
        e.error("model 'none' has no balloon to configure");
    return d;
}

void MemballoonDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("memballoon");
    set_attr(n, "model", kBalloonModels.name(model));
    set_on_off(n, "autodeflate", autodeflate);
    set_on_off(n, "freePageReporting", free_page_reporting);
    if (stats_period) set_attr(n.append_child("stats"), "period", *stats_period);
    if (address) address->write(n);
}

} // namespace virtd::conf
