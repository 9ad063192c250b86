#!/bin/sh
# The daemon with the mock driver, driven by stock virsh and python3-libvirt over its unix
# sockets: domain lifecycle, error codes, the read-only socket, unsupported URIs.
# usage: daemon_mock_test.sh VIRTD DATA_DIR
set -u
virtd=$1
data=$2
if ! command -v virsh >/dev/null 2>&1; then
    echo "SKIP: virsh not installed (Debian package libvirt-clients)"
    exit 77
fi
tmp=$(mktemp -d)
"$virtd" --state "$tmp" --pid-file "$tmp/virtd.pid" 2>"$tmp/virtd.log" &
daemon=$!
cleanup() {
    kill "$daemon" 2>/dev/null
    wait "$daemon" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$tmp/run/virtd-sock" ] && break; sleep 0.05; done
uri="mock+unix:///default?socket=$tmp/run/virtd-sock"
ro="mock+unix:///default?socket=$tmp/run/virtd-sock-ro"
fails=0
. "$(dirname "$0")/lib.sh"
has() { grep -q -- "$1" "$tmp/out"; }
v() { virsh -q -c "$uri" "$@"; }

check "capabilities describe the riscv64 guest" sh -c "virsh -c '$uri' capabilities | grep -q \"<arch name='riscv64'>\""
check "nodeinfo" sh -c "virsh -c '$uri' nodeinfo | grep -E '^CPU\(s\): +[1-9]'"
check "maxvcpus" sh -c "virsh -c '$uri' maxvcpus | grep -qx 512"
check "define" v define "$data/xml/domain/valid/core-full.xml"
check "list --all shows it shut off" sh -c "virsh -q -c '$uri' list --all | grep -E '^ *- +web1 +shut off'"
check "start" v start web1
check "list shows it running with id 1" sh -c "virsh -q -c '$uri' list | grep -E '^ *1 +web1 +running'"
check "dumpxml of the running domain has its id" sh -c "virsh -c '$uri' dumpxml web1 | grep -q \"<domain type='kvm' id='1'>\""
check "dominfo" sh -c "virsh -c '$uri' dominfo web1 | grep -E '^State: +running'"
check "suspend" v suspend web1
check "domstate paused" sh -c "virsh -c '$uri' domstate web1 | grep -qx paused"
check "resume" v resume web1
check "start twice is refused" sh -c "if virsh -c '$uri' start web1 >'$tmp/twice' 2>&1; then exit 1; fi; grep -qi 'already active' '$tmp/twice'"
check "destroy" v destroy web1
check "undefine" v undefine web1
check "list --all is empty" sh -c "[ -z \"\$(virsh -q -c '$uri' list --all)\" ]"
check "read-only socket refuses define, naming the API as libvirt does" sh -c "virsh -c '$ro' define '$data/xml/domain/valid/core-minimal.xml' 2>&1 | grep -q 'read only access prevents virDomainDefineXML'"
check "read-only socket still lists" virsh -c "$ro" list --all
check "an unknown URI is refused, naming it" sh -c "virsh -c 'xen+unix:///system?socket=$tmp/run/virtd-sock' list 2>&1 | grep -q 'no connection driver available for xen:///system'"
check "kvm:///system is served, and lists no mock domains" sh -c "virsh -c 'mock+unix:///default?socket=$tmp/run/virtd-sock' define '$data/xml/domain/valid/core-minimal.xml' >/dev/null && [ -z \"\$(virsh -q -c 'kvm+unix:///system?socket=$tmp/run/virtd-sock' list --all)\" ] && virsh -c 'mock+unix:///default?socket=$tmp/run/virtd-sock' undefine tiny >/dev/null"
check "invalid XML is refused with its line" sh -c "virsh -c '$uri' define '$data/xml/domain/invalid/core-bad-unit.xml' 2>&1 | grep -q \"line 4: memory: unknown unit 'MiBs'\""

cat >"$tmp/client.py" <<'PY'
import sys
import libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
uri, xml_path = sys.argv[1], sys.argv[2]
conn = libvirt.open(uri)
try:
    conn.lookupByName("nope")
    sys.exit("lookup of a missing domain succeeded")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN, e.get_error_code()
dom = conn.defineXML(open(xml_path).read())
assert dom.name() == "tiny" and dom.ID() == -1 and not dom.isActive()
dom.create()
assert dom.isActive() and dom.ID() > 0
state, maxmem, mem, vcpus, cputime = dom.info()
assert state == libvirt.VIR_DOMAIN_RUNNING and maxmem == 65536 and vcpus == 1, dom.info()
assert [d.name() for d in conn.listAllDomains()] == ["tiny"]
assert conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE) == []
dom.destroy()
assert dom.info()[0] == libvirt.VIR_DOMAIN_SHUTOFF
try:
    dom.destroy()
    sys.exit("destroying a stopped domain succeeded")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID, e.get_error_code()
dom.undefine()
assert conn.listAllDomains() == []
transient = conn.createXML(open(xml_path).read().replace("tiny", "burst"), 0)
assert transient.isActive() and not transient.isPersistent()
transient.destroy()
assert conn.listAllDomains() == []
conn.close()
print("python3-libvirt: all assertions held")
PY
check "python3-libvirt lifecycle and error codes" /usr/bin/python3 "$tmp/client.py" "$uri" "$data/xml/domain/valid/core-minimal.xml"

cat >"$tmp/events.py" <<'PY'
import sys, threading, time
import libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
libvirt.virEventRegisterDefaultImpl()
uri, xml_path = sys.argv[1], sys.argv[2]
conn = libvirt.open(uri)
def run_loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=run_loop, daemon=True).start()
seen = []
def lifecycle(conn, dom, event, detail, opaque):
    seen.append((dom.name(), event, detail))
