#include "rpc/errors.h"

namespace virtd::rpc {

Error unknown_procedure(int32_t proc) {
    return make_error(ErrorCode::Rpc, ErrorDomain::Rpc, "unknown procedure: {}", proc);
}

Error malformed_call(std::string_view proc_name, std::string_view problem) {
    return make_error(ErrorCode::Rpc, ErrorDomain::Rpc, "malformed arguments to {}: {}", proc_name,
                      problem);
}

Error malformed_reply(std::string_view proc_name, std::string_view problem) {
    return make_error(ErrorCode::Rpc, ErrorDomain::Rpc, "malformed reply to {}: {}", proc_name,
                      problem);
}

} // namespace virtd::rpc
