#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian/Ubuntu machine (as root),
# then runs every test: Java modules (media tests inside the test network
# namespace) and the TypeScript client. Fails loudly when a prerequisite is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LKB_ROOT"

ensure_apt_packages libpulse0 iproute2 iptables procps ca-certificates lame opus-tools redis-server
command -v mvn >/dev/null 2>&1 || ensure_apt_packages maven
require_jdk21
ensure_livekit_server
ensure_node_modules "$LKB_ROOT/test-peer"
ensure_node_modules "$LKB_ROOT/clients/typescript"
ensure_node_modules "$LKB_ROOT/bridge-server/src/test/node"

export LKB_NETNS="${LKB_NETNS:-lkbtest}"
export LKB_NODE_IP="${LKB_NODE_IP:-10.99.0.1}"
export LKB_JAVA="$JAVA_HOME/bin/java"
export LKB_LIVEKIT_SERVER_BIN
export LKB_TEST_PEER_DIR="$LKB_ROOT/test-peer"
export LKB_NODE="$(command -v node)"

scripts/netns.sh up
trap 'scripts/netns.sh down || true' EXIT

log "Java tests (forked test JVMs run inside namespace $LKB_NETNS)"
mvn -B -ntp ${LKB_MAVEN_ARGS:-} -Dtest.jvm="$LKB_ROOT/scripts/netns-jvm/bin/java" install

log "TypeScript client tests (inside namespace $LKB_NETNS)"
(cd clients/typescript && npm run --silent build && ip netns exec "$LKB_NETNS" npm test)

log "Container image (scripts/image-test.sh): deployment files checked, the Dockerfile built with podman, the image run next to livekit-server and the rtc-node peer inside namespace $LKB_NETNS"
scripts/image-test.sh

log "Soak, 3 minutes (scripts/load.sh --soak, inside namespace $LKB_NETNS, which the tests are done with): the packaged bridge with 50 sessions of phone data at 10 packets/s, 5 streaming audio up, 5 playing a URL; fails on an unaccounted phone packet, a stream error, a failed join or thread/FD growth, and prints the slopes (RSS is gated by the 1-hour soak only: 3 minutes are the JVM's own heap sizing)"
LKB_NETNS_REUSE=1 scripts/load.sh --soak --duration 3m --sample 10s --warmup 60s \
  --sessions 50 --uplink 0.1 --play 0.1 --max-rss-slope off --bridge-java-opts -Xmx768m --label ci --out load/target/soak-ci
