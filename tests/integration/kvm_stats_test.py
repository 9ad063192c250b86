#!/usr/bin/python3
"""Statistics and capabilities of a real guest on kvm:///system, with stock virsh.

The daemon runs with a private --state; a riscv64 guest (the shared kernel, the project's
initramfs, a raw disk the guest mounts with disk=1, a NIC on the 'default' network, which the
driver serves with its own userspace switch, a virtio balloon and a serial console) is defined
and started with virsh. Once the console says GUEST-READY: dommemstat (actual, rss, then the
guest's own figures), domblkstat (the guest read its disk), domifstat, domstats, capabilities
and domcapabilities. Then destroy and undefine; the daemon and the switch are stopped by pid.

usage: kvm_stats_test.py VIRTD
Needs the prebuilt guest in VIRTD_GUEST_DIR and virsh (skips with the reason otherwise).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
VIRTD = sys.argv[1]
GUEST = os.environ.get("VIRTD_GUEST_DIR", "")
NAME = "statsvm"
MAC = "52:54:00:5a:00:01"
FAILS = []


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def check(desc, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + desc, flush=True)
    if not ok:
        FAILS.append(desc)
        if detail:
            print(detail)


def virsh(uri, *args, ok=True):
    r = subprocess.run(["virsh", "-c", uri, *args], capture_output=True, text=True, timeout=120)
    if ok and r.returncode != 0:
        print(f"virsh {' '.join(args)}: {r.stderr.strip()}")
    return r


def stats_of(text):
    """'name value' lines (dommemstat) or 'dev name value' lines (domblkstat) as a dict."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[-1].lstrip("-").isdigit():
            out[parts[-2]] = int(parts[-1])
    return out


def wait_for(path, pattern, seconds):
    end = time.time() + seconds
    while time.time() < end:
        try:
            with open(path, "rb") as f:
                if re.search(pattern, f.read().decode(errors="replace")):
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.5)
    return False


