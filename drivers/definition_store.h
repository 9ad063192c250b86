// DefinitionStore: where a driver keeps one kind of persistent definition across daemon
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

    // A save prepared under a driver's lock and carried out after it is released, so lookups
    // never wait for an fsync. Drivers hold a writer mutex, taken before their object lock and
    // kept until the write is done, so definitions reach the disk in the order they changed.
    struct Write {
        std::string name;
        std::string xml;
        bool autostart = false;
    };
    Status save(const Write& w) const { return save(w.name, w.xml, w.autostart); }
    void forget(const std::string& name) const;

private:
    std::string file_of(const std::string& name, const char* suffix) const;

    std::string dir_;
    std::string what_;
};

} // namespace virtd
