// File layout and safe writing for virtd-pki; see layout.h.
#include "tools/pki/layout.h"

#include <cerrno>

#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"

namespace virtd::pki {
namespace {

const char* prefix(Kind kind) {
    switch (kind) {
    case Kind::Ca:
        return "ca";
    case Kind::Server:
        return "server";
    case Kind::Client:
        return "client";
    }
    return "";
}

Status refuse_existing(const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::Rpc,
                          "'{}' already exists: remove it, choose another --dir, or pass --force "
                          "to replace it",
                          path);
    }
    if (errno != ENOENT) {
        return system_error(ErrorDomain::Rpc, errno, fmt::format("cannot check '{}'", path));
    }
    return {};
}

Status write_one(const std::string& path, const std::string& data, mode_t file_mode,
                 mode_t dir_mode) {
    if (Status s = make_dirs(path_dirname(path), dir_mode); !s) {
        return s.error().with_context(fmt::format("creating the directory of '{}'", path));
    }
    if (Status s = write_file_atomic(path, data, file_mode); !s) {
        return s.error().with_context(fmt::format("writing '{}'", path));
    }
    return {};
}

} // namespace

Paths flat_paths(const std::string& dir, Kind kind) {
    std::string p = prefix(kind);
    return {path_join(dir, p + "cert.pem"), path_join(dir, p + "key.pem")};
}

Paths system_paths(Kind kind, const std::string& root) {
    if (kind == Kind::Ca) {
        return {root + "/etc/pki/CA/cacert.pem", root + "/etc/pki/CA/private/cakey.pem"};
    }
    std::string p = prefix(kind);
    return {root + "/etc/pki/libvirt/" + p + "cert.pem",
            root + "/etc/pki/libvirt/private/" + p + "key.pem"};
}

Status write_credential(const Paths& paths, const Credential& credential, bool force) {
    if (!force) {
        for (const std::string* path : {&paths.key, &paths.cert}) {
            if (Status s = refuse_existing(*path); !s) {
                return s;
            }
        }
    }
    // The key's directory is private when it is a directory of its own (the system layout).
    bool own_dir = path_dirname(paths.key) != path_dirname(paths.cert);
    if (Status s = write_one(paths.key, credential.key_pem, 0600, own_dir ? 0700 : 0755); !s) {
        return s;
    }
    return write_one(paths.cert, credential.cert_pem, 0644, 0755);
}

Result<Credential> load_ca(const Paths& paths) {
    Credential c;
    for (auto [path, out] :
         {std::pair{&paths.cert, &c.cert_pem}, std::pair{&paths.key, &c.key_pem}}) {
        if (access(path->c_str(), F_OK) != 0 && errno == ENOENT) {
            return make_error(ErrorCode::NoSource, ErrorDomain::Rpc,
                              "'{}' does not exist: create the CA first with 'virtd-pki ca' "
                              "(same --dir or --layout)",
                              *path);
        }
        Result<std::string> text = read_file(*path, 1 << 20);
        if (!text) {
            return text.error();
        }
        *out = std::move(text.value());
    }
    return c;
}

} // namespace virtd::pki
