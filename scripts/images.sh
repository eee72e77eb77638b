#!/usr/bin/env bash
# `make images`: the services' image and the infrastructure images (issue 12), built from the offline Debian base
# (scripts/docker.sh) or from BASE=... where a registry answers. Python packages are fetched by the host's pip
# (its index and certificates) into .tools/wheels, so the image build itself needs only the Debian mirror.
# Usage: scripts/images.sh [IMAGE...]   (services load rabbitmq postgres ceph haproxy prometheus alertmanager; default all)
set -euo pipefail
cd "$(dirname "$0")/.."

BASE="${BASE:-local/debian:bookworm}"
TAG="${STACK_IMAGE_TAG:-latest}"  # the names the containers stack looks for (StackSettings)
PREFIX="${STACK_IMAGE_PREFIX:-layerworks/}"
VERSION=$(.venv/bin/python -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
# As system/stack/runtimes.py reads the tree: `auto` takes containers only from images of this very commit.
COMMIT=$(git describe --always --dirty 2>/dev/null || echo unknown)
INFRA=(rabbitmq postgres ceph haproxy prometheus alertmanager)
wanted=("$@")
[ "${#wanted[@]}" -gt 0 ] || wanted=(services load "${INFRA[@]}")
for image in "${wanted[@]}"; do
  [[ " services load ${INFRA[*]} " == *" $image "* ]] || { echo "images: no image '$image' (services load ${INFRA[*]})" >&2; exit 2; }
done

BASE_IMAGE="$BASE" scripts/docker.sh  # Docker answers; the offline base is built if it is the one asked for
mkdir -p .tools
build() {  # build TARGET DOCKERFILE CONTEXT; its output in .tools/images-TARGET.log
  local started=$SECONDS log=.tools/images-$1.log
  # The labels that change with each commit come last (--label), so they never invalidate a cached layer.
  if ! DOCKER_BUILDKIT=0 docker build --network host --build-arg "BASE=$BASE" --label "org.opencontainers.image.version=$VERSION" \
    --label "org.opencontainers.image.revision=$COMMIT" --target "$1" -t "$PREFIX$1:$TAG" -t "$PREFIX$1:$VERSION" \
    -f "$2" "$3" >"$log" 2>&1; then
    echo "images: $PREFIX$1 failed; end of $log:" >&2
    tail -20 "$log" >&2
    return 1
  fi
  echo "images: $PREFIX$1:$TAG built in $((SECONDS - started)) s, $(docker image inspect -f '{{.Size}}' "$PREFIX$1:$TAG" \
    | awk '{printf "%.0f MB", $1 / 1e6}')"
}
requirements() {  # requirements EXPRESSION: the pinned packages the expression picks from pyproject.toml
  .venv/bin/python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join($1))"
}
wheels() {
  # Our wheel apart from the pinned dependencies: a code change rebuilds one small layer, not the venv.
  # setuptools builds in ./build and never empties it: a module deleted here would still ship in the wheel.
  rm -rf .tools/wheels/app build && mkdir -p .tools/wheels/deps .tools/wheels/app .tools/wheels/load
  requirements "p['dependencies']" > .tools/wheels/requirements.txt
  .venv/bin/pip wheel -q -w .tools/wheels/deps -r .tools/wheels/requirements.txt
  .venv/bin/pip wheel -q --no-deps -w .tools/wheels/app .
  requirements "r for r in p['optional-dependencies']['test'] if r.startswith('locust')" > .tools/wheels/load/requirements.txt
  .venv/bin/pip wheel -q -w .tools/wheels/load -r .tools/wheels/load/requirements.txt
}

# In parallel: the builds mostly wait on the mirror. The services' wheels first (the load image shares them).
pids=()
for image in "${wanted[@]}"; do
  if [ "$image" = services ] || [ "$image" = load ]; then
    [ -n "${wheels_done:-}" ] || { wheels; wheels_done=1; }
  fi
done
if [[ " ${wanted[*]} " == *" services "* ]]; then
  # load builds FROM the services stage: after it, in the same job, so the layers are shared, not built twice.
  ( build services Dockerfile . && if [[ " ${wanted[*]} " == *" load "* ]]; then build load Dockerfile .; fi ) &
  pids+=($!)
elif [[ " ${wanted[*]} " == *" load "* ]]; then
  build load Dockerfile . & pids+=($!)
fi
# Their common stage first, once: built by each in parallel, it would be six different layers, and the cache of
# a later build would find only one of them.
infra_context=$(mktemp -d)
trap 'rmdir "$infra_context"' EXIT
for image in "${wanted[@]}"; do
  if [[ " ${INFRA[*]} " == *" $image "* ]]; then
    build infra system/deploy/images/infra.Dockerfile "$infra_context" >/dev/null
    break
  fi
done
for image in "${wanted[@]}"; do
  if [[ " ${INFRA[*]} " == *" $image "* ]]; then
    build "$image" system/deploy/images/infra.Dockerfile "$infra_context" &
    pids+=($!)
  fi
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || { echo "images: a build failed (rerun one: scripts/images.sh NAME)" >&2; exit 1; }
# A rebuild moves the tags to the new images (their labels name the commit): the ones left untagged are ours only.
echo "images: untagged layerworks images removed, $(docker image prune -f --filter dangling=true \
  --filter label=org.opencontainers.image.vendor=layerworks | awk '/^Total reclaimed space/ {print $4}') reclaimed"
