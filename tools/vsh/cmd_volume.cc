// The "storage volume" group: vol-create-as, vol-create, vol-clone, vol-delete, vol-wipe,
// vol-resize, vol-list, vol-info, vol-dumpxml, vol-path, vol-upload, vol-download.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fcntl.h>
#include <unistd.h>

#include "common/fd.h"
#include "tools/vsh/table.h"
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

// libvirt's virStorageVolResizeFlags.
constexpr unsigned kResizeAllocate = 1;
constexpr unsigned kResizeDelta = 2;
constexpr unsigned kResizeShrink = 4;
constexpr unsigned kCreatePreallocMetadata = 1;

const OptDef kVolOpt{"vol", OptType::String, kRequired | kPositional, "vol name, key or path",
                     Complete::Volume};
const OptDef kPoolOpt{"pool", OptType::String, 0, "pool name or uuid", Complete::Pool};

std::string_view vol_type_name(client::VolType t) {
    switch (t) {
    case client::VolType::File:
        return "file";
    case client::VolType::Block:
        return "block";
    case client::VolType::Dir:
        return "dir";
    case client::VolType::Network:
        return "network";
    case client::VolType::NetDir:
        return "netdir";
    case client::VolType::Ploop:
        return "ploop";
    }
    return "unknown";
}

