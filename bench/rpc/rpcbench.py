#!/usr/bin/python3
"""rpcbench: virtd's management plane next to libvirtd 9.0's test driver, in one run.

Both daemons are driven by the same python3-libvirt client code over TCP on 127.0.0.1, one after
the other, each with a "holder" connection kept open for its whole run (libvirt's test driver
throws its state away when its last connection closes). Every measurement runs in separate worker
processes of this script (`--worker MODE`), so the orchestrator's own CPU stays out of the figures.

Run it through bench/rpc/run, which installs what is missing and builds virtd.
"""
import argparse
import ctypes
import importlib.util
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NOBODY = 65534
PR_SET_PDEATHSIG = 1

# A small persistent domain. The test driver only accepts its own domain type ("test"); virtd's
# mock driver takes "kvm". Everything else is the same.
DOMAIN_XML = """<domain type='{type}'>
  <name>{name}</name>
  <memory unit='KiB'>65536</memory>
  <vcpu>1</vcpu>
  <os>
    <type>hvm</type>
  </os>
</domain>
"""
PROBE = "bench-probe"  # the domain looked up by the lookup+info loop
PREFIX = "bench-"      # the 1000 defined domains are bench-00000 ...


# ----------------------------------------------------------------------------------------------
# Worker processes: one libvirt connection each, a start signal on stdin, one JSON line out.

def worker_main(args):
    import libvirt
    # libvirt prints every error to stderr by default; the exceptions carry them anyway.
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    # Ctrl-C reaches the whole process group; the orchestrator stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    mode = args.worker
    conn = None if mode == "openclose" else libvirt.open(args.uri)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    now = time.perf_counter
    cpu0 = time.process_time()
    out = {}
    if mode == "lookup":
        deadline = now() + args.seconds
        n = 0
        start = now()
        while now() < deadline:
            conn.lookupByName(args.name).info()
            n += 1
        out = {"iterations": n, "elapsed": now() - start}
    elif mode == "openclose":
        deadline = now() + args.seconds
        n = 0
        start = now()
        while now() < deadline:
            libvirt.open(args.uri).close()
            n += 1
        out = {"iterations": n, "elapsed": now() - start}
    elif mode == "define":
        xmls = [DOMAIN_XML.format(type=args.domain_type, name=f"{PREFIX}{i:05d}")
                for i in range(args.count)]
        start = now()
        for xml in xmls:
            conn.defineXML(xml)
        out = {"count": args.count, "elapsed": now() - start}
    elif mode == "list":
        times = []
        found = 0
        for _ in range(args.count):
            t = now()
            found = len(conn.listAllDomains())
            times.append(now() - t)
        out = {"times": times, "domains": found}
    elif mode == "undefine":
        names = [f"{PREFIX}{i:05d}" for i in range(args.count)]
        start = now()
        for name in names:
            conn.lookupByName(name).undefine()
        out = {"count": args.count, "elapsed": now() - start}
    # The client's own CPU (python and libvirt's client library) for the measured part.
    out["client_cpu"] = time.process_time() - cpu0
    conn and conn.close()
    print(json.dumps(out), flush=True)
    return 0


# ----------------------------------------------------------------------------------------------
# The orchestrator: daemons, workers, /proc sampling, the table.

def die_with_parent():
    # If the orchestrator is killed outright (SIGKILL), its children must not outlive it.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def proc_cpu_seconds(pid):
    # utime and stime, fields 14 and 15 of /proc/PID/stat (counted after the "(comm)" field).
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_tcp(port, proc, log_path, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited with {proc.returncode} during start-up:\n"
                               + tail(log_path))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"daemon did not listen on 127.0.0.1:{port} in {timeout} s:\n"
                       + tail(log_path))


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_process(proc, name):
    """SIGTERM by pid, then SIGKILL if it has not gone in 10 s. Returns the exit code."""
    if proc is None or proc.poll() is not None:
        return None if proc is None else proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        print(f"rpcbench: {name} (pid {proc.pid}) ignored SIGTERM, killing it", file=sys.stderr)
        proc.kill()
        return proc.wait()


class Daemon:
    """One daemon under test: a private temp dir, a process, a URI."""
    name = ""
    domain_type = ""

    def __init__(self):
        self.tmp = None
        self.proc = None
        self.log = None
        self.uri = None

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        rc = stop_process(self.proc, self.name)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None
        return rc


