#!/usr/bin/env bash
# Installs an Outpost appliance node on a Debian or Ubuntu VM as the systemd service 'outpost', configures it
# (hub enrollment, cluster, database, proxy) and starts it. One command, meant for cloud-init; see
# docs/vm-appliance.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: install.sh --from DIR|URL [options]

Installs the jar, the systemd unit and an 'outpost' command, writes /etc/outpost/outpost.env (mode 0600,
user outpost), starts the service, waits until the node is ready and prints how to add the next node of the
site. Run as root. Safe to run again (an upgrade: it replaces the jar and the unit, keeps the data, the cluster
secret and the settings it is not given).

  --from DIR|URL         where outpost.jar and outpost.service are (a directory, or an https:// base URL)
  --hub URL              the hub to enroll with (https://HUB:9443); without it the node runs the hub in-process
  --hub-token TOKEN      connector token from the hub (first start only; removed from outpost.env once ready)
  --join HOST:PORT,...   other nodes of this site to join (needs --cluster-secret)
  --cluster-secret S     the site's cluster secret, the same on every node (at least 16 characters; or
                         OUTPOST_CLUSTER_SECRET in the environment). Without it and without --join, the first
                         node of a site makes one (64 hex digits from /dev/urandom) and keeps it on every rerun;
                         a node's secret never changes
  --cluster-host ADDR    address the other nodes reach this node on (default: this VM's first address when
                         --join is given or the node makes the site's secret)
  --db-url URL           external PostgreSQL, postgresql://USER:PASSWORD@HOST:PORT/DB (default: embedded)
  --proxy URL            HTTP CONNECT proxy for the link to the hub, http://[USER:PASSWORD@]HOST:PORT
  --public-names N,...   extra DNS names or addresses for the node certificate
  --admin-password-file FILE
                         bootstrap admin password of an all-in-one node (default: printed once to the journal)
  --wait SECONDS         how long to wait for /health/ready (default: 300; 0: do not wait)
  --root DIR             install under DIR instead of / and start nothing (to inspect or package the result)
  -h, --help             this text
USAGE
}

from=""; root=""; wait_s=300
declare -A settings=()
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="$2"; shift 2 ;;
    --hub) settings[OUTPOST_HUB_URL]="$2"; shift 2 ;;
    --hub-token) settings[OUTPOST_HUB_TOKEN]="$2"; shift 2 ;;
    --join) settings[OUTPOST_CLUSTER_JOIN]="$2"; shift 2 ;;
    --cluster-host) settings[OUTPOST_CLUSTER_HOST]="$2"; shift 2 ;;
    --cluster-secret) settings[OUTPOST_CLUSTER_SECRET]="$2"; shift 2 ;;
    --db-url) settings[OUTPOST_DB_URL]="$2"; shift 2 ;;
    --proxy) settings[OUTPOST_PROXY_URL]="$2"; shift 2 ;;
    --public-names) settings[OUTPOST_HTTP_PUBLIC_NAMES]="$2"; shift 2 ;;
    --admin-password-file) settings[OUTPOST_ADMIN_PASSWORD_FILE]="$2"; shift 2 ;;
    --wait) wait_s="$2"; shift 2 ;;
    --root) root="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$from" ] || { echo "install.sh: --from DIR|URL is required" >&2; exit 2; }
if [ -z "${settings[OUTPOST_CLUSTER_SECRET]:-}" ] && [ -n "${OUTPOST_CLUSTER_SECRET:-}" ]; then
  settings[OUTPOST_CLUSTER_SECRET]="$OUTPOST_CLUSTER_SECRET"
fi
if [ -n "${settings[OUTPOST_CLUSTER_SECRET]:-}" ] && [ "${#settings[OUTPOST_CLUSTER_SECRET]}" -lt 16 ]; then
  echo "install.sh: --cluster-secret must have at least 16 characters (e.g. openssl rand -hex 32)" >&2; exit 2
fi
[[ "$wait_s" =~ ^[0-9]+$ ]] || { echo "install.sh: --wait takes a number of seconds" >&2; exit 2; }
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (or with --root DIR to stage the files)" >&2; exit 2
fi
env_file="$root/etc/outpost/outpost.env"
previous() { [ -f "$env_file" ] && sed -n "s/^$1=//p" "$env_file" || true; }
# The secret this node has already: in outpost.env, or the one a node started without any made in its data dir.
# It stays: what the node stores is sealed under it, and the other nodes of its site know it.
kept_secret="$(previous OUTPOST_CLUSTER_SECRET)"
kept_file="$root/var/lib/outpost/secrets/cluster.secret"
if [ -z "$kept_secret" ] && [ -f "$kept_file" ]; then
  kept_secret="$(tr -d '[:space:]' <"$kept_file")"
