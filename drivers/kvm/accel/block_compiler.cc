#include "drivers/kvm/accel/block_compiler.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "drivers/kvm/accel/decode.h"
#include "drivers/kvm/accel/exec.h"
#include "drivers/kvm/accel/hart.h"

#if defined(__x86_64__)
#define VIRTD_BLOCK_COMPILER 1
#include <xbyak/xbyak.h>
#endif

namespace virtd::accel {

#if VIRTD_BLOCK_COMPILER

namespace {

// Upper bound of the bytes one instruction needs (main path, out-of-line paths and its
// handler's Insn pair), checked before a block is compiled so the arena never overflows.
constexpr size_t kMaxBytesPerInsn = 320;
constexpr size_t kMaxBytesPerBlock = 256;

InlineInfo describe(Handler fn) {
    InlineInfo d = describe_alu(fn);
    if (d.op == InlineOp::kCall) d = describe_branch(fn);
    if (d.op == InlineOp::kCall) d = describe_mem(fn);
    return d;
}

// Byte offsets into Hart of what compiled code touches, taken from a live hart (Hart is not
// standard-layout, so offsetof is not available).
struct HartLayout {
    int32_t x, pc, instret, cur, tlb_cur, priv, events, chain_budget, tlb_gen;

    explicit HartLayout(const Hart& h) {
        auto base = reinterpret_cast<uintptr_t>(&h);
        auto at = [base](const void* p) {
            return static_cast<int32_t>(reinterpret_cast<uintptr_t>(p) - base);
        };
        x = at(&h.x[0]);
        pc = at(&h.pc);
        instret = at(&h.instret);
        cur = at(&h.cur);
        tlb_cur = at(&h.tlb_cur);
        priv = at(&h.priv);
        events = at(&h.events);
        chain_budget = at(&h.chain_budget);
        tlb_gen = at(&h.tlb.gen);
    }
    int32_t reg(unsigned r) const { return x + static_cast<int32_t>(8 * r); }
};

// The jump cache: compiled code for a virtual pc at a privilege (tag = pc | priv, pc being
// 2-byte aligned), valid while the TLB and block-cache generations are the recorded ones.
struct JumpEntry {
    uint64_t tag = ~0ULL;
    uint64_t tlb_gen = 0;
    uint64_t cache_gen = 0;
    BlockCode code = nullptr;
};
constexpr unsigned kJumpEntries = 1024;
static_assert(sizeof(JumpEntry) == 32);
static_assert(static_cast<uint64_t>(Priv::User) == 0 &&
              static_cast<uint64_t>(Priv::Supervisor) == 1);

unsigned jump_index(uint64_t pc) {
    return static_cast<unsigned>(pc >> 1) & (kJumpEntries - 1);
}

using namespace Xbyak::util;

} // namespace

// The emitter. Register use: rbx holds the Hart (callee-saved, so it survives handler calls);
// rax, rcx, rdx, rsi, rdi are scratch.
struct BlockCompiler::Impl : Xbyak::CodeGenerator {
    explicit Impl(const Hart& h)
        : Xbyak::CodeGenerator(kCodeBytes)
        , lay(h)
        , cache_gen_address(h.blocks->gen_address())
        , jumps(kJumpEntries) {}

    HartLayout lay;
    const uint64_t* cache_gen_address;
    std::vector<JumpEntry> jumps;
    uint64_t cache_gen = 0;

    // Work emitted after the main path: slow paths of loads/stores and taken branches.
    struct OutOfLine {
        enum class Kind { Slow, Taken } kind = Kind::Slow;
        unsigned k = 0;     // instruction index in the block
        uint32_t delta = 0; // pc distance from h.pc at that instruction
        Xbyak::Label entry, back;
    };
    // One handler call's Insn, followed by a sentinel so that the handler's continue_block
    // stops right after it instead of running the rest of the block in the interpreter.
    struct Pair {
        const Insn* insn;
        Xbyak::Label at;
    };

    const Block* block = nullptr;
    std::vector<std::unique_ptr<OutOfLine>> out;
    std::vector<std::unique_ptr<Pair>> pairs;
    Xbyak::Label* epilogue = nullptr;
    Xbyak::Label* chain = nullptr;

