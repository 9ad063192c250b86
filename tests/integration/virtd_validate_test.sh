#!/bin/sh
# virtd-validate as a user runs it: verdicts, exit codes, messages with line numbers, --normalize.
# usage: virtd_validate_test.sh VIRTD_VALIDATE DATA_DIR
set -u
v=$1
data=$2/xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # description, then a condition that must hold
    desc=$1
    shift
    if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; fails=$((fails + 1)); fi
}

good=$data/domain/valid/core-full.xml
out=$("$v" "$good" 2>&1); rc=$?
check "valid domain exits 0" [ $rc -eq 0 ]
check "valid domain prints FILE validates" [ "$out" = "$good validates" ]

"$v" "$good" domain >/dev/null 2>&1; rc=$?
check "explicit matching type exits 0" [ $rc -eq 0 ]

"$v" "$good" network >"$tmp/o" 2>&1; rc=$?
check "wrong explicit type exits 1" [ $rc -eq 1 ]
check "wrong type names the root" grep -q "unexpected root element (expected <network>)" "$tmp/o"

bad=$data/domain/invalid/core-bad-unit.xml
"$v" "$bad" >"$tmp/o" 2>&1; rc=$?
check "invalid domain exits 1" [ $rc -eq 1 ]
check "invalid domain says it fails" grep -qx "$bad fails to validate" "$tmp/o"
check "error names line and problem" grep -qx "$bad: line 4: memory: unknown unit 'MiBs'" "$tmp/o"

cat >"$tmp/multi.xml" <<'XML'
<domain type='kvm'>
  <name>a/b</name>
  <memory unit='MiBs'>1</memory>
  <vcpu>0</vcpu>
  <os><type>hvm</type></os>
</domain>
XML
"$v" "$tmp/multi.xml" >"$tmp/o" 2>&1
check "every error is printed" [ "$(grep -c ': line ' "$tmp/o")" -eq 3 ]

"$v" --normalize "$good" >"$tmp/norm.xml"; rc=$?
check "--normalize exits 0" [ $rc -eq 0 ]
check "--normalize writes KiB sizes" grep -q "<memory unit='KiB'>1048576</memory>" "$tmp/norm.xml"
"$v" "$tmp/norm.xml" >/dev/null 2>&1; rc=$?
check "normalized output validates" [ $rc -eq 0 ]
"$v" --normalize "$tmp/norm.xml" >"$tmp/norm2.xml"
check "normalizing is idempotent" cmp -s "$tmp/norm.xml" "$tmp/norm2.xml"

printf '<domain type="kvm"><name>x</name>\n<memory>1</memory' >"$tmp/broken.xml"
"$v" "$tmp/broken.xml" >"$tmp/o" 2>&1; rc=$?
check "malformed XML exits 1" [ $rc -eq 1 ]
check "malformed XML names the line" grep -q "line 2: document: XML syntax error" "$tmp/o"

echo '<secret/>' >"$tmp/secret.xml"
"$v" "$tmp/secret.xml" >"$tmp/o" 2>&1; rc=$?
check "unknown root exits 1" [ $rc -eq 1 ]
check "unknown root is named" grep -q "unknown root element <secret>" "$tmp/o"

"$v" >/dev/null 2>&1; rc=$?
check "no arguments is a usage error (2)" [ $rc -eq 2 ]
"$v" "$tmp/none.xml" >/dev/null 2>&1; rc=$?
check "missing file exits 2" [ $rc -eq 2 ]
"$v" "$good" floppy >/dev/null 2>&1; rc=$?
check "unknown type exits 2" [ $rc -eq 2 ]

for type in domain pool volume network; do
    for f in "$data/$type/valid/"*.xml; do
        [ -f "$f" ] || continue
        "$v" "$f" >/dev/null 2>&1 || { echo "FAIL: corpus document rejected: $f"; fails=$((fails + 1)); }
    done
    for f in "$data/$type/invalid/"*.xml; do
        [ -f "$f" ] || continue
        "$v" "$f" >/dev/null 2>&1 && { echo "FAIL: invalid corpus document accepted: $f"; fails=$((fails + 1)); }
    done
done
echo "$fails failures"
[ $fails -eq 0 ]
