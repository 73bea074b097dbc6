#!/usr/bin/env bash
# Browser terminal benchmark: the keystroke-to-echo round trip of a browser terminal (the terminal gateway, the
# appliance speaking SSH to the host) against the real ssh with `outpost client connect --stdio` as its
# ProxyCommand, in the same run; then the appliance's heap and CPU per open browser terminal at each count, the
# terminals opened by a load generator in a JVM of its own. Everything runs on loopback: a real single-node site
# in one JVM and a real OpenSSH sshd that trusts the site's SSH user CA (see BrowserSessionsBench.java).
#
# Usage: bench/browser-sessions.sh [COUNTS [ROUND_TRIPS]]     defaults: 100,500 1000
# Each open terminal is an sshd and a shell process on this machine: 500 need about 3 GB of memory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

counts="${1:-100,500}" rtts="${2:-1000}"
if [ ! -f target/outpost.jar ] || [ ! -f target/test-classes/dev/outpost/bench/BrowserSessionsBench.class ]; then
  echo "browser-sessions.sh: building (mvn -DskipTests package)" >&2
  mvn -B -q -DskipTests package >&2
fi
[ -x /usr/sbin/sshd ] || { echo "browser-sessions.sh: needs OpenSSH's sshd (apt-get install openssh-server)" >&2; exit 1; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
java --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens java.management/sun.management=ALL-UNNAMED \
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED \
  -Xmx2g -Doutpost.jar=target/outpost.jar -cp target/test-classes:target/outpost.jar \
  dev.outpost.bench.BrowserSessionsBench "$counts" "$rtts"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
