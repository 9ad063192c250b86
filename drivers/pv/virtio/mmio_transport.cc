#include "drivers/pv/virtio/mmio_transport.h"

#include <utility>

namespace virtd::pv::virtio {

MmioTransport::MmioTransport(std::string name, std::unique_ptr<VirtioDevice> device, IrqLine irq)
    : name_(std::move(name))
    , device_(std::move(device))
    , irq_(std::move(irq))
    , queues_(device_->queue_count()) {}

MmioTransport::~MmioTransport() {
    std::lock_guard<std::mutex> dev(dev_mu_);
    device_->quiesce();
}

uint32_t MmioTransport::device_status() const {
    std::lock_guard<std::mutex> lk(mu_);
    return status_;
}

std::string MmioTransport::last_error() const {
    std::lock_guard<std::mutex> lk(mu_);
    return last_error_;
}

MmioTransport::Queue* MmioTransport::selected() {
    return queue_sel_ < queues_.size() ? &queues_[queue_sel_] : nullptr;
}

void MmioTransport::set_half(uint64_t& field, bool high, uint32_t value) {
    if (high) {
        field = (field & 0xffffffffULL) | (static_cast<uint64_t>(value) << 32);
    } else {
        field = (field & ~0xffffffffULL) | value;
    }
}

uint64_t MmioTransport::read(uint64_t offset, unsigned size) {
    if (offset >= mmio::kConfig) {
        std::lock_guard<std::mutex> dev(dev_mu_);
        return device_->read_config(offset - mmio::kConfig, size);
    }
    if (size != 4) return 0; // registers are 32-bit wide
    std::lock_guard<std::mutex> lk(mu_);
    uint64_t offered = device_->features() | (1ULL << kFeatureVersion1);
    const Queue* q = selected();
    switch (offset) {
    case mmio::kMagic:
        return mmio::kMagicValue;
    case mmio::kVersion:
        return 2;
    case mmio::kDeviceId:
        return static_cast<uint32_t>(device_->device_id());
    case mmio::kVendorId:
        return mmio::kVendor;
    case mmio::kDeviceFeatures:
        return device_features_sel_ < 2 ? (offered >> (32 * device_features_sel_)) & 0xffffffff : 0;
    case mmio::kQueueNumMax:
        return q != nullptr ? device_->queue_max_size(queue_sel_) : 0;
    case mmio::kQueueReady:
        return q != nullptr && q->ready ? 1 : 0;
    case mmio::kInterruptStatus:
        return interrupt_;
    case mmio::kStatus:
        return status_;
    case mmio::kShmLenLow:
    case mmio::kShmLenHigh:
    case mmio::kShmBaseLow:
    case mmio::kShmBaseHigh:
        return 0xffffffff; // no shared memory regions
    case mmio::kConfigGeneration:
        return config_generation_;
    default:
        return 0;
    }
}

void MmioTransport::write(uint64_t offset, unsigned size, uint64_t value) {
    std::lock_guard<std::mutex> dev(dev_mu_);
    if (offset >= mmio::kConfig) {
        device_->write_config(offset - mmio::kConfig, size, value);
        return;
    }
    if (size != 4) return;
    auto v = static_cast<uint32_t>(value);
    if (offset == mmio::kStatus) {
        write_status(v);
        return;
    }
    if (offset == mmio::kQueueNotify) {
        bool live = false;
        {
            std::lock_guard<std::mutex> lk(mu_);
            live = (status_ & status::kDriverOk) != 0 && (status_ & status::kNeedsReset) == 0 &&
                   v < queues_.size() && queues_[v].ready;
        }
        if (live) device_->notify(v);
        return;
    }
    std::lock_guard<std::mutex> lk(mu_);
    Queue* q = selected();
    // Queue addresses and size are fixed while the queue is ready (virtio 1.2 §4.2.2.2).
    bool q_writable = q != nullptr && !q->ready;
    switch (offset) {
    case mmio::kDeviceFeaturesSel:
        device_features_sel_ = v;
        break;
    case mmio::kDriverFeatures:
        if ((status_ & status::kFeaturesOk) == 0 && driver_features_sel_ < 2) {
            set_half(driver_features_, driver_features_sel_ == 1, v);
        }
        break;
    case mmio::kDriverFeaturesSel:
        driver_features_sel_ = v;
        break;
    case mmio::kQueueSel:
        queue_sel_ = v;
        break;
    case mmio::kQueueNum:
        if (q_writable) q->num = static_cast<uint16_t>(v > 0xffff ? 0 : v);
        break;
    case mmio::kQueueReady:
        if (q == nullptr) break;
        if (v == 0) {
            q->ready = false;
        } else {
            // A split queue's size is a power of two no larger than the device's maximum;
            // anything else leaves the queue not ready, which the driver reads back.
            uint16_t max = device_->queue_max_size(queue_sel_);
            q->ready = q->num != 0 && q->num <= max && (q->num & (q->num - 1)) == 0;
        }
        break;
    case mmio::kQueueDescLow:
    case mmio::kQueueDescHigh:
        if (q_writable) set_half(q->desc, offset == mmio::kQueueDescHigh, v);
        break;
    case mmio::kQueueDriverLow:
    case mmio::kQueueDriverHigh:
        if (q_writable) set_half(q->driver, offset == mmio::kQueueDriverHigh, v);
        break;
    case mmio::kQueueDeviceLow:
    case mmio::kQueueDeviceHigh:
        if (q_writable) set_half(q->device, offset == mmio::kQueueDeviceHigh, v);
        break;
    case mmio::kInterruptAck:
        interrupt_ &= ~v;
        irq_.set(interrupt_ != 0);
        break;
    default:
        break; // read-only or absent (kShmSel, kQueueReset: no such features offered)
    }
}

// Called with dev_mu_ held.
void MmioTransport::write_status(uint32_t value) {
    if (value == 0) {
        reset_device();
        return;
    }
    std::vector<QueueConfig> ready;
    uint64_t features = 0;
    {
        std::lock_guard<std::mutex> lk(mu_);
        uint32_t added = value & ~status_;
        if (added & status::kFeaturesOk) {
            uint64_t offered = device_->features() | (1ULL << kFeatureVersion1);
            bool acceptable = (driver_features_ & ~offered) == 0 &&
                              (driver_features_ & (1ULL << kFeatureVersion1)) != 0;
            if (!acceptable) value &= ~status::kFeaturesOk; // the driver reads it back and fails
        }
        bool start = (added & status::kDriverOk) != 0 && (value & status::kFeaturesOk) != 0;
        status_ = value | (status_ & status::kNeedsReset);
        if (!start) return;
        for (unsigned i = 0; i < queues_.size(); ++i) {
            const Queue& q = queues_[i];
            if (q.ready) ready.push_back(QueueConfig{i, q.num, q.desc, q.driver, q.device});
        }
        features = driver_features_;
    }
    Status st = device_->activate(features, ready, *this);
    {
        std::lock_guard<std::mutex> lk(mu_);
        activated_ = st.ok();
    }
    if (!st.ok()) {
        {
            std::lock_guard<std::mutex> lk(mu_);
            last_error_ = name_ + ": " + st.error().message();
        }
        needs_reset();
    }
}

// Called with dev_mu_ held.
void MmioTransport::reset_device() {
    device_->reset();
    std::lock_guard<std::mutex> lk(mu_);
    status_ = 0;
    activated_ = false;
    interrupt_ = 0;
    device_features_sel_ = 0;
    driver_features_sel_ = 0;
    driver_features_ = 0;
    queue_sel_ = 0;
    for (Queue& q : queues_)
        q = Queue{};
    irq_.set(false);
}

void MmioTransport::raise(uint32_t bits) {
    interrupt_ |= bits;
    irq_.set(true);
}

void MmioTransport::used_buffers() {
    std::lock_guard<std::mutex> lk(mu_);
    raise(kIntUsedBuffer);
}

void MmioTransport::config_changed() {
    std::lock_guard<std::mutex> lk(mu_);
    ++config_generation_;
    raise(kIntConfigChange);
}

void MmioTransport::needs_reset() {
    std::lock_guard<std::mutex> lk(mu_);
    status_ |= status::kNeedsReset;
    if (last_error_.empty()) last_error_ = name_ + ": the device found a malformed queue";
    // The driver learns of it through a configuration-change interrupt (virtio 1.2 §4.2.3.4).
    if (status_ & status::kDriverOk) raise(kIntConfigChange);
}

} // namespace virtd::pv::virtio
