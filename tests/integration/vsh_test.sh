#!/bin/sh
# vsh against a private daemon: the domain lifecycle, output compared byte for byte with stock
# virsh on the same daemon (scripts parse these layouts), errors and exit codes, read-only
# refusal, events, edit, the shell, and TCP.
# usage: vsh_test.sh VIRTD VSH DATA_DIR
set -u
virtd=$1
vsh=$2
data=$3
tmp=$(mktemp -d)
printf 'listen_tcp = 1\nauth_tcp = "none"\ntcp_port = "0"\nlisten_addr = "127.0.0.1"\n' >"$tmp/virtd.conf"
"$virtd" --state "$tmp" --foreground --pid-file "$tmp/virtd.pid" 2>"$tmp/virtd.log" &
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
xml="$data/xml/domain/valid/core-minimal.xml"
fails=0
ok() { echo "ok: $1"; }
bad() {
    echo "FAIL: $1"
    [ -f "$tmp/out" ] && cat "$tmp/out"
    fails=$((fails + 1))
}
check() {
    desc=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then ok "$desc"; else bad "$desc"; fi
}
v() { "$vsh" -c "$uri" "$@"; }
have_virsh=0
command -v virsh >/dev/null 2>&1 && have_virsh=1
# Same stdout, stderr and exit status from vsh and virsh.
same() {
    if [ $have_virsh = 0 ]; then
        echo "skip: virsh not installed: $*"
        return
    fi
    virsh -c "$uri" "$@" >"$tmp/virsh.out" 2>"$tmp/virsh.err"
    virsh_rc=$?
    "$vsh" -c "$uri" "$@" >"$tmp/vsh.out" 2>"$tmp/vsh.err"
    vsh_rc=$?
    # A running domain's CPU time moves between the two calls: compare its format only.
    sed -i 's/^\(CPU time: *\)[0-9][0-9.]*s$/\1N.Ns/' "$tmp/virsh.out" "$tmp/vsh.out"
    if cmp -s "$tmp/virsh.out" "$tmp/vsh.out" && cmp -s "$tmp/virsh.err" "$tmp/vsh.err" &&
        [ $virsh_rc = $vsh_rc ]; then
        ok "same as virsh: $*"
    else
        echo "FAIL: differs from virsh: $* (exit $virsh_rc vs $vsh_rc)"
        diff "$tmp/virsh.out" "$tmp/vsh.out"
        diff "$tmp/virsh.err" "$tmp/vsh.err"
        fails=$((fails + 1))
    fi
}
# Exit status $1 and a line matching $2 on stderr.
fails_with() {
    want_rc=$1
    pattern=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc = "$want_rc" ] && grep -q -- "$pattern" "$tmp/err"; then ok "fails: $*"; else
        echo "FAIL: $* (exit $rc, stderr:)"
        cat "$tmp/err"
        fails=$((fails + 1))
    fi
}

# Events: a listener started before the lifecycle runs sees every step.
v event --event lifecycle --loop --count 6 --timeout 20 >"$tmp/events" 2>&1 &
listener=$!
for _ in $(seq 50); do grep -q . "$tmp/virtd.log" && break; sleep 0.05; done
sleep 0.5

check "define" sh -c "'$vsh' -c '$uri' define '$xml' | grep -qx \"Domain 'tiny' defined from $xml\""
same list
same list --all
same list --inactive
same list --all --name
same list --all --uuid
same -q list --all
same dominfo tiny
same domstate tiny
same domid tiny
same domuuid tiny
same dumpxml tiny
check "start" v start tiny
same list
same list --all
same list --name
same list --id
same dominfo tiny
same domstate tiny --reason
same domname 1
same start tiny
check "suspend" v suspend tiny
same domstate tiny --reason
same list --all
check "resume" v resume tiny
check "autostart" sh -c "'$vsh' -c '$uri' autostart tiny | grep -qx \"Domain 'tiny' marked as autostarted\""
same dominfo tiny
check "autostart --disable" v autostart tiny --disable
check "destroy" v destroy tiny
same destroy tiny
same nodeinfo
same hostname
same uri
same capabilities
same dominfo nosuch
same start nosuch
same list --bogus
same dominfo
same dominfo a b
same nosuchcommand
same -r define "$xml"
same -r start tiny

