#!/usr/bin/env bash
# Fresh Debian 12, as root: install, build, start berthd, make a busybox image, run a container.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends runc crun conmon gcc libc6-dev libseccomp-dev busybox-static iproute2 nftables tini procps util-linux iptables bzip2 xz-utils >/dev/null
npm ci --no-audit --no-fund >/dev/null
npm run build >/dev/null
sock=/run/berth/berth.sock
if ! bin/berth -H "unix://$sock" version >/dev/null 2>&1; then
  mkdir -p /var/log
  nohup bin/berthd >>/var/log/berthd.log 2>&1 &
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
fi
export BERTH_HOST="unix://$sock"
bin/berth image inspect busybox >/dev/null 2>&1 || bin/berth bootstrap busybox
bin/berth run --rm busybox echo hello from berth
