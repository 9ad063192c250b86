#include "drivers/pv/virtio/virtqueue.h"

#include <bit>
#include <cstring>

#include "drivers/pv/virtio/device.h"

namespace virtd::pv::virtio {
namespace {

static_assert(std::endian::native == std::endian::little,
              "virtio rings are little-endian; this host reads them in place");

constexpr uint16_t kDescNext = 1, kDescWrite = 2, kDescIndirect = 4;
constexpr uint16_t kAvailNoInterrupt = 1;
constexpr uint16_t kUsedNoNotify = 1;
constexpr uint64_t kDescSize = 16;

// A descriptor as the guest wrote it (virtio 1.2 §2.7.5).
struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

// The guest changes the rings under us: every field is read once, with one load.
Desc load_desc(const uint8_t* p) {
    Desc d{};
    std::memcpy(&d, p, sizeof d);
    return d;
}

uint16_t load16(const uint8_t* p) {
    return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_RELAXED);
}

void store16(uint8_t* p, uint16_t v) {
    __atomic_store_n(reinterpret_cast<uint16_t*>(p), v, __ATOMIC_RELAXED);
}

} // namespace

Virtqueue::Virtqueue(GuestRam& ram, unsigned index)
    : ram_(ram)
    , index_(index) {}

Error Virtqueue::bad(const char* what, uint64_t a, uint64_t b) const {
    return make_error(ErrorCode::InternalError, ErrorDomain::Device,
                      "virtqueue {}: {} (0x{:x}, 0x{:x})", index_, what, a, b);
}

Status Virtqueue::enable(const VirtqConfig& c) {
    disable();
    if (c.size == 0 || c.size > kMaxSize || !std::has_single_bit(c.size))
        return bad("size is not a power of two up to 32768", c.size);
    if (c.desc % 16 != 0 || c.avail % 2 != 0 || c.used % 4 != 0)
        return bad("a ring part is misaligned", c.desc, c.used);
    uint64_t desc_len = kDescSize * c.size;
    uint64_t avail_len = 6 + 2ull * c.size;
    uint64_t used_len = 6 + 8ull * c.size;
    const uint8_t* desc = ram_.host(c.desc, desc_len);
    uint8_t* avail = ram_.host(c.avail, avail_len);
    uint8_t* used = ram_.host(c.used, used_len);
    if (desc == nullptr) return bad("descriptor table outside guest RAM", c.desc, desc_len);
    if (avail == nullptr) return bad("available ring outside guest RAM", c.avail, avail_len);
    if (used == nullptr) return bad("used ring outside guest RAM", c.used, used_len);
    desc_ = desc;
    avail_ = avail;
    used_ = used;
    used_gpa_ = c.used;
    size_ = c.size;
    indirect_ = (c.features >> kFeatureIndirectDesc) & 1;
    event_idx_ = (c.features >> kFeatureEventIdx) & 1;
    last_avail_ = used_idx_ = signalled_used_ = 0;
    notifications_off_ = false;
    return {};
}

void Virtqueue::disable() {
    size_ = 0;
    desc_ = nullptr;
    avail_ = used_ = nullptr;
}

void Virtqueue::set_positions(uint16_t next_avail, uint16_t next_used) {
    last_avail_ = next_avail;
    used_idx_ = signalled_used_ = next_used;
}

VirtqState Virtqueue::state() const {
    return VirtqState{last_avail_, used_idx_, signalled_used_, notifications_off_};
}

void Virtqueue::set_state(const VirtqState& s) {
    last_avail_ = s.next_avail;
    used_idx_ = s.next_used;
    signalled_used_ = s.signalled_used;
    notifications_off_ = s.notifications_off;
}

Result<VirtqChain> Virtqueue::chain_at(uint16_t head) const {
    if (size_ == 0) return bad("a held chain on a disabled queue", head);
    if (head >= size_) return bad("a held chain names a descriptor past the table", head);
    return walk(head);
}

Status Virtqueue::add_buffer(VirtqChain& chain, uint64_t addr, uint32_t len, bool writable,
                             unsigned& count) const {
    if (++count > kMaxChainBuffers) return bad("chain is longer than 1024 buffers", chain.head);
    if (len == 0) return {}; // carries nothing; Linux never builds one, but it is harmless
    uint8_t* host = ram_.host(addr, len);
    if (host == nullptr) return bad("buffer outside guest RAM", addr, len);
    if (writable) {
        chain.writable.push_back({host, addr, len});
        chain.writable_len += len;
    } else {
        // The device reads the request first, then writes the answer (§2.7.4.2).
        if (!chain.writable.empty())
            return bad("device-readable buffer after a device-writable one", chain.head);
        chain.readable.push_back({host, addr, len});
        chain.readable_len += len;
    }
    return {};
}

Status Virtqueue::walk_indirect(VirtqChain& chain, uint64_t addr, uint32_t len,
                                unsigned& count) const {
    if (!indirect_) return bad("indirect descriptor without VIRTIO_F_INDIRECT_DESC", addr);
    if (len == 0 || len % kDescSize != 0 || len / kDescSize > kMaxChainBuffers)
        return bad("indirect table length is not a multiple of 16 up to 1024 entries", addr, len);
    const uint8_t* table = ram_.host(addr, len);
    if (table == nullptr) return bad("indirect table outside guest RAM", addr, len);
    uint32_t entries = len / kDescSize;
    // Walking at most `entries` steps makes a loop in the table an error, not a hang.
    uint32_t i = 0;
    for (uint32_t steps = 0;; ++steps) {
        if (steps == entries) return bad("indirect table has a loop", addr, i);
        Desc d = load_desc(table + kDescSize * i);
        if (d.flags & kDescIndirect) return bad("indirect table inside an indirect table", addr);
        if (Status s = add_buffer(chain, d.addr, d.len, d.flags & kDescWrite, count); !s) return s;
        if (!(d.flags & kDescNext)) return {};
        if (d.next >= entries) return bad("indirect next index out of the table", d.next, entries);
        i = d.next;
    }
}