# Errors and exit codes, independent of virsh.
fails_with 1 "^error: failed to get domain 'ghost'$" v dominfo ghost
fails_with 1 "^error: unknown command: 'frobnicate'$" v frobnicate
fails_with 1 "read only access prevents" "$vsh" -r -c "$uri" define "$xml"
fails_with 1 "read only access prevents" "$vsh" -c "$ro" start tiny
fails_with 1 "^error: failed to connect to the hypervisor$" "$vsh" -c "mock+unix:///default?socket=$tmp/none" list
fails_with 1 "Failed to open file" v define "$tmp/no-such.xml"
check "read-only socket still lists" sh -c "'$vsh' -c '$ro' list --all | grep -q tiny"
check "quiet mode prints no confirmation" sh -c "[ -z \"\$('$vsh' -q -c '$uri' start tiny)\" ]"
check "reboot is reported (supported or not) without crashing" sh -c "'$vsh' -c '$uri' reboot tiny; [ \$? -le 1 ]"
check "shutdown" v shutdown tiny
check "domstate after shutdown" sh -c "'$vsh' -c '$uri' domstate tiny | grep -qx 'shut off'"

# edit: an editor that changes the memory size; the new definition is what dumpxml shows.
cat >"$tmp/editor.sh" <<'EOF'
#!/bin/sh
sed -i 's|<memory unit=.KiB.>65536</memory>|<memory unit="KiB">131072</memory>|; s|<currentMemory unit=.KiB.>65536</currentMemory>|<currentMemory unit="KiB">131072</currentMemory>|' "$1"
EOF
chmod +x "$tmp/editor.sh"
check "edit redefines" sh -c "EDITOR='$tmp/editor.sh' '$vsh' -c '$uri' edit tiny | grep -qx \"Domain 'tiny' XML configuration edited.\""
check "edit took effect" sh -c "'$vsh' -c '$uri' dominfo tiny | grep -qE '^Max memory: +131072 KiB$'"
check "edit without change" sh -c "EDITOR=true '$vsh' -c '$uri' edit tiny | grep -qx \"Domain 'tiny' XML configuration not changed.\""

check "undefine" v undefine tiny
check "list --all is empty" sh -c "[ -z \"\$('$vsh' -q -c '$uri' list --all)\" ]"
wait $listener
listener_rc=$?
cat >"$tmp/want-events" <<'EOF'
event 'lifecycle' for domain 'tiny': Defined Added
event 'lifecycle' for domain 'tiny': Started Booted
event 'lifecycle' for domain 'tiny': Suspended Paused
event 'lifecycle' for domain 'tiny': Resumed Unpaused
event 'lifecycle' for domain 'tiny': Stopped Destroyed
event 'lifecycle' for domain 'tiny': Started Booted
events received: 6

EOF
if [ $listener_rc = 0 ] && cmp -s "$tmp/events" "$tmp/want-events"; then ok "events"; else
    echo "FAIL: events (exit $listener_rc)"
    diff "$tmp/want-events" "$tmp/events"
    fails=$((fails + 1))
fi
check "event times out" sh -c "'$vsh' -c '$uri' event --event lifecycle --timeout 1 | grep -qx 'event loop timed out'"
if [ $have_virsh = 1 ]; then
    same event --event lifecycle --timeout 1
    same event
fi

# The shell reads commands from a pipe; ';' separates commands; quit ends it.
printf 'define %s\nlist --all --name; domstate tiny\nquit\nlist\n' "$xml" |
    "$vsh" -c "$uri" >"$tmp/shell.out" 2>&1
