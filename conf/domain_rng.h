// RngDef: a domain's <rng> device: virtio-rng fed from a host random source.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pugixml.hpp>

#include "common/enum_table.h"
#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

enum class RngModel { Virtio, Last = Virtio };
inline constexpr auto kRngModels = make_enum_table<RngModel>("virtio");

// Host sources a random backend may read.
enum class RngSource { Urandom, Random, Hwrng, Last = Hwrng };
inline constexpr auto kRngSources =
    make_enum_table<RngSource>("/dev/urandom", "/dev/random", "/dev/hwrng");

struct RngDef {
    RngModel model = RngModel::Virtio;
    std::optional<uint32_t> rate_bytes;  // at most this many bytes...
    std::optional<uint32_t> rate_period; // ...per this many milliseconds
    std::optional<RngSource> source;     // <backend model='random'>PATH</backend>; absent: urandom
    std::optional<DeviceAddress> address;

    bool operator==(const RngDef&) const = default;

    static RngDef read(const XmlElement& e);
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
