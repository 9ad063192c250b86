// Logging with levels, a per-module filter and one output, configured like libvirtd's
// log_level / log_filters / log_outputs settings.
//
// Messages are formatted only when their module's level lets them through, so a disabled debug
// line costs one relaxed atomic load and a short lookup. Thread safety: all functions may be called
// from any thread; configuration changes take effect for later calls.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"

namespace virtd::log {

// libvirt's numbering: 1 debug, 2 info, 3 warning, 4 error.
enum class Level : int { Debug = 1, Info = 2, Warning = 3, Error = 4 };

// Messages below `level` are dropped, unless a module filter says otherwise.
void set_level(Level level);
Level level();

// Filters in libvirtd's syntax: space-separated "LEVEL:MODULE" items, e.g. "1:conf 3:rpc".
// A module matches a filter when the filter's name is a prefix of the module name
// ("rpc" matches "rpc.server"). The most specific (longest) match wins.
Status set_filters(std::string_view filters);

// Where lines go: "stderr" (the default) or "file:PATH" (appended, created 0600); libvirt's
// "LEVEL:stderr" / "LEVEL:file:PATH" forms are accepted and their level applied.
Status set_output(std::string_view output);

// Would a message of this level from this module be written?
bool enabled(std::string_view module, Level level);

// Writes one line: "TIMESTAMP: TID: LEVEL : MODULE : MESSAGE".
void write(std::string_view module, Level level, std::string_view message);

template <typename... Args>
void message(std::string_view module, Level lvl, fmt::format_string<Args...> format,
             Args&&... args) {
    if (!enabled(module, lvl)) return;
    write(module, lvl, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void debug(std::string_view module, fmt::format_string<Args...> format, Args&&... args) {
    message(module, Level::Debug, format, std::forward<Args>(args)...);
}
template <typename... Args>
void info(std::string_view module, fmt::format_string<Args...> format, Args&&... args) {
    message(module, Level::Info, format, std::forward<Args>(args)...);
}
template <typename... Args>
void warning(std::string_view module, fmt::format_string<Args...> format, Args&&... args) {
    message(module, Level::Warning, format, std::forward<Args>(args)...);
}
template <typename... Args>
void error(std::string_view module, fmt::format_string<Args...> format, Args&&... args) {
    message(module, Level::Error, format, std::forward<Args>(args)...);
}

} // namespace virtd::log
