#!/usr/bin/python3
"""The kvm driver end to end: virtd serves kvm:///system and runs real riscv64 Linux guests, each
in its own virtd-vmm, driven by stock virsh and python3-libvirt.

  bad        bad definitions (missing kernel, missing disk, duplicate MAC, a MAC another guest
             uses, more memory than the host has, a network not defined or not started) are
             refused with clear errors, nothing started
  lifecycle  web1 (disk, NIC on the userspace switch, balloon, agent channel) started paused, its
             console opened over an RPC stream, resumed: GUEST-READY and DISK-OK arrive; web2
             on the same switch pings it; setmem through the balloon; suspend stops CPU time,
             resume continues; save/restore keeps the guest's 100 ms counter monotonic; reboot
             comes back to GUEST-READY; shutdown through the agent gives python3-libvirt its
             STOPPED/SHUTDOWN event; an agent channel without a path gets one in the run dir
             (shown in the live XML), one with a path gets its socket there
  restart    kill -9 of the daemon: the guest keeps running, a new daemon re-attaches (same id)
             and `virsh console` and `vsh console` (on a pty) reach the guest's shell
  crash      kill -9 of a VMM: STOPPED/CRASHED event; on_crash=restart boots it again,
             on_crash=destroy leaves it shut off (crashed)
  hostshutdown  with guests_on_shutdown = "managedsave", stopping the daemon saves web1 and
             starting it restores web1 (its counter continues, no new boot)
  midway     kill -9 of the daemon at moments spread over a `virsh start` and over a `virsh
             managedsave`: after the restart the guest is running (not stuck paused) or shut off,
             exactly one VMM runs for it when it runs and none otherwise, a managed save image
             exists exactly when it is shut off after a save, and that image restores it with its
             counter continuing; a VMM whose pid file is gone is found and stopped
  twenty     20 small guests started in a loop all reach GUEST-READY and list as running

usage: kvm_driver_test.py VIRTD VIRTD_VMM VIRTD_SWITCH VSH [TEST...]
Needs the prebuilt guest in VIRTD_GUEST_DIR (skips without it). Every process it starts (the
daemon, and the VMMs and switches the daemon leaves behind) is stopped by its pid at the end.
"""
import gzip
import os
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
VIRTD, VMM, SWITCH, VSH = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
GUEST = os.environ.get("VIRTD_GUEST_DIR", "")
TMP = tempfile.mkdtemp(prefix="virtd-kvm-")
STATE = os.path.join(TMP, "state")
RUN = os.path.join(STATE, "run")
SOCK = os.path.join(RUN, "virtd-sock")
URI = f"kvm+unix:///system?socket={SOCK}"
ENV = dict(os.environ, VIRTD_VMM=VMM, VIRTD_SWITCH=SWITCH, LC_ALL="C")
DAEMON = None
INITRD = ""
EVENTS = []  # (domain name, event, detail) as python3-libvirt delivered them
EVENTS_LOCK = threading.Lock()

libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # errors are checked, not printed


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def virsh(*args, ok=True):
    r = subprocess.run(["virsh", "-c", URI, *args], capture_output=True, text=True, env=ENV,
                       timeout=120)
    if ok and r.returncode != 0:
        raise Fail(f"virsh {' '.join(args)}: {r.stderr.strip()} {r.stdout.strip()}")
    return r


def start_daemon():
    global DAEMON
    log = open(os.path.join(TMP, "virtd.log"), "a")
    # VIRTD_TEST_WRAP: a command to run the daemon under when debugging (gdb -batch ...).
    wrap = os.environ.get("VIRTD_TEST_WRAP", "").split()
    DAEMON = subprocess.Popen(wrap + [VIRTD, "--state", STATE], env=ENV, stdout=log, stderr=log)
    # Ready when it accepts: a daemon killed with -9 leaves its socket file behind. Re-attaching
    # comes first and may wait for a save a killed daemon left running (its fsync, on a busy
    # disk, can take seconds).
    for _ in range(2400):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(SOCK)
            return
        except OSError:
            check(DAEMON.poll() is None, f"the daemon exited with {DAEMON.returncode}")
            time.sleep(0.025)
        finally:
            s.close()
    # Say where it is stuck before giving up on it.
    stacks = subprocess.run(["gdb", "-batch", "-p", str(DAEMON.pid), "-ex", "thread apply all bt"],
                            capture_output=True, text=True, timeout=60).stdout \
        if shutil.which("gdb") else "(no gdb)"
    raise Fail(f"the daemon did not listen on its socket within 60 s; its threads:\n"
               f"{stacks[-4000:]}")


