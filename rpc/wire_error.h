// Conversion between virtd::Error and the remote_error a failed call carries on the wire.
#pragma once

#include "common/error.h"
#include "rpc/remote_protocol.h"

namespace virtd::rpc {

// The error as stock clients expect it: code, domain and level unchanged; the message is what
// the user sees (summary and detail), except that RPC-domain errors travel verbatim ("unknown
// procedure: N" must arrive exactly so); int1 = int2 = -1 as libvirt sends.
RemoteError to_remote_error(const Error& e);

// The client's view of a remote_error.
Error from_remote_error(const RemoteError& e);

} // namespace virtd::rpc
