"""What a new-creator scrape costs us is bounded: remembered misses answer at once, and each team starts a
limited number of scrapes an hour."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.pipeline import run_scrape, search

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db", "pipeline")]


def apify_runs(standin: Any) -> int:
    return sum(1 for method, path in standin.requests if method == "POST" and path.endswith("/runs"))


def stable(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k not in ("request_id", "instance")}


def test_searching_a_missing_name_again_costs_no_apify_run(api, bearer, pipeline, apify_standin, unique) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    before = apify_runs(apify_standin)
    job = search(api, headers, "ghost.account.x").json["job"]
    run_scrape(pipeline, job, unique)
    assert api.get(f"/v1/jobs/{job['id']}", headers=headers).json["status"] == "failed"
    answers = [search(api, bearer() if n % 2 else headers, "ghost.account.x") for n in range(20)]
    assert {a.status_code for a in answers} == {404}
    problems = [stable(a.json) for a in answers]
    assert all(p == problems[0] for p in problems) and problems[0]["code"] == "creator_unavailable"
    assert problems[0]["detail"] == "no Instagram account is called @ghost.account.x"
    assert apify_runs(apify_standin) - before == 1, "one Apify run for 21 searches"


def test_a_private_account_is_remembered_too(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    run_scrape(pipeline, search(api, headers, "secret.garden").json["job"], unique)
    again = search(api, headers, "secret.garden")
    assert again.status_code == 404 and "private account" in again.json["detail"]


def test_new_scrapes_per_team_and_hour_are_limited(api, bearer, settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(DISCOVERY__NEW_SCRAPES_PER_HOUR='{"free": 2}')
    headers, other = bearer(), bearer()
    assert [search(api, headers, name).status_code for name in ("nano_bakes", "surf.lisboa")] == [202, 202]
    refused = search(api, headers, "cocina_de_ana")
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3601
    assert "2 new creator scrapes in the last hour" in refused.json["detail"]
    assert search(api, headers, "nano_bakes").status_code == 202, "joining a scrape in flight is not a new one"
    assert search(api, other, "cocina_de_ana").status_code == 202, "the limit is per team"
