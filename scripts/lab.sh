#!/usr/bin/env bash
# npm run lab -- up|down|status|info|enter NODE|run NODE CMD...
# Builds dist/ when a TypeScript source is newer than the lab CLI, then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

cli=dist/test/lab/labCli.js
stale() {
	[ ! -f "$cli" ] || [ -n "$(find src domain projections adapters test/lab -name '*.ts' -newer "$cli" -print -quit 2>/dev/null)" ]
}

if stale; then
	echo "lab: building (tsc -p tsconfig.build.json)" >&2
	if ! npx tsc -p tsconfig.build.json; then
		# tsc still emits on type errors; the lab only needs its own files.
		if [ -f "$cli" ] && [ -z "$(find test/lab -name '*.ts' ! -name '*.test.ts' -newer "$cli" -print -quit)" ]; then
			echo "lab: the build has type errors (see above); running the lab anyway" >&2
		else
			echo "lab: build failed" >&2
			exit 1
		fi
	fi
fi

if [ "$(id -u)" != 0 ]; then
	echo "lab: needs root (namespaces, loop devices, LVM)" >&2
	exit 1
fi
exec node "$cli" "$@"
