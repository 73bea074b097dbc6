#!/usr/bin/env bash
# Failover benchmark: a hub, an appliance of its location with simulated session hosts, and one user launching
# and logging off in a loop; the hub is stopped mid-run. Prints the time from the hub's loss to local mode and the
# longest gap between successful launches. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: bench/failover.sh [--threshold SECONDS] [--seconds N] [--kill] [--jar PATH] [--keep]

  --threshold S   the appliance's hub.outage-threshold (default: 10, the product default)
  --seconds N     how long the probe runs (default: 40); the hub stops after a third of it
  --kill          stop the hub with SIGKILL instead of SIGTERM
  --jar PATH      the jar (default: target/outpost.jar, built when missing)
  --keep          keep the temporary directory with logs
Goals (issue "Appliance cluster and outage mode"): local mode < threshold + 2 s.
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threshold=10; seconds=40; jar="$root/target/outpost.jar"; keep=false; signal=TERM
while [ $# -gt 0 ]; do
  case "$1" in
    --threshold) threshold="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --kill) signal=KILL; shift ;;
    --jar) jar="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "failover.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$threshold" "$seconds"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "failover.sh: numbers must be whole and >= 1, got '$n'" >&2; exit 2; }
done
for tool in curl java python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "failover.sh: '$tool' is required" >&2; exit 1; }
done
if [ ! -f "$jar" ]; then
  echo "Building $jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/outpost-failover.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # a hub killed with SIGKILL leaves its embedded PostgreSQL behind
  pkill -f "$work/hub/db" 2>/dev/null || true
  if $keep; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_ready() { # PID CA URL WHAT
  local deadline=$((SECONDS + 180))
  until curl -sf --cacert "$2" "$3/health/ready" >/dev/null 2>&1; do
    kill -0 "$1" 2>/dev/null || { echo "failover.sh: the $4 exited; see $work" >&2; keep=true; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "failover.sh: the $4 did not become ready" >&2; keep=true; exit 1; }
    sleep 0.2
  done
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
printf '%s' "bench-admin-password" > "$work/admin-password"

hub_port=$(free_port); https=$(free_port)
echo "Starting the hub (https $hub_port) ..." >&2
java -jar "$jar" hub --data-dir "$work/hub" --hub-port "$hub_port" --admin-password-file "$work/admin-password" \
  --log-level warn >"$work/hub.out" 2>"$work/hub.err" &
hub_pid=$!; pids+=("$hub_pid")
hub_ca="$work/hub/tls/ca.crt"; hub="https://localhost:$hub_port"
wait_ready "$hub_pid" "$hub_ca" "$hub" hub
hub_token=$(curl -sS --cacert "$hub_ca" -X POST "$hub/api/v1/login" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' | json token)
model() { # METHOD PATH BODY
  curl -sS --fail-with-body --cacert "$hub_ca" -X "$1" "$hub$2" -H "Authorization: Bearer $hub_token" \
    -H 'Content-Type: application/json' --data "$3"
}
connector=$(model POST /admin/api/v1/locations '{"name":"bench"}' | json connectorToken)
model POST /admin/api/v1/pools '{"name":"bench","maxSessionsPerHost":50,"location":"bench"}' >/dev/null
model POST /admin/api/v1/resources '{"name":"bench","pool":"bench","kind":"desktop","port":22}' >/dev/null
model POST /admin/api/v1/users '{"username":"probe","password":"probe-password-1"}' >/dev/null
model POST /admin/api/v1/entitlements '{"resource":"bench","user":"probe"}' >/dev/null

echo "Starting the appliance (https $https, outage threshold ${threshold}s) ..." >&2
OUTPOST_HUB_OUTAGE_THRESHOLD="${threshold}s" java -jar "$jar" appliance --data-dir "$work/node" --https-port "$https" \
  --cluster-port "$(free_port)" --gateway-port "$(free_port)" --hub "$hub" --hub-token "$connector" \
  --log-level warn >"$work/node.out" 2>"$work/node.err" &
node_pid=$!; pids+=("$node_pid")
ca="$work/node/tls/ca.crt"; node="https://localhost:$https"
wait_ready "$node_pid" "$ca" "$node" appliance
enroll=$(model POST /admin/api/v1/enroll-tokens '{"pool":"bench","uses":10}' | json token)
java -jar "$jar" agent --appliance "$node" --token "$enroll" --simulate 10 --address 127.0.0.1 \
  --data-dir "$work/agents" \
  >"$work/agents.out" 2>"$work/agents.err" &
agents_pid=$!; pids+=("$agents_pid")
echo "Waiting for the simulated hosts ..." >&2
deadline=$((SECONDS + 120))
until [ "$(model GET /admin/api/v1/hosts '' 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' 2>/dev/null || echo 0)" -ge 10 ]; do
  kill -0 "$agents_pid" 2>/dev/null || { echo "failover.sh: the agents exited: $(tail -n 1 "$work/agents.err")" >&2; keep=true; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "failover.sh: the hosts did not register" >&2; keep=true; exit 1; }
  sleep 0.5
done
sleep "$threshold" # let the appliance's local host cache take the site in

echo "Probing for ${seconds}s; the hub stops (SIG$signal) after $((seconds / 3))s ..." >&2
java -cp "$jar" "$root/bench/FailoverProbe.java" "$node" "$ca" probe probe-password-1 "$seconds" "$work/hub-stopped" \
  >"$work/probe.out" 2>"$work/probe.err" &
probe_pid=$!
sleep $((seconds / 3))
python3 -c 'import time; print(int(time.time()*1000))' > "$work/hub-stopped"
kill -"$signal" "$hub_pid"
wait "$probe_pid" || { echo "failover.sh: the probe failed; see $work" >&2; keep=true; exit 1; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), threshold ${threshold}s"
cat "$work/probe.out"