    Xbyak::Address reg(unsigned r) { return qword[rbx + lay.reg(r)]; }
    Xbyak::Address reg32(unsigned r) { return dword[rbx + lay.reg(r)]; }
    Xbyak::Address pc() { return qword[rbx + lay.pc]; }

    void end_block(unsigned executed) {
        add(qword[rbx + lay.instret], static_cast<int32_t>(executed));
        jmp(*epilogue, T_NEAR);
    }
    // Ends the block at a pc it computed itself (branch, jump, fall-through): the next block
    // may follow without a return to the run loop.
    void chain_block(unsigned executed) {
        add(qword[rbx + lay.instret], static_cast<int32_t>(executed));
        jmp(*chain, T_NEAR);
    }

    // The shared tail of chain_block: stop for events or a spent budget, else look the pc up in
    // the jump cache and jump into its code with the Hart in rdi, as the run loop would call it.
    void emit_chain() {
        L(*chain);
        cmp(dword[rbx + lay.events], 0);
        jne(*epilogue, T_NEAR);
        sub(dword[rbx + lay.chain_budget], 1);
        jle(*epilogue, T_NEAR);
        mov(rax, pc());
        mov(ecx, eax);
        shr(ecx, 1);
        and_(ecx, kJumpEntries - 1);
        shl(ecx, 5);
        mov(rdx, reinterpret_cast<uint64_t>(jumps.data()));
        add(rcx, rdx);
        movzx(edx, byte[rbx + lay.priv]);
        or_(rax, rdx);
        cmp(rax, qword[rcx + static_cast<int32_t>(offsetof(JumpEntry, tag))]);
        jne(*epilogue, T_NEAR);
        mov(rax, qword[rbx + lay.tlb_gen]);
        cmp(rax, qword[rcx + static_cast<int32_t>(offsetof(JumpEntry, tlb_gen))]);
        jne(*epilogue, T_NEAR);
        mov(rax, reinterpret_cast<uint64_t>(cache_gen_address));
        mov(rax, qword[rax]);
        cmp(rax, qword[rcx + static_cast<int32_t>(offsetof(JumpEntry, cache_gen))]);
        jne(*epilogue, T_NEAR);
        mov(rdi, rbx);
        pop(rbx);
        jmp(qword[rcx + static_cast<int32_t>(offsetof(JumpEntry, code))]);
    }

    Xbyak::Label& pair_for(const Insn& in) {
        pairs.push_back(std::make_unique<Pair>(Pair{&in, {}}));
        return pairs.back()->at;
    }

    // Calls the interpreter handler of instruction k with h.pc at it. On success h.pc ends up
    // past the instruction; when the handler stops the block, the block ends here.
    void call_handler(const Insn& in, unsigned k, uint32_t delta) {
        if (delta != 0) add(pc(), static_cast<int32_t>(delta));
        lea(rsi, ptr[rip + pair_for(in)]);
        mov(qword[rbx + lay.cur], rsi);
        mov(rdi, rbx);
        mov(rax, reinterpret_cast<uint64_t>(in.fn));
        call(rax);
        Xbyak::Label go_on;
        test(al, al);
        jnz(go_on);
        end_block(k);
        L(go_on);
        // A handler that returned without continue_block left h.cur on itself and pc unmoved.
        mov(rax, qword[rbx + lay.cur]);
        movzx(eax, byte[rax + static_cast<int32_t>(offsetof(Insn, len))]);
        add(pc(), rax);
    }

    // rsi = guest address; leaves rax pointing at the TLB entry of `type` for it and jumps to
    // `miss` unless the entry maps an aligned access of `size` bytes.
    void tlb_lookup(AccessType type, unsigned size, Xbyak::Label& miss) {
        static_assert(sizeof(TlbEntry) == 32 && kTlbEntries == 1024 && kPageShift == 12);
        constexpr int32_t kTypeBytes = static_cast<int32_t>(sizeof(TlbEntry) * kTlbEntries);
        int32_t base = static_cast<int32_t>(type) * kTypeBytes;
        mov(rax, rsi);
        shr(rax, kPageShift - 5);
        and_(eax, (kTlbEntries - 1) << 5);
        add(rax, qword[rbx + lay.tlb_cur]);
        mov(rdx, rsi);
        and_(rdx, static_cast<int32_t>(kPageMask | (size - 1)));
        cmp(rdx, qword[rax + base + static_cast<int32_t>(offsetof(TlbEntry, tag))]);
        jne(miss, T_NEAR);
        mov(rax, qword[rax + base + static_cast<int32_t>(offsetof(TlbEntry, addend))]);
    }