cb = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lifecycle, None)
# A second connection does the work, as another tool would.
other = libvirt.open(uri)
dom = other.defineXML(open(xml_path).read().replace("tiny", "evented"))
dom.create(); dom.suspend(); dom.resume(); dom.destroy(); dom.undefine()
E = libvirt
want = [("evented", E.VIR_DOMAIN_EVENT_DEFINED, 0), ("evented", E.VIR_DOMAIN_EVENT_STARTED, 0),
        ("evented", E.VIR_DOMAIN_EVENT_SUSPENDED, 0), ("evented", E.VIR_DOMAIN_EVENT_RESUMED, 0),
        ("evented", E.VIR_DOMAIN_EVENT_STOPPED, 1), ("evented", E.VIR_DOMAIN_EVENT_UNDEFINED, 0)]
deadline = time.time() + 10
while len(seen) < len(want) and time.time() < deadline:
    time.sleep(0.02)
assert seen == want, seen
conn.domainEventDeregisterAny(cb)
other.close()
conn.close()
print("events received:", len(seen))
PY
check "python3-libvirt receives lifecycle events" /usr/bin/python3 "$tmp/events.py" "$uri" "$data/xml/domain/valid/core-minimal.xml"

sed 's/tiny/keeper/' "$data/xml/domain/valid/core-minimal.xml" >"$tmp/keeper.xml"
sed 's/tiny/auto/' "$data/xml/domain/valid/core-minimal.xml" >"$tmp/auto.xml"
check "define keeper" v define "$tmp/keeper.xml"
check "define auto" v define "$tmp/auto.xml"
check "autostart auto" v autostart auto
check "dominfo shows autostart" sh -c "virsh -c '$uri' dominfo auto | grep -E '^Autostart: +enable'"
kill -TERM "$daemon"
wait "$daemon"
# The restarted daemon also reads STATE/virtd.conf and listens on a free loopback TCP port.
printf 'listen_tcp = 1\nauth_tcp = "none"\ntcp_port = "0"\nlisten_addr = "127.0.0.1"\nunix_sock_group = "nogroup"\n' >"$tmp/virtd.conf"
"$virtd" --state "$tmp" --pid-file "$tmp/virtd.pid" 2>"$tmp/virtd.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$tmp/run/virtd-sock" ] && virsh -q -c "$uri" uri >/dev/null 2>&1 && break; sleep 0.05; done
check "after a restart the persistent definitions are back" sh -c "virsh -q -c '$uri' list --all | grep -E '^ *- +keeper +shut off'"
check "and the autostart domain is running" sh -c "virsh -q -c '$uri' list | grep -E 'auto +running'"
check "its definition is unchanged" sh -c "virsh -c '$uri' dumpxml keeper | grep -q '<memory unit=.KiB.>65536</memory>'"
port=$(sed -n 's/^virtd: listening on tcp 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/virtd.log")
tcp="mock+tcp://127.0.0.1:$port/default"
check "virsh over TCP" sh -c "virsh -q -c '$tcp' list --all | grep -q keeper"
cat >"$tmp/tcp.py" <<'PY'
import sys
import libvirt
conn = libvirt.open(sys.argv[1])
assert conn.isSecure() == 0, "plain TCP must not claim to be secure"
assert sorted(d.name() for d in conn.listAllDomains()) == ["auto", "keeper"]
assert conn.lookupByName("auto").isActive()
conn.close()
print("python3-libvirt over TCP: ok")
PY
check "python3-libvirt over TCP" /usr/bin/python3 "$tmp/tcp.py" "$tcp"
check "unix_sock_group owns both sockets" sh -c "[ \"\$(stat -c %G '$tmp/run/virtd-sock' '$tmp/run/virtd-sock-ro' | sort -u)\" = nogroup ]"
echo 'max_clients = 1' >>"$tmp/virtd.conf"
kill -HUP "$daemon"
for _ in $(seq 100); do grep -q 'reloaded configuration' "$tmp/virtd.log" && break; sleep 0.05; done
check "SIGHUP reloads the configuration" grep -q "reloaded configuration from $tmp/virtd.conf" "$tmp/virtd.log"
cat >"$tmp/limit.py" <<'PY'
import sys
import libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
first = libvirt.open(sys.argv[1])
try:
    libvirt.open(sys.argv[1])
    sys.exit("a second client was let in past max_clients = 1")
except libvirt.libvirtError as e:
    assert "too many active clients (1)" in str(e), str(e)
assert first.lookupByName("auto").isActive()  # the first one is still served
first.close()
print("max_clients: the second client was told why")
PY
check "max_clients from the reloaded file refuses the second client clearly" /usr/bin/python3 "$tmp/limit.py" "$uri"
sed -i '/max_clients/d' "$tmp/virtd.conf"
kill -HUP "$daemon"
for _ in $(seq 100); do [ "$(grep -c 'reloaded configuration' "$tmp/virtd.log")" -ge 2 ] && break; sleep 0.05; done
check "undefine removes it from disk" sh -c "virsh -q -c '$uri' undefine keeper && [ ! -e '$tmp/mock/domains/keeper.xml' ]"

kill -TERM "$daemon"
wait "$daemon"
rc=$?
check "SIGTERM stops the daemon cleanly (exit 0)" [ $rc -eq 0 ]
check "pid file removed" [ ! -e "$tmp/virtd.pid" ]
echo "$fails failures"
[ $fails -eq 0 ]
