// Loads and stores, integer and floating point (FLW/FLD NaN-box, FSW/FSD store raw bits).
#include <cstdint>
#include <iterator>
#include <type_traits>

#include "drivers/kvm/accel/exec.h"
#include "drivers/kvm/accel/mmu.h"

namespace virtd::accel {
namespace {

constexpr uint64_t kNanBox = 0xffffffff00000000ULL;

// When a load became an MMIO exit, records where the value goes once the VMM supplies it.
void note_mmio_load(Hart& h, const Insn& i, uint8_t rd, unsigned size, bool sign, bool fp) {
    if (!h.exit_pending) return;
    h.pending_load = PendingLoad{rd, static_cast<uint8_t>(size), sign, fp};
    h.pending_len = i.len;
}

template <typename T>
bool load_int(Hart& h, const Insn& i) {
    T v = 0;
    if (!load<T>(h, h.x[i.rs1] + static_cast<uint64_t>(i.imm), v)) {
        note_mmio_load(h, i, i.rd, sizeof(T), std::is_signed_v<T>, false);
        return false;
    }
    if constexpr (std::is_signed_v<T>) {
        h.x[i.rd] = static_cast<uint64_t>(static_cast<int64_t>(v));
    } else {
        h.x[i.rd] = v;
    }
    return continue_block(h, i);
}

template <typename T>
bool store_int(Hart& h, const Insn& i) {
    if (!store<T>(h, h.x[i.rs1] + static_cast<uint64_t>(i.imm), static_cast<T>(h.x[i.rs2]))) {
        if (h.exit_pending) h.pending_len = i.len;
        return false;
    }
    return continue_block(h, i);
}

bool fp_enabled(const Hart& h) {
    return (h.sstatus & sstatus::kFs) != 0;
}

template <typename T>
bool load_fp(Hart& h, const Insn& i) {
    if (!fp_enabled(h)) return trap(h, kCauseIllegal, i.raw);
    T v = 0;
    uint8_t fd = i.rd & 31; // rd 0 was remapped to the x0 sink; f0 is a real register
    if (!load<T>(h, h.x[i.rs1] + static_cast<uint64_t>(i.imm), v)) {
        note_mmio_load(h, i, fd, sizeof(T), false, true);
        return false;
    }
    h.fp.f[fd] = sizeof(T) == 4 ? (kNanBox | v) : v;
    h.sstatus |= sstatus::kFsDirty;
    return true;
}

template <typename T>
bool store_fp(Hart& h, const Insn& i) {
    if (!fp_enabled(h)) return trap(h, kCauseIllegal, i.raw);
    if (!store<T>(h, h.x[i.rs1] + static_cast<uint64_t>(i.imm), static_cast<T>(h.fp.f[i.rs2]))) {
        if (h.exit_pending) h.pending_len = i.len;
        return false;
    }
    return true;
}

} // namespace

Handler decode_mem(uint32_t raw, Insn& d) {
    uint32_t f3 = bits(raw, 14, 12);
    switch (raw & 0x7f) {
    case 0x03: {
        static constexpr Handler kLoads[8] = {
            load_int<int8_t>,  load_int<int16_t>,  load_int<int32_t>,  load_int<uint64_t>,
            load_int<uint8_t>, load_int<uint16_t>, load_int<uint32_t>, nullptr};
        d.imm = imm_i(raw);
        return kLoads[f3];
    }
    case 0x23: {
        static constexpr Handler kStores[4] = {store_int<uint8_t>, store_int<uint16_t>,
                                               store_int<uint32_t>, store_int<uint64_t>};
        d.imm = imm_s(raw);
        return f3 < 4 ? kStores[f3] : nullptr;
    }
    case 0x07:
        d.imm = imm_i(raw);
        if (f3 == 2) return load_fp<uint32_t>;
        if (f3 == 3) return load_fp<uint64_t>;
        return nullptr;
    case 0x27:
        d.imm = imm_s(raw);
        if (f3 == 2) return store_fp<uint32_t>;
        if (f3 == 3) return store_fp<uint64_t>;
        return nullptr;
    default:
        return nullptr;
    }
}

InlineInfo describe_mem(Handler fn) {
    using enum InlineOp;
    static constexpr InlineInfo kLoads[] = {
        {kLoad, false, 1, true},  {kLoad, false, 2, true},  {kLoad, false, 4, true},
        {kLoad, false, 8, false}, {kLoad, false, 1, false}, {kLoad, false, 2, false},
        {kLoad, false, 4, false},
    };
    static constexpr Handler kLoadFns[] = {
        load_int<int8_t>,  load_int<int16_t>,  load_int<int32_t>, load_int<uint64_t>,
        load_int<uint8_t>, load_int<uint16_t>, load_int<uint32_t>};
    for (size_t k = 0; k < std::size(kLoadFns); ++k) {
        if (kLoadFns[k] == fn) return kLoads[k];
    }
    static constexpr Handler kStoreFns[] = {store_int<uint8_t>, store_int<uint16_t>,
                                            store_int<uint32_t>, store_int<uint64_t>};
    for (size_t k = 0; k < std::size(kStoreFns); ++k) {
        if (kStoreFns[k] == fn)
            return InlineInfo{kStore, false, static_cast<uint8_t>(1u << k), false};
    }
    return {};
}

} // namespace virtd::accel
