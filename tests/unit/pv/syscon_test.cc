#include <vector>

#include <gtest/gtest.h>

#include "drivers/pv/syscon.h"

namespace virtd::pv {
namespace {

struct Call {
    Syscon::Request request;
    uint32_t status;
};

TEST(Syscon, CommandsReachTheHandler) {
    std::vector<Call> calls;
    Syscon s([&](Syscon::Request r, uint32_t status) { calls.push_back({r, status}); });
    s.write(0, 4, 0x5555);
    s.write(0, 4, 0x7777);
    s.write(0, 4, (42u << 16) | 0x3333);
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0].request, Syscon::Request::Poweroff);
    EXPECT_EQ(calls[1].request, Syscon::Request::Reboot);
    EXPECT_EQ(calls[2].request, Syscon::Request::Fail);
    EXPECT_EQ(calls[2].status, 42u);
}

TEST(Syscon, IgnoresOtherValuesOffsetsAndNarrowWrites) {
    int calls = 0;
    Syscon s([&](Syscon::Request, uint32_t) { calls++; });
    s.write(0, 4, 0x1234);
    s.write(4, 4, 0x5555);
    s.write(0, 2, 0x5555);
    EXPECT_EQ(calls, 0);
    s.write(0, 8, 0x5555);
    EXPECT_EQ(calls, 1);
}

TEST(Syscon, ReadsZeroSoRegmapUpdateBitsAlwaysWrites) {
    Syscon s([](Syscon::Request, uint32_t) {});
    EXPECT_EQ(s.read(0, 4), 0u);
    s.write(0, 4, 0x1111);
    EXPECT_EQ(s.read(0, 4), 0u);
}

} // namespace
} // namespace virtd::pv
