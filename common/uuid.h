// Uuid: a 128-bit identifier for domains, networks and pools, in libvirt's text form.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd {

class Uuid {
public:
    Uuid() = default; // all zero: "no uuid"
    explicit Uuid(const std::array<uint8_t, 16>& bytes)
        : bytes_(bytes) {}

    // Accepts the canonical 8-4-4-4-12 form and 32 bare hex digits, any case, with surrounding
    // whitespace; rejects anything else with an error that quotes the text.
    static Result<Uuid> parse(std::string_view text);
    // A random (version 4, RFC 4122 variant) UUID from the kernel's random source.
    static Uuid generate();

    // Lower-case canonical form: "c7a5fdbd-cdaf-9455-926a-d65c16db1809".
    std::string format() const;
    bool is_null() const { return *this == Uuid(); }
    const std::array<uint8_t, 16>& bytes() const { return bytes_; }

    bool operator==(const Uuid& o) const { return bytes_ == o.bytes_; }
    bool operator<(const Uuid& o) const { return bytes_ < o.bytes_; }

private:
    std::array<uint8_t, 16> bytes_{};
};

} // namespace virtd
