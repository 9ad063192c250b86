// The RPC layer's own errors, worded and numbered the way stock libvirt clients expect, and the
// interface generated client stubs send calls through.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::rpc {

// "unknown procedure: N" (VIR_ERR_RPC, VIR_FROM_RPC): clients turn exactly this into
// VIR_ERR_NO_SUPPORT and fall back to older calls.
Error unknown_procedure(int32_t proc);

// A call whose arguments do not decode; names the procedure and what was wrong.
Error malformed_call(std::string_view proc_name, std::string_view problem);

// A reply that does not decode (client side).
Error malformed_reply(std::string_view proc_name, std::string_view problem);

// Sends one call and returns its reply payload, or the error the server answered with.
class RpcCaller {
public:
    virtual ~RpcCaller() = default;
    virtual Result<std::string> call(uint32_t program, uint32_t version, int32_t proc,
                                     std::string args) = 0;
};

} // namespace virtd::rpc
