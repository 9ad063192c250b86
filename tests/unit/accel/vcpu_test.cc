// The Vcpu/Vm API around the CPU: register get/set, pause/resume, remote fences between running
// harts, ioeventfd notifications.
#include <chrono>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/unit/accel/machine.h"

namespace virtd::accel::test {
namespace {

constexpr uint64_t kFlag = Machine::kRam + 0x10000;

TEST(AccelVcpu, RegistersRoundTrip) {
    Machine m;
    CoreRegs r;
    for (unsigned i = 0; i < 32; ++i)
        r.x[i] = 1000 + i;
    r.pc = Machine::kRam + 0x40;
    m.cpus[0]->set_regs(r);
    CoreRegs back = m.cpus[0]->get_regs();
    EXPECT_EQ(back.x[0], 0u); // x0 stays zero
    EXPECT_EQ(back.x[31], 1031u);
    EXPECT_EQ(back.pc, Machine::kRam + 0x40);
    CsrRegs c;
    c.sscratch = 0x55;
    c.satp = (8ULL << 60) | 0x80100;
    c.stimecmp = 1234;
    m.cpus[0]->set_csrs(c);
    CsrRegs cb = m.cpus[0]->get_csrs();
    EXPECT_EQ(cb.sscratch, 0x55u);
    EXPECT_EQ(cb.satp, c.satp);
    EXPECT_EQ(cb.stimecmp, 1234u);
    EXPECT_EQ(m.cpus[0]->mp_state(), kHsmStarted);
}

TEST(AccelVcpu, SecondariesStartStopped) {
    Machine m(2);
    EXPECT_EQ(m.cpus[0]->mp_state(), kHsmStarted);
    EXPECT_EQ(m.cpus[1]->mp_state(), kHsmStopped);
}

TEST(AccelVcpu, StoppedHartRunsNothingUntilKicked) {
    Machine m(2);
    CoreRegs r = m.cpus[1]->get_regs();
    r.pc = 0x1000; // nothing there: executing would fault
    m.cpus[1]->set_regs(r);
    std::thread kicker([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        m.cpus[1]->kick();
    });
    EXPECT_EQ(m.run(1).kind, Exit::Kind::Interrupted);
    kicker.join();
    EXPECT_EQ(m.cpus[1]->get_regs().pc, 0x1000u);
    EXPECT_EQ(m.cpus[1]->mp_state(), kHsmStopped);
}

TEST(AccelVcpu, DeviceWritesJoinTheDirtyLog) {
    Machine m(1, kMemLogDirty);
    m.vm->mark_dirty(Machine::kRam + 0x2ff0, 0x20); // spans pages 2 and 3
    auto log = m.vm->get_dirty_log(0).value();
    EXPECT_EQ(log[0], (1ULL << 2) | (1ULL << 3));
}

TEST(AccelVcpu, DirtyLogHarvestWhileAHartWrites) {
    // The hart stores to page 7 in a loop; after every harvest the page must turn dirty again,
    // which only happens if harvesting drops the running hart's write TLB entry. The hart may
    // not be scheduled for a while on a loaded host, so each round waits (up to 5 s) for it.
    Machine m(1, kMemLogDirty);
    Asm p;
    p.li(t0, static_cast<int64_t>(Machine::kRam + 7 * 4096));
    int64_t loop = p.pc();
    p.sd(t1, t0, 0).addi(t1, t1, 1).jal(zero, loop);
    m.start(p);
    std::thread runner([&] { EXPECT_EQ(m.run().kind, Exit::Kind::Interrupted); });
    ASSERT_TRUE(m.vm->get_dirty_log(0).ok());
    for (int i = 0; i < 20; ++i) {
        uint64_t seen = 0;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (seen == 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            seen = m.vm->get_dirty_log(0).value()[0];
        }
        EXPECT_EQ(seen, 1ULL << 7) << "harvest " << i;
    }
    m.cpus[0]->kick();
    runner.join();
}

TEST(AccelVcpu, PauseParksAndResumeContinues) {
    Machine m;
    Asm p;
    p.addi(t0, t0, 1).w(enc::j(zero, -4));
    m.start(p);
    std::thread runner([&] { EXPECT_EQ(m.run().kind, Exit::Kind::Interrupted); });
    // Progress is awaited rather than assumed after a fixed sleep: a loaded host may not run
    // the vCPU thread for a while. Registers are read only while it is parked.
    auto progressed_past = [&](uint64_t before) {
        for (int i = 0; i < 5000; i++) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            m.cpus[0]->pause();
            uint64_t now = m.x(t0);
            if (now > before) return now;
            m.cpus[0]->resume();
        }
        m.cpus[0]->pause();
        return m.x(t0);
    };
    uint64_t count = progressed_past(0); // returns with the vCPU parked
    EXPECT_GT(count, 0u);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(m.x(t0), count); // parked: no progress
    m.cpus[0]->resume();
    EXPECT_GT(progressed_past(count), count);
    m.cpus[0]->resume();
    m.cpus[0]->kick();
    runner.join();
}

TEST(AccelVcpu, RemoteFencesWaitForRunningHarts) {
    Machine m(2);
    Asm spin;
    spin.li(t0, static_cast<int64_t>(kFlag));
    int64_t loop = spin.pc();
    spin.ld(t1, t0, 0).beq(t1, zero, loop).halt();
    m.start(spin, 1, Machine::kRam + 0x1000);
    m.cpus[1]->set_mp_state(kHsmStarted);
    Asm boot;
    boot.li(a0, 2).li(a1, 0).li(a2, 0).li(a3, 0).sbi(0x52464e43, 1).add(s1, a0, zero);
    boot.li(a0, 0).li(a1, -1).sbi(0x52464e43, 0).add(s2, a0, zero); // fence.i on all harts
    boot.li(a0, 8).li(a1, 0).sbi(0x52464e43, 0).add(s3, a0, zero);  // hart 3 does not exist
    boot.li(t0, static_cast<int64_t>(kFlag)).li(t1, 1).sd(t1, t0, 0);
    m.start(boot.halt());
    std::thread other([&] { m.run_to_halt(1); });
    m.run_to_halt(0);
    other.join();
    EXPECT_EQ(m.x(s1), 0u);
    EXPECT_EQ(m.x(s2), 0u);
    EXPECT_EQ(static_cast<int64_t>(m.x(s3)), -3);
}

TEST(AccelVcpu, IoeventfdSignalsWithoutExit) {
    Machine m;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    ASSERT_GE(fd, 0);
    m.vm->add_ioeventfd(0x10001050, 4, fd);
    Asm p;
    p.li(t0, 0x10001050).store(2, zero, t0, 0).store(2, zero, t0, 0);
    m.start(p.halt());
    m.run_to_halt();
    uint64_t count = 0;
    ASSERT_EQ(read(fd, &count, sizeof(count)), static_cast<ssize_t>(sizeof(count)));
    EXPECT_EQ(count, 2u);
    close(fd);
}

} // namespace
} // namespace virtd::accel::test
