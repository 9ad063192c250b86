# Shared by the integration tests (sourced): the check runner, tool checks, waiting for the
# daemon's listening ports, SASL users. Callers set $tmp and $fails=0 first.

# begin_test: a fresh $tmp (removed at exit), $fails = 0, and at exit the processes whose pids
# are in $daemon and $sniffer are stopped.
begin_test() {
    tmp=$(mktemp -d)
    fails=0
    daemon=""
    sniffer=""
    trap end_test EXIT
}
end_test() {
    for pid in $daemon $sniffer; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}

# require_tools "TOOL..." "PACKAGES": exits 77 (skipped) naming the packages if one is missing.
require_tools() {
    for tool in $1; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "SKIP: $tool not installed (Debian packages $2)"
            exit 77
        fi
    done
}

# check DESCRIPTION COMMAND...: runs it, prints ok/FAIL, counts failures in $fails.
check() {
    desc=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then echo "ok: $desc"; else
        echo "FAIL: $desc"
        cat "$tmp/out"
        fails=$((fails + 1))
    fi
}

# listening_port LOG KIND: the port the daemon printed for KIND (tcp or tls), waiting for it.
listening_port() {
    for _ in $(seq 200); do
        p=$(sed -n "s/^virtd: listening on $2 127.0.0.1:\([0-9]*\)\$/\1/p" "$1")
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.05
    done
    return 1
}

# make_sasl_dir DIR USER:PASSWORD...: Cyrus SASL settings for the daemon (sasl_config_dir) with
# DIGEST-MD5 and SCRAM-SHA-256 and a sasldb holding the users, in the host name's realm.
make_sasl_dir() {
    dir=$1
    shift
    mkdir -p "$dir"
    printf 'mech_list: digest-md5 scram-sha-256\nsasldb_path: %s/passwd.db\n' "$dir" >"$dir/virtd.conf"
    for u in "$@"; do
        printf '%s' "${u#*:}" | saslpasswd2 -p -c -a virtd -u "$(hostname)" -f "$dir/passwd.db" "${u%%:*}"
    done
}