check "shell ran the piped commands" grep -qx "tiny" "$tmp/shell.out"
check "shell printed the state" grep -qx "shut off" "$tmp/shell.out"
check "shell stopped at quit" sh -c "! grep -q 'Id   Name' '$tmp/shell.out'"
check "help lists the groups" sh -c "'$vsh' help | grep -q \"Domain Management (help keyword 'domain')\""
check "every command has --help" sh -c "for c in \$('$vsh' help | awk '/^    /{print \$1}'); do '$vsh' \$c --help | grep -q SYNOPSIS || { echo \$c; exit 1; }; done"

# Memory, vCPUs, snapshots, save/restore and the console of a running domain.
check "start for resources" v start tiny
same vcpucount tiny
check "setmem" v setmem tiny 32M
check "setmem took effect" sh -c "'$vsh' -c '$uri' dominfo tiny | grep -qE '^Used memory: +32768 KiB$'"
same setmem tiny 1x
check "setvcpus" v setvcpus tiny 1
check "snapshot-create-as" sh -c "'$vsh' -c '$uri' snapshot-create-as tiny snap1 --description first | grep -qx 'Domain snapshot snap1 created'"
same snapshot-list tiny
same snapshot-list tiny --parent
same snapshot-current tiny --name
check "snapshot-revert" v snapshot-revert tiny snap1
check "snapshot-delete" v snapshot-delete tiny snap1
same snapshot-current tiny --name
check "save" v save tiny "$tmp/tiny.save"
check "saved domain is shut off" sh -c "'$vsh' -c '$uri' domstate tiny | grep -qx 'shut off'"
check "restore" sh -c "'$vsh' -c '$uri' restore '$tmp/tiny.save' | grep -qx 'Domain restored from $tmp/tiny.save'"
check "restored domain runs" sh -c "'$vsh' -c '$uri' domstate tiny | grep -qx running"
check "console echoes through the stream" sh -c "printf 'hello console\n' | '$vsh' -c '$uri' console tiny | grep -qx 'hello console'"
check "destroy after resources" v destroy tiny

# Storage pools and volumes, with upload and download through streams.
mkdir -p "$tmp/pooldir"
check "pool-define-as" v pool-define-as p1 dir --target "$tmp/pooldir"
same pool-define-as p2 dir --print-xml --target /x --source-host h --source-path /p
check "pool-build" v pool-build p1
check "pool-start" v pool-start p1
check "pool-autostart" v pool-autostart p1
same pool-list
same pool-list --all --details
same pool-info p1
same pool-info nosuch
check "vol-create-as" sh -c "'$vsh' -c '$uri' vol-create-as p1 v1 10M | grep -qx 'Vol v1 created'"
check "vol-create-as qcow2" v vol-create-as p1 v2 1G --format qcow2 --allocation 0
same vol-create-as p1 v3 1M --print-xml
same vol-create-as p1 v3 1x
same vol-list p1
same vol-list p1 --details
same vol-info v1 --pool p1
same vol-info "$tmp/pooldir/v1"
same vol-info nosuch --pool p1
same vol-info nosuch
same vol-path v1 --pool p1
same vol-dumpxml v1 --pool p1
same pool-dumpxml p1
head -c 300000 /dev/urandom >"$tmp/upload"
check "vol-upload" v vol-upload v1 "$tmp/upload" --pool p1
check "vol-download" v vol-download v1 "$tmp/download" --pool p1 --length 300000
check "downloaded what was uploaded" cmp "$tmp/upload" "$tmp/download"
check "vol-clone" v vol-clone v1 v1c --pool p1
check "vol-resize" sh -c "'$vsh' -c '$uri' vol-resize v1c 20M --pool p1 | grep -qx \"Size of volume 'v1c' successfully changed to 20M\""
check "vol-wipe" v vol-wipe v1c --pool p1
check "vol-delete" v vol-delete v1c --pool p1
fails_with 1 "read only access prevents virStorageVolDelete" "$vsh" -r -c "$uri" vol-delete v1 --pool p1
check "pool-refresh" v pool-refresh p1
check "vol-delete the rest" sh -c "'$vsh' -c '$uri' vol-delete v1 --pool p1 && '$vsh' -c '$uri' vol-delete v2 --pool p1"
check "pool-destroy" v pool-destroy p1
check "pool-delete" v pool-delete p1
check "pool-undefine" v pool-undefine p1

