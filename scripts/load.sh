#!/usr/bin/env bash
# The bridge's load and soak tool. Starts livekit-server (unless LIVEKIT_URL is set), the packaged
# bridge, a WAV server and the phones (LiveKit's Go SDK, many participants in one process) inside
# its own network namespace, drives N sessions and reports the bridge's costs and latencies.
#
#   scripts/load.sh --sessions 100 --pps 10 --duration 60s
#   scripts/load.sh --sessions 100 --uplink 1 --duration 60s
#   scripts/load.sh --sessions 300 --uplink 0.1 --play 0.1
#   scripts/load.sh --soak --sessions 100 --duration 1h       (exits 1 when the soak fails)
#   scripts/load.sh --help
#
# Output: per-interval lines on stdout; load/target/runs/<time>/ (or --out) holds load.jsonl (one
# JSON object a line: config, phase, sample, summary), load.svg (the plot) and the processes' logs.
#
# Environment: LKB_NETNS / LKB_NODE_IP (default lkbload / 10.95.0.1, created here and removed at
# exit: two runs at once need two names; LKB_NETNS=none runs in this network namespace, for
# LIVEKIT_URL pointing elsewhere; LKB_NETNS_REUSE=1 runs in an existing namespace and leaves it, as
# scripts/test.sh's soak step does in lkbtest), LIVEKIT_URL + LIVEKIT_API_KEY + LIVEKIT_API_SECRET
# (an existing LiveKit), LKB_BRIDGE_JAR (another build of the bridge), LKB_LOAD_BUILD=1 (rebuild
# the jars first), LKB_BRIDGE_PRELOAD (the bridge's LD_PRELOAD, default jemalloc; empty: glibc's
# malloc).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LKB_ROOT"

case " $* " in *" --help "*|*" -h "*) exec_help=1 ;; *) exec_help=0 ;; esac

require_jdk21
ensure_apt_packages libpulse0 iproute2 procps ca-certificates
ensure_livekit_server

# The phones: load/phones built with Go once per source version, cached like livekit-server.
phones_hash="$(cat load/phones/go.mod load/phones/go.sum load/phones/main.go | sha256sum | cut -c1-12)"
LKB_PHONES="$LKB_CACHE/lkb-phones-$phones_hash"
if [ ! -x "$LKB_PHONES" ]; then
  require_cmd go "install Go >= 1.24 (https://go.dev/doc/install) to build the phone simulator"
  log "building the phone simulator (load/phones, LiveKit server-sdk-go) into $LKB_PHONES"
  mkdir -p "$LKB_CACHE"
  (cd load/phones && GOFLAGS=-mod=mod go build -trimpath -o "$LKB_PHONES.tmp" .) || die "go build of load/phones failed"
  mv "$LKB_PHONES.tmp" "$LKB_PHONES"
fi
export LKB_PHONES

bridge_jar="bridge-server/target/bridge-server-0.1.0-SNAPSHOT.jar"
load_jar="load/target/load-0.1.0-SNAPSHOT.jar"
if [ "${LKB_LOAD_BUILD:-0}" = 1 ] || [ ! -f "$bridge_jar" ] || [ ! -f "$load_jar" ] || [ ! -d load/target/lib ]; then
  command -v mvn >/dev/null 2>&1 || ensure_apt_packages maven
  log "building the bridge and the load tool (mvn package)"
  mvn -B -ntp -q -DskipTests -pl load -am package || die "mvn package failed"
fi

export LKB_JAVA="$JAVA_HOME/bin/java"
# The bridge this tool starts runs on the allocator scripts/run.sh and the image give it.
LKB_BRIDGE_PRELOAD="$(bridge_preload)"
export LKB_BRIDGE_PRELOAD LKB_BRIDGE_MALLOC_CONF
export LKB_LIVEKIT_SERVER_BIN
# LKB_BRIDGE_JAR: another build of the bridge (e.g. a clean clone at a commit) to measure.
export LKB_BRIDGE_JAR="${LKB_BRIDGE_JAR:-$LKB_ROOT/$bridge_jar}"
run=("$JAVA_HOME/bin/java" -XX:+UseSerialGC -Xmx512m --enable-native-access=ALL-UNNAMED -cp "$load_jar:load/target/lib/*" com.mentra.bridge.load.LoadMain "$@")
if [ "$exec_help" = 1 ]; then exec "${run[@]}"; fi

# Sessions, phones and livekit-server each hold sockets: a few thousand descriptors at 300 sessions.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

export LKB_NETNS="${LKB_NETNS:-lkbload}"
if [ "$LKB_NETNS" = none ]; then
  export LKB_NODE_IP="${LKB_NODE_IP:-127.0.0.1}"
  "${run[@]}"
else
  export LKB_NODE_IP="${LKB_NODE_IP:-10.95.0.1}"
  if [ "${LKB_NETNS_REUSE:-0}" = 1 ]; then
    # scripts/test.sh's soak step: the namespace the tests used, set up and torn down by test.sh.
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$LKB_NETNS" || die "LKB_NETNS_REUSE=1 but namespace $LKB_NETNS does not exist"
  else
    scripts/netns.sh up
    trap 'scripts/netns.sh down || true' EXIT
  fi
  log "load run inside network namespace $LKB_NETNS ($LKB_NODE_IP)"
  ip netns exec "$LKB_NETNS" "${run[@]}"
fi
