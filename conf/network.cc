#include "conf/network.h"

#include "conf/document.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

constexpr DocumentKind kKind{"network", "network.rng", ErrorDomain::Network};

NetworkDef read_network(const XmlElement& root) {
    NetworkDef d;
    if (XmlElement name = root.required_child("name")) d.name = name.text();
    return d;
}

} // namespace

Result<NetworkDef> NetworkDef::parse(std::string_view xml) {
    return parse_document<NetworkDef>(xml, kKind, read_network);
}

std::string NetworkDef::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("network");
    add_text(root, "name", name);
    return format_xml(doc);
}

} // namespace virtd::conf
