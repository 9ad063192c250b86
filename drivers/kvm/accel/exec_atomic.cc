// The A extension on host atomics, so harts on different host threads see each other's LR/SC and
// AMOs atomically. SC is a compare-and-swap against the value LR loaded (as QEMU and RVVM do):
// it fails if the word changed since LR, which is what Linux's LR/SC loops need.
#include <cstdint>
#include <type_traits>

#include "drivers/kvm/accel/exec.h"
#include "drivers/kvm/accel/mmu.h"

namespace virtd::accel {
namespace {

template <typename T>
uint64_t widen(T v) {
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<std::make_signed_t<T>>(v)));
}

template <typename T>
bool op_lr(Hart& h, const Insn& i) {
    uint64_t va = h.x[i.rs1];
    auto* p = static_cast<T*>(atomic_host(h, va, sizeof(T), AccessType::Load));
    if (p == nullptr) return false;
    T v = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    h.resv_host = reinterpret_cast<uintptr_t>(p);
    h.resv_value = v;
    h.resv_valid = true;
    h.x[i.rd] = widen(v);
    return true;
}

template <typename T>
bool op_sc(Hart& h, const Insn& i) {
    bool had = h.resv_valid;
    h.resv_valid = false;
    if (!had) {
        h.x[i.rd] = 1;
        return true;
    }
    auto* p = static_cast<T*>(atomic_host(h, h.x[i.rs1], sizeof(T), AccessType::Store));
    if (p == nullptr) return false;
    T expected = static_cast<T>(h.resv_value);
    bool ok = reinterpret_cast<uintptr_t>(p) == h.resv_host &&
              __atomic_compare_exchange_n(p, &expected, static_cast<T>(h.x[i.rs2]), false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    h.x[i.rd] = ok ? 0 : 1;
    return true;
}

enum class Amo { Swap, Add, Xor, And, Or, Min, Max, Minu, Maxu };

template <typename T, Amo K>
T amo_apply(T old, T src) {
    using S = std::make_signed_t<T>;
    switch (K) {
    case Amo::Min:
        return static_cast<S>(old) < static_cast<S>(src) ? old : src;
    case Amo::Max:
        return static_cast<S>(old) > static_cast<S>(src) ? old : src;
    case Amo::Minu:
        return old < src ? old : src;
    default:
        return old > src ? old : src; // Maxu
    }
}

template <typename T, Amo K>
bool op_amo(Hart& h, const Insn& i) {
    auto* p = static_cast<T*>(atomic_host(h, h.x[i.rs1], sizeof(T), AccessType::Store));
    if (p == nullptr) return false;
    auto src = static_cast<T>(h.x[i.rs2]);
    T old = 0;
    if constexpr (K == Amo::Swap) {
        old = __atomic_exchange_n(p, src, __ATOMIC_SEQ_CST);
    } else if constexpr (K == Amo::Add) {
        old = __atomic_fetch_add(p, src, __ATOMIC_SEQ_CST);
    } else if constexpr (K == Amo::Xor) {
        old = __atomic_fetch_xor(p, src, __ATOMIC_SEQ_CST);
    } else if constexpr (K == Amo::And) {
        old = __atomic_fetch_and(p, src, __ATOMIC_SEQ_CST);
    } else if constexpr (K == Amo::Or) {
        old = __atomic_fetch_or(p, src, __ATOMIC_SEQ_CST);
    } else {
        old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
        while (!__atomic_compare_exchange_n(p, &old, amo_apply<T, K>(old, src), false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        }
    }
    h.x[i.rd] = widen(old);
    return true;
}

template <typename T>
Handler amo_for(uint32_t f5) {
    switch (f5) {
    case 0x02:
        return op_lr<T>;
    case 0x03:
        return op_sc<T>;
    case 0x01:
        return op_amo<T, Amo::Swap>;
    case 0x00:
        return op_amo<T, Amo::Add>;
    case 0x04:
        return op_amo<T, Amo::Xor>;
    case 0x0c:
        return op_amo<T, Amo::And>;
    case 0x08:
        return op_amo<T, Amo::Or>;
    case 0x10:
        return op_amo<T, Amo::Min>;
    case 0x14:
        return op_amo<T, Amo::Max>;
    case 0x18:
        return op_amo<T, Amo::Minu>;
    case 0x1c:
        return op_amo<T, Amo::Maxu>;
    default:
        return nullptr;
    }
}

} // namespace

Handler decode_atomic(uint32_t raw, Insn& d) {
    uint32_t f5 = bits(raw, 31, 27);
    if (f5 == 0x02 && bits(raw, 24, 20) != 0) return nullptr; // LR with rs2 != 0 is reserved
    d.imm = 0;
    switch (bits(raw, 14, 12)) {
    case 2:
        return amo_for<uint32_t>(f5);
    case 3:
        return amo_for<uint64_t>(f5);
    default:
        return nullptr;
    }
}

} // namespace virtd::accel
