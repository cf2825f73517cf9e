"""What we sell: the seeded credit packages (credits, prices, allowances by plan) joined to the Stripe
price ids in settings. A package without a configured price cannot be bought."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import errors
from shared.config import get_settings
from shared.credits.models import CreditPackage


@dataclass(frozen=True)
class Offer:
    code: str  # e.g. standard_monthly, topup_starter
    kind: str  # subscription | topup
    plan: str  # free | standard | premium (the team's plan while subscribed); topups keep the plan
    credits: int
    price_cents: int
    interval: str | None
    price_id: str | None
    package_id: int
    name: str = ""
    currency: str = "usd"


def plan_of(code: str) -> str:
    return code.split("_", 1)[0] if not code.startswith("topup_") else ""


def offers(*, db_session: Session) -> list[Offer]:
    prices = get_settings().stripe.prices
    packages = db_session.scalars(select(CreditPackage).where(CreditPackage.is_active.is_(True))).all()
    return [
        Offer(
            p.code,
            p.kind,
            plan_of(p.code),
            p.credits,
            p.price_cents,
            p.billing_interval,
            prices.get(p.code),
            p.id,
            p.name,
            p.currency,
        )
        for p in sorted(packages, key=lambda p: (p.kind, p.price_cents))
    ]


def offer(*, db_session: Session, code: str) -> Offer:
    for candidate in offers(db_session=db_session):
        if candidate.code == code:
            if candidate.price_id is None and candidate.price_cents > 0:
                raise errors.Unavailable(f"{code!r} has no Stripe price configured on this deployment")
            return candidate
    raise errors.InvalidInput(f"unknown package {code!r}")


def offer_for_price(*, db_session: Session, price_id: str | None) -> Offer | None:
    return next((o for o in offers(db_session=db_session) if price_id and o.price_id == price_id), None)


def offer_for_plan(*, db_session: Session, plan: str, interval: str | None) -> Offer | None:
    """The subscription we sell for a plan and billing interval (when an invoice names no price we know)."""
    return next(
        (
            o
            for o in offers(db_session=db_session)
            if o.kind == "subscription" and o.plan == plan and o.interval == interval
        ),
        None,
    )
