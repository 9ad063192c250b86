// File and path helpers: atomic replace, bounded reads, directory creation, path joining.
//
// write_file_atomic is how every definition reaches disk: a reader (or a crash at any instant)
// sees either the old content or the new, never a mix. All functions are thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "common/error.h"

namespace virtd {

// Replaces `path` with `data`: writes a temporary file in the same directory, fsyncs it, renames
// it over `path`, then fsyncs the directory so the rename itself survives a power loss.
// On failure `path` keeps its old content and the temporary file is removed.
Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0600);
// The same without the fsyncs, for runtime state (the run dir: pid files, a running guest's
// records): a daemon that dies at any instant still sees the old or the new file whole, and
// after a host crash the state means nothing anyway (the processes it describes are gone).
Status write_run_file(const std::string& path, std::string_view data, mode_t mode = 0600);

// Reads a whole file; fails with an error naming the file if it is larger than `max_size`.
Result<std::string> read_file(const std::string& path, size_t max_size = 64 << 20);

// Creates `path` and any missing parents with `mode` (like mkdir -p). An existing directory is
// fine.
Status make_dirs(const std::string& path, mode_t mode = 0755);

// Writes all of `data` to `fd`, retrying short writes and EINTR. Returns errno on failure, 0 on
// success.
int write_all(int fd, std::string_view data);

// Path pieces, purely textual (no filesystem access).
std::string path_join(std::string_view dir, std::string_view name);
std::string path_dirname(std::string_view path);  // "/a/b" -> "/a", "b" -> ".", "/" -> "/"
std::string path_basename(std::string_view path); // "/a/b/" -> "b"

} // namespace virtd
