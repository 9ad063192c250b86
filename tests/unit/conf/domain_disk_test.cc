#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/domain_disk.h"
#include "conf/schema.h"
#include "conf/xml_writer.h"
#include "tests/unit/conf/device_helpers.h"

namespace virtd::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct ReadResult {
    DiskDef disk;
    std::vector<std::string> errors;
};

ReadResult read_disk(std::string_view xml) {
    testing::DeviceRead<DiskDef> r = testing::read_device<DiskDef>(xml, "disk");
    return {r.device, r.errors};
}

std::string format_disk(const DiskDef& d) {
    return testing::format_device(d);
}

void expect_round_trip(const DiskDef& d) {
    testing::expect_device_round_trip(d, "disk");
}

TEST(Disk, ReadsFileDiskWithEverything) {
    ReadResult r = read_disk(R"(<disk type='file' device='disk'>
  <driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap'/>
  <source file='/var/lib/virtd/images/web1.qcow2'/>
  <backingStore type='file'>
    <format type='qcow2'/>
    <source file='/var/lib/virtd/images/base.qcow2'/>
    <backingStore type='block'>
      <format type='raw'/>
      <source dev='/dev/vg0/golden'/>
      <backingStore/>
    </backingStore>
  </backingStore>
  <target dev='vda' bus='virtio'/>
  <shareable/>
  <serial>WEB1-ROOT_0.1+x</serial>
  <boot order='1'/>
  <address type='virtio-mmio'/>
</disk>)");
    ASSERT_THAT(r.errors, IsEmpty());
    const DiskDef& d = r.disk;
    EXPECT_EQ(d.type, DiskType::File);
    EXPECT_EQ(d.device, DiskDevice::Disk);
    ASSERT_TRUE(d.driver);
    EXPECT_EQ(d.driver->name, DiskDriverName::Qemu);
    EXPECT_EQ(d.driver->format, DiskFormat::Qcow2);
    EXPECT_EQ(d.driver->cache, DiskCache::None);
    EXPECT_EQ(d.driver->io, DiskIo::Native);
    EXPECT_EQ(d.driver->discard, DiskDiscard::Unmap);
    ASSERT_TRUE(d.source);
    EXPECT_EQ(d.source->path, "/var/lib/virtd/images/web1.qcow2");
    ASSERT_EQ(d.backing_chain.size(), 2u);
    EXPECT_EQ(d.backing_chain[0].format, DiskFormat::Qcow2);
    EXPECT_EQ(d.backing_chain[0].source.path, "/var/lib/virtd/images/base.qcow2");
    EXPECT_EQ(d.backing_chain[1].type, DiskType::Block);
    EXPECT_EQ(d.backing_chain[1].source.path, "/dev/vg0/golden");
    EXPECT_TRUE(d.backing_closed);
    EXPECT_EQ(d.target_dev, "vda");
    EXPECT_EQ(d.bus, DiskBus::Virtio);
    EXPECT_FALSE(d.readonly);
    EXPECT_FALSE(d.is_readonly());
    EXPECT_TRUE(d.shareable);
    EXPECT_EQ(d.serial, "WEB1-ROOT_0.1+x");
    EXPECT_EQ(d.boot_order, 1u);
    ASSERT_TRUE(d.address);
    EXPECT_EQ(d.address->type, AddressType::VirtioMmio);
    expect_round_trip(d);
}

TEST(Disk, FormatsAsLibvirtDoes) {
    ReadResult r =
        read_disk("<disk type='block'><readonly/><target dev='vdb'/>"
                  "<source dev='/dev/sdb'/><driver type='raw' cache='writeback'/></disk>");
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_FALSE(r.disk.device); // absent stays absent
    EXPECT_FALSE(r.disk.bus);
    EXPECT_EQ(format_disk(r.disk), "<disk type='block'>\n"
                                   "  <driver type='raw' cache='writeback' />\n"
                                   "  <source dev='/dev/sdb' />\n"
                                   "  <target dev='vdb' />\n"
                                   "  <readonly />\n"
                                   "</disk>\n");
    expect_round_trip(r.disk);
}

