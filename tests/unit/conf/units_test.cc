#include <gtest/gtest.h>

#include "conf/units.h"

namespace virtd::conf {
namespace {

TEST(Units, EveryLibvirtUnitScales) {
    struct Case {
        const char* unit;
        uint64_t scale;
    };
    const uint64_t k = 1024;
    for (Case c : {Case{"b", 1},
                   {"bytes", 1},
                   {"KB", 1000},
                   {"k", k},
                   {"K", k},
                   {"KiB", k},
                   {"MB", 1000000},
                   {"M", k * k},
                   {"MiB", k * k},
                   {"GB", 1000000000},
                   {"G", k * k * k},
                   {"GiB", k * k * k},
                   {"TB", 1000000000000},
                   {"T", k * k * k * k},
                   {"TiB", k * k * k * k},
                   {"PB", 1000000000000000},
                   {"P", k * k * k * k * k},
                   {"PiB", k * k * k * k * k},
                   {"EB", 1000000000000000000},
                   {"E", k * k * k * k * k * k},
                   {"EiB", k * k * k * k * k * k}}) {
        SCOPED_TRACE(c.unit);
        EXPECT_EQ(unit_scale(c.unit), c.scale);
        EXPECT_EQ(*size_to_bytes("3", c.unit, 1), 3 * c.scale);
    }
}

TEST(Units, DefaultScaleAppliesWithoutUnit) {
    EXPECT_EQ(*size_to_bytes("524288", "", kKiB), 512 * kMiB);
    EXPECT_EQ(*size_to_bytes("0", "", kKiB), 0u);
}

TEST(Units, ErrorsSayWhatIsWrong) {
    Result<uint64_t> r = size_to_bytes("512", "MiBs", kKiB);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), "unknown unit 'MiBs'");
    EXPECT_EQ(size_to_bytes("12x", "", 1).error().message(),
              "expected an unsigned integer, got '12x'");
    EXPECT_EQ(size_to_bytes("-1", "", 1).error().message(),
              "expected an unsigned integer, got '-1'");
    EXPECT_FALSE(size_to_bytes("", "", 1).ok());
}

TEST(Units, OverflowIsCaught) {
    EXPECT_EQ(*size_to_bytes("15", "EiB", 1), 15ull << 60);
    Result<uint64_t> r = size_to_bytes("16", "EiB", 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), "size '16 EiB' is too large (more than 2^64 bytes)");
    EXPECT_FALSE(size_to_bytes("18446744073709551616", "", 1).ok());
    EXPECT_EQ(*size_to_bytes("18446744073709551615", "b", 1), 18446744073709551615ull);
    EXPECT_FALSE(size_to_bytes("18014398509481984", "KiB", 1).ok());
}

} // namespace
} // namespace virtd::conf
