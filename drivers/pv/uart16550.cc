#include "drivers/pv/uart16550.h"

#include <algorithm>
#include <array>
#include <utility>

namespace virtd::pv {

namespace {

// Register indexes (offsets with reg-shift 0, as the device tree describes the port).
constexpr unsigned kRbrThrDll = 0;
constexpr unsigned kIerDlm = 1;
constexpr unsigned kIirFcr = 2;
constexpr unsigned kLcr = 3;
constexpr unsigned kMcr = 4;
constexpr unsigned kLsr = 5;
constexpr unsigned kMsr = 6;
constexpr unsigned kScr = 7;

constexpr uint8_t kIerRxData = 0x01;
constexpr uint8_t kIerTxEmpty = 0x02;
constexpr uint8_t kIerModemStatus = 0x08;

constexpr uint8_t kLcrDlab = 0x80;

constexpr uint8_t kMcrDtr = 0x01;
constexpr uint8_t kMcrRts = 0x02;
constexpr uint8_t kMcrOut1 = 0x04;
constexpr uint8_t kMcrOut2 = 0x08;
constexpr uint8_t kMcrLoop = 0x10;

constexpr uint8_t kLsrDataReady = 0x01;
constexpr uint8_t kLsrThrEmpty = 0x20;
constexpr uint8_t kLsrTxEmpty = 0x40;

constexpr uint8_t kMsrCts = 0x10;
constexpr uint8_t kMsrDsr = 0x20;
constexpr uint8_t kMsrRi = 0x40;
constexpr uint8_t kMsrDcd = 0x80;

constexpr uint8_t kFcrEnable = 0x01;
constexpr uint8_t kFcrClearRx = 0x02;
constexpr uint8_t kFcrKeptBits = 0xC9; // enable, DMA mode, receive trigger level

constexpr uint8_t kIirFifoEnabled = 0xC0;

constexpr size_t kFifoDepth = 16;
constexpr std::array<size_t, 4> kRxTriggerLevels = {1, 4, 8, 14};

} // namespace

Uart16550::Uart16550(IrqLine irq, OutputSink output)
    : irq_(std::move(irq))
    , output_(std::move(output)) {}

uint64_t Uart16550::read(uint64_t offset, unsigned /*size*/) {
    // The port has eight byte-wide registers; Linux reads them with byte loads. A wider read
    // returns the addressed register zero-extended, anything past the eighth reads 0.
    if (offset >= 8) return 0;
    std::lock_guard lock(mu_);
    uint8_t value = read_register(static_cast<unsigned>(offset));
    update_irq();
    return value;
}

void Uart16550::write(uint64_t offset, unsigned /*size*/, uint64_t value) {
    if (offset >= 8) return;
    uint8_t out = 0;
    bool send = false;
    {
        std::lock_guard lock(mu_);
        send = write_register(static_cast<unsigned>(offset), static_cast<uint8_t>(value), &out);
        update_irq();
    }
    // Outside the lock: a slow console must not hold up input arriving on another thread.
    if (send && output_) output_(out);
}

size_t Uart16550::push_input(std::span<const uint8_t> bytes) {
    std::lock_guard lock(mu_);
    size_t room = kInputLimit - std::min(kInputLimit, input_.size());
    size_t n = std::min(room, bytes.size());
    input_.insert(input_.end(), bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    update_irq();
    return n;
}

size_t Uart16550::input_pending() const {
    std::lock_guard lock(mu_);
    return input_.size();
}

uint8_t Uart16550::read_register(unsigned reg) {
    bool dlab = (lcr_ & kLcrDlab) != 0;
    switch (reg) {
    case kRbrThrDll:
        if (dlab) return static_cast<uint8_t>(divisor_ & 0xFF);
        if (!input_.empty()) {
            last_rbr_ = input_.front();
            input_.pop_front();
        }
        return last_rbr_;
    case kIerDlm:
        return dlab ? static_cast<uint8_t>(divisor_ >> 8) : ier_;
    case kIirFcr:
        return read_iir();
    case kLcr:
        return lcr_;
    case kMcr:
        return mcr_;
    case kLsr:
        // Transmission is instantaneous, so THR and the shift register are always empty. No
        // line errors are ever reported: host input cannot be overrun or mis-framed.
        return (input_.empty() ? 0 : kLsrDataReady) | kLsrThrEmpty | kLsrTxEmpty;
    case kMsr:
        return read_msr();
    case kScr:
        return scr_;
    default:
        return 0;
    }
}

bool Uart16550::write_register(unsigned reg, uint8_t value, uint8_t* out) {
    bool dlab = (lcr_ & kLcrDlab) != 0;
    switch (reg) {
    case kRbrThrDll:
        if (dlab) {
            divisor_ = static_cast<uint16_t>((divisor_ & 0xFF00) | value);
            return false;
        }
        // THR empties at once, so the THRE interrupt (acknowledged by this write) re-arms.
        thre_pending_ = (ier_ & kIerTxEmpty) != 0;
        if (mcr_ & kMcrLoop) {
            if (input_.size() < kInputLimit) input_.push_back(value);
            return false;
        }
        *out = value;
        return true;
    case kIerDlm:
        if (dlab) {
            divisor_ = static_cast<uint16_t>((divisor_ & 0x00FF) | (value << 8));
            return false;
        }
        // Enabling the THRE interrupt while THR is empty raises it at once; Linux's 8250
        // driver tests for exactly this at startup and when it starts transmitting.
        if ((value & kIerTxEmpty) && !(ier_ & kIerTxEmpty)) thre_pending_ = true;
        if (!(value & kIerTxEmpty)) thre_pending_ = false;
        ier_ = value & 0x0F;
        return false;
    case kIirFcr:
        write_fcr(value);
        return false;
    case kLcr:
        lcr_ = value;
        return false;
    case kMcr:
        write_mcr(value);
        return false;
    case kScr:
        scr_ = value;
        return false;
    default:
        // LSR and MSR writes are a factory-test feature on real parts; ignore them.
        return false;
    }
}

void Uart16550::write_fcr(uint8_t value) {
    bool was_enabled = (fcr_ & kFcrEnable) != 0;
    bool enable = (value & kFcrEnable) != 0;
    // Clearing the receive FIFO (or switching FIFOs on or off, which clears them) drops what
    // the guest could see as received, not the rest of the host's queue.
    if ((value & kFcrClearRx) || enable != was_enabled) {
        size_t drop = std::min(input_.size(), was_enabled ? kFifoDepth : size_t{1});
        input_.erase(input_.begin(), input_.begin() + static_cast<ptrdiff_t>(drop));
    }
    // With FCR bit 0 clear the other bits cannot be written.
    fcr_ = enable ? (value & kFcrKeptBits) : 0;
}

void Uart16550::write_mcr(uint8_t value) {
    uint8_t before = modem_inputs();
    mcr_ = value & 0x1F;
    uint8_t after = modem_inputs();
    uint8_t changed = before ^ after;
    if (changed & kMsrCts) msr_delta_ |= 0x01;
    if (changed & kMsrDsr) msr_delta_ |= 0x02;
    if ((before & kMsrRi) && !(after & kMsrRi)) msr_delta_ |= 0x04; // trailing edge only
    if (changed & kMsrDcd) msr_delta_ |= 0x08;
}

uint8_t Uart16550::read_iir() {
    Source source = pending_source();
    // Reading IIR is how the guest acknowledges a THRE interrupt; the others clear at their
    // source (reading RBR, LSR or MSR).
    if (source == Source::TxEmpty) thre_pending_ = false;
    return static_cast<uint8_t>(source) | ((fcr_ & kFcrEnable) ? kIirFifoEnabled : 0);
}

uint8_t Uart16550::read_msr() {
    uint8_t value = modem_inputs() | msr_delta_;
    msr_delta_ = 0;
    return value;
}

uint8_t Uart16550::modem_inputs() const {
    if (mcr_ & kMcrLoop) {
        // Loopback wires the modem outputs back to the inputs (the 8250 driver's probe relies
        // on this).
        return ((mcr_ & kMcrRts) ? kMsrCts : 0) | ((mcr_ & kMcrDtr) ? kMsrDsr : 0) |
               ((mcr_ & kMcrOut1) ? kMsrRi : 0) | ((mcr_ & kMcrOut2) ? kMsrDcd : 0);
    }
    // The host side is always "connected and ready", so hardware flow control never stalls.
    return kMsrCts | kMsrDsr | kMsrDcd;
}

size_t Uart16550::rx_fifo_count() const {
    return std::min(input_.size(), (fcr_ & kFcrEnable) ? kFifoDepth : size_t{1});
}

size_t Uart16550::rx_trigger() const {
    return (fcr_ & kFcrEnable) ? kRxTriggerLevels[fcr_ >> 6] : 1;
}

Uart16550::Source Uart16550::pending_source() const {
    // In the 16550's priority order. Line status (IER bit 2) is never raised: no line errors
    // happen.
    if ((ier_ & kIerRxData) && !input_.empty()) {
        // Below the trigger level a real FIFO reports a character timeout after four character
        // times of silence; reporting it at once keeps typed characters from waiting.
        return rx_fifo_count() >= rx_trigger() ? Source::RxData : Source::RxTimeout;
    }
    if ((ier_ & kIerTxEmpty) && thre_pending_) return Source::TxEmpty;
    if ((ier_ & kIerModemStatus) && msr_delta_) return Source::ModemStatus;
    return Source::None;
}

void Uart16550::update_irq() {
    bool level = pending_source() != Source::None;
    if (level == irq_level_) return;
    irq_level_ = level;
    irq_.set(level);
}

} // namespace virtd::pv
