"""File Service settings (FILES_* environment variables)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from system.kernel.config import ServiceSettings

MB = 1024 * 1024


class FilesSettings(ServiceSettings):
    """Where the bucket is, the token secret shared with the other services, and the limits uploads respect."""

    model_config = SettingsConfigDict(env_prefix="FILES_", frozen=True, extra="ignore")

    s3_endpoint: str | None = None  # None: AWS S3 itself
    s3_region: str = "us-east-1"
    s3_access_key: str
    s3_secret_key: str
    s3_bucket: str = "models"
    # Verifies people's tokens (from the CRM) and service tokens with audience "files" (ADR 004).
    auth_secret: str
    max_upload_bytes: int = 256 * MB
    # Uploads above this size go multipart, in parts of `part_size` bytes (S3 needs parts >= 5 MiB).
    multipart_threshold: int = 8 * MB
    part_size: int = 8 * MB
    presign_ttl_seconds: int = 900
    # An upload not completed within the presign TTL plus this grace is abandoned: the sweeper removes it.
    upload_grace_seconds: int = Field(default=3600, ge=0)
    sweep_interval_seconds: float = Field(default=300, gt=0)
    sweep_batch: int = Field(default=100, ge=1, le=10_000)
