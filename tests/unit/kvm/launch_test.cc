#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "conf/domain.h"
#include "drivers/kvm/launch.h"
#include "drivers/kvm/vmm/vmm_options.h"
#include "tests/unit/drivers/temp_dir.h"

namespace virtd::kvm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Each test gets real files (kernel, initrd, disk) in a private folder, since planning checks
// them on disk, and a host with room for the guest.
class LaunchTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* name : {"Image", "initrd.gz", "root.img", "data.img"})
            std::ofstream(dir_.path() + "/" + name) << "x";
        mkdir((dir_.path() + "/adir").c_str(), 0755);
        paths_.run_dir = dir_.path() + "/run/web1";
        paths_.switch_socket_dir = "/run/virtd/switch";
        host_.memory_kib = 8ull << 20; // 8 GiB
        host_.cpus = 2;
        host_.networks = {{"default", true}, {"lab", true}, {"stopped", false}};
    }

    std::string path(const std::string& name) const { return dir_.path() + "/" + name; }

    // A definition with `devices` and `os_extra` spliced in; kernel paths point into the folder.
    std::string xml(const std::string& devices, const std::string& os_extra = "",
                    const std::string& memory = "<memory unit='MiB'>512</memory>",
                    const std::string& vcpu = "<vcpu>2</vcpu>") const {
        return fmt::format(R"(<domain type='kvm'>
  <name>web1</name>
  {}
  {}
  <os>
    <type arch='riscv64' machine='virt'>hvm</type>
    {}
  </os>
  <devices>{}</devices>
</domain>)",
                           memory, vcpu, os_extra, devices);
    }

    std::string kernel() const { return fmt::format("<kernel>{}</kernel>", path("Image")); }

    std::string full_xml() const {
        return xml(fmt::format(R"(
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{}'/>
      <target dev='vda' bus='virtio'/>
      <readonly/>
      <serial>ROOT-0001</serial>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:6b:3c:01'/>
      <source network='default'/>
      <vlan><tag id='42'/></vlan>
      <model type='virtio'/>
    </interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'/>
    <channel type='unix'>
      <source mode='bind'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <memballoon model='virtio' autodeflate='on'/>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>)",
                               path("root.img")),
                   kernel() + fmt::format("<initrd>{}</initrd><cmdline>console=ttyS0 root=/dev/vda"
                                          "</cmdline>",
                                          path("initrd.gz")));
    }

    Result<VmmLaunch> plan(const std::string& text) {
        Result<conf::DomainDef> def = conf::DomainDef::parse(text);
        if (!def) ADD_FAILURE() << "the test's XML does not parse: " << def.error().message();
        if (!def) return def.error();
        return plan_launch(*def, paths_, host_);
    }

    // The message of a plan that must fail.
    std::string failure(const std::string& text, ErrorCode code) {
        Result<VmmLaunch> l = plan(text);
        if (l.ok()) {
            ADD_FAILURE() << "planned although it should not";
            return {};
        }
        EXPECT_EQ(l.error().code(), code) << l.error().message();
        return l.error().message();
    }

    TempDir dir_;
    LaunchPaths paths_;
    HostFacts host_;
};

TEST_F(LaunchTest, FullDefinitionGivesTheExactArgv) {
    Result<VmmLaunch> l = plan(full_xml());
    ASSERT_TRUE(l.ok()) << l.error().message();
    const std::string run = paths_.run_dir;
    EXPECT_THAT(
        l->argv,
        ElementsAre("--kernel", path("Image"), "--initrd", path("initrd.gz"), "--append",
                    "console=ttyS0 root=/dev/vda", "--memory", "524288K", "--smp", "2", "--disk",
                    path("root.img") + ",format=raw,readonly,serial=ROOT-0001", "--net",
                    "switch=/run/virtd/switch/default.sock,mac=52:54:00:6b:3c:01,vlan=42",
                    "--console", "unix:" + run + "/console.sock", "--channel",
                    "org.qemu.guest_agent.0=unix:" + run + "/channel-org.qemu.guest_agent.0.sock",
                    "--rng", "--balloon=deflate-on-oom", "--monitor", run + "/monitor.sock",
                    "--pid-file", run + "/vmm.pid"));
    EXPECT_EQ(l->monitor_socket, run + "/monitor.sock");
    EXPECT_EQ(l->console_socket, run + "/console.sock");
    EXPECT_EQ(l->hvc_socket, "");
    EXPECT_EQ(l->pid_file, run + "/vmm.pid");
    EXPECT_EQ(l->log_file, run + "/vmm.log");
    EXPECT_EQ(l->channel_sockets.at("org.qemu.guest_agent.0"),
              run + "/channel-org.qemu.guest_agent.0.sock");
}