Result<VirtqChain> Virtqueue::walk(uint16_t head) const {
    VirtqChain chain;
    chain.head = head;
    unsigned count = 0;
    uint16_t i = head;
    for (unsigned steps = 0;; ++steps) {
        if (steps == size_) return bad("descriptor chain has a loop", head);
        Desc d = load_desc(desc_ + kDescSize * i);
        if (d.flags & kDescIndirect) {
            // An indirect descriptor is the whole chain (§2.7.5.3.1).
            if (d.flags & kDescNext) return bad("indirect descriptor with NEXT set", i);
            if (Status s = walk_indirect(chain, d.addr, d.len, count); !s) return s.error();
            break;
        }
        if (Status s = add_buffer(chain, d.addr, d.len, d.flags & kDescWrite, count); !s)
            return s.error();
        if (!(d.flags & kDescNext)) break;
        if (d.next >= size_) return bad("next names a descriptor past the table", i, d.next);
        i = d.next;
    }
    if (chain.readable_len + chain.writable_len > UINT32_MAX)
        return bad("chain holds more than 4 GiB", head);
    return chain;
}

Result<std::optional<VirtqChain>> Virtqueue::pop() {
    if (size_ == 0) return std::optional<VirtqChain>();
    // Acquire: the ring entry and descriptors the driver wrote before bumping idx are visible.
    uint16_t avail_idx =
        __atomic_load_n(reinterpret_cast<const uint16_t*>(avail_ + 2), __ATOMIC_ACQUIRE);
    uint16_t pending = static_cast<uint16_t>(avail_idx - last_avail_);
    if (pending == 0) return std::optional<VirtqChain>();
    if (pending > size_) return bad("available index ran more than a queue ahead", avail_idx);
    uint16_t head = load16(avail_ + 4 + size_t{2} * (last_avail_ & (size_ - 1)));
    if (head >= size_) return bad("available ring names a descriptor past the table", head);
    ++last_avail_;
    Result<VirtqChain> chain = walk(head);
    if (!chain) return chain.error();
    if (event_idx_ && !notifications_off_) {
        // Keep avail_event current so the driver notifies only past what we have seen.
        store16(used_ + 4 + size_t{8} * size_, last_avail_);
        ram_.mark_dirty(used_gpa_ + 4 + size_t{8} * size_, 2);
    }
    return std::optional<VirtqChain>(std::move(*chain));
}

Status Virtqueue::push(uint16_t head, uint32_t written) {
    if (size_ == 0) return bad("push on a disabled queue", head);
    if (head >= size_) return bad("push of a descriptor past the table", head);
    uint32_t slot = used_idx_ & (size_ - 1);
    uint8_t* entry = used_ + 4 + size_t{8} * slot;
    uint32_t id = head;
    std::memcpy(entry, &id, 4);
    std::memcpy(entry + 4, &written, 4);
    ++used_idx_;
    // Release: the entry (and the data in the buffers) is visible before the new index.
    __atomic_store_n(reinterpret_cast<uint16_t*>(used_ + 2), used_idx_, __ATOMIC_RELEASE);
    ram_.mark_dirty(used_gpa_ + 4 + size_t{8} * slot, 8);
    ram_.mark_dirty(used_gpa_ + 2, 2);
    return {};
}

void Virtqueue::mark_written(const VirtqChain& chain, uint64_t written) {
    for (const VirtqBuffer& b : chain.writable) {
        if (written == 0) break;
        uint64_t n = b.len < written ? b.len : written;
        ram_.mark_dirty(b.gpa, n);
        written -= n;
    }
}

bool Virtqueue::needs_interrupt() {
    if (size_ == 0 || used_idx_ == signalled_used_) return false;
    // The used index store must be visible before reading what the driver asks for, or an
    // interrupt the driver waits for can be lost.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t old = signalled_used_;
    signalled_used_ = used_idx_;
    if (!event_idx_) return !(load16(avail_) & kAvailNoInterrupt);
    uint16_t event = load16(avail_ + 4 + size_t{2} * size_);
    return static_cast<uint16_t>(used_idx_ - event - 1) < static_cast<uint16_t>(used_idx_ - old);
}

bool Virtqueue::enable_notifications() {
    if (size_ == 0) return false;
    notifications_off_ = false;
    if (event_idx_) {
        store16(used_ + 4 + size_t{8} * size_, last_avail_);
        ram_.mark_dirty(used_gpa_ + 4 + size_t{8} * size_, 2);
    } else {
        store16(used_, load16(used_) & ~kUsedNoNotify);
        ram_.mark_dirty(used_gpa_, 2);
    }
    // Publish before looking again: a driver that added buffers before seeing the change did
    // not notify, so they are found here.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(reinterpret_cast<const uint16_t*>(avail_ + 2), __ATOMIC_ACQUIRE) !=
           last_avail_;
}

void Virtqueue::disable_notifications() {
    if (size_ == 0 || notifications_off_) return;
    notifications_off_ = true;
    // With EVENT_IDX, leaving avail_event behind already stops notifications.
    if (!event_idx_) {
        store16(used_, load16(used_) | kUsedNoNotify);
        ram_.mark_dirty(used_gpa_, 2);
    }
}

} // namespace virtd::pv::virtio
