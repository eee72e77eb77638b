"""One S3 bucket through boto3: bounded timeouts, calls in threads, a span per call (Ceph RGW here, any S3 too)."""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from opentelemetry import trace

tracer = trace.get_tracer(__name__)
MISSING = ("404", "NoSuchKey", "NotFound")


class ObjectMissing(LookupError):
    """No object under that key."""


class S3Bucket:
    """boto3 calls run in threads, with bounded timeouts so an S3 outage fails fast instead of hanging."""

    def __init__(self, bucket: str, *, endpoint: str | None, region: str, access_key: str, secret_key: str) -> None:
        self.bucket = bucket
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            config=config,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )

    async def _call(self, op: str, **kwargs: Any) -> Any:
        with tracer.start_as_current_span(f"s3 {op}", attributes={"s3.bucket": self.bucket}):
            return await asyncio.to_thread(getattr(self.client, op), Bucket=self.bucket, **kwargs)

    async def get_bytes(self, key: str) -> bytes:
        """The object's content; ObjectMissing when there is none."""
        try:
            answer = await self._call("get_object", Key=key)
        except ClientError as exc:
            if error_code(exc) in MISSING:
                raise ObjectMissing(key) from exc
            raise
        return bytes(await asyncio.to_thread(answer["Body"].read))

    async def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (S3 writes are atomic per object: readers see the old or the new)."""
        await self._call("put_object", Key=key, Body=data)

    async def expire(self, prefix: str, days: int) -> None:
        """Have the store delete objects under `prefix` and abort multipart uploads there after `days`."""
        rule_id = f"expire-{prefix.strip('/')}"
        rule = {
            "ID": rule_id,
            "Filter": {"Prefix": prefix},
            "Status": "Enabled",
            "Expiration": {"Days": days},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
        }
        try:
            rules = (await self._call("get_bucket_lifecycle_configuration"))["Rules"]
        except ClientError as exc:
            if error_code(exc) != "NoSuchLifecycleConfiguration":
                raise
            rules = []
        # The bucket has one lifecycle configuration: keep everyone else's rules, replace only ours.
        kept = [r for r in rules if r.get("ID") != rule_id]
        await self._call("put_bucket_lifecycle_configuration", LifecycleConfiguration={"Rules": [*kept, rule]})

    async def ping(self) -> None:
        await self._call("head_bucket")


def error_code(exc: ClientError) -> str:
    """The S3 error code of a failed call ("NoSuchKey", "404", ...)."""
    return str(exc.response.get("Error", {}).get("Code", ""))
