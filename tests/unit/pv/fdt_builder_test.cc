#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <libfdt.h>
#include <stdlib.h>
#include <unistd.h>

#include "drivers/pv/fdt_builder.h"
#include "tests/unit/pv/dts_text.h"

namespace virtd::pv {
namespace {

using testing::DtsTree;

// The machine QEMU's reference tree describes (tests/data/pv/qemu-virt-guest-view-smp2.dts:
// QEMU 7.2 virt, -smp 2 -m 256M, as OpenSBI hands it to Linux), with all eight virtio slots.
MachineDescription qemu_like_machine() {
    MachineDescription m;
    m.ram_size = 256 << 20;
    m.harts = 2;
    m.isa = "rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc";
    m.mmu_type = "riscv,sv48";
    m.virtio_slots = {0, 1, 2, 3, 4, 5, 6, 7};
    m.bootargs = "console=ttyS0 earlycon devs=1 disk=1 net=1 p9=1 halt=1";
    m.initrd = MachineDescription::Range{0x88200000, 0x882e9ba9};
    return m;
}

std::vector<uint8_t> build(const MachineDescription& m) {
    auto blob = build_fdt(m);
    EXPECT_TRUE(blob.ok()) << (blob.ok() ? "" : blob.error().message());
    return blob.ok() ? *blob : std::vector<uint8_t>{};
}

std::string prop_string(const void* fdt, const char* path, const char* name) {
    int node = fdt_path_offset(fdt, path);
    if (node < 0) return "<no node>";
    int len = 0;
    const auto* p = static_cast<const char*>(fdt_getprop(fdt, node, name, &len));
    return p ? std::string(p, strnlen(p, static_cast<size_t>(len))) : "<no property>";
}

std::vector<uint32_t> prop_cells(const void* fdt, const char* path, const char* name) {
    std::vector<uint32_t> out;
    int node = fdt_path_offset(fdt, path);
    int len = 0;
    const auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, name, &len));
    for (int i = 0; p && i < len / 4; i++)
        out.push_back(fdt32_to_cpu(p[i]));
    return out;
}

// The node a phandle-valued property points at, as a path.
std::string target(const void* fdt, const char* path, const char* name, size_t index = 0) {
    auto c = prop_cells(fdt, path, name);
    if (index >= c.size()) return "<no cell>";
    int node = fdt_node_offset_by_phandle(fdt, c[index]);
    char buf[256];
    return node >= 0 && fdt_get_path(fdt, node, buf, sizeof buf) == 0 ? buf : "<dangling>";
}

TEST(FdtBuilder, LibfdtSeesTheDevicesLinuxNeeds) {
    auto blob = build(qemu_like_machine());
    const void* fdt = blob.data();
    ASSERT_EQ(fdt_check_header(fdt), 0);
    EXPECT_EQ(fdt_totalsize(fdt), blob.size());

    EXPECT_EQ(prop_cells(fdt, "/memory@80000000", "reg"),
              (std::vector<uint32_t>{0, 0x80000000, 0, 0x10000000}));
    EXPECT_EQ(prop_cells(fdt, "/cpus", "timebase-frequency"), std::vector<uint32_t>{10000000});
    for (const char* cpu : {"/cpus/cpu@0", "/cpus/cpu@1"}) {
        EXPECT_EQ(prop_string(fdt, cpu, "riscv,isa"), qemu_like_machine().isa);
        EXPECT_EQ(prop_string(fdt, cpu, "mmu-type"), "riscv,sv48");
        EXPECT_EQ(prop_string(fdt, cpu, "status"), "okay");
    }
    EXPECT_EQ(prop_cells(fdt, "/cpus/cpu@1", "reg"), std::vector<uint32_t>{1});
    EXPECT_EQ(prop_string(fdt, "/cpus/cpu@1/interrupt-controller", "compatible"), "riscv,cpu-intc");

    // PLIC: context 2h is hart h's M-mode (not connected), 2h+1 its S-mode external interrupt.
    const char* plic = "/soc/plic@c000000";
    auto ctx = prop_cells(fdt, plic, "interrupts-extended");
    ASSERT_EQ(ctx.size(), 8u);
    EXPECT_EQ(ctx[1], 0xffffffffu);
    EXPECT_EQ(ctx[3], 9u);
    EXPECT_EQ(ctx[7], 9u);
    EXPECT_EQ(target(fdt, plic, "interrupts-extended", 6), "/cpus/cpu@1/interrupt-controller");
    EXPECT_EQ(plic_s_context(1), 3u);
    EXPECT_EQ(prop_cells(fdt, plic, "riscv,ndev"), std::vector<uint32_t>{96});

    EXPECT_EQ(prop_string(fdt, "/soc/serial@10000000", "compatible"), "ns16550a");
    EXPECT_EQ(prop_cells(fdt, "/soc/serial@10000000", "interrupts"), std::vector<uint32_t>{10});
    EXPECT_EQ(target(fdt, "/soc/serial@10000000", "interrupt-parent"), plic);
    EXPECT_EQ(prop_cells(fdt, "/soc/rtc@101000", "interrupts"), std::vector<uint32_t>{11});
    EXPECT_EQ(prop_cells(fdt, "/soc/virtio_mmio@10008000", "interrupts"), std::vector<uint32_t>{8});
    EXPECT_EQ(target(fdt, "/poweroff", "regmap"), "/soc/test@100000");
    EXPECT_EQ(prop_cells(fdt, "/poweroff", "value"), std::vector<uint32_t>{0x5555});
    EXPECT_EQ(prop_cells(fdt, "/reboot", "value"), std::vector<uint32_t>{0x7777});

    EXPECT_EQ(prop_string(fdt, "/chosen", "stdout-path"), "/soc/serial@10000000");
    EXPECT_EQ(prop_string(fdt, "/aliases", "serial0"), "/soc/serial@10000000");
    EXPECT_EQ(prop_string(fdt, "/chosen", "bootargs"), qemu_like_machine().bootargs);
    EXPECT_EQ(prop_cells(fdt, "/chosen", "linux,initrd-end"),
              (std::vector<uint32_t>{0, 0x882e9ba9}));
}

