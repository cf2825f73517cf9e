"""What the frontend's account pages read: the team's unlocked creators, and the packages on sale."""

from __future__ import annotations

from sqlalchemy import text

from shared.db import session_scope
from tests.fixtures import catalogue


def test_unlocks_list_the_teams_creators_with_expiry(api, bearer) -> None:  # type: ignore[no-untyped-def]
    brand, other = bearer(), bearer()
    team = api.get("/v1/me", headers=brand).json["personal_team_id"]
    ids = {name: catalogue.add(name, followers=1_000 * n) for n, name in enumerate(("alpha", "beta", "gamma"), 1)}
    catalogue.unlock(team, ids["alpha"])
    catalogue.unlock(team, ids["beta"])
    with session_scope() as db:  # gamma was unlocked once, long ago
        db.execute(
            text(
                "INSERT INTO unlocked_influencers (team_id, creator_id, unlocked_at, expires_at, extra) "
                "VALUES (:t, :c, now() - interval '60 days', now() - interval '30 days', '{}')"
            ),
            {"t": team, "c": ids["gamma"]},
        )
        beta_earlier = (
            "UPDATE unlocked_influencers SET expires_at = expires_at - interval '1 day' WHERE creator_id = :c"
        )
        db.execute(text(beta_earlier), {"c": ids["beta"]})
    page = api.get("/v1/unlocks", headers=brand).json
    assert page["total"] == 2 and [u["username"] for u in page["items"]] == ["alpha", "beta"]
    assert all(u["active"] and u["expires_at"] > u["unlocked_at"] for u in page["items"])
    everything = api.get("/v1/unlocks?include_expired=true&limit=2", headers=brand).json
    assert everything["total"] == 3 and len(everything["items"]) == 2
    expired = api.get("/v1/unlocks?include_expired=true", headers=brand).json["items"][-1]
    assert expired["username"] == "gamma" and expired["active"] is False
    assert api.get("/v1/unlocks", headers=other).json == {"items": [], "total": 0}


def test_packages_on_sale_are_public_and_say_whether_they_can_be_bought(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/v1/billing/packages")
    assert response.status_code == 200
    items = {p["code"]: p for p in response.json["items"]}
    subscriptions = [p for p in items.values() if p["kind"] == "subscription"]
    topups = [p for p in items.values() if p["kind"] == "topup"]
    assert subscriptions and topups
    assert all(p["plan"] in {"free", "standard", "premium"} for p in subscriptions)
    assert all(p["plan"] is None and p["credits"] > 0 and p["price_cents"] > 0 for p in topups)
    assert all(p["purchasable"] is (p["price_cents"] == 0) for p in items.values())  # no Stripe prices in tests