fi
given_secret="${settings[OUTPOST_CLUSTER_SECRET]:-}"
if [ -n "$given_secret" ] && [ -n "$kept_secret" ] && [ "$given_secret" != "$kept_secret" ]; then
  echo "install.sh: --cluster-secret differs from the secret this node already has (/etc/outpost/outpost.env):" \
    "a node keeps its site's secret; to install a node of another site, remove /etc/outpost/outpost.env and" \
    "/var/lib/outpost first" >&2
  exit 2
fi
# A node that joins others proves the site's cluster secret: refuse to install one that could not start.
if [ -n "${settings[OUTPOST_CLUSTER_JOIN]:-$(previous OUTPOST_CLUSTER_JOIN)}" ] \
    && [ -z "${given_secret:-$kept_secret}" ]; then
  echo "install.sh: --join needs --cluster-secret: the same secret on every node of the site ('outpost appliance" \
    "join-command' on a running node prints it)" >&2
  exit 2
fi
# The first node of a site makes the secret that the next nodes are given.
made_secret=false
if [ -z "$given_secret" ]; then
  if [ -n "$kept_secret" ]; then
    settings[OUTPOST_CLUSTER_SECRET]="$kept_secret"
  else
    settings[OUTPOST_CLUSTER_SECRET]="$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')"
    if [ "${#settings[OUTPOST_CLUSTER_SECRET]}" -ne 64 ]; then
      echo "install.sh: could not read 32 random bytes from /dev/urandom for the cluster secret" >&2; exit 1
    fi
    made_secret=true
  fi
fi
live=true
[ -z "$root" ] || live=false
say() { echo "install.sh: $*" >&2; }

# fetch NAME DEST: copies NAME from --from (directory or URL)
fetch() {
  case "$from" in
    https://*|http://*) curl -fsSL --retry 3 -o "$2" "${from%/}/$1" ;;
    *) cp "$from/$1" "$2" ;;
  esac
}

if $live; then
  if ! command -v java >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
    say "installing Java 17 and curl"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless curl >/dev/null
  fi
  if ! id outpost >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/outpost --no-create-home --shell /usr/sbin/nologin outpost
  fi
fi

# A node that joins others, or that starts a site the next nodes join, needs an address they reach (without one
# its member listens on 127.0.0.1): unless given, the first address of this VM.
if { [ -n "${settings[OUTPOST_CLUSTER_JOIN]:-}" ] || $made_secret; } && [ -z "${settings[OUTPOST_CLUSTER_HOST]:-}" ] \
    && [ -z "$(previous OUTPOST_CLUSTER_HOST)" ] && $live; then
  settings[OUTPOST_CLUSTER_HOST]="$(hostname -I | awk '{print $1}')"
fi

install -d -m 0755 "$root/opt/outpost" "$root/etc/systemd/system" "$root/usr/local/bin"
install -d -m 0750 "$root/etc/outpost"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fetch outpost.jar "$tmp/outpost.jar"
fetch outpost.service "$tmp/outpost.service"
install -m 0644 "$tmp/outpost.jar" "$root/opt/outpost/outpost.jar"
install -m 0644 "$tmp/outpost.service" "$root/etc/systemd/system/outpost.service"
# 'outpost' for admins on the VM, e.g. 'sudo -u outpost outpost admin backup FILE': with the node's settings, so
# that 'sudo -u outpost outpost appliance join-command --data-dir /var/lib/outpost' sees what the service sees.
cat >"$tmp/outpost" <<'WRAPPER'
#!/bin/sh
# The node's settings apply where the caller may read them (root, user outpost); the caller's own environment wins.
if [ -r /etc/outpost/outpost.env ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    name="${line%%=*}"
    case "$name" in
      OUTPOST_*) ;;
      *) continue ;;
    esac
    case "$name" in
      *[!A-Z0-9_]*) continue ;;
    esac
    printenv "$name" >/dev/null || export "$line"
  done </etc/outpost/outpost.env
fi
exec java -jar /opt/outpost/outpost.jar "$@"
WRAPPER
install -m 0755 "$tmp/outpost" "$root/usr/local/bin/outpost"

# outpost.env: one OUTPOST_KEY=value per line; the values given here replace earlier ones, the rest stay. It holds
# the cluster secret: readable by root (systemd reads it) and the service user (admin commands) only.
(umask 0077 && touch "$env_file")
chmod 0600 "$env_file"
for key in "${!settings[@]}"; do
  value="${settings[$key]}"
  if [[ "$value" == *$'\n'* ]]; then
    say "$key must be one line"; exit 2
  fi
  grep -v "^${key}=" "$env_file" >"$tmp/env" || true
  printf '%s=%s\n' "$key" "$value" >>"$tmp/env"
  cat "$tmp/env" >"$env_file"
