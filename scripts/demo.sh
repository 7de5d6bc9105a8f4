#!/usr/bin/env bash
# npm run demo [-- --keep]: the main command. Installs what hasvc needs and
# builds it (scripts/setup.sh), then walks the tutorial on a two-node lab
# built on this machine (test/lab/demo.ts). Root only.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (apt-get, namespaces, loop devices, LVM)" >&2
	exit 1
fi
bash scripts/setup.sh
exec node dist/test/lab/demo.js "$@"
