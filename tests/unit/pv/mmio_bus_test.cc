#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/pv/mmio_bus.h"

namespace virtd::pv {
namespace {

// Records every access and answers reads with a fixed pattern.
class Recorder : public MmioDevice {
public:
    struct Access {
        bool is_write;
        uint64_t offset;
        unsigned size;
        uint64_t value;
    };
    uint64_t read(uint64_t offset, unsigned size) override {
        log.push_back({false, offset, size, 0});
        return 0x1122334455667788ULL;
    }
    void write(uint64_t offset, unsigned size, uint64_t value) override {
        log.push_back({true, offset, size, value});
    }
    std::vector<Access> log;
};

TEST(MmioBus, DispatchesWithOffsetsInsideTheWindow) {
    MmioBus bus;
    auto a = std::make_shared<Recorder>();
    auto b = std::make_shared<Recorder>();
    ASSERT_TRUE(bus.add(0x1000'0000, 0x100, a, "uart").ok());
    ASSERT_TRUE(bus.add(0x0010'0000, 0x1000, b, "syscon").ok());

    ASSERT_TRUE(bus.write(0x1000'0003, 1, 0x83));
    ASSERT_EQ(a->log.size(), 1u);
    EXPECT_TRUE(a->log[0].is_write);
    EXPECT_EQ(a->log[0].offset, 3u);
    EXPECT_EQ(a->log[0].value, 0x83u);

    uint64_t v = 0;
    ASSERT_TRUE(bus.read(0x0010'0ffc, 4, &v));
    EXPECT_EQ(v, 0x55667788u) << "reads are truncated to the access size";
    ASSERT_EQ(b->log.size(), 1u);
    EXPECT_EQ(b->log[0].offset, 0xffcu);

    ASSERT_TRUE(bus.read(0x0010'0000, 8, &v));
    EXPECT_EQ(v, 0x1122334455667788ULL);

    auto t = bus.find(0x1000'00ff, 1);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->name, "uart");
    EXPECT_EQ(t->offset, 0xffu);
}

TEST(MmioBus, MissesOutsideRangesAndAcrossTheirEnd) {
    MmioBus bus;
    auto a = std::make_shared<Recorder>();
    ASSERT_TRUE(bus.add(0x1000, 0x100, a, "dev").ok());
    uint64_t v = 1;
    EXPECT_FALSE(bus.read(0xfff, 1, &v));
    EXPECT_EQ(v, 0u);
    EXPECT_FALSE(bus.read(0x1100, 1, &v));
    EXPECT_FALSE(bus.read(0x10fd, 4, &v)) << "an access straddling the end is not the device's";
    EXPECT_TRUE(bus.read(0x10fc, 4, &v));
    EXPECT_FALSE(bus.write(0x1000, 3, 0)) << "only 1, 2, 4 and 8 byte accesses exist";
    EXPECT_FALSE(bus.find(0x2000, 1).has_value());
    EXPECT_FALSE(bus.find(0xffff'ffff'ffff'fffeULL, 8).has_value());
}

TEST(MmioBus, RefusesOverlapsAndNamesBothDevices) {
    MmioBus bus;
    auto d = std::make_shared<Recorder>();
    ASSERT_TRUE(bus.add(0x2000, 0x1000, d, "first").ok());
    // Touching ranges are fine.
    EXPECT_TRUE(bus.add(0x1000, 0x1000, d, "below").ok());
    EXPECT_TRUE(bus.add(0x3000, 0x1000, d, "above").ok());

    Status st = bus.add(0x2800, 0x10, d, "late");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message().find("'late'"), std::string::npos) << st.error().message();
    EXPECT_NE(st.error().message().find("'first'"), std::string::npos) << st.error().message();
    EXPECT_EQ(st.error().code(), ErrorCode::InvalidArg);

    EXPECT_FALSE(bus.add(0x0800, 0x1000, d, "under").ok()) << "overlaps 'below' from beneath";
    EXPECT_FALSE(bus.add(0x2000, 0x10, d, "same-base").ok());
    EXPECT_FALSE(bus.add(0x0, 0x10000, d, "covering").ok());
    EXPECT_FALSE(bus.add(0x9000, 0, d, "empty").ok());
    EXPECT_FALSE(bus.add(0xffff'ffff'ffff'f000ULL, 0x2000, d, "wraps").ok());
    EXPECT_FALSE(bus.add(0x9000, 0x10, nullptr, "null").ok());
}

TEST(MmioBus, RemoveFreesTheRange) {
    MmioBus bus;
    auto d = std::make_shared<Recorder>();
    ASSERT_TRUE(bus.add(0x1000, 0x1000, d, "dev").ok());
    EXPECT_FALSE(bus.remove(0x1800).ok());
    ASSERT_TRUE(bus.remove(0x1000).ok());
    uint64_t v = 0;
    EXPECT_FALSE(bus.read(0x1000, 4, &v));
    EXPECT_TRUE(bus.add(0x1800, 0x1000, d, "again").ok());
}

} // namespace
} // namespace virtd::pv
