// RawFileBackend: a disk whose bytes are the bytes of a host regular file or block device.
//
// Requests run as blocking preadv/pwritev/fallocate/fdatasync calls on a small pool of worker
// threads; completions are called on those threads.
//
// Size: a block device's size (BLKGETSIZE64); a regular file's size rounded up to 512 bytes, as a
// guest can only address whole sectors. Reads past the file's end (the rounding, or a file that
// shrank) yield zeros; writes there extend the file.
//
// O_DIRECT (BlockOpenOptions::direct): requests whose offset and length are aligned for direct
// I/O but whose buffers are not go through an aligned bounce buffer, so they still bypass the
// page cache; requests whose offset or length are not aligned (a 512-byte write on a 4 KiB-sector
// disk) and any the kernel refuses with EINVAL go through a second, buffered descriptor on the
// same file. Linux keeps the two coherent (direct I/O writes back and invalidates cached pages of
// its range) and fdatasync covers both, since it works on the inode.
//
// Discard punches a hole (files) or issues BLKDISCARD (block devices). Discard is a hint, so a
// filesystem or device without support completes it successfully having done nothing.
// WriteZeroes uses fallocate (PUNCH_HOLE when unmapping is allowed, else ZERO_RANGE), falling back
// to writing zeros where fallocate is not supported.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/thread_pool.h"
#include "storage/block/block_backend.h"
#include "storage/block/inflight.h"

namespace virtd::storage {

class RawFileBackend final : public BlockBackend {
public:
    // Opens `path` read-write (O_RDONLY when options.read_only). Fails, naming the path and the
    // errno text, when it cannot be opened, is neither a regular file nor a block device, or the
    // filesystem refuses O_DIRECT.
    static Result<std::unique_ptr<RawFileBackend>> open(const std::string& path,
                                                        const BlockOpenOptions& options);
    ~RawFileBackend() override;
    RawFileBackend(const RawFileBackend&) = delete;
    RawFileBackend& operator=(const RawFileBackend&) = delete;

    const BlockInfo& info() const override { return info_; }
    void submit(BlockRequest req, BlockCompletion done) override;
    void drain() override;

private:
    RawFileBackend(BlockInfo info, bool block_device, UniqueFd fd, UniqueFd buffered_fd,
                   size_t dio_mem_align, size_t dio_offset_align, unsigned threads);

    Status execute(const BlockRequest& req);
    // Read or Write: picks the direct, bounce-buffered or buffered path.
    Status read_write(BlockOp op, uint64_t offset, const std::vector<iovec>& iov);
    // Moves every byte of `iov` at `offset` through `fd`, continuing short transfers; a read that
    // reaches end of file zero-fills the rest. `direct` says `fd` is the O_DIRECT descriptor, so
    // a refusal or an unaligned remainder can continue on the buffered one.
    Status transfer(BlockOp op, uint64_t offset, std::vector<iovec> iov, int fd, bool direct);
    Status bounce(BlockOp op, uint64_t offset, const std::vector<iovec>& iov, uint64_t bytes);
    Status discard(uint64_t offset, uint64_t length);
    Status write_zeroes(uint64_t offset, uint64_t length, bool may_unmap);
    Status write_zero_buffers(uint64_t offset, uint64_t length);
    Error io_error(BlockOp op, uint64_t offset, uint64_t bytes, int err) const;

    BlockInfo info_;
    bool block_device_;
    UniqueFd fd_;          // O_DIRECT when opened with options.direct
    UniqueFd buffered_fd_; // only with options.direct: the page-cache path for unaligned requests
    size_t dio_mem_align_;
    size_t dio_offset_align_;
    // Cleared the first time the kernel says the operation is unsupported, to stop asking.
    std::atomic<bool> discard_supported_{true};
    std::atomic<bool> fallocate_zero_supported_{true};
    Inflight inflight_;
    ThreadPool pool_; // last: destroyed (joined) first, while everything its tasks use still exists
};

} // namespace virtd::storage
