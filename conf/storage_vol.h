// StorageVolDef: a storage volume definition (libvirt's <volume> document).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/enum_table.h"
#include "common/error.h"
#include "conf/storage_common.h"

namespace virtd::conf {

enum class VolumeType { File, Block, Dir, Network, Last = Network };
inline constexpr auto kVolumeTypes = make_enum_table<VolumeType>("file", "block", "dir", "network");

// Image formats the project reads and writes.
enum class VolumeFormat { Raw, Qcow2, Last = Qcow2 };
inline constexpr auto kVolumeFormats = make_enum_table<VolumeFormat>("raw", "qcow2");

// <backingStore> of a volume: the image a qcow2 volume is layered on.
struct VolumeBacking {
    std::string path;
    std::optional<VolumeFormat> format;
    std::optional<Permissions> permissions;

    bool operator==(const VolumeBacking&) const = default;
};

struct StorageVolDef {
    std::optional<VolumeType> type;
    std::string name;
    std::optional<std::string> key;
    uint64_t capacity = 0; // bytes
    std::optional<uint64_t> allocation;
    std::optional<uint64_t> physical;
    std::optional<std::string> target_path;
    std::optional<VolumeFormat> target_format;
    std::optional<std::string> compat; // qcow2 compatibility level: "0.10" or "1.1"
    std::optional<Permissions> permissions;
    std::optional<VolumeBacking> backing;

    bool operator==(const StorageVolDef&) const = default;

    // Parses and validates a <volume> document; the error lists every problem with its line.
    static Result<StorageVolDef> parse(std::string_view xml);
    // The document as libvirt writes it; parse(format()) gives back an equal object.
    std::string format() const;
};

} // namespace virtd::conf
