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
prepare_benchmark livekit-rtc

scripts/netns.sh up
trap 'scripts/netns.sh down || true' EXIT
log "benchmark (namespace $LKB_NETNS, at most 5 minutes)"
# shellcheck disable=SC2086
timeout 300 ip netns exec "$LKB_NETNS" "$LKB_JAVA" -Xmx1g --enable-native-access=ALL-UNNAMED ${BENCH_ARGS:-} -cp "$BENCH_CLASSPATH" com.mentra.livekit.rtc.IdleTracksCpuBenchmark
