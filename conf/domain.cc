#include "conf/domain.h"

#include "conf/document.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

constexpr DocumentKind kKind{"domain", "domain.rng", ErrorDomain::Domain};

DomainDef read_domain(const XmlElement& root) {
    DomainDef d;
    root.attr("type");
    if (XmlElement name = root.required_child("name")) d.name = name.text();
    if (XmlElement devices = root.child("devices")) {
        for (const XmlElement& e : devices.children("disk"))
            d.devices.disks.push_back(DiskDef::read(e));
    }
    return d;
}

} // namespace

Result<DomainDef> DomainDef::parse(std::string_view xml) {
    return parse_document<DomainDef>(xml, kKind, read_domain);
}

std::string DomainDef::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("domain");
    set_attr(root, "type", "kvm");
    add_text(root, "name", name);
    return format_xml(doc);
}

} // namespace virtd::conf
