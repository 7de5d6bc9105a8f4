#!/usr/bin/env bash
# Installs what hasvc needs on a Debian machine, then builds it. Idempotent:
# each step is skipped when already done. Run as root (apt-get, lvm, netns).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have nats-server || need_pkgs+=(nats-server)
have vgchange    || need_pkgs+=(lvm2)
have rsync       || need_pkgs+=(rsync)
have ping        || need_pkgs+=(iputils-ping)
have arping      || need_pkgs+=(arping)
have e2fsck      || need_pkgs+=(e2fsprogs)
have fuser       || need_pkgs+=(psmisc)
have ip          || need_pkgs+=(iproute2)
have pgrep       || need_pkgs+=(procps)
have python3     || need_pkgs+=(python3)
have nsenter     || need_pkgs+=(util-linux)
have openssl     || need_pkgs+=(openssl)
# the web view's tests drive a real browser (headless, through playwright-core)
have chromium    || need_pkgs+=(chromium)
have nft         || need_pkgs+=(nftables)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
# the metrics' tests run Prometheus with examples/prometheus; Debian starts the
# service it installs: stopped and disabled, as the tests start their own
if ! have promtool; then
  echo "setup: installing Debian package: prometheus (for the tests only; its service left disabled)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building"
npx tsc -p tsconfig.build.json
