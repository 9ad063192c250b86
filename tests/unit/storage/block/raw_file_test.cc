#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fd.h"
#include "storage/block/block_backend.h"
#include "storage/block/raw_file.h"

namespace virtd::storage {
namespace {

namespace fs = std::filesystem;

// Runs one request and waits for its completion.
Status run(BlockBackend& disk, BlockRequest req) {
    std::promise<Status> promise;
    auto result = promise.get_future();
    disk.submit(std::move(req), [&promise](Status st) { promise.set_value(std::move(st)); });
    return result.get();
}

BlockRequest rw(BlockOp op, uint64_t offset, std::vector<iovec> iov) {
    BlockRequest req;
    req.op = op;
    req.offset = offset;
    req.iov = std::move(iov);
    return req;
}

BlockRequest ranged(BlockOp op, uint64_t offset, uint64_t length, bool may_unmap = false) {
    BlockRequest req;
    req.op = op;
    req.offset = offset;
    req.length = length;
    req.may_unmap = may_unmap;
    return req;
}

std::vector<char> pattern(size_t size, unsigned seed) {
    std::vector<char> v(size);
    for (size_t i = 0; i < size; i++)
        v[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 9)) & 0xff);
    return v;
}

struct AlignedDeleter {
    void operator()(char* p) const { std::free(p); }
};
std::unique_ptr<char, AlignedDeleter> aligned_buffer(size_t size) {
    return std::unique_ptr<char, AlignedDeleter>(
        static_cast<char*>(std::aligned_alloc(4096, size)));
}

// Each test gets a fresh directory under the system temporary directory, removed afterwards.
class RawFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "virtd-raw-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    // A file of `size` bytes holding pattern(size, seed), written out (not sparse).
    std::string make_file(const std::string& name, size_t size, unsigned seed = 1) {
        const std::string path = (dir_ / name).string();
        std::ofstream out(path, std::ios::binary);
        const std::vector<char> data = pattern(size, seed);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
        return path;
    }

    static std::vector<char> read_file(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    static std::unique_ptr<BlockBackend> open(const std::string& path,
                                              BlockOpenOptions options = {}) {
        auto disk = open_block_backend(path, "raw", options);
        EXPECT_TRUE(disk.ok()) << (disk.ok() ? "" : disk.error().text());
        if (!disk.ok()) return nullptr;
        return std::move(*disk);
    }

    fs::path dir_;
};

TEST_F(RawFileTest, InfoDescribesTheFile) {
    const std::string path = make_file("disk.img", 1 << 20);
    auto disk = open(path);
    ASSERT_TRUE(disk);
    EXPECT_EQ(disk->info().size_bytes, 1u << 20);
    EXPECT_EQ(disk->info().logical_block_size, 512u);
    EXPECT_GE(disk->info().physical_block_size, 512u);
    EXPECT_FALSE(disk->info().read_only);
    EXPECT_TRUE(disk->info().discard);
    EXPECT_TRUE(disk->info().write_zeroes);
    EXPECT_NE(disk->info().description.find(path), std::string::npos);
}

TEST_F(RawFileTest, ScatteredWriteThenScatteredReadRoundTrips) {
    const std::string path = make_file("disk.img", 1 << 20);
    auto disk = open(path);
    ASSERT_TRUE(disk);

    // Odd segment sizes, so segment boundaries never match sector boundaries.
    std::vector<char> data = pattern(8192, 42);
    std::vector<iovec> out = {{data.data(), 100},
                              {data.data() + 100, 3},
                              {data.data() + 103, 0},
                              {data.data() + 103, 5000},
                              {data.data() + 5103, 3089}};
    ASSERT_TRUE(run(*disk, rw(BlockOp::Write, 4096 + 512, out)).ok());

    std::vector<char> back(8192, 0);
    std::vector<iovec> in = {
        {back.data(), 4095}, {back.data() + 4095, 1}, {back.data() + 4096, 4096}};
    ASSERT_TRUE(run(*disk, rw(BlockOp::Read, 4096 + 512, in)).ok());
    EXPECT_EQ(back, data);

    // The bytes landed exactly there in the file, and nothing around them moved.
    const std::vector<char> file = read_file(path);
    const std::vector<char> original = pattern(1 << 20, 1);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), file.begin() + 4608));
    EXPECT_TRUE(std::equal(original.begin(), original.begin() + 4608, file.begin()));
    EXPECT_TRUE(
        std::equal(original.begin() + 4608 + 8192, original.end(), file.begin() + 4608 + 8192));
}

