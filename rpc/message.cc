#include "rpc/message.h"

namespace virtd::rpc {
namespace {

Error frame_error(std::string message) {
    return Error(ErrorCode::Rpc, ErrorDomain::Rpc, std::move(message));
}

} // namespace

Result<uint32_t> check_frame_length(uint32_t length) {
    if (length < kLengthSize + kHeaderSize)
        return frame_error(fmt::format("frame length {} is shorter than a header ({} bytes)",
                                       length, kLengthSize + kHeaderSize));
    if (length - kLengthSize > kMessageMax)
        return frame_error(fmt::format("frame length {} exceeds the limit of {} bytes", length,
                                       kMessageMax + kLengthSize));
    return length;
}

Result<MessageHeader> decode_header(XdrReader& r) {
    MessageHeader h;
    int32_t type = 0;
    int32_t status = 0;
    if (!r.u32(h.program) || !r.u32(h.version) || !r.i32(h.proc) || !r.i32(type) ||
        !r.u32(h.serial) || !r.i32(status))
        return frame_error("truncated message header: " + r.error());
    if (type < 0 || type > static_cast<int32_t>(MessageType::StreamHole))
        return frame_error(fmt::format("unknown message type {}", type));
    if (status < 0 || status > static_cast<int32_t>(MessageStatus::Continue))
        return frame_error(fmt::format("unknown message status {}", status));
    h.type = static_cast<MessageType>(type);
    h.status = static_cast<MessageStatus>(status);
    return h;
}

std::string encode_message(const MessageHeader& header, std::string_view payload) {
    XdrWriter w;
    w.u32(static_cast<uint32_t>(kLengthSize + kHeaderSize + payload.size()));
    w.u32(header.program);
    w.u32(header.version);
    w.i32(header.proc);
    w.i32(static_cast<int32_t>(header.type));
    w.u32(header.serial);
    w.i32(static_cast<int32_t>(header.status));
    std::string out = w.take();
    out.append(payload);
    return out;
}

} // namespace virtd::rpc