TEST(Disk, ReadsNetworkSources) {
    ReadResult nfs = read_disk(R"(<disk type='network' device='disk'>
  <source protocol='nfs' name='/exports/web1.img'>
    <host name='nfs.example.com' port='2049'/>
    <identity user='qemu' group='kvm'/>
  </source>
  <target dev='vda'/>
</disk>)");
    ASSERT_THAT(nfs.errors, IsEmpty());
    ASSERT_TRUE(nfs.disk.source);
    EXPECT_EQ(nfs.disk.source->protocol, DiskProtocol::Nfs);
    EXPECT_EQ(nfs.disk.source->name, "/exports/web1.img");
    EXPECT_EQ(nfs.disk.source->host.name, "nfs.example.com");
    EXPECT_EQ(nfs.disk.source->host.port, 2049u);
    ASSERT_TRUE(nfs.disk.source->identity);
    EXPECT_EQ(nfs.disk.source->identity->user, "qemu");
    expect_round_trip(nfs.disk);

    ReadResult iscsi = read_disk(R"(<disk type='network'>
  <source protocol='iscsi' name='iqn.2013-07.com.example:storage/1'>
    <host name='192.0.2.10'/>
    <auth username='web1'>
      <secret type='iscsi' uuid='C7A5FDBD-CDAF-9455-926A-D65C16DB1809'/>
    </auth>
  </source>
  <target dev='vdc'/>
</disk>)");
    ASSERT_THAT(iscsi.errors, IsEmpty());
    ASSERT_TRUE(iscsi.disk.source);
    EXPECT_EQ(iscsi.disk.source->protocol, DiskProtocol::Iscsi);
    EXPECT_FALSE(iscsi.disk.source->host.port);
    ASSERT_TRUE(iscsi.disk.source->auth);
    EXPECT_EQ(iscsi.disk.source->auth->username, "web1");
    ASSERT_TRUE(iscsi.disk.source->auth->secret_uuid);
    EXPECT_EQ(iscsi.disk.source->auth->secret_uuid->format(),
              "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    expect_round_trip(iscsi.disk);
}

TEST(Disk, ReadsVolumeSourceAndEmptyCdrom) {
    ReadResult vol = read_disk("<disk type='volume' device='disk'>"
                               "<source pool='default' volume='web1.qcow2'/>"
                               "<target dev='vdaa' bus='virtio'/></disk>");
    ASSERT_THAT(vol.errors, IsEmpty());
    EXPECT_EQ(vol.disk.source->pool, "default");
    EXPECT_EQ(vol.disk.source->volume, "web1.qcow2");
    expect_round_trip(vol.disk);

    ReadResult cdrom = read_disk("<disk type='file' device='cdrom'><target dev='vdb'/></disk>");
    ASSERT_THAT(cdrom.errors, IsEmpty());
    EXPECT_FALSE(cdrom.disk.source);
    EXPECT_TRUE(cdrom.disk.is_cdrom());
    EXPECT_TRUE(cdrom.disk.is_readonly());
    expect_round_trip(cdrom.disk);
}

TEST(Disk, SourceMustMatchType) {
    ReadResult r = read_disk("<disk type='file'>\n<source dev='/dev/sda'/>\n<target dev='vda'/>"
                             "</disk>");
    EXPECT_THAT(
        r.errors,
        ElementsAre("line 2: source: attribute 'dev' does not match a source of type 'file'",
                    "line 2: source: missing attribute 'file'"));
    ReadResult vol = read_disk("<disk type='volume'>\n<source pool='p' volume='v' file='/x'/>\n"
                               "<target dev='vda'/></disk>");
    EXPECT_THAT(vol.errors, ElementsAre("line 2: source: attribute 'file' does not match a source "
                                        "of type 'volume'"));
    ReadResult none = read_disk("<disk type='file' device='disk'>\n<target dev='vda'/></disk>");
    EXPECT_THAT(none.errors, ElementsAre("line 1: disk: missing element 'source'"));
    ReadResult rel = read_disk("<disk type='file'>\n<source file='images/a.img'/>\n"
                               "<target dev='vda'/></disk>");
    EXPECT_THAT(rel.errors, ElementsAre("line 2: source: attribute 'file': 'images/a.img' is not "
                                        "an absolute path"));
}

TEST(Disk, TargetRules) {
    ReadResult missing = read_disk("<disk type='file'>\n<source file='/a.img'/>\n</disk>");
    EXPECT_THAT(missing.errors, ElementsAre("line 1: disk: missing element 'target'"));
    ReadResult bus = read_disk("<disk type='file'><source file='/a.img'/>\n"
                               "<target dev='vda' bus='scsi'/></disk>");
    EXPECT_THAT(bus.errors, ElementsAre("line 2: target: attribute 'bus': unknown value 'scsi' "
                                        "(expected one of: virtio)"));
    ReadResult dev = read_disk("<disk type='file'><source file='/a.img'/>\n"
                               "<target dev='sda'/></disk>");
    EXPECT_THAT(dev.errors, ElementsAre("line 2: target: attribute 'dev': 'sda' is not a virtio "
                                        "disk name (expected 'vd' followed by 1 to 3 letters, as "
                                        "in vda)"));
    ReadResult nodev = read_disk("<disk type='file'><source file='/a.img'/>\n<target/></disk>");
    EXPECT_THAT(nodev.errors, ElementsAre("line 2: target: missing attribute 'dev'"));
}

TEST(Disk, DriverRules) {
    ReadResult fmt = read_disk("<disk type='file'>\n<driver name='qemu' type='vmdk'/>\n"
                               "<source file='/a.img'/><target dev='vda'/></disk>");
    EXPECT_THAT(fmt.errors, ElementsAre("line 2: driver: attribute 'type': unknown value 'vmdk' "
                                        "(expected one of: raw, qcow2)"));
    ReadResult name = read_disk("<disk type='file'>\n<driver name='tap' io='default'/>\n"
                                "<source file='/a.img'/><target dev='vda'/></disk>");
    EXPECT_THAT(name.errors,
                ElementsAre("line 2: driver: attribute 'name': unknown value 'tap' (expected one "
                            "of: qemu)",
                            "line 2: driver: attribute 'io': unknown value 'default' (expected "
                            "one of: native, threads, io_uring)"));
}

TEST(Disk, NetworkSourceRules) {
    ReadResult rbd = read_disk("<disk type='network'>\n<source protocol='rbd' name='pool/img'>"
                               "<host name='ceph'/></source><target dev='vda'/></disk>");
    EXPECT_THAT(rbd.errors, ElementsAre("line 2: source: attribute 'protocol': unknown value "
                                        "'rbd' (expected one of: nfs, iscsi)"));
    ReadResult nohost = read_disk("<disk type='network'>\n<source protocol='nfs' name='/e/a'/>"
                                  "<target dev='vda'/></disk>");
    EXPECT_THAT(nohost.errors, ElementsAre("line 2: source: missing element 'host'"));
    ReadResult port = read_disk("<disk type='network'><source protocol='iscsi' name='iqn.x:t/x'>\n"
                                "<host name='san' port='0'/></source><target dev='vda'/></disk>");
    EXPECT_THAT(port.errors,
                ElementsAre("line 1: source: attribute 'name': 'iqn.x:t/x' is not an iSCSI target "
                            "(expected an IQN, optionally followed by /LUN)",
                            "line 2: host: attribute 'port': 0 is out of range 1..65535"));
    ReadResult auth = read_disk("<disk type='network'><source protocol='nfs' name='/e/a'>"
                                "<host name='nfs'/>\n<auth username='u'><secret type='iscsi' "
                                "usage='x' uuid='c7a5fdbd-cdaf-9455-926a-d65c16db1809'/></auth>"
                                "</source><target dev='vda'/></disk>");
    EXPECT_THAT(auth.errors,
                ElementsAre("line 2: auth: only iSCSI sources take authentication",
                            "line 2: secret: needs exactly one of the attributes 'usage' and "
                            "'uuid'"));
}

TEST(Disk, BackingChainRules) {
    std::string deep = "<disk type='file'><source file='/a.img'/><target dev='vda'/>";
    for (size_t i = 0; i <= kMaxBackingChain; i++)
        deep += "\n<backingStore type='file'><format type='qcow2'/><source file='/b.img'/>";
    for (size_t i = 0; i <= kMaxBackingChain; i++)
        deep += "</backingStore>";
    deep += "</disk>";
    ReadResult r = read_disk(deep);
    EXPECT_THAT(r.errors, ElementsAre("line 18: backingStore: backing chain is longer than 16 "
                                      "layers"));

    ReadResult fmt = read_disk("<disk type='file'><source file='/a.img'/><target dev='vda'/>\n"
                               "<backingStore type='network'><source file='/b.img'/>"
                               "</backingStore></disk>");
    EXPECT_THAT(fmt.errors,
                ElementsAre("line 2: backingStore: attribute 'type': a backing store is a file or "
                            "a block device, not 'network'",
                            "line 2: backingStore: missing element 'format'"));
}

TEST(Disk, SerialRules) {
    ReadResult r = read_disk("<disk type='file'><source file='/a.img'/><target dev='vda'/>\n"
                             "<serial>has space</serial></disk>");
    EXPECT_THAT(r.errors, ElementsAre("line 2: serial: 'has space' is not a disk serial (1 to 20 "
                                      "letters, digits and _ . + -)"));
    ReadResult longer = read_disk("<disk type='file'><source file='/a.img'/><target dev='vda'/>"
                                  "<serial>123456789012345678901</serial></disk>");
    EXPECT_EQ(longer.errors.size(), 1u);
}

TEST(Disk, SchemaRejectsWhatConfRejects) {
    // Each one breaks a rule conf enforces; the schema must say no as well.
    for (const char* bad : {
             "<disk type='file'><source dev='/dev/sda'/><target dev='vda'/></disk>",
             "<disk type='file' device='disk'><target dev='vda'/></disk>",
             "<disk type='file'><source file='/a'/><target dev='sda'/></disk>",
             "<disk type='file'><source file='/a'/><target dev='vda' bus='scsi'/></disk>",
             "<disk type='file'><driver type='vmdk'/><source file='/a'/><target dev='vda'/></disk>",
             "<disk type='network'><source protocol='rbd' name='p/i'><host name='h'/></source>"
             "<target dev='vda'/></disk>",
             "<disk type='network'><source protocol='nfs' name='/e'/><target dev='vda'/></disk>",
             "<disk type='file'><source file='/a'/><target dev='vda'/><serial>a b</serial></disk>",
             "<disk type='file'><source file='/a'/><target dev='vda'/><backingStore type='file'>"
             "<source file='/b'/></backingStore></disk>",
         }) {
        EXPECT_FALSE(read_disk(bad).errors.empty()) << bad;
        EXPECT_THAT(validate_with_schema("domain.rng", testing::domain_with(bad)),
                    ::testing::Not(IsEmpty()))
            << bad;
    }
}

} // namespace
} // namespace virtd::conf