    void address(const Insn& in) {
        mov(rsi, reg(in.rs1));
        if (in.imm != 0) add(rsi, static_cast<int32_t>(in.imm));
    }

    OutOfLine& slow_path(unsigned k, uint32_t delta) {
        out.push_back(std::make_unique<OutOfLine>());
        OutOfLine& o = *out.back();
        o.kind = OutOfLine::Kind::Slow;
        o.k = k;
        o.delta = delta;
        return o;
    }

    void emit_load(const Insn& in, const InlineInfo& d, unsigned k, uint32_t delta) {
        OutOfLine& o = slow_path(k, delta);
        address(in);
        tlb_lookup(AccessType::Load, d.size, o.entry);
        switch (d.size) {
        case 1:
            d.sign ? movsx(rax, byte[rax + rsi]) : movzx(eax, byte[rax + rsi]);
            break;
        case 2:
            d.sign ? movsx(rax, word[rax + rsi]) : movzx(eax, word[rax + rsi]);
            break;
        case 4:
            d.sign ? movsxd(rax, dword[rax + rsi]) : mov(eax, dword[rax + rsi]);
            break;
        default:
            mov(rax, qword[rax + rsi]);
            break;
        }
        mov(reg(in.rd), rax);
        L(o.back);
    }

    void emit_store(const Insn& in, const InlineInfo& d, unsigned k, uint32_t delta) {
        OutOfLine& o = slow_path(k, delta);
        address(in);
        tlb_lookup(AccessType::Store, d.size, o.entry);
        mov(rcx, reg(in.rs2));
        switch (d.size) {
        case 1:
            mov(byte[rax + rsi], cl);
            break;
        case 2:
            mov(word[rax + rsi], cx);
            break;
        case 4:
            mov(dword[rax + rsi], ecx);
            break;
        default:
            mov(qword[rax + rsi], rcx);
            break;
        }
        L(o.back);
    }

    void emit_branch(const Insn& in, InlineOp op, unsigned k, uint32_t delta) {
        out.push_back(std::make_unique<OutOfLine>());
        OutOfLine& o = *out.back();
        o.kind = OutOfLine::Kind::Taken;
        o.k = k;
        o.delta = delta + static_cast<uint32_t>(in.imm);
        mov(rax, reg(in.rs1));
        cmp(rax, reg(in.rs2));
        switch (op) {
        case InlineOp::kBeq:
            je(o.entry, T_NEAR);
            break;
        case InlineOp::kBne:
            jne(o.entry, T_NEAR);
            break;
        case InlineOp::kBlt:
            jl(o.entry, T_NEAR);
            break;
        case InlineOp::kBge:
            jge(o.entry, T_NEAR);
            break;
        case InlineOp::kBltu:
            jb(o.entry, T_NEAR);
            break;
        default:
            jae(o.entry, T_NEAR);
            break;
        }
    }

