// The state file container: a written file parses back to its sections; every corruption
// (flipped byte, truncation, bad magic, newer version, extra bytes) is refused with the message
// naming the file and, where there is one, the section.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/crc32c.h"
#include "common/state_codec.h"
#include "drivers/kvm/vmm/state_file.h"

namespace virtd::vmm {
namespace {

namespace fs = std::filesystem;

class StateFileTest : public ::testing::Test {
protected:
    StateFileTest() {
        char tmpl[] = "/tmp/virtd-statefile-XXXXXX";
        dir = mkdtemp(tmpl);
        path = dir + "/vm.state";
    }
    ~StateFileTest() override { fs::remove_all(dir); }

    // A file with sections "machine", "hart 0", "hart 1" and a streamed "ram".
    std::vector<uint8_t> write_sample() {
        Result<StateFileWriter> w = StateFileWriter::create(path, 0x1234abcd);
        EXPECT_TRUE(w) << w.error().message();
        EXPECT_TRUE(w->add("machine", bytes("shape")));
        EXPECT_TRUE(w->add("hart 0", bytes("registers of hart 0")));
        EXPECT_TRUE(w->add("hart 1", bytes("registers of hart 1")));
        EXPECT_TRUE(w->begin("ram", 10));
        EXPECT_TRUE(w->append(bytes("01234")));
        EXPECT_TRUE(w->append(bytes("56789")));
        EXPECT_TRUE(w->end());
        Result<uint64_t> n = w->commit();
        EXPECT_TRUE(n);
        std::vector<uint8_t> file = read();
        EXPECT_EQ(*n, file.size());
        return file;
    }
    static std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }
    std::vector<uint8_t> read() const {
        std::ifstream f(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), {}};
    }
    // Where a section's payload starts in the file.
    static size_t offset_of(const std::vector<uint8_t>& file, const StateFile& parsed,
                            const std::string& name) {
        return static_cast<size_t>(parsed.find(name)->payload.data() - file.data());
    }
    std::string error_of(const std::vector<uint8_t>& file) const {
        Result<StateFile> r = parse_state_file(file, path);
        return r ? "" : r.error().message();
    }

    std::string dir, path;
};

TEST_F(StateFileTest, RoundTrip) {
    std::vector<uint8_t> file = write_sample();
    Result<StateFile> parsed = parse_state_file(file, path);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->version, kStateVersion);
    EXPECT_EQ(parsed->fingerprint, 0x1234abcdu);
    ASSERT_EQ(parsed->sections.size(), 4u);
    EXPECT_EQ(parsed->sections[1].name, "hart 0");
    auto text = [](std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); };
    EXPECT_EQ(text(parsed->find("hart 1")->payload), "registers of hart 1");
    EXPECT_EQ(text(parsed->find("ram")->payload), "0123456789");
    EXPECT_EQ(parsed->find("plic"), nullptr);
}

TEST_F(StateFileTest, WrittenAtomicallyWithMode0600) {
    write_sample();
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(StateFileTest, AbandonedWriterLeavesNothing) {
    {
        Result<StateFileWriter> w = StateFileWriter::create(path, 1);
        ASSERT_TRUE(w);
        ASSERT_TRUE(w->add("machine", bytes("x")));
    }
    EXPECT_FALSE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(StateFileTest, UnwritablePathIsNamed) {
    Result<StateFileWriter> w = StateFileWriter::create(dir + "/missing/vm.state", 1);
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().message().find(dir + "/missing/vm.state"), std::string::npos)
        << w.error().message();
}

TEST_F(StateFileTest, SectionLengthIsEnforcedWhileWriting) {
    Result<StateFileWriter> w = StateFileWriter::create(path, 1);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->begin("ram", 4));
    EXPECT_FALSE(w->append(bytes("12345")));
    EXPECT_FALSE(w->end());
}

TEST_F(StateFileTest, FlippedByteInASectionNamesIt) {
    std::vector<uint8_t> file = write_sample();
    Result<StateFile> parsed = parse_state_file(file, path);
    ASSERT_TRUE(parsed);
    for (const char* name : {"machine", "hart 1", "ram"}) {
        std::vector<uint8_t> bad = file;
        bad[offset_of(file, *parsed, name) + 2] ^= 0x01;
        EXPECT_EQ(error_of(bad), fmt::format("{}: section '{}': checksum mismatch", path, name));
    }
}

