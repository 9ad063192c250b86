// StoragePoolDef: a storage pool definition (libvirt's <pool> document): where volumes live
// (a directory, a filesystem on a device, an LVM volume group, an NFS export, an iSCSI target).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/enum_table.h"
#include "common/error.h"
#include "common/uuid.h"
#include "conf/storage_common.h"

namespace virtd::conf {

enum class PoolType { Dir, Fs, Logical, Netfs, Iscsi, Last = Iscsi };
inline constexpr auto kPoolTypes =
    make_enum_table<PoolType>("dir", "fs", "logical", "netfs", "iscsi");

// <source><format type>: filesystems for fs, protocols for netfs, lvm2 for logical.
enum class PoolFormat {
    Auto,
    Ext2,
    Ext3,
    Ext4,
    Ufs,
    Iso9660,
    Udf,
    Gfs,
    Gfs2,
    Vfat,
    HfsPlus,
    Xfs,
    Ocfs2,
    Nfs,
    Glusterfs,
    Cifs,
    Lvm2,
    Last = Lvm2
};
inline constexpr auto kPoolFormats = make_enum_table<PoolFormat>(
    "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+", "xfs",
    "ocfs2", "nfs", "glusterfs", "cifs", "lvm2");

struct PoolHost {
    std::string name;
    std::optional<uint32_t> port;

    bool operator==(const PoolHost&) const = default;
};

// iSCSI CHAP credentials: the password lives in a secret, named by usage or uuid.
struct PoolAuth {
    std::string username;
    std::optional<std::string> secret_usage;
    std::optional<Uuid> secret_uuid;

    bool operator==(const PoolAuth&) const = default;
};

struct PoolSource {
    std::vector<std::string> devices; // fs: the block device; logical: PVs; iscsi: target IQN
    std::optional<std::string> dir;   // netfs: the exported path
    std::optional<PoolHost> host;     // netfs, iscsi
    std::optional<std::string> initiator_iqn; // iscsi
    std::optional<PoolAuth> auth;             // iscsi
    std::optional<PoolFormat> format;
    std::optional<std::string> name; // logical: the volume group

    bool operator==(const PoolSource&) const = default;
};

struct StoragePoolDef {
    PoolType type = PoolType::Dir;
    std::string name;
    Uuid uuid;                        // null if the document gave none
    std::optional<uint64_t> capacity; // bytes; reported by a running pool
    std::optional<uint64_t> allocation;
    std::optional<uint64_t> available;
    std::optional<PoolSource> source;
    std::optional<std::string> target_path;
    std::optional<Permissions> target_permissions;

    bool operator==(const StoragePoolDef&) const = default;

    // Parses and validates a <pool> document; the error lists every problem with its line.
    static Result<StoragePoolDef> parse(std::string_view xml);
    // The document as libvirt writes it; parse(format()) gives back an equal object.
    std::string format() const;
};

} // namespace virtd::conf