    // Register-register or register-immediate ALU work into rax, then into rd.
    void emit_alu(const Insn& in, const InlineInfo& d) {
        if (in.rd == 32) return; // x0: no effect, nothing can trap
        auto imm = static_cast<int32_t>(in.imm);
        auto second = [&]() -> Xbyak::Operand const& {
            if (d.imm) {
                mov(rcx, imm);
            } else {
                mov(rcx, reg(in.rs2));
            }
            return rcx;
        };
        mov(rax, reg(in.rs1));
        switch (d.op) {
        case InlineOp::kAdd:
            d.imm ? add(rax, imm) : add(rax, reg(in.rs2));
            break;
        case InlineOp::kSub:
            sub(rax, reg(in.rs2));
            break;
        case InlineOp::kAnd:
            d.imm ? and_(rax, imm) : and_(rax, reg(in.rs2));
            break;
        case InlineOp::kOr:
            d.imm ? or_(rax, imm) : or_(rax, reg(in.rs2));
            break;
        case InlineOp::kXor:
            d.imm ? xor_(rax, imm) : xor_(rax, reg(in.rs2));
            break;
        case InlineOp::kSll:
        case InlineOp::kSrl:
        case InlineOp::kSra:
        case InlineOp::kSllw:
        case InlineOp::kSrlw:
        case InlineOp::kSraw:
            emit_shift(in, d);
            break;
        case InlineOp::kSlt:
        case InlineOp::kSltu:
            cmp(rax, second());
            d.op == InlineOp::kSlt ? setl(al) : setb(al);
            movzx(eax, al);
            break;
        case InlineOp::kAddw:
            d.imm ? add(eax, imm) : add(eax, reg32(in.rs2));
            movsxd(rax, eax);
            break;
        case InlineOp::kSubw:
            sub(eax, reg32(in.rs2));
            movsxd(rax, eax);
            break;
        case InlineOp::kMul:
            imul(rax, reg(in.rs2));
            break;
        case InlineOp::kMulw:
            imul(eax, reg32(in.rs2));
            movsxd(rax, eax);
            break;
        case InlineOp::kSh1add:
        case InlineOp::kSh2add:
        case InlineOp::kSh3add: {
            int scale = d.op == InlineOp::kSh1add ? 2 : d.op == InlineOp::kSh2add ? 4 : 8;
            mov(rcx, reg(in.rs2));
            lea(rax, ptr[rcx + rax * scale]);
            break;
        }
        default:
            break;
        }
        mov(reg(in.rd), rax);
    }

    void emit_shift(const Insn& in, const InlineInfo& d) {
        bool word = d.op == InlineOp::kSllw || d.op == InlineOp::kSrlw || d.op == InlineOp::kSraw;
        // The host masks the count like RISC-V does: 6 bits for 64-bit, 5 for 32-bit shifts.
        const Xbyak::Reg& r = word ? static_cast<const Xbyak::Reg&>(eax) : rax;
        if (d.imm) {
            auto n = static_cast<uint8_t>(in.imm & (word ? 31 : 63));
            switch (d.op) {
            case InlineOp::kSll:
            case InlineOp::kSllw:
                shl(r, n);
                break;
            case InlineOp::kSrl:
            case InlineOp::kSrlw:
                shr(r, n);
                break;
            default:
                sar(r, n);
                break;
            }
        } else {
            mov(rcx, reg(in.rs2));
            switch (d.op) {
            case InlineOp::kSll:
            case InlineOp::kSllw:
                shl(r, cl);
                break;
            case InlineOp::kSrl:
            case InlineOp::kSrlw:
                shr(r, cl);
                break;
            default:
                sar(r, cl);
                break;
            }
        }
        if (word) movsxd(rax, eax);
    }

    // pc-relative values: h.pc + delta + offset into rax.
    void pc_plus(int64_t offset) {
        mov(rax, pc());
        if (offset >= INT32_MIN && offset <= INT32_MAX) {
            if (offset != 0) add(rax, static_cast<int32_t>(offset));
        } else {
            mov(rcx, static_cast<uint64_t>(offset));
            add(rax, rcx);
        }
    }

    void emit_out_of_line() {
        for (auto& o : out) {
            L(o->entry);
            if (o->kind == OutOfLine::Kind::Taken) {
                add(pc(), static_cast<int32_t>(o->delta));
                chain_block(o->k);
                continue;
            }
            // The TLB missed: the handler does the whole access through the slow path.
            const Insn& in = block->insns[o->k];
            call_handler(in, o->k, o->delta);
            // call_handler leaves h.pc past the instruction; the main path still counts from
            // the base it had before it.
            sub(pc(), static_cast<int32_t>(o->delta + in.len));
            jmp(o->back, T_NEAR);
        }
    }

    void emit_pairs() {
        align(8);
        Insn sentinel = block_end();
        for (auto& p : pairs) {
            L(p->at);
            put(*p->insn);
            put(sentinel);
        }
    }

    void put(const Insn& in) {
        unsigned char bytes[sizeof(Insn)];
        std::memcpy(bytes, &in, sizeof bytes);
        for (unsigned char c : bytes)
            db(c);
    }

