#!/bin/sh
# The RPC benchmark still runs: bench/rpc/run --quick against virtd alone (no libvirtd, so the
# suite stays fast and does not need libvirt-daemon). It checks that figures come out, never how
# fast they are.
# usage: bench_rpc_smoke_test.sh BENCH_RUN VIRTD
set -u
run=$1
virtd=$2
if ! /usr/bin/python3 -c 'import libvirt' 2>/dev/null; then
    echo "SKIP: python3-libvirt not installed"
    exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$run" --quick --virtd-only --virtd "$virtd" >"$out" 2>&1
rc=$?
cat "$out"
[ $rc -eq 0 ] || { echo "FAIL: the bench exited with $rc"; exit 1; }
fails=0
# A row is: label | unit | libvirtd | virtd | ratio | target; virtd's column must be a number.
for label in "lookupByName+info, 1 client" "lookupByName+info, 4 clients" "defineXML, 1 client" \
    "listAllDomains, best" "listAllDomains, median" "open+close, 1 client" \
    "RSS idle after start" "RSS with the domains defined"; do
    if grep -F "$label" "$out" | grep -F " | " | awk -F'|' '{ gsub(/[ ,]/, "", $4); exit !($4 ~ /^[0-9]+(\.[0-9]+)?$/ && $4 > 0) }'; then
        echo "ok: $label"
    else
        echo "FAIL: no figure for '$label'"
        fails=$((fails + 1))
    fi
done
[ $fails -eq 0 ]
