#!/usr/bin/env bash
# Measures how long `outpost appliance` takes to become ready (GET /health/ready answers 200):
#   cold: a fresh, empty data dir (creates the site CA, initialises PostgreSQL, runs migrations);
#   warm: a restart on the data dir the cold start left behind.
# Also times `java -version` as a baseline for the JVM's own start cost on this machine.
# Run with --help for usage; see bench/README.md for how to read the results.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/startup.sh [--runs N] [--timeout SECONDS] [--jar PATH] [--keep-logs]

Measures the start-up time of `outpost appliance` until GET /health/ready answers 200:
  cold  fresh empty data dir
  warm  restart on the same data dir
and times `java -version` as a JVM baseline. Prints one row per run and the median of each.

Options:
  --runs N           cold+warm pairs to measure (default: 3)
  --timeout SECONDS  give up on one start after this long (default: 180)
  --jar PATH         the jar to run (default: target/outpost.jar, built with Maven when missing)
  --keep-logs        keep the temporary data dirs and logs and print where they are
  -h, --help         show this help

Every node runs on free loopback ports (--https-port, --cluster-port, --gateway-port) and its own temporary
data dir, so the benchmark does not disturb other Outpost processes on this machine.
Exit status: 0 when every start became ready, 1 when one did not, 2 on bad usage.
Environment: JAVA (default: java), OUTPOST_JAVA_OPTS (extra JVM options, e.g. -Xmx512m).
EOF
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3
timeout_s=180
jar="$root/target/outpost.jar"
keep_logs=false
java_cmd="${JAVA:-java}"
read -r -a java_opts <<<"${OUTPOST_JAVA_OPTS:-}"

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="${2:-}"; shift 2 || { usage >&2; exit 2; } ;;
    --runs=*) runs="${1#*=}"; shift ;;
    --timeout) timeout_s="${2:-}"; shift 2 || { usage >&2; exit 2; } ;;
    --timeout=*) timeout_s="${1#*=}"; shift ;;
    --jar) jar="${2:-}"; shift 2 || { usage >&2; exit 2; } ;;
    --jar=*) jar="${1#*=}"; shift ;;
    --keep-logs) keep_logs=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "startup.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "startup.sh: --runs must be a whole number >= 1, got '$runs'" >&2
  exit 2
fi
if ! [[ "$timeout_s" =~ ^[1-9][0-9]*$ ]]; then
  echo "startup.sh: --timeout must be a whole number of seconds >= 1, got '$timeout_s'" >&2
  exit 2
fi
for tool in curl "$java_cmd"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "startup.sh: '$tool' is required but not on PATH" >&2; exit 1; }
done

if [ ! -f "$jar" ]; then
  if [ "$jar" != "$root/target/outpost.jar" ]; then
    echo "startup.sh: jar $jar does not exist" >&2
    exit 1
  fi
  echo "Building $jar (mvn -B -q -DskipTests package) ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/outpost-bench.XXXXXX")"
node_pid=""

cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    wait_for_exit "$node_pid" 30 || kill -KILL "$node_pid" 2>/dev/null || true
  fi
  if $keep_logs; then
    echo "Logs and data dirs kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ms() {
  local ns
  ns="$(date +%s%N)"
  echo $((ns / 1000000))
}

