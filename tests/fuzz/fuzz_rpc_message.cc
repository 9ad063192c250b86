// Fuzz target: one RPC frame from an untrusted peer: length word, header, and the arguments of
// whatever procedure it names, decoded by the generated dispatch table (rpc/).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "rpc/message.h"
#include "rpc/remote_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace virtd::rpc;
    XdrReader frame(data, size);
    uint32_t length = 0;
    if (!frame.u32(length) || !check_frame_length(length).ok()) return 0;
    virtd::Result<MessageHeader> header = decode_header(frame);
    if (!header) return 0;
    if (size < kLengthSize + kHeaderSize) return 0;
    size_t payload_size = std::min<size_t>(size, length) - kLengthSize - kHeaderSize;
    XdrReader payload(data + kLengthSize + kHeaderSize, payload_size);
    // Every handler defaults to "unknown procedure" after its arguments decode, so this runs
    // the argument decoder of every procedure the protocol defines.
    RemoteHandlers handlers;
    XdrWriter reply;
    (void)dispatch_remote(handlers, CallContext{}, header->proc, payload, reply);
    XdrReader as_error(data + kLengthSize + kHeaderSize, payload_size);
    RemoteError error;
    (void)decode(as_error, error);
    return 0;
}
