#!/bin/bash
# A private Docker engine (Debian's docker.io) for side-by-side benchmarks, run by hand as root:
#
#   bash bench/private-docker.sh start    # prints the --docker-host and --docker-netns to pass
#   bash bench/private-docker.sh stop     # removes everything it made
#
# dockerd runs inside its own network namespace (bt-dnet), with its own socket, data and exec roots and
# cgroup parent under /tmp/bt-dockerd: its bridge, iptables rules, ip_forward and docker-proxy processes
# all live in that namespace, so the host's firewall and forwarding are never touched, and its containers
# have no way out of the machine (the namespace has no link to the outside). busybox:latest is imported
# from the test suite's busybox rootfs (/tmp/berth-test-busybox-rootfs.tar, made by the tests or by
# `berth bootstrap`).
set -euo pipefail
DIR=/tmp/bt-dockerd
NS=bt-dnet
SOCK=$DIR/docker.sock

start() {
  command -v dockerd >/dev/null || { echo "dockerd is not installed (apt install docker.io)" >&2; exit 1; }
  [ -f /tmp/berth-test-busybox-rootfs.tar ] || { echo "no /tmp/berth-test-busybox-rootfs.tar: run the tests once" >&2; exit 1; }
  mkdir -p "$DIR"
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  echo '{}' > "$DIR/daemon.json"
  # nsenter, not `ip netns exec`: that remounts /sys, hiding the cgroup mounts dockerd needs
  nsenter --net="/run/netns/$NS" dockerd -H "unix://$SOCK" --data-root "$DIR/data" --exec-root "$DIR/exec" \
    --pidfile "$DIR/docker.pid" --cgroup-parent=bt-dockerd --config-file "$DIR/daemon.json" >"$DIR/log" 2>&1 &
  for _ in $(seq 1 100); do docker -H "unix://$SOCK" version >/dev/null 2>&1 && break; sleep 0.1; done
  docker -H "unix://$SOCK" import /tmp/berth-test-busybox-rootfs.tar busybox:latest >/dev/null
  echo "--docker-host unix://$SOCK --docker-netns $NS"
}

stop() {
  if [ -S "$SOCK" ]; then
    ids=$(docker -H "unix://$SOCK" ps -aq 2>/dev/null || true)
    [ -n "$ids" ] && docker -H "unix://$SOCK" rm -f $ids >/dev/null 2>&1 || true
  fi
  if [ -f "$DIR/docker.pid" ]; then
    pid=$(cat "$DIR/docker.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  grep " $DIR/" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  for d in /sys/fs/cgroup/*/bt-dockerd /sys/fs/cgroup/bt-dockerd; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: bash bench/private-docker.sh start|stop" >&2; exit 2 ;;
esac
