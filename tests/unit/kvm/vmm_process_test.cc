// VmmProcess and VmmMonitorClient against the real virtd-vmm booting the shared guest (skipped
// without it). Every process started is killed by pid in TearDown.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/event_loop.h"
#include "common/fd.h"
#include "common/file.h"
#include "conf/domain.h"
#include "drivers/kvm/launch.h"
#include "drivers/kvm/vmm_process.h"
#include "tests/unit/drivers/temp_dir.h"

#ifndef VIRTD_VMM_PATH
#error "VIRTD_VMM_PATH must name the built virtd-vmm"
#endif

namespace virtd::kvm {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class VmmProcessTest : public ::testing::Test {
protected:
    void SetUp() override {
        const char* dir = std::getenv("VIRTD_GUEST_DIR");
        guest_ = dir ? dir : "";
        struct stat st {};
        if (guest_.empty() || stat((guest_ + "/Image").c_str(), &st) != 0)
            GTEST_SKIP() << "no prebuilt guest in VIRTD_GUEST_DIR='" << guest_
                         << "' (guest/build.sh makes one)";
        host_.memory_kib = 8ull << 20;
        host_.cpus = 2;
    }

    // Kills by pid only what is not reaped yet (a reaped pid may already belong to another
    // process), then reaps.
    void TearDown() override {
        for (auto& p : procs_) {
            Result<ExitInfo> e = p->reap();
            if (e && e->running()) ::kill(p->pid(), SIGKILL);
            p->kill_now();
        }
    }

    // Plans the launch of a minimal guest `name` (128 MiB, 1 vCPU, serial console) in its own
    // run folder.
    VmmLaunch plan(const std::string& name) {
        std::string xml = fmt::format(R"(<domain type='kvm'>
  <name>{}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='riscv64' machine='virt'>hvm</type>
    <kernel>{}/Image</kernel>
    <initrd>{}/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0</cmdline>
  </os>
  <devices><serial type='pty'><target port='0'/></serial></devices>
</domain>)",
                                      name, guest_, guest_);
        Result<conf::DomainDef> def = conf::DomainDef::parse(xml);
        EXPECT_TRUE(def.ok()) << def.error().message();
        if (!def) return {};
        LaunchPaths paths{dir_.path() + "/" + name, dir_.path() + "/switch"};
        EXPECT_TRUE(make_dirs(paths.run_dir, 0700).ok());
        Result<VmmLaunch> l = plan_launch(*def, paths, host_);
        EXPECT_TRUE(l.ok()) << l.error().message();
        return l ? *l : VmmLaunch{};
    }

    // Starts and remembers the process for TearDown.
    Result<std::unique_ptr<VmmProcess>> start(const VmmLaunch& l) {
        Result<std::unique_ptr<VmmProcess>> p = VmmProcess::start(VIRTD_VMM_PATH, l);
        return p;
    }
    VmmProcess* keep(std::unique_ptr<VmmProcess> p) {
        procs_.push_back(std::move(p));
        return procs_.back().get();
    }

    // Waits (bounded) until the process is gone; returns how it ended.
    ExitInfo wait_exit(VmmProcess& p) {
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        for (;;) {
            Result<ExitInfo> e = p.reap();
            EXPECT_TRUE(e.ok()) << e.error().message();
            if (!e || !e->running() || std::chrono::steady_clock::now() > end)
                return e ? *e : ExitInfo{};
            usleep(10000);
        }
    }

    TempDir dir_;
    std::string guest_;
    HostFacts host_;
    std::vector<std::unique_ptr<VmmProcess>> procs_;
};

