#include <gtest/gtest.h>
#include <libfdt.h>

#include "drivers/pv/fdt_writer.h"

namespace virtd::pv {
namespace {

TEST(FdtWriter, WritesPropertiesLibfdtReadsBack) {
    FdtWriter w(4096);
    w.begin_node("");
    w.prop_u32("a", 0x11223344);
    w.prop_u64("b", 0x0102030405060708ULL);
    w.prop_strings("c", {"one", "two"});
    w.prop_empty("d");
    w.begin_node("child@10");
    w.prop_reg64(0x1'0000'0010ULL, 0x20);
    w.end_node();
    w.end_node();
    auto blob = w.finish();
    ASSERT_TRUE(blob.ok()) << blob.error().message();
    const void* fdt = blob->data();
    ASSERT_EQ(fdt_check_header(fdt), 0);
    int len = 0;
    const auto* a = static_cast<const fdt32_t*>(fdt_getprop(fdt, 0, "a", &len));
    ASSERT_EQ(len, 4);
    EXPECT_EQ(fdt32_to_cpu(*a), 0x11223344u);
    const auto* b = static_cast<const fdt64_t*>(fdt_getprop(fdt, 0, "b", &len));
    ASSERT_EQ(len, 8);
    EXPECT_EQ(fdt64_to_cpu(*b), 0x0102030405060708ULL);
    const auto* c = static_cast<const char*>(fdt_getprop(fdt, 0, "c", &len));
    EXPECT_EQ(std::string(c, static_cast<size_t>(len)), std::string("one\0two\0", 8));
    EXPECT_NE(fdt_getprop(fdt, 0, "d", &len), nullptr);
    EXPECT_EQ(len, 0);
    int child = fdt_path_offset(fdt, "/child@10");
    ASSERT_GE(child, 0);
    const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, child, "reg", &len));
    ASSERT_EQ(len, 16);
    EXPECT_EQ(fdt32_to_cpu(reg[0]), 1u);
    EXPECT_EQ(fdt32_to_cpu(reg[1]), 0x10u);
    EXPECT_EQ(fdt32_to_cpu(reg[3]), 0x20u);
}

TEST(FdtWriter, FirstErrorWinsAndNamesWhereItHappened) {
    FdtWriter w(200);
    w.begin_node("");
    w.prop_string("big", std::string(300, 'x'));
    w.prop_u32("after", 1);
    w.end_node();
    auto blob = w.finish();
    ASSERT_FALSE(blob.ok());
    EXPECT_NE(blob.error().message().find("'big'"), std::string::npos) << blob.error().message();
}

} // namespace
} // namespace virtd::pv
