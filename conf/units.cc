#include "conf/units.h"

#include <array>
#include <charconv>
#include <limits>

namespace virtd::conf {
namespace {

struct Unit {
    std::string_view name;
    uint64_t scale;
};

constexpr uint64_t pow_u64(uint64_t base, int exp) {
    uint64_t v = 1;
    while (exp-- > 0)
        v *= base;
    return v;
}

// libvirt's unit names: a bare or "iB" suffix is binary, a "B" suffix decimal.
constexpr std::array<Unit, 21> kUnits = {{
    {"b", 1},
    {"bytes", 1},
    {"KB", pow_u64(1000, 1)},
    {"k", pow_u64(1024, 1)},
    {"K", pow_u64(1024, 1)},
    {"KiB", pow_u64(1024, 1)},
    {"MB", pow_u64(1000, 2)},
    {"M", pow_u64(1024, 2)},
    {"MiB", pow_u64(1024, 2)},
    {"GB", pow_u64(1000, 3)},
    {"G", pow_u64(1024, 3)},
    {"GiB", pow_u64(1024, 3)},
    {"TB", pow_u64(1000, 4)},
    {"T", pow_u64(1024, 4)},
    {"TiB", pow_u64(1024, 4)},
    {"PB", pow_u64(1000, 5)},
    {"P", pow_u64(1024, 5)},
    {"PiB", pow_u64(1024, 5)},
    {"EB", pow_u64(1000, 6)},
    {"E", pow_u64(1024, 6)},
    {"EiB", pow_u64(1024, 6)},
}};

Error size_error(std::string message) {
    return Error(ErrorCode::XmlError, ErrorDomain::Xml, std::move(message));
}

} // namespace

std::optional<uint64_t> unit_scale(std::string_view unit) {
    for (const Unit& u : kUnits)
        if (u.name == unit) return u.scale;
    return std::nullopt;
}

Result<uint64_t> size_to_bytes(std::string_view value, std::string_view unit,
                               uint64_t default_scale) {
    uint64_t scale = default_scale;
    if (!unit.empty()) {
        std::optional<uint64_t> s = unit_scale(unit);
        if (!s) return size_error(fmt::format("unknown unit '{}'", unit));
        scale = *s;
    }
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec == std::errc::invalid_argument || end != value.data() + value.size())
        return size_error(fmt::format("expected an unsigned integer, got '{}'", value));
    if (ec == std::errc::result_out_of_range || n > std::numeric_limits<uint64_t>::max() / scale)
        return size_error(fmt::format("size '{}{}{}' is too large (more than 2^64 bytes)", value,
                                      unit.empty() ? "" : " ", unit));
    return n * scale;
}

} // namespace virtd::conf
