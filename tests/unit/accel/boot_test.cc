// Boots the shared riscv64 Linux guest on the bare accelerator (console through SBI, no devices)
// until it runs /init: a whole-system check of the CPU, MMU, traps, timer, SBI and SMP bring-up.
// Skipped when the guest images (VIRTD_GUEST_DIR) or dtc are missing.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/accel/machine.h"

namespace virtd::accel::test {
namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 256 << 20;
constexpr uint64_t kKernel = kRamBase + 0x200000;
constexpr uint64_t kFdt = kRamBase + 0x2200000;
constexpr uint64_t kInitrd = kRamBase + 0x8200000;

std::vector<char> slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::string cpu_nodes(unsigned harts) {
    std::string out;
    for (unsigned i = 0; i < harts; ++i) {
        std::string n = std::to_string(i);
        out += "cpu@" + n + " { device_type = \"cpu\"; reg = <" + n +
               ">; status = \"okay\"; compatible = \"riscv\"; "
               "riscv,isa = \"rv64imac_zicsr_zifencei_zba_zbb_zbs_sstc\"; mmu-type = "
               "\"riscv,sv48\"; intc" +
               n +
               ": interrupt-controller { #interrupt-cells = <1>; interrupt-controller; "
               "compatible = \"riscv,cpu-intc\"; }; };\n";
    }
    return out;
}

// A minimal device tree: memory, harts, PLIC, console on SBI.
std::vector<char> make_fdt(unsigned harts, uint64_t initrd_end) {
    std::string plic_ctx;
    for (unsigned i = 0; i < harts; ++i) {
        plic_ctx += "&intc" + std::to_string(i) + " 0xffffffff &intc" + std::to_string(i) + " 9 ";
    }
    char initrd[128];
    std::snprintf(initrd, sizeof(initrd), "<0x0 0x%llx>",
                  static_cast<unsigned long long>(initrd_end));
    std::string dts = "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; "
                      "compatible = \"riscv-virtio\"; model = \"virtd-accel-test\";\n"
                      "chosen { bootargs = \"console=hvc0 earlycon=sbi\"; "
                      "linux,initrd-start = <0x0 0x88200000>; linux,initrd-end = " +
                      std::string(initrd) +
                      "; };\n"
                      "memory@80000000 { device_type = \"memory\"; reg = <0x0 0x80000000 0x0 "
                      "0x10000000>; };\n"
                      "cpus { #address-cells = <1>; #size-cells = <0>; timebase-frequency = "
                      "<10000000>;\n" +
                      cpu_nodes(harts) +
                      "};\nsoc { #address-cells = <2>; #size-cells = <2>; compatible = "
                      "\"simple-bus\"; ranges;\n"
                      "interrupt-controller@c000000 { compatible = \"sifive,plic-1.0.0\"; "
                      "reg = <0x0 0xc000000 0x0 0x600000>; #interrupt-cells = <1>; "
                      "#address-cells = <0>; interrupt-controller; riscv,ndev = <95>; "
                      "interrupts-extended = <" +
                      plic_ctx + ">; };\n};\n};\n";
    std::string dir = testing::TempDir();
    std::ofstream(dir + "/accel-boot.dts") << dts;
    std::string cmd =
        "dtc -q -I dts -O dtb -o " + dir + "/accel-boot.dtb " + dir + "/accel-boot.dts";
    if (std::system(cmd.c_str()) != 0) return {};
    return slurp(dir + "/accel-boot.dtb");
}

// Runs the guest until `marker` appears on the console (or a timeout); returns the console.
std::string boot(unsigned harts, const std::string& marker) {
    const char* dir = std::getenv("VIRTD_GUEST_DIR");
    std::vector<char> image = slurp(std::string(dir != nullptr ? dir : "") + "/Image");
    std::vector<char> initrd = slurp(std::string(dir != nullptr ? dir : "") + "/initramfs.cpio.gz");
    std::vector<char> fdt = make_fdt(harts, kInitrd + initrd.size());
    if (image.empty() || initrd.empty() || fdt.empty()) return "SKIP";

    auto vm = Accel().create_vm();
    auto ram = MemfdRegion::create("boot", kRamSize).value();
    EXPECT_TRUE(vm->set_memory_region(0, kRamBase, kRamSize, ram.data(), 0).ok());
    std::memcpy(ram.data() + (kKernel - kRamBase), image.data(), image.size());
    std::memcpy(ram.data() + (kFdt - kRamBase), fdt.data(), fdt.size());
    std::memcpy(ram.data() + (kInitrd - kRamBase), initrd.data(), initrd.size());
    std::vector<Vcpu*> cpus;
    for (unsigned i = 0; i < harts; ++i)
        cpus.push_back(vm->create_vcpu(i).value());
    CoreRegs r;
    r.pc = kKernel;
    r.x[11] = kFdt;
    cpus[0]->set_regs(r);

    std::mutex mutex;
    std::string console;
    std::atomic<bool> done{false};
    auto put = [&](const char* p, size_t n) {
        std::lock_guard<std::mutex> guard(mutex);
        console.append(p, n);
        if (console.find(marker) != std::string::npos) done = true;
    };
    auto loop = [&](unsigned n) {
        while (!done) {
            Exit& e = cpus[n]->run();
            if (e.kind == Exit::Kind::Sbi && e.sbi.ext == 1) {
                char c = static_cast<char>(e.sbi.args[0]);
                put(&c, 1);
                e.sbi.ret[0] = 0;
            } else if (e.kind == Exit::Kind::Sbi && e.sbi.ext == 0x4442434e && e.sbi.fid == 0) {
                put(reinterpret_cast<const char*>(ram.data() + (e.sbi.args[1] - kRamBase)),
                    e.sbi.args[0]);
                e.sbi.ret[0] = 0;
                e.sbi.ret[1] = static_cast<int64_t>(e.sbi.args[0]);
            } else if (e.kind == Exit::Kind::Mmio) {
                e.mmio.data = 0; // no devices
            } else if (e.kind == Exit::Kind::Shutdown || e.kind == Exit::Kind::Reset) {
                done = true;
            }
        }
        for (Vcpu* c : cpus)
            c->kick();
    };
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < harts; ++i)
        threads.emplace_back(loop, i);
    for (int i = 0; i < 300 && !done; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    done = true;
    for (Vcpu* c : cpus)
        c->kick();
    for (auto& t : threads)
        t.join();
    return console;
}

TEST(AccelBoot, LinuxRunsInitOnTwoHarts) {
    std::string console = boot(2, "Run /init as init process");
    if (console == "SKIP") GTEST_SKIP() << "no guest images in VIRTD_GUEST_DIR, or no dtc";
    EXPECT_NE(console.find("smp: Brought up 1 node, 2 CPUs"), std::string::npos) << console;
    EXPECT_NE(console.find("Run /init as init process"), std::string::npos) << console;
}

} // namespace
} // namespace virtd::accel::test
