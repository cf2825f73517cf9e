"""Me, teams, credits and unlocks through the api function, with real tokens and real Postgres."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select, text

from shared.credits.models import CreditTransaction, CreditWallet, UnlockedInfluencer
from shared.db import session_scope
from shared.teams.models import Team, TeamMember, User
from tests.fixtures.instances import instances


def count(model) -> int:  # type: ignore[no-untyped-def]
    with session_scope() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def add_creator(username: str) -> int:
    with session_scope() as db:
        return int(
            db.execute(
                text(
                    "INSERT INTO creators (username, is_verified, is_private, is_business, source) "
                    "VALUES (:u, false, false, false, 'apify') RETURNING id"
                ),
                {"u": username},
            ).scalar_one()
        )


def test_me_requires_a_token(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert api.get("/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_first_call_provisions_user_team_and_wallet(api, bearer) -> None:  # type: ignore[no-untyped-def]
    sub = uuid.uuid4()
    first = api.get("/v1/me", headers=bearer(sub, "ana@example.org"))
    assert first.status_code == 200
    body = first.json
    assert body["user_id"] == str(sub)
    assert [m["role"] for m in body["teams"]] == ["owner"]
    assert body["teams"][0]["team"]["is_personal"] is True
    assert api.get("/v1/me", headers=bearer(sub, "ana@example.org")).json == body
    assert (count(User), count(Team), count(TeamMember), count(CreditWallet)) == (1, 1, 1, 1)


def test_concurrent_first_logins_make_one_of_each(db, bearer) -> None:  # type: ignore[no-untyped-def]
    headers = bearer(uuid.uuid4(), "race@example.org")

    def login(client: Any) -> int:
        return int(client.get("/v1/me", headers=headers).status_code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(login, instances("api", 16))) == {200}
    assert (count(User), count(Team), count(TeamMember), count(CreditWallet)) == (1, 1, 1, 1)


def test_anonymous_users_cannot_unlock(api, bearer) -> None:  # type: ignore[no-untyped-def]
    add_creator("natgeo")
    response = api.post("/v1/creators/natgeo/unlock", headers=bearer(is_anonymous=True))
    assert response.status_code == 403


def test_team_lifecycle_and_role_rules(api, bearer) -> None:  # type: ignore[no-untyped-def]
    owner, member = uuid.uuid4(), uuid.uuid4()
    api.get("/v1/me", headers=bearer(member, "mo@example.org"))
    created = api.post("/v1/teams", json={"name": "Brand"}, headers=bearer(owner))
    assert created.status_code == 201
    team = created.json["id"]
    added = api.post(f"/v1/teams/{team}/members", json={"email": "MO@example.org"}, headers=bearer(owner))
    assert added.status_code == 201 and added.json["role"] == "member"
    assert (
        api.post(f"/v1/teams/{team}/members", json={"email": "mo@example.org"}, headers=bearer(owner)).status_code
        == 409
    )
    # a member may not promote themselves, nor demote the owner
    assert (
        api.patch(f"/v1/teams/{team}/members/{member}", json={"role": "owner"}, headers=bearer(member)).status_code
        == 403
    )
    # the last owner stays owner
    assert (
        api.patch(f"/v1/teams/{team}/members/{owner}", json={"role": "member"}, headers=bearer(owner)).status_code
        == 409
    )
    assert (
        api.patch(f"/v1/teams/{team}/members/{member}", json={"role": "admin"}, headers=bearer(owner)).json["role"]
        == "admin"
    )
    members = api.get(f"/v1/teams/{team}/members", headers=bearer(member)).json["items"]
    assert {m["role"] for m in members} == {"owner", "admin"}
    assert api.delete(f"/v1/teams/{team}/members/{member}", headers=bearer(member)).status_code == 204  # leaves
    assert api.get(f"/v1/teams/{team}", headers=bearer(member)).status_code == 404


def test_bodies_that_set_plan_role_or_balance_are_refused(api, bearer) -> None:  # type: ignore[no-untyped-def]
    owner = uuid.uuid4()
    refused = api.post("/v1/teams", json={"name": "x", "plan": "premium"}, headers=bearer(owner))
    assert refused.status_code == 400 and "plan" in refused.json["detail"]
    team = api.post("/v1/teams", json={"name": "x"}, headers=bearer(owner)).json["id"]
    assert (
        api.post(
            f"/v1/teams/{team}/members", json={"email": "a@example.org", "role": "owner"}, headers=bearer(owner)
        ).status_code
        == 400
    )
    grant = {"team_id": team, "amount": 5, "reason": "bonus", "idempotency_key": "abcdefgh", "balance": 10**6}
    assert api.post("/v1/admin/credits/grants", json=grant, headers=bearer(owner)).status_code == 400


def test_admin_grant_is_admin_only_audited_and_idempotent(api, bearer) -> None:  # type: ignore[no-untyped-def]
    admin, user = uuid.uuid4(), uuid.uuid4()
    team = api.get("/v1/me", headers=bearer(user)).json["personal_team_id"]
    grant = {"team_id": team, "amount": 300, "reason": "launch bonus", "idempotency_key": "grant-0001"}
    assert api.post("/v1/admin/credits/grants", json=grant, headers=bearer(user)).status_code == 403
    api.get("/v1/me", headers=bearer(admin))
    with session_scope() as db:
        db.execute(text("UPDATE users SET is_admin = true WHERE id = :a"), {"a": admin})
    first = api.post("/v1/admin/credits/grants", json=grant, headers=bearer(admin))
    again = api.post("/v1/admin/credits/grants", json=grant, headers=bearer(admin))
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    wallet = api.get("/v1/credits/wallet", headers=bearer(user)).json
    assert wallet["balance"] == 300
    with session_scope() as db:
        entry = db.scalars(select(CreditTransaction)).one()
    assert entry.actor_user_id == admin and entry.description == "launch bonus"


def test_unlock_charges_once_even_when_raced(db, bearer) -> None:  # type: ignore[no-untyped-def]
    add_creator("natgeo")
    headers = bearer(uuid.uuid4())

    def unlock(client: Any) -> dict:
        response = client.post("/v1/creators/@NatGeo/unlock", headers=headers)
        assert response.status_code == 200, response.json
        return dict(response.json)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(unlock, instances("api", 12)))
    assert sum(not r["already_unlocked"] for r in results) == 1
    assert count(UnlockedInfluencer) == 1
    with session_scope() as db:
        debits = db.scalars(select(CreditTransaction).where(CreditTransaction.kind == "debit")).all()
    assert len(debits) == 1 and debits[0].action == "profile_unlock"


def test_unknown_creator_and_bad_username(api, bearer) -> None:  # type: ignore[no-untyped-def]
    assert api.post("/v1/creators/nobody_here/unlock", headers=bearer()).status_code == 404
    bad = api.post("/v1/creators/a..b/unlock", headers=bearer())
    assert bad.status_code == 400 and "consecutive dots" in bad.json["detail"]


def test_credit_routes(api, bearer) -> None:  # type: ignore[no-untyped-def]
    user = uuid.uuid4()
    for name in ("a1", "a2", "a3", "a4"):
        add_creator(name)
    for name in ("a1", "a2", "a3"):  # the free plan's 3 free unlocks
        assert api.post(f"/v1/creators/{name}/unlock", headers=bearer(user)).json["charged_credits"] == 0
    broke = api.post("/v1/creators/a4/unlock", headers=bearer(user))
    assert broke.status_code == 402 and broke.json["code"] == "insufficient_credits"
    assert count(UnlockedInfluencer) == 3  # the refused unlock left nothing behind
    usage = api.get("/v1/credits/usage", headers=bearer(user)).json
    assert usage["items"] == [{"action": "profile_unlock", "free_used": 3, "paid_used": 0, "credits_spent": 0}]
    page = api.get("/v1/credits/transactions?limit=2", headers=bearer(user)).json
    assert len(page["items"]) == 2 and page["next_before_id"]
    rest = api.get(f"/v1/credits/transactions?limit=2&before_id={page['next_before_id']}", headers=bearer(user)).json
    assert len(rest["items"]) == 1 and rest["next_before_id"] is None
    assert api.get("/v1/credits/transactions?limit=0", headers=bearer(user)).status_code == 400
    pricing = api.get("/v1/credits/pricing").json["items"]
    assert {"action": "profile_unlock", "plan": "free", "credits_cost": 25, "free_allowance_per_month": 3} in pricing


def test_a_recreated_account_with_the_same_email_is_provisioned(api, bearer) -> None:  # type: ignore[no-untyped-def]
    """Supabase may re-create an account (new sub) with an email we already hold: both get in."""
    first, second = uuid.uuid4(), uuid.uuid4()
    assert api.get("/v1/me", headers=bearer(first, "same@example.org")).status_code == 200
    again = api.get("/v1/me", headers=bearer(second, "same@example.org"))
    assert again.status_code == 200 and again.json["user_id"] == str(second)
    assert count(User) == 2 and count(Team) == 2


def test_inviting_someone_who_has_not_signed_up(api, bearer, jwks) -> None:  # type: ignore[no-untyped-def]
    owner = bearer()
    team = api.post("/v1/teams", json={"name": "Agency"}, headers=owner).json["id"]
    email = f"guest-{uuid.uuid4().hex[:8]}@agency.example"
    added = api.post(f"/v1/teams/{team}/members", json={"email": email, "role": "member"}, headers=owner)
    assert added.status_code == 201, added.get_data(as_text=True)
    [invite] = [i for i in jwks.invites if i["body"].get("email") == email]
    assert set(invite["body"]) == {"email"}  # an email and nothing else goes to Supabase
    # When they accept and sign in, their token's sub is the id Supabase gave the invite.
    guest = bearer(uuid.UUID(jwks.users[email]), email)
    memberships = {m["team"]["id"]: m["role"] for m in api.get("/v1/me", headers=guest).json["teams"]}
    assert memberships[team] == "member" and len(memberships) == 2  # the agency and their own team
    again = api.post(f"/v1/teams/{team}/members", json={"email": email}, headers=owner)
    assert again.status_code == 409 and len([i for i in jwks.invites if i["body"].get("email") == email]) == 1


def test_supabase_out_of_reach_is_a_503_to_retry_and_adds_no_one(api, bearer, closed_url, settings_env) -> None:  # type: ignore[no-untyped-def]
    """httpx's ConnectError left the invite unmapped: a 500."""
    settings_env(AUTH__SUPABASE_URL=closed_url)
    owner = bearer()
    team = api.post("/v1/teams", json={"name": "Agency"}, headers=owner).json["id"]
    members = count(TeamMember)
    added = api.post(f"/v1/teams/{team}/members", json={"email": "guest@agency.example"}, headers=owner)
    assert added.status_code == 503 and added.headers["Retry-After"] == "30", added.get_data(as_text=True)
    assert "Supabase invite failed (ConnectError)" in added.json["detail"]
    assert count(TeamMember) == members


def test_adding_someone_supabase_already_holds_uses_their_account(api, bearer, jwks) -> None:  # type: ignore[no-untyped-def]
    """An account made in Supabase some other way, never signed in here: no 409, their membership waits."""
    owner = bearer()
    team = api.post("/v1/teams", json={"name": "Agency"}, headers=owner).json["id"]
    email = f"known-{uuid.uuid4().hex[:8]}@agency.example"
    jwks.users[email] = existing = str(uuid.uuid4())
    added = api.post(f"/v1/teams/{team}/members", json={"email": email, "role": "member"}, headers=owner)
    assert added.status_code == 201, added.get_data(as_text=True)
    guest = bearer(uuid.UUID(existing), email)
    memberships = {m["team"]["id"]: m["role"] for m in api.get("/v1/me", headers=guest).json["teams"]}
    assert memberships[team] == "member"
