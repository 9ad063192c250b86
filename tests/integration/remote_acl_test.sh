#!/bin/sh
# The access rules file enforced for stock virsh, python3-libvirt and vsh over SASL-authenticated
# TCP: user "ops" may look at, start and stop the web-* domains but not define or undefine
# them, and sees nothing else; "admin" may do everything; local root on the unix socket may do
# everything; the read-only socket only reads; SIGHUP reloads the rules.
# usage: remote_acl_test.sh VIRTD VSH DATA_DIR
set -u
virtd=$1
vsh=$2
data=$3
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the unix socket half of the default policy is about uid 0; run as root"
    exit 77
fi
. "$(dirname "$0")/lib.sh"
begin_test
require_tools "virsh saslpasswd2" "libvirt-clients, sasl2-bin"

make_sasl_dir "$tmp/sasl" ops:opspw admin:adminpw
for name in web-1 web-2 db-1 web-3; do
    sed "s|<name>tiny</name>|<name>$name</name>|" "$data/xml/domain/valid/core-minimal.xml" >"$tmp/$name.xml"
done
cat >"$tmp/access.rules" <<'EOF'
# the issue's example: ops may read and start/stop web-* but not define or undefine them
allow user=ops connect:getattr,read,write,search_domains
allow user=ops domain:getattr,read,start,stop name=web-*
deny  user=ops *:*
allow user=admin *:*
EOF
state=$tmp/state
mkdir -p "$state"
cat >"$state/virtd.conf" <<EOF
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "0"
auth_tcp = "sasl"
sasl_config_dir = "$tmp/sasl"
access_rules_file = "$tmp/access.rules"
EOF
"$virtd" --state "$state" 2>"$tmp/virtd.log" &
daemon=$!
tcp=$(listening_port "$tmp/virtd.log" tcp) || {
    echo "FAIL: the daemon did not start"
    cat "$tmp/virtd.log"
    exit 1
}
for u in ops admin; do
    printf '[credentials-%s]\nauthname=%s\npassword=%spw\n\n[auth-libvirt-127.0.0.1]\ncredentials=%s\n' \
        "$u" "$u" "$u" "$u" >"$tmp/$u.conf"
done
ops="mock+tcp://127.0.0.1:$tcp/default?authfile=$tmp/ops.conf"
admin="mock+tcp://127.0.0.1:$tcp/default?authfile=$tmp/admin.conf"
root="mock+unix:///default?socket=$state/run/virtd-sock"
ro="mock+unix:///default?socket=$state/run/virtd-sock-ro"

check "admin defines web-1, web-2 and db-1" sh -c "
    for n in web-1 web-2 db-1; do virsh -q -c '$admin' define '$tmp/'\$n.xml || exit 1; done"