class Libvirtd(Daemon):
    name = "libvirtd"
    domain_type = "test"

    def __init__(self, binary):
        super().__init__()
        self.binary = binary

    def start(self):
        # A session daemon run as nobody, with every directory private, so that none of its
        # drivers touches the host (research/libvirt-rpc.md, Appendix).
        self.tmp = tempfile.mkdtemp(prefix="rpcbench-libvirtd-")
        os.chmod(self.tmp, 0o755)
        dirs = {k: os.path.join(self.tmp, k)
                for k in ("home", "config", "cache", "runtime", "run")}
        for d in dirs.values():
            os.mkdir(d, 0o700)
            os.chown(d, NOBODY, NOBODY)
        port = free_port()
        conf = os.path.join(self.tmp, "libvirtd.conf")
        self.log = os.path.join(dirs["run"], "libvirtd.log")
        with open(conf, "w") as f:
            f.write(f'listen_tls = 0\nlisten_tcp = 1\nlisten_addr = "127.0.0.1"\n'
                    f'tcp_port = "{port}"\nauth_tcp = "none"\nauth_unix_rw = "none"\n'
                    f'unix_sock_dir = "{dirs["run"]}"\nlog_level = 3\n'
                    f'log_outputs = "3:file:{self.log}"\n')
        env = [f"HOME={dirs['home']}", f"XDG_CONFIG_HOME={dirs['config']}",
               f"XDG_CACHE_HOME={dirs['cache']}", f"XDG_RUNTIME_DIR={dirs['runtime']}",
               "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
               "--pdeathsig=TERM", "env", "-i", *env,
               self.binary, "-l", "-f", conf, "-p", os.path.join(dirs["run"], "libvirtd.pid")]
        stderr_log = os.path.join(self.tmp, "stderr.log")
        with open(stderr_log, "w") as err:
            # setpriv and env exec, so this pid is libvirtd's own.
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                         start_new_session=True)
        wait_tcp(port, self.proc, stderr_log)
        self.uri = f"test+tcp://127.0.0.1:{port}/default"

    def version(self):
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True).stdout
        return out.strip()


class Virtd(Daemon):
    name = "virtd"
    domain_type = "kvm"

    def __init__(self, binary, state_base):
        super().__init__()
        self.binary = binary
        self.state_base = state_base

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="rpcbench-virtd-", dir=self.state_base)
        # tcp_port "0": virtd binds a free port itself and prints it, so there is no race.
        with open(os.path.join(self.tmp, "virtd.conf"), "w") as f:
            f.write('listen_tcp = 1\nauth_tcp = "none"\nlisten_addr = "127.0.0.1"\ntcp_port = "0"\n')
        self.log = os.path.join(self.tmp, "virtd.log")
        with open(self.log, "w") as err:
            self.proc = subprocess.Popen(
                [self.binary, "--state", self.tmp,
                 "--pid-file", os.path.join(self.tmp, "virtd.pid")],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err, start_new_session=True,
                preexec_fn=die_with_parent)
        port = None
        deadline = time.monotonic() + 20
        while port is None and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"virtd exited with {self.proc.returncode}:\n" + tail(self.log))
            for line in open(self.log, errors="replace"):
                if line.startswith("virtd: listening on tcp 127.0.0.1:"):
                    port = int(line.rsplit(":", 1)[1])
            time.sleep(0.02)
        if port is None:
            raise RuntimeError("virtd did not report its TCP port:\n" + tail(self.log))
        wait_tcp(port, self.proc, self.log)
        self.uri = f"mock+tcp://127.0.0.1:{port}/default"

    def version(self):
        return f"{self.binary} ({build_type(self.binary)} build)"


def build_type(binary):
    # A meson build dir knows its buildtype; the binary sits in BUILD/virtd/virtd.
    info = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(binary))),
                        "meson-info", "intro-buildoptions.json")
    try:
        with open(info) as f:
            return next(o["value"] for o in json.load(f) if o["name"] == "buildtype")
    except (OSError, ValueError, StopIteration):
        return "unknown"


class Workers:
    """Worker processes of this script, started together and released together."""
    live = []  # every worker still running, so that cleanup can stop it

    def __init__(self, uri, mode, n=1, **kw):
        self.procs = []
        for _ in range(n):
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", mode, "--uri", uri]
            for k, v in kw.items():
                cmd += [f"--{k.replace('_', '-')}", str(v)]
            p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
            Workers.live.append(p)
            self.procs.append(p)
        for p in self.procs:
            self._expect(p, "ready")

    def _expect(self, p, what):
        line = p.stdout.readline()
        if not line or (what and line.strip() != what):
            p.wait()
            raise RuntimeError(f"worker {p.args[3]} failed:\n{p.stderr.read()}")
        return line

    def run(self):
        """Releases them all at once; returns their results."""
        for p in self.procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [json.loads(self._expect(p, None)) for p in self.procs]
        for p in self.procs:
            p.wait()
            Workers.live.remove(p)
        return results

    @staticmethod
    def stop_all():
        for p in list(Workers.live):
            stop_process(p, "worker")
            Workers.live.remove(p)


