#include "drivers/kvm/accel/hart.h"

#include <thread>

#include "drivers/kvm/accel/block.h"
#include "drivers/kvm/accel/block_compiler.h"

namespace virtd::accel {

Hart::Hart(Vm& vm_ref, uint32_t hart_id)
    : blocks(std::make_unique<BlockCache>())
    , compiler(std::make_unique<BlockCompiler>(*this))
    , vm(vm_ref)
    , id(hart_id) {
    update_tlb_context();
}

Hart::~Hart() = default;

void Hart::post(uint32_t ev) {
    events.fetch_or(ev, std::memory_order_seq_cst);
    std::lock_guard<std::mutex> guard(lock);
    wakeup.notify_all();
}

void Hart::set_pending(uint64_t bit, bool level) {
    uint64_t old = level ? mip.fetch_or(bit) : mip.fetch_and(~bit);
    if (level && !(old & bit)) post(kEvIrq);
}

void Hart::request_sync(uint32_t ev, Hart* self) {
    if (self == this) {
        events.fetch_or(ev);
        handle_sync();
        return;
    }
    // Post before counting the request: a hart that sees the count also sees the event.
    post(ev);
    uint64_t want = sync_req.fetch_add(1) + 1;
    while (sync_ack.load() < want && running_code.load()) {
        if (self != nullptr) self->handle_sync(); // two harts may be flushing each other
        std::this_thread::yield();
    }
}

void Hart::handle_sync() {
    uint64_t req = sync_req.load();
    uint32_t ev = events.fetch_and(~static_cast<uint32_t>(kSyncEvents)) & kSyncEvents;
    if (ev & kEvTlbFlush) tlb.flush();
    if (ev & kEvStoreFlush) tlb.flush_stores();
    if (ev & kEvFenceI) blocks->flush();
    sync_ack.store(req);
}

} // namespace virtd::accel
