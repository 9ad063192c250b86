// VirtioConsole: the console device (virtio 1.2 §5.3) with VIRTIO_CONSOLE_F_MULTIPORT: port 0
// is the guest's hvc console, ports 1.. are named channels (/dev/vport*, a guest agent's
// link). Each port's host side is a unix stream socket the device listens on.
//
// Host side, per port:
// - One client at a time. A second connection while one is attached is accepted and closed
//   at once, so a channel (a guest agent's) cannot be taken over by whoever connects next;
//   the first client must disconnect before another can attach. Clients stay attached
//   across device resets (a guest reboot does not drop the host's console).
// - Guest output with no client attached is dropped. A client that does not read makes the
//   device stop taking that port's transmit buffers (backpressure, no loss) until it reads.
// - Client bytes are read only while the guest has receive buffers on the port and has the
//   port open; otherwise they wait in the socket (bounded by the kernel's socket buffer, and
//   the client's writes then block), never dropped.
// - Named ports see PORT_OPEN 1/0 as clients attach and detach. Port 0 is always reported
//   open: like a serial line with no terminal, its output is just dropped with no client.
// - The emerg_wr config field writes one byte to port 0's client (even before DRIVER_OK).
//
// Control messages for the driver wait in a bounded queue (PORT_OPEN updates for a port
// replace one still waiting) until the driver gives control receive buffers.
//
// Thread safety: the VirtioDevice methods run under the transport's device lock; the queues
// and host sockets are served on the device's worker thread, which activate() starts and
// reset() stops. port_count(), guest_open() and the counters may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "drivers/pv/virtio/device.h"
#include "drivers/pv/virtio/virtqueue.h"
#include "drivers/pv/virtio/worker.h"

namespace virtd::pv::virtio {

struct ConsolePortSpec {
    std::string name;        // the guest sees it in /sys/class/virtio-ports/*/name; ignored for 0
    std::string socket_path; // empty: no host side (output dropped, no input)
};

class VirtioConsole : public VirtioDevice {
public:
    static constexpr unsigned kFeatureMultiport = 1;
    static constexpr unsigned kFeatureEmergWrite = 2;
    // Ports per device (2 + 2 * kMaxPorts queues): far more than a console and a guest
    // agent need, and a bound on the file descriptors the worker polls.
    static constexpr size_t kMaxPorts = 31;
    // Control messages waiting for driver buffers, at most (PORT_OPEN updates coalesce).
    static constexpr size_t kMaxPendingControl = 256;

    struct PortCounters {
        uint64_t bytes_to_host = 0;  // guest output written to the client
        uint64_t bytes_to_guest = 0; // client input put in the guest's receive buffers
        uint64_t bytes_dropped = 0;  // guest output with no client (or a full one, emerg_wr)
    };

    // Listens on every port's socket_path; an error names the port and the path. Port 0 is
    // the console; at least one port, at most kMaxPorts, no two named ports with one name.
    static Result<std::unique_ptr<VirtioConsole>> create(GuestRam& ram,
                                                         std::vector<ConsolePortSpec> ports);
    // A device with no host sockets yet (create() opens them).
    VirtioConsole(GuestRam& ram, std::vector<ConsolePortSpec> ports);
    // Stops the worker, closes clients and removes the socket files.
    ~VirtioConsole() override;
    VirtioConsole(const VirtioConsole&) = delete;
    VirtioConsole& operator=(const VirtioConsole&) = delete;

    int notify_fd() const { return worker_.notify_fd(); }
    size_t port_count() const { return ports_.size(); }
    // Whether the guest has the port open (its PORT_OPEN; port 0 without MULTIPORT: active).
    bool guest_open(size_t port) const;
    bool host_connected(size_t port) const;
    PortCounters counters(size_t port) const;

    DeviceId device_id() const override { return DeviceId::Console; }
    uint64_t features() const override;
    unsigned queue_count() const override { return 2 + 2 * static_cast<unsigned>(ports_.size()); }
    uint64_t read_config(uint64_t offset, unsigned size) override;
    void write_config(uint64_t offset, unsigned size, uint64_t value) override;
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
    struct Port;

    // Port 0's queues are 0 and 1, the control queues 2 and 3, then port n's 2n+2 and 2n+3.
    static unsigned rx_queue(size_t port) {
        return port == 0 ? 0 : 2 + 2 * static_cast<unsigned>(port);
    }
    Status listen_all();
    void clear_guest_state();

    // Worker thread.
    void serve();
    void fail(const Error& e);
    Result<std::optional<VirtqChain>> next(unsigned queue);
    bool push(unsigned queue, uint16_t head, uint32_t written);
    void accept_clients(size_t p);
    void drop_client(size_t p, const std::string& why);
    bool control_in();
    void handle_control(uint32_t id, uint16_t event, uint16_t value);
    bool control_out();
    void queue_control(uint32_t id, uint16_t event, uint16_t value, const std::string& extra = {});
    bool transmit(size_t p);
    bool receive(size_t p);
    void update_watches();

    GuestRam& ram_;
    std::vector<std::unique_ptr<Port>> ports_;
    std::vector<Virtqueue> queues_;
    std::vector<bool> pushed_; // per queue: used buffers not yet signalled
    VirtioSignals* signals_ = nullptr;
    bool multiport_ = false;
    bool broken_ = false; // the driver broke a queue: nothing more until a reset
    std::deque<std::vector<uint8_t>> control_pending_; // device -> driver
    bool control_overflow_logged_ = false;
    // Guards each port's client fd against emerg_wr on a vCPU thread while the worker
    // attaches or detaches a client.
    std::mutex host_mu_;
    VirtioWorker worker_;
};

} // namespace virtd::pv::virtio
