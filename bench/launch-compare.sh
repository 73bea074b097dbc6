#!/usr/bin/env bash
# Launch throughput and p99 of two builds measured in the same run, alternating (A B A B ...), so that a change
# is judged against its own baseline on this machine at this moment. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: bench/launch-compare.sh --before JAR --after JAR [--rounds N] [launch.sh options]

Runs bench/launch.sh once per round with each jar, alternating, and prints each round's launches/s and p99, the
medians, and after/before ratios (launches/s: higher is better; p99: lower is better). Any other option goes to
launch.sh (e.g. --hosts 1000 --users 200 --seconds 20 --idle-seconds 0).

  --before JAR   the baseline build (e.g. a jar built from the commit before the change)
  --after JAR    the build under test (default: target/outpost.jar)
  --rounds N     rounds of A then B (default: 2)
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
before=""; after="$root/target/outpost.jar"; rounds=2; pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before="$2"; shift 2 ;;
    --after) after="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done
[ -n "$before" ] || { echo "launch-compare.sh: --before JAR is required" >&2; usage >&2; exit 2; }
for jar in "$before" "$after"; do
  [ -f "$jar" ] || { echo "launch-compare.sh: no jar at $jar" >&2; exit 2; }
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "launch-compare.sh: --rounds takes a whole number >= 1" >&2; exit 2; }

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for round in $(seq 1 "$rounds"); do
  for side in before after; do
    jar="$before"; [ "$side" = after ] && jar="$after"
    echo "== round $round, $side ($jar), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    line=$("$root/bench/launch.sh" --jar "$jar" ${pass[@]+"${pass[@]}"} | grep '^RESULT' | tail -1)
    echo "$side $line" | tee -a "$results"
  done
done

python3 - "$results" <<'PY'
import re, statistics, sys
rows = {"before": [], "after": []}
for line in open(sys.argv[1]):
    side, rest = line.split(" ", 1)
    fields = dict(re.findall(r"(\w+)=([\d.]+)", rest))
    rows[side].append((float(fields["launches_per_s"]), float(fields["p99_ms"]), float(fields["baseline_per_s"])))
def med(side, i):
    return statistics.median(r[i] for r in rows[side])
b_rate, a_rate = med("before", 0), med("after", 0)
b_p99, a_p99 = med("before", 1), med("after", 1)
print("launches/s  before %.0f  after %.0f  ratio after/before %.2f" % (b_rate, a_rate, a_rate / b_rate))
print("p99 ms      before %.2f  after %.2f  ratio after/before %.2f" % (b_p99, a_p99, a_p99 / b_p99))
print("vs health   before %.3f  after %.3f  (launches/s over GET /health/live in the same phase)"
      % (statistics.median(r[0] / r[2] for r in rows["before"]), statistics.median(r[0] / r[2] for r in rows["after"])))
PY
