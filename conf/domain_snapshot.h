// DomainSnapshotDef: a <domainsnapshot> document, as clients send it to create a snapshot and
// as the daemon writes it back (with the state, the parent, the creation time and the domain's
// definition at that moment).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/enum_table.h"
#include "common/error.h"

namespace virtd::conf {

// <memory snapshot='...'>: whether guest memory is part of the snapshot.
enum class SnapshotMemory { No, Internal, External, Last = External };
inline constexpr auto kSnapshotMemories =
    make_enum_table<SnapshotMemory>("no", "internal", "external");

// The domain's state when the snapshot was taken (libvirt's names).
enum class SnapshotState { Running, Paused, Shutoff, DiskSnapshot, Last = DiskSnapshot };
inline constexpr auto kSnapshotStates =
    make_enum_table<SnapshotState>("running", "paused", "shutoff", "disk-snapshot");

// <disks><disk name='vda' snapshot='no|internal|external'/></disks>
struct SnapshotDisk {
    std::string name;
    std::optional<SnapshotMemory> snapshot; // the same three choices as memory

    bool operator==(const SnapshotDisk&) const = default;
};

struct DomainSnapshotDef {
    std::optional<std::string> name; // the daemon names it after the creation time if absent
    std::optional<std::string> description;
    std::optional<SnapshotState> state;
    std::optional<std::string> parent;
    std::optional<int64_t> creation_time; // seconds since the epoch
    std::optional<SnapshotMemory> memory;
    std::vector<SnapshotDisk> disks;
    std::optional<std::string> domain_xml; // the domain's definition, written out only

    bool operator==(const DomainSnapshotDef&) const = default;

    // Parses and validates a <domainsnapshot> a client sent; <domain> is not accepted in it.
    static Result<DomainSnapshotDef> parse(std::string_view xml);
    std::string format() const;
};

} // namespace virtd::conf
