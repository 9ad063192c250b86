#include <string>

#include <gtest/gtest.h>

#include "common/crc32c.h"

namespace virtd {
namespace {

TEST(Crc32c, KnownValues) {
    EXPECT_EQ(crc32c("", 0), 0u);
    EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u); // the CRC-32C check value
    std::string zeros(32, '\0');
    EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu); // RFC 3720 B.4
}

TEST(Crc32c, IncrementalEqualsWhole) {
    std::string text = "the quick brown fox jumps over the lazy dog, twice over";
    uint32_t whole = crc32c(text.data(), text.size());
    for (size_t cut = 0; cut <= text.size(); ++cut)
        EXPECT_EQ(crc32c(text.data() + cut, text.size() - cut, crc32c(text.data(), cut)), whole);
}

} // namespace
} // namespace virtd
