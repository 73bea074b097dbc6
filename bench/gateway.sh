#!/usr/bin/env bash
# Gateway benchmark: bulk throughput and round-trip latency through the raw TLS gateway versus a direct
# loopback TCP connection to the same service, measured in one run, how many concurrent streams one node
# holds, and how it copes with a flood of idle connections from one address. Everything runs on loopback: a
# real single-node site in one JVM, with a bulk source and an echo service standing in for the session host
# (see GatewayBench.java).
#
# Usage: bench/gateway.sh [BULK_MIB [ROUND_TRIPS [STREAMS [IDLE]]]]     defaults: 1024 5000 2000 1000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bulk="${1:-1024}" rtts="${2:-5000}" streams="${3:-2000}" idle="${4:-1000}"
if [ ! -f target/outpost.jar ] || [ ! -f target/test-classes/dev/outpost/bench/GatewayBench.class ]; then
  echo "gateway.sh: building (mvn -DskipTests package)" >&2
  mvn -B -q -DskipTests package >&2
fi
# each stream holds three sockets in this process (client, gateway x2); the echo service runs in its own
need=$((streams * 3 + idle * 2 + 1000))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || echo "gateway.sh: ulimit -n $(ulimit -n) may be too low for $streams streams" >&2
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
java --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens java.management/sun.management=ALL-UNNAMED \
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED \
  -Xmx2g -cp target/test-classes:target/outpost.jar dev.outpost.bench.GatewayBench "$bulk" "$rtts" "$streams" "$idle"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
