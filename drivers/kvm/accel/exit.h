// Why Vcpu::run() returned: the KVM-shaped exit record shared between the vCPU and the VMM.
#pragma once

#include <cstdint>

namespace virtd::accel {

// SBI error codes (SBI spec, "Standard SBI Errors").
enum SbiError : int64_t {
    kSbiSuccess = 0,
    kSbiErrFailed = -1,
    kSbiErrNotSupported = -2,
    kSbiErrInvalidParam = -3,
    kSbiErrDenied = -4,
    kSbiErrInvalidAddress = -5,
    kSbiErrAlreadyAvailable = -6,
    kSbiErrAlreadyStarted = -7,
    kSbiErrAlreadyStopped = -8,
};

// The record run() fills. The VMM completes an exit in place before calling run() again:
// for an MMIO read it stores the value in mmio.data; for an SBI call it stores sbi.ret (preset to
// {kSbiErrNotSupported, 0}), which becomes a0/a1 of the guest when run() resumes.
struct Exit {
    enum class Kind : uint8_t {
        None,
        Mmio,        // a guest access to an address no memory slot or in-accelerator device covers
        Sbi,         // an SBI call the accelerator does not handle itself (console, DBCN)
        Shutdown,    // SBI SRST shutdown
        Reset,       // SBI SRST cold or warm reboot
        Interrupted, // kick() from another thread, or pause()
    };
    struct Mmio {
        uint64_t addr = 0;
        uint32_t len = 0; // 1, 2, 4 or 8
        bool is_write = false;
        uint64_t data = 0; // the value written, or the value the VMM supplies for a read
    };
    struct Sbi {
        uint64_t ext = 0; // a7
        uint64_t fid = 0; // a6
        uint64_t args[6] = {};
        int64_t ret[2] = {kSbiErrNotSupported, 0};
    };

    Kind kind = Kind::None;
    Mmio mmio;
    Sbi sbi;
};

} // namespace virtd::accel
