# Shared by bench/launch.sh and bench/failover.sh: child processes stopped on exit, free loopback ports, and
# waiting for a node to be ready. The including script sets `me` (its name in messages), `work` (its temporary
# directory) and `keep` (true keeps that directory), then sources this file.

pids=()
stop_children() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # a node or hub killed with SIGKILL leaves its embedded PostgreSQL behind
  pkill -f "$work/" 2>/dev/null || true
  if $keep; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap stop_children EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_ready() { # PID CA URL WHAT
  local deadline=$((SECONDS + 180))
  until curl -sf --cacert "$2" "$3/health/ready" >/dev/null 2>&1; do
    kill -0 "$1" 2>/dev/null || { echo "$me: the $4 exited; see $work" >&2; keep=true; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "$me: the $4 did not become ready" >&2; keep=true; exit 1; }
    sleep 0.2
  done
}
