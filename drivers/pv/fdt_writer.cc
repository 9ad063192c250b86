#include "drivers/pv/fdt_writer.h"

#include <libfdt.h>

namespace virtd::pv {

FdtWriter::FdtWriter(size_t max_size)
    : buf_(max_size) {
    check(fdt_create(fdt(), static_cast<int>(max_size)), "creating the tree");
    if (err_ == 0) check(fdt_finish_reservemap(fdt()), "writing the reserve map");
}

void FdtWriter::check(int rc, const char* what) {
    if (rc < 0 && err_ == 0) {
        err_ = rc;
        err_what_ = what;
    }
}

void FdtWriter::begin_node(const std::string& name) {
    if (err_ == 0) check(fdt_begin_node(fdt(), name.c_str()), name.c_str());
}

void FdtWriter::end_node() {
    if (err_ == 0) check(fdt_end_node(fdt()), "closing a node");
}

void FdtWriter::prop_empty(const char* name) {
    if (err_ == 0) check(fdt_property(fdt(), name, nullptr, 0), name);
}

void FdtWriter::prop_u32(const char* name, uint32_t value) {
    if (err_ == 0) check(fdt_property_u32(fdt(), name, value), name);
}

void FdtWriter::prop_u64(const char* name, uint64_t value) {
    if (err_ == 0) check(fdt_property_u64(fdt(), name, value), name);
}

void FdtWriter::prop_cells(const char* name, std::span<const uint32_t> cells) {
    if (err_ != 0) return;
    // Cells are big-endian on the wire.
    std::vector<fdt32_t> be;
    be.reserve(cells.size());
    for (uint32_t c : cells)
        be.push_back(cpu_to_fdt32(c));
    check(fdt_property(fdt(), name, be.data(), static_cast<int>(be.size() * sizeof(fdt32_t))),
          name);
}

void FdtWriter::prop_reg64(uint64_t address, uint64_t size) {
    prop_cells("reg", {static_cast<uint32_t>(address >> 32), static_cast<uint32_t>(address),
                       static_cast<uint32_t>(size >> 32), static_cast<uint32_t>(size)});
}

void FdtWriter::prop_string(const char* name, std::string_view value) {
    prop_strings(name, {value});
}

void FdtWriter::prop_strings(const char* name, std::initializer_list<std::string_view> values) {
    std::string joined;
    for (std::string_view v : values) {
        joined.append(v);
        joined.push_back('\0');
    }
    if (err_ == 0)
        check(fdt_property(fdt(), name, joined.data(), static_cast<int>(joined.size())), name);
}

void FdtWriter::prop_bytes(const char* name, std::span<const uint8_t> bytes) {
    if (err_ == 0)
        check(fdt_property(fdt(), name, bytes.data(), static_cast<int>(bytes.size())), name);
}

Result<std::vector<uint8_t>> FdtWriter::finish() {
    if (err_ == 0) check(fdt_finish(fdt()), "finishing the tree");
    if (err_ != 0) {
        return make_error(ErrorCode::InternalError, ErrorDomain::Device,
                          "building the device tree failed at '{}': {} (limit {} bytes)", err_what_,
                          fdt_strerror(err_), buf_.size());
    }
    buf_.resize(fdt_totalsize(fdt()));
    return std::move(buf_);
}

} // namespace virtd::pv
