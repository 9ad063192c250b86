#include "conf/xml_writer.h"

#include <sstream>

namespace virtd::conf {

pugi::xml_node add_size(pugi::xml_node parent, const char* name, uint64_t bytes,
                        bool prefer_bytes) {
    pugi::xml_node n;
    if (!prefer_bytes && bytes % 1024 == 0) {
        n = add_text(parent, name, bytes / 1024);
        set_attr(n, "unit", "KiB");
    } else {
        n = add_text(parent, name, bytes);
        set_attr(n, "unit", "bytes");
    }
    // The unit goes before any other attribute a caller adds, as libvirt writes it.
    return n;
}

void append_fragment(pugi::xml_node parent, std::string_view xml) {
    if (!xml.empty()) parent.append_buffer(xml.data(), xml.size());
}

std::string format_xml(const pugi::xml_document& doc) {
    std::ostringstream out;
    doc.save(out, "  ",
             pugi::format_indent | pugi::format_no_declaration |
                 pugi::format_attribute_single_quote);
    return out.str();
}

} // namespace virtd::conf