// The two sides of the command line agree: what planning writes, virtd-vmm reads back as meant.
TEST_F(LaunchTest, VmmOptionsParserAcceptsThePlannedArgv) {
    Result<VmmLaunch> l = plan(full_xml());
    ASSERT_TRUE(l.ok()) << l.error().message();
    Result<vmm::VmmOptions> o = vmm::parse_vmm_options(l->argv);
    ASSERT_TRUE(o.ok()) << o.error().message();
    EXPECT_EQ(o->kernel, path("Image"));
    EXPECT_EQ(o->initrd, path("initrd.gz"));
    EXPECT_EQ(o->append, "console=ttyS0 root=/dev/vda");
    EXPECT_EQ(o->memory, 512ull << 20);
    EXPECT_EQ(o->smp, 2u);
    ASSERT_EQ(o->disks.size(), 1u);
    EXPECT_EQ(o->disks[0].path, path("root.img"));
    EXPECT_TRUE(o->disks[0].read_only);
    EXPECT_EQ(o->disks[0].serial, "ROOT-0001");
    ASSERT_EQ(o->nets.size(), 1u);
    EXPECT_EQ(o->nets[0].kind, vmm::NetSpec::Kind::Switch);
    EXPECT_EQ(o->nets[0].target, "/run/virtd/switch/default.sock");
    EXPECT_EQ(o->nets[0].mac.format(), "52:54:00:6b:3c:01");
    EXPECT_EQ(o->nets[0].vlan, 42);
    EXPECT_EQ(o->console.kind, vmm::ConsoleSpec::Kind::Unix);
    EXPECT_EQ(o->console.path, l->console_socket);
    ASSERT_EQ(o->channels.size(), 1u);
    EXPECT_EQ(o->channels[0].name, "org.qemu.guest_agent.0");
    EXPECT_EQ(o->channels[0].path, l->channel_sockets.at("org.qemu.guest_agent.0"));
    EXPECT_TRUE(o->rng);
    EXPECT_TRUE(o->balloon);
    EXPECT_TRUE(o->balloon_deflate_on_oom);
    EXPECT_EQ(o->monitor, l->monitor_socket);
}

TEST_F(LaunchTest, TapTrunkVirtioConsoleAndWritableDiskAlsoParse) {
    Result<VmmLaunch> l = plan(xml(fmt::format(R"(
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file='{}'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='ethernet'>
      <mac address='52:54:00:00:00:02'/>
      <target dev='tap7'/>
    </interface>
    <interface type='network'>
      <mac address='52:54:00:00:00:03'/>
      <source network='lab'/>
      <vlan trunk='yes'><tag id='10'/><tag id='20'/></vlan>
    </interface>
    <console type='pty'><target type='virtio' port='0'/></console>
    <memballoon model='virtio'/>)",
                                               path("data.img")),
                                   kernel()));
    ASSERT_TRUE(l.ok()) << l.error().message();
    const std::string run = paths_.run_dir;
    EXPECT_THAT(l->argv, ElementsAre("--kernel", path("Image"), "--memory", "524288K", "--smp", "2",
                                     "--disk", path("data.img") + ",format=raw,direct", "--net",
                                     "tap=tap7,mac=52:54:00:00:00:02", "--net",
                                     "switch=/run/virtd/switch/lab.sock,mac=52:54:00:00:00:03,"
                                     "trunk=10,20",
                                     "--hvc", "unix:" + run + "/hvc.sock", "--balloon", "--monitor",
                                     run + "/monitor.sock", "--pid-file", run + "/vmm.pid"));
    EXPECT_EQ(l->console_socket, "");
    Result<vmm::VmmOptions> o = vmm::parse_vmm_options(l->argv);
    ASSERT_TRUE(o.ok()) << o.error().message();
    ASSERT_EQ(o->nets.size(), 2u);
    EXPECT_THAT(o->nets[1].trunk, ElementsAre(10, 20));
    EXPECT_TRUE(o->disks[0].direct);
    EXPECT_FALSE(o->disks[0].read_only);
    EXPECT_EQ(o->hvc, run + "/hvc.sock");
}

TEST_F(LaunchTest, MissingKernelIsRefused) {
    std::string m = failure(xml(""), ErrorCode::NoKernel);
    EXPECT_THAT(m, HasSubstr("domain 'web1': no <kernel> in <os>"));
}

TEST_F(LaunchTest, KernelThatIsNotThereIsRefused) {
    std::string m =
        failure(xml("", fmt::format("<kernel>{}</kernel>", path("nope"))), ErrorCode::SystemError);
    EXPECT_THAT(m, HasSubstr(fmt::format("domain 'web1': kernel '{}'", path("nope"))));
    EXPECT_THAT(m, HasSubstr("No such file or directory"));
}

