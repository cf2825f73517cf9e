"""CORS on the API: preflights answered for allowed origins only, answers readable by allowed origins only."""

from __future__ import annotations

import json

import pytest

APP = "https://app.example.com"


@pytest.fixture(autouse=True)
def allowed_origin(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(CORS_ORIGINS=json.dumps([APP]))


def preflight(api, origin: str, method: str = "POST", path: str = "/v1/creators/someone/search"):  # type: ignore[no-untyped-def]
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, x-team-id, if-none-match",
    }
    return api.options(path, headers=headers)


def test_a_preflight_from_the_frontend_allows_our_methods_and_headers(api) -> None:  # type: ignore[no-untyped-def]
    response = preflight(api, APP)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-team-id", "if-none-match"} <= allowed
    assert "Access-Control-Allow-Credentials" not in response.headers  # bearer tokens, never cookies
    assert "Origin" in response.headers["Vary"]
    methods = preflight(api, APP, "GET", "/v1/creators/someone").headers["Access-Control-Allow-Methods"]
    assert set(methods.split(", ")) == {"GET", "OPTIONS"}


def test_a_preflight_from_another_origin_is_refused_with_a_reason(api) -> None:  # type: ignore[no-untyped-def]
    response = preflight(api, "https://evil.example")
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert "https://evil.example" in response.json["detail"]
    assert "Access-Control-Allow-Origin" not in response.headers


def test_answers_carry_cors_headers_only_for_allowed_origins(api, bearer) -> None:  # type: ignore[no-untyped-def]
    mine = api.get("/v1/me", headers={**bearer(), "Origin": APP})
    assert mine.status_code == 200 and mine.headers["Access-Control-Allow-Origin"] == APP
    assert "ETag" in mine.headers["Access-Control-Expose-Headers"]
    problem = api.get("/v1/creators/nobody", headers={**bearer(), "Origin": APP})
    assert problem.status_code == 404 and problem.headers["Access-Control-Allow-Origin"] == APP
    other = api.get("/v1/me", headers={**bearer(), "Origin": "https://evil.example"})
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in other.headers["Vary"]
