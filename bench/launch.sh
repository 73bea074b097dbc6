#!/usr/bin/env bash
# Launch throughput and latency through the store API on one all-in-one appliance with many registered hosts,
# against a baseline (GET /health/live) measured with the same client in the same run, and the broker's heap
# per registered host. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: bench/launch.sh [--hosts N] [--users N] [--concurrency N] [--seconds N] [--idle-seconds N] [--separate-hub]
                       [--jar PATH] [--keep]

Starts an all-in-one appliance on free loopback ports, registers N simulated session hosts with
`outpost agent --simulate N`, signs in the users, then keeps C requests in flight for S seconds, each user
cycling launch -> log off, and prints launches/s and latency percentiles next to a GET /health/live
baseline. Also prints the heap the node holds per registered host (after a full GC, before vs after), and the
appliance's CPU and resident memory while the hosts only heartbeat (for sizing: docs/operations.md).

Options:
  --hosts N         simulated hosts (default: 1000)
  --users N         users cycling launches (default: 200)
  --concurrency N   requests in flight (default: 64)
  --seconds N       measuring time per phase (default: 20)
  --idle-seconds N  how long to measure the appliance's CPU with the hosts registered and no users (default: 30;
                    0 skips it)
  --separate-hub    run `outpost hub` as its own process with the appliance enrolled in it, so that the heap
                    per host is the hub's alone (default: all-in-one, where it includes the agent links)
  --jar PATH        the jar (default: target/outpost.jar, built when missing)
  --keep            keep the temporary directory with logs
Goals (issue "Session hosts and brokering", 2 cores): >= 2,000 launches/s, p99 < 50 ms, <= 20 KB per host.
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hosts=1000; users=200; concurrency=64; seconds=20; idle_seconds=30; jar="$root/target/outpost.jar"; keep=false; separate_hub=false
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) hosts="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --idle-seconds) idle_seconds="$2"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    --separate-hub) separate_hub=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "launch.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$hosts" "$users" "$concurrency" "$seconds"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "launch.sh: numbers must be whole and >= 1, got '$n'" >&2; exit 2; }
done
for tool in curl java python3 jcmd; do
  command -v "$tool" >/dev/null 2>&1 || { echo "launch.sh: '$tool' is required" >&2; exit 1; }
done
if [ ! -f "$jar" ]; then
  echo "Building $jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/outpost-launch.XXXXXX")"
me=launch.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

https=$(free_port); cluster=$(free_port); gateway=$(free_port)
printf '%s' "bench-admin-password" > "$work/admin-password"

read -r -a java_opts <<<"${OUTPOST_JAVA_OPTS:-}"
sign_in() { # URL CA: retried for up to 30 s (builds before "ready means ready" created the admin after readiness)
  local deadline=$((SECONDS + 30)) answer
  while :; do
    answer=$(curl -sS --cacert "$2" -X POST "$1/api/v1/login" -H 'Content-Type: application/json' \
      -d '{"username":"admin","password":"bench-admin-password"}')
    if token=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d.get("token") or sys.exit(1))' \
        "$answer" 2>/dev/null); then
      echo "$token"
      return 0
    fi
    [ $SECONDS -lt $deadline ] || { echo "$me: sign-in refused: $answer" >&2; return 1; }
    sleep 1  # polling the node until the bootstrap admin exists, not waiting for something to happen
  done
}
hub_args=()
if $separate_hub; then
  hub_port=$(free_port)
  echo "Starting the hub (https $hub_port) ..." >&2
  java ${java_opts[@]+"${java_opts[@]}"} -jar "$jar" hub --data-dir "$work/hub" --hub-port "$hub_port" \
    --admin-password-file "$work/admin-password" --log-level warn >"$work/hub.out" 2>"$work/hub.err" &
  hub_pid=$!; pids+=("$hub_pid")
  hub_ca="$work/hub/tls/ca.crt"
  wait_ready "$hub_pid" "$hub_ca" "https://localhost:$hub_port" hub
  hub_token=$(sign_in "https://localhost:$hub_port" "$hub_ca")
  connector=$(curl -sS --fail-with-body --cacert "$hub_ca" -X POST "https://localhost:$hub_port/admin/api/v1/locations" \
    -H "Authorization: Bearer $hub_token" -H 'Content-Type: application/json' -d '{"name":"bench"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["connectorToken"])')
  hub_args=(--hub "https://localhost:$hub_port" --hub-token "$connector")
fi

echo "Starting the appliance (https $https) ..." >&2
java ${java_opts[@]+"${java_opts[@]}"} -jar "$jar" appliance --data-dir "$work/node" --https-port "$https" \
  --cluster-port "$cluster" --gateway-port "$gateway" --admin-password-file "$work/admin-password" --log-level warn \
  ${hub_args[@]+"${hub_args[@]}"} >"$work/node.out" 2>"$work/node.err" &
node_pid=$!; pids+=("$node_pid")
ca="$work/node/tls/ca.crt"
wait_ready "$node_pid" "$ca" "https://localhost:$https" appliance