TEST_F(StateFileTest, EveryFlippedByteIsRefused) {
    std::vector<uint8_t> file = write_sample();
    for (size_t i = 0; i < file.size(); ++i) {
        std::vector<uint8_t> bad = file;
        bad[i] ^= 0x80;
        EXPECT_NE(error_of(bad), "") << "byte " << i;
    }
}

TEST_F(StateFileTest, TruncatedFileSaysWhere) {
    std::vector<uint8_t> file = write_sample();
    for (size_t len : {size_t{0}, size_t{10}, size_t{30}, file.size() / 2, file.size() - 1}) {
        std::vector<uint8_t> cut(file.begin(), file.begin() + static_cast<ptrdiff_t>(len));
        EXPECT_EQ(error_of(cut), fmt::format("{}: truncated at byte {}", path, len));
    }
}

TEST_F(StateFileTest, BadMagic) {
    std::vector<uint8_t> file = write_sample();
    file[0] = 'X';
    EXPECT_EQ(error_of(file), path + ": not a virtd-vmm state file (bad magic)");
}

TEST_F(StateFileTest, NewerVersionIsRefused) {
    std::vector<uint8_t> file = write_sample();
    file[8] = 3;
    // The header checksum would fail too; the version is what the reader must be told first.
    EXPECT_EQ(error_of(file), path + ": format version 3 not supported (this virtd-vmm reads 1)");
}

TEST_F(StateFileTest, BytesAfterTheTrailerAreRefused) {
    std::vector<uint8_t> file = write_sample();
    file.push_back(0);
    EXPECT_EQ(error_of(file), path + ": 1 bytes after the trailer");
}

// Builds a file by hand: header, then sections given as (name, payload), then a trailer.
std::vector<uint8_t> handmade(const std::vector<std::pair<std::string, std::string>>& sections,
                              bool trailer = true, uint64_t forced_len = 0) {
    StateWriter w;
    for (char c : kStateMagic)
        w.u8(static_cast<uint8_t>(c));
    w.u32(kStateVersion);
    w.u32(0);
    w.u32(0);
    w.u32(crc32c(w.bytes().data(), w.bytes().size()));
    auto add = [&](const std::string& name, const std::string& payload, uint64_t len) {
        size_t start = w.bytes().size();
        w.u16(static_cast<uint16_t>(name.size()));
        for (char c : name)
            w.u8(static_cast<uint8_t>(c));
        w.u64(len);
        for (char c : payload)
            w.u8(static_cast<uint8_t>(c));
        w.u32(crc32c(w.bytes().data() + start, w.bytes().size() - start));
    };
    for (const auto& [name, payload] : sections)
        add(name, payload, forced_len != 0 ? forced_len : payload.size());
    if (trailer) {
        StateWriter t;
        t.u32(static_cast<uint32_t>(sections.size()));
        t.u64(w.bytes().size());
        add(kTrailerName, std::string(t.bytes().begin(), t.bytes().end()), t.bytes().size());
    }
    return w.take();
}

TEST_F(StateFileTest, DuplicateSectionIsRefused) {
    EXPECT_EQ(error_of(handmade({{"uart", "a"}, {"uart", "b"}})),
              path + ": section 'uart': appears twice");
}

TEST_F(StateFileTest, OversizedSectionIsRefusedBeforeReading) {
    EXPECT_EQ(error_of(handmade({{"uart", "a"}}, false, kMaxSmallSection + 1)),
              fmt::format("{}: section 'uart': length {} is above the limit of {}", path,
                          kMaxSmallSection + 1, kMaxSmallSection));
}

TEST_F(StateFileTest, MissingTrailerIsTruncation) {
    std::vector<uint8_t> file = handmade({{"uart", "a"}}, false);
    EXPECT_EQ(error_of(file), fmt::format("{}: truncated at byte {}", path, file.size()));
}

TEST_F(StateFileTest, BadSectionNames) {
    EXPECT_EQ(error_of(handmade({{"", "a"}})),
              path + ": byte 24: a section name of 0 bytes (1 to 64 allowed)");
    EXPECT_EQ(error_of(handmade({{std::string("a\nb"), "a"}})),
              path + ": byte 24: a section name that is not printable");
}

TEST_F(StateFileTest, TooManySections) {
    std::vector<std::pair<std::string, std::string>> many;
    for (size_t i = 0; i <= kMaxSections; ++i)
        many.push_back({fmt::format("s{}", i), ""});
    EXPECT_EQ(error_of(handmade(many)),
              fmt::format("{}: more than {} sections", path, kMaxSections));
}

} // namespace
} // namespace virtd::vmm