TEST_F(VmmProcessTest, StartsControlsAndQuits) {
    VmmLaunch l = plan("web1");
    ASSERT_FALSE(l.monitor_socket.empty());
    Result<std::unique_ptr<VmmProcess>> started = start(l);
    ASSERT_TRUE(started.ok()) << started.error().message();
    VmmProcess& p = *keep(std::move(*started));
    EXPECT_GT(p.pid(), 0);
    EXPECT_GE(p.pidfd(), 0);
    EXPECT_EQ(getpgid(p.pid()), p.pid()); // its own process group

    Result<std::string> pid_text = read_file(l.pid_file);
    ASSERT_TRUE(pid_text.ok()) << pid_text.error().message();
    EXPECT_EQ(*pid_text, fmt::format("{}\n", p.pid()));
    struct stat st {};
    ASSERT_EQ(stat(l.log_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    Result<ExitInfo> e = p.reap();
    ASSERT_TRUE(e.ok()) << e.error().message();
    EXPECT_TRUE(e->running());

    auto mon = VmmMonitorClient::connect(l.monitor_socket);
    ASSERT_TRUE(mon.ok()) << mon.error().message();
    VmmMonitorClient& m = **mon;
    EXPECT_EQ(m.greeting()["virtd-vmm"]["pid"], p.pid());

    Result<Json> status = m.command("query-status");
    ASSERT_TRUE(status.ok()) << status.error().message();
    EXPECT_EQ((*status)["status"], "running");

    ASSERT_TRUE(m.command("stop").ok());
    Result<Json> stop_event = m.wait_event("STOP");
    ASSERT_TRUE(stop_event.ok()) << stop_event.error().message();
    status = m.command("query-status");
    ASSERT_TRUE(status.ok()) << status.error().message();
    EXPECT_EQ((*status)["status"], "paused");
    EXPECT_EQ((*status)["running"], false);

    ASSERT_TRUE(m.command("cont").ok());
    status = m.command("query-status");
    ASSERT_TRUE(status.ok()) << status.error().message();
    EXPECT_EQ((*status)["status"], "running");
    std::vector<Json> events = m.take_events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["event"], "RESUME");
    EXPECT_TRUE(m.take_events().empty());

    // An error reply is an Error naming the command, its class and desc.
    Result<Json> bad = m.command("frobnicate");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code(), ErrorCode::OperationUnsupported);
    EXPECT_THAT(bad.error().message(), HasSubstr("'frobnicate' failed: CommandNotFound"));
    Result<Json> no_balloon = m.command("balloon", {{"value", 64 << 20}});
    ASSERT_FALSE(no_balloon.ok());
    EXPECT_THAT(no_balloon.error().message(), HasSubstr("DeviceNotFound"));

    ASSERT_TRUE(m.command("quit").ok());
    Result<Json> shutdown = m.wait_event("SHUTDOWN");
    ASSERT_TRUE(shutdown.ok()) << shutdown.error().message();
    EXPECT_EQ((*shutdown)["data"]["reason"], "host-quit");
    ExitInfo end = wait_exit(p);
    EXPECT_TRUE(end.exited()) << end.describe();
    EXPECT_EQ(end.code, 4) << end.describe(); // MONITOR.md: quit ends with status 4
    // Reaped once; the answer stays.
    Result<ExitInfo> again = p.reap();
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->exited());

    // The connection is gone: a command fails clearly instead of hanging.
    Result<Json> after = m.command("query-status");
    ASSERT_FALSE(after.ok());
}

TEST_F(VmmProcessTest, KillBySignalIsReportedAsSuch) {
    Result<std::unique_ptr<VmmProcess>> started = start(plan("crash1"));
    ASSERT_TRUE(started.ok()) << started.error().message();
    VmmProcess& p = *keep(std::move(*started));
    ASSERT_EQ(::kill(p.pid(), SIGKILL), 0);
    ExitInfo end = wait_exit(p);
    EXPECT_TRUE(end.killed()) << end.describe();
    EXPECT_EQ(end.signal, SIGKILL);
    EXPECT_EQ(end.describe(), "killed by signal 9 (SIGKILL)");
    p.kill_now(); // harmless once reaped
}

TEST_F(VmmProcessTest, KillNowEndsARunningVmm) {
    Result<std::unique_ptr<VmmProcess>> started = start(plan("kill1"));
    ASSERT_TRUE(started.ok()) << started.error().message();
    VmmProcess& p = *keep(std::move(*started));
    p.kill_now();
    Result<ExitInfo> e = p.reap();
    ASSERT_TRUE(e.ok());
    EXPECT_TRUE(e->killed()) << e->describe();
    EXPECT_EQ(::kill(p.pid(), 0), -1); // reaped: no such process (nor zombie) any more
}

TEST_F(VmmProcessTest, AVmmThatExitsAtOnceFailsWithItsLog) {
    VmmLaunch l = plan("bad1");
    bool edited = false;
    for (size_t i = 0; i + 1 < l.argv.size(); ++i)
        if (l.argv[i] == "--memory") {
            l.argv[i + 1] = "lots";
            edited = true;
        }
    ASSERT_TRUE(edited);
    std::ofstream(l.log_file) << "an older run's line\n";
    Result<std::unique_ptr<VmmProcess>> started = start(l);
    ASSERT_FALSE(started.ok());
    const std::string& msg = started.error().message();
    EXPECT_THAT(msg, HasSubstr("exited with status"));
    EXPECT_THAT(msg, HasSubstr("--memory"));                  // the VMM's own complaint, quoted
    EXPECT_THAT(msg, HasSubstr(l.log_file));                  // and where the whole log is
    EXPECT_THAT(msg, ::testing::Not(HasSubstr("older run"))); // only this run's output
    struct stat st {};
    EXPECT_NE(stat(l.pid_file.c_str(), &st), 0); // no pid file left behind
}

