#!/bin/sh
# The daemon's TLS listener with certificates made by virtd-pki, driven by stock virsh,
# python3-libvirt and vsh: lists and defines over TLS; a client certificate from another CA, an
# expired one (made with certtool) and a DN outside tls_allowed_dn_list are refused; a wrong
# server file stops the daemon naming it; SIGHUP reloads the certificates (a broken set is
# refused and the old one kept).
# usage: remote_tls_test.sh VIRTD VIRTD_PKI VSH DATA_DIR
set -u
virtd=$1
pki=$2
vsh=$3
data=$4
. "$(dirname "$0")/lib.sh"
begin_test
require_tools "virsh certtool" "libvirt-clients, gnutls-bin"
stop_daemon() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    daemon=""
}

pkid=$tmp/pki
"$pki" ca --dir "$pkid" >/dev/null &&
    "$pki" server --host 127.0.0.1 --dir "$pkid" >/dev/null &&
    "$pki" client --cn admin --org Example --dir "$pkid" >/dev/null || {
    echo "FAIL: virtd-pki could not make the certificates"
    exit 1
}

# A client of another CA; a client whose certificate expired (certtool, dates in the past);
# a client whose DN is outside the allowed list. Each directory is what pkipath= wants.
mkdir -p "$tmp/foreign" "$tmp/expired" "$tmp/intruder"
"$pki" ca --cn "other CA" --dir "$tmp/foreign" >/dev/null
"$pki" client --cn admin --org Example --dir "$tmp/foreign" >/dev/null
cat "$pkid/cacert.pem" >>"$tmp/foreign/cacert.pem" # it trusts our server, we do not trust it
cp "$pkid/cacert.pem" "$tmp/expired/"
certtool --generate-privkey --key-type ecdsa --outfile "$tmp/expired/clientkey.pem" 2>/dev/null
cat >"$tmp/expired.tmpl" <<'EOF'
cn = "admin"
organization = "Example"
tls_www_client
signing_key
encryption_key
activation_date = "2020-01-01 00:00:00"
expiration_date = "2020-02-01 00:00:00"
EOF
certtool --generate-certificate --load-privkey "$tmp/expired/clientkey.pem" \
    --load-ca-certificate "$pkid/cacert.pem" --load-ca-privkey "$pkid/cakey.pem" \
    --template "$tmp/expired.tmpl" --outfile "$tmp/expired/clientcert.pem" 2>/dev/null
cp "$pkid/cacert.pem" "$tmp/intruder/"
# The intruder's certificate is signed by the trusted CA (a copy of it signs in another dir).
rm -rf "$tmp/intruder.d"
mkdir -p "$tmp/intruder.d"
cp "$pkid/cacert.pem" "$pkid/cakey.pem" "$tmp/intruder.d/"
"$pki" client --cn intruder --org Example --dir "$tmp/intruder.d" >/dev/null
cp "$tmp/intruder.d/clientcert.pem" "$tmp/intruder.d/clientkey.pem" "$tmp/intruder/"

# A client whose certificate the CA has revoked (certtool makes the CRL).
mkdir -p "$tmp/revoked" "$tmp/revoked.d"
cp "$pkid/cacert.pem" "$pkid/cakey.pem" "$tmp/revoked.d/"
"$pki" client --cn admin --org Example --dir "$tmp/revoked.d" >/dev/null
cp "$pkid/cacert.pem" "$tmp/revoked.d/clientcert.pem" "$tmp/revoked.d/clientkey.pem" "$tmp/revoked/"
printf 'crl_next_update = 30\ncrl_number = 1\n' >"$tmp/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$pkid/cakey.pem" --load-ca-certificate "$pkid/cacert.pem" \
    --load-certificate "$tmp/revoked/clientcert.pem" --template "$tmp/crl.tmpl" \
    --outfile "$pkid/cacrl.pem" 2>/dev/null

state=$tmp/state
mkdir -p "$state"
write_conf() {
    cat >"$state/virtd.conf" <<EOF
listen_tls = 1
listen_addr = "127.0.0.1"
tls_port = "0"
ca_file = "$pkid/cacert.pem"
cert_file = "$1"
key_file = "$2"
crl_file = "$pkid/cacrl.pem"
tls_allowed_dn_list = ["O=Example,CN=admin", "*,CN=nobody"]
EOF
}
write_conf "$pkid/servercert.pem" "$pkid/serverkey.pem"

start_daemon() {
    : >"$tmp/virtd.log"
    "$virtd" --state "$state" 2>"$tmp/virtd.log" &
    daemon=$!
    port=$(listening_port "$tmp/virtd.log" tls)
}

# A key that does not belong to the certificate: the daemon refuses to start and says which.
write_conf "$pkid/servercert.pem" "$pkid/clientkey.pem"
check "a mismatched key stops the daemon, naming the file" sh -c "
    if '$virtd' --state '$state' 2>'$tmp/bad.log'; then exit 1; fi
    grep 'server key .*clientkey.pem.* does not belong to the certificate' '$tmp/bad.log'"
write_conf "$pkid/servercert.pem" "$pkid/serverkey.pem"