// Shows transfer progress on stderr when it is a terminal (and only then: scripts see nothing).
class Progress {
public:
    Progress(std::string_view what, uint64_t total)
        : what_(what)
        , total_(total)
        , on_(isatty(STDERR_FILENO) != 0) {}
    void add(uint64_t n) {
        done_ += n;
        auto now = std::chrono::steady_clock::now();
        if (!on_ || now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        draw();
    }
    void finish() {
        if (!on_) return;
        draw();
        fmt::print(stderr, "\n");
    }

private:
    void draw() {
        if (total_)
            fmt::print(stderr, "\r{} [{:3}%] {} of {}", what_,
                       std::min<uint64_t>(100, done_ * 100 / total_), pretty_size(done_),
                       pretty_size(total_));
        else
            fmt::print(stderr, "\r{} {}", what_, pretty_size(done_));
        std::fflush(stderr);
    }
    std::string_view what_;
    uint64_t total_;
    uint64_t done_ = 0;
    bool on_;
    std::chrono::steady_clock::time_point last_{};
};

bool size_opt(Vsh& vsh, const Args& args, std::string_view opt, uint64_t& out) {
    std::string text = args.str(opt);
    Result<uint64_t> v = parse_scaled(text, 1);
    if (!v) return vsh.fail(v.error(), "Malformed size {}", text);
    out = *v;
    return true;
}

bool cmd_vol_create_as(Vsh& vsh, const Args& args) {
    uint64_t capacity = 0;
    uint64_t allocation = 0;
    if (!size_opt(vsh, args, "capacity", capacity)) return false;
    if (args.has("allocation") && !size_opt(vsh, args, "allocation", allocation)) return false;
    std::string name = args.str("name");
    std::string xml =
        fmt::format("<volume>\n  <name>{}</name>\n  <capacity>{}</capacity>\n", name, capacity);
    if (args.has("allocation")) xml += fmt::format("  <allocation>{}</allocation>\n", allocation);
    if (auto f = args.get("format"))
        xml += fmt::format("  <target>\n    <format type='{}'/>\n  </target>\n", *f);
    if (auto b = args.get("backing-vol")) {
        xml += fmt::format("  <backingStore>\n    <path>{}</path>\n", *b);
        if (auto bf = args.get("backing-vol-format"))
            xml += fmt::format("    <format type='{}'/>\n", *bf);
        xml += "  </backingStore>\n";
    }
    xml += "</volume>\n";
    if (args.has("print-xml")) {
        fmt::print("{}", xml);
        return true;
    }
    auto pool = vsh.pool(args);
    if (!pool) return false;
    unsigned flags = args.has("prealloc-metadata") ? kCreatePreallocMetadata : 0;
    auto v = pool->create_volume(xml, flags);
    if (!v) return vsh.fail(v.error(), "Failed to create vol {}", name);
    vsh.extra("Vol {} created\n", v->name());
    return true;
}

bool cmd_vol_create(Vsh& vsh, const Args& args) {
    auto pool = vsh.pool(args);
    if (!pool) return false;
    std::string file = args.str("file");
    Result<std::string> xml = read_file_for(file);
    if (!xml) return vsh.fail(xml.error());
    unsigned flags = args.has("prealloc-metadata") ? kCreatePreallocMetadata : 0;
    auto v = pool->create_volume(*xml, flags);
    if (!v) return vsh.fail(v.error(), "Failed to create vol from {}", file);
    vsh.extra("Vol {} created from {}\n", v->name(), file);
    return true;
}

bool cmd_vol_clone(Vsh& vsh, const Args& args) {
    auto src = vsh.volume(args);
    if (!src) return false;
    auto pool = vsh.conn()->pool_of_volume(*src);
    if (!pool) return vsh.fail(pool.error(), "failed to get parent pool");
    auto xml = src->xml_desc();
    if (!xml) return vsh.fail(xml.error());
    // The new volume is the old one's description under a new name; the daemon picks the
    // new key and path.
    std::string newname = args.str("newname");
    std::string clone_xml = *xml;
    size_t open = clone_xml.find("<name>");
    size_t close = clone_xml.find("</name>", open);
    if (open == std::string::npos || close == std::string::npos) {
        vsh.error("cannot find the name in the XML of vol {}", src->name());
        return false;
    }
    clone_xml.replace(open + 6, close - open - 6, newname);
    if (args.has("print-xml")) {
        fmt::print("{}", clone_xml);
        return true;
    }
    unsigned flags = args.has("prealloc-metadata") ? kCreatePreallocMetadata : 0;
    auto v = pool->clone_volume(clone_xml, *src, flags);
    if (!v) return vsh.fail(v.error(), "Failed to clone vol from {}", src->name());
    vsh.extra("Vol {} cloned from {}\n", v->name(), src->name());
    return true;
}

bool cmd_vol_delete(Vsh& vsh, const Args& args) {
    auto v = vsh.volume(args);
    if (!v) return false;
    if (Status s = v->remove(); !s)
        return vsh.fail(s.error(), "Failed to delete vol {}", v->name());
    vsh.extra("Vol {} deleted\n", v->name());
    return true;
}

bool cmd_vol_wipe(Vsh& vsh, const Args& args) {
    auto v = vsh.volume(args);
    if (!v) return false;
    if (Status s = v->wipe(); !s) return vsh.fail(s.error(), "Failed to wipe vol {}", v->name());
    vsh.extra("Vol {} wiped\n", v->name());
    return true;
}

bool cmd_vol_resize(Vsh& vsh, const Args& args) {
    std::string text = args.str("capacity");
    bool delta = args.has("delta");
    std::string_view number = text;
    if (number.starts_with('-')) {
        if (!delta) {
            vsh.error("negative size requires --delta");
            return false;
        }
        number.remove_prefix(1);
    }
    Result<uint64_t> cap = parse_scaled(number, 1);
    if (!cap) return vsh.fail(cap.error(), "Malformed size {}", text);
    auto v = vsh.volume(args);
    if (!v) return false;
    unsigned flags = (args.has("allocate") ? kResizeAllocate : 0) | (delta ? kResizeDelta : 0) |
                     (args.has("shrink") || text.starts_with('-') ? kResizeShrink : 0);
    if (Status s = v->resize(*cap, flags); !s)
        return vsh.fail(s.error(), "Failed to change size of volume '{}' to {}", v->name(), text);
    vsh.extra("Size of volume '{}' successfully {} {}\n", v->name(),
              delta ? "changed by" : "changed to", text);
    return true;
}

bool cmd_vol_list(Vsh& vsh, const Args& args) {
    auto pool = vsh.pool(args);
    if (!pool) return false;
    auto vols = pool->list_volumes();
    if (!vols) return vsh.fail(vols.error(), "Failed to list storage volumes");
    std::sort(vols->begin(), vols->end(),
              [](const auto& a, const auto& b) { return a.name() < b.name(); });
    bool details = args.has("details");
    Table t(details ? std::vector<std::string>{"Name", "Path", "Type", "Capacity", "Allocation"}
                    : std::vector<std::string>{"Name", "Path"});
    for (auto& v : *vols) {
        auto path = v.path();
        std::vector<std::string> row{v.name(), path ? *path : "-"};
        if (details) {
            auto info = v.info();
            row.push_back(info ? std::string(vol_type_name(info->type)) : "-");
            row.push_back(info ? pretty_size(info->capacity) : "-");
            row.push_back(info ? pretty_size(info->allocation) : "-");
        }
        t.add(row);
    }
    fmt::print("{}", t.render(!vsh.quiet));
    return true;
}

bool cmd_vol_info(Vsh& vsh, const Args& args) {
    auto v = vsh.volume(args);
    if (!v) return false;
    auto row = [](std::string_view k, const std::string& val) {
        fmt::print("{:<15} {}\n", k, val);
    };
    row("Name:", v->name());
    auto info = v->info();
    if (!info) return vsh.fail(info.error());
    row("Type:", std::string(vol_type_name(info->type)));
    row("Capacity:", pretty_size(info->capacity));
    row("Allocation:", pretty_size(info->allocation));
    return true;
}

bool cmd_vol_dumpxml(Vsh& vsh, const Args& args) {
    auto v = vsh.volume(args);
    if (!v) return false;
    auto xml = v->xml_desc();
    if (!xml) return vsh.fail(xml.error());
    fmt::print("{}", *xml);
    return true;
}

bool cmd_vol_path(Vsh& vsh, const Args& args) {
    auto v = vsh.volume(args);
    if (!v) return false;
    auto path = v->path();
    if (!path) return vsh.fail(path.error());
    fmt::print("{}\n", *path);
    return true;
}

bool offsets(Vsh& vsh, const Args& args, uint64_t& offset, uint64_t& length) {
    offset = length = 0;
    if (args.has("offset") && !size_opt(vsh, args, "offset", offset)) return false;
    if (args.has("length") && !size_opt(vsh, args, "length", length)) return false;
    return true;
}

bool cmd_vol_upload(Vsh& vsh, const Args& args) {
    uint64_t offset = 0, length = 0;
    if (!offsets(vsh, args, offset, length)) return false;
    std::string file = args.str("file");
    UniqueFd fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        vsh.error("cannot read {}", file);
        return false;
    }
    auto v = vsh.volume(args);
    if (!v) return false;
    auto stream = v->upload(offset, length);
    if (!stream) return vsh.fail(stream.error(), "cannot upload to volume {}", v->name());
    off_t size = lseek(fd.get(), 0, SEEK_END);
    lseek(fd.get(), 0, SEEK_SET);
    Progress progress("Uploading", size > 0 ? static_cast<uint64_t>(size) : 0);
    std::string buf(rpc::kStreamChunkMax, '\0');
    for (;;) {
        ssize_t n = read(fd.get(), buf.data(), buf.size());
        if (n < 0) {
            (*stream)->abort();
            vsh.error("cannot read {}", file);
            return false;
        }
        if (n == 0) break;
        if (Status s = (*stream)->send(std::string_view(buf.data(), static_cast<size_t>(n))); !s)
            return vsh.fail(s.error(), "cannot send data to volume {}", v->name());
        progress.add(static_cast<uint64_t>(n));
    }
    if (Status s = (*stream)->finish(); !s)
        return vsh.fail(s.error(), "cannot close volume {}", v->name());
    progress.finish();
    return true;
}

