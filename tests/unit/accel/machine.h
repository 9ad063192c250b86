// A test machine: a VM with RAM at 0x8000_0000 and vCPUs, programs loaded from Asm.
#pragma once

#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/kvm/accel/vcpu.h"
#include "drivers/kvm/accel/vm.h"
#include "tests/unit/accel/asm.h"

namespace virtd::accel::test {

class Machine {
public:
    static constexpr uint64_t kRam = 0x80000000;
    static constexpr uint64_t kRamSize = 8 << 20;

    // compile_threshold: Vm::set_compile_threshold, or -1 for the default (the environment's).
    explicit Machine(unsigned harts = 1, uint32_t flags = 0, int compile_threshold = -1)
        : vm(Accel().create_vm())
        , ram(MemfdRegion::create("accel-test", kRamSize).value()) {
        if (compile_threshold >= 0)
            vm->set_compile_threshold(static_cast<unsigned>(compile_threshold));
        EXPECT_TRUE(vm->set_memory_region(0, kRam, kRamSize, ram.data(), flags).ok());
        for (unsigned i = 0; i < harts; ++i)
            cpus.push_back(vm->create_vcpu(i).value());
    }

    uint8_t* host(uint64_t gpa) { return ram.data() + (gpa - kRam); }
    uint64_t read64(uint64_t gpa) {
        uint64_t v = 0;
        std::memcpy(&v, host(gpa), 8);
        return v;
    }
    void write64(uint64_t gpa, uint64_t v) { std::memcpy(host(gpa), &v, 8); }
    void load(uint64_t gpa, const Asm& a) {
        std::memcpy(host(gpa), a.bytes.data(), a.bytes.size());
        vm->flush_code(); // harts may hold decoded blocks of the old contents
    }

    // Loads the program at RAM start (or `at`) and points hart `n` at it in S-mode.
    void start(const Asm& a, unsigned n = 0, uint64_t at = kRam) {
        load(at, a);
        CoreRegs r = cpus[n]->get_regs();
        r.pc = at;
        cpus[n]->set_regs(r);
    }
    // Runs hart n until it exits; returns the exit.
    Exit& run(unsigned n = 0) { return cpus[n]->run(); }
    // Runs until the program's halt() and fails the test on any other exit.
    void run_to_halt(unsigned n = 0) {
        Exit& e = run(n);
        ASSERT_EQ(e.kind, Exit::Kind::Sbi);
        ASSERT_EQ(e.sbi.ext, 1u);
    }
    uint64_t x(unsigned reg, unsigned n = 0) { return cpus[n]->get_regs().x[reg]; }
    CsrRegs csrs(unsigned n = 0) { return cpus[n]->get_csrs(); }

    std::unique_ptr<Vm> vm;
    MemfdRegion ram;
    std::vector<Vcpu*> cpus;
};

} // namespace virtd::accel::test
