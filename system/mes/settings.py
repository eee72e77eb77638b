"""MES settings (MES_* environment variables)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from system.kernel.config import ServiceSettings


class MesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MES_", frozen=True, extra="ignore")

    auth_secret: str
    run_messaging: bool = True  # relay + consumers in this process (off for API-only tests)
