"""Pricing worker settings (PRICING_* environment variables)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


class PricingSettings(BaseSettings):
    """Where the broker and the File Service are, the token secret, where models are cached, and a job's limits.

    Not a kernel ServiceSettings: that one requires a database URL, and the workers have no database.
    """

    model_config = SettingsConfigDict(env_prefix="PRICING_", frozen=True, extra="ignore")

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5680/"
    files_url: str = "http://127.0.0.1:8010"
    # Signs the service tokens the workers show the File Service (the secret shared by the services, ADR 004).
    auth_secret: str
    cache_dir: Path = Path(tempfile.gettempdir()) / "pricing-models"
    # Same limit as the File Service's uploads: anything larger cannot be a file it accepted.
    max_model_bytes: int = Field(default=256 * MB, gt=0)
    concurrency: int = Field(default=1, ge=1, le=64, description="Worker processes (the CLI option overrides)")
    # Worker i serves Prometheus metrics on metrics_port + i; unset means no metrics endpoint.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    # A job (fetch, geometry, every orientation's slice) stopped past this ends in pricing.failed with the reason.
    # The broker's consumer_timeout must stay above it, or it would take the job away first (system/stack).
    job_timeout_s: float = Field(default=30 * 60.0, gt=0)
    # Where the orientation search keeps its checkpoints: with the File Service, which every worker host reaches
    # (and the only service with S3 credentials), or in a folder under cache_dir that only this host's workers share.
    checkpoints: Literal["files", "folder"] = "files"
    memo_size: int = Field(default=512, ge=1, description="Geometries and verdicts remembered per process")
    log_level: str = "INFO"
    log_json: bool = True
    # OTLP/HTTP traces endpoint (e.g. Jaeger's http://host:4318); unset means no export.
    otlp_endpoint: str | None = None
