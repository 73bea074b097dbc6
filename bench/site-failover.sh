#!/usr/bin/env bash
# One-site failover benchmark: three (or more) appliances that share one cluster secret and one external
# PostgreSQL are one site; under steady admin writes and launches the leader (node 1, which holds the site's
# authority) is killed with SIGKILL. Prints the control-plane takeover time, the write and launch gaps, the
# acknowledged writes lost, and how the killed node comes back. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: bench/site-failover.sh [--nodes N] [--seconds N] [--writers N] [--launchers N] [--jar PATH] [--keep]

Starts a PostgreSQL server of its own (bench/ExternalPostgres.java, the "customer's database"), N appliances
on it with one cluster secret and cluster.min-members 2 (node 1 first, so it is the oldest member and holds the
site's authority; the others join it), ten simulated session hosts (`outpost agent --simulate 10`) linked to
the last node, a pool, a resource, an entitlement and users. Then runs a steady load (bench/SiteLoad.java):
admins create users through the nodes round-robin (every 201 is an acknowledged write) and users launch and
log off through the nodes other than node 1. A third into the run node 1 is killed with SIGKILL. At the end it
counts the acknowledged users missing from GET /admin/api/v1/users, restarts node 1 (joining node 2) and
reports how long until it is ready and whether it sees every acknowledged write.

Options:
  --nodes N       appliances in the site (default: 3, at least 3 so that two remain for cluster.min-members 2)
  --seconds N     how long the load runs (default: 60, at least 15); the kill comes after a third of it
  --writers N     admins creating users at the same time (default: 2)
  --launchers N   users launching and logging off at the same time (default: 4)
  --jar PATH      the jar (default: target/outpost.jar, built when missing)
  --keep          keep the temporary directory with logs
Goals (issue "One site across appliance VMs"): takeover < 10 s, write gap < 10 s, launch gap < 2 s,
0 acknowledged writes lost. For scale, Patroni's default leader TTL is 30 s.
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nodes=3; seconds=60; writers=2; launchers=4; jar="$root/target/outpost.jar"; keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes|--seconds|--writers|--launchers|--jar)
      [ $# -ge 2 ] || { echo "site-failover.sh: $1 needs a value" >&2; usage >&2; exit 2; }
      case "$1" in
        --nodes) nodes="$2" ;;
        --seconds) seconds="$2" ;;
        --writers) writers="$2" ;;
        --launchers) launchers="$2" ;;
        --jar) jar="$2" ;;
      esac
      shift 2 ;;
    --keep) keep=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "site-failover.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$nodes" "$seconds" "$writers" "$launchers"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "site-failover.sh: numbers must be whole and >= 1, got '$n'" >&2; exit 2; }
done
[ "$nodes" -ge 3 ] || { echo "site-failover.sh: --nodes must be 3 or more (two must remain after the kill)" >&2; exit 2; }
[ "$seconds" -ge 15 ] || { echo "site-failover.sh: --seconds must be 15 or more" >&2; exit 2; }
for tool in curl java python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "site-failover.sh: '$tool' is required" >&2; exit 1; }
done
if [ ! -f "$jar" ]; then
  echo "Building $jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/outpost-site-failover.XXXXXX")"
me=site-failover.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

