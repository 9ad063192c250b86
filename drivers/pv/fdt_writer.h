// FdtWriter: a thin C++ face over libfdt's sequential-write API, for building a device tree
// top to bottom.
//
// libfdt reports errors per call; FdtWriter keeps the first one and turns every later call
// into a no-op, so a builder can write a whole tree and check once at finish(). Thread safety:
// none; one builder per writer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace virtd::pv {

class FdtWriter {
public:
    // Reserves max_size bytes: the tree may not grow past it.
    explicit FdtWriter(size_t max_size);

    void begin_node(const std::string& name);
    void end_node();

    void prop_empty(const char* name);
    void prop_u32(const char* name, uint32_t value);
    void prop_u64(const char* name, uint64_t value);
    void prop_cells(const char* name, std::span<const uint32_t> cells);
    void prop_cells(const char* name, std::initializer_list<uint32_t> cells) {
        prop_cells(name, std::span<const uint32_t>(cells.begin(), cells.size()));
    }
    // A "reg" of one (address, size) pair with #address-cells = #size-cells = 2.
    void prop_reg64(uint64_t address, uint64_t size);
    void prop_string(const char* name, std::string_view value);
    // A string list ("compatible" with several entries): NUL-separated, NUL-terminated.
    void prop_strings(const char* name, std::initializer_list<std::string_view> values);
    void prop_bytes(const char* name, std::span<const uint8_t> bytes);

    // Closes the tree and returns the blob, trimmed to its size; or the first error, naming
    // libfdt's reason (a tree that did not fit in max_size says so).
    Result<std::vector<uint8_t>> finish();

private:
    void check(int rc, const char* what);
    void* fdt() { return buf_.data(); }

    std::vector<uint8_t> buf_;
    int err_ = 0;
    std::string err_what_;
};

} // namespace virtd::pv
