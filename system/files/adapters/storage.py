"""Object storage port and its S3 adapter (Ceph RGW locally; AWS S3 or MinIO elsewhere)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from opentelemetry import trace

tracer = trace.get_tracer(__name__)
CHUNK = 1024 * 1024


class ObjectMissing(LookupError):
    """No object under that key."""


class ObjectStore(Protocol):
    """What the File Service needs from an object store."""

    async def presign_put(self, key: str, ttl: int, size: int) -> str:
        """A PUT URL the store honours only for a body of exactly `size` bytes."""
        ...

    async def start_multipart(self, key: str) -> str: ...
    async def presign_part(self, key: str, multipart_id: str, part_number: int, ttl: int, size: int) -> str:
        """A part's PUT URL, honoured only for a body of exactly `size` bytes."""
        ...

    async def complete_multipart(self, key: str, multipart_id: str, parts: list[tuple[int, str]]) -> None: ...
    async def abort_multipart(self, key: str, multipart_id: str) -> None: ...
    async def size(self, key: str) -> int: ...
    async def download(self, key: str, dest: Path) -> str: ...
    async def copy(self, source: str, dest: str) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def exists(self, key: str) -> bool: ...
    async def presign_get(self, key: str, ttl: int, filename: str) -> str: ...
    async def expire_uploads(self, prefix: str, days: int) -> None:
        """Have the store itself delete objects under `prefix` and abort multipart uploads after `days`."""
        ...

    async def ping(self) -> None: ...


class S3Store:
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

    async def _presign(self, op: str, ttl: int, **params: Any) -> str:
        return await asyncio.to_thread(
            self.client.generate_presigned_url, op, Params={"Bucket": self.bucket, **params}, ExpiresIn=ttl
        )

    async def presign_put(self, key: str, ttl: int, size: int) -> str:
        # ContentLength becomes a signed header: S3 (and Ceph RGW, checked) answers 403 to any other length,
        # so a client cannot store more than it declared before completion looks at the object.
        return await self._presign("put_object", ttl, Key=key, ContentLength=size)

    async def start_multipart(self, key: str) -> str:
        return str((await self._call("create_multipart_upload", Key=key))["UploadId"])

    async def presign_part(self, key: str, multipart_id: str, part_number: int, ttl: int, size: int) -> str:
        return await self._presign(
            "upload_part", ttl, Key=key, UploadId=multipart_id, PartNumber=part_number, ContentLength=size
        )

    async def complete_multipart(self, key: str, multipart_id: str, parts: list[tuple[int, str]]) -> None:
        await self._call(
            "complete_multipart_upload",
            Key=key,
            UploadId=multipart_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in sorted(parts)]},
        )

    async def abort_multipart(self, key: str, multipart_id: str) -> None:
        try:
            await self._call("abort_multipart_upload", Key=key, UploadId=multipart_id)
        except ClientError as exc:
            if _code(exc) not in ("NoSuchUpload", "404"):
                raise

    async def size(self, key: str) -> int:
        try:
            return int((await self._call("head_object", Key=key))["ContentLength"])
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                raise ObjectMissing(key) from exc
            raise

    async def exists(self, key: str) -> bool:
        try:
            await self.size(key)
        except ObjectMissing:
            return False
        return True

    async def download(self, key: str, dest: Path) -> str:
        """Stream the object to `dest`; return its sha256 (computed on the way, no second read)."""
        with tracer.start_as_current_span("s3 download", attributes={"s3.key": key}):
            return await asyncio.to_thread(self._download, key, dest)

    def _download(self, key: str, dest: Path) -> str:
        digest = hashlib.sha256()
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        with dest.open("wb") as out:
            for chunk in iter(lambda: body.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest()

    async def copy(self, source: str, dest: str) -> None:
        await self._call("copy_object", Key=dest, CopySource={"Bucket": self.bucket, "Key": source})

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Key=key)

    async def presign_get(self, key: str, ttl: int, filename: str) -> str:
        return await self._presign(
            "get_object", ttl, Key=key, ResponseContentDisposition=f'attachment; filename="{filename}"'
        )

    async def expire_uploads(self, prefix: str, days: int) -> None:
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
            if _code(exc) != "NoSuchLifecycleConfiguration":
                raise
            rules = []
        # The bucket has one lifecycle configuration: keep everyone else's rules, replace only ours.
        kept = [r for r in rules if r.get("ID") != rule_id]
        await self._call("put_bucket_lifecycle_configuration", LifecycleConfiguration={"Rules": [*kept, rule]})

    async def ping(self) -> None:
        await self._call("head_bucket")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
