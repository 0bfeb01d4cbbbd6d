#!/usr/bin/env bash
# Install Enketo's transformer (enketo-transformer from npm, with its native
# libxslt binding) for tests/channels/test_xlsform.py. Needs node (>= 18) and
# npm, a C++ compiler and make. Idempotent: does nothing when the installed
# modules match package-lock.json and load.
set -euo pipefail
cd "$(dirname "$0")"

stamp=node_modules/.tracker-installed
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && node -e "require('enketo-transformer')" 2>/dev/null; then
    echo "enketo-transformer already installed"
    exit 0
fi
# Build against the installed Node's headers (node-gyp would otherwise try
# to download them): nodesource and Debian's libnode-dev put them here.
if [ -f /usr/include/node/node.h ]; then
    export npm_config_nodedir=/usr
fi
npm ci --no-audit --no-fund --ignore-scripts
# libxslt links against node1-libxmljsmt-myh's build: build them in that
# order (npm would run both install scripts at once and race).
npm rebuild node1-libxmljsmt-myh
npm rebuild libxslt
node -e "require('enketo-transformer')"
echo "$want" > "$stamp"
echo "enketo-transformer installed"
