// Host facts: the meminfo parser on kernel-shaped text and on broken text, and the live values
// against what sysconf says about the same host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/host.h"

namespace virtd {
namespace {

TEST(HostTest, MeminfoFieldsAreReadInKib) {
    Result<HostMemory> m = parse_meminfo("MemTotal:       24573716 kB\n"
                                         "MemFree:        21968144 kB\n"
                                         "MemAvailable:   23104452 kB\n"
                                         "Buffers:          106336 kB\n"
                                         "Cached:          1265160 kB\n"
                                         "SwapCached:            0 kB\n"
                                         "HugePages_Total:       0\n",
                                         "test");
    ASSERT_TRUE(m.ok()) << m.error().message();
    EXPECT_EQ(m->total_kib, 24573716u);
    EXPECT_EQ(m->free_kib, 21968144u);
    EXPECT_EQ(m->available_kib, 23104452u);
    EXPECT_EQ(m->buffers_kib, 106336u);
    EXPECT_EQ(m->cached_kib, 1265160u); // not SwapCached, which also ends in "Cached:"
}

TEST(HostTest, MeminfoWithoutTotalIsAnErrorNamingTheSource) {
    Result<HostMemory> m = parse_meminfo("MemFree: 12 kB\ngarbage\n:\nMemTotal: x kB", "/x/mem");
    ASSERT_FALSE(m.ok());
    EXPECT_THAT(m.error().message(), ::testing::HasSubstr("/x/mem: no MemTotal line"));
    Result<HostMemory> partial = parse_meminfo("MemTotal: 1000 kB", "t");
    ASSERT_TRUE(partial.ok());
    EXPECT_EQ(partial->total_kib, 1000u);
    EXPECT_EQ(partial->free_kib, 0u);
}

TEST(HostTest, LiveValuesAgreeWithSysconf) {
    Result<HostMemory> m = host_memory();
    ASSERT_TRUE(m.ok()) << m.error().message();
    const uint64_t pages_kib = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                               static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
    EXPECT_EQ(m->total_kib, pages_kib);
    EXPECT_LE(m->free_kib, m->total_kib);
    EXPECT_EQ(host_cpus(), static_cast<unsigned>(sysconf(_SC_NPROCESSORS_ONLN)));
}

} // namespace
} // namespace virtd
