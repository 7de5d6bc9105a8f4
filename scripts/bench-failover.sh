#!/usr/bin/env bash
# npm run bench:failover [-- --runs N --hb fast|default]
# hasvc's failover against keepalived's on the two-node lab, seen by an
# outside observer (test/bench/failover.ts). Installs keepalived (Debian's;
# its own service left disabled: the bench runs its instances in the lab's
# nodes), builds dist/ (the nodes and the observer run it), runs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "bench:failover: needs root (namespaces, loop devices, LVM)" >&2
	exit 1
fi
bash scripts/setup.sh
if ! command -v keepalived >/dev/null 2>&1; then
	echo "bench:failover: installing Debian package: keepalived (its service left disabled)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends keepalived >/dev/null
	if command -v systemctl >/dev/null 2>&1; then systemctl disable --now keepalived >/dev/null 2>&1 || true; fi
fi
exec node dist/test/bench/failover.js "$@"
