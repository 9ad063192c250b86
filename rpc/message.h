// The frame every RPC message travels in: a length word that counts itself, a 24-byte header,
// then the payload. Checks follow libvirt's limits so a bad peer is caught before any allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "rpc/xdr.h"

namespace virtd::rpc {

enum class MessageType : int32_t {
    Call = 0,
    Reply = 1,
    Message = 2, // an event, or a keepalive ping/pong
    Stream = 3,
    CallWithFds = 4,
    ReplyWithFds = 5,
    StreamHole = 6,
};

enum class MessageStatus : int32_t { Ok = 0, Error = 1, Continue = 2 };

inline constexpr size_t kLengthSize = 4;
inline constexpr size_t kHeaderSize = 24;
// Largest frame after the length word (libvirt's VIR_NET_MESSAGE_MAX).
inline constexpr uint32_t kMessageMax = 32 * 1024 * 1024;
// Largest stream data chunk libvirt sends (its legacy payload limit).
inline constexpr size_t kStreamChunkMax = 262120;

struct MessageHeader {
    uint32_t program = 0;
    uint32_t version = 1;
    int32_t proc = 0;
    MessageType type = MessageType::Call;
    uint32_t serial = 0;
    MessageStatus status = MessageStatus::Ok;

    bool operator==(const MessageHeader&) const = default;
};

// Checks the first 4 bytes of a frame: the whole frame's length, which counts itself. Too short
// to hold a header, or longer than kMessageMax, is an error (and the connection should be
// dropped: the stream cannot be resynchronised).
Result<uint32_t> check_frame_length(uint32_t length);

// Reads the 24-byte header; an unknown type or status is an error naming the value.
Result<MessageHeader> decode_header(XdrReader& r);

// A whole frame: length word, header, payload.
std::string encode_message(const MessageHeader& header, std::string_view payload);

} // namespace virtd::rpc
