#include "rpc/wire_error.h"

namespace virtd::rpc {

RemoteError to_remote_error(const Error& e) {
    RemoteError w;
    w.code = static_cast<int32_t>(e.code());
    w.domain = static_cast<int32_t>(e.domain());
    w.level = static_cast<int32_t>(e.level());
    // A message that already reads as a whole sentence with its summary is not prefixed again.
    bool verbatim = e.domain() == ErrorDomain::Rpc ||
                    std::string_view(e.message()).starts_with(error_code_summary(e.code()));
    w.message = verbatim ? e.message() : e.text();
    if (e.code() == ErrorCode::Rpc) {
        w.str1 = "%s";
        w.str2 = w.message;
    } else {
        w.str1 = w.message;
    }
    w.int1 = -1;
    w.int2 = -1;
    return w;
}

Error from_remote_error(const RemoteError& e) {
    auto level =
        e.level >= 0 && e.level <= 2 ? static_cast<ErrorLevel>(e.level) : ErrorLevel::Error;
    return Error(static_cast<ErrorCode>(e.code), static_cast<ErrorDomain>(e.domain),
                 e.message.value_or(""), level);
}

} // namespace virtd::rpc
