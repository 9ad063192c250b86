// virtio-blk over a real raw file, driven through its queue as Linux's virtio_blk drives it,
// and fed malformed requests.
#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "drivers/pv/virtio/blk.h"
#include "tests/unit/pv/virtio_signals.h"
#include "tests/unit/pv/virtq_driver.h"

namespace virtd::pv::virtio {
namespace {

using testing::RecordingSignals;
using testing::TestRam;
using testing::VirtqDriver;

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kHdr = kBase + 0x10000, kData = kBase + 0x20000, kStatus = kBase + 0x30000;
constexpr uint64_t kDiskBytes = 1 << 20;

class VirtioBlkTest : public ::testing::Test {
protected:
    void open(bool read_only, std::string serial = "disk-serial-1") {
        char tmpl[] = "/tmp/virtd-blk-test-XXXXXX";
        int fd = mkstemp(tmpl);
        ASSERT_GE(fd, 0);
        path = tmpl;
        ASSERT_EQ(ftruncate(fd, kDiskBytes), 0);
        std::string pattern(4096, 'p');
        ASSERT_EQ(pwrite(fd, pattern.data(), pattern.size(), 8192), 4096);
        close(fd);
        storage::BlockOpenOptions o;
        o.read_only = read_only;
        auto backend = storage::open_block_backend(path, "raw", o);
        ASSERT_TRUE(backend) << backend.error().message();
        blk = std::make_unique<VirtioBlk>(ram, std::move(*backend), serial);
        QueueConfig q{0, drv.config.size, drv.config.desc, drv.config.avail, drv.config.used};
        // Without EVENT_IDX: this driver does not move used_event along as Linux does.
        ASSERT_TRUE(blk->activate(features(), std::span(&q, 1), signals));
    }
    uint64_t features() const { return blk->features() & ~(1ULL << kFeatureEventIdx); }
    void TearDown() override {
        blk.reset();
        if (!path.empty()) unlink(path.c_str());
    }

    void header(uint32_t type, uint64_t sector) {
        ram.put<uint32_t>(kHdr, type);
        ram.put<uint32_t>(kHdr + 4, 0);
        ram.put<uint64_t>(kHdr + 8, sector);
    }
    // Submits a chain and waits for it to come back; returns the status byte.
    uint8_t run(const std::vector<VirtqDriver::Buf>& bufs) {
        ram.put<uint8_t>(kStatus, 0xff);
        uint16_t before = drv.used_idx();
        drv.add(bufs);
        blk->notify(0);
        EXPECT_TRUE(signals.wait([&] { return drv.used_idx() != before; }));
        return ram.get<uint8_t>(kStatus);
    }
    uint8_t rw(uint32_t type, uint64_t sector, uint32_t len) {
        header(type, sector);
        return run({{kHdr, 16, false}, {kData, len, type == 0}, {kStatus, 1, true}});
    }

    TestRam ram{1 << 20};
    VirtqDriver drv{ram, 64, kBase};
    RecordingSignals signals;
    std::unique_ptr<VirtioBlk> blk;
    std::string path;
};

TEST_F(VirtioBlkTest, ConfigDescribesTheDisk) {
    open(false);
    EXPECT_EQ(blk->device_id(), DeviceId::Block);
    EXPECT_EQ(blk->read_config(0, 8), kDiskBytes / 512);            // capacity in sectors
    EXPECT_EQ(blk->read_config(12, 4), VirtioBlk::kQueueSize - 2u); // seg_max
    EXPECT_EQ(blk->read_config(20, 4), 512u);                       // blk_size
    EXPECT_FALSE(blk->features() & (1ULL << 5));                    // not read-only
    EXPECT_TRUE(blk->features() & (1ULL << 9));                     // flush
}

TEST_F(VirtioBlkTest, ReadWriteFlushRoundTrip) {
    open(false);
    ASSERT_EQ(rw(0, 16, 4096), 0); // read the pattern at 8192
    EXPECT_EQ(ram.get<uint8_t>(kData + 100), 'p');
    EXPECT_EQ(drv.used(0).second, 4097u);
    EXPECT_TRUE(ram.dirty_pages.count(kData >> 12));

    for (int i = 0; i < 8192; ++i)
        ram.put<uint8_t>(kData + i, static_cast<uint8_t>(i * 7));
    ASSERT_EQ(rw(1, 100, 8192), 0);
    header(4, 0);
    ASSERT_EQ(run({{kHdr, 16, false}, {kStatus, 1, true}}), 0); // flush
    std::memset(ram.host(kData, 8192), 0, 8192);
    ASSERT_EQ(rw(0, 100, 8192), 0);
    EXPECT_EQ(ram.get<uint8_t>(kData + 8191), static_cast<uint8_t>(8191 * 7));
    int fd = ::open(path.c_str(), O_RDONLY);
    uint8_t b = 0;
    ASSERT_EQ(pread(fd, &b, 1, 100 * 512 + 5), 1);
    close(fd);
    EXPECT_EQ(b, 35);
    BlockCounters c = blk->counters();
    EXPECT_EQ(c.rd_req, 2u);
    EXPECT_EQ(c.wr_req, 1u);
    EXPECT_EQ(c.wr_bytes, 8192u);
    EXPECT_EQ(c.flush_req, 1u);
}

TEST_F(VirtioBlkTest, SplitHeaderAndScatteredDataWork) {
    open(false);
    header(0, 16);
    ASSERT_EQ(run({{kHdr, 8, false},
                   {kHdr + 8, 8, false},
                   {kData, 512, true},
                   {kData + 0x2000, 512, true},
                   {kStatus, 1, true}}),
              0);
    EXPECT_EQ(ram.get<uint8_t>(kData + 0x2000 + 511), 'p');
}

TEST_F(VirtioBlkTest, GetIdReturnsTheSerial) {
    open(false, "serial-42");
    header(8, 0);
    ASSERT_EQ(run({{kHdr, 16, false}, {kData, 20, true}, {kStatus, 1, true}}), 0);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(ram.host(kData, 9)), 9), "serial-42");
    EXPECT_EQ(ram.get<uint8_t>(kData + 9), 0);
}

