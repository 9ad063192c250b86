#!/usr/bin/python3
"""bench/io: in-guest I/O through virtio, virtd-vmm next to qemu-system-riscv64 -M virt.

disk: `dd` of 256 MiB with oflag=direct then iflag=direct on a virtio-blk disk backed by the
      same 512 MiB raw host file (fresh for every run); the guest's `time` says how long.
net:  two guests, one fetching 64 MiB of zeros over TCP (HTTP, busybox wget) from the
      other's busybox httpd; virtd-vmm guests meet on a virtd-switch, QEMU guests on
      `-netdev socket` (listen/connect over loopback). The fetching guest's clock times it.
Runs alternate between the engines; medians are printed with the ratio. Figures are printed,
never asserted.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
DEFAULT_GUEST = os.path.join(os.path.dirname(TOP), "shared", "guest")
BUILD = os.path.join(TOP, "build")
MIB = 64       # sent over the network
DISK_MIB = 256  # written and read on the disk


class Guest:
    def __init__(self, cmd, log):
        self.log = log
        self.out = open(log, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for(self, pattern, seconds):
        end = time.time() + seconds
        while time.time() < end:
            m = re.search(pattern, self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"no /{pattern}/ from {self.log}:\n{self.text()[-800:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.out.close()


def vmm_cmd(a, append, *extra):
    return [a.vmm, "--kernel", a.guest + "/Image", "--initrd", a.initrd, "--memory", "256M",
            "--append", "console=ttyS0 " + append] + list(extra)


def qemu_cmd(a, append, *extra):
    return ["qemu-system-riscv64", "-M", "virt", "-smp", "1", "-m", "256M", "-nographic",
            "-bios", "default", "-kernel", a.guest + "/Image", "-initrd", a.initrd,
            "-append", "console=ttyS0 " + append] + list(extra)


def seconds(text, label):
    m = re.search(re.escape(label) + r".*?\nreal\s+(\d+)m\s*([\d.]+)s", text, re.S)
    if not m:
        raise RuntimeError(f"no time after {label!r}:\n{text[-800:]}")
    return int(m.group(1)) * 60 + float(m.group(2))


def disk_run(engine, a, tmp):
    img = os.path.join(tmp, "scratch.img")
    with open(img, "wb") as f:
        f.truncate(2 * DISK_MIB << 20)
    if engine == "qemu":
        cmd = qemu_cmd(a, f"iobench=1 iomib={DISK_MIB} halt=1", "-drive", f"file={img},format=raw,if=none,id=d0",
                       "-device", "virtio-blk-device,drive=d0")
    else:
        cmd = vmm_cmd(a, f"iobench=1 iomib={DISK_MIB} halt=1", "--disk", img)
    g = Guest(cmd, os.path.join(tmp, engine + "-disk.log"))
    try:
        g.wait_for(r"GUEST-READY", 300)
        text = g.text()
        return {"disk write": DISK_MIB / seconds(text, "IOBENCH write"),
                "disk read": DISK_MIB / seconds(text, "IOBENCH read")}
    finally:
        g.stop()


def net_run(engine, a, tmp, port):
    macs = ["52:54:00:00:0b:01", "52:54:00:00:0b:02"]
    rx_append = f"addr=10.0.0.1/24 serve={MIB}"  # the server: its data goes out
    tx_append = "addr=10.0.0.2/24 fetch=10.0.0.1"
    switch = None
    if engine == "qemu":
        rx = qemu_cmd(a, rx_append, "-netdev", f"socket,id=n0,listen=127.0.0.1:{port}",
                      "-device", f"virtio-net-device,netdev=n0,mac={macs[0]}")
        tx = qemu_cmd(a, tx_append, "-netdev", f"socket,id=n0,connect=127.0.0.1:{port}",
                      "-device", f"virtio-net-device,netdev=n0,mac={macs[1]}")
    else:
        sock = os.path.join(tmp, "switch.sock")
        switch = subprocess.Popen([a.switch, "--socket", sock], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        while not os.path.exists(sock):
            time.sleep(0.02)
        rx = vmm_cmd(a, rx_append, "--net", f"switch={sock},mac={macs[0]}")
        tx = vmm_cmd(a, tx_append, "--net", f"switch={sock},mac={macs[1]}")
    receiver = Guest(rx, os.path.join(tmp, engine + "-rx.log"))
    sender = None
    try:
        receiver.wait_for(r"HTTP-SERVING", 120)
        time.sleep(0.5)  # QEMU's connect side needs the listener's socket
        sender = Guest(tx, os.path.join(tmp, engine + "-tx.log"))
        m = sender.wait_for(r"HTTP-FETCHED bytes=(\d+) start=([\d.]+) end=([\d.]+)", 300)
        if int(m.group(1)) != MIB << 20:
            raise RuntimeError(f"{engine}: fetched {m.group(1)} bytes, not {MIB} MiB")
        return {"net tcp": MIB / (float(m.group(3)) - float(m.group(2)))}
    finally:
        for g in (sender, receiver):
            if g:
                g.stop()
        if switch:
            switch.kill()
            switch.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--guest", default=os.environ.get("VIRTD_GUEST_DIR", DEFAULT_GUEST))
    ap.add_argument("--vmm", default=os.path.join(BUILD, "drivers", "kvm", "vmm", "virtd-vmm"))
    ap.add_argument("--switch", default=os.path.join(BUILD, "network", "virtd-switch"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=["disk", "net"])
    a = ap.parse_args()
    if not os.path.exists(a.guest + "/Image"):
        print(f"bench/io: no guest in {a.guest} (guest/build.sh makes one)")
        return 1
    tmp = tempfile.mkdtemp(prefix="virtd-iobench-")
    try:
        a.initrd = os.path.join(tmp, "initramfs.cpio.gz")
        subprocess.run([os.path.join(TOP, "guest", "repack.sh"),
                        a.guest + "/initramfs.cpio.gz", a.initrd], check=True)
        results = {"qemu": {}, "virtd-vmm": {}}
        for r in range(a.runs):
            for engine in ("qemu", "virtd-vmm"):
                figures = {}
                if a.only in (None, "disk"):
                    figures.update(disk_run(engine, a, tmp))
                if a.only in (None, "net"):
                    figures.update(net_run(engine, a, tmp, 20000 + os.getpid() % 20000 + r))
                for k, v in figures.items():
                    results[engine].setdefault(k, []).append(v)
                print(f"run {r + 1} {engine}: " +
                      ", ".join(f"{k} {v:.1f} MiB/s" for k, v in figures.items()), flush=True)
        print()
        print(f"{'metric':12} | {'unit':5} | {'qemu':>8} | {'virtd-vmm':>9} | {'ratio':>6}")
        print("-" * 52)
        for key in results["qemu"]:
            q = statistics.median(results["qemu"][key])
            v = statistics.median(results["virtd-vmm"][key])
            print(f"{key:12} | MiB/s | {q:8.1f} | {v:9.1f} | {v / q:5.2f}x")
        print("(medians; ratio > 1 means virtd-vmm moves more per second)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
