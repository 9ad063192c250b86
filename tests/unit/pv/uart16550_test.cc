#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/pv/uart16550.h"

namespace virtd::pv {
namespace {

enum Reg : uint64_t {
    RBR = 0,
    THR = 0,
    DLL = 0,
    IER = 1,
    DLM = 1,
    IIR = 2,
    FCR = 2,
    LCR = 3,
    MCR = 4,
    LSR = 5,
    MSR = 6,
    SCR = 7
};

// A UART with its output and interrupt line recorded.
struct Rig {
    std::atomic<bool> irq{false};
    std::atomic<int> irq_edges{0};
    std::string out;
    Uart16550 uart{IrqLine([this](bool level) {
                       irq = level;
                       irq_edges++;
                   }),
                   [this](uint8_t b) { out.push_back(static_cast<char>(b)); }};

    uint8_t rd(Reg r) { return static_cast<uint8_t>(uart.read(r, 1)); }
    void wr(Reg r, uint8_t v) { uart.write(r, 1, v); }
    void push(const std::string& s) {
        uart.push_input({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
    }
};

TEST(Uart16550, ResetState) {
    Rig r;
    EXPECT_EQ(r.rd(IIR), 0x01) << "no interrupt pending, FIFOs off";
    EXPECT_EQ(r.rd(LSR), 0x60) << "THRE and TEMT, no data";
    EXPECT_EQ(r.rd(IER), 0x00);
    EXPECT_EQ(r.rd(LCR), 0x00);
    EXPECT_EQ(r.rd(MSR), 0xB0) << "CTS, DSR and DCD: the host end is always ready";
    EXPECT_FALSE(r.irq);
}

TEST(Uart16550, WritesGoToTheSinkAndReservedOffsetsAreInert) {
    Rig r;
    for (char c : std::string("hi\n"))
        r.wr(THR, static_cast<uint8_t>(c));
    EXPECT_EQ(r.out, "hi\n");
    r.uart.write(0x40, 1, 'x');
    EXPECT_EQ(r.uart.read(0x40, 1), 0u);
    EXPECT_EQ(r.out, "hi\n");
}

TEST(Uart16550, ThrEmptyInterruptOnEnableAndAfterEachWrite) {
    Rig r;
    r.wr(IER, 0x02);
    EXPECT_TRUE(r.irq) << "enabling ETBEI with THR empty raises THRE at once";
    EXPECT_EQ(r.rd(IIR), 0x02);
    EXPECT_FALSE(r.irq) << "reading IIR acknowledges THRE";
    EXPECT_EQ(r.rd(IIR), 0x01);

    r.wr(THR, 'a');
    EXPECT_TRUE(r.irq) << "THR empties at once and THRE re-arms";
    EXPECT_EQ(r.rd(IIR), 0x02);
    r.wr(IER, 0x00);
    EXPECT_FALSE(r.irq);
}

TEST(Uart16550, Linux8250StartupThreProbe) {
    // serial8250_do_startup: THRE must show on enable, and again after a disable/enable
    // cycle, or Linux marks the port with UART_BUG_TXEN / UART_BUG_THRE.
    Rig r;
    r.wr(IER, 0x02);
    EXPECT_EQ(r.rd(LSR) & 0x40, 0x40);
    EXPECT_EQ(r.rd(IIR) & 0x01, 0x00);
    r.wr(IER, 0x00);
    r.wr(IER, 0x02);
    EXPECT_EQ(r.rd(IIR) & 0x01, 0x00);
    r.wr(IER, 0x00);
    r.wr(IER, 0x02);
    EXPECT_EQ(r.rd(IIR) & 0x01, 0x00);
    r.wr(IER, 0x00);
}

TEST(Uart16550, ReceiveDataInterruptAndLsrDataReady) {
    Rig r;
    r.push("ab");
    EXPECT_FALSE(r.irq) << "ERBFI is off";
    EXPECT_EQ(r.rd(LSR) & 0x01, 0x01);
    r.wr(IER, 0x01);
    EXPECT_TRUE(r.irq);
    EXPECT_EQ(r.rd(IIR), 0x04);
    EXPECT_EQ(r.rd(RBR), 'a');
    EXPECT_TRUE(r.irq);
    EXPECT_EQ(r.rd(RBR), 'b');
    EXPECT_FALSE(r.irq);
    EXPECT_EQ(r.rd(LSR), 0x60);
    EXPECT_EQ(r.rd(IIR), 0x01);
    EXPECT_EQ(r.rd(RBR), 'b') << "an empty RBR repeats the last byte";
    EXPECT_EQ(r.uart.input_pending(), 0u);
}

TEST(Uart16550, InterruptPriorities) {
    Rig r;
    r.wr(IER, 0x0B); // receive, THRE, modem status
    r.wr(MCR, 0x10); // loopback, so MCR changes make modem status deltas
    r.rd(MSR);       // entering loopback changed CTS, DSR and DCD; start from no deltas
    r.wr(MCR, 0x12); // RTS -> CTS changes: DCTS
    r.push("x");
    EXPECT_EQ(r.rd(IIR), 0x04) << "received data outranks THRE and modem status";
    EXPECT_EQ(r.rd(RBR), 'x');
    EXPECT_EQ(r.rd(IIR), 0x02) << "then THRE";
    EXPECT_EQ(r.rd(IIR), 0x00) << "then modem status";
    EXPECT_EQ(r.rd(MSR) & 0x0F, 0x01) << "DCTS";
    EXPECT_EQ(r.rd(IIR), 0x01) << "reading MSR cleared the deltas";
    EXPECT_FALSE(r.irq);
}

TEST(Uart16550, FifoTriggerLevelAndTimeout) {
    Rig r;
    r.wr(FCR, 0x81); // FIFOs on, receive trigger at 8 bytes
    EXPECT_EQ(r.rd(IIR), 0xC1) << "IIR bits 7:6 report FIFOs on (a 16550A)";
    r.wr(IER, 0x01);
    r.push("abc");
    EXPECT_EQ(r.rd(IIR), 0xCC) << "below the trigger level: character timeout";
    r.push("defgh");
    EXPECT_EQ(r.rd(IIR), 0xC4) << "at the trigger level: received data available";
    std::string got;
    while (r.rd(LSR) & 0x01)
        got.push_back(static_cast<char>(r.rd(RBR)));
    EXPECT_EQ(got, "abcdefgh");
    EXPECT_FALSE(r.irq);
}

TEST(Uart16550, FifoClearDropsOnlyWhatTheFifoHolds) {
    Rig r;
    r.wr(FCR, 0x01);
    r.push(std::string(20, 'a') + "Z");
    r.wr(FCR, 0x03); // clear the receive FIFO
    EXPECT_EQ(r.uart.input_pending(), 5u);
    r.wr(FCR, 0x00); // turning FIFOs off clears them too
    EXPECT_EQ(r.uart.input_pending(), 0u) << "up to 16 more would go; 5 were left";
    EXPECT_EQ(r.rd(IIR), 0x01) << "FIFO bits gone";
}

TEST(Uart16550, DivisorLatch) {
    Rig r;
    r.wr(IER, 0x05);
    r.wr(LCR, 0x83); // DLAB, 8N1
    r.wr(DLL, 0x0C);
    r.wr(DLM, 0x01);
    EXPECT_EQ(r.rd(DLL), 0x0C);
    EXPECT_EQ(r.rd(DLM), 0x01);
    EXPECT_EQ(r.out, "") << "DLL writes are not data";
    r.wr(LCR, 0x03);
    EXPECT_EQ(r.rd(IER), 0x05) << "IER kept while the latch was visible";
    EXPECT_EQ(r.rd(LCR), 0x03);
    r.wr(LCR, 0x83);
    EXPECT_EQ(r.rd(DLL), 0x0C);
}

TEST(Uart16550, ScratchAndIerWidth) {
    Rig r;
    r.wr(SCR, 0xA5);
    EXPECT_EQ(r.rd(SCR), 0xA5);
    r.wr(IER, 0xFF);
    EXPECT_EQ(r.rd(IER), 0x0F) << "a 16550A has four IER bits (8250 autoconfig checks this)";
}

TEST(Uart16550, LoopbackMirrorsModemControlAndData) {
    Rig r;
    r.wr(MCR, 0x1A); // loop, OUT2, RTS: what Linux's autoconfig writes
    EXPECT_EQ(r.rd(MSR) & 0xF0, 0x90) << "DCD from OUT2, CTS from RTS";
    r.wr(THR, 'q');
    EXPECT_EQ(r.out, "") << "looped back, not sent";
    EXPECT_EQ(r.rd(LSR) & 0x01, 0x01);
    EXPECT_EQ(r.rd(RBR), 'q');
    r.wr(MCR, 0x00);
    // Leaving loopback: CTS and DCD stay set, DSR rises (DDSR).
    EXPECT_EQ(r.rd(MSR), 0xB2) << "back to the host lines, with the delta";
}

TEST(Uart16550, InputQueueIsBounded) {
    Rig r;
    std::vector<uint8_t> big(Uart16550::kInputLimit + 10, 'x');
    EXPECT_EQ(r.uart.push_input(big), Uart16550::kInputLimit);
    EXPECT_EQ(r.uart.push_input(big), 0u);
    r.rd(RBR);
    EXPECT_EQ(r.uart.push_input(big), 1u);
}

TEST(Uart16550, ConsoleThreadAndVcpuThreadConcurrently) {
    Rig r;
    r.wr(IER, 0x01);
    constexpr size_t kBytes = 200'000;
    std::thread console([&] {
        size_t sent = 0;
        while (sent < kBytes) {
            uint8_t chunk[64];
            size_t n = std::min(sizeof chunk, kBytes - sent);
            for (size_t i = 0; i < n; i++)
                chunk[i] = static_cast<uint8_t>((sent + i) % 251);
            sent += r.uart.push_input({chunk, n});
        }
    });
    size_t got = 0;
    bool in_order = true;
    while (got < kBytes) {
        if (!(r.rd(LSR) & 0x01)) continue;
        in_order = in_order && r.rd(RBR) == got % 251;
        got++;
    }
    console.join();
    EXPECT_TRUE(in_order);
    EXPECT_FALSE(r.irq);
}

} // namespace
} // namespace virtd::pv
