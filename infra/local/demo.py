"""`make demo`: bring the local stack up and search a sample creator end to end, showing the report.

Search (api) -> Pub/Sub -> scrape (Apify stand-in) -> Pub/Sub x N -> cdn (R2 on moto)
                                                    -> Cloud Tasks -> inference (lite models)
                                                    -> Pub/Sub -> insights -> job complete -> report.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import jwt

from infra.local import stripe_standin
from infra.local.processes import StackError
from infra.local.stack import LOCAL_ISSUER, Stack

CREATOR = os.environ.get("DEMO_CREATOR", "cocina_de_ana")


def call(method: str, url: str, token: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def local_token(secret: str, email: str = "demo@brand.example") -> str:
    """A Supabase-shaped access token for a new user, signed with this run's local HS256 secret."""
    now = int(time.time())
    claims = {
        "iss": LOCAL_ISSUER,
        "aud": "authenticated",
        "role": "authenticated",
        "sub": str(uuid.uuid4()),
        "email": email,
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def wait_for_job(api: str, job_id: str, token: str, timeout_s: float = 120) -> dict[str, Any]:
    """Poll the job, printing each stage change, until it ends (complete, partial or failed)."""
    deadline, shown = time.monotonic() + timeout_s, ""
    while time.monotonic() < deadline:
        _, job = call("GET", f"{api}/v1/jobs/{job_id}", token)
        line = "  ".join(
            f"{name}: {s['status']}" + (f" {s['done']}/{s['total']}" if s["total"] else "")
            for name, s in job["stages"].items()
        )
        if line != shown:
            print(f"    [{job['status']:<8}] {line}", flush=True)
            shown = line
        if job["status"] in ("complete", "partial", "failed"):
            return dict(job)
        time.sleep(0.3)
    raise StackError(f"job {job_id} did not progress within {timeout_s:.0f}s")


def show_report(report: dict[str, Any]) -> None:
    profile, fresh = report["profile"], report["freshness"]
    print(
        f"\n  @{profile['username']} · {profile['full_name']} · {profile['followers_count']:,} followers · "
        f"{profile['follows_count']:,} following · {'verified' if profile['is_verified'] else 'not verified'}"
    )
    print(f"  {profile['biography']}")
    state = report["state"]
    print(f"  report state: {state['value']}" + (f" ({'; '.join(state['reasons'])})" if state["reasons"] else ""))
    avatar = (profile.get("avatar") or {}).get("cdn_urls", {})
    print(f"  avatar (CDN, 150px): {avatar.get('150', 'pending')}")
    print(f"\n  {'posted':<11} {'type':<8} {'likes':>8} {'comments':>9}  {'spons.':<6} {'AI: sentiment':<13} lang  "
          f"{'top category':<15} caption")  # fmt: skip
    for post in report["posts"][:8]:
        likes = "hidden" if post["likes_hidden"] else f"{post['likes_count']:,}"
        ai = post["analysis"]
        result = (ai.get("sentiment") or {}).get("result", {})
        sentiment = result.get("label") or ("n/a in lite" if result.get("status") == "unavailable" else "-")
        sentiment += "?" if result.get("low_confidence") else ""  # labelled, but unsure of its language
        language = (ai.get("language") or {}).get("result", {}).get("label") or "-"
        category = ((ai.get("categories") or {}).get("result", {}).get("top") or ["-"])[0]
        print(
            f"  {post['posted_at'][:10]:<11} {post['type']:<8} {likes:>8} {post['comments_count']:>9,}  "
            f"{'yes' if post['is_sponsored'] else '':<6} {sentiment:<13} {language:<5} {category:<15} "
            f"{(post['caption'] or '')[:40]}"
        )
    first = report["posts"][0]["images"][0]["cdn_urls"] if report["posts"] else {}
    print(f"  … {len(report['posts'])} posts; first image on the CDN: {first.get('640', 'pending')}")
    print("  sentiment: n/a = a language the lite model cannot read; ? = unsure of the language, not counted")
    print(
        f"\n  AI analysis: {report['analysis']['status']} ({', '.join(report['analysis']['models'])})"
        f"\n  insights: {report['insights']['status']}"
    )
    insights = report["insights"].get("data") or {}
    if "engagement" in insights:
        eng, bench = insights["engagement"], insights["engagement"]["benchmark"]
        print(
            f"    engagement: median ER {eng['median_er']:.2f}% ({bench['tier']} tier, percentile "
            f"{bench['percentile']:.0f}); {eng['hidden_likes_posts']} post(s) with hidden likes left out"
        )
    if "audience_quality" in insights:
        aqs = insights["audience_quality"]
        print(f"    audience quality: {aqs['score']} ({aqs['state']}); fraud risk: {insights['fraud']['risk']}")
    if insights.get("comments", {}).get("comments_seen"):
        seen = insights["comments"]
        print(
            f"    comment authenticity: {seen['comments_seen']} recent comments, {seen['generic_share']:.0%} generic, "
            f"{seen['pod_share']:.0%} pasted by several accounts, {seen['regulars_share']:.0%} from accounts under "
            f"most posts: {1 - seen['inorganic_share']:.0%} look organic"
        )
        voice = seen["audience_sentiment"]
        in_order = [(label, voice["shares"].get(label)) for label in ("positive", "neutral", "negative")]
        shares = ", ".join(f"{share:.0%} {label}" for label, share in in_order if share is not None)
        print(
            f"    audience sentiment: {shares or 'n/a'} over {voice['counted']} comments the models could read"
            + (f" ({voice['not_counted']} n/a in lite)" if voice["not_counted"] else "")
        )
    if "content" in insights:
        top = ", ".join(c["label"] for c in insights["content"]["top_categories"][:3])
        print(f"    top categories: {top}; sponsored share {insights['content']['sponsored']['share']:.0%}")
    print(
        f"  freshness: scraped {fresh['scraped_at'][:19]}Z, fresh until {fresh['stale_after'][:10]}; "
        f"source: {report['provenance']['source']} ({report['provenance']['actor']})"
    )


def buy_topup(stack: Stack, api: str, token: str) -> None:
    """Checkout (our API) -> the customer pays (Stripe's side) -> Stripe calls the signed webhook -> credits."""
    print("\nBuying a Starter top-up (500 credits) through the local Stripe:")
    status, made = call("POST", f"{api}/v1/billing/checkout", token, {"package": "topup_starter"})
    print(f"  POST /v1/billing/checkout -> {status}: Checkout Session {made['checkout_session']}")
    base = stack.env["FA_STRIPE__API_BASE"]
    _, session = call("POST", f"{base}/_standin/checkout/sessions/{made['checkout_session']}/pay", "")
    body = stripe_standin.event("checkout.session.completed", session)
    header = stripe_standin.signature(body, stack.env["FA_STRIPE__WEBHOOK_SECRET"])
    hook = stack.functions["stripe_webhook"].url + "/"
    for attempt in ("delivered", "re-delivered"):
        status, outcome = call("POST", hook, "", body, {"Stripe-Signature": header})
        print(f"  Stripe webhook {attempt} -> {status}: {outcome.get('outcome') or 'duplicate, skipped'}")
    status, forged = call("POST", hook, "", body, {"Stripe-Signature": header.replace("v1=", "v1=0")})
    print(f"  a forged signature -> {status} ({forged.get('title')})")
    _, wallet = call("GET", f"{api}/v1/credits/wallet", token)
    print(f"  balance now {wallet['balance']} credits")


def grant_demo_credits(stack: Stack, api: str, token: str) -> None:
    """No Stripe in this run: billing is not configured, so credits come through the audited admin route."""
    _, state = call("GET", f"{api}/v1/billing/subscription", token)
    print(f"\nBilling configured: {state['billing_configured']} (no Stripe keys): granting demo credits as an admin")
    _, me = call("GET", f"{api}/v1/me", token)
    admin = local_token(stack.env["FA_AUTH__HS256_SECRET"], "ops@following.example")
    call("GET", f"{api}/v1/me", admin)
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["FA_DATABASE__URL"])
    with engine.begin() as connection:  # the one local-only shortcut: make the operator an administrator
        connection.execute(text("UPDATE users SET is_admin = true WHERE email = 'ops@following.example'"))
    engine.dispose()
    grant = {"team_id": me["personal_team_id"], "amount": 500, "reason": "local demo credits",
             "idempotency_key": f"demo-grant-{me['personal_team_id']}"}  # fmt: skip
    status, row = call("POST", f"{api}/v1/admin/credits/grants", admin, grant)
    print(f"  POST /v1/admin/credits/grants -> {status}: balance {row.get('balance_after')}")