    BlockCode compile(const Block& b) {
        block = &b;
        out.clear();
        pairs.clear();
        Xbyak::Label end, chain_tail;
        epilogue = &end;
        chain = &chain_tail;
        const uint8_t* start = getCurr();
        push(rbx);
        mov(rbx, rdi);
        uint32_t delta = 0;       // bytes of instructions since h.pc was last brought up to date
        bool open = true;         // the main path can still fall through
        bool last_called = false; // the last instruction was a handler's (it may change state
                                  // the next block depends on: no chaining after it)
        for (unsigned k = 0; k < b.count && open; ++k) {
            const Insn& in = b.insns[k];
            InlineInfo d = describe(in.fn);
            last_called = d.op == InlineOp::kCall;
            switch (d.op) {
            case InlineOp::kCall:
                call_handler(in, k, delta);
                delta = 0;
                continue;
            case InlineOp::kLoad:
                emit_load(in, d, k, delta);
                break;
            case InlineOp::kStore:
                emit_store(in, d, k, delta);
                break;
            case InlineOp::kBeq:
            case InlineOp::kBne:
            case InlineOp::kBlt:
            case InlineOp::kBge:
            case InlineOp::kBltu:
            case InlineOp::kBgeu:
                emit_branch(in, d.op, k, delta);
                break;
            case InlineOp::kLui:
                if (in.rd != 32) mov(reg(in.rd), static_cast<int32_t>(in.imm));
                break;
            case InlineOp::kAuipc:
                if (in.rd != 32) {
                    pc_plus(static_cast<int64_t>(delta) + in.imm);
                    mov(reg(in.rd), rax);
                }
                break;
            case InlineOp::kJal:
                pc_plus(delta);
                lea(rcx, ptr[rax + in.len]);
                mov(reg(in.rd), rcx);
                if (in.imm >= INT32_MIN && in.imm <= INT32_MAX) {
                    add(rax, static_cast<int32_t>(in.imm));
                } else {
                    mov(rcx, static_cast<uint64_t>(in.imm));
                    add(rax, rcx);
                }
                mov(pc(), rax);
                chain_block(k);
                open = false;
                break;
            case InlineOp::kJalr:
                mov(rcx, reg(in.rs1)); // before rd, which may be rs1
                if (in.imm != 0) add(rcx, static_cast<int32_t>(in.imm));
                and_(rcx, -2);
                pc_plus(static_cast<int64_t>(delta) + in.len);
                mov(reg(in.rd), rax);
                mov(pc(), rcx);
                chain_block(k);
                open = false;
                break;
            default:
                emit_alu(in, d);
                break;
            }
            delta += in.len;
        }
        if (open) {
            if (delta != 0) add(pc(), static_cast<int32_t>(delta));
            last_called ? end_block(b.count) : chain_block(b.count);
        }
        emit_chain();
        L(end);
        pop(rbx);
        ret();
        emit_out_of_line();
        emit_pairs();
        return reinterpret_cast<BlockCode>(const_cast<uint8_t*>(start));
    }
};

BlockCompiler::BlockCompiler(const Hart& h)
    : impl_(std::make_unique<Impl>(h)) {}

void BlockCompiler::remember(const Hart& h, BlockCode code, uint64_t cache_gen) {
    JumpEntry& e = impl_->jumps[jump_index(h.pc)];
    e.tag = h.pc | static_cast<uint64_t>(h.priv);
    e.tlb_gen = h.tlb.gen;
    e.cache_gen = cache_gen;
    e.code = code;
}

bool BlockCompiler::supported() {
    return true;
}

bool BlockCompiler::compile(Block& b, uint64_t cache_gen) {
    if (cache_gen != impl_->cache_gen) {
        impl_->reset();
        impl_->cache_gen = cache_gen;
    }
    if (impl_->getSize() + kMaxBytesPerBlock + kMaxBytesPerInsn * b.count > kCodeBytes) {
        return false;
    }
    b.code = impl_->compile(b);
    return true;
}

#else // no block compiler for this host: the interpreter runs everything

struct BlockCompiler::Impl {};

BlockCompiler::BlockCompiler(const Hart& /*h*/) {}

bool BlockCompiler::supported() {
    return false;
}

bool BlockCompiler::compile(Block& /*b*/, uint64_t /*cache_gen*/) {
    return false;
}

void BlockCompiler::remember(const Hart& /*h*/, BlockCode /*code*/, uint64_t /*cache_gen*/) {}

#endif

BlockCompiler::~BlockCompiler() = default;

} // namespace virtd::accel
