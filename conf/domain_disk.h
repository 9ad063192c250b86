// DiskDef: a domain's <disk> device: a virtio block device backed by a file, a host block device,
// a network export (NFS, iSCSI) or a storage pool volume, with an optional backing chain.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "common/enum_table.h"
#include "common/uuid.h"
#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

enum class DiskType { File, Block, Network, Volume, Last = Volume };
inline constexpr auto kDiskTypes = make_enum_table<DiskType>("file", "block", "network", "volume");

enum class DiskDevice { Disk, Cdrom, Last = Cdrom };
inline constexpr auto kDiskDevices = make_enum_table<DiskDevice>("disk", "cdrom");

enum class DiskDriverName { Qemu, Last = Qemu };
inline constexpr auto kDiskDriverNames = make_enum_table<DiskDriverName>("qemu");

enum class DiskFormat { Raw, Qcow2, Last = Qcow2 };
inline constexpr auto kDiskFormats = make_enum_table<DiskFormat>("raw", "qcow2");

enum class DiskCache { Default, None, Writethrough, Writeback, Directsync, Unsafe, Last = Unsafe };
inline constexpr auto kDiskCaches = make_enum_table<DiskCache>("default", "none", "writethrough",
                                                               "writeback", "directsync", "unsafe");

enum class DiskIo { Native, Threads, IoUring, Last = IoUring };
inline constexpr auto kDiskIos = make_enum_table<DiskIo>("native", "threads", "io_uring");

enum class DiskDiscard { Unmap, Ignore, Last = Ignore };
inline constexpr auto kDiskDiscards = make_enum_table<DiskDiscard>("unmap", "ignore");

enum class DiskProtocol { Nfs, Iscsi, Last = Iscsi };
inline constexpr auto kDiskProtocols = make_enum_table<DiskProtocol>("nfs", "iscsi");

enum class DiskBus { Virtio, Last = Virtio };
inline constexpr auto kDiskBuses = make_enum_table<DiskBus>("virtio");

enum class DiskSecretType { Iscsi, Last = Iscsi };
inline constexpr auto kDiskSecretTypes = make_enum_table<DiskSecretType>("iscsi");

// Backing-chain layers a disk may list (the image itself not counted).
inline constexpr size_t kMaxBackingChain = 16;

// <driver>: every attribute optional, kept as given.
struct DiskDriver {
    std::optional<DiskDriverName> name;
    std::optional<DiskFormat> format; // the 'type' attribute
    std::optional<DiskCache> cache;
    std::optional<DiskIo> io;
    std::optional<DiskDiscard> discard;

    bool operator==(const DiskDriver&) const = default;
};

// <host name='...' port='...'/> of a network source.
struct DiskHost {
    std::string name;
    std::optional<uint32_t> port; // 1..65535

    bool operator==(const DiskHost&) const = default;
};

// <auth username='...'><secret type='iscsi' usage='...'|uuid='...'/></auth> (iSCSI CHAP).
struct DiskAuth {
    std::string username;
    DiskSecretType secret_type = DiskSecretType::Iscsi;
    std::optional<std::string> secret_usage; // exactly one of usage and uuid
    std::optional<Uuid> secret_uuid;

    bool operator==(const DiskAuth&) const = default;
};

// <identity user='...' group='...'/>: who an NFS source is accessed as.
struct DiskNfsIdentity {
    std::optional<std::string> user;
    std::optional<std::string> group;

    bool operator==(const DiskNfsIdentity&) const = default;
};

// <source>: which fields apply depends on the disk's (or backing layer's) type.
struct DiskSource {
    std::string path; // file: file='...'; block: dev='...'

    // network
    DiskProtocol protocol = DiskProtocol::Nfs;
    std::string name; // nfs: absolute path on the export; iscsi: IQN, optionally "/LUN"
    DiskHost host;
    std::optional<DiskAuth> auth;            // iscsi only
    std::optional<DiskNfsIdentity> identity; // nfs only

    // volume
    std::string pool;
    std::string volume;

    bool operator==(const DiskSource&) const = default;
};

// One layer of <backingStore>: the image below the one that names it.
struct BackingStoreDef {
    DiskType type = DiskType::File; // file or block
    DiskFormat format = DiskFormat::Raw;
    DiskSource source;

    bool operator==(const BackingStoreDef&) const = default;
};

struct DiskDef {
    DiskType type = DiskType::File;
    std::optional<DiskDevice> device; // absent means disk
    std::optional<DiskDriver> driver;
    std::optional<DiskSource> source; // absent only for an empty cdrom (file or block)
    // Backing layers, top first. backing_closed: an empty <backingStore/> follows the last layer
    // (or stands alone), saying the chain is complete.
    std::vector<BackingStoreDef> backing_chain;
    bool backing_closed = false;
    std::string target_dev; // <target dev='vda'>: unique within a domain
    std::optional<DiskBus> bus;
    bool readonly = false;
    bool shareable = false;
    std::optional<std::string> serial;
    std::optional<uint32_t> boot_order;
    std::optional<DeviceAddress> address;

    bool operator==(const DiskDef&) const = default;

    bool is_cdrom() const { return device == DiskDevice::Cdrom; }
    // A cdrom is read-only whether or not <readonly/> says so.
    bool is_readonly() const { return readonly || is_cdrom(); }

    // Reads one device element; problems are reported through the element.
    static DiskDef read(const XmlElement& e);
    // Appends the device element to <devices>.
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
