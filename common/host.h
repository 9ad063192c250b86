// Facts about the host the daemon runs on, read from the kernel on every call (memory and the
// CPUs online change while the daemon runs). One place for what nodeinfo, node memory stats,
// capabilities and launch planning all need.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/error.h"

namespace virtd {

// The CPUs online now; at least 1.
unsigned host_cpus();

// The kernel's memory accounting (/proc/meminfo), in KiB.
struct HostMemory {
    uint64_t total_kib = 0;
    uint64_t free_kib = 0;
    uint64_t available_kib = 0;
    uint64_t buffers_kib = 0;
    uint64_t cached_kib = 0;
};
Result<HostMemory> host_memory();
// The parsing, on given text; `source` names it in errors. A missing MemTotal is an error, other
// missing fields read as 0.
Result<HostMemory> parse_meminfo(std::string_view text, std::string_view source);

} // namespace virtd