def measure_define(daemon, opts):
    """defineXML/s alone, on a daemon of its own, then undefines them."""
    res, = Workers(daemon.uri, "define", count=opts.domains, domain_type=daemon.domain_type).run()
    Workers(daemon.uri, "undefine", count=opts.domains).run()
    return res["count"] / res["elapsed"]


def measure(daemon, opts, say):
    """Every figure for one daemon. The daemon is running; returns a dict of metrics."""
    import libvirt
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    m = {}
    pid = daemon.pid
    time.sleep(0.2)  # let start-up work settle before the idle figure
    m["rss_idle"] = proc_status_kb(pid, "VmRSS") / 1024
    cpu_start = proc_cpu_seconds(pid)

    holder = libvirt.open(daemon.uri)
    try:
        holder.defineXML(DOMAIN_XML.format(type=daemon.domain_type, name=PROBE))

        def timed(workers):
            c0 = proc_cpu_seconds(pid)
            results = workers.run()
            return results, proc_cpu_seconds(pid) - c0

        for clients in (1, 4):
            say(f"lookupByName+info, {clients} client(s), {opts.seconds:g} s")
            res, cpu = timed(Workers(daemon.uri, "lookup", clients, seconds=opts.seconds,
                                     name=PROBE))
            calls = sum(2 * r["iterations"] for r in res)
            m[f"lookup{clients}"] = sum(2 * r["iterations"] / r["elapsed"] for r in res)
            m[f"lookup{clients}_cpu_us"] = cpu / calls * 1e6
            m[f"lookup{clients}_cpu_pct"] = cpu / max(r["elapsed"] for r in res) * 100
            m[f"lookup{clients}_client_us"] = sum(r["client_cpu"] for r in res) / calls * 1e6

        say(f"defineXML x {opts.domains}, 1 client")
        (res,), cpu = timed(Workers(daemon.uri, "define", count=opts.domains,
                                    domain_type=daemon.domain_type))
        m["define"] = res["count"] / res["elapsed"]
        m["define_cpu_us"] = cpu / res["count"] * 1e6
        m["define_client_us"] = res["client_cpu"] / res["count"] * 1e6

        say(f"listAllDomains x {opts.list_reps}")
        (res,), _ = timed(Workers(daemon.uri, "list", count=opts.list_reps))
        m["list_best"] = min(res["times"]) * 1e3
        m["list_median"] = statistics.median(res["times"]) * 1e3
        m["list_domains"] = res["domains"]
        m["rss_domains"] = proc_status_kb(pid, "VmRSS") / 1024

        say(f"open+close, 1 client, {opts.open_seconds:g} s")
        (res,), cpu = timed(Workers(daemon.uri, "openclose", seconds=opts.open_seconds))
        m["openclose"] = res["iterations"] / res["elapsed"]
        m["openclose_cpu_us"] = cpu / res["iterations"] * 1e6
        m["openclose_client_us"] = res["client_cpu"] / res["iterations"] * 1e6

        say(f"undefine x {opts.domains}, 1 client")
        (res,), _ = timed(Workers(daemon.uri, "undefine", count=opts.domains))
        m["undefine"] = res["count"] / res["elapsed"]
        holder.lookupByName(PROBE).undefine()
        left = len(holder.listAllDomains())
        m["left_after"] = left
    finally:
        holder.close()
    m["cpu_total"] = proc_cpu_seconds(pid) - cpu_start
    m["rss_peak"] = proc_status_kb(pid, "VmHWM") / 1024
    return m


