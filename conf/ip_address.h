// IpAddress: an IPv4 or IPv6 address from its text form, with the subnet arithmetic network
// definitions need (is this address inside that prefix?).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace virtd::conf {

struct IpAddress {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{}; // network order; IPv4 uses the first 4

    // inet_pton's syntax for either family; nullopt for anything else.
    static std::optional<IpAddress> parse(std::string_view text);

    unsigned max_prefix() const { return v6 ? 128 : 32; }
    // Whether `other` is in this address's subnet of `prefix` bits (same family required).
    bool same_subnet(const IpAddress& other, unsigned prefix) const;
    // The prefix length of a contiguous IPv4 netmask, or nullopt if the mask has holes.
    std::optional<unsigned> netmask_prefix() const;

    bool operator<=(const IpAddress& o) const { return bytes <= o.bytes; }
    bool operator==(const IpAddress&) const = default;
};

} // namespace virtd::conf