def wait_for(pred, what, timeout=60.0, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise Fail(f"timed out waiting for {what}")


def console_log(name):
    try:
        with open(os.path.join(RUN, "kvm", name, "console.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def vmm_pid(name):
    with open(os.path.join(RUN, "kvm", name, "vmm.pid")) as f:
        return int(f.read())


def domain_xml(name, cmdline, memory_mib=128, disk=None, macs=(), agent=True, on_crash="destroy",
               kernel=None, network="lan"):
    disk_xml = ""
    if disk:
        disk_xml = (f"<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                    f"<source file='{disk}'/><target dev='vda' bus='virtio'/></disk>")
    nics = "".join(f"<interface type='network'><mac address='{m}'/><source network='{network}'/>"
                   f"<model type='virtio'/></interface>" for m in macs)
    # agent: True, a socket the definition places; "auto", one the driver places (virt-install's
    # <source mode='bind'/>); False, none.
    path = f" path='{TMP}/{name}.agent'" if agent is True else ""
    channel = (f"<channel type='unix'><source mode='bind'{path}/>"
               "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>") if agent else ""
    return f"""<domain type='kvm'>
  <name>{name}</name>
  <memory unit='MiB'>{memory_mib}</memory>
  <vcpu>1</vcpu>
  <os><type arch='riscv64' machine='virt'>hvm</type>
    <kernel>{kernel or GUEST + '/Image'}</kernel><initrd>{INITRD}</initrd>
    <cmdline>console=ttyS0 {cmdline}</cmdline></os>
  <on_crash>{on_crash}</on_crash>
  <devices>{disk_xml}{nics}
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    {channel}
    <memballoon model='virtio'/>
  </devices>
</domain>"""


def define(name, xml):
    path = os.path.join(TMP, name + ".xml")
    with open(path, "w") as f:
        f.write(xml)
    virsh("define", path)


def define_network(name, start=True):
    path = os.path.join(TMP, f"net-{name}.xml")
    with open(path, "w") as f:
        f.write(f"<network><name>{name}</name></network>")
    virsh("net-define", path)
    if start:
        virsh("net-start", name)


def event_loop():
    while True:
        libvirt.virEventRunDefaultImpl()


def connect():
    conn = libvirt.open(URI)

    def on_event(_conn, dom, event, detail, _opaque):
        with EVENTS_LOCK:
            EVENTS.append((dom.name(), event, detail))

    conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_event, None)
    return conn


def saw_event(name, event, detail):
    with EVENTS_LOCK:
        return (name, event, detail) in EVENTS


def cpu_time(name):
    m = re.search(r"CPU time:\s+([0-9.]+)s", virsh("dominfo", name).stdout)
    check(m, f"dominfo {name} shows the CPU time")
    return float(m.group(1))


def counters(text):
    return [int(n) for n in re.findall(r"COUNTER (\d+)", text)]


# ---- the tests ---------------------------------------------------------------------------------

def test_bad():
    def refused(name, xml, needle):
        define(name, xml)
        r = virsh("start", name, ok=False)
        check(r.returncode != 0, f"{name}: start was refused")
        check(needle in r.stderr, f"{name}: the error says '{needle}': {r.stderr.strip()}")
        check(not os.path.exists(os.path.join(RUN, "kvm", name, "vmm.pid")),
              f"{name}: no VMM was started")
        check("shut off" in virsh("domstate", name).stdout, f"{name} stays shut off")
        virsh("undefine", name)

    refused("nokernel", domain_xml("nokernel", "", kernel="/nonexistent/Image"),
            "kernel '/nonexistent/Image'")
    refused("nodisk", domain_xml("nodisk", "", disk="/nonexistent/disk.raw"),
            "disk 'vda' '/nonexistent/disk.raw'")
    define("twomacs", domain_xml("twomacs", "", macs=["52:54:00:aa:00:01"]))
    path = os.path.join(TMP, "twomacs2.xml")
    with open(path, "w") as f:
        f.write(domain_xml("twomacs2", "", macs=["52:54:00:aa:00:01"] * 2))
    r = virsh("define", path, ok=False)
    check(r.returncode != 0 and "'52:54:00:aa:00:01' is used by more than one interface"
          in r.stderr, f"a definition with one MAC twice is refused: {r.stderr.strip()}")
    virsh("start", "twomacs")
    refused("samemac", domain_xml("samemac", "", macs=["52:54:00:aa:00:01"]),
            "MAC 52:54:00:aa:00:01 is already used by another guest")
    virsh("destroy", "twomacs")
    virsh("undefine", "twomacs")
    refused("huge", domain_xml("huge", "", memory_mib=60 * 1024),
            "is more than the host's")
    # As in libvirt, a guest joins only a virtual network that is defined and started.
    refused("nonet", domain_xml("nonet", "", macs=["52:54:00:aa:00:09"], network="nolan"),
            "Network not found: no network with matching name 'nolan'")
    define_network("off", start=False)
    refused("offnet", domain_xml("offnet", "", macs=["52:54:00:aa:00:09"], network="off"),
            "network 'off' is not active")
    virsh("net-undefine", "off")


def test_lifecycle(conn):
    disk = os.path.join(TMP, "web1.ext4")
    with gzip.open(GUEST + "/disk.ext4.gz") as src, open(disk, "wb") as dst:
        shutil.copyfileobj(src, dst)
    define("web1", domain_xml("web1", "devs=1 disk=1 counter=1 addr=10.9.0.1/24", memory_mib=256,
                              disk=disk, macs=["52:54:00:aa:01:01"], on_crash="restart",
                              agent="auto"))
    virsh("start", "--paused", "web1")
    check("paused" in virsh("domstate", "web1").stdout, "web1 starts paused")
    dom = conn.lookupByName("web1")
    stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
    dom.openConsole(None, stream, 0)
    virsh("resume", "web1")
    seen = bytearray()

    def pull():
        while True:
            data = stream.recv(65536)
            if data == -2 or not data:
                break
            seen.extend(data)
        return b"GUEST-READY" in seen

    wait_for(pull, "GUEST-READY on the console stream")
    text = seen.decode("utf-8", "replace")
    check("GUEST-BOOTED" in text, "the stream carried the boot from its start")
    check("DISK-OK" in text, "the guest used its disk")
    check(re.search(r"VIRTIO \S+ id=0x0001 driver=virtio_net", text), "the NIC is bound")
    check(re.search(r"VIRTIO \S+ id=0x0005 driver=virtio_balloon", text), "the balloon is bound")
    # One console client at a time: a second is refused, unless it forces its way in.
    second = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
    try:
        dom.openConsole(None, second, 0)
        raise Fail("a second console client was let in")
    except libvirt.libvirtError as e:
        check("Active console session" in str(e), f"the second client is told why: {e}")
    forced = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
    dom.openConsole(None, forced, libvirt.VIR_DOMAIN_CONSOLE_FORCE)

    def ended():
        try:
            return stream.recv(65536) == b""
        except libvirt.libvirtError:
            return True

    wait_for(ended, "the first console to end when another takes over", timeout=10)
    forced.abort()

    # A second guest on the same switch reaches the first.
    define("web2", domain_xml("web2", "addr=10.9.0.2/24 ping=10.9.0.1", macs=["52:54:00:aa:01:02"]))
    virsh("start", "web2")
    wait_for(lambda: "PING-OK 10.9.0.1" in console_log("web2"), "web2 pinging web1 on the switch")
    listed = virsh("list").stdout
    check(re.search(r"web1\s+running", listed) and re.search(r"web2\s+running", listed),
          "both guests list as running")
    wait_for(lambda: "AGENT-READY" in console_log("web2"), "web2's agent")
    # Channel sockets: where the definition says, else in the run dir, shown in the live XML.
    check(stat.S_ISSOCK(os.stat(f"{TMP}/web2.agent").st_mode), "web2's agent socket is its own")
    chosen = f"{RUN}/kvm/web1/channel-org.qemu.guest_agent.0.sock"
    check(re.search(rf"<source mode=.bind. path=.{re.escape(chosen)}.\s*/>",
                    virsh("dumpxml", "web1").stdout),
          "web1's live XML shows the agent socket the driver chose: " +
          virsh("dumpxml", "web1").stdout[-900:])
    check(re.search(r"<source mode=.bind.\s*/>", virsh("dumpxml", "--inactive", "web1").stdout),
          "web1's persistent XML still leaves the path out")

    # vCPU time comes from the VMM's vCPU thread.
    m = re.search(r"CPU time:\s+([0-9.]+)s", virsh("vcpuinfo", "web1").stdout)
    check(m and float(m.group(1)) > 0.1, "vcpuinfo shows the vCPU thread's CPU time")

    # setmem through the balloon.
    virsh("setmem", "web1", "200M", "--live")
    wait_for(lambda: re.search(r"Used memory:\s+204800 KiB", virsh("dominfo", "web1").stdout),
             "the balloon to reach 200 MiB", timeout=30)

    # suspend stops the CPU time; resume continues it.
    virsh("suspend", "web1")
    t1 = cpu_time("web1")
    time.sleep(1.0)
    t2 = cpu_time("web1")
    check(t2 - t1 < 0.05, f"CPU time stands while suspended ({t1} -> {t2})")
    virsh("resume", "web1")
    wait_for(lambda: cpu_time("web1") > t2 + 0.05, "CPU time to grow after resume", timeout=20)

    # save / restore: the counter goes on from where it was.
    save = os.path.join(TMP, "web1.save")
    wait_for(lambda: len(counters(console_log("web1"))) > 5, "web1's counter")
    virsh("save", "web1", save)
    check("shut off" in virsh("domstate", "web1").stdout, "web1 is shut off after save")
    before = counters(console_log("web1"))
    time.sleep(0.5)
    virsh("restore", save)
    wait_for(lambda: len(counters(console_log("web1"))) > len(before) + 5,
             "the counter after restore")
    after = counters(console_log("web1"))
    check(after == sorted(after) and len(set(after)) == len(after),
          f"the counter is monotonic across the restore ({before[-3:]} then "
          f"{after[len(before):len(before) + 3]})")
    check(console_log("web1").count("GUEST-BOOTED") == 1, "the restore did not boot again")
    check(saw_event("web1", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                    libvirt.VIR_DOMAIN_EVENT_STOPPED_SAVED), "STOPPED/SAVED event")
    wait_for(lambda: saw_event("web1", libvirt.VIR_DOMAIN_EVENT_STARTED,
                               libvirt.VIR_DOMAIN_EVENT_STARTED_RESTORED),
             "STARTED/RESTORED event", timeout=5)

    # reboot through the agent comes back to GUEST-READY.
    ready = console_log("web1").count("GUEST-READY")
    virsh("reboot", "web1")
    wait_for(lambda: console_log("web1").count("GUEST-READY") > ready, "GUEST-READY after reboot")
    check(re.search(r"web1\s+running", virsh("list").stdout), "web1 runs after the reboot")

    # shutdown: the guest powers itself off; the client hears of it.
    virsh("shutdown", "web2")
    wait_for(lambda: saw_event("web2", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                               libvirt.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN),
             "STOPPED/SHUTDOWN event for web2", timeout=30)
    check("shut off (shutdown)" in virsh("domstate", "--reason", "web2").stdout,
          "web2 is shut off (shutdown)")
    check("AGENT-SHUTDOWN" in console_log("web2"), "the agent asked the guest to power off")
    conn.close()
    time.sleep(0.2)
    check(DAEMON.poll() is None, f"the daemon is alive (exit status {DAEMON.poll()})")


def console_roundtrip(name, cli="virsh"):
    """`virsh console` (or vsh's) on a pty: type a command, see its answer, leave with Ctrl-]."""
    master, slave = os.openpty()
    p = subprocess.Popen([cli, "-c", URI, "console", name], stdin=slave, stdout=slave,
                         stderr=slave, env=ENV, start_new_session=True)
    os.close(slave)
    out = bytearray()
    try:
        time.sleep(0.5)
        os.write(master, b"\r")
        os.write(master, b"echo HELLO-$((40 + 2))\r")
        end = time.time() + 20
        while time.time() < end and b"HELLO-42" not in out:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    out.extend(os.read(master, 4096))
                except OSError:
                    break
        os.write(master, b"\x1d")  # Ctrl-]: virsh console detaches
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    return out.decode("utf-8", "replace")


def test_restart(conn):
    conn.close()
    before = virsh("domid", "web1").stdout.strip()
    pid = vmm_pid("web1")
    DAEMON.kill()
    DAEMON.wait()
    check(os.kill(pid, 0) is None, "the VMM outlives the daemon")
    start_daemon()
    after = virsh("domid", "web1").stdout.strip()
    check(after == before, f"web1 keeps its id after re-attach ({before} then {after})")
    check(re.search(r"web1\s+running", virsh("list").stdout), "web1 lists as running")
    out = console_roundtrip("web1")
    check("HELLO-42" in out, f"virsh console reaches the guest's shell: {out[-300:]!r}")
    out = console_roundtrip("web1", VSH)
    check("HELLO-42" in out, f"vsh console reaches the guest's shell: {out[-300:]!r}")


def test_crash(conn):
    ready = console_log("web1").count("GUEST-READY")
    os.kill(vmm_pid("web1"), signal.SIGKILL)
    wait_for(lambda: saw_event("web1", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                               libvirt.VIR_DOMAIN_EVENT_STOPPED_CRASHED),
             "STOPPED/CRASHED event", timeout=20)
    wait_for(lambda: console_log("web1").count("GUEST-READY") > ready,
             "on_crash=restart booting web1 again")
    check(re.search(r"web1\s+running", virsh("list").stdout), "web1 runs again")

    virsh("start", "web2")
    wait_for(lambda: "GUEST-READY" in console_log("web2"), "web2 booted")
    os.kill(vmm_pid("web2"), signal.SIGKILL)
    wait_for(lambda: "shut off (crashed)" in virsh("domstate", "--reason", "web2").stdout,
             "web2 shut off (crashed) with on_crash=destroy", timeout=20)


def test_hostshutdown(_conn):
    """guests_on_shutdown = "managedsave": stopping the daemon saves the guests, starting it
    restores them."""
    with open(os.path.join(STATE, "virtd.conf"), "w") as f:
        f.write('guests_on_shutdown = "managedsave"\n')
    DAEMON.terminate()  # the running daemon read no such setting: its guests stay
    DAEMON.wait()
    start_daemon()
    check(re.search(r"web1\s+running", virsh("list").stdout), "web1 still runs")
    pid = vmm_pid("web1")
    boots = console_log("web1").count("GUEST-BOOTED")
    DAEMON.terminate()
    DAEMON.wait()
    check(os.path.exists(os.path.join(STATE, "kvm", "save", "web1.save")), "web1 was saved")
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), "web1's VMM to end", timeout=10)
    before = counters(console_log("web1"))
    start_daemon()
    check(re.search(r"web1\s+running", virsh("list").stdout), "web1 runs again after start")
    check("running (restored)" in virsh("domstate", "--reason", "web1").stdout,
          "web1 was restored, not booted")
    wait_for(lambda: len(counters(console_log("web1"))) > len(before) + 3, "web1's counter")
    after = counters(console_log("web1"))
    check(after[len(before)] > before[-1], "the counter continues after the restore")
    check(console_log("web1").count("GUEST-BOOTED") == boots, "web1 did not boot again")
    check(not os.path.exists(os.path.join(STATE, "kvm", "save", "web1.save")),
          "the image is consumed")
    os.unlink(os.path.join(STATE, "virtd.conf"))


def vmms_of(name):
    """Pids of the processes (VMMs) whose command line names the guest's monitor socket."""
    want = f"--monitor\0{RUN}/kvm/{name}/monitor.sock\0".encode()
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if want in f.read():
                        pids.append(int(p))
            except OSError:
                pass
    return pids


def kill_daemon_during(args, delay):
    """Runs `virsh ARGS`, kills the daemon `delay` seconds later, starts a new one."""
    p = subprocess.Popen(["virsh", "-c", URI, *args], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=ENV)
    time.sleep(delay)
    DAEMON.kill()
    DAEMON.wait()
    p.wait(30)
    start_daemon()


def settled_state(name):
    state = virsh("domstate", name).stdout.strip()
    vmms = vmms_of(name)
    check(state in ("running", "shut off"), f"{name} is running or shut off, not '{state}'")
    check(len(vmms) == (1 if state == "running" else 0),
          f"{name} is {state} with VMMs {vmms}")
    return state


def test_midway(_conn):
    name = "mid1"
    image = os.path.join(STATE, "kvm", "save", name + ".save")
    define(name, domain_xml(name, "counter=1", memory_mib=64, agent=False))
    outcomes = {"start": [], "save": []}
    for delay in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 2.0):
        ready = console_log(name).count("GUEST-READY")
        kill_daemon_during(["start", name], delay)
        state = settled_state(name)
        outcomes["start"].append(f"{delay}:{state}")
        if state == "running":
            wait_for(lambda: console_log(name).count("GUEST-READY") > ready,
                     f"{name} to boot after a start cut at {delay} s")
            virsh("destroy", name)
    check(any(o.endswith("running") for o in outcomes["start"]) and
          any(o.endswith("shut off") for o in outcomes["start"]),
          f"the daemon was killed both before and after a start took hold: {outcomes['start']}")

    run = 0  # where the current boot's output starts in the console log
    def count():
        return counters(console_log(name)[run:])
    for delay in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.7, 2.0):
        if virsh("domstate", name).stdout.strip() != "running":
            run = len(console_log(name))
            virsh("start", name)
        wait_for(lambda: len(count()) > 2, f"{name}'s counter")
        before = count()
        kill_daemon_during(["managedsave", name], delay)
        state = settled_state(name)
        outcomes["save"].append(f"{delay}:{state}")
        check(os.path.exists(image) == (state == "shut off"),
              f"{name} {state} after a save cut at {delay} s, yet image exists: "
              f"{os.path.exists(image)}")
        if state == "shut off":
            boots = console_log(name).count("GUEST-BOOTED")
            virsh("start", name)
            check("running (restored)" in virsh("domstate", "--reason", name).stdout,
                  f"{name} restored from the image saved before the cut at {delay} s")
            check(not os.path.exists(image), "the image is consumed")
            check(console_log(name).count("GUEST-BOOTED") == boots, f"{name} did not boot again")
        n = len(count())
        wait_for(lambda: len(count()) > n + 2,
                 f"{name}'s counter to go on after a save cut at {delay} s", timeout=20)
        after = count()
        check(after[len(before)] > before[-1],
              f"the counter continues after a save cut at {delay} s: {before[-2:]} then "
              f"{after[len(before):len(before) + 2]}")
    check(any(o.endswith("running") for o in outcomes["save"]) and
          any(o.endswith("shut off") for o in outcomes["save"]),
          f"the daemon was killed both before and after a save took hold: {outcomes['save']}")
    # A VMM no daemon can take over (its pid file is gone, as after a crash in the middle of
    # cleaning up) is found by its command line and stopped; the daemon does not hang on it.
    if virsh("domstate", name).stdout.strip() != "running":
        virsh("start", name)
    DAEMON.kill()
    DAEMON.wait()
    os.unlink(os.path.join(RUN, "kvm", name, "vmm.pid"))
    t0 = time.time()
    start_daemon()
    check(time.time() - t0 < 15, f"the daemon took {time.time() - t0:.1f} s to come up")
    check(settled_state(name) == "shut off", f"{name} without its pid file is shut off")
    with open(os.path.join(TMP, "virtd.log")) as f:
        log = f.read()
    check("killed 1 VMM(s) that could not be taken over" in log, "the stray VMM was killed")
    print(f"  midway outcomes (delay:state): {outcomes}; the restarted daemon finished "
          f"{log.count('finished the start')} start(s), stopped {log.count('had finished')} "
          f"saved VMM(s), killed {log.count('could not be taken over')} half-started",
          flush=True)
    virsh("undefine", name)


