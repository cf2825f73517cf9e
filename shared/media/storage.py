"""The one storage module: R2 through boto3's S3 API, content-addressed keys, long cache headers."""

from __future__ import annotations

from typing import Any

from shared.config import get_settings, per_instance

CACHE_CONTROL = "public, max-age=31536000, immutable"


@per_instance()
def s3_client() -> Any:
    import boto3
    from botocore.config import Config

    storage = get_settings().storage
    return boto3.client(
        "s3",
        endpoint_url=storage.endpoint_url,
        region_name=storage.region,
        aws_access_key_id=storage.access_key_id.get_secret_value() if storage.access_key_id else None,
        aws_secret_access_key=storage.secret_access_key.get_secret_value() if storage.secret_access_key else None,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=20),
    )


def rendition_key(sha256: str, width: int) -> str:
    """Same source bytes, same key: re-delivery and re-scrapes upload nothing new."""
    return f"img/{sha256[:2]}/{sha256}/{width}.webp"


def public_url(key: str) -> str:
    return f"{get_settings().storage.cdn_base_url.rstrip('/')}/{key}"


def put_if_absent(key: str, body: bytes, content_type: str) -> bool:
    """Upload unless the key exists; True when this call uploaded."""
    from botocore.exceptions import ClientError

    client, bucket = s3_client(), get_settings().storage.bucket
    try:
        client.head_object(Bucket=bucket, Key=key)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl=CACHE_CONTROL)
    return True


def get(key: str) -> bytes:
    """The bytes of one stored object (the inference service reads renditions this way, not over the CDN)."""
    response = s3_client().get_object(Bucket=get_settings().storage.bucket, Key=key)
    return bytes(response["Body"].read())
