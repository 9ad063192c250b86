#include <gtest/gtest.h>

#include "common/state_codec.h"

namespace virtd {
namespace {

TEST(StateCodec, RoundTrip) {
    StateWriter w;
    w.u8(0xab);
    w.boolean(true);
    w.u16(0x1234);
    w.u32(0xdeadbeef);
    w.u64(0x0102030405060708ULL);
    w.str("hart 1");
    StateReader r(w.bytes());
    EXPECT_EQ(r.u8(), 0xab);
    EXPECT_TRUE(r.boolean());
    EXPECT_EQ(r.u16(), 0x1234);
    EXPECT_EQ(r.u32(), 0xdeadbeefu);
    EXPECT_EQ(r.u64(), 0x0102030405060708ULL);
    EXPECT_EQ(r.str(16), "hart 1");
    r.expect_end();
    EXPECT_TRUE(r.ok()) << r.error();
}

TEST(StateCodec, LittleEndian) {
    StateWriter w;
    w.u32(0x11223344);
    EXPECT_EQ(w.bytes(), (std::vector<uint8_t>{0x44, 0x33, 0x22, 0x11}));
}

TEST(StateCodec, TruncationIsReportedOnceWithItsPosition) {
    std::vector<uint8_t> three{1, 2, 3};
    StateReader r(three);
    EXPECT_EQ(r.u16(), 0x0201);
    EXPECT_EQ(r.u32(), 0u);
    EXPECT_EQ(r.u64(), 0u); // after the first problem, reads give zeros
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error(), "truncated at byte 2");
}

TEST(StateCodec, LimitsAndBadValues) {
    StateWriter w;
    w.str("far too long");
    StateReader r(w.bytes());
    r.str(4);
    EXPECT_EQ(r.error(), "a field of 12 bytes is longer than the limit of 4");

    StateWriter c;
    c.u32(1000);
    StateReader rc(c.bytes());
    rc.count(10);
    EXPECT_EQ(rc.error(), "a count of 1000 is above the limit of 10");

    StateWriter c2;
    c2.u32(5); // five items of 8 bytes cannot fit in what follows
    StateReader rc2(c2.bytes());
    rc2.count(10, 8);
    EXPECT_EQ(rc2.error(), "truncated at byte 4");

    std::vector<uint8_t> two{2};
    StateReader rb(two);
    rb.boolean();
    EXPECT_EQ(rb.error(), "byte 0 is 2 where a boolean (0 or 1) belongs");

    std::vector<uint8_t> extra{1, 2};
    StateReader re(extra);
    re.u8();
    re.expect_end();
    EXPECT_EQ(re.error(), "1 unexpected bytes after the last field");
}

} // namespace
} // namespace virtd
