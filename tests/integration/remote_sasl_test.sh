#!/bin/sh
# SASL on the daemon's TCP and TLS listeners with stock virsh, python3-libvirt and vsh:
# DIGEST-MD5 on plain TCP (libvirt's clients demand SSF >= 56 there, which SCRAM lacks) with
# every record after authentication wrapped (a packet socket on lo shows the domain name
# never crosses in the clear, while the same capture of an unauthenticated TCP listener sees
# it); SCRAM-SHA-256 over TLS; a wrong password and a user outside
# sasl_allowed_username_list refused alike; python3-libvirt's openAuth with a credential
# callback; vsh with an auth file and with typed credentials.
# usage: remote_sasl_test.sh VIRTD VIRTD_PKI VSH DATA_DIR
set -u
virtd=$1
pki=$2
vsh=$3
data=$4
if ! ls /usr/lib/*/sasl2/libscram.so* /usr/lib/*/sasl2/libdigestmd5.so* >/dev/null 2>&1; then
    echo "SKIP: the SCRAM and DIGEST-MD5 SASL plugins are missing (Debian package libsasl2-modules)"
    exit 77
fi
. "$(dirname "$0")/lib.sh"
begin_test
require_tools "virsh saslpasswd2" "libvirt-clients, sasl2-bin"

# Users live in a sasldb under the daemon's SASL directory.
sasl=$tmp/sasl
make_sasl_dir "$sasl" ops:opspw eve:evepw

pkid=$tmp/pki
"$pki" ca --dir "$pkid" >/dev/null
"$pki" server --host 127.0.0.1 --dir "$pkid" >/dev/null
"$pki" client --cn admin --dir "$pkid" >/dev/null

state=$tmp/state
mkdir -p "$state"
cat >"$state/virtd.conf" <<EOF
listen_tcp = 1
listen_tls = 1
listen_addr = "127.0.0.1"
tcp_port = "0"
tls_port = "0"
auth_tcp = "sasl"
auth_tls = "sasl"
auth_unix_ro = "sasl"
ca_file = "$pkid/cacert.pem"
cert_file = "$pkid/servercert.pem"
key_file = "$pkid/serverkey.pem"
sasl_config_dir = "$sasl"
sasl_allowed_username_list = ["ops"]
log_level = 2
EOF
"$virtd" --state "$state" 2>"$tmp/virtd.log" &
daemon=$!
tcp=$(listening_port "$tmp/virtd.log" tcp)
tls=$(listening_port "$tmp/virtd.log" tls)
if [ -z "$tcp" ] || [ -z "$tls" ]; then
    echo "FAIL: the daemon did not start"
    cat "$tmp/virtd.log"
    exit 1
fi

cat >"$tmp/auth.conf" <<EOF
[credentials-ops]
authname=ops
password=opspw

[credentials-eve]
authname=eve
password=evepw

[credentials-wrong]
authname=ops
password=nope

[auth-libvirt-127.0.0.1]
credentials=ops

[auth-libvirt-localhost]
credentials=ops
EOF
sed 's/^credentials=ops$/credentials=wrong/' "$tmp/auth.conf" >"$tmp/wrong.conf"
sed 's/^credentials=ops$/credentials=eve/' "$tmp/auth.conf" >"$tmp/eve.conf"
tcpuri="mock+tcp://127.0.0.1:$tcp/default?authfile=$tmp/auth.conf"
tlsuri="mock+tls://127.0.0.1:$tls/default?pkipath=$pkid&authfile=$tmp/auth.conf"

# Captures what crosses lo to or from PORT (both directions, payloads only) into FILE until
# killed. A packet socket needs root; without it the capture checks are skipped with a reason.
cat >"$tmp/sniff.py" <<'PY'
import socket, struct, sys
port, out = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
s.bind(("lo", 0))
open(out + ".ready", "w").close()
with open(out, "ab") as f:
    while True:
        frame = s.recv(65536)
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 6:
            continue
        tcp = ip[ihl:]
        sport, dport = struct.unpack("!HH", tcp[:4])
        if port not in (sport, dport):
            continue
        f.write(tcp[(tcp[12] >> 4) * 4:])
        f.flush()
PY
capture() { # PORT FILE: starts the sniffer, waits for it
    rm -f "$2" "$2.ready"
    /usr/bin/python3 "$tmp/sniff.py" "$1" "$2" 2>"$2.err" &
    sniffer=$!
    for _ in $(seq 100); do [ -e "$2.ready" ] && return 0; sleep 0.05; done
    return 1
}
stop_capture() {
    sleep 0.2
    kill "$sniffer" 2>/dev/null
    wait "$sniffer" 2>/dev/null
    sniffer=""
}

can_capture=0
if capture "$tcp" "$tmp/cap-sasl"; then can_capture=1; else stop_capture; fi
check "virsh with DIGEST-MD5 over plain TCP defines and lists" sh -c "
    virsh -q -c '$tcpuri' define '$data/xml/domain/valid/core-full.xml' &&
    virsh -q -c '$tcpuri' list --all | grep -q web1"
if [ $can_capture = 1 ]; then
    stop_capture
    check "the wrapped traffic carries no domain name in the clear" sh -c "
        [ -s '$tmp/cap-sasl' ] && ! grep -q web1 '$tmp/cap-sasl'"
    # The control: the same capture of an unauthenticated TCP listener does see it.
    cat >"$tmp/plain.conf" <<EOF
