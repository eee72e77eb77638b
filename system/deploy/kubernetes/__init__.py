"""Kubernetes manifests generated from code: a Kustomize base (`base/`) and an example overlay (ADR 010)."""
