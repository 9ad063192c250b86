#include "conf/vlan.h"

#include "conf/xml_writer.h"

namespace virtd::conf {

VlanDef VlanDef::read(const XmlElement& e) {
    VlanDef v;
    v.trunk = e.attr_yes_no("trunk");
    int native = 0;
    for (const XmlElement& t : e.children("tag")) {
        VlanTag tag;
        tag.id = static_cast<uint32_t>(t.required_uint("id", 0, 4095).value_or(0));
        tag.native_mode = t.attr_enum("nativeMode", kVlanNativeModes);
        if (tag.native_mode) native++;
        v.tags.push_back(tag);
    }
    if (v.tags.empty()) e.error("needs at least one <tag>");
    if (v.tags.size() > 1 && v.trunk != true) e.error("more than one tag requires trunk='yes'");
    if (native > 1) e.error("only one tag may have a nativeMode");
    if (native == 1 && v.trunk == false) e.error("nativeMode requires a trunk");
    return v;
}

void VlanDef::write(pugi::xml_node parent) const {
    pugi::xml_node n = parent.append_child("vlan");
    set_yes_no(n, "trunk", trunk);
    for (const VlanTag& t : tags) {
        pugi::xml_node tag = n.append_child("tag");
        set_attr(tag, "id", t.id);
        if (t.native_mode) set_attr(tag, "nativeMode", kVlanNativeModes.name(*t.native_mode));
    }
}

} // namespace virtd::conf