TEST_F(RawFileTest, ManyConcurrentRequestsAllComplete) {
    constexpr size_t kBlocks = 512;
    constexpr size_t kBlock = 4096;
    const std::string path = make_file("disk.img", kBlocks * kBlock);
    BlockOpenOptions options;
    options.threads = 8;
    auto disk = open(path, options);
    ASSERT_TRUE(disk);

    std::vector<std::vector<char>> blocks(kBlocks);
    for (size_t i = 0; i < kBlocks; i++)
        blocks[i] = pattern(kBlock, static_cast<unsigned>(i + 100));

    // Four submitting threads, each writing every fourth block.
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> submitters;
    for (size_t t = 0; t < 4; t++) {
        submitters.emplace_back([&, t] {
            for (size_t i = t; i < kBlocks; i += 4) {
                disk->submit(rw(BlockOp::Write, i * kBlock, {{blocks[i].data(), kBlock}}),
                             [&](Status st) { (st.ok() ? ok : failed)++; });
            }
        });
    }
    for (std::thread& t : submitters)
        t.join();
    disk->drain();
    EXPECT_EQ(ok.load(), static_cast<int>(kBlocks));
    EXPECT_EQ(failed.load(), 0);

    std::vector<std::vector<char>> back(kBlocks, std::vector<char>(kBlock));
    for (size_t i = 0; i < kBlocks; i++) {
        disk->submit(rw(BlockOp::Read, i * kBlock, {{back[i].data(), kBlock}}),
                     [&](Status st) { (st.ok() ? ok : failed)++; });
    }
    disk->drain();
    EXPECT_EQ(ok.load(), static_cast<int>(2 * kBlocks));
    for (size_t i = 0; i < kBlocks; i++)
        EXPECT_EQ(back[i], blocks[i]) << "block " << i;
}

TEST_F(RawFileTest, ReadsPastEndOfFileYieldZeros) {
    // 1000 bytes: the disk is 1024 (whole sectors), and the last 24 bytes read as zeros.
    const std::string path = make_file("short.img", 1000);
    auto disk = open(path);
    ASSERT_TRUE(disk);
    EXPECT_EQ(disk->info().size_bytes, 1024u);

    std::vector<char> back(1024, 'x');
    ASSERT_TRUE(run(*disk, rw(BlockOp::Read, 0, {{back.data(), back.size()}})).ok());
    const std::vector<char> original = pattern(1000, 1);
    EXPECT_TRUE(std::equal(original.begin(), original.end(), back.begin()));
    EXPECT_TRUE(std::all_of(back.begin() + 1000, back.end(), [](char c) { return c == 0; }));

    // A file that shrinks under the disk reads as zeros beyond its new end.
    ASSERT_EQ(::truncate(path.c_str(), 100), 0);
    std::fill(back.begin(), back.end(), 'x');
    ASSERT_TRUE(run(*disk, rw(BlockOp::Read, 512, {{back.data(), 512}})).ok());
    EXPECT_TRUE(std::all_of(back.begin(), back.begin() + 512, [](char c) { return c == 0; }));
}

