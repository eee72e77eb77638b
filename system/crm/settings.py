"""CRM settings (CRM_* environment variables)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from system.kernel.config import ServiceSettings


class CrmSettings(ServiceSettings):
    """Where the File Service is, the token secret shared with the other services, demo seeding."""

    model_config = SettingsConfigDict(env_prefix="CRM_", frozen=True, extra="ignore")

    files_url: str = "http://127.0.0.1:8010"
    auth_secret: str
    token_ttl_seconds: int = 12 * 3600
    seed_demo_accounts: bool = False  # the local stack's demo customers and operator (never in production)
    demo_password: str = "demo"
    run_messaging: bool = True  # relay + consumers in this process (off for API-only tests)
