"""Grafana dashboards as code: built with grafana-foundation-sdk, written as JSON into `dashboards/`.

`python -m system.deploy.grafana` regenerates the JSON; `--check` fails when a committed file is stale. The unit
tests also check that every PromQL expression names only metrics the stack exposes (`lint`, `metrics`).
"""
