#!/bin/sh
# Packs virtd's initramfs/init into an existing riscv64 busybox initramfs (the prebuilt one in
# $VIRTD_GUEST_DIR, or one guest/build.sh made), so tests get the project's own init without
# the ~1 minute busybox build. Needs cpio and gzip.
# usage: guest/repack.sh SOURCE_INITRAMFS OUT_INITRAMFS
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$1
out=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/virtd-repack.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && gzip -dc "$src" | cpio -idm --quiet 2>/dev/null)
[ -x "$work/bin/busybox" ] || { echo "repack.sh: $src holds no /bin/busybox" >&2; exit 1; }
install -m 755 "$here/initramfs/init" "$work/init"
mkdir -p "$work/etc"
install -m 755 "$here/initramfs/udhcpc.script" "$work/etc/udhcpc.script"
[ -e "$work/dev/console" ] || mknod -m 600 "$work/dev/console" c 5 1
(cd "$work" && find . | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet | gzip -1 -n) >"$out.tmp"
mv "$out.tmp" "$out"
