"""File Service settings (FILES_* environment variables)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from system.kernel.config import ServiceSettings

MB = 1024 * 1024


class FilesSettings(ServiceSettings):
    """Where the bucket is, and the limits uploads must respect."""

    model_config = SettingsConfigDict(env_prefix="FILES_", frozen=True, extra="ignore")

    s3_endpoint: str | None = None  # None: AWS S3 itself
    s3_region: str = "us-east-1"
    s3_access_key: str
    s3_secret_key: str
    s3_bucket: str = "models"
    max_upload_bytes: int = 256 * MB
    # Uploads above this size go multipart, in parts of `part_size` bytes (S3 needs parts >= 5 MiB).
    multipart_threshold: int = 8 * MB
    part_size: int = 8 * MB
    presign_ttl_seconds: int = 900