# (key, label, unit, higher is better, target for virtd). Targets: "2x" = virtd at least twice
# libvirtd; ("<", v) = virtd's own figure below v. DESIGN.md §7 and the brief set them.
ROWS = [
    ("lookup1", "lookupByName+info, 1 client", "calls/s", True, "2x"),
    ("lookup4", "lookupByName+info, 4 clients (aggregate)", "calls/s", True, "2x"),
    ("lookup1_cpu_us", "  daemon CPU per call, 1 client", "µs", False, None),
    ("lookup1_cpu_pct", "  daemon CPU, 1 client", "% core", False, None),
    ("lookup1_client_us", "  client CPU per call, 1 client", "µs", False, None),
    ("lookup4_cpu_us", "  daemon CPU per call, 4 clients", "µs", False, None),
    ("define", "defineXML, 1 client", "/s", True, None),
    ("define_tmpfs", "  defineXML, virtd's state dir on tmpfs", "/s", True, None),
    ("define_cpu_us", "  daemon CPU per define", "µs", False, None),
    ("define_client_us", "  client CPU per define", "µs", False, None),
    ("list_best", "listAllDomains, best", "ms", False, ("<", 3.0)),
    ("list_median", "listAllDomains, median", "ms", False, ("<", 3.0)),
    ("openclose", "open+close, 1 client", "/s", True, "2x"),
    ("openclose_cpu_us", "  daemon CPU per open+close", "µs", False, None),
    ("openclose_client_us", "  client CPU per open+close", "µs", False, None),
    ("undefine", "lookupByName+undefine, 1 client", "/s", True, None),
    ("rss_idle", "RSS idle after start", "MB", False, None),
    ("rss_domains", "RSS with the domains defined", "MB", False, None),
    ("rss_peak", "RSS peak (VmHWM)", "MB", False, None),
    ("cpu_total", "daemon CPU for the whole run", "s", False, None),
]


