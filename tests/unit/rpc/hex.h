// Hex helpers for tests that compare wire bytes with captures.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace virtd::rpc::testing {

// "0000002a 0000000c" -> bytes; spaces and newlines are ignored.
inline std::string from_hex(std::string_view hex) {
    std::string out;
    int hi = -1;
    for (char c : hex) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
        int v =
            std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10);
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<char>(hi << 4 | v));
            hi = -1;
        }
    }
    return out;
}

inline std::string to_hex(std::string_view bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < bytes.size(); i++) {
        if (i && i % 4 == 0) out += ' ';
        out += digits[static_cast<unsigned char>(bytes[i]) >> 4];
        out += digits[static_cast<unsigned char>(bytes[i]) & 15];
    }
    return out;
}

} // namespace virtd::rpc::testing
