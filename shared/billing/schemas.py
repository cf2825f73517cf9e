"""Billing API bodies. None carries a password, a balance, a role or a plan the caller may set freely."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from shared.text import EMAIL_RULE

PackageCode = Literal[
    "standard_monthly", "standard_annual", "premium_monthly", "premium_annual",
    "topup_starter", "topup_professional", "topup_enterprise",
]  # fmt: skip
PlanCode = Literal["standard_monthly", "standard_annual", "premium_monthly", "premium_annual"]


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package: PackageCode
    ui_mode: Literal["hosted", "embedded"] = "hosted"


class CheckoutOut(BaseModel):
    checkout_session: str
    url: str | None = None
    client_secret: str | None = Field(default=None, description="for embedded Checkout (ui_mode=embedded)")


class SignupCheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a `password` field is refused, never read
    email: EmailStr = Field(description=EMAIL_RULE)
    plan: PlanCode
    ui_mode: Literal["hosted", "embedded"] = "hosted"


class SignupCheckoutOut(CheckoutOut):
    signup_id: str


class SignupFreeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr = Field(description=EMAIL_RULE)


class SignupFreeOut(BaseModel):
    status: Literal["invited"]
    detail: str


class PortalOut(BaseModel):
    url: str


class PlanChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package: PlanCode


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at_period_end: bool = True


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    plan: str
    status: str
    billing_interval: str | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool


class SubscriptionState(BaseModel):
    team_plan: str
    subscription: SubscriptionOut | None
    billing_configured: bool
    outcome: str | None = None


class PackageOut(BaseModel):
    """A package on sale: a plan's subscription or a credit top-up."""

    code: str
    name: str
    kind: Literal["subscription", "topup"]
    plan: str | None  # the plan a subscription puts the team on; None for top-ups
    credits: int
    price_cents: int
    currency: str
    interval: str | None
    purchasable: bool  # false where this deployment has no Stripe price for it (checkout would answer 503)


class PackageList(BaseModel):
    items: list[PackageOut]
