// Host facts from sysconf and /proc/meminfo.
#include "common/host.h"

#include <charconv>
#include <string>

#include <unistd.h>

#include "common/file.h"

namespace virtd {

unsigned host_cpus() {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1;
}

Result<HostMemory> parse_meminfo(std::string_view text, std::string_view source) {
    HostMemory m;
    bool total = false;
    while (!text.empty()) {
        size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view key = line.substr(0, colon);
        std::string_view value = line.substr(colon + 1);
        value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
        uint64_t kib = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), kib);
        if (ec != std::errc()) continue;
        if (key == "MemTotal") {
            m.total_kib = kib;
            total = true;
        } else if (key == "MemFree") {
            m.free_kib = kib;
        } else if (key == "MemAvailable") {
            m.available_kib = kib;
        } else if (key == "Buffers") {
            m.buffers_kib = kib;
        } else if (key == "Cached") {
            m.cached_kib = kib;
        }
    }
    if (!total)
        return make_error(ErrorCode::InternalError, ErrorDomain::None, "{}: no MemTotal line",
                          source);
    return m;
}

Result<HostMemory> host_memory() {
    constexpr const char* kPath = "/proc/meminfo";
    Result<std::string> text = read_file(kPath, 1 << 20);
    if (!text) return text.error();
    return parse_meminfo(*text, kPath);
}

} // namespace virtd