def test_twenty(_conn):
    names = [f"small{i:02d}" for i in range(1, 21)]
    for n in names:
        define(n, domain_xml(n, "", memory_mib=64, agent=False))
        virsh("start", n)
    for n in names:
        wait_for(lambda n=n: "GUEST-READY" in console_log(n), f"{n} GUEST-READY", timeout=180)
    listed = virsh("list").stdout
    for n in names:
        check(re.search(rf"{n}\s+running", listed), f"{n} lists as running")
    for n in names:
        virsh("destroy", n)
        virsh("undefine", n)
    check(not any(n in virsh("list", "--all").stdout for n in names), "all 20 are gone")


def cleanup():
    if DAEMON and DAEMON.poll() is None:
        DAEMON.kill()
        DAEMON.wait()
    # VMMs and switches outlive the daemon by design: stop each by its pid file.
    for root, _dirs, files in os.walk(os.path.join(RUN, "kvm")):
        for f in files:
            if f.endswith(".pid"):
                try:
                    with open(os.path.join(root, f)) as fh:
                        os.kill(int(fh.read()), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
    if os.environ.get("VIRTD_TEST_KEEP"):
        print(f"kept {TMP}")
    else:
        shutil.rmtree(TMP, ignore_errors=True)


def main():
    global INITRD
    if not GUEST or not os.path.exists(GUEST + "/Image"):
        print(f"SKIP: no prebuilt guest in VIRTD_GUEST_DIR='{GUEST}' (guest/build.sh makes one)")
        return 77
    INITRD = os.path.join(TMP, "initramfs.cpio.gz")
    subprocess.run([os.path.join(TOP, "guest", "repack.sh"), GUEST + "/initramfs.cpio.gz",
                    INITRD], check=True)
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=event_loop, daemon=True).start()
    start_daemon()
    define_network("lan")
    tests = [("bad", lambda: test_bad()), ("lifecycle", test_lifecycle),
             ("restart", test_restart), ("crash", test_crash),
             ("hostshutdown", test_hostshutdown), ("midway", test_midway),
             ("twenty", test_twenty)]
    wanted = sys.argv[5:] or [n for n, _ in tests]
    fails = 0
    conn = None
    for name, fn in tests:
        if name not in wanted:
            continue
        t0 = time.time()
        try:
            if conn is None or not conn.isAlive():
                conn = connect()
            fn() if name == "bad" else fn(conn)
            print(f"ok: {name} ({time.time() - t0:.1f} s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            print(f"FAIL: {name}: {type(e).__name__}: {e}", flush=True)
            fails += 1
        if name in ("lifecycle", "restart", "hostshutdown", "midway"):
            conn = None  # closed by the test: the daemon it talked to is gone
    print(f"{fails} failures")
    if fails:
        sys.stdout.write(open(os.path.join(TMP, "virtd.log")).read()[-3000:])
    return 1 if fails else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
