// The block compiler against the interpreter: random programs of the instructions the compiler
// emits inline (ALU, loads and stores of every width, aligned and not, branches, JAL, JALR,
// AUIPC) run both ways from the same state must leave the same registers, memory and instret.
#include <array>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "drivers/kvm/accel/block_compiler.h"
#include "tests/unit/accel/machine.h"

namespace virtd::accel::test {
namespace {

constexpr uint64_t kData = Machine::kRam + 0x100000; // s0 points here
constexpr uint64_t kDataBytes = 2048;                // reachable with a 12-bit offset

// Registers the programs compute with: x1..x15 without s0 (the data base).
Reg pick(std::mt19937_64& rng) {
    static constexpr std::array<Reg, 14> kRegs = {ra, sp, gp, tp, t0, t1, t2,
                                                  s1, a0, a1, a2, a3, a4, a5};
    return kRegs[rng() % kRegs.size()];
}

int64_t interesting(std::mt19937_64& rng) {
    static constexpr std::array<uint64_t, 10> kValues = {0,
                                                         1,
                                                         ~0ULL,
                                                         0x7fffffffULL,
                                                         0x80000000ULL,
                                                         0xffffffff80000000ULL,
                                                         0x8000000000000000ULL,
                                                         0x7fffffffffffffffULL,
                                                         63,
                                                         64};
    return static_cast<int64_t>(rng() % 3 == 0 ? kValues[rng() % kValues.size()] : rng());
}

// One random instruction (or a short group for branches and jumps) appended to `a`.
void random_insn(Asm& a, std::mt19937_64& rng) {
    Reg rd = pick(rng), r1 = pick(rng), r2 = pick(rng);
    if (rng() % 16 == 0) rd = zero; // writes to x0 must vanish
    auto imm12 = static_cast<int64_t>(rng() % 4096) - 2048;
    switch (rng() % 12) {
    case 0:
    case 1: { // OP: base, M (mul only), Zba shNadd
        static constexpr std::array<std::pair<uint32_t, uint32_t>, 15> kOps = {{
            {0, 0},
            {0x20, 0},
            {0, 1},
            {0, 2},
            {0, 3},
            {0, 4},
            {0, 5},
            {0x20, 5},
            {0, 6},
            {0, 7},
            {1, 0},
            {0x10, 2},
            {0x10, 4},
            {0x10, 6},
            {1, 4}, // div goes through a call
        }};
        auto [f7, f3] = kOps[rng() % kOps.size()];
        a.op(f7, f3, rd, r1, r2);
        break;
    }
    case 2: { // OP-32
        static constexpr std::array<std::pair<uint32_t, uint32_t>, 6> kOps = {
            {{0, 0}, {0x20, 0}, {0, 1}, {0, 5}, {0x20, 5}, {1, 0}}};
        auto [f7, f3] = kOps[rng() % kOps.size()];
        a.op32(f7, f3, rd, r1, r2);
        break;
    }
    case 3: { // OP-IMM
        uint32_t f3 = static_cast<uint32_t>(rng() % 8);
        int64_t imm = imm12;
        if (f3 == 1) imm = static_cast<int64_t>(rng() % 64);
        if (f3 == 5) imm = static_cast<int64_t>(rng() % 64) | (rng() % 2 ? 0x400 : 0);
        a.w(enc::i(0x13, f3, rd, r1, imm));
        break;
    }
    case 4: { // OP-IMM-32
        static constexpr std::array<uint32_t, 3> kF3 = {0, 1, 5};
        uint32_t f3 = kF3[rng() % kF3.size()];
        int64_t imm = imm12;
        if (f3 != 0) imm = static_cast<int64_t>(rng() % 32) | (f3 == 5 && rng() % 2 ? 0x400 : 0);
        a.w(enc::i(0x1b, f3, rd, r1, imm));
        break;
    }
    case 5: // LUI, AUIPC
        a.w((static_cast<uint32_t>(rng() & 0xfffff) << 12) | (rd << 7) |
            (rng() % 2 ? 0x37u : 0x17u));
        break;
    case 6:
    case 7: { // loads: every width, sometimes misaligned (the compiled slow path)
        uint32_t f3 = static_cast<uint32_t>(rng() % 7);
        a.load(f3, rd, s0, static_cast<int64_t>(rng() % (kDataBytes - 8)));
        break;
    }
    case 8:
    case 9: { // stores
        uint32_t f3 = static_cast<uint32_t>(rng() % 4);
        a.store(f3, r2, s0, static_cast<int64_t>(rng() % (kDataBytes - 8)));
        break;
    }
    case 10: { // a branch over a few instructions
        Asm body;
        unsigned n = 1 + static_cast<unsigned>(rng() % 3);
        int64_t at = a.pc();
        for (unsigned k = 0; k < n; ++k)
            body.addi(pick(rng), pick(rng), static_cast<int64_t>(rng() % 100));
        static constexpr std::array<uint32_t, 6> kF3 = {0, 1, 4, 5, 6, 7};
        a.branch(kF3[rng() % kF3.size()], r1, r2, at + 4 + body.pc());
        a.bytes.insert(a.bytes.end(), body.bytes.begin(), body.bytes.end());
        break;
    }
    default: { // JAL or JALR to the next instruction, linking into rd
        if (rng() % 2) {
            a.jal(rd, a.pc() + 4);
        } else {
            // auipc t2, 0; jalr rd, 12(t2) lands after both
            a.w((t2 << 7) | 0x17u);
            a.w(enc::i(0x67, 0, rd, t2, 8));
        }
        break;
    }
    }
}

struct Outcome {
    std::array<uint64_t, 32> x{};
    std::vector<uint8_t> data;
};

Outcome run(const Asm& prog, unsigned threshold, const std::array<uint64_t, 32>& regs) {
    Outcome o;
    Machine m(1, 0, static_cast<int>(threshold));
    for (uint64_t k = 0; k < kDataBytes; k += 8)
        m.write64(kData + k, 0x0123456789abcdefULL * (k + 1));
    m.start(prog);
    CoreRegs r = m.cpus[0]->get_regs();
    for (unsigned k = 1; k < 32; ++k)
        r.x[k] = regs[k];
    m.cpus[0]->set_regs(r);
    Exit& e = m.run();
    EXPECT_EQ(e.kind, Exit::Kind::Sbi);
    CoreRegs end = m.cpus[0]->get_regs();
    for (unsigned k = 0; k < 32; ++k)
        o.x[k] = end.x[k];
    o.data.assign(m.host(kData), m.host(kData) + kDataBytes);
    return o;
}

TEST(BlockCompiler, RandomProgramsMatchTheInterpreter) {
    if (!BlockCompiler::supported()) GTEST_SKIP() << "no block compiler for this host";
    std::mt19937_64 rng(20261201);
    for (unsigned round = 0; round < 300; ++round) {
        // The body runs three times in a loop (a6 counts), so compiled code runs on state the
        // compiled code itself produced, and blocks run compiled after a few interpreted runs.
        Asm a;
        a.li(a6, 3);
        int64_t top = a.pc();
        unsigned n = 10 + static_cast<unsigned>(rng() % 60);
        for (unsigned k = 0; k < n; ++k)
            random_insn(a, rng);
        a.addi(a6, a6, -1);
        a.bne(a6, zero, top);
        a.csrr(a7, 0xc02); // instret: the compiled code counts like the interpreter
        a.w(enc::r(0x33, 0, 0, a6, a7, zero)); // a6 = instret (halt overwrites a7)
        a.halt();

        std::array<uint64_t, 32> regs{};
        for (unsigned k = 1; k < 32; ++k)
            regs[k] = static_cast<uint64_t>(interesting(rng));
        regs[s0] = kData;

        Outcome interp = run(a, 0, regs);
        for (unsigned threshold : {1u, 2u}) {
            Outcome compiled = run(a, threshold, regs);
            for (unsigned k = 0; k < 32; ++k) {
                ASSERT_EQ(compiled.x[k], interp.x[k])
                    << "round " << round << " threshold " << threshold << " x" << k;
            }
            ASSERT_TRUE(compiled.data == interp.data) << "round " << round << " memory differs";
        }
    }
}

// A block that has been compiled must see code the guest rewrites after FENCE.I.
TEST(BlockCompiler, RewrittenCodeRunsAfterFenceI) {
    Machine m(1, 0, 1);
    Asm a;
    a.li(s1, 2);
    int64_t top = a.pc();
    int64_t patched = a.pc();
    a.addi(a0, zero, 1); // rewritten to addi a0, zero, 2 on the first pass
    a.li(t0, static_cast<int64_t>(enc::i(0x13, 0, a0, zero, 2)));
    a.li(t1, static_cast<int64_t>(Machine::kRam + static_cast<uint64_t>(patched)));
    a.store(2, t0, t1, 0);
    a.fence_i();
    a.addi(s1, s1, -1);
    a.bne(s1, zero, top);
    a.halt();
    m.start(a);
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 2u);
}

} // namespace
} // namespace virtd::accel::test
