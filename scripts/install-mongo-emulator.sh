#!/bin/sh
# Installs the CongoDB MongoDB-wire emulator (@push.rocks/smartmongo 2.2.0) into <dir>, outside
# the project's node_modules: it is ~146 MB of mostly unused dependencies that no user needs.
# The overrides pin transitive versions the registry no longer has (see the README "MongoDB store").
# Then: KEFU_MONGO_EMULATOR_DIR=<dir> npx mocha ... dist/test/core/store/store-contract-mongo.test.js
set -eu
dir="${1:?usage: install-mongo-emulator.sh <dir>}"
mkdir -p "$dir"
cd "$dir"
cat > package.json <<'JSON'
{
  "name": "kefu-mongo-emulator",
  "private": true,
  "description": "Test-only MongoDB wire emulator for kefu's store contract suite",
  "dependencies": { "@push.rocks/smartmongo": "2.2.0" },
  "overrides": {
    "@push.rocks/lik": "6.4.0", "@push.rocks/smartfs": "1.5.0", "@tsclass/tsclass": "9.5.0",
    "@api.global/typedrequest": "3.3.0", "@api.global/typedrequest-interfaces": "3.0.19",
    "@push.rocks/smartenv": "6.0.0", "@push.rocks/smartjson": "6.0.0",
    "@push.rocks/smartpromise": "4.2.3", "@push.rocks/smartrx": "3.0.10"
  }
}
JSON
# Its postinstall steps would try to download a mongod binary: nothing of them is used.
npm install --no-audit --no-fund --ignore-scripts --loglevel=error
entry="node_modules/@push.rocks/smartmongo/dist_ts/congodb/index.js"
test -f "$entry" || { echo "install-mongo-emulator: $entry is missing after install" >&2; exit 1; }
echo "emulator installed: $dir/$entry"
