#!/usr/bin/python3
"""virtd-vmm's save-state and --incoming with the real riscv64 guest (the guest's own drivers).

  restore   a guest with a disk, rng, balloon and a console socket prints COUNTER every 100 ms;
            stop, save-state, quit; a new virtd-vmm --incoming --start-paused stays paused (no
            COUNTER) until cont, then the counter continues above the last value seen (no new
            boot), the disk reads what the host has, hwrng gives bytes, the balloon answers, and
            poweroff -f ends the VMM with status 0. A save to an unwritable path fails, naming
            the file, and leaves the guest running.
  refused   a restore with another --memory, and one from a corrupted file, exit 1 with the
            message naming the file and the problem
  smp       save-state of a running guest with two vCPUs (it pauses it, event STOP); both
            vCPUs online and working after the restore
  net       a guest on a virtd-switch with a virtio console and a named channel, saved and
            restored: it pings its peer, and its console port reaches the new host socket
  paused    a fresh boot with --start-paused runs nothing until cont
Every restore also checks guest time: /proc/uptime after the restore continues from before the
save, without the time the guest spent stopped, saved or paused.

usage: vmm_state_test.py VIRTD_VMM VIRTD_SWITCH [TEST...]
Needs the prebuilt guest in VIRTD_GUEST_DIR (skips without it). Every process it starts is
stopped by its pid; files it makes are removed.
"""
import gzip
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmm_monitor  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
VMM, SWITCH = sys.argv[1], sys.argv[2]
GUEST = os.environ.get("VIRTD_GUEST_DIR", "")
TMP = tempfile.mkdtemp(prefix="virtd-state-")
PROCS = []  # every process started, stopped by pid at the end
INITRD = ""
DISK_GZ = ""


class Vmm:
    """One virtd-vmm whose serial console is a unix socket this object reads (and types on)."""

    def __init__(self, name, extra, append="counter=1", smp=1, memory="256M"):
        self.name = name
        self.console = os.path.join(TMP, name + ".console")
        self.monitor = os.path.join(TMP, name + ".mon")
        self.args = [VMM, "--kernel", GUEST + "/Image", "--initrd", INITRD, "--memory", memory,
                     "--smp", str(smp), "--monitor", self.monitor,
                     "--console", "unix:" + self.console,
                     "--append", "console=ttyS0 " + append] + list(extra)
        self.err = open(os.path.join(TMP, name + ".stderr"), "wb")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.err)
        PROCS.append(self.proc)
        self.buf = b""
        self.lock = threading.Lock()
        self.sock = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        end = time.time() + 30
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        while True:
            try:
                s.connect(self.console)
                break
            except OSError:
                if time.time() > end or self.proc.poll() is not None:
                    return
                time.sleep(0.01)
        self.sock = s
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.buf += chunk

    def text(self):
        with self.lock:
            return self.buf.decode(errors="replace")

    def wait_for(self, pattern, seconds=60, since=0):
        end = time.time() + seconds
        while time.time() < end:
            m = re.search(pattern, self.text()[since:])
            if m:
                return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        # CI shows only the end of a failure, so what went wrong is said after the console too.
        rc = self.proc.poll()
        why = f"{self.name}: no /{pattern}/ " + (
            f"after {seconds} s" if rc is None else f"(virtd-vmm exited {rc}: {self.stderr()[-800:]})")
        raise AssertionError(f"{why}; the console ends:\n{self.text()[-1200:]}\n-- {why}")

    def type(self, line):
        end = time.time() + 10
        while self.sock is None and time.time() < end:
            time.sleep(0.05)
        self.sock.sendall(line.encode() + b"\n")

    def run(self, command, marker, pattern, seconds=30):
        """Types `command` (whose output starts with marker, split in the echo) and returns the
        match of `marker pattern` in what the guest printed after it."""
        since = len(self.text())
        self.type(command)
        return self.wait_for(marker + " " + pattern, seconds, since)

    def mon(self, command, args=None):
        return vmm_monitor.execute(self.monitor, command, args)

    def wait_exit(self, seconds=30):
        try:
            return self.proc.wait(seconds)
        finally:
            self.err.close()

    def stderr(self):
        with open(os.path.join(TMP, self.name + ".stderr"), "rb") as f:
            return f.read().decode(errors="replace")


