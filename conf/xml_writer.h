// Helpers for formatting conf/ objects as XML in libvirt's layout (two-space indent, single
// quotes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace virtd::conf {

// Sets attribute `name` to `value` (strings as given, numbers in decimal).
template <typename T>
void set_attr(pugi::xml_node node, const char* name, const T& value) {
    if constexpr (std::is_arithmetic_v<T>)
        node.append_attribute(name) = fmt::format("{}", value).c_str();
    else
        node.append_attribute(name) = std::string(value).c_str();
}

// Sets the attribute only when the optional holds a value.
template <typename T>
void set_attr(pugi::xml_node node, const char* name, const std::optional<T>& value) {
    if (value) set_attr(node, name, *value);
}

inline void set_yes_no(pugi::xml_node node, const char* name, std::optional<bool> value) {
    if (value) set_attr(node, name, *value ? "yes" : "no");
}
inline void set_on_off(pugi::xml_node node, const char* name, std::optional<bool> value) {
    if (value) set_attr(node, name, *value ? "on" : "off");
}

// Appends <name>text</name>; returns the new element.
template <typename T>
pugi::xml_node add_text(pugi::xml_node parent, const char* name, const T& text) {
    pugi::xml_node n = parent.append_child(name);
    if constexpr (std::is_arithmetic_v<T>)
        n.text() = fmt::format("{}", text).c_str();
    else
        n.text() = std::string(text).c_str();
    return n;
}

// Appends a size element as libvirt writes it: KiB when the byte count is a whole number of KiB
// (the unit every libvirt tool expects), bytes otherwise, so nothing is lost to rounding.
pugi::xml_node add_size(pugi::xml_node parent, const char* name, uint64_t bytes,
                        bool prefer_bytes = false);

// Appends the fragment `xml` (for content kept verbatim, such as <metadata>'s children).
void append_fragment(pugi::xml_node parent, std::string_view xml);

// The document as text, indented two spaces, attributes in single quotes, no XML declaration.
std::string format_xml(const pugi::xml_document& doc);

} // namespace virtd::conf