TEST(FdtBuilder, OnlyPresentVirtioSlotsAndOptionalParts) {
    MachineDescription m;
    m.ram_size = 64 << 20;
    m.virtio_slots = {2};
    m.clint = false;
    m.rng_seed = {1, 2, 3, 4};
    auto blob = build(m);
    const void* fdt = blob.data();
    EXPECT_GE(fdt_path_offset(fdt, "/soc/virtio_mmio@10003000"), 0);
    EXPECT_EQ(prop_cells(fdt, "/soc/virtio_mmio@10003000", "interrupts"), std::vector<uint32_t>{3});
    EXPECT_LT(fdt_path_offset(fdt, "/soc/virtio_mmio@10001000"), 0);
    EXPECT_LT(fdt_path_offset(fdt, "/soc/clint@2000000"), 0);
    EXPECT_LT(fdt_path_offset(fdt, "/cpus/cpu@1"), 0);
    EXPECT_EQ(prop_cells(fdt, "/chosen", "rng-seed"), std::vector<uint32_t>{0x01020304});
    int chosen = fdt_path_offset(fdt, "/chosen");
    EXPECT_EQ(fdt_getprop(fdt, chosen, "bootargs", nullptr), nullptr);
    EXPECT_EQ(fdt_getprop(fdt, chosen, "linux,initrd-start", nullptr), nullptr);
}

TEST(FdtBuilder, IsDeterministic) {
    EXPECT_EQ(build(qemu_like_machine()), build(qemu_like_machine()));
}

TEST(FdtBuilder, RefusesBadDescriptions) {
    auto expect_refused = [](MachineDescription m, const std::string& words) {
        auto r = build_fdt(m);
        ASSERT_FALSE(r.ok()) << words;
        EXPECT_EQ(r.error().code(), ErrorCode::InvalidArg);
        EXPECT_NE(r.error().message().find(words), std::string::npos) << r.error().message();
    };
    MachineDescription ok;
    ok.ram_size = 1 << 20;
    ASSERT_TRUE(build_fdt(ok).ok());

    auto m = ok;
    m.ram_size = 0;
    expect_refused(m, "RAM");
    m = ok;
    m.harts = 0;
    expect_refused(m, "harts");
    m.harts = 513;
    expect_refused(m, "harts");
    m = ok;
    m.isa = "rv32imac";
    expect_refused(m, "rv64");
    m = ok;
    m.mmu_type = "sv48";
    expect_refused(m, "mmu-type");
    m = ok;
    m.initrd = MachineDescription::Range{0x1000, 0x2000};
    expect_refused(m, "initrd");
    m = ok;
    m.virtio_slots = {8};
    expect_refused(m, "slot 8");
    m.virtio_slots = {1, 1};
    expect_refused(m, "twice");
}

TEST(FdtBuilder, SizeLimitIsAnError) {
    MachineDescription m;
    m.ram_size = 1 << 20;
    m.harts = 64;
    auto r = build_fdt(m, 1024);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::InternalError);
    EXPECT_NE(r.error().message().find("1024"), std::string::npos) << r.error().message();
    EXPECT_TRUE(build_fdt(m).ok()) << "64 harts fit the default limit";
}

