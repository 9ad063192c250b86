#include "drivers/pv/virtio/console.h"

#include <algorithm>

#include <sys/socket.h>
#include <unistd.h>

#include "drivers/pv/virtio/console_port.h"
#include "drivers/pv/virtio/console_socket.h"

namespace virtd::pv::virtio {
namespace {

constexpr uint64_t kConfigSize = 12; // cols, rows, max_nr_ports, emerg_wr
constexpr uint64_t kEmergWrOffset = 8;

} // namespace

Result<std::unique_ptr<VirtioConsole>> VirtioConsole::create(GuestRam& ram,
                                                             std::vector<ConsolePortSpec> ports) {
    if (ports.empty() || ports.size() > kMaxPorts)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Device,
                          "virtio-console: {} ports requested; it takes 1 to {}", ports.size(),
                          kMaxPorts);
    for (size_t p = 2; p < ports.size(); ++p) {
        for (size_t q = 1; q < p; ++q) {
            if (!ports[p].name.empty() && ports[p].name == ports[q].name)
                return make_error(ErrorCode::InvalidArg, ErrorDomain::Device,
                                  "virtio-console: ports {} and {} are both named '{}'", q, p,
                                  ports[p].name);
        }
    }
    auto dev = std::make_unique<VirtioConsole>(ram, std::move(ports));
    if (Status s = dev->listen_all(); !s) return s.error();
    return dev;
}

VirtioConsole::VirtioConsole(GuestRam& ram, std::vector<ConsolePortSpec> ports)
    : ram_(ram)
    , worker_("virtio-console") {
    if (ports.empty()) ports.emplace_back(); // there is always the console
    for (ConsolePortSpec& spec : ports) {
        auto port = std::make_unique<Port>();
        port->name = std::move(spec.name);
        port->path = std::move(spec.socket_path);
        ports_.push_back(std::move(port));
    }
    queues_.reserve(queue_count());
    for (unsigned i = 0; i < queue_count(); ++i)
        queues_.emplace_back(ram_, i);
    pushed_.assign(queue_count(), false);
}

VirtioConsole::~VirtioConsole() {
    worker_.stop();
    for (auto& port : ports_) {
        port->client.reset();
        port->listener.reset();
        if (port->own_socket) ::unlink(port->path.c_str());
    }
}

Status VirtioConsole::listen_all() {
    for (size_t p = 0; p < ports_.size(); ++p) {
        Port& port = *ports_[p];
        if (port.path.empty()) continue;
        std::string what = p == 0 ? std::string("console port 0")
                                  : fmt::format("console port {} ('{}')", p, port.name);
        Result<UniqueFd> fd = listen_unix_stream(port.path, what);
        if (!fd) return fd.error();
        port.listener = std::move(*fd);
        port.own_socket = true;
    }
    return {};
}

bool VirtioConsole::guest_open(size_t port) const {
    return port < ports_.size() && ports_[port]->guest_open.load();
}

bool VirtioConsole::host_connected(size_t port) const {
    return port < ports_.size() && ports_[port]->connected.load();
}

VirtioConsole::PortCounters VirtioConsole::counters(size_t port) const {
    if (port >= ports_.size()) return {};
    const Port& p = *ports_[port];
    return {p.to_host.load(), p.to_guest.load(), p.dropped.load()};
}

uint64_t VirtioConsole::features() const {
    return (1ULL << kFeatureMultiport) | (1ULL << kFeatureEmergWrite) |
           (1ULL << kFeatureIndirectDesc) | (1ULL << kFeatureEventIdx);
}

uint64_t VirtioConsole::read_config(uint64_t offset, unsigned size) {
    // cols and rows stay 0: VIRTIO_CONSOLE_F_SIZE is not offered. emerg_wr reads as 0.
    uint8_t config[kConfigSize] = {};
    auto ports = static_cast<uint32_t>(ports_.size());
    for (unsigned i = 0; i < 4; ++i)
        config[4 + i] = static_cast<uint8_t>(ports >> (8 * i));
    if (size > 8 || offset >= kConfigSize || size > kConfigSize - offset) return 0;
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i)
        value |= uint64_t{config[offset + i]} << (8 * i);
    return value;
}

void VirtioConsole::write_config(uint64_t offset, unsigned /*size*/, uint64_t value) {
    if (offset != kEmergWrOffset) return;
    Port& port = *ports_[0];
    // Before DRIVER_OK no worker accepts clients; the early console must still reach one.
    if (!worker_.running()) accept_clients(0);
    std::lock_guard lock(host_mu_);
    if (!port.client) return;
    auto byte = static_cast<uint8_t>(value);
    if (::send(port.client.get(), &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
        ++port.to_host;
    else
        ++port.dropped; // a full socket or a gone client: an emergency write never waits
}

Status VirtioConsole::activate(uint64_t features, std::span<const QueueConfig> queues,
                               VirtioSignals& signals) {
    worker_.stop();
    clear_guest_state();
    signals_ = &signals;
    multiport_ = (features & (1ULL << kFeatureMultiport)) != 0;
    // Without MULTIPORT only port 0's two queues exist.
    const unsigned usable = multiport_ ? queue_count() : 2;
    for (const QueueConfig& q : queues) {
        if (q.index >= usable) continue;
        VirtqConfig c{q.size, q.desc, q.driver, q.device, features};
        if (Status s = queues_[q.index].enable(c); !s) return s;
    }
    // Without control messages the driver cannot say it opened the console: it is open.
    if (!multiport_) ports_[0]->guest_open = true;
    return worker_.start([this] { serve(); }, 2 * ports_.size());
}

void VirtioConsole::notify(unsigned /*queue*/) {
    worker_.kick();
}

void VirtioConsole::reset() {
    worker_.stop();
    clear_guest_state();
    signals_ = nullptr;
    multiport_ = false;
}

void VirtioConsole::clear_guest_state() {
    for (Virtqueue& q : queues_)
        q.disable();
    std::fill(pushed_.begin(), pushed_.end(), false);
    broken_ = false;
    control_pending_.clear();
    control_overflow_logged_ = false;
    // Host clients stay attached: a rebooting guest does not hang up on the host.
    for (auto& port : ports_) {
        port->ready = false;
        port->want_read = false;
        port->tx_blocked = false;
        port->tx.reset();
        port->tx_done = 0;
        port->rx.reset();
        port->guest_open = false;
    }
}

} // namespace virtd::pv::virtio