TEST_F(VirtioBlkTest, DiscardAndWriteZeroes) {
    open(false);
    header(13, 0); // write zeroes over the pattern
    ram.put<uint64_t>(kData, 16);
    ram.put<uint32_t>(kData + 8, 8);
    ram.put<uint32_t>(kData + 12, 0);
    ASSERT_EQ(run({{kHdr, 16, false}, {kData, 16, false}, {kStatus, 1, true}}), 0);
    ASSERT_EQ(rw(0, 16, 4096), 0);
    EXPECT_EQ(ram.get<uint8_t>(kData + 100), 0);
    header(11, 0); // discard with the unmap flag is not allowed
    ram.put<uint64_t>(kData, 16);
    ram.put<uint32_t>(kData + 8, 8);
    ram.put<uint32_t>(kData + 12, 1);
    EXPECT_EQ(run({{kHdr, 16, false}, {kData, 16, false}, {kStatus, 1, true}}), 2);
}

TEST_F(VirtioBlkTest, BadRequestsGetErrorStatus) {
    open(false);
    EXPECT_EQ(rw(0, kDiskBytes / 512, 512), 1); // past the end
    EXPECT_EQ(rw(0, 0, 100), 1);                // not whole sectors
    EXPECT_EQ(rw(0, ~0ULL / 256, 512), 1);      // offset overflows
    header(99, 0);
    EXPECT_EQ(run({{kHdr, 16, false}, {kStatus, 1, true}}), 2); // unknown type
    EXPECT_GE(blk->counters().errors, 4u);
    EXPECT_EQ(signals.resets, 0u);
}

TEST_F(VirtioBlkTest, ReadOnlyDiskRefusesWrites) {
    open(true);
    EXPECT_TRUE(blk->features() & (1ULL << 5));
    EXPECT_EQ(rw(1, 0, 512), 1);
    EXPECT_EQ(rw(0, 16, 512), 0);
}

TEST_F(VirtioBlkTest, MalformedChainsNeedReset) {
    open(false);
    // No status byte: nothing writable.
    header(0, 0);
    drv.add({{kHdr, 16, false}});
    blk->notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.resets == 1; }));
    EXPECT_EQ(drv.used_idx(), 0);
    // Nothing more is served until a reset.
    drv.add({{kHdr, 16, false}, {kStatus, 1, true}});
    blk->notify(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(drv.used_idx(), 0);

    blk->reset();
    std::memset(ram.host(kBase, 0x10000), 0, 0x10000);
    VirtqDriver fresh(ram, 16, kBase, features());
    QueueConfig q{0, 16, fresh.config.desc, fresh.config.avail, fresh.config.used};
    ASSERT_TRUE(blk->activate(features(), std::span(&q, 1), signals));
    // A header shorter than 16 bytes.
    fresh.add({{kHdr, 8, false}, {kStatus, 1, true}});
    blk->notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.resets == 2; }));
    EXPECT_EQ(fresh.used_idx(), 0);
}

TEST_F(VirtioBlkTest, ManyRequestsInFlight) {
    open(false);
    for (int i = 0; i < 16; ++i) {
        ram.put<uint32_t>(kHdr + 32 * i, 0);
        ram.put<uint64_t>(kHdr + 32 * i + 8, 16);
        drv.add(
            {{kHdr + 32 * i, 16, false}, {kData + 4096 * i, 4096, true}, {kStatus + i, 1, true}});
    }
    blk->notify(0);
    ASSERT_TRUE(signals.wait([&] { return drv.used_idx() == 16; }));
    for (int i = 0; i < 16; ++i) {
        EXPECT_EQ(ram.get<uint8_t>(kStatus + i), 0);
        EXPECT_EQ(ram.get<uint8_t>(kData + 4096 * i + 4095), 'p');
    }
}

} // namespace
} // namespace virtd::pv::virtio
