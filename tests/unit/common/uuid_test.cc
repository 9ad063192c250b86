#include <set>

#include <gtest/gtest.h>

#include "common/uuid.h"

namespace virtd {
namespace {

TEST(Uuid, ParsesCanonicalAndBareForms) {
    Result<Uuid> a = Uuid::parse("C7A5FDBD-cdaf-9455-926a-d65c16db1809");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->format(), "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    Result<Uuid> b = Uuid::parse("  c7a5fdbdcdaf9455926ad65c16db1809\n");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(a->bytes()[0], 0xc7);
    EXPECT_EQ(a->bytes()[15], 0x09);
}

TEST(Uuid, RejectsMalformed) {
    for (const char* bad :
         {"", "c7a5fdbd", "c7a5fdbd-cdaf-9455-926a-d65c16db180g",
          "c7a5fdbd-cdaf-9455-926a-d65c16db18091", "c7a5fdbdXcdaf-9455-926a-d65c16db1809",
          "c7a5fdbd-cdaf-9455-926a-d65c16db18"}) {
        Result<Uuid> r = Uuid::parse(bad);
        EXPECT_FALSE(r.ok()) << bad;
        if (!r) {
            EXPECT_EQ(r.error().code(), ErrorCode::InvalidArg);
            EXPECT_NE(r.error().message().find(bad), std::string::npos);
        }
    }
}

TEST(Uuid, GeneratesDistinctVersion4) {
    std::set<Uuid> seen;
    for (int i = 0; i < 100; i++) {
        Uuid u = Uuid::generate();
        EXPECT_EQ(u.bytes()[6] >> 4, 4);
        EXPECT_EQ(u.bytes()[8] & 0xc0, 0x80);
        EXPECT_FALSE(u.is_null());
        EXPECT_EQ(*Uuid::parse(u.format()), u);
        seen.insert(u);
    }
    EXPECT_EQ(seen.size(), 100u);
    EXPECT_TRUE(Uuid().is_null());
}

} // namespace
} // namespace virtd
