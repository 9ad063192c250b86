// The property every conf/ parser is fuzzed for: no crash on any input, and whatever parses
// formats to a document that parses back to an equal object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

template <typename T>
int fuzz_xml_roundtrip(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = T::parse(text);
    if (!parsed) return 0;
    auto again = T::parse(parsed->format());
    if (!again || !(*again == *parsed)) std::abort();
    return 0;
}
