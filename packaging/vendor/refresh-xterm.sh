#!/usr/bin/env bash
# Refreshes the vendored xterm.js in webroot/vendor/xterm/ from the npm registry (the store loads nothing from
# anywhere but the appliance, so the files are committed). Run from anywhere; needs node and npm. Change the
# versions here, run it, check the browser terminal (TerminalBrowserTest), and commit the result.
set -euo pipefail
XTERM_VERSION=6.0.0
FIT_VERSION=0.11.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/webroot/vendor/xterm"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "@xterm/xterm@$XTERM_VERSION" "@xterm/addon-fit@$FIT_VERSION" >/dev/null

mkdir -p "$out"
# the source-map comments name files that are not shipped; drop them so that no browser asks for them
sed '/^\/\/# sourceMappingURL=/d' node_modules/@xterm/xterm/lib/xterm.mjs > "$out/xterm.js"
sed '/^\/\/# sourceMappingURL=/d' node_modules/@xterm/addon-fit/lib/addon-fit.mjs > "$out/addon-fit.js"
cp node_modules/@xterm/xterm/css/xterm.css "$out/xterm.css"
cp node_modules/@xterm/xterm/LICENSE "$out/LICENSE.txt"
cp node_modules/@xterm/addon-fit/LICENSE "$out/LICENSE-addon-fit.txt"
cat > "$out/VERSIONS.txt" <<VERSIONS
@xterm/xterm $XTERM_VERSION (MIT, LICENSE.txt)
@xterm/addon-fit $FIT_VERSION (MIT, LICENSE-addon-fit.txt)
both as their ES modules (lib/*.mjs), saved as .js so that every server types them as JavaScript
refreshed by packaging/vendor/refresh-xterm.sh
VERSIONS
echo "vendored xterm.js $XTERM_VERSION and addon-fit $FIT_VERSION into $out"