def fmt_value(v):
    if v is None:
        return "n/a"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def print_table(results, opts):
    lv, vd = results.get("libvirtd"), results.get("virtd")
    header = ["metric", "unit", "libvirtd", "virtd", "ratio", "target"]
    rows = []
    for key, label, unit, higher, target in ROWS:
        a = lv.get(key) if lv else None
        if key == "define_tmpfs" and lv:
            a = lv.get("define")  # the test driver is memory-only either way
        b = vd.get(key) if vd else None
        ratio = "n/a"
        if a is not None and b is not None and a > 0 and b > 0:
            ratio = f"{(b / a) if higher else (a / b):.2f}x"
        tgt = ""
        if target == "2x":
            if a is None or b is None:
                tgt = "virtd >= 2x (no baseline)"
            else:
                tgt = "virtd >= 2x: " + ("met" if (b / a if higher else a / b) >= 2 else "MISSED")
        elif target:
            op, limit = target
            tgt = f"virtd {op} {limit:g} {unit}: " + (
                "n/a" if b is None else ("met" if b < limit else "MISSED"))
        rows.append([label, unit, fmt_value(a), fmt_value(b), ratio, tgt])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    right = {2, 3, 4}

    def line(r):
        return " | ".join(c.rjust(w) if i in right else c.ljust(w)
                          for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    if lv is None and not opts.virtd_only:
        print(f"\n*** no libvirtd baseline: {opts.libvirtd} is missing "
              "(apt-get install libvirt-daemon) ***")
    seen = ", ".join(f"{name} {m['list_domains']:.0f}" for name, m in results.items())
    print(f"\nmedians of {opts.rounds} round(s). ratio: > 1 means virtd is better (faster, or "
          "smaller for ms, µs, MB and s).")
    print(f"calls/s counts 2 calls per lookupByName+info. {opts.domains} domains defined; "
          f"listAllDomains saw {seen} (with the probe domain, and the test driver's own 'test'); "
          f"best/median of {opts.list_reps}.\n"
          "client CPU is the python3-libvirt worker's own; RSS figures are the kernel's batched "
          "counters (off by up to a few hundred KB,\nso the peak can read below an RSS sample).")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench/rpc/run", description="virtd's management plane next to libvirtd 9.0's test driver.")
    p.add_argument("--virtd", help="the virtd binary")
    p.add_argument("--virtd-only", action="store_true", help="skip libvirtd")
    p.add_argument("--libvirtd", default="/usr/sbin/libvirtd",
                   help="the libvirtd binary (default %(default)s, Debian's libvirt-daemon)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run of a few seconds (short loops, 100 domains)")
    p.add_argument("--seconds", type=float, help="duration of each lookup+info run (default 4)")
    p.add_argument("--open-seconds", type=float, help="duration of the open+close run (default 2)")
    p.add_argument("--domains", type=int, help="domains to define (default 1000)")
    p.add_argument("--list-reps", type=int, help="listAllDomains repetitions (default 20)")
    p.add_argument("--rounds", type=int,
                   help="rounds, daemons taking turns; the table has medians (default 3)")
    p.add_argument("--state-dir", default=None,
                   help="where virtd's state dir goes (default: $TMPDIR or /tmp); virtd writes "
                        "and fsyncs each definition there, the test driver keeps them in memory")
    p.add_argument("--json", help="also write the figures to this file")
    # Worker mode (internal).
    p.add_argument("--worker", choices=["lookup", "openclose", "define", "list", "undefine"],
                   help=argparse.SUPPRESS)
    p.add_argument("--uri", help=argparse.SUPPRESS)
    p.add_argument("--name", help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, help=argparse.SUPPRESS)
    p.add_argument("--domain-type", help=argparse.SUPPRESS)
    o = p.parse_args(argv)
    quick = {"seconds": 0.5, "open_seconds": 0.5, "domains": 100, "list_reps": 5, "rounds": 1}
    full = {"seconds": 4.0, "open_seconds": 2.0, "domains": 1000, "list_reps": 20, "rounds": 3}
    for k, v in (quick if o.quick else full).items():
        if getattr(o, k) is None:
            setattr(o, k, v)
    return o


def fs_type(path):
    out = subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def main(argv):
    opts = parse_args(argv)
    if opts.worker:
        return worker_main(opts)
    if importlib.util.find_spec("libvirt") is None:
        print("rpcbench: python3-libvirt is not installed (apt-get install python3-libvirt)",
              file=sys.stderr)
        return 1
    if not opts.virtd or not os.access(opts.virtd, os.X_OK):
        print(f"rpcbench: no virtd binary at {opts.virtd!r} (--virtd)", file=sys.stderr)
        return 1

    # Ctrl-C and SIGTERM unwind through the finally below, which stops everything started here.
    # SIGINT explicitly too: a shell starts background jobs with it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signo, _: sys.exit(128 + signo))
    daemons = []
    if opts.virtd_only:
        pass
    elif os.access(opts.libvirtd, os.X_OK):
        daemons.append(Libvirtd(opts.libvirtd))
    else:
        print(f"rpcbench: *** {opts.libvirtd} is missing (Debian package libvirt-daemon): "
              "no libvirtd baseline in this run, virtd only ***", file=sys.stderr)
    state_base = opts.state_dir or tempfile.gettempdir()
    daemons.append(Virtd(opts.virtd, state_base))

    load0 = os.getloadavg()
    print(f"rpcbench: {os.cpu_count()} CPUs, load average {load0[0]:.2f}; "
          f"virtd state dir on {fs_type(state_base)} ({state_base})")
    rounds = {d.name: [] for d in daemons}
    tmpfs_base = None
    if fs_type(state_base) != "tmpfs" and fs_type("/dev/shm") == "tmpfs":
        tmpfs_base = "/dev/shm"
    extra = []  # the tmpfs virtd, while it runs
    try:
        # The daemons take turns, a fresh start each round, so that a burst of load from
        # elsewhere on the machine does not land on one of them only.
        for r in range(opts.rounds):
            for d in daemons:
                def say(what, d=d):
                    print(f"  {d.name}: {what}", flush=True)
                d.start()
                print(f"round {r + 1}/{opts.rounds}: {d.name}: {d.version()}, pid {d.pid}, "
                      f"{d.uri}", flush=True)
                m = measure(d, opts, say)
                rc = d.stop()
                if rc not in (0, -signal.SIGTERM):
                    print(f"rpcbench: {d.name} exited with {rc} when stopped", file=sys.stderr)
                if isinstance(d, Virtd) and tmpfs_base:
                    # virtd writes and fsyncs every definition; the test driver keeps them in
                    # memory. The same defines with virtd's state on tmpfs separate the two.
                    say(f"defineXML x {opts.domains}, 1 client, state dir on tmpfs")
                    shm = Virtd(opts.virtd, tmpfs_base)
                    extra.append(shm)  # so that cleanup stops it too
                    shm.start()
                    m["define_tmpfs"] = measure_define(shm, opts)
                    shm.stop()
                    extra.remove(shm)
                rounds[d.name].append(m)
    finally:
        # No second Ctrl-C halfway through cleaning up.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        Workers.stop_all()
        for d in daemons + extra:
            d.stop()
    load1 = os.getloadavg()
    print(f"\nload average {load0[0]:.2f} before, {load1[0]:.2f} after\n")
    results = {name: {k: statistics.median(m[k] for m in ms if k in m) for k in ms[0]}
               for name, ms in rounds.items()}
    print_table(results, opts)
    for name, ms in rounds.items():
        left = max(m["left_after"] for m in ms)
        if left != (1 if name == "libvirtd" else 0):
            print(f"rpcbench: {name} still had {left} domains after undefine", file=sys.stderr)
            return 1
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"median": results, "rounds": rounds}, f, indent=2)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("rpcbench: interrupted; daemons stopped", file=sys.stderr)
        sys.exit(130)
