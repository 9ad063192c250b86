#include "drivers/kvm/vmm/machine.h"

#include <cstring>
#include <thread>

#include <pthread.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "drivers/kvm/vmm/boot_layout.h"
#include "drivers/pv/fdt_builder.h"
#include "drivers/pv/goldfish_rtc.h"
#include "drivers/pv/memory_map.h"
#include "drivers/pv/syscon.h"

namespace virtd::vmm {
namespace {

// SBI extensions the accelerator leaves to the VMM (the console ones).
constexpr uint64_t kSbiLegacyPutchar = 0x01;
constexpr uint64_t kSbiLegacyGetchar = 0x02;
constexpr uint64_t kSbiDbcn = 0x4442434E;
constexpr uint64_t kDbcnWrite = 0, kDbcnRead = 1, kDbcnWriteByte = 2;

// What the guest is told it runs on: what the accelerator executes.
constexpr const char* kIsa = "rv64imafdc_zicsr_zifencei_zba_zbb_zbs_sstc";

// Guest RAM as virtio devices see it: the one RAM slot, with device writes going to the
// accelerator's dirty log.
class MachineRam : public pv::GuestRam {
public:
    MachineRam(uint8_t* base, uint64_t size, accel::Vm& vm)
        : base_(base)
        , size_(size)
        , vm_(vm) {}
    uint8_t* host(uint64_t gpa, uint64_t len) override {
        if (gpa < pv::kRamBase || len > size_ || gpa - pv::kRamBase > size_ - len) return nullptr;
        return base_ + (gpa - pv::kRamBase);
    }
    void mark_dirty(uint64_t gpa, uint64_t len) override { vm_.mark_dirty(gpa, len); }
    bool discard(uint64_t gpa, uint64_t len) override {
        uint8_t* p = host(gpa, len);
        // RAM is a shared memfd mapping: MADV_REMOVE frees the pages (MADV_DONTNEED would
        // only unmap them and keep them in the memfd).
        return p != nullptr && madvise(p, len, MADV_REMOVE) == 0;
    }

private:
    uint8_t* const base_;
    const uint64_t size_;
    accel::Vm& vm_;
};

} // namespace

Machine::~Machine() = default;

Machine::RamMapping::~RamMapping() {
    if (base != nullptr) munmap(base, size);
}

uint8_t* Machine::ram_at(uint64_t pa, uint64_t len) {
    if (pa < pv::kRamBase || len > ram_size_ || pa - pv::kRamBase > ram_size_ - len) return nullptr;
    return ram_ + (pa - pv::kRamBase);
}

Result<std::unique_ptr<Machine>> Machine::create(const VmmOptions& o) {
    std::unique_ptr<Machine> m(new Machine());
    m->ram_size_ = o.memory;
    // One memfd for all of RAM: what KSM, huge pages and migration work with.
    m->ram_fd_ = UniqueFd(memfd_create("virtd-vmm-ram", MFD_CLOEXEC));
    if (!m->ram_fd_ || ftruncate(m->ram_fd_.get(), static_cast<off_t>(o.memory)) < 0)
        return system_error(ErrorDomain::None, errno,
                            fmt::format("--memory: reserving {} MiB of guest RAM", o.memory >> 20));
    void* ram = mmap(nullptr, o.memory, PROT_READ | PROT_WRITE, MAP_SHARED, m->ram_fd_.get(), 0);
    if (ram == MAP_FAILED) return system_error(ErrorDomain::None, errno, "mapping guest RAM");
    m->ram_ = static_cast<uint8_t*>(ram);
    m->ram_map_.base = ram;
    m->ram_map_.size = o.memory;
    madvise(ram, o.memory, MADV_MERGEABLE);

    m->vm_ = accel::Accel().create_vm();
    if (Status s = m->vm_->set_memory_region(0, pv::kRamBase, o.memory, ram, 0); !s)
        return s.error();
    m->guest_ram_ = std::make_unique<MachineRam>(m->ram_, o.memory, *m->vm_);
    for (uint32_t id = 0; id < o.smp; id++) {
        Result<accel::Vcpu*> v = m->vm_->create_vcpu(id);
        if (!v) return v.error();
        m->vcpus_.push_back(*v);
    }
    Result<std::unique_ptr<Console>> console = Console::open(
        o.console,
        [raw = m.get()](std::string_view typed) {
            auto bytes = std::span(reinterpret_cast<const uint8_t*>(typed.data()), typed.size());
            raw->uart_->push_input(bytes);
        },
        [raw = m.get()] { raw->finish(Ending::Quit); });
    if (!console) return console.error();
    m->console_ = std::move(*console);
    if (!m->console_->path().empty() && o.console.kind == ConsoleSpec::Kind::Pty)
        fmt::print(stderr, "virtd-vmm: console on {}\n", m->console_->path());
    if (Status s = m->add_devices(o); !s) return s.error();
    if (o.incoming.empty()) {
        if (Status s = m->load_images(o); !s) return s.error();
    } else if (Status s = m->restore_state(o.incoming); !s) {
        return s.error();
    }
    m->paused_ = o.start_paused;
    return m;
}

Status Machine::add_virtio(const std::string& name,
                           std::unique_ptr<pv::virtio::VirtioDevice> device, int notify_fd,
                           uint64_t detail) {
    unsigned slot = static_cast<unsigned>(virtio_.size());
    if (slot >= pv::kVirtioSlots) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                          "{}: all {} virtio-mmio slots are taken", name, pv::kVirtioSlots);
    }
    accel::Vm* vm = vm_.get();
    uint32_t irq = pv::virtio_slot_irq(slot);
    auto transport = std::make_shared<pv::virtio::MmioTransport>(
        name, std::move(device),
        pv::IrqLine([vm, irq](bool level) { vm->set_irq_line(irq, level); }));
    uint64_t base = pv::virtio_slot_base(slot);
    if (Status s = bus_.add(base, pv::kVirtioStride, transport, name); !s) return s;
    vm_->add_ioeventfd(base + pv::virtio::mmio::kQueueNotify, 4, notify_fd);
    virtio_.push_back(std::move(transport));
    virtio_detail_.push_back(detail);
    return {};
}

