#!/usr/bin/env bash
# Docker for `make images` and the containers stack (issue 12): Debian's docker.io, a daemon started when none
# answers, and the offline base image. Every container here runs with host networking, so the daemon is started
# without a bridge and without touching iptables (the chaos suite owns its own iptables chain).
# Usage: scripts/docker.sh [--no-install]   exit 0 once `docker info` answers and local/debian:bookworm exists.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
BASE_IMAGE="${BASE_IMAGE:-local/debian:bookworm}"

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  if [ "${1:-}" = "--no-install" ]; then echo "docker: dockerd or debootstrap missing" >&2; exit 1; fi
  echo "docker: installing docker.io and debootstrap"
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io debootstrap
fi

if ! docker info >/dev/null 2>&1; then
  echo "docker: starting dockerd (no bridge, no iptables rules; log in /var/log/dockerd.log)"
  $SUDO sh -c 'setsid dockerd --iptables=false --ip6tables=false --bridge=none >>/var/log/dockerd.log 2>&1 </dev/null &'
  for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "docker: dockerd did not answer in 60 s, see /var/log/dockerd.log" >&2; exit 1; }
fi

# No registry can be pulled from here: the base is a minimal Debian 12 from the configured apt mirror. (Another
# BASE_IMAGE, e.g. python:3.11-slim where a registry answers, is pulled by the build itself.)
if [ "$BASE_IMAGE" = local/debian:bookworm ] && ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -E '^(URIs:|deb )' \
    | grep -oE 'https?://[^ ]+' | grep -v security | head -1 || true)
  mirror="${mirror:-http://deb.debian.org/debian}"
  rootfs=$(mktemp -d)
  trap '$SUDO rm -rf "$rootfs"' EXIT
  echo "docker: building $BASE_IMAGE with debootstrap from $mirror"
  $SUDO debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  # Every image runs `apt-get update` first: the base carries no package lists or downloaded packages.
  $SUDO sh -c "rm -rf '$rootfs'/var/cache/apt/*.bin '$rootfs'/var/cache/apt/archives/*.deb '$rootfs'/var/lib/apt/lists/*"
  $SUDO tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
fi
echo "docker: ok ($(docker version --format '{{.Server.Version}}'), base $BASE_IMAGE)"
