#!/usr/bin/python3
"""virtd-vmm's virtio devices, used by the guest's own Linux drivers (the real peer).

  devs     every device is bound to its Linux driver; hwrng gives bytes; the console port and
           a named channel reach their host sockets
  disk     the guest mounts the shared ext4 image from virtio-blk, writes and reads back
           (DISK-OK); the host reads the guest's file with debugfs; query-block counts it
  switch   two guests on one virtd-switch ping each other
  vlan     two guests on VLAN 10 and one on VLAN 20: 10 reaches 10, 20 reaches neither
  tap      a guest on a tap in a Linux bridge, in a network namespace the test makes, reaches
           the bridge's address
  balloon  inflating the balloon by 64 MiB lowers the VMM's RSS and the guest's MemTotal and
           MemAvailable; deflating gives it back; query-balloon carries the guest's stats
  hvc      the virtio console as the guest's console (console=hvc1; hvc0 is the SBI console):
           GUEST-READY and a shell that answers, over its unix socket
  monitor  stop/cont/query-status and the SHUTDOWN event

usage: vmm_devices_test.py VIRTD_VMM VIRTD_SWITCH [TEST...]
Needs the prebuilt guest in VIRTD_GUEST_DIR (skips without it). Every process it starts is
stopped by its pid; namespaces and files it makes are removed.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmm_monitor  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
VMM, SWITCH = sys.argv[1], sys.argv[2]
GUEST = os.environ.get("VIRTD_GUEST_DIR", "")
TMP = tempfile.mkdtemp(prefix="virtd-devs-")
PROCS = []  # every process started, stopped by pid at the end


def start(args, **kw):
    p = subprocess.Popen(args, **kw)
    PROCS.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.kill()
    p.wait()


class Guest:
    """One virtd-vmm with its console in a file."""

    def __init__(self, name, append, *extra, memory="256M", prefix=()):
        self.name = name
        self.log = os.path.join(TMP, name + ".console")
        self.monitor = os.path.join(TMP, name + ".mon")
        args = list(prefix) + [VMM, "--kernel", GUEST + "/Image", "--initrd", INITRD,
                               "--memory", memory, "--monitor", self.monitor,
                               "--append", "console=ttyS0 " + append] + list(extra)
        self.out = open(self.log, "wb")
        self.proc = start(args, stdin=subprocess.DEVNULL, stdout=self.out,
                          stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for(self, pattern, seconds=90):
        end = time.time() + seconds
        while time.time() < end:
            m = re.search(pattern, self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: no /{pattern}/ in:\n" + self.text()[-1500:])

    def mon(self, command, args=None):
        return vmm_monitor.execute(self.monitor, command, args)

    def stop(self):
        stop(self.proc)
        self.out.close()


def read_socket(path, want, seconds=60):
    """Connects to a unix socket the VMM listens on and reads until `want` appears."""
    end = time.time() + seconds
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.05)
    s.settimeout(0.5)
    got = b""
    while time.time() < end and want not in got:
        try:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        except socket.timeout:
            pass
    s.close()
    return got


def test_devs():
    hvc, chan = os.path.join(TMP, "hvc.sock"), os.path.join(TMP, "chan.sock")
    sw = start_switch("devs")
    disk = fresh_disk("devs.img")
    # The host sides connect first, as an agent would, so the guest's writes have a reader.
    g = Guest("devs", "devs=1", "--rng", "--balloon", "--disk", disk,
              "--net", "switch=" + sw, "--hvc", "unix:" + hvc,
              "--channel", "org.virtd.test=unix:" + chan)
    import threading
    got = {}
    readers = [threading.Thread(target=lambda k, p, w: got.__setitem__(k, read_socket(p, w)),
                                args=(k, p, w))
               for k, p, w in (("hvc", hvc, b"VIRTCON-HELLO"),
                               ("chan", chan, b"CHANNEL-HELLO org.virtd.test"))]
    for r in readers:
        r.start()
    g.wait_for(r"GUEST-READY")
    for r in readers:
        r.join()
    out = g.text()
    for drv in ("virtio_blk", "virtio_net", "virtio_console", "virtio_rng", "virtio_balloon"):
        assert re.search(r"VIRTIO virtio\d+ id=0x\w+ driver=" + drv, out), drv + " not bound\n" + out
    assert "HWRNG-OK virtio_rng" in out, out
    assert re.search(r"CHANNEL vport\dp1 name=org.virtd.test", out), out
    assert b"VIRTCON-HELLO" in got.get("hvc", b""), got
    assert b"CHANNEL-HELLO org.virtd.test" in got.get("chan", b""), got
    g.stop()


def fresh_disk(name):
    path = os.path.join(TMP, name)
    subprocess.run(f"gzip -dc '{GUEST}/disk.ext4.gz' > '{path}'", shell=True, check=True)
    return path


def test_disk():
    disk = fresh_disk("disk.img")
    g = Guest("disk", "disk=1", "--disk", disk + ",serial=virtd-disk-1")
    g.wait_for(r"GUEST-READY")
    assert "DISK-OK" in g.text(), g.text()
    block = g.mon("query-block")
    assert block[0]["device"] == "vda" and block[0]["serial"] == "virtd-disk-1", block
    assert block[0]["stats"]["wr_bytes"] > 8 << 20, block  # the 8 MiB test file at least
    assert block[0]["stats"]["flush_operations"] > 0, block
    g.mon("quit")
    assert g.proc.wait(timeout=60) == 4
    g.out.close()
    cat = subprocess.run(["debugfs", "-R", "cat /guest-wrote.txt", disk], capture_output=True,
                         text=True)
    assert cat.stdout.strip() == "virtd guest wrote this", (cat.stdout, cat.stderr)
    fsck = subprocess.run(["e2fsck", "-fn", disk], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def start_switch(name):
    path = os.path.join(TMP, name + ".switch")
    p = start([SWITCH, "--socket", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 10
    while not os.path.exists(path):
        assert time.time() < end and p.poll() is None, "virtd-switch did not start"
        time.sleep(0.05)
    return path


def test_switch():
    sw = start_switch("pair")
    a = Guest("a", "addr=10.0.0.1/24 ping=10.0.0.2", "--net", f"switch={sw}", memory="128M")
    b = Guest("b", "addr=10.0.0.2/24 ping=10.0.0.1", "--net", f"switch={sw}", memory="128M")
    a.wait_for(r"PING-OK 10\.0\.0\.2")
    b.wait_for(r"PING-OK 10\.0\.0\.1")
    net = a.mon("query-net")
    assert net[0]["tx_packets"] > 0 and net[0]["rx_packets"] > 0, net
    a.stop()
    b.stop()


def test_vlan():
    sw = start_switch("vlan")
    ten1 = Guest("ten1", "addr=10.0.0.1/24 ping=10.0.0.2,10.0.0.3 pingwait=8",
                 "--net", f"switch={sw},vlan=10", memory="128M")
    ten2 = Guest("ten2", "addr=10.0.0.2/24", "--net", f"switch={sw},vlan=10", memory="128M")
    twenty = Guest("twenty", "addr=10.0.0.3/24 ping=10.0.0.1,10.0.0.2 pingwait=8",
                   "--net", f"switch={sw},vlan=20", memory="128M")
    ten1.wait_for(r"PING-OK 10\.0\.0\.2")
    ten1.wait_for(r"PING-FAIL 10\.0\.0\.3")
    twenty.wait_for(r"PING-FAIL 10\.0\.0\.1")
    twenty.wait_for(r"PING-FAIL 10\.0\.0\.2")
    for g in (ten1, ten2, twenty):
        g.stop()


def test_tap():
    if not os.path.exists("/dev/net/tun"):
        raise Skip("no /dev/net/tun")
    ns = f"virtd-tap-{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
        raise Skip("cannot create a network namespace (ip netns add)")
    try:
        nsx = ["ip", "netns", "exec", ns]
        for cmd in ("ip link set lo up", "ip link add br0 type bridge",
                    "ip addr add 10.0.1.1/24 dev br0", "ip link set br0 up"):
            subprocess.run(nsx + cmd.split(), check=True)
        g = Guest("tap", "addr=10.0.1.2/24 ping=10.0.1.1 pingwait=30",
                  "--net", "tap=vtap0", prefix=nsx, memory="128M")
        end = time.time() + 30
        while subprocess.run(nsx + ["ip", "link", "show", "vtap0"],
                             capture_output=True).returncode != 0:
            assert time.time() < end, "the VMM made no tap vtap0\n" + g.text()
            time.sleep(0.1)
        subprocess.run(nsx + ["ip", "link", "set", "vtap0", "master", "br0", "up"], check=True)
        g.wait_for(r"PING-OK 10\.0\.1\.1")
        g.stop()
    finally:
        subprocess.run(["ip", "netns", "del", ns])


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def test_balloon():
    g = Guest("balloon", "touch=200 memwatch=1", "--balloon", memory="256M")
    g.wait_for(r"GUEST-READY")
    time.sleep(1)
    total_before, before = [tuple(map(int, x)) for x in
                            re.findall(r"MEMINFO total=(\d+) available=(\d+)", g.text())][-1]
    rss_before = rss_kib(g.proc.pid)
    g.mon("balloon", {"value": (256 - 64) << 20})
    end = time.time() + 60
    while time.time() < end:
        info = g.mon("query-balloon")
        if info["balloon"] >= 64 << 20:
            break
        time.sleep(0.2)
    assert info["balloon"] >= 64 << 20 and info["actual"] <= 192 << 20, info
    time.sleep(2)
    total_after, after = [tuple(map(int, x)) for x in
                          re.findall(r"MEMINFO total=(\d+) available=(\d+)", g.text())][-1]
    rss_after = rss_kib(g.proc.pid)
    print(f"  balloon 64 MiB: guest MemTotal {total_before} -> {total_after} KiB, "
          f"MemAvailable {before} -> {after} KiB, "
          f"VMM RSS {rss_before} -> {rss_after} KiB")
    assert before - after > 56 * 1024, (before, after)
    # Without deflate-on-oom, Linux counts the balloon out of MemTotal.
    assert total_before - total_after > 56 * 1024, (total_before, total_after)
    assert rss_before - rss_after > 48 * 1024, (rss_before, rss_after)
    # Deflating gives the memory back to the guest.
    g.mon("balloon", {"value": 256 << 20})
    end = time.time() + 60
    while time.time() < end and g.mon("query-balloon")["balloon"] > 0:
        time.sleep(0.2)
    info = g.mon("query-balloon")
    assert info["balloon"] == 0 and info["actual"] == 256 << 20, info
    assert info["stats"].get("stat-total-memory", 0) > 0, info
    g.stop()


def test_hvc():
    hvc = os.path.join(TMP, "console.sock")
    g = Guest("hvc", "console=hvc1", "--hvc", "unix:" + hvc)
    end = time.time() + 30
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            s.connect(hvc)
            break
        except OSError:
            assert time.time() < end, "no console socket\n" + g.text()
            time.sleep(0.05)
    s.settimeout(0.2)
    got = b""

    def wait(want, seconds):
        nonlocal got
        end = time.time() + seconds
        while time.time() < end and want not in got:
            try:
                got += s.recv(4096)
            except socket.timeout:
                pass
        assert want in got, got[-500:]

    wait(b"GUEST-READY", 90)
    time.sleep(0.5)
    s.sendall(b"echo answer-$((6*7))\n")
    wait(b"answer-42", 30)
    s.close()
    g.stop()


def test_monitor():
    g = Guest("mon", "memwatch=1")
    g.wait_for(r"GUEST-READY")
    assert g.mon("query-status")["status"] == "running"
    client = vmm_monitor.MonitorClient(g.monitor, timeout=10)
    client.execute("stop")
    assert client.wait_events(1, 5, name="STOP")
    assert g.mon("query-status")["status"] == "paused"
    # A paused guest prints nothing more.
    time.sleep(0.5)
    frozen = g.text().count("MEMINFO")
    time.sleep(2.5)
    assert g.text().count("MEMINFO") == frozen, "the guest ran while paused"
    client.execute("cont")
    assert client.wait_events(1, 5, name="RESUME")
    g.wait_for(r"(MEMINFO.*\n){%d}" % (frozen + 2), 20)
    client.execute("quit")
    ev = client.wait_events(1, 10, name="SHUTDOWN")
    assert ev and ev[0]["data"]["reason"] == "host-quit", ev
    assert g.proc.wait(timeout=10) == 4
    g.out.close()


class Skip(Exception):
    pass


TESTS = {"devs": test_devs, "disk": test_disk, "switch": test_switch, "vlan": test_vlan,
         "tap": test_tap, "balloon": test_balloon, "hvc": test_hvc, "monitor": test_monitor}


def main():
    global INITRD
    if not GUEST or not os.path.exists(GUEST + "/Image"):
        print(f"SKIP: no prebuilt guest in VIRTD_GUEST_DIR='{GUEST}' (guest/build.sh makes one)")
        return 77
    INITRD = os.path.join(TMP, "initramfs.cpio.gz")
    subprocess.run([os.path.join(TOP, "guest", "repack.sh"), GUEST + "/initramfs.cpio.gz",
                    INITRD], check=True)
    names = sys.argv[3:] or list(TESTS)
    fails = 0
    for name in names:
        t0 = time.time()
        try:
            TESTS[name]()
            print(f"ok: {name} ({time.time() - t0:.1f} s)", flush=True)
        except Skip as e:
            print(f"SKIP: {name}: {e}", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            print(f"FAIL: {name}: {type(e).__name__}: {e}", flush=True)
            fails += 1
        finally:
            for p in PROCS:
                stop(p)
            PROCS.clear()
    print(f"{fails} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        for p in PROCS:
            stop(p)
        shutil.rmtree(TMP, ignore_errors=True)
