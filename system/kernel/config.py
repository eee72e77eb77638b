"""Settings shared by every service; each service extends `ServiceSettings` with its own prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Common settings. A missing or invalid value fails at start-up with pydantic's message."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    database_url: str = Field(description="postgresql+asyncpg://user:password@host:port/db")
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5680/"
    log_level: str = "INFO"
    log_json: bool = True
    # OTLP/HTTP traces endpoint (e.g. Jaeger's http://host:4318); unset means no export, spans stay local.
    otlp_endpoint: str | None = None
    db_pool_size: int = 10
