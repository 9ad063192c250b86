// BlockBackend: how a virtual disk device reads and writes the storage behind it.
//
// The VMM's virtio-blk device turns each guest request into one BlockRequest and submits it;
// the backend (raw file or block device now; qcow2, NFS, iSCSI and LVM extents later) completes
// it asynchronously by calling the request's completion with a Status. Buffers are vectored
// (iovec) so a device can hand guest memory straight to the backend without copying.
//
// Error codes a completion reports, so a device can map them (virtio-blk: UNSUPP vs IOERR):
//   OperationInvalid  a write, discard or write-zeroes on a read-only disk
//   InvalidArg        a request outside the disk (offset + length beyond size, or overflowing)
//   NoSupport         an operation this backend cannot do at all (info() says so up front)
//   SystemError       the host I/O failed; the message names the disk and the errno text
// All of them use ErrorDomain::Storage.
//
// Thread safety: submit() may be called from any number of threads at once; info() is immutable
// after open. drain() must not be called from inside a completion (it would wait for itself), nor
// may a completion destroy the backend (destruction drains).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sys/uio.h>

#include "common/error.h"

namespace virtd::storage {

// What a disk looks like to the guest, fixed when the backend is opened.
struct BlockInfo {
    uint64_t size_bytes = 0;
    uint32_t logical_block_size = 512;
    uint32_t physical_block_size = 4096;
    bool read_only = false;
    bool discard = false;      // Discard requests do something useful
    bool write_zeroes = false; // WriteZeroes is cheaper than writing a buffer of zeros
    std::string description;   // for messages: "raw file '/var/lib/x.img'"
};

enum class BlockOp { Read, Write, Flush, Discard, WriteZeroes };

// "read", "write", "flush", "discard", "write-zeroes".
std::string_view block_op_name(BlockOp op);

struct BlockRequest {
    BlockOp op = BlockOp::Read;
    uint64_t offset = 0; // bytes from the start of the disk (Read, Write, Discard, WriteZeroes)
    // Bytes affected by Discard and WriteZeroes. Read and Write move exactly the iov's total,
    // so their length is taken from `iov` and this field is ignored.
    uint64_t length = 0;
    std::vector<iovec> iov; // Read and Write: the caller's buffers, valid until completion
    // WriteZeroes: the backend may deallocate the range (it still reads back as zeros).
    bool may_unmap = false;
};

// The number of bytes a request covers: the iov total for Read/Write, `length` for
// Discard/WriteZeroes, 0 for Flush.
uint64_t request_bytes(const BlockRequest& req);

// Checks what every backend must refuse before touching storage: writes to a read-only disk and
// ranges outside the disk (including offset + length overflowing 64 bits). Errors name the disk.
Status validate_request(const BlockInfo& info, const BlockRequest& req);

using BlockCompletion = std::function<void(Status)>;

// The interface every block backend implements. Destroying a backend drains it first.
class BlockBackend {
public:
    virtual ~BlockBackend() = default;

    virtual const BlockInfo& info() const = 0;

    // Starts a request; `done` runs exactly once, on any thread, possibly before submit returns
    // (a refused request completes at once). Requests are independent: there is no ordering
    // between them. A Flush makes durable every write that completed before it was submitted.
    virtual void submit(BlockRequest req, BlockCompletion done) = 0;

    // Waits until every submitted request has completed and its completion has returned
    // (used before reset, save and shutdown). Requests submitted meanwhile are waited for too.
    virtual void drain() = 0;
};

struct BlockOpenOptions {
    bool read_only = false;
    // Bypass the host page cache (O_DIRECT). Backends that cannot honour it fail to open.
    bool direct = false;
    unsigned threads = 4; // worker threads for backends that do blocking I/O (0 means 1)
};

// Opens `path` as a disk of the given format: "raw" (a regular file or a block device). Any other
// format is refused (ConfigUnsupported) with an error naming the format and the path.
Result<std::unique_ptr<BlockBackend>> open_block_backend(const std::string& path,
                                                         const std::string& format,
                                                         const BlockOpenOptions& options);

} // namespace virtd::storage
