#include "drivers/pv/virtio/net.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"

namespace virtd::pv::virtio {
namespace {

constexpr const char* kLogModule = "pv.virtio.net";

// Chains served per wake-up before the worker yields to the other direction: a guest that
// keeps the transmitq full must not starve receive, nor a busy backend starve transmit.
constexpr unsigned kTxBudget = 256;
constexpr unsigned kRxBudget = 256;

// Copies `len` bytes to the chain's writable buffers from byte `offset` on.
void copy_to_chain(const VirtqChain& chain, uint64_t offset, const uint8_t* src, uint64_t len) {
    for (const VirtqBuffer& b : chain.writable) {
        if (len == 0) return;
        if (offset >= b.len) {
            offset -= b.len;
            continue;
        }
        uint64_t n = std::min<uint64_t>(b.len - offset, len);
        std::memcpy(b.host + offset, src, n);
        src += n;
        len -= n;
        offset = 0;
    }
}

} // namespace

VirtioNet::VirtioNet(GuestRam& ram, std::unique_ptr<network::NetBackend> backend,
                     const MacAddress& mac)
    : backend_(std::move(backend))
    , description_(backend_->describe())
    , mac_(mac)
    , rxq_(ram, kReceiveQueue)
    , txq_(ram, kTransmitQueue)
    , rx_buf_(kNetHeaderSize + network::kMaxFrameSize)
    , worker_("virtio-net") {}

VirtioNet::~VirtioNet() {
    worker_.stop();
}

uint64_t VirtioNet::features() const {
    return (1ULL << kNetFeatureMac) | (1ULL << kNetFeatureMrgRxbuf) | (1ULL << kNetFeatureStatus) |
           (1ULL << kFeatureIndirectDesc) | (1ULL << kFeatureEventIdx);
}

void VirtioNet::set_link(bool up) {
    std::lock_guard lock(mu_);
    uint16_t want = up ? kNetStatusLinkUp : 0;
    if (status_.exchange(want) == want) return;
    // Before DRIVER_OK the driver reads the status when it starts; no interrupt is due.
    if (signals_ != nullptr) signals_->config_changed();
}

bool VirtioNet::link_up() const {
    return (status_.load() & kNetStatusLinkUp) != 0;
}

NetCounters VirtioNet::counters() const {
    NetCounters c;
    c.rx_packets = stats_.rx_packets.load(std::memory_order_relaxed);
    c.rx_bytes = stats_.rx_bytes.load(std::memory_order_relaxed);
    c.rx_dropped = stats_.rx_dropped.load(std::memory_order_relaxed);
    c.tx_packets = stats_.tx_packets.load(std::memory_order_relaxed);
    c.tx_bytes = stats_.tx_bytes.load(std::memory_order_relaxed);
    c.tx_dropped = stats_.tx_dropped.load(std::memory_order_relaxed);
    return c;
}

uint64_t VirtioNet::read_config(uint64_t offset, unsigned size) {
    // struct virtio_net_config up to status: mac[6], le16 status.
    uint8_t config[8] = {};
    std::memcpy(config, mac_.bytes().data(), 6);
    uint16_t status = status_.load();
    config[6] = static_cast<uint8_t>(status);
    config[7] = static_cast<uint8_t>(status >> 8);
    // Bytes past the status read as zero.
    uint64_t value = 0;
    for (unsigned i = 0; i < size && i < 8; ++i) {
        if (offset < sizeof config && i < sizeof config - offset)
            value |= static_cast<uint64_t>(config[offset + i]) << (8 * i);
    }
    return value;
}

Status VirtioNet::activate(uint64_t features, std::span<const QueueConfig> queues,
                           VirtioSignals& signals) {
    reset();
    mergeable_ = (features & (1ULL << kNetFeatureMrgRxbuf)) != 0;
    for (const QueueConfig& q : queues) {
        VirtqConfig c{q.size, q.desc, q.driver, q.device, features};
        Status s;
        if (q.index == kReceiveQueue) s = rxq_.enable(c);
        if (q.index == kTransmitQueue) s = txq_.enable(c);
        if (!s) {
            rxq_.disable();
            txq_.disable();
            return s;
        }
    }
    {
        std::lock_guard lock(mu_);
        signals_ = &signals;
    }
    if (!rxq_.enabled() && !txq_.enabled()) return {};
    return worker_.start([this] { serve(); }, 1);
}

void VirtioNet::notify(unsigned /*queue*/) {
    worker_.kick();
}

void VirtioNet::reset() {
    worker_.stop();
    rxq_.disable();
    txq_.disable();
    clear_rx_state();
    broken_ = false;
    watching_ = false;
    mergeable_ = false;
    std::lock_guard lock(mu_);
    signals_ = nullptr;
}

void VirtioNet::clear_rx_state() {
    // A frame half-copied into chains the driver took back is lost; the counters say so.
    if (pending_ != 0) stats_.rx_dropped.fetch_add(1, std::memory_order_relaxed);
    pending_ = 0;
    delivered_ = 0;
    spare_.clear();
    filled_.clear();
    filled_buffers_ = 0;
}

void VirtioNet::serve() {
    if (broken_) return;
    serve_tx();
    if (!broken_) serve_rx();
    if (broken_) watch_backend(false);
}

void VirtioNet::fail(const Error& error) {
    log::warning(kLogModule, "{}: {}", description_, error.message());
    broken_ = true;
    signals_->needs_reset();
}

void VirtioNet::backend_failed(const Error& error) {
    // The guest keeps its queues: transmitted frames are dropped, nothing is received.
    log::error(kLogModule, "{}: the backend failed, the NIC is disconnected: {}", description_,
               error.message());
    backend_dead_ = true;
    watch_backend(false);
}

void VirtioNet::watch_backend(bool on) {
    if (on == watching_) return;
    watching_ = on;
    worker_.watch(0, on ? backend_->rx_fd() : -1, POLLIN);
}

void VirtioNet::serve_tx() {
    if (!txq_.enabled()) return;
    for (unsigned served = 0;;) {
        if (served == kTxBudget) {
            worker_.kick(); // come back after receive had its turn
            break;
        }
        Result<std::optional<VirtqChain>> next = txq_.pop();
        if (!next) return fail(next.error());
        if (!next->has_value()) {
            if (txq_.enable_notifications()) continue;
            break;
        }
        ++served;
        const VirtqChain& chain = **next;
        if (!chain.writable.empty() || chain.readable_len < kNetHeaderSize) {
            return fail(make_error(ErrorCode::InternalError, ErrorDomain::None,
                                   "transmit chain {}: {}", chain.head,
                                   chain.writable.empty() ? "shorter than the virtio-net header"
                                                          : "has device-writable buffers"));
        }
        // The frame is what follows the header, which may span several buffers.
        tx_iov_.clear();
        uint64_t skip = kNetHeaderSize;
        for (const VirtqBuffer& b : chain.readable) {
            if (skip >= b.len) {
                skip -= b.len;
                continue;
            }
            tx_iov_.push_back({b.host + skip, b.len - skip});
            skip = 0;
        }
        uint64_t len = chain.readable_len - kNetHeaderSize;
        bool sent = false;
        if (!backend_dead_ && len > 0 && len <= network::kMaxFrameSize) {
            Status s = backend_->send(tx_iov_);
            if (s) {
                sent = true;
            } else {
                backend_failed(s.error());
            }
        }
        if (sent) {
            stats_.tx_packets.fetch_add(1, std::memory_order_relaxed);
            stats_.tx_bytes.fetch_add(len, std::memory_order_relaxed);
        } else {
            stats_.tx_dropped.fetch_add(1, std::memory_order_relaxed);
        }
        if (Status s = txq_.push(chain.head, 0); !s) return fail(s.error());
    }
    if (txq_.needs_interrupt()) signals_->used_buffers();
}

bool VirtioNet::take_chain() {
    if (!spare_.empty()) return true;
    Result<std::optional<VirtqChain>> next = rxq_.pop();
    if (!next) {
        fail(next.error());
        return false;
    }
    if (!next->has_value()) return false;
    VirtqChain& chain = **next;
    if (!chain.readable.empty() || chain.writable_len < kNetHeaderSize) {
        fail(make_error(ErrorCode::InternalError, ErrorDomain::None, "receive chain {}: {}",
                        chain.head,
                        chain.readable.empty() ? "shorter than the virtio-net header"
                                               : "has device-readable buffers"));
        return false;
    }
    spare_.push_back(std::move(chain));
    return true;
}

void VirtioNet::serve_rx() {
    if (!rxq_.enabled()) return;
    for (unsigned frames = 0;;) {
        if (pending_ == 0) {
            if (backend_dead_) break;
            if (!take_chain()) {
                if (broken_) return;
                // Out of buffers: a readable backend would wake the thread for nothing until
                // the driver adds some, and its kick brings the thread back here.
                watch_backend(false);
                if (rxq_.enable_notifications()) continue;
                break;
            }
            if (frames == kRxBudget) break; // still watched: poll wakes the thread at once
            Result<size_t> got = backend_->receive(
                std::span(rx_buf_).subspan(kNetHeaderSize, network::kMaxFrameSize));
            if (!got) {
                backend_failed(got.error());
                break;
            }
            if (*got == 0) {
                // Buffers are waiting for frames: the backend wakes the thread, not the driver.
                watch_backend(true);
                rxq_.disable_notifications();
                break;
            }
            pending_ = static_cast<uint32_t>(kNetHeaderSize + *got);
            delivered_ = 0;
            ++frames;
        }
        Rx r = deliver();
        if (r == Rx::Broken) return;
        if (r == Rx::NeedBuffers) {
            watch_backend(false);
            if (rxq_.enable_notifications()) continue;
            break;
        }
    }
    if (rxq_.needs_interrupt()) signals_->used_buffers();
}

void VirtioNet::recycle_filled() {
    // The chains go back to the spare list; the next frame overwrites what they hold.
    for (Filled& f : filled_)
        spare_.push_back(std::move(f.chain));
    filled_.clear();
    filled_buffers_ = 0;
}

VirtioNet::Rx VirtioNet::deliver() {
    // The header is all zeros (no offloads) but num_buffers.
    std::memset(rx_buf_.data(), 0, kNetHeaderSize);
    if (!mergeable_) {
        if (!take_chain()) return broken_ ? Rx::Broken : Rx::NeedBuffers;
        VirtqChain& chain = spare_.front();
        if (chain.writable_len < pending_) {
            // The frame does not fit the driver's buffers; the chain waits for the next one.
            stats_.rx_dropped.fetch_add(1, std::memory_order_relaxed);
            pending_ = 0;
            return Rx::Done;
        }
        rx_buf_[kNetNumBuffersOffset] = 1;
        copy_to_chain(chain, 0, rx_buf_.data(), pending_);
        filled_.push_back({std::move(chain), pending_});
        spare_.pop_front();
    } else {
        while (delivered_ < pending_) {
            if (!take_chain()) {
                if (broken_) return Rx::Broken;
                // Holding every descriptor of the ring, the frame can never complete: the
                // driver refills only once buffers come back. Drop it and reuse the chains.
                if (filled_buffers_ >= rxq_.size()) {
                    stats_.rx_dropped.fetch_add(1, std::memory_order_relaxed);
                    pending_ = 0;
                    recycle_filled();
                    return Rx::Done;
                }
                return Rx::NeedBuffers;
            }
            VirtqChain& chain = spare_.front();
            uint32_t n = static_cast<uint32_t>(
                std::min<uint64_t>(chain.writable_len, pending_ - delivered_));
            copy_to_chain(chain, 0, rx_buf_.data() + delivered_, n);
            delivered_ += n;
            filled_buffers_ += chain.writable.size();
            filled_.push_back({std::move(chain), n});
            spare_.pop_front();
        }
        uint16_t count = static_cast<uint16_t>(filled_.size());
        uint8_t le[2] = {static_cast<uint8_t>(count), static_cast<uint8_t>(count >> 8)};
        copy_to_chain(filled_.front().chain, kNetNumBuffersOffset, le, 2);
    }
    // Counted first, so whoever sees the used buffers also sees the counters.
    stats_.rx_packets.fetch_add(1, std::memory_order_relaxed);
    stats_.rx_bytes.fetch_add(pending_ - kNetHeaderSize, std::memory_order_relaxed);
    for (const Filled& f : filled_) {
        rxq_.mark_written(f.chain, f.written);
        if (Status s = rxq_.push(f.chain.head, f.written); !s) {
            fail(s.error());
            return Rx::Broken;
        }
    }
    filled_.clear();
    filled_buffers_ = 0;
    pending_ = 0;
    delivered_ = 0;
    return Rx::Done;
}

} // namespace virtd::pv::virtio
