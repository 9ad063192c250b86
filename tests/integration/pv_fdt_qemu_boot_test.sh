#!/bin/sh
# The device tree drivers/pv builds, booted by the shared Linux 6.1 guest under QEMU's virt
# machine (same memory map; OpenSBI plays the hypervisor's SBI part). Until virtd-vmm boots
# guests itself this is how we know Linux accepts the tree: harts, PLIC, ns16550a console, RTC
# and poweroff. Skips (77) without qemu-system-riscv64 or the prebuilt guest.
# usage: pv_fdt_qemu_boot_test.sh PV_FDT_DUMP [GUEST_DIR]
set -u
dump=$1
guest=${2:-}
command -v qemu-system-riscv64 >/dev/null 2>&1 ||
    { echo "SKIP: qemu-system-riscv64 not installed (Debian package qemu-system-misc)"; exit 77; }
[ -f "$guest/Image" ] && [ -f "$guest/initramfs.cpio.gz" ] ||
    { echo "SKIP: no prebuilt guest in $guest"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # description, then a condition that must hold
    desc=$1
    shift
    if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; fails=$((fails + 1)); fi
}

for smp in 1 2; do
    args="console=ttyS0 halt=1"
    "$dump" $smp 256 "$args" >"$tmp/t.dtb" || { echo "FAIL: pv-fdt-dump"; exit 1; }
    timeout 120 qemu-system-riscv64 -M virt -smp $smp -m 256M -nographic -no-reboot \
        -dtb "$tmp/t.dtb" -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" \
        -append "$args" </dev/null >"$tmp/log" 2>&1
    rc=$?
    check "smp $smp: QEMU exits 0 after the guest powers off (rc $rc)" [ $rc -eq 0 ]
    check "smp $smp: Linux read our tree" grep -q "Machine model: riscv-virtio,virtd" "$tmp/log"
    check "smp $smp: $smp harts up" grep -q "Brought up 1 node, $smp CPU" "$tmp/log"
    check "smp $smp: PLIC has $((smp * 2)) contexts, $smp used" \
        grep -q "mapped 96 interrupts with $smp handlers for $((smp * 2)) contexts" "$tmp/log"
    check "smp $smp: ttyS0 is a 16550A" grep -q "ttyS0 at MMIO 0x10000000.* is a 16550A" "$tmp/log"
    check "smp $smp: goldfish RTC is rtc0" grep -q "goldfish_rtc 101000.rtc: registered as rtc0" "$tmp/log"
    check "smp $smp: GUEST-READY on the console" grep -q "GUEST-READY" "$tmp/log"
    check "smp $smp: powered off" grep -q "reboot: Power down" "$tmp/log"
    [ $fails -eq 0 ] || cat "$tmp/log"
done
[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
