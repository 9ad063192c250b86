// Fuzz target: the SASL security-layer record framing an untrusted peer sends once SASL
// authentication has negotiated a layer (rpc/sasl.h, split_sasl_records): length words, limits,
// partial records. The bytes arrive in two pieces, as they would across two socket reads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rpc/sasl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace virtd::rpc;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    std::string wire(input.substr(0, cut));
    size_t consumed = 0;
    size_t records = 0;
    auto each = [&](std::string_view record) -> virtd::Status {
        // Every record handed out is its length word plus a non-empty body within the limit.
        if (record.size() < 5 || record.size() - 4 > kSaslMaxRecord) std::abort();
        const auto* p = reinterpret_cast<const unsigned char*>(record.data());
        size_t len = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
        if (len != record.size() - 4) std::abort();
        consumed += record.size();
        // Stop the walk now and then, as a failing sasl_decode would.
        if (++records % 7 == 0)
            return virtd::make_error(virtd::ErrorCode::Rpc, virtd::ErrorDomain::Rpc, "stop");
        return {};
    };
    virtd::Status first = split_sasl_records(wire, each);
    if (!first) return 0;
    wire.append(input.substr(cut));
    (void)split_sasl_records(wire, each);
    if (consumed + wire.size() != size) std::abort();
    return 0;
}
