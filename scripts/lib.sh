# Shared helpers for the project's scripts. Source it; do not run it.
# shellcheck shell=bash

LKB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LKB_CACHE="${LKB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/livekit-bridge}"
LIVEKIT_SERVER_VERSION="v1.13.5"
LKB_LIVEKIT_SERVER_BIN="$LKB_CACHE/livekit-server-$LIVEKIT_SERVER_VERSION/livekit-server"

log() { printf '[lkb] %s\n' "$*" >&2; }
die() { printf '[lkb] ERROR: %s\n' "$*" >&2; exit 1; }

# Prints the major version of a java executable, or nothing.
java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}

# Finds a JDK >= 21: JAVA_HOME first, then /usr/lib/jvm. Exports JAVA_HOME.
require_jdk21() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/*; do [ -d "$c" ] && candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v="$(java_major "$c/bin/java")"
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then
      export JAVA_HOME="$c"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  die "no JDK >= 21 found in JAVA_HOME or /usr/lib/jvm. Install one, e.g. 'apt-get install openjdk-21-jdk' (Debian 13 / Ubuntu 24.04) or Temurin 21+ from Adoptium, then set JAVA_HOME."
}

require_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required: $2"
}

# Installs Debian packages that are missing. Needs root (the test machines run as root).
ensure_apt_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Builds livekit-server from its Go module once; later runs reuse the cached binary.
ensure_livekit_server() {
  if [ -x "$LKB_LIVEKIT_SERVER_BIN" ]; then return 0; fi
  require_cmd go "install Go >= 1.24 (https://go.dev/doc/install) to build livekit-server"
  local gobin
  gobin="$(dirname "$LKB_LIVEKIT_SERVER_BIN")"
  mkdir -p "$gobin"
  log "building livekit-server $LIVEKIT_SERVER_VERSION from its Go module (first run only, takes a few minutes)"
  GOBIN="$gobin.tmp" GOFLAGS=-mod=mod go install "github.com/livekit/livekit-server/cmd/server@$LIVEKIT_SERVER_VERSION" \
    || die "go install of livekit-server $LIVEKIT_SERVER_VERSION failed"
  mv "$gobin.tmp/server" "$LKB_LIVEKIT_SERVER_BIN"
  rmdir "$gobin.tmp" 2>/dev/null || true
  log "livekit-server cached at $LKB_LIVEKIT_SERVER_BIN"
}

ensure_node_modules() {
  local dir="$1"
  require_cmd node "install Node.js 20 (e.g. 'apt-get install nodejs npm' or NodeSource)"
  require_cmd npm "install npm"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $dir"
  fi
}

# For the benchmark commands (bench-joins.sh, bench-idle-tracks.sh): the test environment's
# variables (TestEnvironment wants the Node peer's settings too, even when a benchmark does not
# start it), then the module's test classes built and their class path in $BENCH_CLASSPATH.
# Usage: prepare_benchmark MODULE
prepare_benchmark() {
  local module="$1" cp_file
  export LKB_JAVA="$JAVA_HOME/bin/java"
  export LKB_LIVEKIT_SERVER_BIN
  export LKB_TEST_PEER_DIR="${LKB_TEST_PEER_DIR:-$LKB_ROOT/test-peer}"
  export LKB_NODE="${LKB_NODE:-$(command -v node || true)}"
  [ -d "$LKB_TEST_PEER_DIR/node_modules/@livekit/rtc-node" ] || ensure_node_modules "$LKB_TEST_PEER_DIR"
  log "building (tests skipped)"
  cp_file="$(mktemp)"
  # shellcheck disable=SC2086
  mvn -B -ntp -q ${LKB_MAVEN_ARGS:-} -pl "$module" -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" -Dmdep.outputAbsoluteArtifactFilename=true >/dev/null
  BENCH_CLASSPATH="$LKB_ROOT/$module/target/test-classes:$LKB_ROOT/$module/target/classes:$(cat "$cp_file")"
  rm -f "$cp_file"
}

# The allocator the bridge runs with: jemalloc, preloaded (Debian's libjemalloc2). glibc's malloc
# keeps pages of the large bursts the JIT's compilations free, a step of RSS that stays (the
# soaks in load/CAPACITY.md); jemalloc gives them back. Prints the library's path, installing
# the package when it is missing. LKB_BRIDGE_PRELOAD set (empty: glibc) overrides it.
# With it, the bridge gets LKB_BRIDGE_MALLOC_CONF as MALLOC_CONF (the image's ENV, the same why).
LKB_BRIDGE_MALLOC_CONF="${LKB_BRIDGE_MALLOC_CONF-background_thread:true,max_background_threads:1}"
bridge_preload() {
  if [ -n "${LKB_BRIDGE_PRELOAD+set}" ]; then printf '%s' "$LKB_BRIDGE_PRELOAD"; return 0; fi
  ensure_apt_packages libjemalloc2
  local lib
  lib="$(dpkg -L libjemalloc2 2>/dev/null | grep '/libjemalloc\.so\.2$' | head -n1)"
  [ -n "$lib" ] && [ -f "$lib" ] || die "libjemalloc.so.2 not found although libjemalloc2 is installed"
  printf '%s' "$lib"
}