TEST_F(RawFileTest, OutOfRangeRequestsAreRefusedNamingTheDisk) {
    const std::string path = make_file("disk.img", 64 * 1024);
    auto disk = open(path);
    ASSERT_TRUE(disk);
    std::vector<char> buf(1024);

    std::vector<BlockRequest> bad;
    bad.push_back(rw(BlockOp::Read, 64 * 1024, {{buf.data(), 512}}));
    bad.push_back(rw(BlockOp::Write, 64 * 1024 - 512, {{buf.data(), 1024}}));
    bad.push_back(ranged(BlockOp::Discard, 64 * 1024 + 4096, 0));
    bad.push_back(ranged(BlockOp::WriteZeroes, 512, 64 * 1024));
    // offset + length wraps around to a small number.
    bad.push_back(ranged(BlockOp::Discard, UINT64_MAX - 100, 4096));
    bad.push_back(rw(BlockOp::Write, UINT64_MAX - 100, {{buf.data(), 512}}));
    for (BlockRequest& req : bad) {
        const BlockOp op = req.op;
        Status st = run(*disk, std::move(req));
        ASSERT_FALSE(st.ok()) << block_op_name(op);
        EXPECT_EQ(st.error().code(), ErrorCode::InvalidArg);
        EXPECT_EQ(st.error().domain(), ErrorDomain::Storage);
        EXPECT_NE(st.error().message().find(path), std::string::npos) << st.error().message();
    }
    // Nothing was written or grown.
    EXPECT_EQ(read_file(path), pattern(64 * 1024, 1));

    // The very last sector is still in range.
    EXPECT_TRUE(run(*disk, rw(BlockOp::Read, 64 * 1024 - 512, {{buf.data(), 512}})).ok());
}

// The access mode of the descriptor this process holds on `path`, from /proc/self/fdinfo.
int access_mode_of_open_fd(const std::string& path) {
    for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        if (fs::read_symlink(entry.path(), ec) != fs::path(path)) continue;
        std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().string());
        std::string key;
        while (info >> key) {
            if (key == "flags:") {
                std::string octal;
                info >> octal;
                return static_cast<int>(std::stol(octal, nullptr, 8)) & O_ACCMODE;
            }
        }
    }
    return -1;
}

TEST_F(RawFileTest, ReadOnlyDiskRefusesChangesAndIsOpenedReadOnly) {
    const std::string path = make_file("disk.img", 64 * 1024);
    BlockOpenOptions options;
    options.read_only = true;
    auto disk = open(path, options);
    ASSERT_TRUE(disk);
    EXPECT_TRUE(disk->info().read_only);
    EXPECT_EQ(access_mode_of_open_fd(path), O_RDONLY);

    std::vector<char> buf(512, 'z');
    std::vector<BlockRequest> changes;
    changes.push_back(rw(BlockOp::Write, 0, {{buf.data(), 512}}));
    changes.push_back(ranged(BlockOp::Discard, 0, 4096));
    changes.push_back(ranged(BlockOp::WriteZeroes, 0, 4096, true));
    for (BlockRequest& req : changes) {
        Status st = run(*disk, std::move(req));
        ASSERT_FALSE(st.ok());
        EXPECT_EQ(st.error().code(), ErrorCode::OperationInvalid);
        EXPECT_NE(st.error().message().find(path), std::string::npos) << st.error().message();
        EXPECT_NE(st.error().message().find("read-only"), std::string::npos);
    }
    EXPECT_EQ(read_file(path), pattern(64 * 1024, 1));

    // Reads and flushes are fine.
    EXPECT_TRUE(run(*disk, rw(BlockOp::Read, 0, {{buf.data(), 512}})).ok());
    EXPECT_TRUE(run(*disk, ranged(BlockOp::Flush, 0, 0)).ok());
    EXPECT_TRUE(std::equal(buf.begin(), buf.end(), pattern(512, 1).begin()));
}

TEST_F(RawFileTest, FlushAfterWritesSucceeds) {
    const std::string path = make_file("disk.img", 64 * 1024);
    auto disk = open(path);
    ASSERT_TRUE(disk);
    std::vector<char> data = pattern(4096, 9);
    ASSERT_TRUE(run(*disk, rw(BlockOp::Write, 8192, {{data.data(), data.size()}})).ok());
    EXPECT_TRUE(run(*disk, ranged(BlockOp::Flush, 0, 0)).ok());
    const std::vector<char> file = read_file(path);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), file.begin() + 8192));
}

uint64_t allocated_blocks(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return static_cast<uint64_t>(st.st_blocks);
}