# Networks.
net="$data/xml/network/valid"
check "net-define" v net-define "$net/default-nat.xml"
same net-list
same net-list --all
check "net-start" v net-start default
check "net-autostart" v net-autostart default
same net-list --all
same net-info default
same net-info nosuch
same net-dhcp-leases default
same net-dumpxml default
check "net-create" v net-create "$net/isolated.xml"
same net-list --all
check "net-destroy" v net-destroy default
check "net-destroy transient" v net-destroy isolated
check "net-undefine" v net-undefine default

# The default URI comes from the environment; TCP reaches the same daemon.
check "VIRTD_DEFAULT_URI" sh -c "VIRTD_DEFAULT_URI='$uri' '$vsh' list --all --name | grep -qx tiny"
check "LIBVIRT_DEFAULT_URI" sh -c "LIBVIRT_DEFAULT_URI='$uri' '$vsh' list --all --name | grep -qx tiny"
check "mock:///default with VIRTD_SOCK" sh -c "VIRTD_SOCK='$tmp/run/virtd-sock' '$vsh' -c mock:///default list --all --name | grep -qx tiny"
port=$(sed -n 's/^virtd: listening on tcp 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/virtd.log")
check "vsh over TCP" sh -c "'$vsh' -c 'mock+tcp://127.0.0.1:$port/default' list --all --name | grep -qx tiny"

# A restart keeps what is persistent (the domain, a pool and a network, both autostarted),
# and 20 MiB goes through a volume and comes back the same.
sed 's/scratch/keep/; s#/srv/keep#/var/lib/keep#' "$data/xml/pool/valid/dir-minimal.xml" >"$tmp/keep.xml"
check "pool for the restart" sh -c "'$vsh' -q -c '$uri' pool-define '$tmp/keep.xml' && '$vsh' -q -c '$uri' pool-start keep &&
    '$vsh' -q -c '$uri' pool-autostart keep"
check "network for the restart" sh -c "'$vsh' -q -c '$uri' net-define '$net/routed-dhcp-hosts.xml' && '$vsh' -q -c '$uri' net-autostart routed"
kill -TERM "$daemon"
wait "$daemon"
"$virtd" --state "$tmp" --foreground --pid-file "$tmp/virtd.pid" 2>>"$tmp/virtd.log" &
daemon=$!
for _ in $(seq 100); do "$vsh" -q -c "$uri" uri >/dev/null 2>&1 && break; sleep 0.05; done
check "after a restart: the domain" sh -c "'$vsh' -c '$uri' list --all --name | grep -qx tiny"
check "after a restart: the pool, autostarted" sh -c "'$vsh' -q -c '$uri' pool-list | grep -E '^ *keep +active +yes'"
check "after a restart: the network, autostarted" sh -c "'$vsh' -q -c '$uri' net-list | grep -E '^ *routed +active +yes'"
head -c 20971520 /dev/urandom >"$tmp/big"
check "vol-upload of 20 MiB" sh -c "'$vsh' -q -c '$uri' vol-create-as keep big 32M && '$vsh' -q -c '$uri' vol-upload big '$tmp/big' --pool keep"
check "vol-download gives the same 20 MiB" sh -c "'$vsh' -q -c '$uri' vol-download big '$tmp/big.back' --pool keep --length 20971520 &&
    [ \"\$(sha256sum <'$tmp/big')\" = \"\$(sha256sum <'$tmp/big.back')\" ]"

echo "$fails failure(s)"
[ $fails = 0 ]
