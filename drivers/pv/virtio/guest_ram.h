// GuestRam: guest-physical memory as paravirtual devices see it. A device turns a guest
// address into a host pointer only through here, so every access is bounds-checked against
// RAM, and records every write it makes so the dirty log (migration) sees it.
//
// Thread safety: both methods may be called from any thread.
#pragma once

#include <cstdint>

namespace virtd::pv {

class GuestRam {
public:
    virtual ~GuestRam() = default;
    // The host address of [gpa, gpa + len) when that whole range is guest RAM, else nullptr.
    virtual uint8_t* host(uint64_t gpa, uint64_t len) = 0;
    // A device wrote [gpa, gpa + len).
    virtual void mark_dirty(uint64_t gpa, uint64_t len) = 0;
    // Gives the host the memory behind [gpa, gpa + len) (a balloon inflating); the range
    // reads as zeros when the guest uses it again. Page-aligned; false when it could not.
    virtual bool discard(uint64_t /*gpa*/, uint64_t /*len*/) { return false; }
};

} // namespace virtd::pv
