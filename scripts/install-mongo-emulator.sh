#!/bin/sh
# Installs the CongoDB MongoDB-wire emulator (@push.rocks/smartmongo 2.2.0) into <dir>, outside
# the project's node_modules: ~146 MB of mostly unused dependencies that no kefu user needs.
# scripts/mongo-emulator/ holds its package.json (with the overrides that pin transitive versions
# the registry no longer has) and the lockfile, so every install gets the same emulator.
# Then: KEFU_MONGO_EMULATOR_DIR=<dir> npx mocha --no-config dist/test/core/store/store-contract-mongo.test.js
set -eu
dir="${1:?usage: install-mongo-emulator.sh <dir>}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$dir"
cp "$here/mongo-emulator/package.json" "$here/mongo-emulator/package-lock.json" "$dir/"
cd "$dir"
# --ignore-scripts: its dependencies' install steps would try to download a mongod binary; none is used.
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
entry="node_modules/@push.rocks/smartmongo/dist_ts/congodb/index.js"
test -f "$entry" || { echo "install-mongo-emulator: $entry is missing after install" >&2; exit 1; }
echo "emulator installed: $dir/$entry"