TEST_F(RawFileTest, DiscardPunchesHoles) {
    constexpr size_t kSize = 4 << 20;
    const std::string path = make_file("disk.img", kSize);
    auto disk = open(path);
    ASSERT_TRUE(disk);
    ASSERT_TRUE(run(*disk, ranged(BlockOp::Flush, 0, 0)).ok());
    const uint64_t before = allocated_blocks(path);
    ASSERT_GE(before, kSize / 512);

    ASSERT_TRUE(run(*disk, ranged(BlockOp::Discard, 1 << 20, 2 << 20)).ok());
    const uint64_t after = allocated_blocks(path);
    // st_blocks counts 512-byte units: two MiB freed, give or take filesystem metadata.
    EXPECT_LE(after, before - (2 << 20) / 512 + 64) << "before " << before << " after " << after;
    EXPECT_EQ(fs::file_size(path), kSize); // KEEP_SIZE

    // Data outside the hole is untouched.
    const std::vector<char> file = read_file(path);
    const std::vector<char> original = pattern(kSize, 1);
    EXPECT_TRUE(std::equal(original.begin(), original.begin() + (1 << 20), file.begin()));
    EXPECT_TRUE(std::equal(original.begin() + (3 << 20), original.end(), file.begin() + (3 << 20)));
}

TEST_F(RawFileTest, WriteZeroesZeroesTheRangeOnly) {
    constexpr size_t kSize = 1 << 20;
    const std::string path = make_file("disk.img", kSize);
    auto disk = open(path);
    ASSERT_TRUE(disk);

    ASSERT_TRUE(run(*disk, ranged(BlockOp::WriteZeroes, 4096, 8192)).ok());
    ASSERT_TRUE(run(*disk, ranged(BlockOp::WriteZeroes, 65536, 65536, /*may_unmap=*/true)).ok());
    // Unaligned to the filesystem's blocks: partial blocks must be zeroed too.
    ASSERT_TRUE(run(*disk, ranged(BlockOp::WriteZeroes, 200000, 777)).ok());

    std::vector<char> expected = pattern(kSize, 1);
    std::fill_n(expected.begin() + 4096, 8192, 0);
    std::fill_n(expected.begin() + 65536, 65536, 0);
    std::fill_n(expected.begin() + 200000, 777, 0);
    std::vector<char> back(kSize);
    ASSERT_TRUE(run(*disk, rw(BlockOp::Read, 0, {{back.data(), back.size()}})).ok());
    EXPECT_EQ(back, expected);
    EXPECT_EQ(read_file(path), expected);
}

TEST_F(RawFileTest, DirectIoRoundTripsAlignedBouncedAndUnalignedRequests) {
    constexpr size_t kSize = 1 << 20;
    const std::string path = make_file("direct.img", kSize);
    BlockOpenOptions options;
    options.direct = true;
    auto opened = open_block_backend(path, "raw", options);
    if (!opened.ok()) {
        GTEST_SKIP() << "O_DIRECT refused on " << fs::temp_directory_path() << ": "
                     << opened.error().message();
    }
    BlockBackend& disk = **opened;

    // Aligned buffer, offset and length: the direct path.
    auto aligned = aligned_buffer(16384);
    const std::vector<char> a = pattern(16384, 5);
    std::memcpy(aligned.get(), a.data(), a.size());
    ASSERT_TRUE(
        run(disk, rw(BlockOp::Write, 65536, {{aligned.get(), 8192}, {aligned.get() + 8192, 8192}}))
            .ok());
    std::memset(aligned.get(), 0, 16384);
    ASSERT_TRUE(run(disk, rw(BlockOp::Read, 65536, {{aligned.get(), 16384}})).ok());
    EXPECT_EQ(std::memcmp(aligned.get(), a.data(), a.size()), 0);

    // Aligned offset, misaligned memory: the bounce buffer.
    std::vector<char> b = pattern(8192 + 1, 6);
    ASSERT_TRUE(run(disk, rw(BlockOp::Write, 131072, {{b.data() + 1, 8192}})).ok());
    std::vector<char> b_back(8192 + 3);
    ASSERT_TRUE(run(disk, rw(BlockOp::Read, 131072,
                             {{b_back.data() + 3, 100}, {b_back.data() + 103, 8092}}))
                    .ok());
    EXPECT_TRUE(std::equal(b.begin() + 1, b.end(), b_back.begin() + 3));

    // Misaligned offset and length: the buffered descriptor.
    std::vector<char> c = pattern(1000, 7);
    ASSERT_TRUE(run(disk, rw(BlockOp::Write, 200001, {{c.data(), c.size()}})).ok());
    std::vector<char> c_back(1000);
    ASSERT_TRUE(run(disk, rw(BlockOp::Read, 200001, {{c_back.data(), c_back.size()}})).ok());
    EXPECT_EQ(c_back, c);

    // A direct read running into the end of a file that is not a whole number of sectors.
    const std::string short_path = make_file("short-direct.img", 1000);
    auto short_disk = open_block_backend(short_path, "raw", options);
    ASSERT_TRUE(short_disk.ok());
    auto tail = aligned_buffer(4096);
    std::memset(tail.get(), 'x', 4096);
    ASSERT_TRUE(run(**short_disk, rw(BlockOp::Read, 0, {{tail.get(), 1024}})).ok());
    EXPECT_EQ(std::memcmp(tail.get(), pattern(1000, 1).data(), 1000), 0);
    EXPECT_TRUE(std::all_of(tail.get() + 1000, tail.get() + 1024, [](char ch) { return ch == 0; }));

    ASSERT_TRUE(run(disk, ranged(BlockOp::Flush, 0, 0)).ok());
    const std::vector<char> file = read_file(path);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), file.begin() + 65536));
    EXPECT_TRUE(std::equal(b.begin() + 1, b.end(), file.begin() + 131072));
    EXPECT_TRUE(std::equal(c.begin(), c.end(), file.begin() + 200001));
}

