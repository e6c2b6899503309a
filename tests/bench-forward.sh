#!/bin/bash
# bench-forward.sh BUILDDIR [REPS]: forwarding speed between two network
# namespaces through (a) braid-vswitchd, (b) the real ovs-vswitchd with
# datapath_type=netdev (its userspace datapath) and (c) a Linux bridge, all
# in the same run.
#
# Two namespaces, "gen" and "sink", each have an eth0 wired by a veth pair to
# port p1 or p2 of the switch under test.  For each switch and each of REPS
# repetitions (default 3) it measures:
#   - 64-byte frames per second: trafgen (netsniff-ng) in "gen" sends one
#     UDP flow of minimum-size frames as fast as it can to the MAC of "sink"
#     for 5 s; the rate is what arrives on sink's eth0 (after a 1 s warm-up),
#     and the offered rate what left gen's eth0.  A classic-BPF tc program
#     drops the frames at sink's ingress (after the veth counted them), so
#     that sink's IP stack, which would otherwise run on the switch's CPU
#     inside its transmit call, costs nothing;
#   - TCP throughput: one iperf3 stream from gen to sink for 5 s, once with
#     the interfaces' default offloads (TSO, GSO, checksum offload on, as
#     veth has them) and once with them all off.
# It prints each sample, then a table of medians and the ratios of Braid to
# the others.
#
# With BRAID_BENCH_PERF=DIR set, the frames/s window of each switch in the
# first repetition also records a system-wide "perf record -g" profile to
# DIR/perf-SWITCH.data (read it with "perf report -i FILE").
#
# Needs root; runs in private network and mount namespaces of its own, so it
# touches nothing outside them and everything goes away when it ends.  This
# is a benchmark, run by hand; the test suite never times anything.

set -euo pipefail

builddir=$(cd "${1:?usage: bench-forward.sh BUILDDIR [REPS]}" && pwd)
reps=${2:-3}
ovs_vswitchd=/usr/lib/openvswitch-switch/ovs-vswitchd
window=5            # Seconds of each measurement.

