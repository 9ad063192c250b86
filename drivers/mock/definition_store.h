// DefinitionStore: where a mock driver keeps one kind of persistent definition across daemon
// restarts: DIR/NAME.xml plus an empty DIR/NAME.autostart mark, each written atomically so a
// crash at any instant leaves either the old or the new file. The drivers own parsing; this
// only moves text.
//
// Thread safety: none; the owning driver calls it under its own lock.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace virtd {

class DefinitionStore {
public:
    // `dir` empty: nothing is read or written. `what` names the kind in log lines ("domain").
    DefinitionStore(const std::string& dir, std::string_view what);

    struct Entry {
        std::string path; // for messages
        std::string text;
        bool autostart = false;
    };
    // Every readable definition; files that cannot be read are logged and skipped, never removed.
    std::vector<Entry> load() const;
    Status save(const std::string& name, const std::string& xml, bool autostart) const;
    void forget(const std::string& name) const;

private:
    std::string file_of(const std::string& name, const char* suffix) const;

    std::string dir_;
    std::string what_;
};

} // namespace virtd
