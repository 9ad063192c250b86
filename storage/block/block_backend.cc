#include "storage/block/block_backend.h"

#include "storage/block/iovec_util.h"

namespace virtd::storage {

std::string_view block_op_name(BlockOp op) {
    switch (op) {
    case BlockOp::Read:
        return "read";
    case BlockOp::Write:
        return "write";
    case BlockOp::Flush:
        return "flush";
    case BlockOp::Discard:
        return "discard";
    case BlockOp::WriteZeroes:
        return "write-zeroes";
    }
    return "unknown";
}

uint64_t request_bytes(const BlockRequest& req) {
    switch (req.op) {
    case BlockOp::Read:
    case BlockOp::Write:
        return iov_total(req.iov);
    case BlockOp::Discard:
    case BlockOp::WriteZeroes:
        return req.length;
    case BlockOp::Flush:
        return 0;
    }
    return 0;
}

Status validate_request(const BlockInfo& info, const BlockRequest& req) {
    const bool modifies =
        req.op == BlockOp::Write || req.op == BlockOp::Discard || req.op == BlockOp::WriteZeroes;
    if (modifies && info.read_only) {
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::Storage,
                          "{} refused: {} is read-only", block_op_name(req.op), info.description);
    }
    if (req.op == BlockOp::Flush) return {};

    const uint64_t bytes = request_bytes(req);
    // Written as two comparisons so offset + bytes cannot wrap around and pass.
    if (req.offset > info.size_bytes || bytes > info.size_bytes - req.offset) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Storage,
                          "{} of {} bytes at offset {} is outside {} ({} bytes)",
                          block_op_name(req.op), bytes, req.offset, info.description,
                          info.size_bytes);
    }
    return {};
}

} // namespace virtd::storage
