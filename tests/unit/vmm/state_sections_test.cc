// The machine-level sections of a state file: each round-trips, and bad values are refused
// with a message saying what is wrong.
#include <cstring>

#include <gtest/gtest.h>

#include "drivers/kvm/vmm/state_sections.h"

namespace virtd::vmm {
namespace {

MachineShape sample_shape() {
    MachineShape s;
    s.ram_size = 256ull << 20;
    s.harts = 2;
    s.slots = {{2, "virtio-blk vda", 64ull << 20}, {4, "virtio-rng", 0}, {5, "virtio-balloon", 0}};
    return s;
}

TEST(StateSections, ShapeRoundTrip) {
    MachineShape s = sample_shape();
    Result<MachineShape> back = decode_shape(encode_shape(s));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->ram_size, s.ram_size);
    EXPECT_EQ(back->harts, 2u);
    EXPECT_EQ(back->slots, s.slots);
    EXPECT_EQ(shape_difference(*back, s), "");
}

TEST(StateSections, ShapeDifferencesAreSpelledOut) {
    MachineShape file = sample_shape();
    MachineShape now = file;
    now.ram_size = 512ull << 20;
    EXPECT_EQ(shape_difference(file, now),
              "guest memory is 256 MiB in the file but 512 MiB on the command line (--memory)");
    now = file;
    now.harts = 1;
    EXPECT_EQ(shape_difference(file, now), "the file has 2 vCPUs but the command line 1 (--smp)");
    now = file;
    now.slots[0].detail = 32ull << 20;
    EXPECT_EQ(shape_difference(file, now),
              "virtio-blk vda: disk size is 64 MiB in the file but 32 MiB now");
    now = file;
    std::swap(now.slots[1], now.slots[2]);
    EXPECT_EQ(shape_difference(file, now),
              "virtio slot 1: the file has 'virtio-rng' but the command line 'virtio-balloon'");
    now = file;
    now.slots.pop_back();
    EXPECT_EQ(shape_difference(file, now),
              "virtio slot 2: 'virtio-balloon' in the file is not on the command line");
    now = file;
    now.slots.push_back({3, "virtio-console", 1});
    EXPECT_EQ(shape_difference(file, now),
              "virtio slot 3: 'virtio-console' on the command line is not in the file");
}

TEST(StateSections, ShapeBadValues) {
    MachineShape s = sample_shape();
    s.harts = 0;
    EXPECT_EQ(decode_shape(encode_shape(s)).error().message(), "0 harts (1 to 64 allowed)");
    s = sample_shape();
    s.ram_size = 1000;
    EXPECT_EQ(decode_shape(encode_shape(s)).error().message(),
              "RAM size 1000 is not a whole number of pages");
    std::vector<uint8_t> bytes = encode_shape(sample_shape());
    bytes.resize(bytes.size() - 3);
    EXPECT_EQ(decode_shape(bytes).error().message(),
              fmt::format("truncated at byte {}", bytes.size() - 5));
}

accel::VcpuState sample_vcpu() {
    accel::VcpuState s;
    for (unsigned i = 1; i < 32; ++i)
        s.core.x[i] = 0x1000 + i;
    s.core.pc = 0x80200000;
    s.core.priv = accel::Priv::User;
    s.csrs.sstatus = 0x8000000200006022ULL;
    s.csrs.sie = 0x222;
    s.csrs.sip = 0x2;
    s.csrs.stvec = 0xffffffff80001000ULL;
    s.csrs.satp = (9ULL << 60) | 0x81234;
    s.csrs.stimecmp = 123456789;
    s.csrs.scounteren = 7;
    for (unsigned i = 0; i < 32; ++i)
        s.fp.f[i] = 0xffffffff00000000ULL | i;
    s.fp.fflags = 0x11;
    s.fp.frm = 3;
    s.instret = 987654321;
    s.hsm_state = accel::kHsmStartPending;
    s.start_pc = 0x80201000;
    s.start_opaque = 42;
    return s;
}

TEST(StateSections, VcpuRoundTrip) {
    accel::VcpuState s = sample_vcpu();
    Result<accel::VcpuState> back = decode_vcpu(encode_vcpu(s));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(std::memcmp(back->core.x, s.core.x, sizeof s.core.x), 0);
    EXPECT_EQ(back->core.pc, s.core.pc);
    EXPECT_EQ(back->core.priv, s.core.priv);
    EXPECT_EQ(back->csrs.sstatus, s.csrs.sstatus);
    EXPECT_EQ(back->csrs.sie, s.csrs.sie);
    EXPECT_EQ(back->csrs.sip, s.csrs.sip);
    EXPECT_EQ(back->csrs.stvec, s.csrs.stvec);
    EXPECT_EQ(back->csrs.satp, s.csrs.satp);
    EXPECT_EQ(back->csrs.stimecmp, s.csrs.stimecmp);
    EXPECT_EQ(back->csrs.scounteren, s.csrs.scounteren);
    EXPECT_EQ(std::memcmp(back->fp.f, s.fp.f, sizeof s.fp.f), 0);
    EXPECT_EQ(back->fp.fflags, s.fp.fflags);
    EXPECT_EQ(back->fp.frm, s.fp.frm);
    EXPECT_EQ(back->instret, s.instret);
    EXPECT_EQ(back->hsm_state, s.hsm_state);
    EXPECT_EQ(back->start_pc, s.start_pc);
    EXPECT_EQ(back->start_opaque, s.start_opaque);
}

TEST(StateSections, VcpuBadValues) {
    accel::VcpuState s = sample_vcpu();
    s.core.priv = static_cast<accel::Priv>(3);
    EXPECT_EQ(decode_vcpu(encode_vcpu(s)).error().message(), "privilege 3 (0 or 1 allowed)");
    s = sample_vcpu();
    s.fp.frm = 9;
    EXPECT_EQ(decode_vcpu(encode_vcpu(s)).error().message(), "fcsr out of range");
    s = sample_vcpu();
    s.hsm_state = 7;
    EXPECT_EQ(decode_vcpu(encode_vcpu(s)).error().message(), "HSM state 7 unknown");
    s = sample_vcpu();
    s.csrs.satp = 5ULL << 60;
    EXPECT_EQ(decode_vcpu(encode_vcpu(s)).error().message(), "satp mode 5 unknown");
    std::vector<uint8_t> bytes = encode_vcpu(sample_vcpu());
    bytes.push_back(0);
    EXPECT_EQ(decode_vcpu(bytes).error().message(), "1 unexpected bytes after the last field");
}

TEST(StateSections, PlicRoundTripThroughAPlic) {
    // Program a PLIC through its registers, save, restore into another, compare what the
    // guest reads back, and check the restored one interrupts the hart as the first did.
    std::vector<std::pair<unsigned, bool>> seip_a, seip_b;
    accel::Plic a(2, [&](unsigned h, bool l) { seip_a.push_back({h, l}); });
    accel::Plic b(2, [&](unsigned h, bool l) { seip_b.push_back({h, l}); });
    a.set_hart_count(2);
    b.set_hart_count(2);
    a.write(4 * 10, 4, 5);                             // priority of source 10
    a.write(4 * 3, 4, 2);                              // priority of source 3
    a.write(0x2000 + 0x80 * 1, 4, 1u << 10 | 1u << 3); // hart 0 S-mode enables
    a.write(0x200000 + 0x1000 * 3, 4, 1);              // hart 1 S-mode threshold
    a.set_line(10, true);
    a.set_line(3, true);
    uint64_t claimed = 0;
    a.read(0x200000 + 0x1000 * 1 + 4, 4, claimed); // hart 0 claims 10
    ASSERT_EQ(claimed, 10u);
    Result<accel::Plic::State> st = decode_plic(encode_plic(a.save()), a.context_count());
    ASSERT_TRUE(st) << st.error().message();
    b.restore(*st);
    for (uint64_t off : {uint64_t{4 * 10}, uint64_t{4 * 3}, uint64_t{0x1000},
                         uint64_t{0x2000 + 0x80}, uint64_t{0x200000 + 0x1000 * 3}}) {
        uint64_t va = 0, vb = 0;
        a.read(off, 4, va);
        b.read(off, 4, vb);
        EXPECT_EQ(va, vb) << "offset 0x" << std::hex << off;
    }
    ASSERT_FALSE(seip_b.empty());
    EXPECT_EQ(seip_b.back(), (std::pair<unsigned, bool>{0, true})); // 3 is still pending
    uint64_t next = 0;
    b.read(0x200000 + 0x1000 * 1 + 4, 4, next);
    EXPECT_EQ(next, 3u);
    b.write(0x200000 + 0x1000 * 1 + 4, 4, 10); // completing the saved claim works
    uint64_t again = 0;
    b.read(0x200000 + 0x1000 * 1 + 4, 4, again);
    EXPECT_EQ(again, 10u); // its line is still high: pending again
}

TEST(StateSections, PlicContextCountMustMatch) {
    accel::Plic a(2, [](unsigned, bool) {});
    EXPECT_EQ(decode_plic(encode_plic(a.save()), 8).error().message(),
              "4 contexts, this PLIC has 8");
}

TEST(StateSections, ClockRoundTrip) {
    EXPECT_EQ(*decode_clock(encode_clock(0x123456789abcULL)), 0x123456789abcULL);
    EXPECT_FALSE(decode_clock(std::vector<uint8_t>(7)));
}

TEST(StateSections, RamIsSparseAndRoundTrips) {
    constexpr uint64_t kSize = 64 * kStatePageSize;
    std::vector<uint8_t> ram(kSize, 0);
    ram[0] = 1;                        // page 0
    ram[5 * kStatePageSize + 100] = 2; // pages 5, 6
    ram[6 * kStatePageSize + 4095] = 3;
    ram[63 * kStatePageSize] = 4; // the last page
    std::vector<RamRun> runs = find_ram_runs(ram.data(), kSize);
    ASSERT_EQ(runs.size(), 3u);
    EXPECT_EQ(runs[1].first, 5u);
    EXPECT_EQ(runs[1].pages, 2u);
    EXPECT_EQ(ram_section_length(runs), 3 * 16 + 4 * kStatePageSize);
    StateWriter w;
    for (const RamRun& r : runs) {
        w.u64(r.first);
        w.u64(r.pages);
        for (uint64_t i = 0; i < r.pages * kStatePageSize; ++i)
            w.u8(ram[r.first * kStatePageSize + i]);
    }
    std::vector<uint8_t> back(kSize, 0);
    ASSERT_TRUE(load_ram(w.bytes(), back.data(), kSize));
    EXPECT_EQ(back, ram);
}

TEST(StateSections, RamRunsOutsideOrOutOfOrderAreRefused) {
    constexpr uint64_t kSize = 4 * kStatePageSize;
    std::vector<uint8_t> ram(kSize);
    auto run = [](std::initializer_list<std::pair<uint64_t, uint64_t>> runs, bool data = true) {
        StateWriter w;
        for (auto [first, pages] : runs) {
            w.u64(first);
            w.u64(pages);
            if (data)
                for (uint64_t i = 0; i < pages * kStatePageSize; ++i)
                    w.u8(0);
        }
        return w.take();
    };
    EXPECT_EQ(load_ram(run({{3, 2}}), ram.data(), kSize).error().message(),
              "byte 0: a run of 2 pages at page 3 is out of order or outside 4 pages of RAM");
    EXPECT_EQ(load_ram(run({{2, 1}, {1, 1}}), ram.data(), kSize).error().message(),
              "byte 4112: a run of 1 pages at page 1 is out of order or outside 4 pages of RAM");
    EXPECT_EQ(load_ram(run({{0, 0}}), ram.data(), kSize).error().message(),
              "byte 0: a run of 0 pages at page 0 is out of order or outside 4 pages of RAM");
    EXPECT_EQ(load_ram(run({{0, 2}}, false), ram.data(), kSize).error().message(),
              "truncated at byte 16");
    EXPECT_EQ(load_ram(run({{UINT64_MAX, 2}}, false), ram.data(), kSize).error().message(),
              "byte 0: a run of 2 pages at page 18446744073709551615 is out of order or outside 4 "
              "pages of RAM");
}

} // namespace
} // namespace virtd::vmm
