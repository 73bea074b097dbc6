#!/usr/bin/env bash
# Lease benchmark: connection leases signed and verified per second on one node (one thread and all cores),
# against raw Bouncy Castle Ed25519 sign and verify of the same payload in the same run; reports the ratios
# (goal: sign+verify >= 0.7x raw). See LeaseBench.java and bench/README.md.
#
# Usage: bench/lease.sh [SECONDS_PER_MEASUREMENT]     default: 2
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-2}"
if [ ! -f target/outpost.jar ] || [ ! -f target/test-classes/dev/outpost/bench/LeaseBench.class ]; then
  echo "lease.sh: building (mvn -DskipTests package)" >&2
  mvn -B -q -DskipTests package >&2
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx512m -cp target/test-classes:target/outpost.jar dev.outpost.bench.LeaseBench "$seconds"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
