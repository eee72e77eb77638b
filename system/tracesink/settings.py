"""Trace sink settings (TRACESINK_* environment variables); the port is uvicorn's."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from system.tracesink.store import DEFAULT_MAX_SPANS


class TracesinkSettings(BaseSettings):
    """How many spans to keep, and how to log."""

    model_config = SettingsConfigDict(env_prefix="TRACESINK_", frozen=True, extra="ignore")

    # ~1-2 KB a span: the default keeps the last few hundred MB worth of traces, then forgets the oldest.
    max_spans: int = Field(default=DEFAULT_MAX_SPANS, ge=1)
    log_level: str = "INFO"
    log_json: bool = True
