"""Shop settings (SHOP_* environment variables)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ShopSettings(BaseSettings):
    """Where the services behind the Shop are, and how the browser session is kept.

    Not a `ServiceSettings`: the Shop owns no database and publishes no messages, so it has no use for
    `database_url` or `amqp_url`.
    """

    model_config = SettingsConfigDict(env_prefix="SHOP_", frozen=True, extra="ignore")

    crm_url: str = Field(description="Base URL of the CRM API, e.g. http://127.0.0.1:8020")
    mes_url: str = Field(description="Base URL of the MES API")
    files_url: str = Field(description="Base URL of the File Service")
    # Signs the session cookie; every replica must share it so any replica can serve any browser.
    session_secret: str = Field(min_length=16)
    # Where browsers reach the Shop; an https URL makes the session cookie Secure.
    public_url: str = "http://127.0.0.1:8000"
    shop_name: str = "Layerworks"
    session_max_age_seconds: int = 12 * 3600
    http_timeout_seconds: float = 10.0
    # Model files can be large and S3 slow: the byte transfer gets its own, longer budget.
    upload_timeout_seconds: float = 600.0
    max_upload_bytes: int = 256 * 1024 * 1024
    poll_interval_ms: int = Field(default=1000, ge=200)
    log_level: str = "INFO"
    log_json: bool = True
    otlp_endpoint: str | None = None
    # Where operators' browsers open a trace's waterfall (the trace sink's HTTP API); empty: show trace ids only.
    traces_url: str | None = "http://127.0.0.1:14318"
    # Where under traces_url one trace is shown: the local trace sink's waterfall; Jaeger's UI: /trace/{trace_id}.
    trace_link: str = "/api/traces/{trace_id}/waterfall.svg"

    @field_validator("crm_url", "mes_url", "files_url", "public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("trace_link")
    @classmethod
    def _names_the_trace(cls, value: str) -> str:
        if not value.startswith("/") or "{trace_id}" not in value:
            raise ValueError("must be a path naming {trace_id}, e.g. /trace/{trace_id}")
        return value

    @field_validator("traces_url")
    @classmethod
    def _optional_http_url(cls, value: str | None) -> str | None:
        return cls._http_url(value) if value else None

    @property
    def secure_cookies(self) -> bool:
        """Whether browsers reach the Shop over HTTPS (then the session cookie must never travel in clear)."""
        return self.public_url.startswith("https://")
