// Virtqueue: the device side of one split virtqueue (virtio 1.2 §2.7): takes descriptor
// chains the driver made available, hands them to the device as host buffers, and returns
// them through the used ring, with indirect descriptors and VIRTIO_F_EVENT_IDX notification
// suppression.
//
// Everything in the rings is written by an untrusted guest, so every chain is checked before a
// device sees it: addresses inside guest RAM, lengths, loops, chain length, indirect tables,
// and that device-readable buffers come before device-writable ones. A bad chain is an error
// the device turns into DEVICE_NEEDS_RESET; nothing outside guest RAM is ever touched.
//
// Thread safety: one thread at a time (the device's worker).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/error.h"
#include "drivers/pv/virtio/guest_ram.h"

namespace virtd::pv::virtio {

// One guest buffer of a chain, already translated.
struct VirtqBuffer {
    uint8_t* host = nullptr;
    uint64_t gpa = 0;
    uint32_t len = 0;
};

// A descriptor chain: the driver's request (readable) and room for the answer (writable).
struct VirtqChain {
    uint16_t head = 0;
    std::vector<VirtqBuffer> readable;
    std::vector<VirtqBuffer> writable;
    uint64_t readable_len = 0;
    uint64_t writable_len = 0;
};

// Where the driver put the queue, and the negotiated features that change how it is used.
struct VirtqConfig {
    uint16_t size = 0;
    uint64_t desc = 0;
    uint64_t avail = 0;
    uint64_t used = 0;
    uint64_t features = 0;
};

// The device side's position in a queue, for save and restore: everything else about a queue
// is in guest RAM or in the transport's registers.
struct VirtqState {
    uint16_t next_avail = 0;
    uint16_t next_used = 0;
    uint16_t signalled_used = 0;
    bool notifications_off = false;
};

class Virtqueue {
public:
    // The most buffers one chain may have, indirect tables included: more than any Linux
    // driver builds (virtio-blk's seg_max plus two), few enough to bound a request's work.
    static constexpr unsigned kMaxChainBuffers = 1024;
    static constexpr uint16_t kMaxSize = 32768;

    // `index` names the queue in errors.
    Virtqueue(GuestRam& ram, unsigned index);

    // Checks the driver's layout (size a power of two, alignment, every part inside RAM) and
    // starts using the queue from index 0.
    Status enable(const VirtqConfig& config);
    void disable();
    bool enabled() const { return size_ != 0; }
    uint16_t size() const { return size_; }

    // The next available chain, nullopt when the driver has made none available, or an error
    // that names the queue, the descriptor and what is wrong with it.
    Result<std::optional<VirtqChain>> pop();
    // Returns a chain to the driver with `written` bytes put in its writable buffers.
    Status push(uint16_t head, uint32_t written);
    // Records in the dirty log the first `written` bytes of the chain's writable buffers.
    void mark_written(const VirtqChain& chain, uint64_t written);

    // Whether the driver wants an interrupt for what was pushed since the last time this said
    // yes (EVENT_IDX's used_event, or the NO_INTERRUPT flag).
    bool needs_interrupt();
    // Asks the driver to notify on new buffers again; true when buffers arrived meanwhile, so
    // the device must keep going instead of waiting for a notification that will not come.
    bool enable_notifications();
    // Tells the driver notifications are not needed while the device is busy with the queue.
    void disable_notifications();

    // Ring positions, for save and restore.
    uint16_t next_avail() const { return last_avail_; }
    uint16_t next_used() const { return used_idx_; }
    void set_positions(uint16_t next_avail, uint16_t next_used);
    VirtqState state() const;
    void set_state(const VirtqState& s);
    // The chain starting at descriptor `head`, checked as pop() checks it: how a restored
    // device gets back the chains it had taken and not yet returned (it saves their heads).
    Result<VirtqChain> chain_at(uint16_t head) const;

private:
    Error bad(const char* what, uint64_t a = 0, uint64_t b = 0) const;
    Status add_buffer(VirtqChain& chain, uint64_t addr, uint32_t len, bool writable,
                      unsigned& count) const;
    Status walk_indirect(VirtqChain& chain, uint64_t addr, uint32_t len, unsigned& count) const;
    Result<VirtqChain> walk(uint16_t head) const;

    GuestRam& ram_;
    const unsigned index_;
    uint16_t size_ = 0;
    bool event_idx_ = false;
    bool indirect_ = false;
    uint64_t used_gpa_ = 0;
    const uint8_t* desc_ = nullptr; // size_ descriptors of 16 bytes
    uint8_t* avail_ = nullptr;      // flags, idx, ring[size_], used_event
    uint8_t* used_ = nullptr;       // flags, idx, ring[size_] of {id, len}, avail_event
    uint16_t last_avail_ = 0;       // the next available entry to take
    uint16_t used_idx_ = 0;         // the next used entry to fill
    uint16_t signalled_used_ = 0;   // used_idx_ when the driver was last interrupted
    bool notifications_off_ = false;
};

} // namespace virtd::pv::virtio
