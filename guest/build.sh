#!/bin/sh
# Builds virtd's riscv64 test guest from Debian bookworm packages only: a Linux 6.1 Image
# (tinyconfig plus kernel.options) and a static busybox initramfs with initramfs/init.
# Tests and benchmarks use ../shared/guest when it exists (VIRTD_GUEST_DIR); this recipe makes
# the same kind of guest on a machine without it. About 12 minutes on 2 cores.
# usage: guest/build.sh OUT_DIR [kernel|initramfs|all]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
what=${2:-all}
work=${GUEST_BUILD_DIR:-/tmp/virtd-guest-build}
mkdir -p "$work"

packages="gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu libc6-dev-riscv64-cross linux-source-6.1 make bc flex bison
  libssl-dev libelf-dev cpio xz-utils gzip dpkg-dev"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

build_kernel() {
    cd "$work"
    [ -d linux-source-6.1 ] || tar xf /usr/src/linux-source-6.1.tar.xz
    cd linux-source-6.1
    export ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-
    make -s tinyconfig
    # Two passes: some options only become visible once others are on.
    for pass in 1 2; do
        grep -v '^#' "$here/kernel.options" | while IFS='=' read -r name value; do
            [ -n "$name" ] || continue
            case $value in
            y) scripts/config --enable "$name" ;;
            n) scripts/config --disable "$name" ;;
            *) scripts/config --set-val "$name" "$value" ;;
            esac
        done
        make -s olddefconfig
    done
    scripts/config --disable CC_OPTIMIZE_FOR_SIZE --disable SLOB
    make -s olddefconfig
    bad=0
    grep -v '^#' "$here/kernel.options" | while IFS='=' read -r name value; do
        [ -n "$name" ] || continue
        grep -qx "CONFIG_$name=$value" .config || { echo "guest/build.sh: CONFIG_$name=$value did not stick" >&2; exit 1; }
    done || bad=1
    [ $bad = 0 ] || exit 1
    make -s -j"$(nproc)" Image
    cp arch/riscv/boot/Image "$out/Image"
    cp .config "$out/kernel.config"
}

build_initramfs() {
    cd "$work"
    if [ ! -d busybox-src ]; then
        # Debian's busybox source, with its patches and its static configuration.
        if ! apt-get source -q --download-only busybox >/dev/null 2>&1; then
            # Source packages come from the same mirror and key as the binary ones.
            sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
                >/etc/apt/sources.list.d/virtd-deb-src.sources
            apt-get update -qq >/dev/null
        fi
        rm -rf busybox-*/
        apt-get source -q busybox >/dev/null
        mv busybox-*/ busybox-src
    fi
    cd busybox-src
    export CROSS_COMPILE=riscv64-linux-gnu- KCONFIG_NOTIMESTAMP=1
    cat debian/config/os/linux debian/config/pkg/static >.config
    { yes "" || true; } | make -s oldconfig >/dev/null
    make -s -j"$(nproc)" busybox busybox.links
    root="$work/initramfs"
    rm -rf "$root"
    mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/proc" "$root/sys" \
        "$root/dev" "$root/tmp" "$root/mnt" "$root/etc" "$root/root"
    riscv64-linux-gnu-strip -o "$root/bin/busybox" busybox
    while read -r link; do
        [ "$link" = /bin/busybox ] || ln -sf /bin/busybox "$root$link"
    done <busybox.links
    install -m 755 "$here/initramfs/init" "$root/init"
    install -m 755 "$here/initramfs/udhcpc.script" "$root/etc/udhcpc.script"
    # The kernel opens /dev/console for init before devtmpfs is mounted.
    mknod -m 600 "$root/dev/console" c 5 1
    mknod -m 666 "$root/dev/null" c 1 3
    (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet | gzip -9 -n) \
        >"$out/initramfs.cpio.gz"
}

case $what in
kernel) build_kernel ;;
initramfs) build_initramfs ;;
all) build_kernel && build_initramfs ;;
*) echo "usage: $0 OUT_DIR [kernel|initramfs|all]" >&2; exit 2 ;;
esac
ls -l "$out"
