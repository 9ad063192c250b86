// MmioTransport's save and restore: the register file, then the device's own state.
#include <bit>

#include "drivers/pv/virtio/mmio_transport.h"
#include "drivers/pv/virtio/virtqueue.h"

namespace virtd::pv::virtio {

void MmioTransport::quiesce() {
    std::lock_guard<std::mutex> dev(dev_mu_);
    device_->quiesce();
}

void MmioTransport::unquiesce() {
    std::lock_guard<std::mutex> dev(dev_mu_);
    device_->unquiesce();
}

void MmioTransport::save_state(StateWriter& w) {
    std::lock_guard<std::mutex> dev(dev_mu_);
    bool active = false;
    {
        std::lock_guard<std::mutex> lk(mu_);
        w.u32(status_);
        w.u32(interrupt_);
        w.u32(config_generation_);
        w.u32(device_features_sel_);
        w.u32(driver_features_sel_);
        w.u64(driver_features_);
        w.u32(queue_sel_);
        w.u32(static_cast<uint32_t>(queues_.size()));
        for (const Queue& q : queues_) {
            w.u16(q.num);
            w.boolean(q.ready);
            w.u64(q.desc);
            w.u64(q.driver);
            w.u64(q.device);
        }
        active = activated_;
        w.boolean(active);
        w.str(last_error_);
    }
    device_->save_state(w, active);
}

Status MmioTransport::restore_state(StateReader& r) {
    std::lock_guard<std::mutex> dev(dev_mu_);
    std::vector<QueueConfig> ready;
    uint64_t features = 0;
    bool active = false;
    {
        std::lock_guard<std::mutex> lk(mu_);
        status_ = r.u32();
        interrupt_ = r.u32() & (kIntUsedBuffer | kIntConfigChange);
        config_generation_ = r.u32();
        device_features_sel_ = r.u32();
        driver_features_sel_ = r.u32();
        driver_features_ = r.u64();
        queue_sel_ = r.u32();
        uint32_t count = r.u32();
        if (r.ok() && count != queues_.size())
            r.fail(fmt::format("{} queues saved, the device has {}", count, queues_.size()));
        for (unsigned i = 0; i < queues_.size() && r.ok(); ++i) {
            Queue& q = queues_[i];
            q.num = r.u16();
            q.ready = r.boolean();
            q.desc = r.u64();
            q.driver = r.u64();
            q.device = r.u64();
            if (q.ready &&
                (q.num == 0 || q.num > device_->queue_max_size(i) || !std::has_single_bit(q.num)))
                r.fail(fmt::format("queue {} is ready with size {}", i, q.num));
            if (q.ready) ready.push_back(QueueConfig{i, q.num, q.desc, q.driver, q.device});
        }
        active = r.boolean();
        last_error_ = r.str(1024);
        uint64_t offered = device_->features() | (1ULL << kFeatureVersion1);
        if (r.ok() && (driver_features_ & ~offered) != 0)
            r.fail("driver features the device does not offer");
        if (r.ok() && active &&
            (status_ & (status::kDriverOk | status::kFeaturesOk)) !=
                (status::kDriverOk | status::kFeaturesOk))
            r.fail("device active without DRIVER_OK and FEATURES_OK");
        if (!r.ok()) {
            status_ = 0;
            return make_error(ErrorCode::OperationInvalid, ErrorDomain::Device, "{}", r.error());
        }
        features = driver_features_;
        activated_ = active;
    }
    if (Status s = device_->restore_state(active, features, ready, *this, r); !s) return s;
    r.expect_end();
    if (!r.ok())
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::Device, "{}", r.error());
    std::lock_guard<std::mutex> lk(mu_);
    irq_.set(interrupt_ != 0);
    return {};
}

} // namespace virtd::pv::virtio