def show_free_signup(stack: Stack, api: str) -> None:
    """A free signup through the Supabase Auth stand-in: invite, the mail's link, the first sign-in."""
    email = f"newbrand-{uuid.uuid4().hex[:6]}@brand.example"
    base = stack.env["FA_AUTH__SUPABASE_URL"]
    print(f"\nFree signup (no password ever reaches us): POST /v1/signup/free for {email}")
    status, body = call("POST", f"{api}/v1/signup/free", "", {"email": email})
    print(f"  -> {status} {body.get('status')}: {body.get('detail')}")
    _, sent = call("GET", f"{base}/_standin/invites", "")
    token = next(m["token"] for m in sent["invites"] if m["email"] == email)
    _, session = call("POST", f"{base}/auth/v1/verify", "", {"type": "invite", "email": email, "token": token})
    print("  the invite link verified by Supabase Auth -> a session (the person would set a password next)")
    _, me = call("GET", f"{api}/v1/me", session["access_token"])
    team = me["teams"][0]
    print(f"  GET /v1/me -> {me['email']}: personal team {team['team']['name']!r} on the {team['team']['plan']} plan")


def show_discovery(stack: Stack, timeout_s: float = 150) -> None:
    """One discovery tick, as Cloud Scheduler would fire it; the system jobs it queues run the whole pipeline."""
    from sqlalchemy import create_engine, text

    from infra.local import scheduler
    from shared.schedules import by_name

    print("\nDiscovery: one scheduler tick (related profiles and mentions of the creators we hold)")
    os.environ.update({k: stack.env[k] for k in ("FA_PUBSUB__EMULATOR_HOST", "FA_PUBSUB__PROJECT_ID", "FA_PROFILE")})
    scheduler.fire(by_name("discovery"))
    engine = create_engine(stack.env["FA_DATABASE__URL"])
    try:
        deadline, run = time.monotonic() + timeout_s, None
        with engine.connect() as connection:
            while run is None and time.monotonic() < deadline:
                run = connection.execute(
                    text("SELECT queued, skipped, budget_left FROM discovery_runs WHERE mode = 'discover'")
                ).first()
                time.sleep(0.3)
        if run is None:
            raise StackError("no discovery run was recorded (see .local/logs/fn-discovery.log)")
        print(f"  queued {list(run.queued)}; set aside {dict(run.skipped)}; budget left today {run.budget_left}")
        done: list[Any] = []
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                done = list(
                    connection.execute(
                        text(
                            "SELECT j.username, j.status, c.followers_count, i.data -> 'content' -> 'top_categories'"
                            " FROM jobs j LEFT JOIN creators c ON c.id = j.creator_id LEFT JOIN LATERAL (SELECT data"
                            " FROM creator_insights WHERE creator_id = c.id ORDER BY version DESC LIMIT 1) i ON true"
                            " WHERE j.origin = 'discovery' ORDER BY j.username"
                        )
                    ).all()
                )
            if done and all(row.status in ("complete", "partial", "failed") for row in done):
                break
            time.sleep(0.5)
        analysed = [row for row in done if row.status in ("complete", "partial")]
        print(f"  {len(analysed)} related profiles discovered and analysed (system jobs: no team, no charge):")
        for row in done:
            top = ", ".join(c["label"] for c in (row[3] or [])[:2]) or "-"
            print(f"    @{row.username:<18} {row.status:<9} {row.followers_count or 0:>10,} followers  top: {top}")
    finally:
        engine.dispose()


