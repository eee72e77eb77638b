# The services' image (issue 12): one image for every service; the command picks the service (compose.yaml,
# the Kubernetes base, the containers stack). Builds offline from the Debian base `make images` makes
# (scripts/docker.sh), or from python:3.11-slim where a registry answers: `--build-arg BASE=python:3.11-slim`.
# Plain Dockerfile syntax (no BuildKit features): Debian's Docker 20.10 builds it with the classic builder too.
# The version and commit labels are `docker build --label`s (scripts/images.sh), set after the last step: as
# build arguments, a new commit would miss the cache of every RUN after them (the slicer's install, each time).
ARG BASE=local/debian:bookworm

# Python 3.11: Debian's, unless the base brings its own.
FROM ${BASE} AS python
# Every stage inherits it: a rebuild's prune (scripts/images.sh) finds the superseded ones by it too.
LABEL org.opencontainers.image.vendor="layerworks"
RUN if ! command -v python3.11 >/dev/null; then \
      apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3.11 \
      && apt-get clean && rm -rf /var/lib/apt/lists/*; fi

# The virtualenv, built with what the final image must not carry (venv, pip). Its wheels come from the host's
# pip (scripts/images.sh): the build needs no package index, only the Debian mirror.
FROM python AS build
RUN if ! python3.11 -c 'import ensurepip' 2>/dev/null; then \
      apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3.11-venv; fi \
    && python3.11 -m venv /opt/venv
# The pinned dependencies first, in a layer of their own: a change to our code does not reinstall them.
COPY .tools/wheels/requirements.txt .tools/wheels/deps /wheels/
RUN /opt/venv/bin/pip install --no-cache-dir -q --no-index --find-links /wheels -r /wheels/requirements.txt
COPY .tools/wheels/app /wheels/app/
RUN /opt/venv/bin/pip install --no-cache-dir -q --no-index --no-deps /wheels/app/*.whl \
    && test -f /opt/venv/lib/python3.11/site-packages/system/shop/static/vendor/three/three.module.js

FROM build AS services-venv
RUN /opt/venv/bin/pip uninstall -y -q pip setuptools wheel

# The load generator's extra packages (Locust), from their own wheels.
FROM build AS load-venv
COPY .tools/wheels/load /wheels/load/
RUN /opt/venv/bin/pip install --no-cache-dir -q --no-index --find-links /wheels/load --find-links /wheels \
      -r /wheels/load/requirements.txt \
    && /opt/venv/bin/pip uninstall -y -q pip setuptools wheel

# The services: the virtualenv and the slicer (the pricing workers quote with it), run as an unprivileged user.
FROM python AS services
LABEL org.opencontainers.image.title="layerworks services" \
      org.opencontainers.image.description="Shop, CRM, MES, File Service, pricing workers and trace sink" \
      org.opencontainers.image.licenses="MIT"
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prusa-slicer \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 app && useradd --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app
COPY --from=services-venv /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HEALTH_URL=http://127.0.0.1:8000/healthz
USER 10001:10001
WORKDIR /tmp
# Every service answers /healthz (a pricing worker: its /metrics); HEALTH_URL says where, per container.
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 CMD ["python", "-m", "system.kernel.healthcheck"]
CMD ["python", "-m", "uvicorn", "system.shop.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]

# The load generator (a Locust master or worker: system/deploy/loadgen.py): the services' image with Locust, the
# load suite and the test meshes it uploads; results go to /results (a volume in compose, a claim in Kubernetes).
FROM services AS load
LABEL org.opencontainers.image.title="layerworks load" \
      org.opencontainers.image.description="Locust load generator: python -m load.suite (master), worker_command"
COPY --from=load-venv /opt/venv /opt/venv
COPY load /app/load/
COPY tests/__init__.py /app/tests/
COPY tests/fixtures/__init__.py tests/fixtures/meshes.py /app/tests/fixtures/
USER root
RUN mkdir /results && chown 10001:10001 /results
USER 10001:10001
WORKDIR /app
HEALTHCHECK NONE
CMD ["python", "-m", "load.suite", "--help"]
