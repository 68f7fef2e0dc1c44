#!/usr/bin/env bash
# Runs the bridge. With LIVEKIT_URL unset it also starts a local LiveKit dev server;
# both then run inside a network namespace (lkbrun) whose veth end on the host has
# 10.99.1.2, so the bridge is reachable from this machine at 10.99.1.1:$PORT and
# media never touches another interface. With LIVEKIT_URL set, the bridge runs
# directly on the host.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LKB_ROOT"

ensure_apt_packages libpulse0 iproute2 procps ca-certificates
command -v mvn >/dev/null 2>&1 || ensure_apt_packages maven
require_jdk21
bridge_ld_preload="$(bridge_preload)"

log "building the bridge"
mvn -B -ntp -q -DskipTests package
CLASSPATH="bridge-server/target/bridge-server-0.1.0-SNAPSHOT.jar:bridge-server/target/lib/*"
export PORT="${PORT:-9090}"
# The bridge refuses to serve a non-loopback address without a credential: a development token,
# printed below for clients (BridgeClient's `token`, the demo CLI's --bridge-token).
if [ -z "${BRIDGE_AUTH_TOKENS:-}" ] && [ -z "${LIVEKIT_GRPC_SOCKET:-}" ] && [ "${BRIDGE_ALLOW_INSECURE:-}" != "true" ]; then
  BRIDGE_AUTH_TOKENS="dev-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  export BRIDGE_AUTH_TOKENS
  log "development bridge token: $BRIDGE_AUTH_TOKENS (send it as 'authorization: Bearer <token>')"
fi

if [ -n "${LIVEKIT_URL:-}" ]; then
  log "bridge on port $PORT using LiveKit at $LIVEKIT_URL"
  exec env LD_PRELOAD="$bridge_ld_preload" MALLOC_CONF="$LKB_BRIDGE_MALLOC_CONF" "$JAVA_HOME/bin/java" @"$LKB_ROOT/bridge-server/src/main/jvm.options" --enable-native-access=ALL-UNNAMED -cp "$CLASSPATH" com.mentra.bridge.server.BridgeMain
fi

ensure_livekit_server
export LKB_NETNS=lkbrun LKB_NODE_IP=10.99.1.1 LKB_HOST_IP=10.99.1.2
scripts/netns.sh up
work="$(mktemp -d)"
cleanup() {
  # A second Ctrl-C, or timeout(1) signalling the process and then its group, must not cut
  # the cleanup short and leave the namespace and the servers behind.
  trap '' INT TERM
  set +e
  if [ -n "${bridge_pid:-}" ]; then
    kill "$bridge_pid" 2>/dev/null
    wait "$bridge_pid" 2>/dev/null
  fi
  scripts/netns.sh down
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export LIVEKIT_API_KEY="${LIVEKIT_API_KEY:-devkey}"
export LIVEKIT_API_SECRET="${LIVEKIT_API_SECRET:-devsecret-devsecret-devsecret-devsecret}"
cat > "$work/livekit.yaml" <<YAML
port: 7880
bind_addresses: ["$LKB_NODE_IP"]
rtc:
  tcp_port: 7881
  port_range_start: 50000
  port_range_end: 50200
  use_external_ip: false
  node_ip: $LKB_NODE_IP
keys:
  $LIVEKIT_API_KEY: $LIVEKIT_API_SECRET
logging:
  level: warn
YAML
ip netns exec "$LKB_NETNS" "$LKB_LIVEKIT_SERVER_BIN" --config "$work/livekit.yaml" > "$work/livekit.log" 2>&1 &
export LIVEKIT_URL="ws://$LKB_NODE_IP:7880"
export BIND_ADDRESS="$LKB_NODE_IP"

cat >&2 <<MSG
[lkb] local LiveKit dev server: $LIVEKIT_URL (key $LIVEKIT_API_KEY, secret $LIVEKIT_API_SECRET)
[lkb] bridge gRPC: $LKB_NODE_IP:$PORT  (service mentra.livekit.bridge.LiveKitBridge, reflection on)
[lkb] metrics:     http://$LKB_NODE_IP:${METRICS_PORT:-9091}/metrics  (Prometheus text)
[lkb] bridge token: ${BRIDGE_AUTH_TOKENS:-none}
[lkb] try:  cd clients/typescript && npm ci && npm run build && node dist/cli.js --bridge $LKB_NODE_IP:$PORT --bridge-token "${BRIDGE_AUTH_TOKENS%%,*}" --user demo --room demo
[lkb] Ctrl-C stops everything.
MSG
ip netns exec "$LKB_NETNS" env LD_PRELOAD="$bridge_ld_preload" MALLOC_CONF="$LKB_BRIDGE_MALLOC_CONF" "$JAVA_HOME/bin/java" @"$LKB_ROOT/bridge-server/src/main/jvm.options" --enable-native-access=ALL-UNNAMED -cp "$CLASSPATH" com.mentra.bridge.server.BridgeMain &
bridge_pid=$!
wait "$bridge_pid"
