#!/bin/sh
# Storage pools and volumes (with 20 MiB uploaded and downloaded through streams), networks,
# snapshots, save/restore, memory/vcpu/metadata changes and the console on the mock driver,
# driven by stock virsh and python3-libvirt; then a restart that must keep persistent pools and
# networks and bring autostarted ones back up.
# usage: daemon_objects_test.sh VIRTD DATA_DIR
set -u
virtd=$1
data=$2
if ! command -v virsh >/dev/null 2>&1; then
    echo "SKIP: virsh not installed (Debian package libvirt-clients)"
    exit 77
fi
tmp=$(mktemp -d)
start_daemon() {
    "$virtd" --state "$tmp" --pid-file "$tmp/virtd.pid" 2>>"$tmp/virtd.log" &
    daemon=$!
    for _ in $(seq 100); do
        [ -S "$tmp/run/virtd-sock" ] && virsh -q -c "$uri" uri >/dev/null 2>&1 && return
        sleep 0.05
    done
}
cleanup() {
    kill "$daemon" 2>/dev/null
    wait "$daemon" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
uri="mock+unix:///default?socket=$tmp/run/virtd-sock"
ro="mock+unix:///default?socket=$tmp/run/virtd-sock-ro"
start_daemon
fails=0
. "$(dirname "$0")/lib.sh"
v() { virsh -q -c "$uri" "$@"; }
# Runs virsh, which must fail, and looks for TEXT in what it printed.
refused() {
    text=$1
    shift
    if virsh -q -c "$uri" "$@" >"$tmp/refused" 2>&1; then
        echo "unexpectedly succeeded: virsh $*"
        return 1
    fi
    grep -q -- "$text" "$tmp/refused" || { cat "$tmp/refused"; return 1; }
}
out() { virsh -c "$uri" "$@" 2>&1; }

# ---- storage pools ------------------------------------------------------------------------------
sed 's/scratch/images/; s#/srv/images#/var/lib/virtd/images#' "$data/xml/pool/valid/dir-minimal.xml" >"$tmp/pool.xml"
check "pool-define" v pool-define "$tmp/pool.xml"
check "pool-list --all shows it inactive" sh -c "virsh -q -c '$uri' pool-list --all | grep -E '^ *images +inactive +no'"
check "pool-build" v pool-build images
check "pool-start" v pool-start images
check "pool-start twice is refused" refused "already active" pool-start images
check "pool-autostart" v pool-autostart images
check "pool-list shows it active with autostart" sh -c "virsh -q -c '$uri' pool-list | grep -E '^ *images +active +yes'"
check "pool-info" sh -c "virsh -c '$uri' pool-info images | grep -E '^Capacity: +100.00 GiB'"
check "pool-refresh" v pool-refresh images
check "pool-dumpxml reports capacity" sh -c "virsh -c '$uri' pool-dumpxml images | grep -q \"<capacity unit='bytes'>107374182400</capacity>\""
check "a missing pool is an error" refused "Storage pool not found" pool-info nowhere

# ---- volumes ------------------------------------------------------------------------------------
check "vol-create-as" v vol-create-as images disk1 30M
check "vol-create from XML" v vol-create images "$data/xml/volume/valid/raw-minimal.xml"
check "vol-create of an existing name is refused" refused "exists already" vol-create-as images disk1 1M
check "vol-list" sh -c "virsh -q -c '$uri' vol-list images | grep -E '^ *disk1 +/var/lib/virtd/images/disk1$'"
check "vol-info" sh -c "virsh -c '$uri' vol-info disk1 --pool images | grep -E '^Capacity: +30.00 MiB'"
check "vol-path" sh -c "[ \"\$(virsh -c '$uri' vol-path disk1 --pool images)\" = /var/lib/virtd/images/disk1 ]"
check "vol-dumpxml" sh -c "virsh -c '$uri' vol-dumpxml disk1 --pool images | grep -q '<key>/var/lib/virtd/images/disk1</key>'"
check "vol-pool from the path" sh -c "[ \"\$(virsh -c '$uri' vol-pool /var/lib/virtd/images/disk1)\" = images ]"
head -c 20971520 /dev/urandom >"$tmp/upload.bin"
check "vol-upload of 20 MiB" v vol-upload disk1 "$tmp/upload.bin" --pool images
check "vol-download gives the same bytes" sh -c "virsh -q -c '$uri' vol-download disk1 '$tmp/download.bin' --pool images --length 20971520 &&
    [ \"\$(sha256sum <'$tmp/upload.bin')\" = \"\$(sha256sum <'$tmp/download.bin')\" ]"
check "vol-download of the whole volume is its capacity" sh -c "virsh -q -c '$uri' vol-download disk1 '$tmp/whole.bin' --pool images &&
    [ \$(stat -c %s '$tmp/whole.bin') -eq 31457280 ]"
check "vol-clone copies the data" sh -c "virsh -q -c '$uri' vol-clone disk1 disk2 --pool images &&
    virsh -q -c '$uri' vol-download disk2 '$tmp/clone.bin' --pool images --length 20971520 && cmp -s '$tmp/upload.bin' '$tmp/clone.bin'"
check "vol-resize grows" v vol-resize disk2 40M --pool images
check "vol-resize will not shrink without --shrink" refused "shrink" vol-resize disk2 10M --pool images
check "vol-resize --shrink" sh -c "virsh -q -c '$uri' vol-resize disk2 10M --pool images --shrink && virsh -c '$uri' vol-info disk2 --pool images | grep -E '^Capacity: +10.00 MiB'"
check "vol-wipe zeroes the data" sh -c "virsh -q -c '$uri' vol-wipe disk2 --pool images &&
    virsh -q -c '$uri' vol-download disk2 '$tmp/wiped.bin' --pool images && cmp -n 10485760 '$tmp/wiped.bin' /dev/zero"
check "vol-delete" sh -c "virsh -q -c '$uri' vol-delete disk2 --pool images && ! virsh -q -c '$uri' vol-list images | grep -q disk2"
check "a missing volume is an error" refused "Storage volume not found" vol-info nothing --pool images
check "read-only socket refuses pool-define" sh -c "virsh -c '$ro' pool-define '$tmp/pool.xml' 2>&1 | grep -q 'read only access prevents'"
check "read-only socket refuses vol-download" sh -c "virsh -c '$ro' vol-download disk1 '$tmp/ro.bin' --pool images 2>&1 | grep -q 'read only access prevents'"

# ---- networks -----------------------------------------------------------------------------------
check "net-define" v net-define "$data/xml/network/valid/default-nat.xml"
check "net-define isolated" v net-define "$data/xml/network/valid/isolated.xml"
check "net-start" v net-start default
check "net-autostart" v net-autostart default
check "net-list" sh -c "virsh -q -c '$uri' net-list | grep -E '^ *default +active +yes +yes'"
check "net-list --all shows the inactive one" sh -c "virsh -q -c '$uri' net-list --all | grep -E '^ *isolated +inactive +no +yes'"
check "net-info names the bridge" sh -c "virsh -c '$uri' net-info default | grep -E '^Bridge: +virbr0'"
check "net-dumpxml" sh -c "virsh -c '$uri' net-dumpxml default | grep -q '<name>default</name>'"
check "net-dhcp-leases is empty" sh -c "[ -z \"\$(virsh -q -c '$uri' net-dhcp-leases default)\" ]"
check "net-create makes a transient network" sh -c "virsh -q -c '$uri' net-create '$data/xml/network/valid/routed-dhcp-hosts.xml' &&
    virsh -q -c '$uri' net-list | grep -E '^ *routed +active +no +no'"
check "net-destroy of the transient network removes it" sh -c "virsh -q -c '$uri' net-destroy routed && ! virsh -q -c '$uri' net-list --all | grep -q routed"
check "net-start twice is refused" refused "already active" net-start default
check "a missing network is an error" refused "Network not found" net-info nowhere
check "net-undefine" v net-undefine isolated

# ---- domains: snapshots, save/restore, tuning ----------------------------------------------------
check "define and start web1" sh -c "virsh -q -c '$uri' define '$data/xml/domain/valid/core-full.xml' && virsh -q -c '$uri' start web1"
check "snapshot-create-as" v snapshot-create-as web1 s1 --description first
check "a second snapshot" v snapshot-create-as web1 s2
check "snapshot-list" sh -c "virsh -q -c '$uri' snapshot-list web1 | grep -cE '^ *s[12] +[0-9-]+ [0-9:]+ [+0-9]+ +running' | grep -qx 2"
check "snapshot-current is the newest" sh -c "[ \"\$(virsh -c '$uri' snapshot-current web1 --name)\" = s2 ]"
check "snapshot-list --tree shows s2 under s1" sh -c "virsh -c '$uri' snapshot-list web1 --tree | tr -d ' \\n' | grep -q 's1|+-s2'"
check "snapshot-revert to a running snapshot resumes a paused domain" sh -c "virsh -q -c '$uri' suspend web1 &&
    virsh -q -c '$uri' snapshot-revert web1 s1 && [ \"\$(virsh -c '$uri' domstate web1)\" = running ]"
check "undefine refuses a domain with snapshots" refused "snapshots" undefine web1
check "snapshot-delete" sh -c "virsh -q -c '$uri' snapshot-delete web1 s1 && [ \"\$(virsh -q -c '$uri' snapshot-list web1 --name)\" = s2 ]"
check "setmem" sh -c "virsh -q -c '$uri' setmem web1 1G && virsh -c '$uri' dominfo web1 | grep -E '^Used memory: +1048576 KiB'"
check "setmaxmem is refused while running" refused "active domain" setmaxmem web1 4G
check "setmaxmem --config" sh -c "virsh -q -c '$uri' setmaxmem web1 4G --config && virsh -c '$uri' dumpxml web1 | grep -q \"<memory unit='KiB'>4194304</memory>\""
check "setvcpus" sh -c "virsh -q -c '$uri' setvcpus web1 1 && virsh -c '$uri' vcpucount web1 --live --active | grep -qx 1"
check "setvcpus beyond the maximum is refused" refused "greater than max" setvcpus web1 9
check "vcpucount" sh -c "virsh -c '$uri' vcpucount web1 | grep -E '^maximum +config +4'"
check "desc --title" sh -c "virsh -q -c '$uri' desc web1 --title --new-desc 'Web one' >/dev/null && [ \"\$(virsh -c '$uri' desc web1 --title)\" = 'Web one' ]"
check "metadata --set and read back" sh -c "virsh -q -c '$uri' metadata web1 http://example.org/t --key t --set '<tag>blue</tag>' &&
    virsh -c '$uri' metadata web1 http://example.org/t | grep -q '>blue</t:tag>'"
check "reboot" v reboot web1
check "save stops it" sh -c "virsh -q -c '$uri' save web1 '$tmp/web1.save' && [ \"\$(virsh -c '$uri' domstate web1)\" = 'shut off' ]"
check "restore runs it again" sh -c "virsh -q -c '$uri' restore '$tmp/web1.save' && [ \"\$(virsh -c '$uri' domstate web1)\" = running ]"
check "managedsave" sh -c "virsh -q -c '$uri' managedsave web1 && virsh -q -c '$uri' list --all --managed-save | grep -E 'web1 +saved'"
check "start after managedsave resumes" sh -c "virsh -q -c '$uri' start web1 && virsh -c '$uri' dominfo web1 | grep -E '^Managed save: +no'"
check "nodememstats" sh -c "virsh -c '$uri' nodememstats | grep -E '^total +: +[1-9][0-9]* KiB'"

# ---- python3-libvirt: streams, the console, error codes ----------------------------------------
cat >"$tmp/objects.py" <<'PY'
import hashlib, os, sys
import libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
uri = sys.argv[1]
conn = libvirt.open(uri)

def code_of(fn):
    try:
        fn()
    except libvirt.libvirtError as e:
        return e.get_error_code()
    return None

assert code_of(lambda: conn.storagePoolLookupByName("nope")) == libvirt.VIR_ERR_NO_STORAGE_POOL
assert code_of(lambda: conn.networkLookupByName("nope")) == libvirt.VIR_ERR_NO_NETWORK
pool = conn.storagePoolCreateXML("<pool type='dir'><name>py</name><target><path>/py</path></target></pool>", 0)
assert pool.isActive() and not pool.isPersistent()
assert code_of(lambda: pool.storageVolLookupByName("nope")) == libvirt.VIR_ERR_NO_STORAGE_VOL
vol = pool.createXML("<volume><name>v</name><capacity unit='M'>32</capacity></volume>", 0)
assert vol.path() == "/py/v" and vol.info()[1] == 32 << 20
data = os.urandom(20 << 20)

st = conn.newStream(0)
vol.upload(st, 0, len(data), 0)
st.sendAll(lambda s, n, d: d.pop(0) if d else b"", [data[i:i + 65536] for i in range(0, len(data), 65536)])
st.finish()

got = []
st = conn.newStream(0)
vol.download(st, 0, len(data), 0)
st.recvAll(lambda s, buf, acc: acc.append(buf) or len(buf), got)
st.finish()
assert hashlib.sha256(b"".join(got)).digest() == hashlib.sha256(data).digest(), "download differs"

# An aborted upload leaves the volume as it was.
st = conn.newStream(0)
vol.upload(st, 0, 4096, 0)
st.send(b"\xff" * 4096)
st.abort()
first = []
st = conn.newStream(0)
vol.download(st, 0, 4096, 0)
st.recvAll(lambda s, buf, acc: acc.append(buf) or len(buf), first)
st.finish()
assert b"".join(first) == data[:4096], "an aborted upload changed the volume"
vol.delete(0)
pool.destroy()
assert code_of(lambda: conn.storagePoolLookupByName("py")) == libvirt.VIR_ERR_NO_STORAGE_POOL

net = conn.networkLookupByName("default")
assert net.bridgeName() == "virbr0" and net.DHCPLeases() == []
assert [n.name() for n in conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE)] == ["default"]

dom = conn.lookupByName("web1")
if not dom.isActive():
    dom.create()  # after a restart: mock guests do not survive one, definitions do
snap = dom.snapshotCreateXML("<domainsnapshot><name>py1</name></domainsnapshot>", 0)
assert snap.getName() == "py1" and dom.snapshotCurrent().getName() == "py1"
assert "py1" in [s.getName() for s in dom.listAllSnapshots()]
dom.destroy()
dom.revertToSnapshot(snap)
assert dom.isActive(), "reverting to a running snapshot starts the domain"
snap.delete()
assert code_of(lambda: dom.snapshotLookupByName("py1")) == libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT

st = conn.newStream(0)
dom.openConsole(None, st, 0)
st.send(b"hello console\n")
echoed = b""
while len(echoed) < 14:
    echoed += st.recv(64)
assert echoed == b"hello console\n", echoed
assert code_of(lambda: dom.openConsole(None, conn.newStream(0), 0)) == libvirt.VIR_ERR_OPERATION_FAILED
st.finish()
conn.close()
print("python3-libvirt objects: all assertions held")
PY
check "python3-libvirt: streams, snapshots, console, error codes" /usr/bin/python3 "$tmp/objects.py" "$uri"

# ---- a restart keeps persistent pools and networks; then the same client over TCP ----------------
check "a transient pool for the restart" v pool-create "$data/xml/pool/valid/dir-minimal.xml"
kill -TERM "$daemon"
wait "$daemon"
printf 'listen_tcp = 1\nauth_tcp = "none"\ntcp_port = "0"\nlisten_addr = "127.0.0.1"\n' >"$tmp/virtd.conf"
start_daemon
port=$(sed -n 's/^virtd: listening on tcp 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/virtd.log" | tail -1)
check "python3-libvirt over TCP: streams, snapshots, console" /usr/bin/python3 "$tmp/objects.py" "mock+tcp://127.0.0.1:$port/default"
check "the persistent pool is back and autostarted" sh -c "virsh -q -c '$uri' pool-list | grep -E '^ *images +active +yes'"
check "the transient pool is gone" sh -c "! virsh -q -c '$uri' pool-list --all | grep -q scratch"
check "the autostarted network is running" sh -c "virsh -q -c '$uri' net-list | grep -E '^ *default +active +yes'"
check "files under the state dir" sh -c "[ -f '$tmp/mock/pools/images.xml' ] && [ -f '$tmp/mock/pools/images.autostart' ] && [ -f '$tmp/mock/networks/default.xml' ]"
check "pool-destroy, pool-delete, pool-undefine" sh -c "virsh -q -c '$uri' pool-destroy images && virsh -q -c '$uri' pool-delete images &&
    virsh -q -c '$uri' pool-undefine images && [ ! -e '$tmp/mock/pools/images.xml' ]"
echo "$fails failures"
[ $fails -eq 0 ]