def show_catalogue(api: str, token: str) -> None:
    """The brand's catalogue over what the stack now holds: a filtered search with facets, then lookalikes."""
    status, page = call("GET", f"{api}/v1/discovery/creators?sort=followers&min_followers=1000&limit=5", token)
    print(f"\nCatalogue: GET /v1/discovery/creators?sort=followers&min_followers=1000 -> {status}")
    for hit in page["items"]:
        lock = "locked" if hit["locked"] else "unlocked"
        print(
            f"  @{hit['profile']['username']:<18} {hit['profile']['followers_count'] or 0:>10,} followers  "
            f"{lock:<8} unlock {hit['unlock_price']['credits']} credits"
        )
    facets = ", ".join(f"{f['value']} {f['creators']}" for f in page["facets"]["categories"][:6])
    print(
        f"  facets: categories {facets or '-'}; languages "
        + (", ".join(f"{f['value']} {f['creators']}" for f in page["facets"]["languages"]) or "-")
    )
    status, look = call("GET", f"{api}/v1/creators/{CREATOR}/lookalikes?limit=3", token)
    print(f"\nLookalikes: GET /v1/creators/{CREATOR}/lookalikes -> {status}")
    for hit in look.get("items", []):
        why = hit["why"]
        shared = ", ".join(why["shared_categories"]) or "no shared top category"
        print(f"  @{hit['profile']['username']:<18} similarity {why['similarity']:.3f}  ({shared})")
    if status != 200:
        print(f"  {look.get('detail')}")


