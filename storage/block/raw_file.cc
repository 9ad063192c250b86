#include "storage/block/raw_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "storage/block/iovec_util.h"

namespace virtd::storage {
namespace {

constexpr std::string_view kLog = "storage.raw";
constexpr uint64_t kSector = 512;
// Largest single buffer used for bounces and for writing zeros, so one request cannot make the
// process allocate as much memory as the guest asked to move.
constexpr size_t kChunk = 1 << 20;

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeDeleter>;

AlignedBuffer alloc_aligned(size_t align, size_t size) {
    // aligned_alloc wants the size to be a multiple of the alignment.
    const size_t rounded = (size + align - 1) / align * align;
    return AlignedBuffer(static_cast<char*>(std::aligned_alloc(align, rounded)));
}

bool aligned(uint64_t value, size_t align) {
    return value % align == 0;
}

bool is_unsupported(int err) {
    return err == EOPNOTSUPP || err == ENOTTY || err == ENOSYS;
}

int open_fd(const std::string& path, int flags) {
    int fd;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

bool power_of_two(uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

} // namespace

Result<std::unique_ptr<RawFileBackend>> RawFileBackend::open(const std::string& path,
                                                             const BlockOpenOptions& options) {
    const int access = options.read_only ? O_RDONLY : O_RDWR;
    UniqueFd fd(open_fd(path, access | (options.direct ? O_DIRECT : 0)));
    if (!fd) {
        const int err = errno;
        if (options.direct && err == EINVAL) {
            return system_error(ErrorDomain::Storage, err,
                                fmt::format("cannot open raw disk '{}' with O_DIRECT (the "
                                            "filesystem refuses direct I/O)",
                                            path));
        }
        return system_error(ErrorDomain::Storage, err,
                            fmt::format("cannot open raw disk '{}'", path));
    }

    struct stat st {};
    if (::fstat(fd.get(), &st) < 0)
        return system_error(ErrorDomain::Storage, errno, fmt::format("cannot stat '{}'", path));

    BlockInfo info;
    info.read_only = options.read_only;
    info.discard = true;
    info.write_zeroes = true;
    const bool block_device = S_ISBLK(st.st_mode);
    if (block_device) {
        uint64_t size = 0;
        if (::ioctl(fd.get(), BLKGETSIZE64, &size) < 0) {
            return system_error(ErrorDomain::Storage, errno,
                                fmt::format("cannot get the size of block device '{}'", path));
        }
        int logical = 0;
        unsigned int physical = 0;
        if (::ioctl(fd.get(), BLKSSZGET, &logical) == 0 && logical > 0 &&
            power_of_two(static_cast<uint64_t>(logical)))
            info.logical_block_size = static_cast<uint32_t>(logical);
        if (::ioctl(fd.get(), BLKPBSZGET, &physical) == 0 && power_of_two(physical))
            info.physical_block_size = physical;
        info.size_bytes = size;
        info.description = fmt::format("raw block device '{}'", path);
    } else if (S_ISREG(st.st_mode)) {
        const auto size = static_cast<uint64_t>(st.st_size);
        info.size_bytes = (size + kSector - 1) / kSector * kSector;
        if (power_of_two(static_cast<uint64_t>(st.st_blksize)) && st.st_blksize >= 512)
            info.physical_block_size = static_cast<uint32_t>(st.st_blksize);
        info.description = fmt::format("raw file '{}'", path);
    } else {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Storage,
                          "cannot use '{}' as a raw disk: it is neither a regular file nor a "
                          "block device",
                          path);
    }
    info.physical_block_size = std::max(info.physical_block_size, info.logical_block_size);

    UniqueFd buffered;
    size_t mem_align = info.logical_block_size;
    size_t offset_align = info.logical_block_size;
    if (options.direct) {
        buffered.reset(open_fd(path, access));
        if (!buffered) {
            return system_error(ErrorDomain::Storage, errno,
                                fmt::format("cannot open raw disk '{}'", path));
        }
        // The kernel knows the real requirements (Linux 6.1+); without it the logical block
        // size is the usual one, and a refusal still falls back to the buffered descriptor.
        struct statx stx {};
        if (::statx(fd.get(), "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
            (stx.stx_mask & STATX_DIOALIGN) != 0 && power_of_two(stx.stx_dio_mem_align) &&
            power_of_two(stx.stx_dio_offset_align)) {
            mem_align = stx.stx_dio_mem_align;
            offset_align = stx.stx_dio_offset_align;
        }
    }
    log::debug(kLog, "opened {}: {} bytes, blocks {}/{}, {}{}", info.description, info.size_bytes,
               info.logical_block_size, info.physical_block_size,
               info.read_only ? "read-only" : "read-write", options.direct ? ", O_DIRECT" : "");
    return std::unique_ptr<RawFileBackend>(
        new RawFileBackend(std::move(info), block_device, std::move(fd), std::move(buffered),
                           mem_align, offset_align, options.threads));
}

RawFileBackend::RawFileBackend(BlockInfo info, bool block_device, UniqueFd fd, UniqueFd buffered_fd,
                               size_t dio_mem_align, size_t dio_offset_align, unsigned threads)
    : info_(std::move(info))
    , block_device_(block_device)
    , fd_(std::move(fd))
    , buffered_fd_(std::move(buffered_fd))
    , dio_mem_align_(dio_mem_align)
    , dio_offset_align_(dio_offset_align)
    , pool_(threads == 0 ? 1 : threads) {}

RawFileBackend::~RawFileBackend() {
    drain();
}

void RawFileBackend::drain() {
    inflight_.wait_idle();
}

void RawFileBackend::submit(BlockRequest req, BlockCompletion done) {
    if (Status valid = validate_request(info_, req); !valid) {
        done(std::move(valid));
        return;
    }
    inflight_.begin();
    pool_.submit([this, req = std::move(req), done = std::move(done)]() mutable {
        done(execute(req));
        // Release what the request holds before the backend may be destroyed by a drainer.
        done = nullptr;
        inflight_.end();
    });
}

Status RawFileBackend::execute(const BlockRequest& req) {
    switch (req.op) {
    case BlockOp::Read:
    case BlockOp::Write:
        return read_write(req.op, req.offset, req.iov);
    case BlockOp::Flush:
        if (info_.read_only) return {}; // nothing of ours can be dirty
        while (::fdatasync(fd_.get()) < 0) {
            if (errno != EINTR) return io_error(BlockOp::Flush, 0, 0, errno);
        }
        return {};
    case BlockOp::Discard:
        return discard(req.offset, req.length);
    case BlockOp::WriteZeroes:
        return write_zeroes(req.offset, req.length, req.may_unmap);
    }
    return make_error(ErrorCode::NoSupport, ErrorDomain::Storage, "unknown request on {}",
                      info_.description);
}

Status RawFileBackend::read_write(BlockOp op, uint64_t offset, const std::vector<iovec>& iov) {
    if (!buffered_fd_) return transfer(op, offset, iov, fd_.get(), false);

    const uint64_t bytes = iov_total(iov);
    if (!aligned(offset, dio_offset_align_) || !aligned(bytes, dio_offset_align_))
        return transfer(op, offset, iov, buffered_fd_.get(), false);
    if (iov_aligned(iov, dio_mem_align_, dio_offset_align_))
        return transfer(op, offset, iov, fd_.get(), true);
    return bounce(op, offset, iov, bytes);
}

Status RawFileBackend::transfer(BlockOp op, uint64_t offset, std::vector<iovec> iov, int fd,
                                bool direct) {
    const bool write = op == BlockOp::Write;
    while (!iov.empty()) {
        const int count = static_cast<int>(std::min<size_t>(iov.size(), IOV_MAX));
        const uint64_t want = iov_total({iov.data(), static_cast<size_t>(count)});
        const ssize_t n = write ? ::pwritev(fd, iov.data(), count, static_cast<off_t>(offset))
                                : ::preadv(fd, iov.data(), count, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EINVAL && direct) {
                // The kernel's alignment rules were stricter than statx said; take the page cache.
                fd = buffered_fd_.get();
                direct = false;
                continue;
            }
            return io_error(op, offset, iov_total(iov), errno);
        }
        if (n == 0) {
            if (!write) {
                iov_zero(iov); // end of file: the rest of the disk reads as zeros
                return {};
            }
            return io_error(op, offset, iov_total(iov), EIO);
        }
        // A short direct transfer leaves an unaligned remainder (end of file, usually).
        if (direct && static_cast<uint64_t>(n) < want) {
            fd = buffered_fd_.get();
            direct = false;
        }
        offset += static_cast<uint64_t>(n);
        iov_advance(iov, static_cast<size_t>(n));
    }
    return {};
}

Status RawFileBackend::bounce(BlockOp op, uint64_t offset, const std::vector<iovec>& iov,
                              uint64_t bytes) {
    // kChunk is a multiple of any sane direct I/O alignment, so every chunk stays aligned.
    const size_t chunk = std::max<size_t>(kChunk, dio_offset_align_);
    AlignedBuffer buf = alloc_aligned(std::max(dio_mem_align_, dio_offset_align_),
                                      static_cast<size_t>(std::min<uint64_t>(bytes, chunk)));
    if (!buf) return io_error(op, offset, bytes, ENOMEM);

    std::vector<iovec> rest = iov;
    uint64_t done = 0;
    while (done < bytes) {
        const auto n = static_cast<size_t>(std::min<uint64_t>(bytes - done, chunk));
        if (op == BlockOp::Write) iov_to_buffer(rest, buf.get(), n);
        if (Status st = transfer(op, offset + done, {iovec{buf.get(), n}}, fd_.get(), true); !st)
            return st;
        if (op == BlockOp::Read) iov_from_buffer(rest, buf.get(), n);
        iov_advance(rest, n);
        done += n;
    }
    return {};
}

Status RawFileBackend::discard(uint64_t offset, uint64_t length) {
    if (length == 0 || !discard_supported_.load(std::memory_order_relaxed)) return {};
    int rc;
    if (block_device_) {
        uint64_t range[2] = {offset, length};
        rc = ::ioctl(fd_.get(), BLKDISCARD, range);
    } else {
        rc = ::fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                         static_cast<off_t>(offset), static_cast<off_t>(length));
    }
    if (rc == 0) return {};
    const int err = errno;
    if (is_unsupported(err)) {
        log::debug(kLog, "{} does not support discard; discards are ignored", info_.description);
        discard_supported_.store(false, std::memory_order_relaxed);
        return {};
    }
    return io_error(BlockOp::Discard, offset, length, err);
}

Status RawFileBackend::write_zeroes(uint64_t offset, uint64_t length, bool may_unmap) {
    if (length == 0) return {};
    if (fallocate_zero_supported_.load(std::memory_order_relaxed)) {
        // A punched hole reads back as zeros and frees the space, which is what unmap allows.
        // Block devices need KEEP_SIZE for both modes.
        const int modes[] = {FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                             FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE};
        for (int mode : modes) {
            if ((mode & FALLOC_FL_PUNCH_HOLE) != 0 && !may_unmap) continue;
            if (::fallocate(fd_.get(), mode, static_cast<off_t>(offset),
                            static_cast<off_t>(length)) == 0)
                return {};
            const int err = errno;
            // EINVAL: a block device refusing an unaligned range; zeros can still be written.
            if (!is_unsupported(err) && err != EINVAL)
                return io_error(BlockOp::WriteZeroes, offset, length, err);
            if (is_unsupported(err) && (mode & FALLOC_FL_ZERO_RANGE) != 0)
                fallocate_zero_supported_.store(false, std::memory_order_relaxed);
        }
    }
    return write_zero_buffers(offset, length);
}

Status RawFileBackend::write_zero_buffers(uint64_t offset, uint64_t length) {
    const size_t size = static_cast<size_t>(std::min<uint64_t>(length, kChunk));
    AlignedBuffer zeros = alloc_aligned(std::max<size_t>(dio_mem_align_, 4096), size);
    if (!zeros) return io_error(BlockOp::WriteZeroes, offset, length, ENOMEM);
    std::memset(zeros.get(), 0, size);
    for (uint64_t done = 0; done < length;) {
        const auto n = static_cast<size_t>(std::min<uint64_t>(length - done, size));
        if (Status st = read_write(BlockOp::Write, offset + done, {iovec{zeros.get(), n}}); !st)
            return st;
        done += n;
    }
    return {};
}

Error RawFileBackend::io_error(BlockOp op, uint64_t offset, uint64_t bytes, int err) const {
    if (op == BlockOp::Flush)
        return system_error(ErrorDomain::Storage, err,
                            fmt::format("flush of {}", info_.description));
    return system_error(ErrorDomain::Storage, err,
                        fmt::format("{} of {} bytes at offset {} on {}", block_op_name(op), bytes,
                                    offset, info_.description));
}

} // namespace virtd::storage
