#include "common/file.h"

#include <cerrno>
#include <cstdlib>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fd.h"

namespace virtd {
namespace {

Error file_error(int errnum, std::string_view what, std::string_view path) {
    return system_error(ErrorDomain::None, errnum, fmt::format("{} '{}'", what, path));
}

} // namespace

int write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return 0;
}

namespace {

Status replace_file(const std::string& path, std::string_view data, mode_t mode, bool durable) {
    std::string dir = path_dirname(path);
    std::string tmpl = path_join(dir, "." + path_basename(path) + ".tmp.XXXXXX");
    std::vector<char> tmp(tmpl.begin(), tmpl.end());
    tmp.push_back('\0');
    UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd) return file_error(errno, "creating temporary file for", path);
    std::string tmp_path(tmp.data());

    auto fail = [&](int errnum, std::string_view what) -> Status {
        ::unlink(tmp_path.c_str());
        return file_error(errnum, what, path);
    };
    if (::fchmod(fd.get(), mode) < 0) return fail(errno, "setting mode of");
    if (int err = write_all(fd.get(), data)) return fail(err, "writing");
    if (durable && ::fsync(fd.get()) < 0) return fail(errno, "syncing");
    if (::close(fd.release()) < 0) return fail(errno, "closing");
    if (::rename(tmp_path.c_str(), path.c_str()) < 0) return fail(errno, "renaming over");
    if (!durable) return {};

    UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd || ::fsync(dirfd.get()) < 0) return file_error(errno, "syncing directory of", path);
    return {};
}

} // namespace

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
    return replace_file(path, data, mode, true);
}

Status write_run_file(const std::string& path, std::string_view data, mode_t mode) {
    return replace_file(path, data, mode, false);
}

Result<std::string> read_file(const std::string& path, size_t max_size) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return file_error(errno, "cannot open", path);
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return file_error(errno, "cannot read", path);
        }
        if (n == 0) break;
        if (out.size() + static_cast<size_t>(n) > max_size)
            return make_error(ErrorCode::ReadFailed, ErrorDomain::None,
                              "'{}' is larger than the limit of {} bytes", path, max_size);
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Status make_dirs(const std::string& path, mode_t mode) {
    if (path.empty()) return {};
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return {};
        return file_error(ENOTDIR, "cannot create directory", path);
    }
    std::string parent = path_dirname(path);
    if (parent != path) {
        if (Status s = make_dirs(parent, mode); !s) return s;
    }
    if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST)
        return file_error(errno, "cannot create directory", path);
    return {};
}

std::string path_join(std::string_view dir, std::string_view name) {
    if (dir.empty()) return std::string(name);
    if (name.starts_with('/')) return std::string(name);
    std::string out(dir);
    if (!out.ends_with('/')) out += '/';
    out += name;
    return out;
}

std::string path_dirname(std::string_view path) {
    while (path.size() > 1 && path.ends_with('/'))
        path.remove_suffix(1);
    size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) return ".";
    if (slash == 0) return "/";
    std::string_view dir = path.substr(0, slash);
    while (dir.size() > 1 && dir.ends_with('/'))
        dir.remove_suffix(1);
    return std::string(dir);
}

std::string path_basename(std::string_view path) {
    while (path.size() > 1 && path.ends_with('/'))
        path.remove_suffix(1);
    size_t slash = path.rfind('/');
    if (slash == std::string_view::npos || path == "/") return std::string(path);
    return std::string(path.substr(slash + 1));
}

} // namespace virtd