TEST_F(RawFileTest, DrainWaitsForEveryCompletion) {
    const std::string path = make_file("disk.img", 1 << 20);
    BlockOpenOptions options;
    options.threads = 2;
    auto disk = open(path, options);
    ASSERT_TRUE(disk);

    constexpr int kRequests = 40;
    std::vector<char> buf(kRequests * 512);
    std::atomic<int> finished{0};
    for (int i = 0; i < kRequests; i++) {
        disk->submit(
            rw(BlockOp::Read, static_cast<uint64_t>(i) * 512, {{buf.data() + i * 512, 512}}),
            [&](Status st) {
                EXPECT_TRUE(st.ok());
                // Slow completions: drain must wait for them to return, not just start.
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                finished++;
            });
    }
    disk->drain();
    EXPECT_EQ(finished.load(), kRequests);
    disk->drain(); // idle: returns at once
}

TEST_F(RawFileTest, DestroyingTheBackendDrainsIt) {
    const std::string path = make_file("disk.img", 1 << 20);
    auto disk = open(path);
    ASSERT_TRUE(disk);
    std::vector<char> buf(20 * 512);
    std::atomic<int> finished{0};
    for (int i = 0; i < 20; i++) {
        disk->submit(rw(BlockOp::Read, 0, {{buf.data() + i * 512, 512}}), [&](Status) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            finished++;
        });
    }
    disk.reset();
    EXPECT_EQ(finished.load(), 20);
}

// Attaches `backing` to a free loop device that detaches itself when the last descriptor on it
// closes, so a crashed test leaves nothing behind. Returns the device path, or "" (with `why`).
std::string attach_loop_device(const std::string& backing, UniqueFd& holder, std::string& why) {
    UniqueFd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
    UniqueFd file(::open(backing.c_str(), O_RDWR | O_CLOEXEC));
    if (!control || !file) {
        why = std::string("no /dev/loop-control: ") + std::strerror(errno);
        return "";
    }
    // Another process may take the free device between the two calls; try again then.
    for (int attempt = 0; attempt < 5; attempt++) {
        const int n = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
        if (n < 0) break;
        const std::string dev = "/dev/loop" + std::to_string(n);
        UniqueFd loop(::open(dev.c_str(), O_RDWR | O_CLOEXEC));
        if (!loop) continue;
        loop_config config{};
        config.fd = static_cast<uint32_t>(file.get());
        config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        if (::ioctl(loop.get(), LOOP_CONFIGURE, &config) == 0) {
            holder = std::move(loop);
            return dev;
        }
    }
    why = std::string("cannot attach a loop device: ") + std::strerror(errno);
    return "";
}

