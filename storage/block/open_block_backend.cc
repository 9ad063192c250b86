// The one place that maps a disk format name to a backend.
#include "storage/block/block_backend.h"
#include "storage/block/raw_file.h"

namespace virtd::storage {

Result<std::unique_ptr<BlockBackend>> open_block_backend(const std::string& path,
                                                         const std::string& format,
                                                         const BlockOpenOptions& options) {
    if (format == "raw") {
        auto backend = RawFileBackend::open(path, options);
        if (!backend) return backend.error();
        return std::unique_ptr<BlockBackend>(std::move(*backend));
    }
    return make_error(ErrorCode::ConfigUnsupported, ErrorDomain::Storage,
                      "unsupported disk format '{}' for '{}' (supported: raw)", format, path);
}

} // namespace virtd::storage
