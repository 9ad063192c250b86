// The path every XML document takes into conf/: well-formedness, conf's own strict reading (every
// problem reported with its line), then RelaxNG validation of what conf accepted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/uuid.h"
#include "conf/schema.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

// What kind of document: its root element, schema and the error domain its problems carry.
struct DocumentKind {
    const char* root;        // "domain"
    const char* schema_file; // "domain.rng"
    ErrorDomain domain;      // ErrorDomain::Domain
};

// One Error carrying every problem, one per line of the message, most useful first.
Error document_error(const DocumentKind& kind, ErrorCode code,
                     const std::vector<std::string>& problems);

// Parses `xml` with `read` (a function XmlElement -> T). Problems from conf's reading are reported
// as VIR_ERR_XML_ERROR; only a document conf accepts is checked against the schema, and problems
// found only there are VIR_ERR_XML_INVALID_SCHEMA.
template <typename T, typename ReadFn>
Result<T> parse_document(std::string_view xml, const DocumentKind& kind, ReadFn read) {
    XmlReader reader(xml);
    T value{};
    if (XmlElement root = reader.root(kind.root)) value = read(root);
    std::vector<std::string> problems = reader.finish();
    if (!problems.empty()) return document_error(kind, ErrorCode::XmlError, problems);
    problems = validate_with_schema(kind.schema_file, xml);
    if (!problems.empty()) return document_error(kind, ErrorCode::XmlInvalidSchema, problems);
    return value;
}

// Reads the required <name> child of a domain, pool, volume or network and checks it.
std::string read_object_name(const XmlElement& root);
// Reads the optional <uuid> child; a null Uuid when absent or malformed (reported).
Uuid read_object_uuid(const XmlElement& root);

// Whether `name` can name a host network interface (a bridge, a tap): 1 to 15 letters, digits
// and _ . -, not starting with '.'.
bool is_interface_name(std::string_view name);

// Checks a name for domains, pools, volumes and networks: not empty, no '/', no control
// characters. Reports through `e` and returns whether it was fine.
bool check_object_name(const XmlElement& e, std::string_view name);

} // namespace virtd::conf