def run_demo(stack: Stack) -> None:
    started = time.monotonic()
    env = stack.up()
    api = stack.functions["api"].url
    token = local_token(env["FA_AUTH__HS256_SECRET"])
    status, me = call("GET", f"{api}/v1/me", token)
    print(f"\nSigned in as {me['email']} (personal team {me['personal_team_id']}, free plan)")

    print(f"\nPOST /v1/creators/{CREATOR}/search")
    status, body = call("POST", f"{api}/v1/creators/{CREATOR}/search", token)
    print(f"  -> {status} {body['kind']} {body['job']['id']}")
    job = wait_for_job(api, body["job"]["id"], token)

    status, body = call("GET", f"{api}/v1/creators/{CREATOR}", token)
    print(f"\nGET /v1/creators/{CREATOR} -> {status} ({body['kind']})")
    show_report(body["report"])

    status, again = call("POST", f"{api}/v1/creators/{CREATOR}/search", token)
    print(f"\nSearching again -> {status} {again['kind']} (served from Postgres, no new scrape)")
    _, wallet = call("GET", f"{api}/v1/credits/wallet", token)
    _, usage = call("GET", f"{api}/v1/credits/usage", token)
    print(f"Credits: balance {wallet['balance']}; this month {json.dumps(usage['items'])}")

    if stack.stripe:
        buy_topup(stack, api, token)
    else:
        grant_demo_credits(stack, api, token)

    print("\nA private account fails clearly, and its charge is refunded:")
    status, body = call("POST", f"{api}/v1/creators/secret.garden/search", token)
    job = wait_for_job(api, body["job"]["id"], token)
    print(f"  job {job['status']}: {job['reason']}")
    show_free_signup(stack, api)
    show_discovery(stack)
    show_catalogue(api, token)
    print(f"\nDemo complete in {time.monotonic() - started:.1f}s. Logs: {stack.logs}")


def main() -> int:
    # NO_STRIPE=1 make demo: a run without Stripe keys (billing not configured; credits by admin grant)
    stack = Stack(stripe=os.environ.get("NO_STRIPE", "") not in ("1", "true", "yes"))
    try:
        run_demo(stack)
    except (StackError, KeyError) as exc:
        print(f"\nDemo failed: {exc!r}\nSee the logs in {stack.logs}", file=sys.stderr)
        return 1
    finally:
        stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
