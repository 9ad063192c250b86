// Machine::add_virtio_devices: the virtio devices virtd-vmm's options ask for, each opened and
// checked before the guest starts, in a fixed slot order (disks, NICs, console, rng, balloon)
// so a guest sees the same device names on every boot.
#include <fmt/format.h>

#include "drivers/kvm/vmm/machine.h"
#include "drivers/pv/virtio/console.h"
#include "drivers/pv/virtio/rng.h"
#include "network/switch_port.h"
#include "network/tap.h"
#include "storage/block/block_backend.h"

namespace virtd::vmm {
namespace {

constexpr unsigned kBalloonStatsSeconds = 2;

} // namespace

Status Machine::add_virtio_devices(const VmmOptions& o) {
    for (const DiskSpec& d : o.disks) {
        storage::BlockOpenOptions open;
        open.read_only = d.read_only;
        open.direct = d.direct;
        Result<std::unique_ptr<storage::BlockBackend>> backend =
            storage::open_block_backend(d.path, d.format, open);
        if (!backend) return backend.error().with_context(fmt::format("--disk '{}'", d.path));
        std::string name = fmt::format("vd{}", static_cast<char>('a' + disks_.size()));
        auto blk =
            std::make_unique<pv::virtio::VirtioBlk>(*guest_ram_, std::move(*backend), d.serial);
        disks_.push_back({name, d, blk.get()});
        int fd = blk->notify_fd();
        uint64_t size = blk->info().size_bytes;
        if (Status s = add_virtio("virtio-blk " + name, std::move(blk), fd, size); !s) return s;
    }
    for (const NetSpec& n : o.nets) {
        Result<std::unique_ptr<network::NetBackend>> backend =
            n.kind == NetSpec::Kind::Tap
                ? network::open_tap(n.target)
                : network::connect_switch(n.target, n.mac,
                                          n.trunk.empty() ? network::VlanMode::access(n.vlan)
                                                          : network::VlanMode::trunk_of(n.trunk));
        if (!backend) return backend.error().with_context(fmt::format("--net '{}'", n.target));
        std::string name = fmt::format("net{}", nics_.size());
        auto nic = std::make_unique<pv::virtio::VirtioNet>(*guest_ram_, std::move(*backend), n.mac);
        nics_.push_back({name, n, nic.get()});
        int fd = nic->notify_fd();
        uint64_t mac = 0;
        for (uint8_t b : n.mac.bytes())
            mac = (mac << 8) | b;
        if (Status s = add_virtio("virtio-net " + name, std::move(nic), fd, mac); !s) return s;
    }
    if (!o.hvc.empty() || !o.channels.empty()) {
        // Port 0 is the console (an hvc in the guest); the channels follow in order.
        std::vector<pv::virtio::ConsolePortSpec> ports{{"", o.hvc}};
        for (const ChannelSpec& c : o.channels)
            ports.push_back({c.name, c.path});
        Result<std::unique_ptr<pv::virtio::VirtioConsole>> console =
            pv::virtio::VirtioConsole::create(*guest_ram_, std::move(ports));
        if (!console) return console.error();
        int fd = (*console)->notify_fd();
        uint64_t port_count = (*console)->port_count();
        if (Status s = add_virtio("virtio-console", std::move(*console), fd, port_count); !s)
            return s;
    }
    if (o.rng) {
        auto rng = std::make_unique<pv::virtio::VirtioRng>(*guest_ram_);
        int fd = rng->notify_fd();
        if (Status s = add_virtio("virtio-rng", std::move(rng), fd); !s) return s;
    }
    if (o.balloon) {
        auto balloon = std::make_unique<pv::virtio::VirtioBalloon>(*guest_ram_, o.memory,
                                                                   o.balloon_deflate_on_oom);
        balloon_ = balloon.get();
        // Fresh figures for query-balloon without asking the guest on every query.
        if (Status s = balloon->set_stats_period(kBalloonStatsSeconds); !s) return s;
        int fd = balloon->notify_fd();
        if (Status s = add_virtio("virtio-balloon", std::move(balloon), fd,
                                  o.balloon_deflate_on_oom ? 1 : 0);
            !s)
            return s;
    }
    return {};
}

} // namespace virtd::vmm
