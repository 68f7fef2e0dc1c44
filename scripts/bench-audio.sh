#!/usr/bin/env bash
# Prints the resampler's quality and cost next to a linear-interpolation reference.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LKB_ROOT"
require_jdk21
mvn -B -ntp -q -pl dsp -am install -DskipTests
exec "$JAVA_HOME/bin/java" -cp dsp/target/classes:dsp/target/test-classes com.mentra.bridge.dsp.bench.ResamplerBenchmark