bool cmd_vol_download(Vsh& vsh, const Args& args) {
    uint64_t offset = 0, length = 0;
    if (!offsets(vsh, args, offset, length)) return false;
    auto v = vsh.volume(args);
    if (!v) return false;
    std::string file = args.str("file");
    UniqueFd fd(open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!fd) {
        vsh.error("cannot create {}", file);
        return false;
    }
    uint64_t total = length;
    if (total == 0)
        if (auto info = v->info(); info && info->capacity > offset) total = info->capacity - offset;
    auto stream = v->download(offset, length);
    if (!stream) {
        unlink(file.c_str());
        return vsh.fail(stream.error(), "cannot download from volume {}", v->name());
    }
    Progress progress("Downloading", total);
    for (;;) {
        auto chunk = (*stream)->recv();
        if (!chunk) {
            unlink(file.c_str());
            return vsh.fail(chunk.error(), "cannot receive data from volume {}", v->name());
        }
        if (chunk->empty()) break;
        std::string_view rest = *chunk;
        while (!rest.empty()) {
            ssize_t n = write(fd.get(), rest.data(), rest.size());
            if (n <= 0) {
                (*stream)->abort();
                vsh.error("cannot write {}", file);
                return false;
            }
            rest.remove_prefix(static_cast<size_t>(n));
        }
        progress.add(chunk->size());
    }
    progress.finish();
    return true;
}

} // namespace

