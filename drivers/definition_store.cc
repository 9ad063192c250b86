#include "drivers/definition_store.h"

#include <algorithm>

#include <dirent.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"

namespace virtd {

DefinitionStore::DefinitionStore(const std::string& dir, std::string_view what)
    : dir_(dir)
    , what_(what) {
    if (dir_.empty()) return;
    if (Status s = make_dirs(dir_, 0700); !s) {
        log::error("mock", "cannot keep {} definitions: {}", what_, s.error().message());
        dir_.clear();
    }
}

std::string DefinitionStore::file_of(const std::string& name, const char* suffix) const {
    return path_join(dir_, name + suffix);
}

std::vector<DefinitionStore::Entry> DefinitionStore::load() const {
    std::vector<Entry> out;
    if (dir_.empty()) return out;
    DIR* d = opendir(dir_.c_str());
    if (!d) return out;
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
        std::string file = e->d_name;
        if (file.size() > 4 && file.ends_with(".xml"))
            names.push_back(file.substr(0, file.size() - 4));
    }
    closedir(d);
    std::sort(names.begin(), names.end()); // a stable start order (autostart follows it)
    for (const std::string& name : names) {
        std::string path = file_of(name, ".xml");
        Result<std::string> text = read_file(path);
        if (!text) {
            log::error("mock", "skipping {} '{}': {}", what_, path, text.error().message());
            continue;
        }
        bool autostart = access(file_of(name, ".autostart").c_str(), F_OK) == 0;
        out.push_back({path, std::move(*text), autostart});
    }
    return out;
}

Status DefinitionStore::save(const std::string& name, const std::string& xml,
                             bool autostart) const {
    if (dir_.empty()) return {};
    if (Status s = write_file_atomic(file_of(name, ".xml"), xml); !s) return s;
    std::string mark = file_of(name, ".autostart");
    if (autostart) return write_file_atomic(mark, "");
    unlink(mark.c_str());
    return {};
}

void DefinitionStore::forget(const std::string& name) const {
    if (dir_.empty()) return;
    unlink(file_of(name, ".xml").c_str());
    unlink(file_of(name, ".autostart").c_str());
}

} // namespace virtd