def stop_pid_file(path):
    try:
        with open(path) as f:
            pid = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main():
    if not GUEST or not os.path.exists(os.path.join(GUEST, "Image")):
        skip(f"no prebuilt guest in VIRTD_GUEST_DIR='{GUEST}' (guest/build.sh makes one)")
    if not shutil.which("virsh"):
        skip("virsh not installed (Debian package libvirt-clients)")
    tmp = tempfile.mkdtemp(prefix="virtd-kvmstats-")
    state = os.path.join(tmp, "state")
    daemon = None
    uri = f"kvm+unix:///system?socket={state}/run/virtd-sock"
    try:
        initrd = os.path.join(tmp, "initramfs.cpio.gz")
        subprocess.run([os.path.join(TOP, "guest", "repack.sh"),
                        os.path.join(GUEST, "initramfs.cpio.gz"), initrd], check=True)
        disk = os.path.join(tmp, "disk.raw")
        subprocess.run(f"gzip -dc '{GUEST}/disk.ext4.gz' > '{disk}'", shell=True, check=True)
        with open(os.path.join(tmp, "virtd.log"), "wb") as log:
            daemon = subprocess.Popen([VIRTD, "--state", state], stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT)
        for _ in range(200):
            if os.path.exists(f"{state}/run/virtd-sock"):
                break
            time.sleep(0.05)
        # The NIC's network, defined and started as a libvirt host has its 'default'.
        net = os.path.join(tmp, "default.xml")
        with open(net, "w") as f:
            f.write("<network><name>default</name></network>")
        check("net-define default", virsh(uri, "net-define", net).returncode == 0)
        check("net-start default", virsh(uri, "net-start", "default").returncode == 0)
        xml = os.path.join(tmp, "dom.xml")
        with open(xml, "w") as f:
            f.write(f"""<domain type='kvm'>
  <name>{NAME}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='riscv64' machine='virt'>hvm</type>
    <kernel>{GUEST}/Image</kernel>
    <initrd>{initrd}</initrd>
    <cmdline>console=ttyS0 disk=1</cmdline>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='{MAC}'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='virtio'><stats period='1'/></memballoon>
  </devices>
</domain>
""")
        check("define", virsh(uri, "define", xml).returncode == 0)
        r = virsh(uri, "start", NAME)
        check("start", r.returncode == 0, r.stderr)
        if r.returncode != 0:
            return
        console = f"{state}/run/kvm/{NAME}/console.log"
        ready = wait_for(console, r"GUEST-READY", 240)
        check("guest is ready", ready, open(console, errors="replace").read()[-2000:]
              if os.path.exists(console) else "no console log")
        if not ready:
            return

        mem = stats_of(virsh(uri, "dommemstat", NAME).stdout)
        check("dommemstat: actual is the balloon (256 MiB)", mem.get("actual") == 262144, mem)
        check("dommemstat: rss of the VMM", mem.get("rss", 0) > 1024, mem)
        # The guest's own figures arrive with its balloon stats (period 1 s).
        for _ in range(30):
            mem = stats_of(virsh(uri, "dommemstat", NAME).stdout)
            if "unused" in mem and "available" in mem:
                break
            time.sleep(1)
        check("dommemstat: the guest's unused and available",
              0 < mem.get("unused", 0) <= mem.get("available", 0) <= 262144, mem)

        wait_for(console, r"DISK-OK", 60)
        blk = stats_of(virsh(uri, "domblkstat", NAME, "vda").stdout)
        check("domblkstat vda: the guest read its disk",
              blk.get("rd_req", 0) > 0 and blk.get("rd_bytes", 0) > 0, blk)
        r = virsh(uri, "domifstat", NAME, MAC)
        net = stats_of(r.stdout)
        check("domifstat by MAC", r.returncode == 0 and "rx_bytes" in net and "tx_packets" in net,
              r.stdout + r.stderr)

        r = virsh(uri, "domstats", NAME)
        fields = dict(line.strip().split("=", 1) for line in r.stdout.splitlines()
                      if "=" in line)
        want = ["state.state", "state.reason", "cpu.time", "cpu.user", "cpu.system", "balloon.current", "balloon.maximum",
                "balloon.rss", "vcpu.current", "vcpu.maximum", "vcpu.0.state", "vcpu.0.time",
                "net.count", "net.0.name", "net.0.rx.bytes", "net.0.tx.pkts", "block.count",
                "block.0.name", "block.0.path", "block.0.rd.reqs", "block.0.rd.bytes"]
        missing = [w for w in want if w not in fields]
        check("domstats has every group", r.returncode == 0 and not missing,
              f"missing {missing}\n{r.stdout}{r.stderr}")
        check("domstats: running, disk vda with reads",
              fields.get("state.state") == "1" and fields.get("block.0.name") == "vda"
              and int(fields.get("block.0.rd.reqs", "0")) > 0, fields)

        r = virsh(uri, "domstate", "--reason", NAME)
        check("domstate --reason", r.stdout.strip() == "running (booted)", r.stdout + r.stderr)
        r = virsh(uri, "dominfo", NAME)
        check("dominfo: running, no managed save",
              re.search(r"^State: +running$", r.stdout, re.M) is not None
              and re.search(r"^Managed save: +no$", r.stdout, re.M) is not None,
              r.stdout + r.stderr)

        r = virsh(uri, "cpu-stats", "--total", NAME)
        check("cpu-stats --total: cpu_time, user_time, system_time",
              r.returncode == 0 and all(f in r.stdout for f in
                                        ("cpu_time", "user_time", "system_time")),
              r.stdout + r.stderr)

        r = virsh(uri, "capabilities")
        check("capabilities: riscv64 guest run by virtd-vmm",
              "<arch name='riscv64'>" in r.stdout and "virtd-vmm</emulator>" in r.stdout
              and re.search(r"<domain type='kvm' ?/>", r.stdout) is not None, r.stdout)
        r = virsh(uri, "domcapabilities")
        check("domcapabilities: virt, riscv64",
              "<machine>virt</machine>" in r.stdout and "<arch>riscv64</arch>" in r.stdout,
              r.stdout + r.stderr)
        r = virsh(uri, "domcapabilities", "--machine", "pc", ok=False)
        check("domcapabilities --machine pc is refused",
              r.returncode != 0 and "not supported" in r.stderr, r.stderr)

        check("destroy", virsh(uri, "destroy", NAME).returncode == 0)
        check("undefine", virsh(uri, "undefine", NAME).returncode == 0)
    finally:
        if daemon:
            if daemon.poll() is None:
                daemon.terminate()
                try:
                    daemon.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait()
        # The guest (if destroy failed) and the switch outlive the daemon by design.
        stop_pid_file(f"{state}/run/kvm/{NAME}/vmm.pid")
        stop_pid_file(f"{state}/run/kvm/switch/default.pid")
        if FAILS and os.path.exists(os.path.join(tmp, "virtd.log")):
            print(open(os.path.join(tmp, "virtd.log"), errors="replace").read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)


main()
sys.exit(1 if FAILS else 0)
