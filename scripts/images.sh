#!/usr/bin/env bash
# `make images`: the services' image and the infrastructure images (issue 12), built from the offline Debian base
# (scripts/docker.sh) or from BASE=... where a registry answers. Python packages are fetched by the host's pip
# (its index and certificates) into .tools/wheels, so the image build itself needs only the Debian mirror.
# Usage: scripts/images.sh [IMAGE...]   (services rabbitmq postgres ceph haproxy prometheus alertmanager; default all)
set -euo pipefail
cd "$(dirname "$0")/.."

BASE="${BASE:-local/debian:bookworm}"
TAG="${TAG:-latest}"
PREFIX="${IMAGE_PREFIX:-layerworks/}"
VERSION=$(.venv/bin/python -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
INFRA=(rabbitmq postgres ceph haproxy prometheus alertmanager)
wanted=("$@")
[ "${#wanted[@]}" -gt 0 ] || wanted=(services "${INFRA[@]}")

[ "$BASE" != "local/debian:bookworm" ] || scripts/docker.sh
build() {  # build TARGET DOCKERFILE CONTEXT
  local started=$SECONDS
  DOCKER_BUILDKIT=0 docker build --network host -q --build-arg "BASE=$BASE" --build-arg "VERSION=$VERSION" \
    --build-arg "COMMIT=$COMMIT" --target "$1" -t "$PREFIX$1:$TAG" -f "$2" "$3" >/dev/null
  echo "images: $PREFIX$1:$TAG built in $((SECONDS - started)) s, $(docker image inspect -f '{{.Size}}' "$PREFIX$1:$TAG" \
    | awk '{printf "%.0f MB", $1 / 1e6}')"
}

for image in "${wanted[@]}"; do
  if [ "$image" = services ]; then
    # Our wheel apart from the pinned dependencies: a code change rebuilds one small layer, not the venv.
    rm -rf .tools/wheels/app && mkdir -p .tools/wheels/deps .tools/wheels/app
    .venv/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > .tools/wheels/requirements.txt
    .venv/bin/pip wheel -q -w .tools/wheels/deps -r .tools/wheels/requirements.txt
    .venv/bin/pip wheel -q --no-deps -w .tools/wheels/app .
    build services Dockerfile .
  else
    context=$(mktemp -d)
    build "$image" system/deploy/images/infra.Dockerfile "$context"
    rmdir "$context"
  fi
done