# Formats milliseconds as seconds with three decimals.
secs() {
  printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# Prints a ratio a/b with two decimals.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}

# Median of whole numbers given as arguments (mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# The 1, 5 and 15 minute load averages, to show how busy the machine was.
loadavg() {
  if [ -r /proc/loadavg ]; then cut -d' ' -f1-3 /proc/loadavg; else echo "n/a"; fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints N distinct free TCP ports: asks the kernel through python3 when present, else probes random ports.
free_ports() {
  local n="$1"
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$n" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
    return
  fi
  local picked=() p tries=0
  while [ "${#picked[@]}" -lt "$n" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 1000 ] || { echo "startup.sh: found no free port" >&2; return 1; }
    p=$((20000 + RANDOM % 40000))
    [[ " ${picked[*]} " == *" $p "* ]] && continue
    port_in_use "$p" && continue
    picked+=("$p")
  done
  echo "${picked[*]}"
}

# Waits up to $2 seconds for process $1 to exit; returns non-zero if it is still running.
wait_for_exit() {
  local pid="$1" deadline=$(($(now_ms) + $2 * 1000))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
  return 0
}

# Starts a node on data dir $1, logging to $2, and sets ready_ms to the milliseconds until /health/ready
# answers 200. Leaves the node running (pid in node_pid); returns non-zero if it exits or times out first.
# Not meant for $(...): node_pid must be set in this shell.
ready_ms=0
start_and_time() {
  local data_dir="$1" log="$2" https cluster gateway t0 deadline rc
  read -r https cluster gateway <<<"$(free_ports 3)"
  t0="$(now_ms)"
  "$java_cmd" "${java_opts[@]}" -jar "$jar" appliance --data-dir "$data_dir" \
    --https-port "$https" --cluster-port "$cluster" --gateway-port "$gateway" >"$log" 2>&1 &
  node_pid=$!
  deadline=$((t0 + timeout_s * 1000))
  until curl -fsk -o /dev/null --max-time 2 "https://127.0.0.1:$https/health/ready"; do
    if ! kill -0 "$node_pid" 2>/dev/null; then
      wait "$node_pid" 2>/dev/null && rc=0 || rc=$?
      echo "startup.sh: the node exited with status $rc before it was ready; last lines of its log:" >&2
      tail -n 20 "$log" >&2
      node_pid=""
      return 1
    fi
    if [ "$(now_ms)" -ge "$deadline" ]; then
      echo "startup.sh: the node was not ready within ${timeout_s}s; last lines of its log:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    sleep 0.05
  done
  ready_ms=$(($(now_ms) - t0))
}

# Stops the running node with SIGTERM and waits for it to exit.
stop_node() {
  local rc
  kill -TERM "$node_pid"
  if ! wait_for_exit "$node_pid" 60; then
    echo "startup.sh: the node did not exit within 60s of SIGTERM; killing it" >&2
    kill -KILL "$node_pid" 2>/dev/null || true
    node_pid=""
    return 1
  fi
  wait "$node_pid" 2>/dev/null && rc=0 || rc=$?
  node_pid=""
  # A clean stop exits with 0 (older builds: 143 = 128 + SIGTERM); anything else is a failure.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 143 ]; then
    echo "startup.sh: the node exited with status $rc after SIGTERM" >&2
    return 1
  fi
}

echo "Outpost start-up benchmark: $runs run(s), $(nproc 2>/dev/null || echo '?') CPU(s), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "jar: $jar ($(du -h "$jar" | cut -f1))"
echo "java: $("$java_cmd" -version 2>&1 | head -n 1)"
echo "load average before: $(loadavg)"
echo

jvm=()
for _ in $(seq 1 "$runs"); do
  t0="$(now_ms)"
  "$java_cmd" "${java_opts[@]}" -version >/dev/null 2>&1
  jvm+=($(($(now_ms) - t0)))
done

cold=()
warm=()
printf '%-6s %10s %10s %10s\n' run cold_s warm_s warm/cold
for i in $(seq 1 "$runs"); do
  dir="$work/run$i"
  mkdir -p "$dir"
  start_and_time "$dir/data" "$dir/cold.log" || exit 1
  c="$ready_ms"
  stop_node || exit 1
  start_and_time "$dir/data" "$dir/warm.log" || exit 1
  w="$ready_ms"
  stop_node || exit 1
  cold+=("$c")
  warm+=("$w")
  printf '%-6s %10s %10s %10s\n' "$i" "$(secs "$c")" "$(secs "$w")" "$(ratio "$w" "$c")"
  $keep_logs || rm -rf "$dir"
done

mc="$(median "${cold[@]}")"
mw="$(median "${warm[@]}")"
mj="$(median "${jvm[@]}")"
printf '%-6s %10s %10s %10s\n' median "$(secs "$mc")" "$(secs "$mw")" "$(ratio "$mw" "$mc")"
echo
echo "JVM baseline (java -version, median of $runs): $(secs "$mj") s"
echo "load average after: $(loadavg)"
echo "ratios of medians: warm/cold $(ratio "$mw" "$mc"), cold/jvm $(ratio "$mc" "$mj"), warm/jvm $(ratio "$mw" "$mj")"
