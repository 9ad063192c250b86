#include "drivers/pv/virtio/blk.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/log.h"

namespace virtd::pv::virtio {
namespace {

// Feature bits (virtio 1.2 §5.2.3).
constexpr unsigned kSegMax = 2, kReadOnly = 5, kBlkSize = 6, kFlush = 9, kTopology = 10,
                   kDiscard = 13, kWriteZeroes = 14;
// Request types and status values (§5.2.6).
constexpr uint32_t kIn = 0, kOut = 1, kFlushReq = 4, kGetId = 8, kDiscardReq = 11,
                   kWriteZeroesReq = 13;
constexpr uint8_t kOk = 0, kIoErr = 1, kUnsupp = 2;
constexpr uint32_t kSector = 512;
constexpr uint32_t kHeaderBytes = 16;
constexpr uint32_t kSegmentBytes = 16;
// Discard and write-zeroes limits told to the driver: 2 GiB and one range per request, which
// keeps each request one backend call.
constexpr uint32_t kMaxRangeSectors = 1u << 22;

void put(std::vector<uint8_t>& c, size_t at, uint64_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i)
        c[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Copies `len` bytes starting `skip` bytes into the buffers.
bool gather(const std::vector<VirtqBuffer>& bufs, uint64_t skip, void* out, uint64_t len) {
    auto* dst = static_cast<uint8_t*>(out);
    for (const VirtqBuffer& b : bufs) {
        if (len == 0) break;
        if (skip >= b.len) {
            skip -= b.len;
            continue;
        }
        uint64_t n = std::min<uint64_t>(b.len - skip, len);
        std::memcpy(dst, b.host + skip, n);
        dst += n;
        len -= n;
        skip = 0;
    }
    return len == 0;
}

// The buffers from byte `skip` on, up to `len` bytes, as iovecs.
std::vector<iovec> slice(const std::vector<VirtqBuffer>& bufs, uint64_t skip, uint64_t len) {
    std::vector<iovec> out;
    for (const VirtqBuffer& b : bufs) {
        if (len == 0) break;
        if (skip >= b.len) {
            skip -= b.len;
            continue;
        }
        uint64_t n = std::min<uint64_t>(b.len - skip, len);
        out.push_back({b.host + skip, n});
        len -= n;
        skip = 0;
    }
    return out;
}

} // namespace

// One guest request between its chain being popped and its return to the driver.
struct VirtioBlk::Request {
    VirtqChain chain;
    uint8_t* status = nullptr; // the last writable byte
    uint32_t written = 0;      // what the used ring reports, status byte included
    uint32_t type = 0;
    uint64_t bytes = 0;
    std::atomic<unsigned> pending{0}; // backend requests not completed yet
    std::atomic<uint8_t> result{kOk};
};

VirtioBlk::VirtioBlk(GuestRam& ram, std::unique_ptr<storage::BlockBackend> backend,
                     std::string serial)
    : backend_(std::move(backend))
    , serial_(std::move(serial))
    , config_(60, 0)
    , queue_(ram, 0)
    , worker_("virtio-blk") {
    const storage::BlockInfo& info = backend_->info();
    uint32_t lbs = std::max(info.logical_block_size, kSector);
    uint32_t pbs = std::max(info.physical_block_size, lbs);
    put(config_, 0, info.size_bytes / kSector, 8);    // capacity
    put(config_, 12, kQueueSize - 2, 4);              // seg_max
    put(config_, 20, lbs, 4);                         // blk_size
    put(config_, 24, std::countr_zero(pbs / lbs), 1); // physical_block_exp
    put(config_, 26, lbs / kSector, 2);               // min_io_size
    put(config_, 34, 1, 2);                           // num_queues
    put(config_, 36, kMaxRangeSectors, 4);            // max_discard_sectors
    put(config_, 40, 1, 4);                           // max_discard_seg
    put(config_, 44, lbs / kSector, 4);               // discard alignment
    put(config_, 48, kMaxRangeSectors, 4);            // max_write_zeroes_sectors
    put(config_, 52, 1, 4);                           // max_write_zeroes_seg
    put(config_, 56, 1, 1);                           // write_zeroes_may_unmap
}

VirtioBlk::~VirtioBlk() {
    stop();
}

uint64_t VirtioBlk::features() const {
    const storage::BlockInfo& info = backend_->info();
    uint64_t f = (1ULL << kFeatureIndirectDesc) | (1ULL << kFeatureEventIdx) | (1ULL << kSegMax) |
                 (1ULL << kBlkSize) | (1ULL << kFlush) | (1ULL << kTopology);
    if (info.read_only) {
        f |= 1ULL << kReadOnly;
    } else {
        f |= 1ULL << kWriteZeroes;
        if (info.discard) f |= 1ULL << kDiscard;
    }
    return f;
}

uint64_t VirtioBlk::read_config(uint64_t offset, unsigned size) {
    uint64_t v = 0;
    for (unsigned i = 0; i < size && offset + i < config_.size(); ++i)
        v |= uint64_t{config_[offset + i]} << (8 * i);
    return v;
}

BlockCounters VirtioBlk::counters() const {
    BlockCounters c;
    c.rd_req = counters_.rd_req;
    c.rd_bytes = counters_.rd_bytes;
    c.wr_req = counters_.wr_req;
    c.wr_bytes = counters_.wr_bytes;
    c.flush_req = counters_.flush_req;
    c.discard_req = counters_.discard_req;
    c.errors = counters_.errors;
    return c;
}

Status VirtioBlk::activate(uint64_t features, std::span<const QueueConfig> queues,
                           VirtioSignals& signals) {
    stop();
    broken_ = false;
    signals_ = &signals;
    for (const QueueConfig& q : queues) {
        if (q.index != 0) continue;
        VirtqConfig c{q.size, q.desc, q.driver, q.device, features};
        if (Status s = queue_.enable(c); !s) return s;
    }
    if (!queue_.enabled()) return {};
    return worker_.start([this] { serve(); });
}

void VirtioBlk::notify(unsigned /*queue*/) {
    worker_.kick();
}

void VirtioBlk::reset() {
    stop();
    signals_ = nullptr;
    broken_ = false;
}

void VirtioBlk::stop() {
    worker_.stop();
    // Requests in flight write into guest memory: wait for them before the driver reuses it.
    backend_->drain();
    std::vector<Request*> stale;
    {
        std::lock_guard lock(done_mu_);
        stale.swap(done_);
    }
    for (Request* r : stale)
        delete r;
    queue_.disable();
}

void VirtioBlk::broken(const Error& e) {
    log::warning("virtio", "virtio-blk {}: {}; the device needs a reset",
                 backend_->info().description, e.message());
    broken_ = true;
    signals_->needs_reset();
}

void VirtioBlk::serve() {
    while (!broken_) {
        queue_.disable_notifications();
        for (;;) {
            Result<std::optional<VirtqChain>> next = queue_.pop();
            if (!next) {
                broken(next.error());
                break;
            }
            if (!next->has_value()) break;
            if (!start(std::move(**next))) break;
        }
        if (broken_ || !queue_.enable_notifications()) break;
    }
    complete_done();
}

bool VirtioBlk::start(VirtqChain&& chain) {
    uint32_t hdr[4];
    if (chain.readable_len < kHeaderBytes || chain.writable_len < 1) {
        broken(make_error(ErrorCode::InternalError, ErrorDomain::Device,
                          "request {} has no 16-byte header or no status byte", chain.head));
        return false;
    }
    gather(chain.readable, 0, hdr, kHeaderBytes);
    auto* r = new Request;
    r->chain = std::move(chain);
    r->type = hdr[0];
    uint64_t sector = hdr[2] | (uint64_t{hdr[3]} << 32);
    VirtqBuffer& last = r->chain.writable.back();
    r->status = last.host + last.len - 1;
    uint64_t data_in = r->chain.writable_len - 1;             // room for read data or the id
    uint64_t data_out = r->chain.readable_len - kHeaderBytes; // write data or ranges
    r->written = 1;

    storage::BlockRequest req;
    auto submit = [this, r](storage::BlockRequest&& q) {
        backend_->submit(std::move(q), [this, r](const Status& s) {
            if (!s) {
                uint8_t code = s.error().code() == ErrorCode::NoSupport ? kUnsupp : kIoErr;
                r->result.store(code);
            }
            if (r->pending.fetch_sub(1) == 1) {
                std::lock_guard lock(done_mu_);
                done_.push_back(r);
                worker_.kick();
            }
        });
    };
    switch (r->type) {
    case kIn:
    case kOut: {
        bool in = r->type == kIn;
        uint64_t len = in ? data_in : data_out;
        if (len % kSector != 0 || sector > UINT64_MAX / kSector) {
            finish(*r, kIoErr);
            return true;
        }
        r->bytes = len;
        if (in) r->written = static_cast<uint32_t>(len + 1);
        req.op = in ? storage::BlockOp::Read : storage::BlockOp::Write;
        req.offset = sector * kSector;
        req.iov =
            in ? slice(r->chain.writable, 0, len) : slice(r->chain.readable, kHeaderBytes, len);
        break;
    }
    case kFlushReq:
        req.op = storage::BlockOp::Flush;
        break;
    case kGetId: {
        uint64_t n = std::min<uint64_t>(data_in, kSerialBytes);
        uint8_t id[kSerialBytes] = {};
        std::memcpy(id, serial_.data(), std::min(serial_.size(), kSerialBytes));
        uint64_t done = 0;
        for (const VirtqBuffer& b : r->chain.writable) {
            uint64_t k = std::min<uint64_t>(b.len, n - done);
            std::memcpy(b.host, id + done, k);
            done += k;
            if (done == n) break;
        }
        r->written = static_cast<uint32_t>(n + 1);
        finish(*r, kOk);
        return true;
    }
    case kDiscardReq:
    case kWriteZeroesReq: {
        // One range (max_discard_seg = max_write_zeroes_seg = 1): {le64 sector, le32 sectors,
        // le32 flags (bit 0: unmap)}.
        uint32_t seg[4];
        if (data_out != kSegmentBytes || !gather(r->chain.readable, kHeaderBytes, seg, 16)) {
            finish(*r, kUnsupp);
            return true;
        }
        uint64_t start = seg[0] | (uint64_t{seg[1]} << 32);
        bool unmap = seg[3] & 1;
        if ((seg[3] & ~1u) != 0 || (r->type == kDiscardReq && unmap) ||
            start > UINT64_MAX / kSector) {
            finish(*r, kUnsupp);
            return true;
        }
        req.op = r->type == kDiscardReq ? storage::BlockOp::Discard : storage::BlockOp::WriteZeroes;
        req.offset = start * kSector;
        req.length = uint64_t{seg[2]} * kSector;
        req.may_unmap = unmap;
        r->bytes = req.length;
        break;
    }
    default:
        finish(*r, kUnsupp);
        return true;
    }
    r->pending = 1;
    submit(std::move(req));
    return true;
}

void VirtioBlk::finish(Request& r, uint8_t status) {
    *r.status = status;
    switch (r.type) {
    case kIn:
        ++counters_.rd_req;
        if (status == kOk) counters_.rd_bytes += r.bytes;
        break;
    case kOut:
        ++counters_.wr_req;
        if (status == kOk) counters_.wr_bytes += r.bytes;
        break;
    case kFlushReq:
        ++counters_.flush_req;
        break;
    case kDiscardReq:
    case kWriteZeroesReq:
        ++counters_.discard_req;
        break;
    default:
        break;
    }
    if (status != kOk) ++counters_.errors;
    // A failed read reports only the status byte as written.
    uint32_t written = status == kOk ? r.written : 1;
    queue_.mark_written(r.chain, r.chain.writable_len); // status byte and whatever was read
    if (Status s = queue_.push(r.chain.head, written); !s) broken(s.error());
    delete &r;
}

void VirtioBlk::complete_done() {
    for (;;) {
        std::vector<Request*> done;
        {
            std::lock_guard lock(done_mu_);
            done.swap(done_);
        }
        if (done.empty()) break;
        for (Request* r : done)
            finish(*r, r->result.load());
    }
    if (signals_ != nullptr && queue_.needs_interrupt()) signals_->used_buffers();
}

} // namespace virtd::pv::virtio