start_daemon
if [ -z "$port" ]; then
    echo "FAIL: the daemon did not listen on TLS"
    cat "$tmp/virtd.log"
    exit 1
fi
uri="mock+tls://127.0.0.1:$port/default?pkipath=$pkid"
v() { virsh -q -c "$uri" "$@"; }

check "virsh over TLS lists" v list --all
check "virsh over TLS defines" v define "$data/xml/domain/valid/core-full.xml"
check "the defined domain is listed" sh -c "virsh -q -c '$uri' list --all | grep -q web1"
# The certificate names 127.0.0.1 only, so "localhost" (the same socket) is a name it lacks.
check "a host name the certificate does not carry is refused by the client" sh -c "
    if virsh -q -c 'mock+tls://localhost:$port/default?pkipath=$pkid' list 2>'$tmp/err'; then exit 1; fi
    cat '$tmp/err'; grep -qi 'certificate' '$tmp/err'"
check "... unless no_verify=1" \
    virsh -q -c "mock+tls://localhost:$port/default?pkipath=$pkid&no_verify=1" list --all
check "a client certificate from another CA is refused" sh -c "
    if virsh -q -c 'mock+tls://127.0.0.1:$port/default?pkipath=$tmp/foreign' list 2>'$tmp/err'; then exit 1; fi
    cat '$tmp/err'; grep -q 'refusing TLS client' '$tmp/virtd.log'"
check "an expired client certificate is refused by the server" sh -c "
    if virsh -q -c 'mock+tls://127.0.0.1:$port/default?pkipath=$tmp/expired&no_sanity=1' list 2>'$tmp/err'; then exit 1; fi
    cat '$tmp/err'; grep -q 'refusing TLS client.*expired' '$tmp/virtd.log'"
check "a revoked client certificate (crl_file) is refused" sh -c "
    if virsh -q -c 'mock+tls://127.0.0.1:$port/default?pkipath=$tmp/revoked' list 2>'$tmp/err'; then exit 1; fi
    grep -q 'refusing TLS client.*revoked' '$tmp/virtd.log'"
check "a DN outside tls_allowed_dn_list is refused" sh -c "
    if virsh -q -c 'mock+tls://127.0.0.1:$port/default?pkipath=$tmp/intruder' list 2>'$tmp/err'; then exit 1; fi
    grep -q 'CN=intruder.*is not in tls_allowed_dn_list' '$tmp/virtd.log'"

cat >"$tmp/client.py" <<'PY'
import sys
import libvirt
conn = libvirt.open(sys.argv[1])
names = sorted(d.name() for d in conn.listAllDomains())
assert names == ["web1"], names
assert conn.isSecure() == 1, "TLS must count as secure"
conn.close()
print("python ok")
PY
check "python3-libvirt over TLS" /usr/bin/python3 "$tmp/client.py" "$uri"

check "vsh over TLS lists" sh -c "'$vsh' -q -c '$uri' list --all | grep -q web1"
check "vsh checks the host name as virsh does" sh -c "
    if '$vsh' -q -c 'mock+tls://localhost:$port/default?pkipath=$pkid' list 2>'$tmp/err'; then exit 1; fi
    grep -q 'no_verify=1' '$tmp/err'"
check "vsh is refused a DN outside the list" sh -c "
    if '$vsh' -q -c 'mock+tls://127.0.0.1:$port/default?pkipath=$tmp/intruder' list 2>'$tmp/err'; then exit 1; fi
    grep -q 'Unable to read TLS confirmation' '$tmp/err'"

# SIGHUP: a broken certificate set is refused and the old one kept; a new good set is used by
# new connections.
cp "$pkid/servercert.pem" "$tmp/server-good.pem"
write_conf "$tmp/garbage.pem" "$pkid/serverkey.pem"
echo "not a certificate" >"$tmp/garbage.pem"
kill -HUP "$daemon"
sleep 0.5
check "a broken set on reload is reported and the old one kept" sh -c "
    grep -q 'keeping the TLS certificates in use' '$tmp/virtd.log' && virsh -q -c '$uri' list --all"
mkdir -p "$tmp/new"
cp "$pkid/cacert.pem" "$pkid/cakey.pem" "$tmp/new/"
"$pki" server --host 127.0.0.1 --dir "$tmp/new" >/dev/null
write_conf "$tmp/new/servercert.pem" "$tmp/new/serverkey.pem"
kill -HUP "$daemon"
sleep 0.5
check "a reloaded certificate is the one new clients see" sh -c "
    echo | gnutls-cli --x509cafile '$pkid/cacert.pem' --x509certfile '$pkid/clientcert.pem' \
        --x509keyfile '$pkid/clientkey.pem' -p $port 127.0.0.1 --print-cert 2>/dev/null |
        sed -n '/BEGIN CERT/,/END CERT/p' | head -n 20 >'$tmp/seen.pem'
    head -n 20 '$tmp/new/servercert.pem' | cmp -s - '$tmp/seen.pem'"
check "and virsh still connects" v list --all

stop_daemon
[ $fails -eq 0 ] || { echo "$fails check(s) failed"; cat "$tmp/virtd.log"; exit 1; }
echo "all remote TLS checks passed"
