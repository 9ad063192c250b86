#include "drivers/kvm/vmm/state_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "common/state_codec.h"

namespace virtd::vmm {
namespace {

// Big enough that writing guest RAM costs few system calls.
constexpr size_t kWriteBuffer = 4 << 20;

uint64_t load(const uint8_t* p, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i)
        v |= uint64_t{p[i]} << (8 * i);
    return v;
}

Error file_error(std::string_view file, std::string_view why) {
    return make_error(ErrorCode::OperationInvalid, ErrorDomain::None, "{}: {}", file, why);
}

std::string dir_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

const StateSection* StateFile::find(std::string_view name) const {
    for (const StateSection& s : sections)
        if (s.name == name) return &s;
    return nullptr;
}

Error state_section_error(std::string_view file, std::string_view section, std::string_view why) {
    return file_error(file, fmt::format("section '{}': {}", section, why));
}

Result<StateFile> parse_state_file(std::span<const uint8_t> bytes, std::string_view file) {
    if (bytes.size() < kStateHeaderBytes) {
        if (bytes.size() >= sizeof kStateMagic && std::memcmp(bytes.data(), kStateMagic, 8) != 0)
            return file_error(file, "not a virtd-vmm state file (bad magic)");
        return file_error(file, fmt::format("truncated at byte {}", bytes.size()));
    }
    if (std::memcmp(bytes.data(), kStateMagic, sizeof kStateMagic) != 0)
        return file_error(file, "not a virtd-vmm state file (bad magic)");
    StateFile out;
    out.version = static_cast<uint32_t>(load(bytes.data() + 8, 4));
    if (out.version != kStateVersion)
        return file_error(file,
                          fmt::format("format version {} not supported (this virtd-vmm reads {})",
                                      out.version, kStateVersion));
    out.fingerprint = static_cast<uint32_t>(load(bytes.data() + 12, 4));
    uint32_t header_crc = static_cast<uint32_t>(load(bytes.data() + 20, 4));
    if (crc32c(bytes.data(), 20) != header_crc) return file_error(file, "header checksum mismatch");

    size_t pos = kStateHeaderBytes;
    for (;;) {
        size_t start = pos;
        auto truncated = [&] {
            return file_error(file, fmt::format("truncated at byte {}", bytes.size()));
        };
        if (bytes.size() - pos < 2) return truncated();
        size_t name_len = load(bytes.data() + pos, 2);
        if (name_len == 0 || name_len > kMaxSectionName)
            return file_error(file,
                              fmt::format("byte {}: a section name of {} bytes (1 to {} allowed)",
                                          pos, name_len, kMaxSectionName));
        if (bytes.size() - pos - 2 < name_len + 8) return truncated();
        std::string name(reinterpret_cast<const char*>(bytes.data() + pos + 2), name_len);
        if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
            return file_error(file,
                              fmt::format("byte {}: a section name that is not printable", pos));
        pos += 2 + name_len;
        uint64_t len = load(bytes.data() + pos, 8);
        pos += 8;
        uint64_t limit = name == "ram" ? kMaxRamSection : kMaxSmallSection;
        if (len > limit)
            return state_section_error(
                file, name, fmt::format("length {} is above the limit of {}", len, limit));
        if (bytes.size() - pos < len || bytes.size() - pos - len < 4) return truncated();
        std::span<const uint8_t> payload = bytes.subspan(pos, len);
        pos += len;
        uint32_t crc = static_cast<uint32_t>(load(bytes.data() + pos, 4));
        pos += 4;
        if (crc32c(bytes.data() + start, pos - 4 - start) != crc)
            return state_section_error(file, name, "checksum mismatch");
        if (name == kTrailerName) {
            StateReader r(payload);
            uint32_t count = r.u32();
            uint64_t offset = r.u64();
            r.expect_end();
            if (!r.ok()) return state_section_error(file, name, r.error());
            if (count != out.sections.size() || offset != start)
                return state_section_error(file, name, "does not match the sections before it");
            if (pos != bytes.size())
                return file_error(file,
                                  fmt::format("{} bytes after the trailer", bytes.size() - pos));
            return out;
        }
        if (out.sections.size() >= kMaxSections)
            return file_error(file, fmt::format("more than {} sections", kMaxSections));
        if (out.find(name) != nullptr) return state_section_error(file, name, "appears twice");
        out.sections.push_back({std::move(name), payload});
    }
}

StateFileWriter::StateFileWriter(std::string path)
    : path_(std::move(path))
    , tmp_(path_ + ".tmp") {}

StateFileWriter::~StateFileWriter() {
    if (fd_ && !committed_) ::unlink(tmp_.c_str());
}

Error StateFileWriter::io_error(int err, std::string_view what) const {
    return make_error(ErrorCode::OperationFailed, ErrorDomain::None, "{}: {}: {}", path_, what,
                      std::strerror(err));
}

Result<StateFileWriter> StateFileWriter::create(const std::string& path, uint32_t fingerprint) {
    StateFileWriter w(path);
    w.fd_ = UniqueFd(::open(w.tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!w.fd_) return w.io_error(errno, fmt::format("creating {}", w.tmp_));
    w.buf_.reserve(kWriteBuffer);
    StateWriter h;
    for (char c : kStateMagic)
        h.u8(static_cast<uint8_t>(c));
    h.u32(kStateVersion);
    h.u32(fingerprint);
    h.u32(0); // reserved
    h.u32(crc32c(h.bytes().data(), h.bytes().size()));
    if (Status s = w.put(h.bytes()); !s) return s.error();
    return w;
}

Status StateFileWriter::put(std::span<const uint8_t> bytes) {
    written_ += bytes.size();
    while (!bytes.empty()) {
        size_t n = std::min(bytes.size(), kWriteBuffer - buf_.size());
        buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
        bytes = bytes.subspan(n);
        if (buf_.size() == kWriteBuffer)
            if (Status s = flush(); !s) return s;
    }
    return {};
}

Status StateFileWriter::flush() {
    size_t done = 0;
    while (done < buf_.size()) {
        ssize_t n = ::write(fd_.get(), buf_.data() + done, buf_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error(errno, "writing");
        done += static_cast<size_t>(n);
    }
    buf_.clear();
    return {};
}

Status StateFileWriter::begin(std::string_view name, uint64_t length) {
    if (open_ || name.empty() || name.size() > kMaxSectionName)
        return make_error(ErrorCode::InternalError, ErrorDomain::None, "{}: bad section '{}'",
                          path_, name);
    StateWriter h;
    h.u16(static_cast<uint16_t>(name.size()));
    for (char c : name)
        h.u8(static_cast<uint8_t>(c));
    h.u64(length);
    crc_ = crc32c(h.bytes().data(), h.bytes().size());
    open_ = true;
    left_ = length;
    return put(h.bytes());
}

Status StateFileWriter::append(std::span<const uint8_t> bytes) {
    if (!open_ || bytes.size() > left_)
        return make_error(ErrorCode::InternalError, ErrorDomain::None,
                          "{}: section data beyond its declared length", path_);
    left_ -= bytes.size();
    crc_ = crc32c(bytes.data(), bytes.size(), crc_);
    return put(bytes);
}

Status StateFileWriter::end() {
    if (!open_ || left_ != 0)
        return make_error(ErrorCode::InternalError, ErrorDomain::None,
                          "{}: section shorter than its declared length", path_);
    open_ = false;
    StateWriter t;
    t.u32(crc_);
    ++sections_;
    return put(t.bytes());
}

Status StateFileWriter::add(std::string_view name, std::span<const uint8_t> payload) {
    if (Status s = begin(name, payload.size()); !s) return s;
    if (Status s = append(payload); !s) return s;
    return end();
}

Result<uint64_t> StateFileWriter::commit() {
    StateWriter trailer;
    trailer.u32(sections_);
    trailer.u64(written_);
    if (Status s = add(kTrailerName, trailer.bytes()); !s) return s.error();
    if (Status s = flush(); !s) return s.error();
    if (::fsync(fd_.get()) < 0) return io_error(errno, "fsync");
    if (::rename(tmp_.c_str(), path_.c_str()) < 0) return io_error(errno, "renaming into place");
    committed_ = true;
    UniqueFd dir(::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir || ::fsync(dir.get()) < 0) return io_error(errno, "fsync of its folder");
    return written_;
}

MappedStateFile::~MappedStateFile() {
    if (data_ != nullptr) munmap(data_, size_);
}

Status MappedStateFile::open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || fstat(fd.get(), &st) < 0)
        return system_error(ErrorDomain::None, errno, fmt::format("opening {}", path));
    size_ = static_cast<size_t>(st.st_size);
    if (size_ == 0) return {};
    void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (p == MAP_FAILED)
        return system_error(ErrorDomain::None, errno, fmt::format("mapping {}", path));
    data_ = p;
    return {};
}

Result<std::string> read_state_note(const std::string& path) {
    MappedStateFile file;
    if (Status s = file.open(path); !s) return s.error();
    Result<StateFile> parsed = parse_state_file(file.bytes(), path);
    if (!parsed) return parsed.error();
    const StateSection* note = parsed->find("note");
    if (note == nullptr) return std::string();
    return std::string(reinterpret_cast<const char*>(note->payload.data()), note->payload.size());
}

} // namespace virtd::vmm