def counters(text):
    return [int(n) for n in re.findall(r"COUNTER (\d+)\r?\n", text)]


def fresh_disk(name):
    path = os.path.join(TMP, name + ".img")
    with gzip.open(DISK_GZ, "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def uptime(g):
    return float(g.run('echo "U""PTIME $(cut -d" " -f1 /proc/uptime)"', "UPTIME",
                       r"([0-9.]+)").group(1))


def boot_and_save(name, extra, smp=1, append="counter=1", stop_first=True):
    """Boots, waits for a few COUNTER lines, stops (or lets save-state pause it), saves, quits.
    Returns (state file, last counter seen before the save, guest uptime and wall time then)."""
    g = Vmm(name, extra, smp=smp, append=append)
    g.wait_for(r"GUEST-READY")
    # Long enough that guest time at the save is well ahead of the restoring process's own
    # clock: a restore that lost guest time would stall the guest's timers (checked below).
    g.wait_for(r"COUNTER 15\r?\n")
    before = (uptime(g), time.time())
    state = os.path.join(TMP, name + ".state")
    if stop_first:
        g.mon("stop")
        assert g.mon("query-status")["status"] == "paused"
    with vmm_monitor.MonitorClient(g.monitor) as m:
        reply = m.execute("save-state", {"path": state})
        if not stop_first:
            assert [e["event"] for e in m.wait_events(1, 5.0)] == ["STOP"]
    time.sleep(0.3)  # a line being printed when the vCPUs stopped is complete in the buffer
    last = counters(g.text())[-1]
    assert reply["bytes"] == os.path.getsize(state), (reply, os.path.getsize(state))
    assert g.mon("query-status")["status"] == "paused"
    assert (os.stat(state).st_mode & 0o777) == 0o600, oct(os.stat(state).st_mode)
    assert not os.path.exists(state + ".tmp")
    g.mon("quit")
    assert g.wait_exit() == 4
    size = os.path.getsize(state)
    assert size < 256 << 20, f"state file of {size} bytes for 256 MiB of RAM"
    time.sleep(1.0)  # the guest must not count this either
    return state, last, before


def restore_and_check(name, extra, saved, smp=1, append="counter=1"):
    state, last, (up_before, wall_before) = saved
    g = Vmm(name, list(extra) + ["--incoming", state, "--start-paused"], smp=smp, append=append)
    end = time.time() + 10
    while not os.path.exists(g.monitor) and time.time() < end:
        time.sleep(0.05)
    time.sleep(0.2)
    assert g.mon("query-status")["status"] == "paused"
    time.sleep(1.0)
    assert "COUNTER" not in g.text(), "the guest ran while --start-paused:\n" + g.text()
    t_cont = time.time()
    g.mon("cont")
    assert g.mon("query-status")["status"] == "running"
    g.wait_for(r"COUNTER \d+\r?\n", 20)
    # The guest's timers fire on time at once: its `time` went on from the saved value.
    assert time.time() - t_cont < 2.0, f"first COUNTER {time.time() - t_cont:.1f} s after cont"
    # The next line, or the one after when the save stopped the guest half way through printing
    # "COUNTER {last + 1}" (the rest of that line then opens the restored console).
    first = counters(g.text())[0]
    assert first in (last + 1, last + 2), f"the counter went from {last} to {first}"
    g.wait_for(rf"COUNTER {first + 4}\r?\n", 20)
    seen = counters(g.text())
    assert seen == sorted(seen) and len(set(seen)) == len(seen), seen
    assert "GUEST-BOOTED" not in g.text(), "the guest booted again"
    # Guest time went on from where it stopped: forward, by less than the wall time since (at
    # least 2 s of which the guest was stopped, saved or waiting for cont).
    up_after, wall_after = uptime(g), time.time()
    assert up_after > up_before, (up_before, up_after)
    assert up_after - up_before < wall_after - wall_before - 1.5, \
        (up_before, up_after, wall_after - wall_before)
    return g


def test_restore():
    disk = fresh_disk("restore")
    with open(disk, "rb") as f:
        want_md5 = hashlib.md5(f.read(64 << 10)).hexdigest()
    extra = ["--disk", disk, "--rng", "--balloon"]
    # A failed save leaves the running guest running and names the file.
    g = Vmm("badsave", extra, append="")
    g.wait_for(r"GUEST-READY")
    try:
        g.mon("save-state", {"path": "/nonexistent-dir/x.state"})
        raise AssertionError("save-state into a missing folder succeeded")
    except vmm_monitor.MonitorError as e:
        assert e.cls == "GenericError" and "/nonexistent-dir/x.state" in e.desc, e
    assert g.mon("query-status")["status"] == "running"
    g.type("echo ALIVE-$((40 + 2))")
    g.wait_for(r"ALIVE-42")
    g.mon("quit")
    g.wait_exit()

    saved = boot_and_save("saved", extra)
    g = restore_and_check("restored", extra, saved)
    m = g.run('echo "R""ESULT $(dd if=/dev/vda bs=4096 count=16 2>/dev/null | md5sum)"',
              "RESULT", r"([0-9a-f]{32})")
    assert m.group(1) == want_md5, (m.group(1), want_md5)
    m = g.run('echo "R""NG $(head -c 16 /dev/hwrng | wc -c)"', "RNG", r"(\d+)")
    assert m.group(1) == "16", m.group(0)
    g.mon("balloon", {"value": 192 << 20})
    end = time.time() + 20
    while g.mon("query-balloon")["actual"] != 192 << 20:
        assert time.time() < end, g.mon("query-balloon")
        time.sleep(0.2)
    g.type("poweroff -f")
    assert g.wait_exit() == 0, g.stderr()


def test_refused():
    disk = fresh_disk("refused")
    extra = ["--disk", disk, "--rng"]
    state, _, _ = boot_and_save("tosave", extra)
    g = Vmm("bigger", extra + ["--incoming", state], memory="512M")
    assert g.wait_exit() == 1
    want = (f"{state}: does not match this virtd-vmm's options: guest memory is 256 MiB in the "
            "file but 512 MiB on the command line (--memory)")
    assert want in g.stderr(), g.stderr()
    g = Vmm("nodisk", ["--rng", "--incoming", state])
    assert g.wait_exit() == 1
    assert "virtio slot 0: the file has 'virtio-blk vda' but the command line 'virtio-rng'" in \
        g.stderr(), g.stderr()
    bad = os.path.join(TMP, "corrupt.state")
    with open(state, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0x40  # inside guest RAM, the largest section
    with open(bad, "wb") as f:
        f.write(data)
    g = Vmm("corrupt", extra + ["--incoming", bad])
    assert g.wait_exit() == 1
    assert f"{bad}: section 'ram': checksum mismatch" in g.stderr(), g.stderr()
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 3])
    g = Vmm("truncated", extra + ["--incoming", bad])
    assert g.wait_exit() == 1
    assert f"{bad}: truncated at byte {len(data) // 3}" in g.stderr(), g.stderr()


