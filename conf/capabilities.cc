#include "conf/capabilities.h"

#include "conf/xml_writer.h"

namespace virtd::conf {

std::string Capabilities::format() const {
    pugi::xml_document doc;
    doc.append_child("capabilities");
    return format_xml(doc);
}

} // namespace virtd::conf
