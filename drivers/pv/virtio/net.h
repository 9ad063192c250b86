// VirtioNet: the network device (virtio 1.2 §5.1), Linux's virtio_net. Ethernet frames move
// between the guest's receiveq/transmitq and a network::NetBackend (a tap, a switch port).
//
// No checksum or segmentation offload is offered, so every frame is a complete Ethernet frame
// of at most network::kMaxFrameSize bytes and the virtio-net header only carries num_buffers.
// Frames are sent straight from guest memory (an iovec per buffer, no copy); received frames
// land in a device buffer first, because a backend's receive() needs one flat buffer and the
// frame's length decides how many guest chains it takes.
//
// Thread safety: the VirtioDevice methods run under the transport's device lock; the queues
// and the backend are used only on the device's worker thread, which activate() starts and
// reset() stops. set_link(), counters() and describe() may be called from any thread.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sys/uio.h>

#include "common/mac.h"
#include "drivers/pv/virtio/device.h"
#include "drivers/pv/virtio/virtqueue.h"
#include "drivers/pv/virtio/worker.h"
#include "network/net_backend.h"

namespace virtd::pv::virtio {

// Device feature bits (virtio 1.2 §5.1.3).
constexpr unsigned kNetFeatureMac = 5;
constexpr unsigned kNetFeatureMrgRxbuf = 15;
constexpr unsigned kNetFeatureStatus = 16;

// The status field's link bit (VIRTIO_NET_S_LINK_UP).
constexpr uint16_t kNetStatusLinkUp = 1;

// struct virtio_net_hdr with num_buffers, the size it always has under VERSION_1.
constexpr uint32_t kNetHeaderSize = 12;
constexpr uint32_t kNetNumBuffersOffset = 10;

// What query-net reports for one NIC.
struct NetCounters {
    uint64_t rx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t rx_dropped = 0;
    uint64_t tx_packets = 0;
    uint64_t tx_bytes = 0;
    uint64_t tx_dropped = 0;
};

class VirtioNet : public VirtioDevice {
public:
    static constexpr unsigned kReceiveQueue = 0;
    static constexpr unsigned kTransmitQueue = 1;

    VirtioNet(GuestRam& ram, std::unique_ptr<network::NetBackend> backend, const MacAddress& mac);
    ~VirtioNet() override;
    VirtioNet(const VirtioNet&) = delete;
    VirtioNet& operator=(const VirtioNet&) = delete;

    // The eventfd for the VMM to register as the QueueNotify ioeventfd.
    int notify_fd() const { return worker_.notify_fd(); }

    // Link up or down (the monitor's set_link); the driver gets a configuration interrupt.
    void set_link(bool up);
    bool link_up() const;
    NetCounters counters() const;
    // The backend's description ("tap vnet3", "switch ... port ...").
    const std::string& describe() const { return description_; }

    DeviceId device_id() const override { return DeviceId::Net; }
    uint64_t features() const override;
    unsigned queue_count() const override { return 2; }
    uint64_t read_config(uint64_t offset, unsigned size) override;
    Status activate(uint64_t features, std::span<const QueueConfig> queues,
                    VirtioSignals& signals) override;
    void notify(unsigned queue) override;
    void reset() override;
    void quiesce() override;
    void unquiesce() override;
    void save_state(StateWriter& w, bool active) const override;
    Status restore_state(bool active, uint64_t features, std::span<const QueueConfig> queues,
                         VirtioSignals& signals, StateReader& r) override;

private:
    enum class Rx { Done, NeedBuffers, Broken };

    void serve();
    void serve_tx();
    void serve_rx();
    Rx deliver();
    bool take_chain(); // false: none available (or broken_ was set)
    void recycle_filled();
    void fail(const Error& error);
    void backend_failed(const Error& error);
    void watch_backend(bool on);
    void clear_rx_state();

    // Counters are bumped by the worker and read by the monitor.
    struct Stats {
        std::atomic<uint64_t> rx_packets{0}, rx_bytes{0}, rx_dropped{0};
        std::atomic<uint64_t> tx_packets{0}, tx_bytes{0}, tx_dropped{0};
    };

    const std::unique_ptr<network::NetBackend> backend_;
    const std::string description_;
    const MacAddress mac_;
    std::atomic<uint16_t> status_{kNetStatusLinkUp};

    mutable std::mutex mu_;            // orders set_link against activate/reset
    VirtioSignals* signals_ = nullptr; // set by activate() under mu_, used by the worker
    Stats stats_;

    // The worker's state (only touched while the worker is stopped or on it).
    Virtqueue rxq_;
    Virtqueue txq_;
    bool mergeable_ = false;
    bool broken_ = false;       // a queue failed: nothing more until a reset
    bool backend_dead_ = false; // the backend failed: it is not used again
    bool watching_ = false;
    std::vector<uint8_t> rx_buf_;  // header then frame
    uint32_t pending_ = 0;         // header + frame bytes waiting in rx_buf_ (0: none)
    uint32_t delivered_ = 0;       // of those, already copied into `filled_`
    std::deque<VirtqChain> spare_; // receive chains taken from the ring, not used yet
    struct Filled {
        VirtqChain chain;
        uint32_t written;
    };
    std::vector<Filled> filled_; // chains holding the pending frame's first bytes
    uint64_t filled_buffers_ = 0;
    std::vector<iovec> tx_iov_;

    VirtioWorker worker_;
};

} // namespace virtd::pv::virtio
