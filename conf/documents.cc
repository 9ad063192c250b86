#include "conf/documents.h"

#include <array>

#include <pugixml.hpp>

#include "conf/domain.h"
#include "conf/network.h"
#include "conf/storage_pool.h"
#include "conf/storage_vol.h"

namespace virtd::conf {
namespace {

template <typename T>
Result<std::string> normalize(std::string_view xml) {
    Result<T> parsed = T::parse(xml);
    if (!parsed) return parsed.error();
    return parsed->format();
}

constexpr std::array kTypes = {
    DocumentType{"domain", "domain", normalize<DomainDef>},
    DocumentType{"pool", "pool", normalize<StoragePoolDef>},
    DocumentType{"volume", "volume", normalize<StorageVolDef>},
    DocumentType{"network", "network", normalize<NetworkDef>},
};

} // namespace

std::span<const DocumentType> document_types() {
    return kTypes;
}

const DocumentType* document_type_by_name(std::string_view name) {
    for (const DocumentType& t : kTypes)
        if (t.name == name) return &t;
    return nullptr;
}

const DocumentType* document_type_by_root(std::string_view root) {
    for (const DocumentType& t : kTypes)
        if (t.root == root) return &t;
    return nullptr;
}

std::string root_element_name(std::string_view xml) {
    pugi::xml_document doc;
    if (!doc.load_buffer(xml.data(), xml.size())) return "";
    return doc.document_element().name();
}

} // namespace virtd::conf