listen_tcp = 1
auth_tcp = "none"
listen_addr = "127.0.0.1"
tcp_port = "0"
EOF
    mkdir -p "$tmp/plainstate"
    cp "$tmp/plain.conf" "$tmp/plainstate/virtd.conf"
    "$virtd" --state "$tmp/plainstate" 2>"$tmp/plain.log" &
    plaind=$!
    pport=$(listening_port "$tmp/plain.log" tcp)
    capture "$pport" "$tmp/cap-plain"
    virsh -q -c "mock+tcp://127.0.0.1:$pport/default" define "$data/xml/domain/valid/core-full.xml" >/dev/null 2>&1
    stop_capture
    kill "$plaind"
    wait "$plaind" 2>/dev/null
    check "(control: without SASL the same capture sees the name)" grep -q web1 "$tmp/cap-plain"
else
    echo "skip: traffic capture needs a packet socket (root): $(cat "$tmp/cap-sasl.err" 2>/dev/null | tail -n 1)"
fi
check "the daemon logged the SASL user and a security layer" \
    grep -q "authenticated as 'ops' (SSF [1-9]" "$tmp/virtd.log"

check "a wrong password is refused" sh -c "
    if virsh -q -c 'mock+tcp://127.0.0.1:$tcp/default?authfile=$tmp/wrong.conf' list 2>'$tmp/err'; then exit 1; fi
    cat '$tmp/err'; grep -q 'authentication failed' '$tmp/err'"
check "a user outside sasl_allowed_username_list is refused with the same words" sh -c "
    if virsh -q -c 'mock+tcp://127.0.0.1:$tcp/default?authfile=$tmp/eve.conf' list 2>'$tmp/err2'; then exit 1; fi
    grep -q 'authentication failed' '$tmp/err2' &&
    [ \"\$(grep -o 'authentication failed.*' '$tmp/err')\" = \"\$(grep -o 'authentication failed.*' '$tmp/err2')\" ]"
check "the log says why, with the peer" sh -c "
    grep -q 'client 127.0.0.1;[0-9]*: SASL authentication failed' '$tmp/virtd.log' &&
    grep -q \"user 'eve' is not in sasl_allowed_username_list\" '$tmp/virtd.log'"

check "virsh with SCRAM-SHA-256 over TLS" sh -c "
    virsh -q -c '$tlsuri&auth=sasl.SCRAM-SHA-256' list --all | grep -q web1"
check "virsh with SCRAM-SHA-256 on the read-only unix socket (auth_unix_ro = sasl)" sh -c "
    virsh -q -c 'mock+unix:///default?socket=$state/run/virtd-sock-ro&authfile=$tmp/auth.conf&auth=sasl.SCRAM-SHA-256' list --all | grep -q web1"
check "the read-write unix socket (auth_unix_rw = none) needs no SASL" \
    virsh -q -c "mock+unix:///default?socket=$state/run/virtd-sock" list --all
check "the daemon saw SCRAM over TLS" sh -c "grep -q \"authenticated as 'ops' (SSF 0)\" '$tmp/virtd.log'"

cat >"$tmp/client.py" <<'PY'
import sys
import libvirt
uri, password = sys.argv[1], sys.argv[2]
asked = []
def creds(cred_list, _data):
    for c in cred_list:
        asked.append(c[0])
        if c[0] in (libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_USERNAME):
            c[4] = "ops"
        elif c[0] == libvirt.VIR_CRED_PASSPHRASE:
            c[4] = password
    return 0
auth = [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], creds, None]
try:
    conn = libvirt.openAuth(uri, auth, 0)
except libvirt.libvirtError as e:
    print("refused:", e.get_error_code(), e)
    sys.exit(3)
names = [d.name() for d in conn.listAllDomains()]
assert "web1" in names, names
assert libvirt.VIR_CRED_PASSPHRASE in asked, asked
assert conn.isSecure() == 1, "a SASL layer of SSF >= 56 counts as secure"
conn.close()
print("python ok")
PY
check "python3-libvirt openAuth with a credential callback" \
    /usr/bin/python3 "$tmp/client.py" "mock+tcp://127.0.0.1:$tcp/default" opspw
check "python3-libvirt with a wrong password is refused (VIR_ERR_AUTH_FAILED)" sh -c "
    /usr/bin/python3 '$tmp/client.py' 'mock+tcp://127.0.0.1:$tcp/default' nope; [ \$? = 3 ] &&
    /usr/bin/python3 '$tmp/client.py' 'mock+tcp://127.0.0.1:$tcp/default' nope | grep -q 'refused: 45 '"

check "vsh with an auth file over plain TCP" sh -c "'$vsh' -q -c '$tcpuri' list --all | grep -q web1"
check "vsh with SCRAM-SHA-256 over TLS" sh -c "'$vsh' -q -c '$tlsuri&auth=sasl.SCRAM-SHA-256' list --all | grep -q web1"
check "vsh asks for what it lacks" sh -c "
    printf 'ops\nopspw\n' | '$vsh' -q -c 'mock+tcp://127.0.0.1:$tcp/default' list --all | grep -q web1"
check "vsh with a wrong password is refused" sh -c "
    if printf 'ops\nnope\n' | '$vsh' -q -c 'mock+tcp://127.0.0.1:$tcp/default' list 2>'$tmp/err'; then exit 1; fi
    grep -q 'authentication failed' '$tmp/err'"
check "a client that has not authenticated may call only the auth procedures" \
    /usr/bin/python3 - "$tcp" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
# CONNECT_OPEN (1) straight away: answered with an error, not served
hdr = struct.pack("!IIiiII", 0x20008086, 1, 1, 0, 7, 0)
body = struct.pack("!II", 0, 0)
s.sendall(struct.pack("!I", 4 + len(hdr) + len(body)) + hdr + body)
data = s.recv(4096)
assert struct.unpack("!i", data[4 + 20:4 + 24])[0] == 1, data  # status ERROR
assert b"authentication required" in data, data
PY

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; cat "$tmp/virtd.log"; exit 1; }
echo "all remote SASL checks passed"
