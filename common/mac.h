// MacAddress: a 48-bit Ethernet address in the "52:54:00:12:34:56" text form libvirt uses.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd {

class MacAddress {
public:
    MacAddress() = default;
    explicit MacAddress(const std::array<uint8_t, 6>& bytes)
        : bytes_(bytes) {}

    // Six colon-separated pairs of hex digits, any case. Errors quote the text.
    static Result<MacAddress> parse(std::string_view text);
    // A random locally administered unicast address in the 52:54:00 prefix, as libvirt makes.
    static MacAddress generate();

    std::string format() const; // lower case
    bool is_multicast() const { return (bytes_[0] & 1) != 0; }
    const std::array<uint8_t, 6>& bytes() const { return bytes_; }

    bool operator==(const MacAddress& o) const { return bytes_ == o.bytes_; }
    bool operator<(const MacAddress& o) const { return bytes_ < o.bytes_; }

private:
    std::array<uint8_t, 6> bytes_{};
};

} // namespace virtd
