#!/usr/bin/env bash
# Prints what 100 published but idle audio tracks cost (10 participants x 10 tracks, 10 s per
# case): CPU of the publishing JVM and of livekit-server, and UDP datagrams/s sent in the
# namespace, for tracks that get nothing pushed, silence before and after they carried sound, and
# a tone for reference. livekit-server and the publisher run inside a network namespace of their
# own. Needs root (the namespace) and what scripts/test.sh installs. About 70 s.
#
#   scripts/bench-idle-tracks.sh
#   BENCH_ARGS='-Dbench.verbose=true' scripts/bench-idle-tracks.sh
#
# The machine's other load shows in the figures: compare runs taken side by side.
#
# LKB_NETNS / LKB_NODE_IP pick the namespace (default lkbidle, 10.97.0.1); it is created and
# removed here, so never name one another run is using.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LKB_ROOT"
require_jdk21
ensure_livekit_server

export LKB_NETNS="${LKB_NETNS:-lkbidle}"
export LKB_NODE_IP="${LKB_NODE_IP:-10.97.0.1}"
export LKB_JAVA="$JAVA_HOME/bin/java"
export LKB_LIVEKIT_SERVER_BIN
# TestEnvironment wants the Node peer's settings too; this benchmark does not start it.
export LKB_TEST_PEER_DIR="${LKB_TEST_PEER_DIR:-$LKB_ROOT/test-peer}"
export LKB_NODE="${LKB_NODE:-$(command -v node || true)}"
[ -d "$LKB_TEST_PEER_DIR/node_modules/@livekit/rtc-node" ] || ensure_node_modules "$LKB_TEST_PEER_DIR"

log "building (tests skipped)"
cp_file="$(mktemp)"
mvn -B -ntp -q ${LKB_MAVEN_ARGS:-} -pl livekit-rtc -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" -Dmdep.outputAbsoluteArtifactFilename=true >/dev/null
classpath="$LKB_ROOT/livekit-rtc/target/test-classes:$LKB_ROOT/livekit-rtc/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"

scripts/netns.sh up
trap 'scripts/netns.sh down || true' EXIT
log "benchmark (namespace $LKB_NETNS, at most 5 minutes)"
# shellcheck disable=SC2086
timeout 300 ip netns exec "$LKB_NETNS" "$LKB_JAVA" -Xmx1g --enable-native-access=ALL-UNNAMED ${BENCH_ARGS:-} -cp "$classpath" com.mentra.livekit.rtc.IdleTracksCpuBenchmark
