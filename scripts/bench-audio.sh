#!/usr/bin/env bash
# Prints the resampler's quality and cost next to a linear-interpolation reference.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LKB_ROOT"
require_jdk21
mvn -B -ntp -q -pl test-support,audio -am install -DskipTests
exec "$JAVA_HOME/bin/java" -cp audio/target/classes:audio/target/test-classes com.mentra.bridge.audio.bench.ResamplerBenchmark
