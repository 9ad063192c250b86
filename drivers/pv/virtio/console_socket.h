// The host side of a virtio-console port: a unix stream socket the VMM listens on, which a
// tool (a terminal, a guest-agent client) connects to.
//
// Thread safety: plain functions, no shared state.
#pragma once

#include <string>

#include "common/error.h"
#include "common/fd.h"

namespace virtd::pv::virtio {

// Listens on `path` (non-blocking, close-on-exec, mode 0600). A socket file nobody answers
// on (left by a VMM that died) is replaced; anything else at `path` is an error, as is a
// socket another process still listens on. `what` names the port in errors.
Result<UniqueFd> listen_unix_stream(const std::string& path, const std::string& what);

} // namespace virtd::pv::virtio
