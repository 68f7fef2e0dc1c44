#!/usr/bin/env bash
# Builds the bridge's OCI image (the root Dockerfile) with podman and tests it:
#   1. structural checks of docker-compose.dev.yml, deploy/kubernetes/ and the Dockerfile
#      (deploy/test, node --test), which need no image;
#   2. podman, runc and debootstrap installed, podman configured for these machines
#      (/etc/containers/containers.conf, see the comment at ensure_containers_conf);
#   3. the Debian trixie slim base made from Debian's packages with debootstrap once and cached as
#      a tarball under $LKB_CACHE (no registry is reachable here), imported when podman lacks it;
#   4. podman build (layers cached in podman's storage: a warm build redoes only the compile);
#   5. ContainerImageTest (bridge-server): the image run with `podman run --network host` inside
#      the test network namespace next to livekit-server and the rtc-node peer, checked through
#      the gRPC API (health, join, phone data, PlayAudio pitch, SIGTERM within the grace period).
# scripts/test.sh runs it last, in its namespace; alone it makes its own namespace (lkbimg).
# Fails loudly when podman cannot build or run here; nothing is skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LKB_ROOT"

export LKB_IMAGE="${LKB_IMAGE:-localhost/livekit-bridge:test}"
DEBIAN_SUITE=trixie
BASE_IMAGE="localhost/lkb-debian:$DEBIAN_SUITE-slim"
BUILD_CACHE_IMAGE="localhost/livekit-bridge-build:cache"
BASE_RECIPE=1   # bump when make_base_tarball changes
BASE_TARBALL="$LKB_CACHE/debian-$DEBIAN_SUITE-slim-r$BASE_RECIPE.tar.gz"
BASE_MAX_AGE_DAYS=30

t0=$SECONDS
phase_start=$SECONDS
phase() { log "image test: $1 (previous step: $((SECONDS - phase_start)) s)"; phase_start=$SECONDS; }

ensure_apt_packages podman runc debootstrap ca-certificates
command -v mvn >/dev/null 2>&1 || ensure_apt_packages maven
require_jdk21
require_cmd node "install Node.js 20"

# What podman needs on these machines (verified, ../shared/notes/containers.md): no default
# ulimits (setting RLIMIT_NOFILE/NPROC is not permitted here) and the cgroupfs manager; crun
# refuses cgroup v1 hybrid mode, so every podman build/run below passes --runtime runc.
ensure_containers_conf() {
  local conf=/etc/containers/containers.conf
  if [ -f "$conf" ] && grep -q '^default_ulimits *= *\[\]' "$conf" && grep -q '^cgroup_manager *= *"cgroupfs"' "$conf"; then
    return 0
  fi
  if [ -s "$conf" ] && grep -qv '^\s*\(#.*\)\?$' "$conf"; then
    die "$conf exists with other settings; add 'default_ulimits = []' under [containers] and 'cgroup_manager = \"cgroupfs\"' under [engine] by hand"
  fi
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' > "$conf"
  log "wrote $conf (default_ulimits = [], cgroup_manager = cgroupfs)"
}

