#!/bin/sh
# Compatibility oracle: every valid document in the corpus, and virtd's normalized output of it,
# must also validate against libvirt's own schemas (virt-xml-validate from libvirt-clients), so
# documents move freely between virtd and libvirt tools.
# usage: libvirt_schemas.sh VIRTD_VALIDATE CORPUS_DIR
set -u
validate=$1
corpus=$2
if ! command -v virt-xml-validate >/dev/null 2>&1; then
    echo "SKIP: virt-xml-validate not installed (Debian package libvirt-clients)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
checked=0
for type in domain pool volume network snapshot; do
    case $type in
    pool) schema=storagepool ;;
    volume) schema=storagevol ;;
    snapshot) schema=domainsnapshot ;;
    *) schema=$type ;;
    esac
    for f in "$corpus/$type/valid/"*.xml; do
        [ -f "$f" ] || continue
        checked=$((checked + 1))
        if ! out=$(virt-xml-validate "$f" "$schema" 2>&1); then
            echo "libvirt rejects corpus document $f:"
            echo "$out"
            failed=1
        fi
        norm="$tmp/$(basename "$f")"
        if ! "$validate" --normalize "$f" "$type" >"$norm"; then
            echo "virtd rejects $f"
            failed=1
        elif ! out=$(virt-xml-validate "$norm" "$schema" 2>&1); then
            echo "libvirt rejects virtd's normalized form of $f:"
            echo "$out"
            cat "$norm"
            failed=1
        fi
    done
done
echo "checked $checked documents and their normalized forms against libvirt's schemas"
exit $failed
