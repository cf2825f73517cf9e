"""The CDN step: one image per message, fetched safely, re-encoded, re-hosted, recorded on its row."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.creators import documents
from shared.creators.models import MediaAsset
from shared.events.schemas import CdnImageRequested
from shared.jobs import service as jobs_service
from shared.media import images, storage
from shared.media.fetcher import FetchRefused, fetch_image


def fetch_and_upload(event: CdnImageRequested) -> dict[str, Any]:
    """Outside any transaction: download, renditions, uploads. A refused or broken image is a value."""
    settings = get_settings().cdn
    try:
        fetched = fetch_image(event.source_url, settings)
        made = images.make_renditions(fetched.data, settings.widths)
    except (FetchRefused, images.NotAnImage) as exc:
        return {"error": str(exc)}
    urls, uploaded = {}, 0
    for width, body in made.webp.items():
        key = storage.rendition_key(made.sha256, width)
        uploaded += storage.put_if_absent(key, body, "image/webp")
        urls[str(width)] = storage.public_url(key)
    return {"sha256": made.sha256, "urls": urls, "uploaded": uploaded, "size": [made.width, made.height]}


def apply(*, db_session: Session, event: CdnImageRequested, result: dict[str, Any]) -> dict[str, Any]:
    """Record the outcome on the media row and count it on the job's cdn stage; the stage's last image (or one
    outside any job) rewrites the report document."""
    asset = db_session.get(MediaAsset, event.asset_id, with_for_update=True)
    if asset is None:
        return {"skipped": "media row no longer exists"}
    if "error" in result:
        asset.status, asset.error = "failed", result["error"]
    else:
        asset.status, asset.error = "uploaded", None
        asset.content_sha256, asset.cdn_urls = result["sha256"], result["urls"]
    if event.job_id is None:  # an image outside any job: into the report at once
        documents.write(db_session=db_session, creator_id=asset.creator_id)
        return {"asset_id": asset.id, **result}
    job = jobs_service.count_stage_item(
        db_session=db_session, job_id=event.job_id, stage="cdn", failed=result.get("error")
    )
    if jobs_service.stage_closed(job, "cdn"):
        # The report is rebuilt when the stage lands, once for all its images, not once per image (~20 ms each,
        # 19 per creator on the sample data). The job row's lock, taken above, orders this transaction after every
        # other image's, so the rebuild sees them all. A stage that never lands: shared.maintenance reap_stale_jobs
        # rewrites the report, and an image arriving after its job was reaped rewrites it here.
        documents.write(db_session=db_session, creator_id=asset.creator_id)
    jobs_service.settle(db_session=db_session, job_id=event.job_id)
    return {"asset_id": asset.id, **result}
