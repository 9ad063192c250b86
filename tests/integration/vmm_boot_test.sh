#!/bin/sh
# virtd-vmm boots the shared riscv64 Linux guest: to GUEST-READY and a clean power off (exit 0)
# on 1 and 2 vCPUs, both harts online, a shell on a pty that answers a typed command, an idle
# guest that leaves the host CPU alone, and clear errors for bad images.
# usage: vmm_boot_test.sh VIRTD_VMM
set -u
vmm=$1
guest=${VIRTD_GUEST_DIR:-}
if [ -z "$guest" ] || [ ! -f "$guest/Image" ] || [ ! -f "$guest/initramfs.cpio.gz" ]; then
    echo "SKIP: no prebuilt guest in VIRTD_GUEST_DIR='$guest' (guest/build.sh makes one)"
    exit 77
fi
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
check() {
    desc=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then echo "ok: $desc"; else
        echo "FAIL: $desc"
        tail -20 "$tmp/out"
        fails=$((fails + 1))
    fi
}
check "1 vCPU: GUEST-READY, then power off with exit 0" sh -c "
    out=\$(timeout 120 '$vmm' --kernel '$guest/Image' --initrd '$guest/initramfs.cpio.gz' \
        --append 'console=ttyS0 halt=1' </dev/null 2>&1); rc=\$?
    echo \"\$out\" | tail -5; [ \$rc -eq 0 ] && echo \"\$out\" | grep -q GUEST-READY"
check "2 vCPUs: both harts online, GUEST-READY, exit 0" sh -c "
    out=\$(timeout 120 '$vmm' --kernel '$guest/Image' --initrd '$guest/initramfs.cpio.gz' --smp 2 \
        --append 'console=ttyS0 devs=1 halt=1' </dev/null 2>&1); rc=\$?
    echo \"\$out\" | grep -E 'cpus online|GUEST|smp:'; [ \$rc -eq 0 ] &&
    echo \"\$out\" | grep -q 'cpus online: 0-1' && echo \"\$out\" | grep -q GUEST-READY"
check "a missing kernel is named" sh -c "'$vmm' --kernel '$tmp/nope' 2>&1 | grep -q \"nope\" && ! '$vmm' --kernel '$tmp/nope' 2>/dev/null"
check "an initrd given as the kernel is refused by name" sh -c "'$vmm' --kernel '$guest/initramfs.cpio.gz' 2>&1 | grep -q 'not a RISC-V Linux Image'"

# The shell on a pty: type a command, read its answer, watch the idle guest's CPU, power off.
cat >"$tmp/pty.py" <<'PY'
import os, re, select, subprocess, sys, time
vmm, guest = sys.argv[1], sys.argv[2]
p = subprocess.Popen([vmm, "--kernel", guest + "/Image", "--initrd", guest + "/initramfs.cpio.gz",
                      "--append", "console=ttyS0", "--console", "pty"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
print("pid", p.pid, flush=True)
line = p.stderr.readline().decode()
m = re.search(r"console on (\S+)", line)
assert m, "no pty announced: " + line
fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
seen = b""
def wait_for(pattern, seconds):
    global seen
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            seen += os.read(fd, 4096)
            if re.search(pattern, seen):
                return True
    return False
assert wait_for(rb"GUEST-READY", 120), seen[-300:]
time.sleep(1)
os.write(fd, b"echo answer-$((6*7))\r")
assert wait_for(rb"answer-42", 30), seen[-300:]
print("the shell answered", flush=True)
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
before = cpu(p.pid)
time.sleep(5)
used = cpu(p.pid) - before
print(f"idle guest: {used:.2f} s of host CPU in 5 s", flush=True)
assert used < 1.0, "an idle guest keeps a host core busy (WFI should sleep)"
os.write(fd, b"poweroff -f\r")
rc = p.wait(timeout=30)
assert rc == 0, rc
print("powered off, exit 0")
PY
check "a shell on the pty answers, the idle guest sleeps, poweroff exits 0" /usr/bin/python3 "$tmp/pty.py" "$vmm" "$guest"
echo "$fails failures"
[ $fails -eq 0 ]
