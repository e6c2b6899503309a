#!/bin/bash
# bench-vsctl.sh BUILDDIR [SAMPLES]: how fast the switch daemon applies
# ovs-vsctl changes, for braid-vswitchd and, for reference, the real
# ovs-vswitchd, each with dummy devices in a private directory.
#
# Reports, for each daemon:
#   - the median and 90th-percentile wall time of "ovs-vsctl add-port" (which
#     returns only when the daemon has applied the change and written
#     cur_cfg) on a bridge that already has 100 ports, over SAMPLES adds
#     (default 50);
#   - the time of one ovs-vsctl transaction adding 1,000 ports.
# A first row runs ovs-vsctl --no-wait with no switch daemon at all: the
# cost of ovs-vsctl and ovsdb-server alone, which every daemon pays too.
#
# This is a benchmark, run by hand; the test suite never times anything.

set -euo pipefail

builddir=$(cd "${1:?usage: bench-vsctl.sh BUILDDIR [SAMPLES]}" && pwd)
samples=${2:-50}
ovs_vswitchd=/usr/lib/openvswitch-switch/ovs-vswitchd

now_ns() { date +%s%N; }

# percentile FILE P: the P-th percentile of the numbers in FILE.
percentile() {
    sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
        i = int((NR - 1) * p / 100) + 1; printf "%.2f", v[i] }'
}

# bench NAME WAIT START-COMMAND...: runs the measurements against the
# daemon that START-COMMAND starts in $sb; WAIT is --no-wait for the
# baseline, else --timeout=N.
bench() {
    local name=$1 wait=$2; shift 2
    sb=$(mktemp -d /tmp/braid-bench.XXXXXX)
    export OVS_RUNDIR=$sb OVS_LOGDIR=$sb OVS_DBDIR=$sb OVS_SYSCONFDIR=$sb
    "$builddir/utilities/braid-ctl" --sandbox="$sb" --no-vswitchd start >/dev/null
    "$@" >/dev/null 2>&1

    local setup=--timeout=60
    [ "$wait" = --no-wait ] && setup=--no-wait
    ovs-vsctl "$setup" add-br br0
    local args=() i
    for i in $(seq 1 100); do
        args+=(-- add-port br0 "p$i")
    done
    ovs-vsctl "$setup" "${args[@]}"

    local times=$sb/times
    : > "$times"
    for i in $(seq 1 "$samples"); do
        local t0 t1
        t0=$(now_ns)
        ovs-vsctl "$wait" add-port br0 "q$i"
        t1=$(now_ns)
        echo "scale=3; ($t1 - $t0) / 1000000" | bc >> "$times"
    done

    args=()
    for i in $(seq 1 1000); do
        args+=(-- add-port br0 "r$i")
    done
    local t0 t1
    t0=$(now_ns)
    ovs-vsctl "${setup/60/120}" "${args[@]}"
    t1=$(now_ns)
    local bulk
    bulk=$(echo "scale=1; ($t1 - $t0) / 1000000" | bc)

    printf '| %-34s | %8s ms | %8s ms | %9s ms |\n' "$name" \
        "$(percentile "$times" 50)" "$(percentile "$times" 90)" "$bulk"
    cleanup
}

# Stops the daemons of the current sandbox (by their pidfiles) and removes it.
sb=
cleanup() {
    if [ -n "$sb" ]; then
        ovs-appctl -t ovs-vswitchd exit >/dev/null 2>&1 || true
        "$builddir/utilities/braid-ctl" --sandbox="$sb" stop >/dev/null 2>&1 || true
        rm -rf "$sb"
        sb=
    fi
}
trap cleanup EXIT

command -v bc >/dev/null || { echo "bench-vsctl.sh: needs bc" >&2; exit 1; }
echo "ovs-vsctl latency, $samples add-port samples on a bridge with 100 ports; $(nproc) cores"
echo
printf '| %-34s | %11s | %11s | %12s |\n' "daemon" "median" "90th pct" "1,000 ports"
printf '|%s|%s|%s|%s|\n' "------------------------------------" "-------------" \
    "-------------" "--------------"
bench "none (ovs-vsctl --no-wait)" --no-wait true
bench "braid-vswitchd (dummy devices)" --timeout=10 \
    "$builddir/vswitchd/braid-vswitchd" --enable-dummy=override --pidfile --detach \
    --no-chdir --log-file -vconsole:off -vfile:warn
if [ -x "$ovs_vswitchd" ]; then
    bench "ovs-vswitchd $(ovs-vsctl --version | awk '/Open vSwitch/ {print $NF}') (dummy devices)" \
        --timeout=10 \
        "$ovs_vswitchd" --enable-dummy=override --disable-system --disable-system-route \
        --pidfile --detach --no-chdir --log-file -vconsole:off -vfile:warn
fi
