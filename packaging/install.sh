#!/usr/bin/env bash
# Installs an Outpost appliance node on a Debian or Ubuntu VM as the systemd service 'outpost', configures it
# (hub enrollment, cluster, database, proxy) and starts it. One command, meant for cloud-init; see
# docs/vm-appliance.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: install.sh --from DIR|URL [options]

Installs the jar, the systemd unit and an 'outpost' command, writes /etc/outpost/outpost.env, starts the
service and waits until the node is ready. Run as root. Safe to run again (an upgrade: it replaces the jar and
the unit, keeps the data and the settings it is not given).

  --from DIR|URL         where outpost.jar and outpost.service are (a directory, or an https:// base URL)
  --hub URL              the hub to enroll with (https://HUB:9443); without it the node runs the hub in-process
  --hub-token TOKEN      connector token from the hub (first start only; removed from outpost.env once ready)
  --join HOST:PORT,...   other nodes of this site to join (needs --cluster-secret)
  --cluster-secret S     the site's cluster secret, the same on every node (at least 16 characters, e.g.
                         openssl rand -hex 32; or OUTPOST_CLUSTER_SECRET in the environment). Without it and
                         --join, the node makes one; 'outpost appliance join-command' prints it for the next node
  --cluster-host ADDR    address the other nodes reach this node on (default: this VM's first address when
                         --join is given)
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
# A node that joins others proves the site's cluster secret: refuse to install one that could not start.
previous() { [ -f "$root/etc/outpost/outpost.env" ] && sed -n "s/^$1=//p" "$root/etc/outpost/outpost.env" || true; }
if [ -n "${settings[OUTPOST_CLUSTER_JOIN]:-$(previous OUTPOST_CLUSTER_JOIN)}" ] \
    && [ -z "${settings[OUTPOST_CLUSTER_SECRET]:-$(previous OUTPOST_CLUSTER_SECRET)}" ]; then
  echo "install.sh: --join needs --cluster-secret: the same secret on every node of the site ('outpost appliance" \
    "join-command' on a running node prints it)" >&2
  exit 2
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

# With --join and no address given, the first address of this VM is the one the other nodes are told to use.
if [ -n "${settings[OUTPOST_CLUSTER_JOIN]:-}" ] && [ -z "${settings[OUTPOST_CLUSTER_HOST]:-}" ] && $live; then
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
# 'outpost' for admins on the VM, e.g. 'sudo -u outpost outpost admin backup FILE'
cat >"$tmp/outpost" <<'WRAPPER'
#!/bin/sh
exec java -jar /opt/outpost/outpost.jar "$@"
WRAPPER
install -m 0755 "$tmp/outpost" "$root/usr/local/bin/outpost"

# outpost.env: one OUTPOST_KEY=value per line; the values given here replace earlier ones, the rest stay.
env_file="$root/etc/outpost/outpost.env"
touch "$env_file"
chmod 0640 "$env_file"
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
  chown root:outpost "$root/etc/outpost" "$env_file"
fi

if ! $live; then
  say "staged under $root; nothing started"
  exit 0
fi

systemctl daemon-reload
systemctl enable outpost >/dev/null 2>&1
systemctl restart outpost
say "service 'outpost' started; 'journalctl -u outpost' shows its log"
[ "$wait_s" -gt 0 ] || exit 0

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
