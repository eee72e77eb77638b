"""Deployment artefacts: alert rules and routing, dashboards, and the metric names both may read."""
