// Size units as libvirt writes them in XML (<memory unit='MiB'>), scaled to bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/error.h"

namespace virtd::conf {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = kKiB * 1024;
constexpr uint64_t kGiB = kMiB * 1024;

// The multiplier for a unit name: b/bytes 1; KB 10^3, k/K/KiB 2^10; MB 10^6, M/MiB 2^20; and so on
// through E/EiB/EB. Empty means "use the default", which the caller supplies.
std::optional<uint64_t> unit_scale(std::string_view unit);

// "512" with unit "MiB" -> 536870912. Errors say what was wrong: not a number, an unknown unit,
// or a value that does not fit in 64 bits once scaled.
Result<uint64_t> size_to_bytes(std::string_view value, std::string_view unit,
                               uint64_t default_scale);

} // namespace virtd::conf
