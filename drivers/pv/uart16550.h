// Uart16550: the ns16550a serial port at kUartBase, the guest's ttyS0.
//
// Register-accurate enough for Linux's 8250 driver (console and interactive tty): IER/IIR with
// the 16550 interrupt priorities, LSR, FIFO control, the DLAB divisor latch, MCR loopback with
// MSR mirroring, and the scratch register. Transmission is instantaneous: a byte written to THR
// goes straight to the output sink and THR is empty again at once, so THRE/TEMT always read 1.
// Input the host pushes waits in a bounded queue; the first 16 bytes of it (1 with FIFOs off)
// are the receive FIFO the guest sees, so typed or pasted input is never overrun.
//
// Thread safety: read()/write() (vCPU threads) and push_input() (a console thread) may run
// concurrently; one mutex guards the registers. The output sink is called without that mutex,
// on the vCPU thread that wrote THR; the IrqLine is driven with it held.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>

#include "common/error.h"
#include "common/state_codec.h"
#include "drivers/pv/mmio_device.h"

namespace virtd::pv {

class Uart16550 : public MmioDevice {
public:
    using OutputSink = std::function<void(uint8_t byte)>;

    // Host-side input beyond this many bytes is refused by push_input (the caller retries once
    // the guest has read some); 64 KiB is far more than any console paste needs.
    static constexpr size_t kInputLimit = 64 * 1024;

    Uart16550(IrqLine irq, OutputSink output);
    Uart16550(const Uart16550&) = delete;
    Uart16550& operator=(const Uart16550&) = delete;

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

    // Queues bytes typed on the host for the guest to read. Returns how many were accepted
    // (fewer than bytes.size() only when the queue is full).
    size_t push_input(std::span<const uint8_t> bytes);

    // How many host bytes wait for the guest (for a console thread's flow control).
    size_t input_pending() const;

    // Save and restore (drivers/kvm/vmm/STATE.md): every register and, for restore, the
    // interrupt line driven afresh. restore_state() checks what it reads (untrusted bytes).
    void save_state(StateWriter& w) const;
    Status restore_state(StateReader& r);

private:
    // IIR interrupt identification codes (bits 3:1, with bit 0 clear = pending).
    enum class Source : uint8_t {
        None = 0x01,
        LineStatus = 0x06,
        RxData = 0x04,
        RxTimeout = 0x0C,
        TxEmpty = 0x02,
        ModemStatus = 0x00,
    };

    uint8_t read_register(unsigned reg);
    // Returns true and sets *out when the write sends a byte to the output sink.
    bool write_register(unsigned reg, uint8_t value, uint8_t* out);
    void write_mcr(uint8_t value);
    void write_fcr(uint8_t value);
    uint8_t read_iir();
    uint8_t read_msr();
    uint8_t modem_inputs() const;
    size_t rx_fifo_count() const;
    size_t rx_trigger() const;
    Source pending_source() const;
    void update_irq();

    const IrqLine irq_;       // immutable after construction
    const OutputSink output_; // immutable after construction

    mutable std::mutex mu_;
    // Everything below is guarded by mu_.
    std::deque<uint8_t> input_; // host bytes not yet read by the guest
    uint8_t ier_ = 0;           // interrupt enable (bits 3:0)
    uint8_t lcr_ = 0;           // line control; bit 7 is DLAB
    uint8_t mcr_ = 0;           // modem control (bits 4:0)
    uint8_t fcr_ = 0;           // last FIFO control written (enable and trigger bits)
    uint8_t scr_ = 0;           // scratch
    uint8_t msr_delta_ = 0;     // MSR bits 3:0, cleared when the guest reads MSR
    uint8_t last_rbr_ = 0;      // what RBR reads when the FIFO is empty
    uint16_t divisor_ = 0;      // DLL/DLM; stored for the guest, no effect on speed
    bool thre_pending_ = false; // THR-empty interrupt armed and not yet acknowledged
    bool irq_level_ = false;    // level last driven onto irq_
};

} // namespace virtd::pv