done
if $live; then
  chown root:outpost "$root/etc/outpost"
  chown outpost:outpost "$env_file"
fi

# next_node: how to add the next node of this site, on stdout. The secret itself only when stdout is a terminal
# (cloud-init and other callers keep what the installer prints in log files).
next_node() {
  local host port bus http_port gateway_port joins other secret hub
  host="$(previous OUTPOST_CLUSTER_HOST)"
  http_port="$(previous OUTPOST_HTTP_PORT)"
  gateway_port="$(previous OUTPOST_GATEWAY_PORT)"
  port="$(previous OUTPOST_CLUSTER_PORT)"
  joins="${host:-THIS_NODE_ADDRESS}:${port:-5701}"
  for other in $(previous OUTPOST_CLUSTER_JOIN | tr ',' ' '); do
    [ "$other" = "$joins" ] || joins="$joins,$other"
  done
  secret="SITE_SECRET"
  if [ -t 1 ]; then
    secret="$(previous OUTPOST_CLUSTER_SECRET)"
  fi
  hub=""
  if [ -n "$(previous OUTPOST_HUB_URL)" ]; then
    hub=" --hub $(previous OUTPOST_HUB_URL) --hub-token CONNECTOR_TOKEN"
  fi
  echo
  echo "To add the next node to this site, run on the new VM:"
  echo
  echo "  bash install.sh --from $from --join $joins --cluster-host NEW_NODE_ADDRESS --cluster-secret '$secret'$hub"
  echo
  if [ -z "$host" ]; then
    echo "THIS_NODE_ADDRESS: first give this node an address the others reach (run install.sh again with" \
      "--cluster-host ADDR)."
  fi
  if [ "$secret" = "SITE_SECRET" ]; then
    echo "SITE_SECRET: this site's cluster secret; 'sudo -u outpost outpost appliance join-command --data-dir" \
      "/var/lib/outpost' on this node prints it."
  else
    echo "It holds the site's cluster secret: keep it like a password ('sudo -u outpost outpost appliance" \
      "join-command --data-dir /var/lib/outpost' on this node prints it again)."
  fi
  if [ -n "$hub" ]; then
    echo "CONNECTOR_TOKEN: a connector token of this location from the hub (docs/hub.md)."
  fi
  if [ -n "$(previous OUTPOST_DB_URL)" ]; then
    echo "Add the same --db-url as this node (the site's nodes share that database)."
  fi
  if [ -n "$(previous OUTPOST_PROXY_URL)" ]; then
    echo "Add --proxy if the new VM reaches the hub through a proxy too."
  fi
  bus="$(previous OUTPOST_CLUSTER_BUS_PORT)"
  [ -n "$bus" ] && [ "$bus" != 0 ] || bus=$(( ${port:-5701} + 1 ))
  echo "Between the nodes, open TCP ${port:-5701} (cluster) and $bus (event bus); for users and agents, TCP" \
    "${http_port:-8443} (and ${gateway_port:-2598} for the raw gateway)."
}

if ! $live; then
  say "staged under $root; nothing started"
  next_node
  exit 0
fi

systemctl daemon-reload
systemctl enable outpost >/dev/null 2>&1
systemctl restart outpost
say "service 'outpost' started; 'journalctl -u outpost' shows its log"
if [ "$wait_s" -eq 0 ]; then
  next_node
  exit 0
fi

port="$(sed -n 's/^OUTPOST_HTTP_PORT=//p' "$env_file")"
url="https://localhost:${port:-8443}/health/ready"
deadline=$((SECONDS + wait_s))
until curl -fsS --cacert /var/lib/outpost/tls/ca.crt -o /dev/null "$url" 2>/dev/null; do
  if [ $SECONDS -ge "$deadline" ]; then
    say "not ready within ${wait_s} s; see 'journalctl -u outpost' and 'curl -k $url'"
    exit 1
  fi
  if [ "$(systemctl show -p ActiveState --value outpost)" = "failed" ]; then
    say "the service failed; see 'journalctl -u outpost'"; exit 1
  fi
  sleep 2
done
# The connector token is spent once the node is enrolled: do not leave it lying around.
if grep -q '^OUTPOST_HUB_TOKEN=' "$env_file"; then
  grep -v '^OUTPOST_HUB_TOKEN=' "$env_file" >"$tmp/env" || true
  cat "$tmp/env" >"$env_file"
fi
fingerprint="$(journalctl -u outpost -o cat --no-pager | grep -o 'CA sha256: .*' | tail -n 1 || true)"
say "ready: ${fingerprint:-see 'journalctl -u outpost' for the CA sha256}"
next_node
