#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rpc/xdr.h"
#include "tests/unit/rpc/hex.h"

namespace virtd::rpc {
namespace {

using testing::from_hex;
using ::testing::HasSubstr;
using testing::to_hex;

TEST(Xdr, ScalarsAreBigEndianAndFourByteAligned) {
    XdrWriter w;
    w.u32(0x20008086);
    w.i32(-1);
    w.u64(0x0102030405060708);
    w.boolean(true);
    w.f64(1.5);
    EXPECT_EQ(to_hex(w.data()), "20008086 ffffffff 01020304 05060708 00000001 3ff80000 00000000");
    XdrReader r(w.data());
    uint32_t a = 0;
    int32_t b = 0;
    uint64_t c = 0;
    bool d = false;
    double e = 0;
    ASSERT_TRUE(r.u32(a) && r.i32(b) && r.u64(c) && r.boolean(d) && r.f64(e) && r.finish());
    EXPECT_EQ(a, 0x20008086u);
    EXPECT_EQ(b, -1);
    EXPECT_EQ(c, 0x0102030405060708u);
    EXPECT_TRUE(d);
    EXPECT_EQ(e, 1.5);
}

TEST(Xdr, StringsHaveLengthAndPaddingButNoNul) {
    XdrWriter w;
    w.string("test:///default");
    w.optional_string(std::nullopt);
    w.optional_string("ab");
    EXPECT_EQ(to_hex(w.data()), "0000000f 74657374 3a2f2f2f 64656661 756c7400 00000000 "
                                "00000001 00000002 61620000");
    XdrReader r(w.data());
    std::string s;
    std::optional<std::string> none = "x", some;
    ASSERT_TRUE(r.string(s) && r.optional_string(none) && r.optional_string(some) && r.finish());
    EXPECT_EQ(s, "test:///default");
    EXPECT_FALSE(none);
    EXPECT_EQ(some, "ab");
}

TEST(Xdr, CharArraysTakeFourBytesPerCharacter) {
    XdrWriter w;
    w.char_array("doi");
    w.fixed_char_array("i686", 6);
    EXPECT_EQ(to_hex(w.data()), "00000003 00000064 0000006f 00000069 "
                                "00000069 00000036 00000038 00000036 00000000 00000000");
    XdrReader r(w.data());
    std::string a, b;
    ASSERT_TRUE(r.char_array(a, 10) && r.fixed_char_array(b, 6) && r.finish());
    EXPECT_EQ(a, "doi");
    EXPECT_EQ(b, "i686");
}

TEST(Xdr, LimitsAreEnforcedBeforeAllocating) {
    std::string s;
    std::string too_long_bytes = from_hex("00000005 68656c6c 6f000000");
    XdrReader too_long(too_long_bytes);
    EXPECT_FALSE(too_long.string(s, 4));
    EXPECT_THAT(too_long.error(), HasSubstr("length 5 exceeds the limit of 4"));

    // A count that claims more elements than the remaining bytes can hold fails at once.
    std::string huge_bytes = from_hex("00004000 00000001");
    XdrReader huge(huge_bytes);
    uint32_t n = 0;
    EXPECT_FALSE(huge.count(n, 16384, 4));
    EXPECT_THAT(huge.error(), HasSubstr("cannot fit"));
    std::string over_bytes = from_hex("00004001");
    XdrReader over(over_bytes);
    EXPECT_FALSE(over.count(n, 16384, 0));
    EXPECT_THAT(over.error(), HasSubstr("exceeds the limit of 16384"));
}

TEST(Xdr, TruncationAndTrailingBytesAreErrorsWithOffsets) {
    std::string r_bytes = from_hex("00000008 41424344");
    XdrReader r(r_bytes);
    std::string s;
    EXPECT_FALSE(r.string(s));
    EXPECT_EQ(r.error(), "at byte 4: truncated: string or opaque data needs 8 bytes, 4 left");
    uint32_t v = 0;
    EXPECT_FALSE(r.u32(v)); // stays failed
    std::string extra_bytes = from_hex("00000001 00000002");
    XdrReader extra(extra_bytes);
    ASSERT_TRUE(extra.u32(v));
    EXPECT_FALSE(extra.finish());
    EXPECT_THAT(extra.error(), HasSubstr("4 unexpected trailing bytes"));
}

TEST(Xdr, NarrowTypesAndBooleansAreRangeChecked) {
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    bool b = false;
    EXPECT_FALSE(XdrReader(std::string_view(from_hex("00000100"))).u8(u8));
    EXPECT_TRUE(XdrReader(std::string_view(from_hex("000000ff"))).u8(u8));
    EXPECT_FALSE(XdrReader(std::string_view(from_hex("00010000"))).u16(u16));
    EXPECT_FALSE(XdrReader(std::string_view(from_hex("00000002"))).boolean(b));
}

} // namespace
} // namespace virtd::rpc
