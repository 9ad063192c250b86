#include <gtest/gtest.h>

#include "conf/cpuset.h"

namespace virtd::conf {
namespace {

TEST(Cpuset, RangesExclusionsAndSingles) {
    EXPECT_EQ(*parse_cpuset("0-3,^2,8"), (std::set<uint32_t>{0, 1, 3, 8}));
    EXPECT_EQ(*parse_cpuset(" 5 "), (std::set<uint32_t>{5}));
    EXPECT_EQ(*parse_cpuset("1-1"), (std::set<uint32_t>{1}));
}

TEST(Cpuset, BadItemsAreNamed) {
    Result<std::set<uint32_t>> r = parse_cpuset("0-3,3-1");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(),
              "invalid cpuset '0-3,3-1': bad item '3-1' (expected N, N-M or ^N with N < 16384)");
    EXPECT_FALSE(parse_cpuset("").ok());
    EXPECT_FALSE(parse_cpuset("1,,2").ok());
    EXPECT_FALSE(parse_cpuset("a").ok());
    EXPECT_FALSE(parse_cpuset("16384").ok());
    EXPECT_EQ(parse_cpuset("1,^1").error().message(), "invalid cpuset '1,^1': it names no CPU");
}

} // namespace
} // namespace virtd::conf
