// The document types conf/ understands, in one table: for tools that take any of them
// (virtd-validate) and tests that walk every type.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::conf {

struct DocumentType {
    std::string_view name; // what users type: "domain", "pool", "volume", "network", "snapshot"
    std::string_view root; // the root element: "domain", "pool", "volume", "network"
    // Parses and validates, then formats the object back: the normalized document.
    Result<std::string> (*normalize)(std::string_view xml);
};

std::span<const DocumentType> document_types();
const DocumentType* document_type_by_name(std::string_view name);
const DocumentType* document_type_by_root(std::string_view root);

// The root element's name; an error naming the line when the text is not well-formed XML.
Result<std::string> root_element_name(std::string_view xml);

} // namespace virtd::conf