Status Machine::add_devices(const VmmOptions& o) {
    if (Status s = add_virtio_devices(o); !s) return s;
    accel::Vm* vm = vm_.get();
    uart_ = std::make_shared<pv::Uart16550>(
        pv::IrqLine([vm](bool level) { vm->set_irq_line(pv::kUartIrq, level); }),
        [this](uint8_t byte) {
            console_->write(std::string_view(reinterpret_cast<char*>(&byte), 1));
        });
    if (Status s = bus_.add(pv::kUartBase, pv::kUartSize, uart_, "uart"); !s) return s;
    auto syscon = std::make_shared<pv::Syscon>([this](pv::Syscon::Request r, uint32_t status) {
        if (r == pv::Syscon::Request::Fail)
            log::error("vmm", "the guest reported a failure (status {})", status);
        finish(r == pv::Syscon::Request::Poweroff ? Ending::Poweroff
               : r == pv::Syscon::Request::Reboot ? Ending::Reset
                                                  : Ending::Failure);
    });
    if (Status s = bus_.add(pv::kSysconBase, pv::kSysconSize, syscon, "syscon"); !s) return s;
    rtc_ = std::make_shared<pv::GoldfishRtc>(
        pv::IrqLine([vm](bool level) { vm->set_irq_line(pv::kRtcIrq, level); }));
    return bus_.add(pv::kRtcBase, pv::kRtcSize, rtc_, "rtc");
}

Status Machine::load_images(const VmmOptions& o) {
    Result<std::string> kernel = read_file(o.kernel, 256 << 20);
    if (!kernel) return kernel.error().with_context(fmt::format("--kernel '{}'", o.kernel));
    Result<LinuxImage> image = parse_linux_image(*kernel, o.kernel);
    if (!image) return image.error();
    std::string initrd;
    if (!o.initrd.empty()) {
        Result<std::string> bytes = read_file(o.initrd, 1ull << 30);
        if (!bytes) return bytes.error().with_context(fmt::format("--initrd '{}'", o.initrd));
        initrd = std::move(*bytes);
    }
    Result<BootLayout> layout =
        plan_boot(pv::kRamBase, ram_size_, *image, kernel->size(), initrd.size());
    if (!layout) return layout.error();
    std::memcpy(ram_at(layout->kernel_addr, kernel->size()), kernel->data(), kernel->size());
    pv::MachineDescription machine;
    machine.ram_size = ram_size_;
    machine.harts = static_cast<unsigned>(vcpus_.size());
    machine.isa = kIsa;
    machine.mmu_type = "riscv,sv48";
    for (unsigned slot = 0; slot < virtio_.size(); ++slot)
        machine.virtio_slots.push_back(slot);
    machine.bootargs = o.append;
    if (!initrd.empty()) {
        std::memcpy(ram_at(layout->initrd_addr, initrd.size()), initrd.data(), initrd.size());
        machine.initrd =
            pv::MachineDescription::Range{layout->initrd_addr, layout->initrd_addr + initrd.size()};
    }
    machine.rng_seed.resize(32);
    if (getrandom(machine.rng_seed.data(), machine.rng_seed.size(), 0) < 0)
        machine.rng_seed.clear();
    Result<std::vector<uint8_t>> fdt = pv::build_fdt(machine);
    if (!fdt) return fdt.error();
    std::memcpy(ram_at(layout->fdt_addr, fdt->size()), fdt->data(), fdt->size());
    // The boot hart enters the kernel in S-mode with a0 = its hart id, a1 = the device tree.
    accel::CoreRegs regs;
    regs.pc = layout->kernel_addr;
    regs.x[10] = 0;
    regs.x[11] = layout->fdt_addr;
    regs.priv = accel::Priv::Supervisor;
    vcpus_[0]->set_regs(regs);
    vm_->flush_code();
    return {};
}

