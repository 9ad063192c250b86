// Fuzz target for the decoders of a virtd-vmm state file (drivers/kvm/vmm/STATE.md), which
// --incoming reads from a file the VMM did not necessarily write: any bytes must give a
// machine state or an error, never a crash, a hang or a write outside guest RAM.
//
// Input: the first byte picks what the rest is.
//   0: a whole state file (the container: header, sections, checksums, trailer).
//   1: pieces {u8 kind, u16 length, payload}, each decoded straight by one section's decoder
//      (so mutations reach past the checksums): 0 machine, 1 hart, 2 plic, 3 clock, 4 ram,
//      5 uart, 6 rtc, 7 a virtio-rng transport, 8 a virtio-balloon transport, 9 a
//      virtio-console transport with two ports.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "drivers/kvm/vmm/state_file.h"
#include "drivers/kvm/vmm/state_sections.h"
#include "drivers/pv/goldfish_rtc.h"
#include "drivers/pv/uart16550.h"
#include "drivers/pv/virtio/balloon.h"
#include "drivers/pv/virtio/console.h"
#include "drivers/pv/virtio/mmio_transport.h"
#include "drivers/pv/virtio/rng.h"

namespace {

using namespace virtd;

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kRamSize = 64 << 10;

class FuzzRam : public pv::GuestRam {
public:
    std::vector<uint8_t> mem = std::vector<uint8_t>(kRamSize);
    uint8_t* host(uint64_t gpa, uint64_t len) override {
        if (gpa < kBase || len > mem.size() || gpa - kBase > mem.size() - len) return nullptr;
        return mem.data() + (gpa - kBase);
    }
    void mark_dirty(uint64_t gpa, uint64_t len) override {
        if (host(gpa, len) == nullptr) __builtin_trap(); // a device write outside RAM
    }
    bool discard(uint64_t gpa, uint64_t len) override { return host(gpa, len) != nullptr; }
};

void decode_piece(uint8_t kind, std::span<const uint8_t> payload, FuzzRam& ram) {
    StateReader r(payload);
    switch (kind % 10) {
    case 0:
        (void)vmm::decode_shape(payload);
        break;
    case 1: {
        Result<accel::VcpuState> s = vmm::decode_vcpu(payload);
        if (s && s->core.priv != accel::Priv::User && s->core.priv != accel::Priv::Supervisor)
            __builtin_trap();
        break;
    }
    case 2: {
        accel::Plic plic(2, [](unsigned hart, bool) {
            if (hart >= 2) __builtin_trap();
        });
        plic.set_hart_count(2);
        Result<accel::Plic::State> s = vmm::decode_plic(payload, plic.context_count());
        if (s) plic.restore(*s);
        break;
    }
    case 3:
        (void)vmm::decode_clock(payload);
        break;
    case 4: {
        std::vector<uint8_t> mem(16 * vmm::kStatePageSize);
        (void)vmm::load_ram(payload, mem.data(), mem.size());
        break;
    }
    case 5: {
        pv::Uart16550 uart(pv::IrqLine(), nullptr);
        (void)uart.restore_state(r);
        break;
    }
    case 6: {
        pv::GoldfishRtc rtc(pv::IrqLine(), [] { return uint64_t{1} << 60; });
        (void)rtc.restore_state(r);
        break;
    }
    default: {
        std::unique_ptr<pv::virtio::VirtioDevice> dev;
        if (kind % 10 == 7) dev = std::make_unique<pv::virtio::VirtioRng>(ram);
        if (kind % 10 == 8) dev = std::make_unique<pv::virtio::VirtioBalloon>(ram, kRamSize);
        if (kind % 10 == 9)
            dev = std::make_unique<pv::virtio::VirtioConsole>(
                ram, std::vector<pv::virtio::ConsolePortSpec>{{"", ""}, {"agent", ""}});
        pv::virtio::MmioTransport t("fuzz", std::move(dev), pv::IrqLine());
        (void)t.restore_state(r);
        break;
    }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::span<const uint8_t> rest(data + 1, size - 1);
    if (data[0] == 0) {
        Result<vmm::StateFile> f = vmm::parse_state_file(rest, "fuzz.state");
        if (f) {
            for (const vmm::StateSection& s : f->sections) {
                if (s.payload.data() < rest.data() ||
                    s.payload.data() + s.payload.size() > rest.data() + rest.size())
                    __builtin_trap(); // a section outside the file
            }
        }
        return 0;
    }
    FuzzRam ram;
    for (size_t i = 0; i + 3 <= rest.size();) {
        uint8_t kind = rest[i];
        size_t len =
            std::min<size_t>(rest[i + 1] | (size_t{rest[i + 2]} << 8), rest.size() - i - 3);
        decode_piece(kind, rest.subspan(i + 3, len), ram);
        i += 3 + len;
    }
    return 0;
}
