#!/bin/sh
# The README's two commands for a TLS+SASL daemon: virtd-remote-setup, then virtd with the
# configuration it wrote; stock virsh connects over TLS with the certificates and the SASL user
# it made, and over plain TCP with DIGEST-MD5; a wrong password is refused.
# usage: remote_setup_test.sh VIRTD VIRTD_REMOTE_SETUP VSH
set -u
virtd=$1
setup=$2
vsh=$3
. "$(dirname "$0")/lib.sh"
begin_test
require_tools "virsh saslpasswd2" "libvirt-clients, sasl2-bin"

r=$tmp/remote
check "virtd-remote-setup makes certificates, the SASL user and the settings" sh -c "
    echo s3cret | '$setup' --host 127.0.0.1 --user admin --dir '$r' --listen-addr 127.0.0.1 --password-stdin"
check "running it again keeps the certificates and changes the password" sh -c "
    sum=\$(md5sum '$r/servercert.pem') &&
    echo n3w | '$setup' --host 127.0.0.1 --user admin --dir '$r' --listen-addr 127.0.0.1 --password-stdin &&
    [ \"\$(md5sum '$r/servercert.pem')\" = \"\$sum\" ] && [ \$(grep -c '^listen_tls' '$r/virtd.conf') = 1 ]"
# Free ports instead of 16509/16514, which the machine may use.
printf 'tcp_port = "0"\ntls_port = "0"\n' >>"$r/virtd.conf"
"$virtd" --state "$tmp/state" --config "$r/virtd.conf" 2>"$tmp/virtd.log" &
daemon=$!
tcp=$(listening_port "$tmp/virtd.log" tcp)
tls=$(listening_port "$tmp/virtd.log" tls)
if [ -z "$tcp" ] || [ -z "$tls" ]; then
    echo "FAIL: the daemon did not start with the written configuration"
    cat "$tmp/virtd.log"
    exit 1
fi
printf '[credentials-a]\nauthname=admin\npassword=n3w\n\n[auth-libvirt-127.0.0.1]\ncredentials=a\n' >"$tmp/auth.conf"
sed 's/password=n3w/password=s3cret/' "$tmp/auth.conf" >"$tmp/old.conf"
check "virsh over TLS with SASL" virsh -q -c "mock+tls://127.0.0.1:$tls/default?pkipath=$r&authfile=$tmp/auth.conf" list --all
check "virsh over TCP with SASL" virsh -q -c "mock+tcp://127.0.0.1:$tcp/default?authfile=$tmp/auth.conf" list --all
check "vsh over TLS with SASL" "$vsh" -q -c "mock+tls://127.0.0.1:$tls/default?pkipath=$r&authfile=$tmp/auth.conf" list --all
check "the old password no longer works" sh -c "
    ! virsh -q -c 'mock+tls://127.0.0.1:$tls/default?pkipath=$r&authfile=$tmp/old.conf' list 2>/dev/null"
[ $fails -eq 0 ] || { echo "$fails check(s) failed"; cat "$tmp/virtd.log"; exit 1; }
echo "all remote setup checks passed"
