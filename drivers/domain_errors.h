// The domain errors the drivers share, worded as libvirt words them.
#pragma once

#include <string_view>

#include "common/error.h"

namespace virtd::domain_errors {

inline Error no_domain(std::string_view how, std::string_view what) {
    return make_error(ErrorCode::NoDomain, ErrorDomain::Dom, "no domain with matching {} '{}'", how,
                      what);
}

// VIR_ERR_OPERATION_INVALID: the request does not fit the domain's state.
inline Error invalid(std::string_view what) {
    return make_error(ErrorCode::OperationInvalid, ErrorDomain::Dom, "{}", what);
}

inline Error not_running() {
    return invalid("domain is not running");
}

} // namespace virtd::domain_errors