void Machine::finish(Ending ending) {
    {
        std::lock_guard lock(ending_mu_);
        if (stopping_.exchange(true)) return;
        ending_ = ending;
    }
    for (accel::Vcpu* v : vcpus_)
        v->kick();
    std::lock_guard lock(pause_mu_);
    pause_cv_.notify_all(); // paused vCPUs leave too
    parked_cv_.notify_all();
}

bool Machine::pause() {
    bool was_paused = false;
    {
        std::lock_guard lock(pause_mu_);
        was_paused = paused_;
        paused_ = true;
    }
    if (!was_paused) {
        for (accel::Vcpu* v : vcpus_)
            v->kick();
    }
    bool parked = wait_parked();
    std::lock_guard lock(pause_mu_);
    if (!frozen_time_) frozen_time_ = vm_->guest_time();
    return parked;
}

bool Machine::wait_parked() {
    std::unique_lock lock(pause_mu_);
    return parked_cv_.wait_for(lock, kPauseTimeout,
                               [this] { return parked_ == vcpu_threads_ || stopping_.load(); });
}

void Machine::resume() {
    std::lock_guard lock(pause_mu_);
    if (frozen_time_) vm_->set_guest_time(*frozen_time_);
    frozen_time_.reset();
    paused_ = false;
    pause_cv_.notify_all();
}

bool Machine::paused() const {
    std::lock_guard lock(pause_mu_);
    return paused_;
}

void Machine::handle_sbi(accel::Exit::Sbi& sbi) {
    switch (sbi.ext) {
    case kSbiLegacyPutchar: {
        char c = static_cast<char>(sbi.args[0]);
        console_->write(std::string_view(&c, 1));
        sbi.ret[0] = 0;
        return;
    }
    case kSbiLegacyGetchar:
        sbi.ret[0] = -1; // input goes through the UART
        return;
    case kSbiDbcn:
        if (sbi.fid == kDbcnWriteByte) {
            char c = static_cast<char>(sbi.args[0]);
            console_->write(std::string_view(&c, 1));
            sbi.ret[0] = accel::kSbiSuccess;
            sbi.ret[1] = 0;
        } else if (sbi.fid == kDbcnWrite) {
            uint64_t len = sbi.args[0], pa = sbi.args[1] | (sbi.args[2] << 32);
            uint8_t* p = ram_at(pa, len);
            if (!p) {
                sbi.ret[0] = accel::kSbiErrInvalidParam;
                return;
            }
            console_->write(std::string_view(reinterpret_cast<char*>(p), len));
            sbi.ret[0] = accel::kSbiSuccess;
            sbi.ret[1] = static_cast<int64_t>(len);
        } else if (sbi.fid == kDbcnRead) {
            sbi.ret[0] = accel::kSbiSuccess;
            sbi.ret[1] = 0; // input goes through the UART
        }
        return;
    default:
        return; // ret stays "not supported"
    }
}

void Machine::vcpu_loop(accel::Vcpu& vcpu) {
    while (!stopping_.load()) {
        {
            std::unique_lock lock(pause_mu_);
            if (paused_ && !stopping_.load()) {
                ++parked_;
                parked_cv_.notify_all();
                pause_cv_.wait(lock, [this] { return !paused_ || stopping_.load(); });
                --parked_;
            }
        }
        if (stopping_.load()) break;
        accel::Exit& e = vcpu.run();
        switch (e.kind) {
        case accel::Exit::Kind::Mmio:
            if (e.mmio.is_write) {
                bus_.write(e.mmio.addr, e.mmio.len, e.mmio.data);
            } else if (!bus_.read(e.mmio.addr, e.mmio.len, &e.mmio.data)) {
                e.mmio.data = 0; // nothing there: reads as zero, as on the virt board
            }
            break;
        case accel::Exit::Kind::Sbi:
            handle_sbi(e.sbi);
            break;
        case accel::Exit::Kind::Shutdown:
            finish(Ending::Poweroff);
            break;
        case accel::Exit::Kind::Reset:
            finish(Ending::Reset);
            break;
        case accel::Exit::Kind::Interrupted:
        case accel::Exit::Kind::None:
            break;
        }
    }
    std::lock_guard lock(pause_mu_);
    --vcpu_threads_;
    parked_cv_.notify_all();
}

Ending Machine::run() {
    {
        std::lock_guard lock(pause_mu_);
        vcpu_threads_ = vcpus_.size();
        // A restored guest's time continues from the file's, once it runs.
        if (!paused_ && frozen_time_) {
            vm_->set_guest_time(*frozen_time_);
            frozen_time_.reset();
        }
    }
    std::vector<std::thread> threads;
    for (size_t i = 0; i < vcpus_.size(); ++i) {
        accel::Vcpu* v = vcpus_[i];
        threads.emplace_back([this, v, i] {
            // The daemon finds each vCPU's CPU time by this name (/proc/PID/task/TID/comm).
            pthread_setname_np(pthread_self(), fmt::format("vcpu{}", i).c_str());
            vcpu_loop(*v);
        });
    }
    for (std::thread& t : threads)
        t.join();
    std::lock_guard lock(ending_mu_);
    return ending_;
}

} // namespace virtd::vmm