TEST_F(VmmProcessTest, AMissingBinaryFailsWithTheReason) {
    VmmLaunch l = plan("nobin");
    Result<std::unique_ptr<VmmProcess>> started =
        VmmProcess::start(dir_.path() + "/no-such-vmm", l);
    ASSERT_FALSE(started.ok());
    EXPECT_THAT(started.error().message(), HasSubstr("exited with status 127"));
    EXPECT_THAT(started.error().message(), HasSubstr("cannot execute the VMM: No such file"));
}

// A second VMM on a monitor socket that a live one holds is not mistaken for ready: it fails (the
// VMM refuses a live socket) and the first one carries on.
TEST_F(VmmProcessTest, ALiveMonitorSocketOfAnotherVmmIsNotReadiness) {
    VmmLaunch l = plan("twice");
    Result<std::unique_ptr<VmmProcess>> first = start(l);
    ASSERT_TRUE(first.ok()) << first.error().message();
    VmmProcess& a = *keep(std::move(*first));
    Result<std::unique_ptr<VmmProcess>> second = start(l);
    if (second) keep(std::move(*second));
    ASSERT_FALSE(second.ok()) << "a second VMM on the same monitor socket started";
    EXPECT_THAT(second.error().message(), HasSubstr("exited with status"));
    auto mon = VmmMonitorClient::connect(l.monitor_socket);
    ASSERT_TRUE(mon.ok()) << mon.error().message();
    EXPECT_EQ((*mon)->greeting()["virtd-vmm"]["pid"], a.pid());
    Result<ExitInfo> e = a.reap();
    ASSERT_TRUE(e.ok());
    EXPECT_TRUE(e->running());
}

TEST_F(VmmProcessTest, ExitIsSeenFromAnEventLoop) {
    Result<std::unique_ptr<VmmProcess>> started = start(plan("loop1"));
    ASSERT_TRUE(started.ok()) << started.error().message();
    VmmProcess& p = *keep(std::move(*started));
    EventLoop loop;
    ExitInfo seen;
    ASSERT_TRUE(loop.add_fd(p.pidfd(), EPOLLIN,
                            [&](uint32_t) {
                                Result<ExitInfo> e = p.reap();
                                if (e) seen = *e;
                                loop.remove_fd(p.pidfd());
                                loop.stop();
                            })
                    .ok());
    loop.add_timer(std::chrono::milliseconds(50), [&] { ::kill(p.pid(), SIGTERM); });
    loop.add_timer(std::chrono::seconds(5), [&] { loop.stop(); });
    loop.run();
    EXPECT_FALSE(seen.running()) << "the pidfd never became readable";
    EXPECT_TRUE(seen.killed() || seen.exited()) << seen.describe();
}

// A stand-in VMM that never opens its monitor: start() gives up after the timeout, kills it and
// quotes what it printed. It also lists its descriptors, which shows stdin is /dev/null and that
// the test's own descriptor (not CLOEXEC) did not leak into it.
TEST_F(VmmProcessTest, AVmmThatNeverListensTimesOutAndIsKilled) {
    VmmLaunch l = plan("slow1");
    const std::string fake = dir_.path() + "/fake-vmm";
    std::ofstream(fake) << "#!/bin/sh\necho fake vmm starting\nls -l /proc/$$/fd\nexec sleep 30\n";
    ASSERT_EQ(chmod(fake.c_str(), 0700), 0);
    const std::string marker = dir_.path() + "/leak-marker";
    UniqueFd leak(::open(marker.c_str(), O_RDWR | O_CREAT, 0600)); // deliberately inheritable
    ASSERT_TRUE(leak);

    auto t0 = std::chrono::steady_clock::now();
    Result<std::unique_ptr<VmmProcess>> started =
        VmmProcess::start(fake, l, std::chrono::milliseconds(300));
    auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_FALSE(started.ok());
    const std::string& msg = started.error().message();
    EXPECT_EQ(started.error().code(), ErrorCode::OperationTimeout) << msg;
    EXPECT_THAT(msg, HasSubstr("did not open its monitor socket"));
    EXPECT_THAT(msg, HasSubstr("fake vmm starting"));
    EXPECT_THAT(msg, HasSubstr("0 -> /dev/null"));
    EXPECT_THAT(msg, HasSubstr("1 -> " + l.log_file));
    EXPECT_THAT(msg, ::testing::Not(HasSubstr("leak-marker")));
    EXPECT_LT(took, std::chrono::seconds(3));
    struct stat st {};
    EXPECT_NE(stat(l.pid_file.c_str(), &st), 0);
}

} // namespace
} // namespace virtd::kvm
