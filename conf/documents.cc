#include "conf/documents.h"

#include <array>

#include "conf/domain.h"
#include "conf/domain_snapshot.h"
#include "conf/network.h"
#include "conf/storage_pool.h"
#include "conf/storage_vol.h"
#include "conf/xml_reader.h"

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
    DocumentType{"snapshot", "domainsnapshot", normalize<DomainSnapshotDef>},
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

Result<std::string> root_element_name(std::string_view xml) {
    XmlReader reader(xml);
    std::string name(reader.root_name());
    std::vector<std::string> problems = reader.finish();
    if (name.empty()) {
        std::string message = problems.empty() ? "no root element" : problems.front();
        return Error(ErrorCode::XmlError, ErrorDomain::Xml, message);
    }
    return name;
}

} // namespace virtd::conf
