#!/usr/bin/python3
"""bench/boot: the shared riscv64 guest booted by virtd-vmm and by qemu-system-riscv64 -M virt,
runs alternating, same kernel and initramfs, one table with both and the ratio.

For each engine: wall time from launch to GUEST-BOOTED and GUEST-READY (halt=1 boots), the
guest's own timings of the bench=1 workloads, and the host CPU the engine burns while the guest
sits idle at its shell. Figures are printed, never asserted.
"""
import argparse
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
DEFAULT_GUEST = os.path.join(os.path.dirname(TOP), "shared", "guest")
DEFAULT_VMM = os.path.join(TOP, "build", "drivers", "kvm", "vmm", "virtd-vmm")

# DESIGN.md section 7 anchors (QEMU TCG on these machines), for the reader's orientation.
ANCHORS = {"GUEST-READY": "~0.5 s", "shell loop": "3.2 s", "md5sum": "1.5 s"}
# The in-guest workloads: what init prints before each `time`, and the name we report.
WORKLOADS = [("shell-loop", "shell loop"), ("md5sum", "md5sum"), ("gzip", "gzip"),
             ("sha256sum", "sha256sum")]
# Targets of this stage: boot within 2x of QEMU, workloads within 3x.
TARGETS = {"boot": 2.0, "workload": 3.0}


def command(engine, args, append):
    cmdline = ("console=ttyS0 " + append).strip()
    if engine == "qemu":
        return ["qemu-system-riscv64", "-M", "virt", "-smp", str(args.smp), "-m", args.memory,
                "-nographic", "-bios", "default", "-kernel", args.kernel, "-initrd", args.initrd,
                "-append", cmdline]
    return [args.vmm, "--kernel", args.kernel, "--initrd", args.initrd, "--append", cmdline,
            "--memory", args.memory, "--smp", str(args.smp), "--console", "stdio"]


def cpu_seconds(pid):
    """utime + stime of a running process, from /proc (children excluded)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Run:
    """One guest run: the engine's process, its console lines with the host time they arrived."""

    def __init__(self, cmd, timeout):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.deadline = self.t0 + timeout
        self.lines = []
        self.marks = {}
        self._buf = b""

    def pump(self, until_mark=None, seconds=None):
        """Reads console output until `until_mark` is seen, `seconds` pass, or the process ends."""
        stop_at = time.monotonic() + seconds if seconds is not None else self.deadline
        fd = self.proc.stdout.fileno()
        while time.monotonic() < min(stop_at, self.deadline):
            if until_mark and until_mark in self.marks:
                return True
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                if self.proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            now = time.monotonic() - self.t0
            self._buf += chunk
            while b"\n" in self._buf:
                raw, self._buf = self._buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").rstrip("\r")
                self.lines.append(line)
                for mark in ("GUEST-BOOTED", "GUEST-READY"):
                    if mark in line and mark not in self.marks:
                        self.marks[mark] = now
        return until_mark is None or until_mark in self.marks

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def parse_workloads(lines):
    """{name: seconds} from init's `== BENCH <name>...` lines and busybox time's `real XmY.YYs`."""
    out, current = {}, None
    for line in lines:
        m = re.match(r"== BENCH (\S+)", line)
        if m:
            current = next((name for key, name in WORKLOADS if key in line), None)
            continue
        m = re.match(r"real\s+(\d+)m\s*([\d.]+)s", line)
        if m and current:
            out[current] = int(m.group(1)) * 60 + float(m.group(2))
            current = None
    return out


