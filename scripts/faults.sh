#!/usr/bin/env bash
# npm run faults [-- --runs N --seed S --scenario NAME --report FILE]
# Fault scenarios on the two-node lab with an outside observer
# (test/lab/faults/run.ts). Builds dist/ first: the nodes and the observer run it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "faults: needs root (namespaces, loop devices, LVM, nftables)" >&2
	exit 1
fi
if ! command -v nft >/dev/null 2>&1; then
	echo "faults: nft not found (Debian package nftables: npm run setup installs it)" >&2
	exit 1
fi
# tsc emits even with type errors elsewhere; the run needs the emitted files
npx tsc -p tsconfig.build.json >/dev/null || echo "faults: the build has type errors (npx tsc -p tsconfig.build.json); running anyway" >&2
exec node dist/test/lab/faults/run.js "$@"
