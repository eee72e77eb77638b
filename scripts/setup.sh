#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian 12 machine: system packages that are missing, then the project venv.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
# What a bare debian:12 container lacks (the GitHub Actions jobs run in one): Python 3.11 with venv, git, TLS roots.
command -v python3.11 >/dev/null || missing+=(python3.11)
"$(command -v python3.11 || echo python3)" -c 'import ensurepip' 2>/dev/null || missing+=(python3.11-venv)
command -v git >/dev/null || missing+=(git)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v radosgw >/dev/null || missing+=(radosgw ceph-mon ceph-osd ceph-common)
command -v psql >/dev/null || missing+=(postgresql-client)
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
command -v make >/dev/null || missing+=(make)
command -v iptables >/dev/null || missing+=(iptables)  # the chaos suite's broker partition
# Monitoring (not the distribution's services: the stack runs its own on 19090/19093).
command -v prometheus >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # the e2e suite's browser (Playwright cannot download one here)
# Playwright's driver is a Node.js binary linked against libatomic, which a bare debian:12 lacks (a machine with
# gcc has it): without it every browser test breaks with "Connection closed while reading from the driver".
/sbin/ldconfig -p | grep -q 'libatomic\.so\.1' || missing+=(libatomic1)
command -v prusa-slicer >/dev/null || missing+=(prusa-slicer)  # quotes: print time and material per orientation
command -v kubectl >/dev/null || missing+=(kubernetes-client)  # renders the Kustomize overlay in the tests (ADR 010)
command -v docker-compose >/dev/null || missing+=(docker-compose)  # checks compose.yaml in the tests (issue 12)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version}"'

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test,dev]'
  touch "$stamp"
fi
# The browser tests' driver must start here, or they all break at once: say so now, with its own error.
if ! driver=$(.venv/bin/python -m playwright --version 2>&1); then
  echo "setup: Playwright's driver does not start: $driver" >&2
  exit 1
fi

# Release gate: the Allure 2 command line (npm allure-commandline, runs on Java 17) builds the HTML report
# offline; it goes to .tools/ (git-ignored) and is installed only when missing or of another version.
ALLURE_VERSION=2.46.1
gate_missing=()
command -v java >/dev/null || gate_missing+=(openjdk-17-jre-headless)
command -v npm >/dev/null || gate_missing+=(npm)
if [ "${#gate_missing[@]}" -gt 0 ]; then
  echo "setup: installing ${gate_missing[*]}"
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${gate_missing[@]}"
fi
if ! grep -qs "\"version\": \"$ALLURE_VERSION\"" .tools/node_modules/allure-commandline/package.json; then
  echo "setup: installing the Allure command line $ALLURE_VERSION"
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "allure-commandline@$ALLURE_VERSION"
fi
# The Shop's 3D preview: three.js from npm, vendored into the Shop's static files (git-ignored), with its STL
# loader and orbit controls. Their bare `from 'three'` becomes a relative path: an import map would be an inline
# script, which the Shop's Content-Security-Policy (script-src 'self') rightly refuses.
THREE_VERSION=0.187.0
vendor=system/shop/static/vendor/three
if ! grep -qs "\"version\": \"$THREE_VERSION\"" .tools/node_modules/three/package.json; then
  echo "setup: installing three.js $THREE_VERSION"
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "three@$THREE_VERSION"
fi
if [ ! -f "$vendor/VERSION" ] || [ "$(cat "$vendor/VERSION")" != "$THREE_VERSION" ]; then
  mkdir -p "$vendor"
  three=.tools/node_modules/three
  cp "$three/build/three.module.js" "$three/build/three.core.js" "$three/LICENSE" \
    "$three/examples/jsm/loaders/STLLoader.js" "$three/examples/jsm/controls/OrbitControls.js" "$vendor/"
  sed -i "s#from 'three';#from './three.module.js';#" "$vendor/STLLoader.js" "$vendor/OrbitControls.js"
  echo "$THREE_VERSION" > "$vendor/VERSION"
fi
echo "setup: ok"
