# syntax=docker/dockerfile:1
# The LiveKit bridge as an OCI image.
#
#   docker build -t livekit-bridge .           (or: podman build --format docker -t livekit-bridge .)
#   docker run --rm -p 9090:9090 -p 9091:9091 -e LIVEKIT_URL=wss://... \
#     -e LIVEKIT_API_KEY=... -e LIVEKIT_API_SECRET=... livekit-bridge
#
# Both stages use Debian 13 (trixie) slim: its openjdk-21 is the JDK >= 21 the build needs and the
# JRE the bridge runs on (Debian 12 ships only openjdk-17). scripts/image-test.sh makes this base
# with debootstrap where no registry is reachable. HEALTHCHECK needs the docker image format:
# with podman, build with --format docker.
ARG DEBIAN_BASE=debian:trixie-slim

# ---- build: JDK 21 + Maven from Debian ----
FROM ${DEBIAN_BASE} AS build
# (-slim has no /usr/share/man; the JDK's update-alternatives needs man1 to exist.)
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-21-jdk-headless maven \
 && rm -rf /var/lib/apt/lists/*
# Extra CA certificates (PEM) for the build's downloads from Maven Central, for machines behind a
# TLS-inspecting proxy; empty by default. Only this stage trusts them: the runtime image does not.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" | awk '/BEGIN CERTIFICATE/{n++} n{print > ("/usr/local/share/ca-certificates/extra-" n ".crt")}' \
      && update-ca-certificates >/dev/null; \
    fi
WORKDIR /src

# Dependencies and Maven plugins in their own layer: the module skeleton (POMs and the .proto, no
# sources) is packaged once, which resolves exactly what the real build resolves, protoc included.
# This layer is rebuilt only when a POM or the .proto changes.
COPY pom.xml ./
COPY core/pom.xml core/
COPY dsp/pom.xml dsp/
COPY load/pom.xml load/
COPY audio/pom.xml audio/
COPY livekit-rtc/pom.xml livekit-rtc/
COPY webrtc-natives/pom.xml webrtc-natives/
# Its build step (patching webrtc-java's native library) runs in this layer, so its source comes too.
COPY webrtc-natives/src/main webrtc-natives/src/main
COPY bridge-server/pom.xml bridge-server/
COPY test-support/pom.xml test-support/
COPY proto proto
RUN mvn -B -ntp -q -Dmaven.test.skip=true -pl bridge-server -am package \
 && rm -rf */target

# Sources: offline, so the build uses only what the layer above fetched.
COPY core/src/main core/src/main
COPY dsp/src/main dsp/src/main
COPY load/src/main load/src/main
COPY audio/src/main audio/src/main
COPY livekit-rtc/src/main livekit-rtc/src/main
COPY test-support/src/main test-support/src/main
COPY bridge-server/src/main bridge-server/src/main
RUN mvn -B -ntp -q -o -Dmaven.test.skip=true -pl bridge-server -am package \
 && mkdir -p /out \
 && cp bridge-server/target/bridge-server-*.jar /out/bridge-server.jar \
 && cp -r bridge-server/target/lib /out/lib \
 && cp bridge-server/src/main/jvm.options /out/jvm.options

# ---- runtime: a JRE, the libraries webrtc-java's native library links and the bridge ----
# (libwebrtc-java-linux-x86_64.so NEEDs libpulse.so.0, libudev.so.1, libdbus-1.so.3 and, for screen
# capture the bridge never uses, libX11, libXfixes, libXrandr and libXcomposite; without any one
# of them the first JoinRoom fails with an UnsatisfiedLinkError.)
FROM ${DEBIAN_BASE}
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-21-jre-headless \
      libpulse0 libudev1 libdbus-1-3 libx11-6 libxfixes3 libxrandr2 libxcomposite1 libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* /tmp/* \
 && groupadd --system --gid 10001 bridge \
 && useradd --system --uid 10001 --gid bridge --home-dir /app --no-create-home --shell /usr/sbin/nologin bridge
COPY --from=build /out/lib /app/lib
COPY --from=build /out/bridge-server.jar /app/bridge-server.jar
COPY --from=build /out/jvm.options /app/jvm.options
WORKDIR /app
USER 10001:10001

# malloc: jemalloc, preloaded for the JVM and libwebrtc alike. glibc's malloc keeps pages of the
# large bursts the JIT's compilations free, a step of resident memory that stays (the soaks in
# load/CAPACITY.md); jemalloc returns freed pages within seconds. (x86_64 only, as webrtc-java's
# native library is.) An empty LD_PRELOAD (-e LD_PRELOAD=) runs the bridge on glibc's malloc.
ENV LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
# jemalloc returns a thread's freed pages only when that thread's arena is used again, unless its
# background thread purges them on time: after a large compilation the JIT's compiler thread can
# sit idle for many minutes with the pages it freed still resident (+5 MB for 15 minutes in a
# 100-session soak). One more thread (jemalloc_bg_thd), which purges every arena; glibc ignores it.
ENV MALLOC_CONF=background_thread:true,max_background_threads:1

# The bridge reads the variables in the README's "Configuration" table (LIVEKIT_URL,
# LIVEKIT_API_KEY / LIVEKIT_API_SECRET, MAX_SESSIONS, DOWNLINK_QUEUE_CHUNKS, UPLINK_BUFFER_MS,
# UPLINK_PREBUFFER_MS, AUDIO_URL_ALLOW_PRIVATE, MAX_AUDIO_BYTES, MAX_AUDIO_SECONDS,
# SHUTDOWN_GRACE_SECONDS, ...); pass them with -e / env. Set here, at the bridge's defaults: what
# the image's ports and health check rely on. The LiveKit keys belong in a secret, never here.
ENV PORT=9090 \
    BIND_ADDRESS=0.0.0.0 \
    METRICS_PORT=9091 \
    LOG_LEVEL=INFO
EXPOSE 9090 9091

# grpc.health.v1 through the bridge's own class path (HealthProbe: exit 0 on SERVING, 1 otherwise).
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx32m", "-Xss512k", "-cp", "/app/bridge-server.jar:/app/lib/*", "com.mentra.bridge.server.HealthProbe"]

# SIGTERM (docker stop, Kubernetes) makes the bridge leave every room and end every stream within
# SHUTDOWN_GRACE_SECONDS; give the container more than that before SIGKILL. Heap: at most half the
# container's memory (libwebrtc's native memory lives outside it). The bridge's own JVM options are
# in /app/jvm.options (bridge-server/src/main/jvm.options); extra JVM flags: JDK_JAVA_OPTIONS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "@/app/jvm.options", "-XX:MaxRAMPercentage=50", "--enable-native-access=ALL-UNNAMED", "-cp", "/app/bridge-server.jar:/app/lib/*", "com.mentra.bridge.server.BridgeMain"]
