"""GET /v1/admin/spend: Apify and GPU use per day from the usage meters, priced at the list prices in settings
(`costs`), and the cost per creator analysed that day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.admin.schemas import SpendDay, SpendOut
from shared.config import get_settings

_METERS = "SELECT day, meter, quantity FROM usage_meters WHERE day >= :since"
_ANALYSED = (
    "SELECT CAST(finished_at AT TIME ZONE 'UTC' AS date) AS day, count(*) FROM jobs "
    "WHERE kind = 'creator' AND status = 'complete' AND finished_at >= :since GROUP BY 1"
)


def spend(*, db_session: Session, days: int, today: date | None = None) -> SpendOut:
    prices = get_settings().costs
    last = today or datetime.now(UTC).date()
    since = last - timedelta(days=days - 1)
    used: dict[date, dict[str, float]] = {}
    for day, meter, quantity in db_session.execute(text(_METERS), {"since": since}):
        used.setdefault(day, {})[meter] = quantity
    start = datetime.combine(since, datetime.min.time(), UTC)
    analysed: dict[date, int] = {day: n for day, n in db_session.execute(text(_ANALYSED), {"since": start})}
    out = []
    for offset in range(days):
        day = since + timedelta(days=offset)
        meters = used.get(day, {})
        results, busy = int(meters.get("apify_results", 0)), float(meters.get("inference_busy_s", 0))
        apify_usd = results / 1000 * prices.apify_per_1000_results_usd
        gpu_usd = busy / 3600 * prices.gpu_per_hour_usd
        creators = int(analysed.get(day, 0))
        out.append(
            SpendDay(
                day=day.isoformat(),
                apify_runs=int(meters.get("apify_runs", 0)),
                apify_results=results,
                apify_usd=round(apify_usd, 4),
                inference_busy_s=round(busy, 2),
                inference_usd=round(gpu_usd, 4),
                creators_analysed=creators,
                usd_per_creator=round((apify_usd + gpu_usd) / creators, 4) if creators else None,
            )
        )
    return SpendOut(
        prices={
            "apify_per_1000_results_usd": prices.apify_per_1000_results_usd,
            "gpu_per_hour_usd": prices.gpu_per_hour_usd,
        },
        days=out,
        total_usd=round(sum(d.apify_usd + d.inference_usd for d in out), 4),
    )
