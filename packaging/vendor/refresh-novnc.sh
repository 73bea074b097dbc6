#!/usr/bin/env bash
# Refreshes the vendored noVNC in webroot/vendor/novnc/ from the npm registry (the store loads nothing from anywhere
# but the appliance, so the files are committed). Run from anywhere; needs node and npm. Change the version here,
# run it, check the browser desktop (DesktopBrowserTest), and commit the result.
set -euo pipefail
NOVNC_VERSION=1.7.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/webroot/vendor/novnc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "@novnc/novnc@$NOVNC_VERSION" >/dev/null
pkg=node_modules/@novnc/novnc

# only what the ES modules of core/ import (core/rfb.js and what it reaches, pako's zlib among them) and the
# licences; noVNC's own app (vnc.html, its UI, fonts and images) is not shipped
rm -rf "$out"
mkdir -p "$out/vendor/pako" "$out/docs"
cp -R "$pkg/core" "$out/core"
cp -R "$pkg/vendor/pako/lib" "$out/vendor/pako/lib"
cp "$pkg/vendor/pako/LICENSE" "$out/vendor/pako/LICENSE"
cp "$pkg/LICENSE.txt" "$pkg/AUTHORS" "$out/"
cp "$pkg"/docs/LICENSE.* "$out/docs/"
# the source-map comments name files that are not shipped; drop them so that no browser asks for them
find "$out" -name '*.js' -exec sed -i '/^\/\/# sourceMappingURL=/d' {} +
cat > "$out/VERSIONS.txt" <<VERSIONS
@novnc/novnc $NOVNC_VERSION (MPL-2.0, LICENSE.txt and docs/; its pako in vendor/pako is MIT, vendor/pako/LICENSE)
core/ and vendor/pako/lib/ as published (ES modules), entry point core/rfb.js
refreshed by packaging/vendor/refresh-novnc.sh
VERSIONS
echo "vendored noVNC $NOVNC_VERSION into $out"
