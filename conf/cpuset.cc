#include "conf/cpuset.h"

#include <charconv>

namespace virtd::conf {
namespace {

bool parse_cpu(std::string_view s, uint32_t* out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size() && *out < kMaxCpuNumber;
}

} // namespace

Result<std::set<uint32_t>> parse_cpuset(std::string_view text) {
    auto bad = [&](std::string_view item) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                          "invalid cpuset '{}': bad item '{}' (expected N, N-M or ^N with N < {})",
                          text, item, kMaxCpuNumber);
    };
    std::set<uint32_t> cpus;
    std::set<uint32_t> excluded;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        if (comma == std::string_view::npos) comma = text.size();
        std::string_view item = text.substr(pos, comma - pos);
        pos = comma + 1;
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        uint32_t a = 0;
        uint32_t b = 0;
        if (item.starts_with('^')) {
            if (!parse_cpu(item.substr(1), &a)) return bad(item);
            excluded.insert(a);
        } else if (size_t dash = item.find('-'); dash != std::string_view::npos) {
            if (!parse_cpu(item.substr(0, dash), &a) || !parse_cpu(item.substr(dash + 1), &b) ||
                b < a)
                return bad(item);
            for (uint32_t c = a; c <= b; c++)
                cpus.insert(c);
        } else {
            if (!parse_cpu(item, &a)) return bad(item);
            cpus.insert(a);
        }
    }
    for (uint32_t c : excluded)
        cpus.erase(c);
    if (cpus.empty())
        return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                          "invalid cpuset '{}': it names no CPU", text);
    return cpus;
}

} // namespace virtd::conf