std::vector<CommandDef> volume_commands() {
    auto str = [](std::string_view name, std::string_view help) {
        return OptDef{name, OptType::String, 0, help};
    };
    auto flag = [](std::string_view name, std::string_view help) {
        return OptDef{name, OptType::Bool, 0, help};
    };
    const OptDef vol = kVolOpt;
    const OptDef pool = kPoolOpt;
    const OptDef pool_req{"pool", OptType::String, kRequired | kPositional, "pool name",
                          Complete::Pool};
    const OptDef file{"file", OptType::String, kRequired | kPositional, "file", Complete::File};
    return {
        {"vol-create-as",
         "volume",
         "create a volume from a set of args",
         "Create a vol.",
         {pool_req,
          {"name", OptType::String, kRequired | kPositional, "name of the volume"},
          {"capacity", OptType::String, kRequired | kPositional,
           "size of the vol, as scaled integer (default bytes)"},
          str("allocation", "initial allocation size, as scaled integer (default bytes)"),
          str("format", "file format type raw,bochs,qcow,qcow2,qed,vmdk"),
          str("backing-vol", "the backing volume if taking a snapshot"),
          str("backing-vol-format", "format of backing volume if taking a snapshot"),
          flag("prealloc-metadata", "preallocate metadata (for qcow2 instead of full allocation)"),
          flag("print-xml", "print XML document, but don't define/create")},
         cmd_vol_create_as},
        {"vol-create",
         "volume",
         "create a vol from an XML file",
         "Create a vol.",
         {pool_req, file,
          flag("prealloc-metadata", "preallocate metadata (for qcow2 instead of "
                                    "full allocation)")},
         cmd_vol_create},
        {"vol-clone",
         "volume",
         "clone a volume.",
         "Clone an existing volume within the parent "
         "pool.",
         {vol,
          {"newname", OptType::String, kRequired | kPositional, "clone name"},
          pool,
          flag("prealloc-metadata", "preallocate metadata (for qcow2 instead of full allocation)"),
          flag("print-xml", "print XML document, but don't define/create")},
         cmd_vol_clone},
        {"vol-delete",
         "volume",
         "delete a vol",
         "Delete a given vol.",
         {vol, pool},
         cmd_vol_delete},
        {"vol-wipe",
         "volume",
         "wipe a vol",
         "Ensure data previously on a volume is not "
         "accessible to future reads.",
         {vol, pool},
         cmd_vol_wipe},
        {"vol-resize",
         "volume",
         "resize a vol",
         "Resizes a storage volume. This is safe only "
         "for storage volumes not in use by an active "
         "guest.",
         {vol,
          {"capacity", OptType::String, kRequired | kPositional,
           "new capacity for the vol, as scaled integer (default bytes)"},
          pool,
          flag("allocate", "allocate the new capacity, rather than leaving it sparse"),
          flag("delta", "use capacity as a delta to current size, rather than the new size"),
          flag("shrink", "allow the resize to shrink the volume")},
         cmd_vol_resize},
        {"vol-list",
         "volume",
         "list vols",
         "Returns list of vols by pool.",
         {{"pool", OptType::String, kRequired | kPositional, "pool name or uuid", Complete::Pool},
          flag("details", "display extended details for volumes")},
         cmd_vol_list},
        {"vol-info",
         "volume",
         "storage vol information",
         "Returns basic information about the "
         "storage vol.",
         {vol, pool},
         cmd_vol_info},
        {"vol-dumpxml",
         "volume",
         "vol information in XML",
         "Output the vol information as an "
         "XML dump to stdout.",
         {vol, pool},
         cmd_vol_dumpxml},
        {"vol-path",
         "volume",
         "returns the volume path for a given volume name or key",
         "Returns the volume path for a given volume name or key",
         {vol, pool},
         cmd_vol_path},
        {"vol-upload",
         "volume",
         "upload file contents to a volume",
         "Upload file contents to a volume",
         {vol, file, pool, str("offset", "volume offset to upload to"),
          str("length", "amount of data to upload")},
         cmd_vol_upload},
        {"vol-download",
         "volume",
         "download volume contents to a file",
         "Download volume contents to a file",
         {vol, file, pool, str("offset", "volume offset to download from"),
          str("length", "amount of data to download")},
         cmd_vol_download},
    };
}

} // namespace virtd::vsh
