// SecurityLayer: a transform between a connection's RPC bytes and the bytes on its socket: TLS
// records, or SASL security-layer records (uint32 length + sasl_encode output). Layers work on
// buffers, never on the socket, so the server can switch one on at an exact byte (the reply
// that completes SASL goes out in the clear, everything after it wrapped) and stack them (SASL
// inside TLS). The server and client keep the socket I/O.
//
// Thread safety: one thread at a time, except where a layer says otherwise.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::rpc {

class SecurityLayer {
public:
    virtual ~SecurityLayer() = default;
    // Appends the bytes that carry `plain` to `wire`.
    virtual Status encode(std::string_view plain, std::string& wire) = 0;
    // Takes every whole record from the front of `wire` and appends its plaintext to `plain`;
    // a partial record stays in `wire` for the next call. A malformed or oversized record is an
    // error that ends the connection; its message says what was wrong.
    virtual Status decode(std::string& wire, std::string& plain) = 0;
    // Bytes the layer itself must send, not carrying caller data (TLS alerts, TLS 1.3 key
    // updates, session tickets): moved to `wire`. Checked after every decode().
    virtual void take_pending(std::string& wire) { (void)wire; }
};

} // namespace virtd::rpc
