// The container of a virtd-vmm state file (STATE.md beside this file): a header with magic,
// format version and the machine's fingerprint, then named sections each with its length and
// CRC-32C, then a trailer. StateFileWriter writes one atomically; parse_state_file() checks one
// that is already in memory (mapped) and hands out its sections' payloads.
//
// parse_state_file() decodes untrusted bytes: lengths, counts and names are bounded, every
// checksum is verified, and each error names the file and, where there is one, the section.
//
// Thread safety: plain objects, one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/fd.h"

namespace virtd::vmm {

inline constexpr char kStateMagic[8] = {'V', 'I', 'R', 'T', 'D', 'V', 'M', 'S'};
inline constexpr uint32_t kStateVersion = 1;
inline constexpr size_t kStateHeaderBytes = 24;
// Bounds the decoder enforces.
inline constexpr size_t kMaxSectionName = 64;
inline constexpr size_t kMaxSections = 256;
inline constexpr uint64_t kMaxSmallSection = 16ull << 20; // every section but "ram"
inline constexpr uint64_t kMaxRamSection = (64ull << 30) + (64ull << 20);
inline constexpr const char* kTrailerName = "end";

struct StateSection {
    std::string name;
    std::span<const uint8_t> payload;
};

// A checked state file: its sections in file order (trailer excluded), pointing into the bytes
// given to parse_state_file(), which must outlive it.
struct StateFile {
    uint32_t version = 0;
    uint32_t fingerprint = 0;
    std::vector<StateSection> sections;
    // The section called `name`, or nullptr.
    const StateSection* find(std::string_view name) const;
};

// Checks the header, every section's bounds and checksum, and the trailer. `file` names the
// file in errors ("FILE: section 'hart 1': checksum mismatch").
Result<StateFile> parse_state_file(std::span<const uint8_t> bytes, std::string_view file);

// The error every later decoding step reports about a section's payload.
Error state_section_error(std::string_view file, std::string_view section, std::string_view why);

// A state file mapped read-only, for as long as a reader looks at it.
class MappedStateFile {
public:
    MappedStateFile() = default;
    MappedStateFile(const MappedStateFile&) = delete;
    MappedStateFile& operator=(const MappedStateFile&) = delete;
    ~MappedStateFile();
    Status open(const std::string& path);
    std::span<const uint8_t> bytes() const {
        return std::span(static_cast<const uint8_t*>(data_), data_ != nullptr ? size_ : 0);
    }

private:
    void* data_ = nullptr;
    size_t size_ = 0;
};

// The "note" section a saver left in the state file at `path` (empty when there is none), after
// checking the whole file as parse_state_file() does.
Result<std::string> read_state_note(const std::string& path);

// Writes a state file: create() opens PATH.tmp (mode 0600); sections are appended with large
// buffered writes; commit() adds the trailer, fsyncs, renames onto PATH and fsyncs the folder.
// A writer dropped before commit() removes PATH.tmp.
class StateFileWriter {
public:
    static Result<StateFileWriter> create(const std::string& path, uint32_t fingerprint);
    StateFileWriter(StateFileWriter&&) = default;
    StateFileWriter& operator=(StateFileWriter&&) = delete;
    StateFileWriter(const StateFileWriter&) = delete;
    StateFileWriter& operator=(const StateFileWriter&) = delete;
    ~StateFileWriter();

    Status add(std::string_view name, std::span<const uint8_t> payload);
    // A section written in pieces: begin() with its total length, append() exactly that many
    // bytes, end(). For guest RAM, which is never copied whole.
    Status begin(std::string_view name, uint64_t length);
    Status append(std::span<const uint8_t> bytes);
    Status end();
    // Returns the file's size.
    Result<uint64_t> commit();

private:
    explicit StateFileWriter(std::string path);
    Status put(std::span<const uint8_t> bytes); // buffered, no checksum
    Status flush();
    Error io_error(int err, std::string_view what) const;

    std::string path_;
    std::string tmp_;
    UniqueFd fd_;
    std::vector<uint8_t> buf_;
    uint64_t written_ = 0; // bytes handed to put()
    uint32_t sections_ = 0;
    bool committed_ = false;
    // The open section.
    bool open_ = false;
    uint64_t left_ = 0;
    uint32_t crc_ = 0;
};

} // namespace virtd::vmm