def test_smp():
    extra = ["--rng"]
    saved = boot_and_save("smp-saved", extra, smp=2, stop_first=False)
    g = restore_and_check("smp-restored", extra, saved, smp=2)
    m = g.run('echo "C""PUS $(cat /sys/devices/system/cpu/online)"', "CPUS", r"(\S+)")
    assert m.group(1) == "0-1", m.group(0)
    # Work on both harts: two busy loops in parallel finish and the counter keeps going.
    m = g.run('(i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done) & '
              '(j=0; while [ $j -lt 3000 ]; do j=$((j+1)); done); wait; echo "D""ONE ok"',
              "DONE", "ok", 60)
    n = counters(g.text())[-1]
    g.wait_for(rf"COUNTER {n + 3}\r?\n", 10)
    g.type("poweroff -f")
    assert g.wait_exit() == 0, g.stderr()


def start_switch():
    path = os.path.join(TMP, "net.switch")
    p = subprocess.Popen([SWITCH, "--socket", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    PROCS.append(p)
    end = time.time() + 10
    while not os.path.exists(path):
        assert time.time() < end and p.poll() is None, "virtd-switch did not start"
        time.sleep(0.05)
    return path


def read_until(path, want, seconds=20):
    """Connects to a unix socket the VMM listens on; returns what arrived until `want` did."""
    end = time.time() + seconds
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            assert time.time() < end, f"cannot connect to {path}"
            time.sleep(0.05)
    return s


def test_net():
    sw = start_switch()
    hvc, chan = os.path.join(TMP, "hvc.sock"), os.path.join(TMP, "chan.sock")
    peer = Vmm("peer", ["--net", f"switch={sw},mac=52:54:00:00:00:02"], append="addr=10.0.0.2/24",
               memory="128M")
    peer.wait_for(r"GUEST-READY")
    extra = ["--net", f"switch={sw},mac=52:54:00:00:00:01", "--hvc", "unix:" + hvc,
             "--channel", "org.virtd.test=unix:" + chan]
    append = "counter=1 addr=10.0.0.1/24 ping=10.0.0.2"
    saved = boot_and_save("net-saved", extra, append=append)
    g = restore_and_check("net-restored", extra, saved, append=append)
    m = g.run('ping -c 2 -W 3 10.0.0.2 >/dev/null && echo "P""ING ok"', "PING", "ok", 30)
    assert m
    s = read_until(hvc, b"")
    time.sleep(0.3)
    g.type("echo VCOUT-$((6 * 7)) > /dev/hvc1")
    s.settimeout(10)
    got = b""
    end = time.time() + 10
    while b"VCOUT-42" not in got and time.time() < end:
        got += s.recv(4096)
    s.close()
    assert b"VCOUT-42" in got, got
    net = g.mon("query-net")
    assert net[0]["tx_packets"] > 0 and net[0]["rx_packets"] > 0, net
    g.type("poweroff -f")
    assert g.wait_exit() == 0, g.stderr()


def test_paused():
    g = Vmm("paused", ["--start-paused"], append="")
    time.sleep(1.5)
    assert g.mon("query-status")["status"] == "paused"
    assert "Linux version" not in g.text() and "GUEST" not in g.text(), g.text()
    g.mon("cont")
    g.wait_for(r"GUEST-READY")
    g.mon("quit")
    assert g.wait_exit() == 4


TESTS = {"restore": test_restore, "refused": test_refused, "smp": test_smp, "net": test_net,
         "paused": test_paused}


def main():
    global INITRD, DISK_GZ
    if not GUEST or not os.path.exists(GUEST + "/Image"):
        print(f"SKIP: no prebuilt guest in VIRTD_GUEST_DIR='{GUEST}' (guest/build.sh makes one)")
        return 77
    INITRD = os.path.join(TMP, "initramfs.cpio.gz")
    DISK_GZ = os.path.join(GUEST, "disk.ext4.gz")
    subprocess.run([os.path.join(TOP, "guest", "repack.sh"), GUEST + "/initramfs.cpio.gz",
                    INITRD], check=True)
    names = sys.argv[3:] or list(TESTS)
    fails = 0
    for name in names:
        t0 = time.time()
        try:
            TESTS[name]()
            print(f"ok: {name} ({time.time() - t0:.1f} s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            where = " <- ".join(f"line {f.lineno} {f.name}"
                                for f in reversed(traceback.extract_tb(e.__traceback__)))
            print(f"FAIL: {name}: {type(e).__name__}: {e}\n   at {where}", flush=True)
            fails += 1
        finally:
            for p in PROCS:
                if p.poll() is None:
                    p.kill()
                p.wait()
            PROCS.clear()
    print(f"{fails} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
            p.wait()
        shutil.rmtree(TMP, ignore_errors=True)