TEST_F(RawFileTest, BlockDeviceReadsWritesDiscardsAndZeroes) {
    constexpr size_t kSize = 8 << 20;
    const std::string backing = make_file("backing.img", kSize);
    UniqueFd holder;
    std::string why;
    const std::string dev = attach_loop_device(backing, holder, why);
    if (dev.empty()) GTEST_SKIP() << why;

    auto disk = open(dev);
    ASSERT_TRUE(disk);
    EXPECT_EQ(disk->info().size_bytes, kSize);
    EXPECT_NE(disk->info().description.find("block device"), std::string::npos);

    std::vector<char> data = pattern(8192, 3);
    ASSERT_TRUE(
        run(*disk, rw(BlockOp::Write, 1 << 20, {{data.data(), 4096}, {data.data() + 4096, 4096}}))
            .ok());
    ASSERT_TRUE(run(*disk, ranged(BlockOp::WriteZeroes, 2 << 20, 65536)).ok());
    ASSERT_TRUE(run(*disk, ranged(BlockOp::Discard, 4 << 20, 1 << 20)).ok());
    ASSERT_TRUE(run(*disk, ranged(BlockOp::Flush, 0, 0)).ok());

    std::vector<char> back(8192);
    ASSERT_TRUE(run(*disk, rw(BlockOp::Read, 1 << 20, {{back.data(), back.size()}})).ok());
    EXPECT_EQ(back, data);
    std::vector<char> zeros(65536, 'x');
    ASSERT_TRUE(run(*disk, rw(BlockOp::Read, 2 << 20, {{zeros.data(), zeros.size()}})).ok());
    EXPECT_TRUE(std::all_of(zeros.begin(), zeros.end(), [](char c) { return c == 0; }));

    std::vector<char> buf(512);
    Status st = run(*disk, rw(BlockOp::Read, kSize, {{buf.data(), buf.size()}}));
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message().find(dev), std::string::npos);
}

TEST_F(RawFileTest, UnknownFormatIsRefusedNamingFormatAndPath) {
    const std::string path = make_file("disk.img", 4096);
    auto disk = open_block_backend(path, "qcow3", {});
    ASSERT_FALSE(disk.ok());
    EXPECT_NE(disk.error().message().find("qcow3"), std::string::npos) << disk.error().message();
    EXPECT_NE(disk.error().message().find(path), std::string::npos) << disk.error().message();
}

TEST_F(RawFileTest, OpenErrorsNameThePathAndTheCause) {
    const std::string missing = (dir_ / "missing.img").string();
    auto disk = open_block_backend(missing, "raw", {});
    ASSERT_FALSE(disk.ok());
    EXPECT_EQ(disk.error().code(), ErrorCode::SystemError);
    EXPECT_NE(disk.error().message().find(missing), std::string::npos);
    EXPECT_NE(disk.error().message().find(std::strerror(ENOENT)), std::string::npos)
        << disk.error().message();

    auto dir = open_block_backend(dir_.string(), "raw", {.read_only = true});
    ASSERT_FALSE(dir.ok());
    EXPECT_NE(dir.error().message().find("neither a regular file nor a block device"),
              std::string::npos)
        << dir.error().message();
}

TEST(BlockRequest, ValidateChecksRangeAndWritability) {
    BlockInfo info;
    info.size_bytes = 4096;
    info.description = "test disk";
    EXPECT_TRUE(validate_request(info, ranged(BlockOp::Discard, 0, 4096)).ok());
    EXPECT_TRUE(validate_request(info, ranged(BlockOp::Discard, 4096, 0)).ok());
    EXPECT_FALSE(validate_request(info, ranged(BlockOp::Discard, 4097, 0)).ok());
    EXPECT_FALSE(validate_request(info, ranged(BlockOp::Discard, 1, 4096)).ok());
    EXPECT_TRUE(validate_request(info, ranged(BlockOp::Flush, UINT64_MAX, UINT64_MAX)).ok());
    info.read_only = true;
    EXPECT_FALSE(validate_request(info, ranged(BlockOp::WriteZeroes, 0, 512)).ok());
    EXPECT_TRUE(validate_request(info, ranged(BlockOp::Read, 0, 0)).ok());
}

} // namespace
} // namespace virtd::storage