TEST_F(LaunchTest, UnreadableDiskIsRefused) {
    // Tests run as root, so a mode-000 file would still open: use a missing path and a directory.
    auto disk = [&](const std::string& file) {
        return xml(fmt::format("<disk type='file' device='disk'><source file='{}'/>"
                               "<target dev='vda' bus='virtio'/></disk>",
                               file),
                   kernel());
    };
    std::string m = failure(disk(path("missing.img")), ErrorCode::SystemError);
    EXPECT_THAT(m, HasSubstr(fmt::format("domain 'web1': disk 'vda' '{}'", path("missing.img"))));
    EXPECT_THAT(m, HasSubstr("No such file or directory"));

    m = failure(disk(path("adir")), ErrorCode::OperationInvalid);
    EXPECT_EQ(m, fmt::format("domain 'web1': disk 'vda' '{}' is not a regular file", path("adir")));
}

TEST_F(LaunchTest, Qcow2DiskIsNotSupportedYet) {
    std::string m = failure(xml(fmt::format("<disk type='file' device='disk'>"
                                            "<driver name='qemu' type='qcow2'/>"
                                            "<source file='{}'/><target dev='vda' bus='virtio'/>"
                                            "</disk>",
                                            path("root.img")),
                                kernel()),
                            ErrorCode::ConfigUnsupported);
    EXPECT_EQ(m, "domain 'web1': disk 'vda': format qcow2 is not supported by the kvm driver yet");
}

TEST_F(LaunchTest, DuplicateMacWithinTheDefinitionIsRefused) {
    // The XML parser already refuses this; planning checks again because a definition may also be
    // built or edited in code (device attach) without going through XML.
    Result<conf::DomainDef> def =
        conf::DomainDef::parse(xml("<interface type='network'><mac address='52:54:00:aa:bb:cc'/>"
                                   "<source network='default'/></interface>",
                                   kernel()));
    ASSERT_TRUE(def.ok()) << def.error().message();
    def->devices.interfaces.push_back(def->devices.interfaces[0]);
    Result<VmmLaunch> l = plan_launch(*def, paths_, host_);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().code(), ErrorCode::InvalidArg);
    EXPECT_EQ(l.error().message(),
              "domain 'web1': MAC 52:54:00:aa:bb:cc is used by two interfaces");
}

TEST_F(LaunchTest, MacUsedByAnotherGuestIsRefused) {
    host_.macs_in_use = {"52:54:00:AA:BB:CC"}; // case must not matter
    std::string m = failure(xml("<interface type='network'><mac address='52:54:00:aa:bb:cc'/>"
                                "<source network='default'/></interface>",
                                kernel()),
                            ErrorCode::OperationInvalid);
    EXPECT_EQ(m, "domain 'web1': MAC 52:54:00:aa:bb:cc is already used by another guest");
}

TEST_F(LaunchTest, MemoryLargerThanTheHostIsRefused) {
    host_.memory_kib = 256 << 10;
    std::string m = failure(xml("", kernel()), ErrorCode::InvalidArg);
    EXPECT_EQ(m, "domain 'web1': memory 524288 KiB is more than the host's 262144 KiB");
}

TEST_F(LaunchTest, TooManyVcpusIsRefused) {
    std::string m = failure(xml("", kernel(), "<memory unit='MiB'>512</memory>", "<vcpu>9</vcpu>"),
                            ErrorCode::InvalidArg);
    EXPECT_THAT(m, HasSubstr("domain 'web1': 9 vCPUs is outside 1..8"));
}

TEST_F(LaunchTest, NameAlreadyRunningIsRefused) {
    host_.names_running = {"other", "web1"};
    std::string m = failure(full_xml(), ErrorCode::OperationInvalid);
    EXPECT_EQ(m, "domain 'web1' is already running");
}

TEST_F(LaunchTest, OtherArchitectureIsRefused) {
    // conf refuses it in XML too; a definition built in code is checked here.
    Result<conf::DomainDef> def = conf::DomainDef::parse(xml("", kernel()));
    ASSERT_TRUE(def.ok()) << def.error().message();
    def->os.arch = "x86_64";
    Result<VmmLaunch> l = plan_launch(*def, paths_, host_);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().code(), ErrorCode::ConfigUnsupported);
    EXPECT_EQ(l.error().message(),
              "domain 'web1': architecture x86_64 is not supported (riscv64 is)");
}

TEST_F(LaunchTest, MissingInitrdIsRefused) {
    std::string m = failure(xml("", kernel() + fmt::format("<initrd>{}</initrd>", path("gone.gz"))),
                            ErrorCode::SystemError);
    EXPECT_THAT(m, HasSubstr(fmt::format("domain 'web1': initrd '{}'", path("gone.gz"))));
}