# The way Debian's official -slim images are made (debuerreotype): a minbase debootstrap without
# documentation, man pages and locales, dpkg told to keep them out, apt told to keep no caches.
make_base_tarball() {
  local work rootfs
  work="$(mktemp -d "$LKB_CACHE/base.XXXXXX")"
  rootfs="$work/rootfs"
  log "making the $DEBIAN_SUITE slim base with debootstrap (first run only, about 30 s)"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" http://deb.debian.org/debian > "$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; rm -rf "$work"; die "debootstrap $DEBIAN_SUITE failed"; }
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
  cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' > "$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' > "$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' > "$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  rm -f "$rootfs/etc/apt/sources.list"
  cat > "$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$rootfs"/usr/share/{groff,info,linda,lintian/overrides,locale,man}/* \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/etc/machine-id
  : > "$rootfs/etc/resolv.conf"
  tar --numeric-owner -C "$rootfs" -czf "$work/base.tar.gz" . || { rm -rf "$work"; die "cannot pack the base"; }
  mv "$work/base.tar.gz" "$BASE_TARBALL"
  rm -rf "$work"
  log "base cached at $BASE_TARBALL ($(du -h "$BASE_TARBALL" | cut -f1))"
}

ensure_base_image() {
  mkdir -p "$LKB_CACHE"
  if [ -f "$BASE_TARBALL" ] && [ -n "$(find "$BASE_TARBALL" -mtime +"$BASE_MAX_AGE_DAYS" 2>/dev/null)" ]; then
    log "the cached base is older than $BASE_MAX_AGE_DAYS days; making it again"
    rm -f "$BASE_TARBALL"
    podman rmi -f "$BASE_IMAGE" >/dev/null 2>&1 || true
  fi
  [ -f "$BASE_TARBALL" ] || make_base_tarball
  if ! podman image exists "$BASE_IMAGE"; then
    log "importing $BASE_TARBALL as $BASE_IMAGE"
    podman import --change 'CMD ["bash"]' "$BASE_TARBALL" "$BASE_IMAGE" >/dev/null \
      || die "podman import of the base failed (podman unusable here?)"
  fi
}

build_image() {
  # Locally added CAs (Debian's place for them), e.g. a TLS-inspecting proxy's, so the build stage
  # can download from Maven Central where this machine can; the runtime image does not get them.
  local extra_ca=""
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    extra_ca="$(cat /usr/local/share/ca-certificates/*.crt)"
  fi
  # --format docker keeps HEALTHCHECK (the OCI image format has no field for it).
  local args=(build --runtime runc --network host --pull=never --format docker --layers
    --build-arg "DEBIAN_BASE=$BASE_IMAGE" --build-arg "EXTRA_CA_CERTS=$extra_ca" -f Dockerfile)
  # The build stage gets a tag of its own: its layers (JDK + Maven, the dependency download) are
  # nobody's parent in the final image, so untagged they would count as dangling and the prune
  # below would throw the cache away.
  podman "${args[@]}" --target build -t "$BUILD_CACHE_IMAGE" . || die "podman build of the build stage failed"
  podman "${args[@]}" -t "$LKB_IMAGE" . || die "podman build of $LKB_IMAGE failed"
  # Images and build layers this build replaced (untagged, no children) go; the cache stays.
  podman image prune -f >/dev/null 2>&1 || true
}

phase "checking the compose file, the Kubernetes manifests and the Dockerfile"
ensure_node_modules "$LKB_ROOT/deploy/test"
(cd deploy/test && node --test) || die "structural checks of the deployment files failed"

ensure_containers_conf
command -v runc >/dev/null || die "runc is missing"
podman info >/dev/null 2>&1 || die "podman does not work here: $(podman info 2>&1 | tail -n 3)"

# One build at a time on this machine (the base, podman's layer cache and the tag are shared).
exec 9> "$LKB_CACHE/image-build.lock"
flock 9
phase "podman ready; making the base image"
ensure_base_image
phase "base image ready; building $LKB_IMAGE"
build_image
flock -u 9
size_bytes="$(podman image inspect --format '{{.Size}}' "$LKB_IMAGE")"
phase "built $LKB_IMAGE: $((size_bytes / 1000000)) MB"

# The test namespace: scripts/test.sh's when it runs us, else our own.
if [ -z "${LKB_NETNS:-}" ]; then
  export LKB_NETNS=lkbimg LKB_NODE_IP=10.98.0.1
  scripts/netns.sh up
  trap 'scripts/netns.sh down || true' EXIT
  ensure_livekit_server
  ensure_node_modules "$LKB_ROOT/test-peer"
fi
export LKB_NODE_IP="${LKB_NODE_IP:?}"
export LKB_JAVA="$JAVA_HOME/bin/java"
export LKB_LIVEKIT_SERVER_BIN
export LKB_TEST_PEER_DIR="$LKB_ROOT/test-peer"
export LKB_NODE="$(command -v node)"
# The test JVM runs inside the namespace via `ip netns exec`, whose fresh /sys hides the cgroup
# mounts runc needs; the test calls podman in this shell's mount namespace instead (same network).
export LKB_HOST_MOUNT_NS="/proc/$$/ns/mnt"

# Containers a killed test left behind (netns.sh down kills what runs in the namespace).
podman ps -aq --filter label=lkb-image-test=1 --filter status=exited | xargs -r podman rm -f >/dev/null 2>&1 || true
phase "running ContainerImageTest (the image inside namespace $LKB_NETNS)"
rm -f bridge-server/target/surefire-reports/*ContainerImageTest*
mvn -B -ntp -q ${LKB_MAVEN_ARGS:-} -pl bridge-server -am -Dtest=ContainerImageTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest.jvm="$LKB_ROOT/scripts/netns-jvm/bin/java" test \
  || { cat bridge-server/target/surefire-reports/*ContainerImageTest-output.txt 2>/dev/null | tail -n 80 >&2 || true; die "ContainerImageTest failed"; }
cat bridge-server/target/surefire-reports/*ContainerImageTest-output.txt 2>/dev/null | grep '^\[image\]' >&2 || true
phase "ContainerImageTest passed"
log "image test: done in $((SECONDS - t0)) s; image $LKB_IMAGE is $((size_bytes / 1000000)) MB"
