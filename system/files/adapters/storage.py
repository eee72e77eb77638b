"""Object storage port and its S3 adapter (Ceph RGW locally; AWS S3 or MinIO elsewhere)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError
from opentelemetry import trace

from system.kernel.s3 import MISSING, ObjectMissing, S3Bucket, error_code

tracer = trace.get_tracer(__name__)
CHUNK = 1024 * 1024


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
    async def expire(self, prefix: str, days: int) -> None:
        """Have the store itself delete objects under `prefix` and abort multipart uploads after `days`."""
        ...

    async def get_bytes(self, key: str) -> bytes:
        """A small object's content; ObjectMissing when there is none."""
        ...

    async def put_bytes(self, key: str, data: bytes) -> None: ...

    async def ping(self) -> None: ...


class S3Store(S3Bucket):
    """The File Service's bucket: presigned transfers, multipart uploads, streamed downloads."""

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
            if error_code(exc) not in ("NoSuchUpload", "404"):
                raise

    async def size(self, key: str) -> int:
        try:
            return int((await self._call("head_object", Key=key))["ContentLength"])
        except ClientError as exc:
            if error_code(exc) in MISSING:
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
