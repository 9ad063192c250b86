#include "common/log.h"

#include <atomic>
#include <charconv>
#include <ctime>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fd.h"

namespace virtd::log {
namespace {

struct Filter {
    std::string module;
    Level level;
};

// Configuration. Reads of the common case (no filters) touch only the atomics.
std::atomic<int> g_level{static_cast<int>(Level::Warning)};
std::atomic<bool> g_have_filters{false};
std::mutex g_mu;
std::vector<Filter> g_filters; // guarded by g_mu
UniqueFd g_file;               // guarded by g_mu; invalid means stderr

std::string_view level_name(Level level) {
    switch (level) {
    case Level::Debug:
        return "debug";
    case Level::Info:
        return "info";
    case Level::Warning:
        return "warning";
    case Level::Error:
        return "error";
    }
    return "?";
}

bool parse_level(std::string_view text, Level* out) {
    int n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > 4) return false;
    *out = static_cast<Level>(n);
    return true;
}

Error config_error(std::string_view what, std::string_view item) {
    return make_error(ErrorCode::ConfSyntax, ErrorDomain::Logging, "{}: invalid item '{}'", what,
                      item);
}

} // namespace

void set_level(Level lvl) {
    g_level.store(static_cast<int>(lvl), std::memory_order_relaxed);
}

Level level() {
    return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}

Status set_filters(std::string_view filters) {
    std::vector<Filter> parsed;
    size_t pos = 0;
    while (pos < filters.size()) {
        size_t end = filters.find(' ', pos);
        if (end == std::string_view::npos) end = filters.size();
        std::string_view item = filters.substr(pos, end - pos);
        pos = end + 1;
        if (item.empty()) continue;
        size_t colon = item.find(':');
        Level lvl{};
        if (colon == std::string_view::npos || colon + 1 == item.size() ||
            !parse_level(item.substr(0, colon), &lvl))
            return config_error("log_filters", item);
        // libvirt allows a leading '+' (print stack traces); accept and ignore it.
        std::string_view module = item.substr(colon + 1);
        if (module.front() == '+') module.remove_prefix(1);
        parsed.push_back({std::string(module), lvl});
    }
    std::lock_guard lock(g_mu);
    g_filters = std::move(parsed);
    g_have_filters.store(!g_filters.empty(), std::memory_order_release);
    return {};
}

Status set_output(std::string_view output) {
    std::string_view dest = output;
    Level lvl{};
    size_t colon = output.find(':');
    if (colon != std::string_view::npos && parse_level(output.substr(0, colon), &lvl)) {
        set_level(lvl);
        dest = output.substr(colon + 1);
    }
    UniqueFd fd;
    if (dest.starts_with("file:")) {
        std::string path(dest.substr(5));
        fd = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
        if (!fd)
            return system_error(ErrorDomain::Logging, errno, "opening log file '" + path + "'");
    } else if (dest != "stderr") {
        return config_error("log_outputs", output);
    }
    std::lock_guard lock(g_mu);
    g_file = std::move(fd);
    return {};
}

bool enabled(std::string_view module, Level lvl) {
    if (!g_have_filters.load(std::memory_order_acquire))
        return static_cast<int>(lvl) >= g_level.load(std::memory_order_relaxed);
    std::lock_guard lock(g_mu);
    const Filter* best = nullptr;
    for (const Filter& f : g_filters) {
        if (module.starts_with(f.module) && (!best || f.module.size() > best->module.size()))
            best = &f;
    }
    Level threshold = best ? best->level : level();
    return lvl >= threshold;
}

void write(std::string_view module, Level lvl, std::string_view message) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm utc{};
    gmtime_r(&ts.tv_sec, &utc);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &utc);
    std::string line =
        fmt::format("{}.{:03d}+0000: {}: {} : {} : {}\n", stamp, ts.tv_nsec / 1000000,
                    static_cast<long>(::syscall(SYS_gettid)), level_name(lvl), module, message);
    std::lock_guard lock(g_mu);
    int fd = g_file ? g_file.get() : STDERR_FILENO;
    // One write() per line keeps lines whole when several processes share the file.
    (void)!::write(fd, line.data(), line.size());
}

} // namespace virtd::log