// Runs a command, returning its exit status; stdout/stderr go where the command redirects.
int run(const std::string& cmd) {
    return std::system(cmd.c_str());
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Properties holding phandles, and the stride of phandle cells in them.
size_t phandle_stride(const std::string& name) {
    if (name == "interrupts-extended") return 2; // <intc irq> pairs (#interrupt-cells = 1)
    if (name == "interrupt-parent" || name == "regmap" || name == "cpu") return 1;
    return 0;
}

class FdtBuilderDtc : public ::testing::Test {
protected:
    void SetUp() override {
        if (run("command -v dtc >/dev/null 2>&1") != 0)
            GTEST_SKIP() << "dtc not installed (Debian package device-tree-compiler)";
        char tmpl[] = "/tmp/pv-fdt-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        if (!dir_.empty()) run("rm -rf '" + dir_ + "'");
    }

    // Decompiles blob with dtc; returns the dts text and leaves dtc's warnings in *warnings.
    std::string decompile(const std::vector<uint8_t>& blob, std::string* warnings) {
        std::string dtb = dir_ + "/t.dtb", dts = dir_ + "/t.dts", err = dir_ + "/err";
        std::ofstream(dtb, std::ios::binary)
            .write(reinterpret_cast<const char*>(blob.data()),
                   static_cast<std::streamsize>(blob.size()));
        EXPECT_EQ(run("dtc -I dtb -O dts -o '" + dts + "' '" + dtb + "' 2>'" + err + "'"), 0)
            << slurp(err);
        *warnings = slurp(err);
        return slurp(dts);
    }

    std::string dir_;
};

TEST_F(FdtBuilderDtc, DecompilesCleanly) {
    std::string warnings;
    std::string dts = decompile(build(qemu_like_machine()), &warnings);
    EXPECT_NE(dts.find("compatible = \"ns16550a\";"), std::string::npos);
    // dtc warns about the cpu interrupt controllers lacking #address-cells, exactly as it does
    // for QEMU's own tree; nothing else.
    std::istringstream lines(warnings);
    std::string line;
    while (std::getline(lines, line))
        EXPECT_NE(line.find("Missing #address-cells in interrupt provider"), std::string::npos)
            << line;
}

TEST_F(FdtBuilderDtc, MatchesQemuVirtForTheSameDevices) {
    const char* data = std::getenv("VIRTD_TEST_DATA");
    ASSERT_NE(data, nullptr) << "VIRTD_TEST_DATA is not set";
    DtsTree qemu =
        testing::parse_dts(slurp(std::string(data) + "/pv/qemu-virt-guest-view-smp2.dts"));
    ASSERT_GT(qemu.nodes.size(), 20u);
    std::string warnings;
    DtsTree ours = testing::parse_dts(decompile(build(qemu_like_machine()), &warnings));

    // Devices this platform does not have (and OpenSBI's reservation, since there is no
    // firmware in guest memory); /aliases is ours alone.
    auto omitted = [](const std::string& path) {
        for (const char* p :
             {"/pmu", "/fw-cfg@", "/flash@", "/platform-bus@", "/soc/pci@", "/reserved-memory"})
            if (path.starts_with(p)) return true;
        return false;
    };
    std::set<std::string> want, have;
    for (const auto& [path, props] : qemu.nodes)
        if (!omitted(path)) want.insert(path);
    for (const auto& [path, props] : ours.nodes)
        if (path != "/aliases") have.insert(path);
    EXPECT_EQ(have, want);

    for (const std::string& path : want) {
        if (!ours.nodes.count(path)) continue;
        const auto& q = qemu.nodes.at(path);
        const auto& o = ours.nodes.at(path);
        std::set<std::string> qnames, onames;
        for (const auto& [name, v] : q)
            qnames.insert(name);
        for (const auto& [name, v] : o)
            onames.insert(name);
        EXPECT_EQ(onames, qnames) << "properties of " << path;
        for (const auto& [name, qv] : q) {
            if (!o.count(name) || name == "phandle" || name == "model") continue;
            const std::string& ov = o.at(name);
            if (name.starts_with("linux,initrd-")) {
                EXPECT_EQ(testing::number(ov), testing::number(qv)) << path << " " << name;
            } else if (size_t stride = phandle_stride(name)) {
                EXPECT_EQ(testing::resolve_phandles(ours, ov, stride),
                          testing::resolve_phandles(qemu, qv, stride))
                    << path << " " << name;
            } else {
                EXPECT_EQ(ov, qv) << path << " " << name;
            }
        }
    }
}

} // namespace
} // namespace virtd::pv
