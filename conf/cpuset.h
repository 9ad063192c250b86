// Host CPU sets in libvirt's syntax ("0-3,^2,8"), as used by <vcpu cpuset> and <vcpupin>.
#pragma once

#include <cstdint>
#include <set>
#include <string_view>

#include "common/error.h"

namespace virtd::conf {

// Highest CPU number a set may name (exclusive), as libvirt's bitmap limit.
inline constexpr uint32_t kMaxCpuNumber = 16384;

// The CPUs named: comma-separated items, each N, N-M (M >= N) or ^N (exclude). The result must
// not be empty. Errors quote the text and say which item is wrong.
Result<std::set<uint32_t>> parse_cpuset(std::string_view text);

} // namespace virtd::conf
