# Infrastructure images from Debian 12 packages (issue 12), for places where no official image can be pulled:
# the containers stack (`python -m system.stack up --runtime containers`) runs each as a host-network container
# with its own command and configuration. One target per image: `make images` builds them all.
# Users the stack writes files for get fixed system uids (created before the package, whose postinst keeps them),
# so the stack can hand its bind-mounted data directories to them (system/stack/containers.py, IMAGE_USERS).
# Version and commit labels: `docker build --label` (scripts/images.sh), so a new commit reuses every cached layer.
ARG BASE=local/debian:bookworm

FROM ${BASE} AS infra
LABEL org.opencontainers.image.vendor="layerworks"
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends curl ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/*

# RabbitMQ 3.10 with the management and Prometheus plugins. Nodes of one cluster and its CLI share the Erlang
# cookie, made once per image build (a production cluster gets its own from the Cluster Operator).
FROM infra AS rabbitmq
LABEL org.opencontainers.image.title="layerworks rabbitmq"
RUN groupadd --system --gid 900 rabbitmq \
    && useradd --system --uid 900 --gid rabbitmq --home-dir /var/lib/rabbitmq --shell /usr/sbin/nologin rabbitmq \
    && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && head -c 30 /dev/urandom | base64 | tr -dc 'A-Z' | head -c 20 > /var/lib/rabbitmq/.erlang.cookie \
    && chown -R rabbitmq:rabbitmq /var/lib/rabbitmq && chmod 400 /var/lib/rabbitmq/.erlang.cookie \
    && rabbitmq-plugins --offline enable rabbitmq_management rabbitmq_prometheus
ENV HOME=/var/lib/rabbitmq
USER rabbitmq
WORKDIR /var/lib/rabbitmq
HEALTHCHECK --interval=10s --timeout=10s --start-period=60s --retries=3 CMD ["rabbitmq-diagnostics", "-q", "ping"]
CMD ["rabbitmq-server"]

# PostgreSQL 15; by default a throwaway server on 5432 (the stack gives its own data directory and port).
FROM infra AS postgres
LABEL org.opencontainers.image.title="layerworks postgres"
RUN groupadd --system --gid 901 postgres \
    && useradd --system --uid 901 --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash postgres \
    && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15 \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGPORT=5432
USER postgres
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 CMD ["sh", "-c", "pg_isready -q -h 127.0.0.1 -p \"$PGPORT\""]
CMD ["sh", "-c", "d=/tmp/pgdata; [ -f $d/PG_VERSION ] || initdb -D $d -A trust >/dev/null && exec postgres -D $d -c listen_addresses=127.0.0.1"]

# Ceph (monitor, OSD, RADOS Gateway) for S3: the stack bootstraps a one-node cluster and runs each daemon in a
# container of this image (system/stack/ceph.py); alone, the image has nothing to serve.
FROM infra AS ceph
LABEL org.opencontainers.image.title="layerworks ceph"
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      radosgw ceph-mon ceph-osd ceph-common \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV RGW_PORT=7480
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=3 CMD ["sh", "-c", "curl -fsS -o /dev/null http://127.0.0.1:$RGW_PORT/"]
CMD ["ceph", "--version"]

FROM infra AS haproxy
LABEL org.opencontainers.image.title="layerworks haproxy"
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends haproxy \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV HEALTH_URL=http://127.0.0.1:8404/metrics
HEALTHCHECK --interval=5s --timeout=5s --start-period=10s --retries=3 CMD ["sh", "-c", "curl -fsS -o /dev/null \"$HEALTH_URL\""]
CMD ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"]

FROM infra AS prometheus
LABEL org.opencontainers.image.title="layerworks prometheus"
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV HEALTH_URL=http://127.0.0.1:9090/-/healthy
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 CMD ["sh", "-c", "curl -fsS -o /dev/null \"$HEALTH_URL\""]
CMD ["prometheus", "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/tmp/prometheus"]

FROM infra AS alertmanager
LABEL org.opencontainers.image.title="layerworks alertmanager"
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus-alertmanager \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV HEALTH_URL=http://127.0.0.1:9093/-/healthy
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 CMD ["sh", "-c", "curl -fsS -o /dev/null \"$HEALTH_URL\""]
CMD ["prometheus-alertmanager", "--config.file=/etc/prometheus/alertmanager.yml", "--storage.path=/tmp/alertmanager"]