def measure(engine, args):
    """One round for one engine: a boot, a bench boot and an idle run."""
    figures = {}
    run = Run(command(engine, args, "halt=1"), args.timeout)
    run.pump()
    run.stop()
    for mark in ("GUEST-BOOTED", "GUEST-READY"):
        if mark in run.marks:
            figures[mark] = run.marks[mark]
    if "GUEST-READY" not in run.marks:
        figures["error"] = "no GUEST-READY; last lines: " + " | ".join(run.lines[-3:])
        return figures
    if args.workloads:
        run = Run(command(engine, args, "bench=1 halt=1"), args.timeout)
        run.pump()
        run.stop()
        figures.update(parse_workloads(run.lines))
    if args.idle_seconds > 0:
        run = Run(command(engine, args, ""), args.timeout)
        if run.pump(until_mark="GUEST-READY"):
            run.pump(seconds=1.0)  # let the shell settle
            before = cpu_seconds(run.proc.pid)
            run.pump(seconds=args.idle_seconds)
            figures["idle CPU"] = (cpu_seconds(run.proc.pid) - before) / args.idle_seconds
        run.stop()
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--guest", default=os.environ.get("VIRTD_GUEST_DIR", DEFAULT_GUEST),
                    help="the folder with Image and initramfs.cpio.gz")
    ap.add_argument("--vmm", default=DEFAULT_VMM, help="the virtd-vmm binary")
    ap.add_argument("--qemu-only", action="store_true", help="measure QEMU alone")
    ap.add_argument("--runs", type=int, default=3, help="rounds, engines taking turns (medians)")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--no-workloads", dest="workloads", action="store_false",
                    help="skip the bench=1 boots")
    ap.add_argument("--idle-seconds", type=float, default=10.0,
                    help="how long to sample host CPU at the idle shell (0: skip)")
    ap.add_argument("--timeout", type=float, default=300.0, help="per run")
    args = ap.parse_args()
    args.kernel = os.path.join(args.guest, "Image")
    args.initrd = os.path.join(args.guest, "initramfs.cpio.gz")
    for path in (args.kernel, args.initrd):
        if not os.path.exists(path):
            sys.exit(f"bench/boot: {path} is missing (set --guest or VIRTD_GUEST_DIR)")
    engines = ["qemu"]
    missing_vmm = None
    if not args.qemu_only:
        if os.access(args.vmm, os.X_OK):
            engines.append("virtd-vmm")
        else:
            missing_vmm = f"virtd-vmm is not built yet ({args.vmm} is missing): QEMU alone"
            print(missing_vmm)

    results = {e: [] for e in engines}
    for r in range(args.runs):
        for engine in engines:
            print(f"round {r + 1}/{args.runs}: {engine} ...", flush=True)
            results[engine].append(measure(engine, args))

    def median(engine, key):
        values = [f[key] for f in results.get(engine, []) if key in f]
        return statistics.median(values) if values else None

    rows = [("GUEST-BOOTED", "s", "boot"), ("GUEST-READY", "s", "boot")]
    rows += [(name, "s", "workload") for _, name in WORKLOADS]
    rows += [("idle CPU", "cores", None)]
    print()
    print(f"{'metric':14} | {'unit':5} | {'qemu':>8} | {'virtd-vmm':>9} | {'ratio':>6} | "
          f"target / anchor")
    print("-" * 15 + "+" + "-" * 7 + "+" + "-" * 10 + "+" + "-" * 11 + "+" + "-" * 8 + "+" +
          "-" * 20)
    for key, unit, kind in rows:
        q, v = median("qemu", key), median("virtd-vmm", key)
        qs = f"{q:8.3f}" if q is not None else f"{'-':>8}"
        vs = f"{v:9.3f}" if v is not None else f"{'-':>9}"
        ratio = f"{q / v:5.2f}x" if q and v else f"{'-':>6}"
        note = ""
        if kind and v is not None and q:
            limit = TARGETS[kind]
            note = f"within {limit:g}x of QEMU: {'met' if v <= q * limit else 'MISSED'}"
        if key in ANCHORS:
            note = (note + "; " if note else "") + f"anchor {ANCHORS[key]}"
        print(f"{key:14} | {unit:5} | {qs} | {vs} | {ratio} | {note}")
    for engine in engines:
        for f in results[engine]:
            if "error" in f:
                print(f"{engine}: {f['error']}")
    print(f"\nmedians of {args.runs} round(s), --smp {args.smp}, --memory {args.memory}; "
          "ratio > 1 means virtd-vmm is faster (or burns less CPU idle).")
    if missing_vmm:
        print(missing_vmm)


if __name__ == "__main__":
    main()