now_ms() { python3 -c 'import time; print(int(time.time()*1000))'; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
admin_password="bench-admin-password"
printf '%s' "$admin_password" > "$work/admin-password"
holds="now holds the site's authority"

echo "Starting PostgreSQL (the site's external database) ..." >&2
java -cp "$jar" "$root/bench/ExternalPostgres.java" "$work/pg" "$work/pg-run" "$work/pg-port" \
  >"$work/pg.out" 2>"$work/pg.err" &
pg_pid=$!; pids+=("$pg_pid")
deadline=$((SECONDS + 180))
until [ -f "$work/pg-port" ]; do
  kill -0 "$pg_pid" 2>/dev/null || { echo "$me: PostgreSQL did not start: $(tail -n 3 "$work/pg.err")" >&2; keep=true; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "$me: PostgreSQL did not start in time" >&2; keep=true; exit 1; }
  sleep 0.2
done
db_url="postgresql://postgres@127.0.0.1:$(cat "$work/pg-port")/site"

secret="site-failover-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
cluster_name="site-failover-$$"
https_ports=(); cluster_ports=(); bus_ports=(); gateway_ports=(); urls=(); cas=(); node_pids=()
for n in $(seq 1 "$nodes"); do
  https_ports+=("$(free_port)"); cluster_ports+=("$(free_port)"); bus_ports+=("$(free_port)")
  gateway_ports+=("$(free_port)")
  urls+=("https://localhost:${https_ports[$((n - 1))]}"); cas+=("$work/node-$n/tls/ca.crt")
done
wait_started() { # PID LOG_NAME WHAT: until the node prints "ready: https://..." on its console
  local deadline=$((SECONDS + 180))
  until grep -q "ready: https://" "$work/$2.out"; do
    kill -0 "$1" 2>/dev/null || { echo "$me: the $3 exited; see $work" >&2; keep=true; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "$me: the $3 did not start" >&2; keep=true; exit 1; }
    sleep 0.2
  done
}
start_node() { # N JOIN_PORT|"" LOG_NAME: starts appliance N on its data dir and ports; sets node_pid
  local i=$(($1 - 1)) join=()
  [ -z "$2" ] || join=(--join "127.0.0.1:$2")
  OUTPOST_CLUSTER_SECRET="$secret" OUTPOST_CLUSTER_MIN_MEMBERS=2 OUTPOST_CLUSTER_NAME="$cluster_name" \
    OUTPOST_DB_URL="$db_url" java -jar "$jar" appliance --data-dir "$work/node-$1" \
    --https-port "${https_ports[$i]}" --cluster-port "${cluster_ports[$i]}" --cluster-bus-port "${bus_ports[$i]}" \
    --cluster-host 127.0.0.1 --gateway-port "${gateway_ports[$i]}" --admin-password-file "$work/admin-password" \
    ${join[@]+"${join[@]}"} >"$work/$3.out" 2>"$work/$3.err" &
  node_pid=$!; pids+=("$node_pid")
}
for n in $(seq 1 "$nodes"); do
  join=""; [ "$n" -eq 1 ] || join="${cluster_ports[0]}"
  echo "Starting appliance $n (https ${https_ports[$((n - 1))]}) ..." >&2
  start_node "$n" "$join" "node-$n"
  node_pids+=("$node_pid")
  # node 1 must be up before the others join it, so that it is the oldest member; the others start together.
  # Alone it is not ready (/health/ready 503: fewer than cluster.min-members), so its console line is the sign.
  [ "$n" -gt 1 ] || wait_started "$node_pid" node-1 "appliance 1"
done
for n in $(seq 1 "$nodes"); do
  wait_ready "${node_pids[$((n - 1))]}" "${cas[$((n - 1))]}" "${urls[$((n - 1))]}" "appliance $n"
done
deadline=$((SECONDS + 120))
until grep -q "$holds" "$work/node-1.err"; do
  [ $SECONDS -lt $deadline ] || { echo "$me: node 1 did not take the site's authority" >&2; keep=true; exit 1; }
  sleep 0.2
done
for n in $(seq 2 "$nodes"); do
  if grep -q "$holds" "$work/node-$n.err"; then echo "$me: node $n holds the authority too" >&2; keep=true; exit 1; fi
done

sign_in() { # URL CA USER PASSWORD
  curl -sS --fail-with-body --cacert "$2" -X POST "$1/api/v1/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$3\",\"password\":\"$4\"}" | json token
}
last=$((nodes - 1))
admin_token=$(sign_in "${urls[$last]}" "${cas[$last]}" admin "$admin_password")
api() { # NODE_INDEX METHOD PATH [BODY]: the admin API of one node
  curl -sS --fail-with-body --cacert "${cas[$1]}" -X "$2" "${urls[$1]}$3" -H "Authorization: Bearer $admin_token" \
    ${4:+-H 'Content-Type: application/json' --data "$4"}
}
echo "Publishing a pool, a resource and $launchers launching users (at node $nodes) ..." >&2
api "$last" POST /admin/api/v1/pools '{"name":"bench","maxSessionsPerHost":50}' >/dev/null
api "$last" POST /admin/api/v1/resources '{"name":"bench","pool":"bench","kind":"desktop","port":22}' >/dev/null
api "$last" POST /admin/api/v1/groups '{"name":"bench-users"}' >/dev/null
api "$last" POST /admin/api/v1/entitlements '{"resource":"bench","group":"bench-users"}' >/dev/null
members="["
for i in $(seq 1 "$launchers"); do
  api "$last" POST /admin/api/v1/users "{\"username\":\"launch-$i\",\"password\":\"launch-password-1\"}" >/dev/null
  members="$members\"launch-$i\","
done
api "$last" PUT /admin/api/v1/groups/bench-users "{\"members\":${members%,}]}" >/dev/null

enroll=$(api "$last" POST /admin/api/v1/enroll-tokens '{"pool":"bench","uses":10}' | json token)
echo "Linking ten simulated hosts to node $nodes ..." >&2
java -jar "$jar" agent --appliance "${urls[$last]}" --token "$enroll" --simulate 10 --address 127.0.0.1 \
  --data-dir "$work/agents" >"$work/agents.out" 2>"$work/agents.err" &
agents_pid=$!; pids+=("$agents_pid")
deadline=$((SECONDS + 120))
until [ "$(api 0 GET /admin/api/v1/hosts 2>/dev/null \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' 2>/dev/null || echo 0)" -ge 10 ]; do
  kill -0 "$agents_pid" 2>/dev/null || { echo "$me: the agents exited: $(tail -n 1 "$work/agents.err")" >&2; keep=true; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "$me: the hosts did not register" >&2; keep=true; exit 1; }
  sleep 0.5
done
# the first launch through node 2 shows that the site brokers before the clock starts
user_token=$(sign_in "${urls[1]}" "${cas[1]}" launch-1 launch-password-1)
deadline=$((SECONDS + 60))
until curl -sf --cacert "${cas[1]}" -X POST "${urls[1]}/api/v1/resources/bench/launch" \
    -H "Authorization: Bearer $user_token" -o /dev/null; do
  [ $SECONDS -lt $deadline ] || { echo "$me: no launch through node 2" >&2; keep=true; exit 1; }
  sleep 0.5
done

launch_nodes=$(seq -s, 2 "$nodes")
join_by_comma() { local IFS=,; echo "$*"; }
echo "Load for ${seconds}s ($writers writers, $launchers launchers); node 1 is killed after $((seconds / 3))s ..." >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
java -cp "$jar" "$root/bench/SiteLoad.java" "$(join_by_comma "${urls[@]}")" "$(join_by_comma "${cas[@]}")" \
  "$admin_password" "$writers" "$launchers" "$launch_nodes" launch- launch-password-1 bench "$seconds" \
  "$work/killed-at" "$work/acked" >"$work/load.out" 2>"$work/load.err" &
load_pid=$!; pids+=("$load_pid")
deadline=$((SECONDS + 120))
until grep -qs "^load started" "$work/load.err"; do  # compiling and starting the load's JVM is not load time
  kill -0 "$load_pid" 2>/dev/null || { echo "$me: the load exited: $(tail -n 3 "$work/load.err")" >&2; keep=true; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "$me: the load did not start" >&2; keep=true; exit 1; }
  sleep 0.1
done
sleep $((seconds / 3))  # the load's first third, a measuring window, not a wait for something to happen
killed_at=$(now_ms)
kill -KILL "${node_pids[0]}"
echo "$killed_at" > "$work/killed-at"
wait "${node_pids[0]}" 2>/dev/null || true  # reaps it without the shell's "Killed" notice

# takeover: from the kill to the survivor's log line, by the line's own timestamp (ms)
takeover_ms=""
deadline=$((SECONDS + 60))
while [ -z "$takeover_ms" ] && [ $SECONDS -lt $deadline ]; do
  for n in $(seq 2 "$nodes"); do
    line=$(grep -m1 "$holds" "$work/node-$n.err" || true)
    if [ -n "$line" ]; then
      takeover_ms=$(python3 -c 'import sys,datetime; t=datetime.datetime.fromisoformat(sys.argv[1].split()[0]); print(int(t.timestamp()*1000) - int(sys.argv[2]))' "$line" "$killed_at")
      new_leader=$n
      break
    fi
  done
  [ -n "$takeover_ms" ] || sleep 0.1
done
wait "$load_pid" || { echo "$me: the load failed: $(tail -n 3 "$work/load.err")" >&2; keep=true; exit 1; }
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# acknowledged writes missing from the site's user list (NODE_INDEX): prints "missing total"
missing() {
  api "$1" GET /admin/api/v1/users | python3 -c '
import json,sys
have={u["username"] for u in json.load(sys.stdin)["items"]}
acked=[l.strip() for l in open(sys.argv[1]) if l.strip()]
print(sum(1 for a in acked if a not in have), len(acked))' "$work/acked"
}
counts=$(missing 1) || { echo "$me: could not list the users at node 2" >&2; keep=true; exit 1; }
read -r lost total <<<"$counts"

echo "Restarting node 1 on its data dir, joining node 2 ..." >&2
restart_started=$(now_ms)
start_node 1 "${cluster_ports[1]}" node-1-again
wait_ready "$node_pid" "${cas[0]}" "${urls[0]}" "restarted appliance 1"
restart_ms=$(( $(now_ms) - restart_started ))
admin_token=$(sign_in "${urls[0]}" "${cas[0]}" admin "$admin_password")
counts=$(missing 0) || { echo "$me: could not list the users at the restarted node 1" >&2; keep=true; exit 1; }
read -r lost_restarted _ <<<"$counts"
follower="follows"; grep -q "$holds" "$work/node-1-again.err" && follower="took the authority back"

verdict() { # VALUE GOAL: "met" when VALUE < GOAL
  if [ -n "$1" ] && [ "$1" -lt "$2" ]; then echo met; else echo "NOT met"; fi
}
figure() { sed -n "s/^$1 \([0-9]*\).*/\1/p" "$work/load.out"; }
write_gap=$(figure write_gap_ms); launch_gap=$(figure launch_gap_ms)
echo "load before -> after: $load_before -> $load_after; $nodes appliances on one external PostgreSQL," \
  "cluster.min-members 2, $writers writers, $launchers launchers, ${seconds}s, node 1 (the leader) killed with" \
  "SIGKILL after $((seconds / 3))s"
sed -n '1,2p' "$work/load.out"
printf '%-40s %12s   %-8s %s\n' figure measured goal verdict
printf '%-40s %12s   %-8s %s\n' "control-plane takeover (node ${new_leader:-?})" "${takeover_ms:-none} ms" "< 10 s" \
  "$(verdict "$takeover_ms" 10000)"
printf '%-40s %12s   %-8s %s\n' "write gap (from the kill on)" "${write_gap:-none} ms" "< 10 s" "$(verdict "$write_gap" 10000)"
printf '%-40s %12s   %-8s %s\n' "launch gap (from the kill on)" "${launch_gap:-none} ms" "< 2 s" "$(verdict "$launch_gap" 2000)"
printf '%-40s %12s   %-8s %s\n' "acknowledged writes lost" "$lost of $total" "0" "$(verdict "$lost" 1)"
gap_detail() { # NAME WHAT
  sed -n "s/^$1_gap_ms [0-9]* from_kill_ms \(-\?[0-9]*\) before_kill_ms \([0-9]*\) first_after_kill_ms \(.*\)/$2: the longest gap began \1 ms after the kill; first success \3 ms after the kill; longest gap before the kill (the load alone) \2 ms/p" \
    "$work/load.out"
}
gap_detail write writes
gap_detail launch launches
echo "For scale, Patroni's default leader TTL is 30 s."
echo "restart of node 1 (joining node 2): ready after $restart_ms ms; it $follower and sees" \
  "$((total - lost_restarted)) of $total acknowledged writes (missing $lost_restarted)"
