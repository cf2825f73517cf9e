"""A job's progress as Server-Sent Events: a `progress` event whenever the job changes, a `report` event with the
report's new ETag whenever its stored document changes (so a client refetches only then), `end` at a terminal
state or after the stream's time limit (the client reconnects with its last event id)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from shared.jobs.models import TERMINAL_STATUSES
from shared.jobs.schemas import JobOut

MAX_S = 300.0
POLL_S = 0.5


Progress = tuple[JobOut, str | None]  # the job, and its creator report's ETag for the caller (None: no report yet)


def progress_events(
    first: Progress, reload: Callable[[str | None], Progress], *, max_s: float = MAX_S, poll_s: float = POLL_S
) -> Iterator[str]:
    """SSE frames for one job; `reload(last_etag)` reads it again (in its own short transaction) between polls,
    told the last report ETag sent so that it can leave an unchanged report in the database."""
    last, last_etag, deadline, (job, etag) = None, None, time.monotonic() + max_s, first
    while True:
        payload = job.model_dump_json()
        if payload != last:
            yield f"event: progress\nid: {job.updated_at.isoformat()}\ndata: {payload}\n\n"
            last = payload
        if etag is not None and etag != last_etag:
            yield f"event: report\ndata: {json.dumps({'username': job.username, 'etag': etag})}\n\n"
            last_etag = etag
        if job.status in TERMINAL_STATUSES or time.monotonic() > deadline:
            yield f"event: end\ndata: {json.dumps({'status': job.status})}\n\n"
            return
        time.sleep(poll_s)
        yield ": keep-alive\n\n"
        job, etag = reload(last_etag)
