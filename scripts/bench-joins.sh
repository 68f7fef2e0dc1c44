#!/usr/bin/env bash
# Prints JoinRoom latency (p50/p99/max) for 1, 10, 50 and 100 concurrent joins against rooms that
# already hold a phone: livekit-server, the phones (a second JVM) and the bridge all run inside a
# network namespace of their own. Needs root (the namespace) and what scripts/test.sh installs.
#
#   scripts/bench-joins.sh                       3 rounds per level, about 80 s
#   BENCH_ARGS='-Dbench.levels=1,10 -Dbench.rounds=5 -Dbench.threads=true' scripts/bench-joins.sh
#
# The machine's other load shows in the figures: compare runs taken side by side, and the CPU
# columns (bridge JVM, livekit-server, phones), which move less than the latencies.
#
# LKB_NETNS / LKB_NODE_IP pick the namespace (default lkbbench, 10.98.0.1); it is created and
# removed here, so never name one another run is using.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LKB_ROOT"
require_jdk21
ensure_livekit_server

export LKB_NETNS="${LKB_NETNS:-lkbbench}"
export LKB_NODE_IP="${LKB_NODE_IP:-10.98.0.1}"
prepare_benchmark bridge-server

scripts/netns.sh up
trap 'scripts/netns.sh down || true' EXIT
log "benchmark (namespace $LKB_NETNS, at most 15 minutes)"
# shellcheck disable=SC2086
timeout 900 ip netns exec "$LKB_NETNS" "$LKB_JAVA" -Xmx1g --enable-native-access=ALL-UNNAMED ${BENCH_ARGS:-} -cp "$BENCH_CLASSPATH" com.mentra.bridge.server.JoinBenchmark
