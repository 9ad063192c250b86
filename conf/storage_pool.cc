#include "conf/storage_pool.h"

#include "conf/document.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

constexpr DocumentKind kKind{"pool", "storagepool.rng", ErrorDomain::Storage};

StoragePoolDef read_pool(const XmlElement& root) {
    StoragePoolDef d;
    if (XmlElement name = root.required_child("name")) d.name = name.text();
    return d;
}

} // namespace

Result<StoragePoolDef> StoragePoolDef::parse(std::string_view xml) {
    return parse_document<StoragePoolDef>(xml, kKind, read_pool);
}

std::string StoragePoolDef::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("pool");
    add_text(root, "name", name);
    return format_xml(doc);
}

} // namespace virtd::conf