check "ops lists only the web domains" sh -c "
    [ \"\$(virsh -q -c '$ops' list --all --name | sort | tr '\n' ' ')\" = 'web-1 web-2 ' ]"
check "ops gets domstats of the web domains only (domain:read filter)" sh -c "
    [ \"\$(virsh -q -c '$ops' domstats --state | sed -n \"s/^Domain: '\\(.*\\)'\$/\\1/p\" | sort | tr '\n' ' ')\" = 'web-1 web-2 ' ]"
check "ops starts and stops web-1" sh -c "
    virsh -q -c '$ops' start web-1 && virsh -q -c '$ops' domstate web-1 | grep -qx running &&
    virsh -q -c '$ops' destroy web-1"
check "ops may not define, and is told which permission it lacks" sh -c "
    if virsh -q -c '$ops' define '$tmp/web-3.xml' 2>'$tmp/err'; then exit 1; fi
    cat '$tmp/err'; grep -q \"access denied: 'domain' permission 'write'\" '$tmp/err'"
check "ops may not undefine" sh -c "
    if virsh -q -c '$ops' undefine web-2 2>'$tmp/err'; then exit 1; fi
    cat '$tmp/err'; grep -q \"permission 'delete' on 'web-2'\" '$tmp/err'"
# virsh words a lookup that fails in its own way ("failed to get domain"), as with libvirtd.
check "ops may not touch db-1, which stays shut off" sh -c "
    if virsh -q -c '$ops' start db-1 2>'$tmp/err'; then exit 1; fi
    cat '$tmp/err'; virsh -q -c '$admin' domstate db-1 | grep -qx 'shut off'"
check "nothing ops was refused changed anything" sh -c "
    [ \"\$(virsh -q -c '$admin' list --all --name | sort | tr '\n' ' ')\" = 'db-1 web-1 web-2 ' ]"
check "local root on the unix socket sees and does everything" sh -c "
    virsh -q -c '$root' list --all --name | grep -qx db-1 && virsh -q -c '$root' start db-1 &&
    virsh -q -c '$root' destroy db-1"
check "the read-only socket reads but does not define" sh -c "
    virsh -q -c '$ro' list --all --name | grep -qx db-1 &&
    ! virsh -q -c '$ro' define '$tmp/web-3.xml' 2>/dev/null"

cat >"$tmp/client.py" <<'PY'
import sys
import libvirt
uri, xml = sys.argv[1], open(sys.argv[2]).read()
def creds(cred_list, _data):
    for c in cred_list:
        c[4] = "ops" if c[0] == libvirt.VIR_CRED_AUTHNAME else "opspw"
    return 0
conn = libvirt.openAuth(uri, [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], creds, None], 0)
names = sorted(d.name() for d in conn.listAllDomains())
assert names == ["web-1", "web-2"], names
dom = conn.lookupByName("web-2")
dom.create()
assert dom.isActive() == 1
dom.destroy()
for what, call in (("define", lambda: conn.defineXML(xml)),
                   ("undefine", lambda: dom.undefine()),
                   ("lookup db-1", lambda: conn.lookupByName("db-1"))):
    try:
        call()
    except libvirt.libvirtError as e:
        assert e.get_error_code() == libvirt.VIR_ERR_ACCESS_DENIED, (what, e.get_error_code(), e)
    else:
        raise AssertionError(what + " was allowed")
print("python ok")
PY
check "python3-libvirt as ops: the same rules, VIR_ERR_ACCESS_DENIED" \
    /usr/bin/python3 "$tmp/client.py" "mock+tcp://127.0.0.1:$tcp/default" "$tmp/web-3.xml"

cat >"$tmp/events.py" <<'PY'
import subprocess, sys, threading, time
import libvirt
uri, admin = sys.argv[1], sys.argv[2]
libvirt.virEventRegisterDefaultImpl()
def creds(cred_list, _data):
    for c in cred_list:
        c[4] = "ops" if c[0] == libvirt.VIR_CRED_AUTHNAME else "opspw"
    return 0
conn = libvirt.openAuth(uri, [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], creds, None], 0)
seen = []
conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                            lambda c, d, ev, detail, opaque: seen.append(d.name()), None)
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)],
                 daemon=True).start()
for name in ("db-1", "web-1"):
    subprocess.run(["virsh", "-q", "-c", admin, "start", name], check=True, capture_output=True)
    subprocess.run(["virsh", "-q", "-c", admin, "destroy", name], check=True, capture_output=True)
deadline = time.time() + 10
while time.time() < deadline and seen.count("web-1") < 2:
    time.sleep(0.05)
time.sleep(0.3)
assert seen.count("web-1") >= 2 and "db-1" not in seen, seen
print("events ok:", seen)
PY
check "ops hears of events about web-1 but not db-1" \
    /usr/bin/python3 "$tmp/events.py" "mock+tcp://127.0.0.1:$tcp/default" "$admin"

check "vsh as ops lists only the web domains" sh -c "
    [ \"\$('$vsh' -q -c '$ops' list --all --name | sort | tr '\n' ' ')\" = 'web-1 web-2 ' ]"
check "vsh as ops may not define" sh -c "
    if '$vsh' -q -c '$ops' define '$tmp/web-3.xml' 2>'$tmp/err'; then exit 1; fi
    grep -q \"permission 'write'\" '$tmp/err'"

# SIGHUP: new rules apply to the next call; a broken file keeps the old rules.
echo "allow user=ops domain:getattr name=db-*" >"$tmp/extra"
{ head -n 3 "$tmp/access.rules"; cat "$tmp/extra"; tail -n +4 "$tmp/access.rules"; } >"$tmp/new.rules"
cp "$tmp/new.rules" "$tmp/access.rules"
kill -HUP "$daemon"
sleep 0.5
check "reloaded rules let ops see db-1" sh -c "virsh -q -c '$ops' list --all --name | grep -qx db-1"
echo "allow nobody" >>"$tmp/access.rules"
kill -HUP "$daemon"
sleep 0.5
check "a broken rules file is reported and the old rules kept" sh -c "
    grep -q 'keeping the access rules in use' '$tmp/virtd.log' &&
    virsh -q -c '$ops' list --all --name | grep -qx db-1"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; cat "$tmp/virtd.log"; exit 1; }
echo "all access control checks passed"
