#!/usr/bin/env bash
# Creates or removes the test network namespace.
#
# libwebrtc ignores loopback when it gathers ICE candidates and would pick the
# host's eth0 address, which test traffic must never target. Inside this
# namespace the only interfaces are lo and one veth pair whose one end carries
# $LKB_NODE_IP, so every candidate, server and peer address is that address.
#
#   scripts/netns.sh up     create (replacing a leftover from a killed run)
#   scripts/netns.sh down   remove, killing whatever still runs inside
#
# With LKB_HOST_IP set (the run command does this), the veth's other end sits in the
# host namespace with that address, so programs on the host reach the bridge inside.
set -euo pipefail
NS="${LKB_NETNS:-lkbtest}"
NODE_IP="${LKB_NODE_IP:-10.99.0.1}"
HOST_IP="${LKB_HOST_IP:-}"
HOST_IF="veth-${NS:0:10}"

fail() { printf '[lkb] ERROR: cannot set up the test network namespace: %s\n' "$*" >&2; exit 1; }

down() {
  if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$NS"; then
    local pids
    pids="$(ip netns pids "$NS" 2>/dev/null || true)"
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip netns del "$NS" || fail "ip netns del $NS"
  fi
  ip link del "$HOST_IF" 2>/dev/null || true
}

up() {
  [ "$(id -u)" -eq 0 ] || fail "must run as root (ip netns needs CAP_SYS_ADMIN)"
  command -v ip >/dev/null || fail "the 'ip' command is missing (apt-get install iproute2)"
  down
  ip netns add "$NS" || fail "ip netns add $NS"
  ip -n "$NS" link set lo up || fail "lo up"
  if [ -n "$HOST_IP" ]; then
    ip link add "$HOST_IF" type veth peer name lkb0 netns "$NS" || fail "veth pair to the host"
    sysctl -q -w "net.ipv6.conf.$HOST_IF.disable_ipv6=1" >/dev/null 2>&1 || true
    ip addr add "$HOST_IP/24" dev "$HOST_IF" || fail "host address $HOST_IP"
    ip link set "$HOST_IF" up || fail "$HOST_IF up"
  else
    ip -n "$NS" link add lkb0 type veth peer name lkb1 || fail "veth pair"
    ip netns exec "$NS" sysctl -q -w net.ipv6.conf.lkb1.disable_ipv6=1 >/dev/null 2>&1 || true
    ip -n "$NS" link set lkb1 up || fail "lkb1 up"
  fi
  # No IPv6 on the veth: its link-local addresses would become ICE candidates too.
  ip netns exec "$NS" sysctl -q -w net.ipv6.conf.lkb0.disable_ipv6=1 >/dev/null 2>&1 || true
  ip -n "$NS" addr add "$NODE_IP/24" dev lkb0 || fail "address $NODE_IP"
  ip -n "$NS" link set lkb0 up || fail "lkb0 up"
  printf '[lkb] network namespace %s ready (%s)\n' "$NS" "$NODE_IP" >&2
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