die() { echo "bench-forward.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root"
[ -z "${BRAID_BENCH_PERF:-}" ] || mkdir -p "$BRAID_BENCH_PERF"
for tool in trafgen iperf3 ethtool bc ip tc; do
    command -v "$tool" >/dev/null || die "needs $tool (./braid-dev deps installs it)"
done
[ -x "$ovs_vswitchd" ] || die "needs $ovs_vswitchd (package openvswitch-switch)"

# Move into private namespaces; "ip netns" gets a private /run/netns.
if [ -z "${BRAID_BENCH_PRIVATE:-}" ]; then
    export BRAID_BENCH_PRIVATE=1
    exec unshare --net --mount --propagation private -- "$0" "$@"
fi
mount -t tmpfs tmpfs /run/netns 2>/dev/null || { mkdir -p /run/netns; mount -t tmpfs tmpfs /run/netns; }
ip link set lo up

work=$(mktemp -d /tmp/braid-bench-forward.XXXXXX)
export OVS_RUNDIR=$work OVS_LOGDIR=$work OVS_DBDIR=$work OVS_SYSCONFDIR=$work
results=$work/results          # Lines "switch test value".
daemon_up=no

stop_switch() {
    if [ $daemon_up = yes ]; then
        "$builddir/utilities/braid-ctl" --sandbox="$work" stop >/dev/null 2>&1 || true
        rm -f "$work"/*.db "$work"/.*.db.~lock~
        daemon_up=no
    fi
    ip link del lbr 2>/dev/null || true
}

teardown() {
    stop_switch
    ip netns del gen 2>/dev/null || true
    ip netns del sink 2>/dev/null || true
    ip link del p1 2>/dev/null || true
    ip link del p2 2>/dev/null || true
}

cleanup() {
    teardown
    cp "$results" /tmp/braid-bench-forward.last 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The two test hosts and the switch-side ends of their links.
make_hosts() {
    local i ns
    for i in 1 2; do
        ns=$([ $i = 1 ] && echo gen || echo sink)
        ip netns add $ns
        ip link add p$i type veth peer name $ns-e
        ip link set $ns-e netns $ns name eth0
        ip -n $ns addr add 10.9.0.$i/24 dev eth0
        ip -n $ns link set eth0 up
        ip -n $ns link set lo up
        ip link set p$i up
    done
}

# set_offloads on|off: every offload of all four veth ends.
set_offloads() {
    local ns dev
    for dev in p1 p2; do
        ethtool -K $dev tx "$1" rx "$1" tso "$1" gso "$1" gro "$1" >/dev/null 2>&1 || true
    done
    for ns in gen sink; do
        ip netns exec $ns ethtool -K eth0 tx "$1" rx "$1" tso "$1" gso "$1" gro "$1" \
            >/dev/null 2>&1 || true
    done
}

start_switch() {
    case $1 in
        braid|ovs)
            local bin=$builddir/vswitchd/braid-vswitchd opts=()
            if [ "$1" = ovs ]; then
                bin=$ovs_vswitchd
                opts=(--vswitchd-opt=--disable-system --vswitchd-opt=--disable-system-route)
            fi
            "$builddir/utilities/braid-ctl" --sandbox="$work" --vswitchd="$bin" \
                "${opts[@]}" start >/dev/null
            daemon_up=yes
            # The switch daemon (all its threads) on the last CPU, trafgen
            # (-P 1: one process, on the first CPU) apart from it.
            taskset -a -p -c "$(( $(nproc) - 1 ))" "$(cat "$work/ovs-vswitchd.pid")" >/dev/null
            ovs-vsctl --timeout=20 add-br br0 -- set bridge br0 datapath_type=netdev \
                -- add-port br0 p1 -- add-port br0 p2
            ;;
        linux)
            ip link add lbr type bridge
            ip link set p1 master lbr
            ip link set p2 master lbr
            ip link set lbr up
            ;;
    esac
    # Bounded wait until the switch forwards: at most 20 pings.
    local n
    for n in $(seq 1 20); do
        if ip netns exec gen ping -c 1 -W 1 -q 10.9.0.2 >/dev/null 2>&1; then
            return 0
        fi
    done
    die "$1 does not forward a ping"
}

rx_packets() { ip netns exec sink cat /sys/class/net/eth0/statistics/rx_packets; }
tx_packets() { ip netns exec gen cat /sys/class/net/eth0/statistics/tx_packets; }
now_ns() { date +%s%N; }

# Frames per second of 64-byte frames from gen to sink.
measure_pps() {
    local mac
    mac=$(ip netns exec sink cat /sys/class/net/eth0/address)
    local srcmac
    srcmac=$(ip netns exec gen cat /sys/class/net/eth0/address)
    # 60 bytes on the wire before the FCS: Ethernet, IPv4, UDP, 18 bytes.
    cat > "$work/udp.cfg" <<EOF
{
  eth(da=$mac, sa=$srcmac),
  ipv4(saddr=10.9.0.1, daddr=10.9.0.2, ttl=64),
  udp(sport=4000, dport=9),
  fill(0x00, 18)
}
EOF
    ip netns exec sink tc qdisc add dev eth0 clsact
    ip netns exec sink tc filter add dev eth0 ingress bpf da bytecode "1,6 0 0 2"
    ip netns exec gen timeout $((window + 10)) \
        trafgen -o eth0 -i "$work/udp.cfg" -P 1 -q -C >/dev/null 2>&1 &
    local gen_pid=$!
    sleep 1
    local r0 s0 t0 r1 s1 t1
    r0=$(rx_packets); s0=$(tx_packets); t0=$(now_ns)
    if [ -n "${BRAID_BENCH_PERF:-}" ] && [ "$rep" = 1 ]; then
        perf record -q -a -g -o "$BRAID_BENCH_PERF/perf-$sw.data" -- sleep "$window" \
            >/dev/null 2>&1
    else
        sleep "$window"
    fi
    r1=$(rx_packets); s1=$(tx_packets); t1=$(now_ns)
    kill "$gen_pid" 2>/dev/null || true
    wait "$gen_pid" 2>/dev/null || true
    ip netns exec sink tc qdisc del dev eth0 clsact
    echo "($r1 - $r0) * 1000000000 / ($t1 - $t0)" | bc
    echo "($s1 - $s0) * 1000000000 / ($t1 - $t0)" | bc
}

# TCP throughput in Mbit/s from gen to sink (0 if no data got through).
measure_tcp() {
    ip netns exec sink timeout $((window + 15)) iperf3 -s -1 -B 10.9.0.2 >/dev/null 2>&1 &
    local srv_pid=$!
    local n
    for n in $(seq 1 50); do
        ip netns exec sink ss -ltn 2>/dev/null | grep -q ':5201 ' && break
        sleep 0.1
    done
    local out
    out=$(ip netns exec gen timeout $((window + 10)) \
        iperf3 -c 10.9.0.2 -t "$window" -f m --connect-timeout 3000 2>/dev/null || true)
    kill "$srv_pid" 2>/dev/null || true
    wait "$srv_pid" 2>/dev/null || true
    local mbit
    mbit=$(awk '/receiver/ { print $7 }' <<<"$out")
    echo "${mbit:-0}"
}

: > "$results"
echo "Forwarding benchmark: $reps repetitions, ${window}s windows, $(nproc) cores, $(uname -r)"
for rep in $(seq 1 "$reps"); do
    for sw in braid ovs linux; do
        make_hosts
        set_offloads on
        start_switch $sw
        { read -r pps; read -r offered; } < <(measure_pps)
        tcp_on=$(measure_tcp)
        set_offloads off
        tcp_off=$(measure_tcp)
        teardown
        printf '%s pps %s\n%s offered %s\n%s tcp_on %s\n%s tcp_off %s\n' \
            $sw "$pps" $sw "$offered" $sw "$tcp_on" $sw "$tcp_off" >> "$results"
        printf 'rep %d %-6s %9s of %9s frames/s  TCP offloads on %7s Mbit/s, off %7s Mbit/s\n' \
            "$rep" $sw "$pps" "$offered" "$tcp_on" "$tcp_off"
    done
done

median() {
    awk -v s="$1" -v t="$2" '$1 == s && $2 == t { print $3 }' "$results" | sort -g \
        | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}
ratio() {
    if [ "$(echo "$2 == 0" | bc)" = 1 ]; then echo "n/a"; else echo "scale=2; $1 / $2" | bc; fi
}

echo
echo "Medians of $reps:"
echo
printf '| %-44s | %16s | %16s | %18s | %19s |\n' "switch" "64-byte frames/s" \
    "offered frames/s" "TCP, offloads on" "TCP, offloads off"
printf '|%s|%s|%s|%s|%s|\n' "----------------------------------------------" \
    "-----------------:" "-----------------:" "-------------------:" "--------------------:"
declare -A name=([braid]="Braid $(sed -n 's/^Braid //p' <("$builddir/vswitchd/braid-vswitchd" --version))"
                 [ovs]="ovs-vswitchd $(ovs-vsctl --version | awk '/Open vSwitch/ {print $NF}'), datapath_type=netdev"
                 [linux]="Linux bridge")
for sw in braid ovs linux; do
    printf '| %-44s | %16s | %16s | %11s Mbit/s | %12s Mbit/s |\n' "${name[$sw]}" \
        "$(median $sw pps)" "$(median $sw offered)" "$(median $sw tcp_on)" \
        "$(median $sw tcp_off)"
done
echo
for other in ovs linux; do
    printf 'Braid / %-6s frames/s %s, TCP offloads on %s, TCP offloads off %s\n' "$other" \
        "$(ratio "$(median braid pps)" "$(median $other pps)")" \
        "$(ratio "$(median braid tcp_on)" "$(median $other tcp_on)")" \
        "$(ratio "$(median braid tcp_off)" "$(median $other tcp_off)")"
done
