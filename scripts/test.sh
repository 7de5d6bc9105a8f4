#!/usr/bin/env bash
# The test command of the README: installs what is missing, type-checks,
# lints, then runs every test (unit, integration against a real nats-server
# and real kernel objects, and the two-node lab). Jest's summary goes to stdout.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

echo "== tsc --noEmit"
npx tsc --noEmit || exit 1
echo "== eslint"
npx eslint . || exit 1
echo "== jest"
NODE_OPTIONS=--experimental-vm-modules npx jest --ci "$@" 2>&1
