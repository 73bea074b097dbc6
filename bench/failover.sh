#!/usr/bin/env bash
# Failover benchmark: a hub, one or more clustered appliances of its location with simulated session hosts, and
# one user launching and logging off in a loop; the hub is stopped (or, with --kill-node, the appliance the user
# is on is killed) mid-run. Prints the time from the hub's loss to local mode and the longest gap between
# successful launches. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: bench/failover.sh [--threshold SECONDS] [--seconds N] [--kill] [--nodes N] [--kill-node] [--jar PATH] [--keep]

  --threshold S   the appliances' hub.outage-threshold (default: 10, the product default)
  --seconds N     how long the probe runs (default: 40); the failure comes after a third of it
  --kill          stop the hub with SIGKILL instead of SIGTERM
  --nodes N       appliances in the cluster (default: 1); the simulated hosts link to the last one
  --kill-node     instead of stopping the hub, kill -9 the first appliance, which the probe uses first (needs
                  --nodes 2 or more); the probe moves to the next appliance after a failed launch
  --jar PATH      the jar (default: target/outpost.jar, built when missing)
  --keep          keep the temporary directory with logs
Goals (issue "Appliance cluster and outage mode"): local mode < threshold + 2 s; gap after kill -9 < 2 s.
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threshold=10; seconds=40; jar="$root/target/outpost.jar"; keep=false; signal=TERM; nodes=1; kill_node=false
while [ $# -gt 0 ]; do
  case "$1" in
    --threshold) threshold="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --kill) signal=KILL; shift ;;
    --nodes) nodes="$2"; shift 2 ;;
    --kill-node) kill_node=true; shift ;;
    --jar) jar="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "failover.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$threshold" "$seconds" "$nodes"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "failover.sh: numbers must be whole and >= 1, got '$n'" >&2; exit 2; }
done
if $kill_node && [ "$nodes" -lt 2 ]; then echo "failover.sh: --kill-node needs --nodes 2 or more" >&2; exit 2; fi
for tool in curl java python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "failover.sh: '$tool' is required" >&2; exit 1; }
done
if [ ! -f "$jar" ]; then
  echo "Building $jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/outpost-failover.XXXXXX")"
me=failover.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

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

cluster_name="failover-$$"; first_cluster=$(free_port)
urls=(); cas=(); node_pids=()
for n in $(seq 1 "$nodes"); do
  https=$(free_port); cluster=$first_cluster; join=()
  if [ "$n" -gt 1 ]; then cluster=$(free_port); join=(--join "127.0.0.1:$first_cluster"); fi
  echo "Starting appliance $n (https $https, outage threshold ${threshold}s) ..." >&2
  OUTPOST_HUB_OUTAGE_THRESHOLD="${threshold}s" OUTPOST_CLUSTER_NAME="$cluster_name" java -jar "$jar" appliance \
    --data-dir "$work/node-$n" --https-port "$https" --cluster-port "$cluster" --cluster-host 127.0.0.1 \
    ${join[@]+"${join[@]}"} --gateway-port "$(free_port)" --hub "$hub" --hub-token "$connector" \
    --log-level warn >"$work/node-$n.out" 2>"$work/node-$n.err" &
  node_pid=$!; pids+=("$node_pid"); node_pids+=("$node_pid")
  ca="$work/node-$n/tls/ca.crt"; node="https://localhost:$https"
  wait_ready "$node_pid" "$ca" "$node" "appliance $n"
  urls+=("$node"); cas+=("$ca")
done
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

if $kill_node; then what="appliance 1 is killed (SIGKILL)"; else what="the hub stops (SIG$signal)"; fi
echo "Probing for ${seconds}s; $what after $((seconds / 3))s ..." >&2
join_by_comma() { local IFS=,; echo "$*"; }
java -cp "$jar" "$root/bench/FailoverProbe.java" "$(join_by_comma "${urls[@]}")" "$(join_by_comma "${cas[@]}")" \
  probe probe-password-1 "$seconds" "$work/hub-stopped" \
  >"$work/probe.out" 2>"$work/probe.err" &
probe_pid=$!
sleep $((seconds / 3))
python3 -c 'import time; print(int(time.time()*1000))' > "$work/hub-stopped"
if $kill_node; then kill -KILL "${node_pids[0]}"; else kill -"$signal" "$hub_pid"; fi
wait "$probe_pid" || { echo "failover.sh: the probe failed; see $work" >&2; keep=true; exit 1; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), threshold ${threshold}s, $nodes appliance(s), $what"
cat "$work/probe.out"
