#!/bin/sh
# Statistics and capabilities through the daemon's mock driver, with stock virsh,
# python3-libvirt and vsh: dommemstat, domblkstat, domifstat, domstats (every group),
# capabilities and domcapabilities. The mock's figures are fixed functions of the definition
# (drivers/mock/mock_domain_stats.cc), so the values are checked exactly, and vsh must print
# what virsh prints.
# usage: daemon_stats_test.sh VIRTD VSH
set -u
virtd=$1
vsh=$2
. "$(dirname "$0")/lib.sh"
require_tools "virsh python3" "libvirt-clients python3-libvirt"
begin_test
"$virtd" --state "$tmp/state" --pid-file "$tmp/virtd.pid" 2>"$tmp/virtd.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$tmp/state/run/virtd-sock" ] && break; sleep 0.05; done
uri="mock+unix:///default?socket=$tmp/state/run/virtd-sock"
ro="mock+unix:///default?socket=$tmp/state/run/virtd-sock-ro"
v() { virsh -q -c "$uri" "$@"; }
out_is() { printf '%s\n' "$1" >"$tmp/want" && diff "$tmp/want" "$tmp/got"; }

cat >"$tmp/dom.xml" <<'XML'
<domain type='kvm'>
  <name>stats1</name>
  <memory unit='MiB'>64</memory>
  <currentMemory unit='MiB'>32</currentMemory>
  <vcpu current='1'>2</vcpu>
  <os><type arch='riscv64' machine='virt'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/img/a.raw'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='/img/b.raw'/><target dev='vdb' bus='virtio'/></disk>
    <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/><target dev='vnet0'/><model type='virtio'/></interface>
    <interface type='network'><mac address='52:54:00:00:00:02'/><source network='default'/><model type='virtio'/></interface>
    <memballoon model='virtio'/>
  </devices>
</domain>
XML
check "define" v define "$tmp/dom.xml"
check "dommemstat of a shut off domain is refused" sh -c "! virsh -c '$uri' dommemstat stats1 2>'$tmp/err' && grep -q 'not running' '$tmp/err'"
check "start" v start stats1

check "dommemstat" sh -c "virsh -c '$uri' dommemstat stats1 >'$tmp/got' && printf 'swap_in 0\nswap_out 0\nunused 16384\navailable 32768\nactual 32768\nrss 8192\nusable 24576\ndisk_caches 4096\n\n' | diff - '$tmp/got'"
check "domblkstat vda (BLOCK_STATS_FLAGS)" sh -c "virsh -c '$uri' domblkstat stats1 vda >'$tmp/got' && printf 'vda rd_req 100\nvda rd_bytes 409600\nvda wr_req 10\nvda wr_bytes 40960\nvda errs 0\n\n' | diff - '$tmp/got'"
check "domblkstat by source path" sh -c "virsh -c '$uri' domblkstat stats1 /img/b.raw | grep -qx '/img/b.raw rd_req 200'"
check "domblkstat of an unknown disk" sh -c "! virsh -c '$uri' domblkstat stats1 vdz 2>'$tmp/err' && grep -q 'invalid path: vdz' '$tmp/err'"
check "domifstat by target" sh -c "virsh -c '$uri' domifstat stats1 vnet0 >'$tmp/got' && printf 'vnet0 rx_bytes 2000\nvnet0 rx_packets 20\nvnet0 rx_errs 0\nvnet0 rx_drop 0\nvnet0 tx_bytes 1000\nvnet0 tx_packets 10\nvnet0 tx_errs 0\nvnet0 tx_drop 0\n\n' | diff - '$tmp/got'"
check "domifstat by MAC" sh -c "virsh -c '$uri' domifstat stats1 52:54:00:00:00:02 | grep -qx '52:54:00:00:00:02 rx_bytes 4000'"
check "domstats has every group" sh -c "virsh -c '$uri' domstats stats1 >'$tmp/got' && for f in \"Domain: 'stats1'\" state.state=1 state.reason=1 cpu.time= balloon.current=32768 balloon.maximum=65536 balloon.rss=8192 balloon.unused=16384 balloon.available=32768 balloon.usable=24576 vcpu.current=1 vcpu.maximum=2 vcpu.0.state=1 vcpu.0.time= net.count=2 net.0.name=vnet0 net.0.rx.bytes=2000 net.0.rx.pkts=20 net.0.rx.errs=0 net.0.rx.drop=0 net.1.name=52:54:00:00:00:02 net.1.tx.bytes=2000 net.1.tx.pkts=20 block.count=2 block.0.name=vda block.0.path=/img/a.raw block.0.rd.reqs=100 block.0.rd.bytes=409600 block.1.wr.reqs=20 block.1.wr.bytes=81920; do grep -q -- \"\$f\" '$tmp/got' || { echo \"missing \$f\"; cat '$tmp/got'; exit 1; }; done"
check "domstats --state --list-running lists only the running domain" sh -c "sed -e 's/stats1/idle/' -e '/<mac /d' '$tmp/dom.xml' >'$tmp/idle.xml' && virsh -c '$uri' define '$tmp/idle.xml' >/dev/null && virsh -c '$uri' domstats --state --list-running >'$tmp/got' && grep -c '^Domain:' '$tmp/got' | grep -qx 1 && ! grep -q balloon '$tmp/got'"
check "domstats --enforce --perf is refused" sh -c "! virsh -c '$uri' domstats --perf --enforce stats1 2>'$tmp/err' && grep -qi 'not supported' '$tmp/err'"
check "domstate --reason" sh -c "virsh -c '$uri' domstate --reason stats1 | grep -qx 'running (booted)'"
check "dominfo has the managed save line" sh -c "virsh -c '$uri' dominfo stats1 | grep -E '^Managed save: +no'"
check "cpu-stats --total" sh -c "virsh -c '$uri' cpu-stats --total stats1 | grep -q 'cpu_time'"
check "capabilities validate against libvirt's schema" sh -c "virsh -c '$uri' capabilities >'$tmp/caps.xml' && grep -q \"<arch name='riscv64'>\" '$tmp/caps.xml' && { [ ! -f /usr/share/libvirt/schemas/capability.rng ] || xmllint --noout --relaxng /usr/share/libvirt/schemas/capability.rng '$tmp/caps.xml'; }"
check "domcapabilities validate against libvirt's schema" sh -c "virsh -c '$uri' domcapabilities >'$tmp/dc.xml' && grep -q '<machine>virt</machine>' '$tmp/dc.xml' && grep -q '<arch>riscv64</arch>' '$tmp/dc.xml' && { [ ! -f /usr/share/libvirt/schemas/domaincaps.rng ] || xmllint --noout --relaxng /usr/share/libvirt/schemas/domaincaps.rng '$tmp/dc.xml'; }"
check "domcapabilities --arch x86_64 is refused" sh -c "! virsh -c '$uri' domcapabilities --arch x86_64 2>'$tmp/err' && grep -q \"architecture 'x86_64' is not supported\" '$tmp/err'"
check "domcapabilities is refused on a read-only connection" sh -c "! virsh -c '$ro' domcapabilities 2>'$tmp/err' && grep -qi 'read only' '$tmp/err'"
check "stats work on a read-only connection" sh -c "virsh -c '$ro' dommemstat stats1 | grep -qx 'rss 8192'"

