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
export LKB_JAVA="$JAVA_HOME/bin/java"
export LKB_LIVEKIT_SERVER_BIN
# TestEnvironment wants the Node peer's settings too; this benchmark does not start it.
export LKB_TEST_PEER_DIR="${LKB_TEST_PEER_DIR:-$LKB_ROOT/test-peer}"
export LKB_NODE="${LKB_NODE:-$(command -v node || true)}"
[ -d "$LKB_TEST_PEER_DIR/node_modules/@livekit/rtc-node" ] || ensure_node_modules "$LKB_TEST_PEER_DIR"

log "building (tests skipped)"
cp_file="$(mktemp)"
mvn -B -ntp -q -pl bridge-server -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" -Dmdep.outputAbsoluteArtifactFilename=true >/dev/null
classpath="$LKB_ROOT/bridge-server/target/test-classes:$LKB_ROOT/bridge-server/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"

scripts/netns.sh up
trap 'scripts/netns.sh down || true' EXIT
log "benchmark (namespace $LKB_NETNS, at most 15 minutes)"
# shellcheck disable=SC2086
timeout 900 ip netns exec "$LKB_NETNS" "$LKB_JAVA" -Xmx1g --enable-native-access=ALL-UNNAMED ${BENCH_ARGS:-} -cp "$classpath" com.mentra.bridge.server.JoinBenchmark
