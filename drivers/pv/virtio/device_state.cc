// The pieces of save and restore every virtio device shares: a queue's saved position.
#include "drivers/pv/virtio/device.h"
#include "drivers/pv/virtio/virtqueue.h"

namespace virtd::pv::virtio {

void save_queue_state(StateWriter& w, const Virtqueue& q) {
    VirtqState s = q.state();
    w.boolean(q.enabled());
    w.u16(s.next_avail);
    w.u16(s.next_used);
    w.u16(s.signalled_used);
    w.boolean(s.notifications_off);
}

Status restore_queue_state(StateReader& r, Virtqueue& q, unsigned index, uint64_t features,
                           std::span<const QueueConfig> queues) {
    bool enabled = r.boolean();
    VirtqState s;
    s.next_avail = r.u16();
    s.next_used = r.u16();
    s.signalled_used = r.u16();
    s.notifications_off = r.boolean();
    if (!r.ok()) return bad_device_state(fmt::format("queue {}", index), r.error());
    q.disable();
    if (!enabled) return {};
    for (const QueueConfig& c : queues) {
        if (c.index != index) continue;
        VirtqConfig vc{c.size, c.desc, c.driver, c.device, features};
        if (Status st = q.enable(vc); !st) return st;
        // The used index the device last wrote is in guest RAM too; positions further than a
        // queue apart cannot come from a real run.
        if (static_cast<uint16_t>(s.next_avail - s.next_used) > c.size)
            return bad_device_state(fmt::format("queue {}", index),
                                    "used index more than a queue behind");
        q.set_state(s);
        return {};
    }
    return bad_device_state(fmt::format("queue {}", index), "was in use but is not ready");
}

Error bad_device_state(std::string_view device, std::string_view why) {
    return make_error(ErrorCode::OperationInvalid, ErrorDomain::Device, "{}: {}", device, why);
}

} // namespace virtd::pv::virtio