TEST_F(LaunchTest, CommaInADiskPathIsRefused) {
    // virtd-vmm would read the part after the comma as a setting.
    std::ofstream(path("a,b.img")) << "x";
    std::string m = failure(xml(fmt::format("<disk type='file' device='disk'><source file='{}'/>"
                                            "<target dev='vda' bus='virtio'/></disk>",
                                            path("a,b.img")),
                                kernel()),
                            ErrorCode::ConfigUnsupported);
    EXPECT_THAT(m, HasSubstr("contains a comma"));
}

// As in libvirt: the network must be defined (VIR_ERR_NO_NETWORK) and started.
TEST_F(LaunchTest, NetworkMustBeDefinedAndActive) {
    auto nic = [&](const std::string& net) {
        return xml(fmt::format("<interface type='network'><source network='{}'/>"
                               "<model type='virtio'/></interface>",
                               net),
                   kernel());
    };
    EXPECT_EQ(failure(nic("nolab"), ErrorCode::NoNetwork), "no network with matching name 'nolab'");
    EXPECT_EQ(failure(nic("stopped"), ErrorCode::OperationInvalid),
              "network 'stopped' is not active");
    EXPECT_TRUE(plan(nic("lab")).ok());
}

TEST_F(LaunchTest, BridgeInterfaceIsNotSupportedYet) {
    std::string m = failure(xml("<interface type='bridge'><mac address='52:54:00:00:00:09'/>"
                                "<source bridge='br0'/></interface>",
                                kernel()),
                            ErrorCode::ConfigUnsupported);
    EXPECT_THAT(m, HasSubstr("type bridge is not supported by the kvm driver yet"));
}

// A channel's own path is where its socket goes; a folder that is not there is caught before the
// VMM would fail to bind.
TEST_F(LaunchTest, ChannelSocketGoesWhereTheDefinitionSays) {
    auto channel = [&](const std::string& sock) {
        return fmt::format("<channel type='unix'><source mode='bind' path='{}'/>"
                           "<target type='virtio' name='org.virtd.data'/></channel>",
                           sock);
    };
    Result<VmmLaunch> l = plan(xml(channel(path("adir/data.sock")), kernel()));
    ASSERT_TRUE(l.ok()) << l.error().message();
    EXPECT_EQ(l->channel_sockets.at("org.virtd.data"), path("adir/data.sock"));
    EXPECT_THAT(l->argv, ::testing::Contains("org.virtd.data=unix:" + path("adir/data.sock")));

    std::string m =
        failure(xml(channel(path("nodir/data.sock")), kernel()), ErrorCode::OperationFailed);
    EXPECT_THAT(m, HasSubstr(fmt::format("channel 'org.virtd.data': the folder of its socket "
                                         "'{}' does not exist",
                                         path("nodir/data.sock"))));
    m = failure(xml(channel(path("adir/") + std::string(120, 's')), kernel()),
                ErrorCode::ConfigUnsupported);
    EXPECT_THAT(m, HasSubstr("is longer than 107 bytes"));
}

TEST(LaunchRecord, RoundTripsThroughJson) {
    VmmLaunch l;
    l.argv = {"--kernel", "/k", "--append", "console=ttyS0 a=\"b\""};
    l.monitor_socket = "/run/x/monitor.sock";
    l.console_socket = "/run/x/console.sock";
    l.pid_file = "/run/x/vmm.pid";
    l.log_file = "/run/x/vmm.log";
    l.channel_sockets = {{"org.qemu.guest_agent.0", "/run/x/channel-a.sock"}};
    Result<VmmLaunch> back = launch_from_json(launch_to_json(l));
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->argv, l.argv);
    EXPECT_EQ(back->monitor_socket, l.monitor_socket);
    EXPECT_EQ(back->console_socket, l.console_socket);
    EXPECT_EQ(back->hvc_socket, "");
    EXPECT_EQ(back->pid_file, l.pid_file);
    EXPECT_EQ(back->log_file, l.log_file);
    EXPECT_EQ(back->channel_sockets, l.channel_sockets);
}

TEST(LaunchRecord, BadRecordsAreRefusedWithTheReason) {
    EXPECT_THAT(launch_from_json("not json").error().message(), HasSubstr("not a JSON object"));
    EXPECT_THAT(launch_from_json("{\"argv\": 3}").error().message(), HasSubstr("launch record"));
    VmmLaunch l;
    l.monitor_socket = "relative.sock";
    l.pid_file = "/p";
    l.log_file = "/l";
    EXPECT_THAT(launch_from_json(launch_to_json(l)).error().message(),
                HasSubstr("path 'relative.sock' is not absolute"));
}

} // namespace
} // namespace virtd::kvm
