"""Where stored files' bytes live: a local directory (or a volume every app node mounts) or S3-compatible storage.

`ONESTOP_FILE_STORE` picks the implementation: `local` (default; `ONESTOP_FILES_DIR`, two-level fan-out) or
`s3` (`ONESTOP_S3_BUCKET`, `ONESTOP_S3_PREFIX`, `ONESTOP_S3_ENDPOINT_URL` for a province's own S3-compatible
service such as MinIO or Ceph, credentials from `ONESTOP_S3_ACCESS_KEY`/`ONESTOP_S3_SECRET_KEY` or boto3's
usual environment). Names are the attachments' generated `stored_name`s; nothing here knows about dossiers.
onestop/files.py is the only caller; it checks the content before anything is stored.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app

EXTENSION = "onestop_filestore"


class FileStore(Protocol):
    def put(self, name: str, data: bytes, content_type: str) -> None: ...
    def open(self, name: str) -> BinaryIO: ...
    def delete(self, name: str) -> None: ...
    def exists(self, name: str) -> bool: ...


class LocalStore:
    """Files under a directory: `<root>/<first two characters>/<name>`, written atomically."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root / name[:2] / name

    def put(self, name: str, data: bytes, content_type: str) -> None:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)

    def open(self, name: str) -> BinaryIO:
        return self.path(name).open("rb")

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()


class S3Store:
    """Objects `<prefix><name>` in one bucket of an S3-compatible service (boto3, imported only when used)."""

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, region: str | None = None):
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None, region_name=region or "us-east-1",
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30))

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data, ContentType=content_type)

    def open(self, name: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(name) from exc
            raise
        return io.BytesIO(body.read())

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError:
            return False
        return True


def build(config) -> FileStore:
    kind = (config.get("ONESTOP_FILE_STORE") or "local").lower()
    if kind == "s3":
        if not config.get("ONESTOP_S3_BUCKET"):
            raise RuntimeError("ONESTOP_FILE_STORE=s3 needs ONESTOP_S3_BUCKET")
        return S3Store(config["ONESTOP_S3_BUCKET"], prefix=config.get("ONESTOP_S3_PREFIX") or "",
                       endpoint_url=config.get("ONESTOP_S3_ENDPOINT_URL"),
                       access_key=config.get("ONESTOP_S3_ACCESS_KEY"), secret_key=config.get("ONESTOP_S3_SECRET_KEY"),
                       region=config.get("ONESTOP_S3_REGION"))
    if kind != "local":
        raise RuntimeError(f"ONESTOP_FILE_STORE must be local or s3, not {kind!r}")
    return LocalStore(config["ONESTOP_FILES_DIR"])


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = None  # built on first use: the S3 client is only made when a file is touched


def current() -> FileStore:
    store = current_app.extensions.get(EXTENSION)
    if store is None or (isinstance(store, LocalStore) and str(store.root) != current_app.config["ONESTOP_FILES_DIR"]):
        store = build(current_app.config)
        current_app.extensions[EXTENSION] = store
    return store