# vsh prints what virsh prints.
for cmd in "dommemstat stats1" "domblkstat stats1 vda" "domifstat stats1 vnet0" \
    "domstats --state --balloon --interface --block stats1" "domblklist stats1" \
    "domiflist stats1" "domblklist stats1 --details" "domcapabilities" "domstats --list-running --state --balloon --block --interface" \
    "dommemstat nosuch" "domblkstat stats1 vdz" "domifstat stats1 eth9" "dommemstat idle" \
    "domcapabilities --virttype qemu" "domblklist idle --inactive"; do
    # shellcheck disable=SC2086
    check "vsh $cmd matches virsh" sh -c "virsh -c '$uri' $cmd >'$tmp/a' 2>&1; '$vsh' -c '$uri' $cmd >'$tmp/b' 2>&1; diff '$tmp/a' '$tmp/b'"
done
check "vsh domcapabilities --machine pc is refused" sh -c "! '$vsh' -c '$uri' domcapabilities --machine pc 2>'$tmp/err' && grep -q \"machine 'pc' is not supported\" '$tmp/err'"

cat >"$tmp/client.py" <<'PY'
import sys
import libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("stats1")
mem = dom.memoryStats()
assert mem["actual"] == 32768 and mem["rss"] == 8192 and mem["unused"] == 16384, mem
assert dom.blockStats("vdb") == (200, 819200, 20, 81920, 0), dom.blockStats("vdb")
flags = dom.blockStatsFlags("vda")
assert flags["rd_operations"] == 100 and flags["wr_bytes"] == 40960, flags
assert dom.interfaceStats("vnet0") == (2000, 20, 0, 0, 1000, 10, 0, 0), dom.interfaceStats("vnet0")
recs = conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BLOCK,
                              libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING)
assert len(recs) == 1 and recs[0][0].name() == "stats1", recs
st = recs[0][1]
assert st["state.state"] == libvirt.VIR_DOMAIN_RUNNING and st["block.count"] == 2, st
assert st["block.1.rd.reqs"] == 200, st
one = conn.domainListGetStats([dom], libvirt.VIR_DOMAIN_STATS_VCPU)
assert one[0][1]["vcpu.maximum"] == 2, one
caps = conn.getDomainCapabilities(None, "riscv64", "virt", "kvm")
assert "<domainCapabilities>" in caps, caps
try:
    conn.getDomainCapabilities(None, "aarch64", None, None)
    sys.exit("aarch64 domcapabilities succeeded")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_INVALID_ARG, e.get_error_code()
print("python ok")
PY
check "python3-libvirt statistics and domcapabilities" /usr/bin/python3 "$tmp/client.py" "$uri"
check "destroy" v destroy stats1
exit $((fails > 0))