token=$(sign_in "https://localhost:$https" "$ca")
api() { # METHOD PATH [BODY]: the appliance's admin API (hosts, sessions)
  curl -sS --fail-with-body --cacert "$ca" -X "$1" "https://localhost:$https$2" -H "Authorization: Bearer $token" \
    ${3:+-H 'Content-Type: application/json' --data "$3"}
}
model() { # METHOD PATH [BODY]: where the site model lives (the hub when it is separate)
  if $separate_hub; then
    curl -sS --fail-with-body --cacert "$hub_ca" -X "$1" "https://localhost:$hub_port$2" \
      -H "Authorization: Bearer $hub_token" ${3:+-H 'Content-Type: application/json' --data "$3"}
  else
    api "$@"
  fi
}

capacity=$(( (users + hosts - 1) / hosts + 10 ))
location=default; $separate_hub && location=bench
model POST /admin/api/v1/pools "{\"name\":\"bench\",\"maxSessionsPerHost\":$capacity,\"location\":\"$location\"}" >/dev/null
model POST /admin/api/v1/resources '{"name":"bench","pool":"bench","kind":"desktop","port":22}' >/dev/null
model POST /admin/api/v1/groups '{"name":"bench-users"}' >/dev/null
model POST /admin/api/v1/entitlements '{"resource":"bench","group":"bench-users"}' >/dev/null
echo "Creating $users users ..." >&2
members="["
for i in $(seq 1 "$users"); do
  model POST /admin/api/v1/users "{\"username\":\"bench-$i\",\"password\":\"bench-user-password\"}" >/dev/null
  members="$members\"bench-$i\","
done
model PUT /admin/api/v1/groups/bench-users "{\"members\":${members%,}]}" >/dev/null

broker_pid=$node_pid; $separate_hub && broker_pid=$hub_pid
heap_used() { # the broker's process (the hub when it is separate), after a full GC, in bytes
  jcmd "$broker_pid" GC.run >/dev/null
  jcmd "$broker_pid" GC.heap_info | python3 -c '
import re,sys
text=sys.stdin.read()
m=re.search(r"used (\d+)K", text)
print(int(m.group(1))*1024 if m else 0)'
}
heap_before=$(heap_used)

enroll=$(model POST /admin/api/v1/enroll-tokens "{\"pool\":\"bench\",\"uses\":$hosts,\"ttlSeconds\":3600}" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("token") or sys.exit("no enroll token: %s" % d))')
echo "Registering $hosts simulated hosts ..." >&2
java -jar "$jar" agent --appliance "https://localhost:$https" --token "$enroll" --address 127.0.0.1 \
  --data-dir "$work/agents" --simulate "$hosts" --log-level warn >"$work/agents.out" 2>"$work/agents.err" &
pids+=("$!")
deadline=$((SECONDS + 600))
while :; do
  registered=$(api GET /admin/api/v1/hosts 2>/dev/null \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("items", [])))' 2>/dev/null || echo 0)
  [ "$registered" -ge "$hosts" ] && break
  [ $SECONDS -lt $deadline ] || { echo "launch.sh: only $registered of $hosts hosts registered" >&2; keep=true; exit 1; }
  sleep 1
done
heap_after=$(heap_used)
per_host=$(( (heap_after - heap_before) / hosts ))

# CPU of the appliance's JVM (user + system, from /proc) while the hosts only send heartbeats, and its resident
# memory. The embedded PostgreSQL's processes are not counted: they are idle here.
idle=""
if [[ "$idle_seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "Measuring the appliance at rest with $hosts hosts for $idle_seconds s ..." >&2
  cpu_ticks() { awk '{print $14 + $15}' "/proc/$node_pid/stat"; }
  t0=$(cpu_ticks); n0=$(date +%s%N)
  sleep "$idle_seconds"  # the measuring window itself, not a wait for something to happen
  t1=$(cpu_ticks); n1=$(date +%s%N)
  rss_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$node_pid/status")
  idle=$(python3 -c "print('appliance at rest with %d hosts (heartbeat 10 s): CPU %.1f%% of one core, RSS %d MiB' % ($hosts, 100.0 * ($t1 - $t0) / $(getconf CLK_TCK) / (($n1 - $n0) / 1e9), $rss_kib // 1024))")
fi

echo "Measuring ($concurrency in flight, $seconds s per phase) ..." >&2
if [ -n "${OUTPOST_BENCH_JFR:-}" ]; then  # profile the node during the measurement only
  jcmd "$node_pid" JFR.start name=bench settings=profile filename="$OUTPOST_BENCH_JFR" >/dev/null
fi
result=$(java -cp "$jar" "$root/bench/LaunchLoad.java" "$https" "$ca" bench- "$users" bench-user-password bench \
  "$concurrency" "$seconds")
echo "$result"
if [ -n "${OUTPOST_BENCH_JFR:-}" ]; then
  jcmd "$node_pid" JFR.dump name=bench filename="$OUTPOST_BENCH_JFR" >/dev/null
fi
where=all-in-one; $separate_hub && where="separate hub"
echo "heap per registered host ($where): $per_host bytes (before $heap_before, after $heap_after, $hosts hosts)"
[ -z "$idle" ] || echo "$idle"
echo "goals: >= 2000 launches/s, p99 < 50 ms, <= 20480 bytes per host"
