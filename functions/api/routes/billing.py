"""Billing (checkout, portal, subscription, plan change, cancel) and signup without passwords."""

from __future__ import annotations

from functions.api import deps
from shared.billing import catalog, signup
from shared.billing import service as billing_service
from shared.billing.schemas import (
    CancelIn,
    CheckoutIn,
    CheckoutOut,
    PackageList,
    PackageOut,
    PlanChangeIn,
    PortalOut,
    SignupCheckoutIn,
    SignupCheckoutOut,
    SignupFreeIn,
    SignupFreeOut,
    SubscriptionState,
)
from shared.db import session_scope
from shared.http.router import RequestContext, Router


def register(router: Router) -> None:
    @router.post("/v1/billing/checkout", body=CheckoutIn, response=CheckoutOut, tags=("billing",))
    def checkout(ctx: RequestContext, body: CheckoutIn) -> CheckoutOut:
        """A Stripe Checkout Session for a plan or a top-up of the team (managers only)."""
        with session_scope() as db:
            who, scope = deps.scope(ctx, db)
            made = billing_service.checkout(
                db_session=db, scope=scope, email=who.email, package=body.package, ui_mode=body.ui_mode,
                request_id=ctx.request_id,
            )  # fmt: skip
        return CheckoutOut.model_validate(made)

    @router.get("/v1/billing/packages", response=PackageList, tags=("billing",))
    def packages(_ctx: RequestContext) -> PackageList:
        """The plans and top-ups on sale, with prices; public, like the pricing page that shows them."""
        with session_scope() as db:
            return PackageList(
                items=[
                    PackageOut(
                        code=o.code,
                        name=o.name,
                        kind=o.kind,  # type: ignore[arg-type]
                        plan=o.plan or None,
                        credits=o.credits,
                        price_cents=o.price_cents,
                        currency=o.currency,
                        interval=o.interval,
                        purchasable=o.price_id is not None or o.price_cents == 0,
                    )
                    for o in catalog.offers(db_session=db)
                ]
            )

    @router.post("/v1/billing/portal", response=PortalOut, tags=("billing",))
    def portal(ctx: RequestContext) -> PortalOut:
        """A Stripe customer-portal link for the team (cards, invoices)."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return PortalOut.model_validate(billing_service.portal(db_session=db, scope=scope))

    @router.get("/v1/billing/subscription", response=SubscriptionState, tags=("billing",))
    def subscription(ctx: RequestContext) -> SubscriptionState:
        """The team's plan and subscription as last synced from Stripe."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return billing_service.state(db_session=db, scope=scope)

    @router.post("/v1/billing/subscription/plan", body=PlanChangeIn, response=SubscriptionState, tags=("billing",))
    def change_plan(ctx: RequestContext, body: PlanChangeIn) -> SubscriptionState:
        """Move the subscription to another plan; Stripe prorates the difference."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            outcome = billing_service.change_plan(
                db_session=db, scope=scope, package=body.package, request_id=ctx.request_id
            )
            return billing_service.state(db_session=db, scope=scope, outcome=outcome)

    @router.post("/v1/billing/subscription/cancel", body=CancelIn, response=SubscriptionState, tags=("billing",))
    def cancel(ctx: RequestContext, body: CancelIn) -> SubscriptionState:
        """Cancel at the end of the period (or undo that with at_period_end=false)."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            outcome = billing_service.cancel(db_session=db, scope=scope, at_period_end=body.at_period_end)
            return billing_service.state(db_session=db, scope=scope, outcome=outcome)

    @router.post("/v1/signup/checkout", body=SignupCheckoutIn, response=SignupCheckoutOut, tags=("signup",))
    def signup_checkout(ctx: RequestContext, body: SignupCheckoutIn) -> SignupCheckoutOut:
        """Payment first: a pending signup and its Checkout. The account is created after payment;
        the person sets their password through Supabase's invite, never through us."""
        with session_scope() as db:
            made = signup.start_paid(db_session=db, email=str(body.email), package=body.plan, ui_mode=body.ui_mode)
        return SignupCheckoutOut.model_validate(made)

    @router.post("/v1/signup/free", body=SignupFreeIn, response=SignupFreeOut, status=202, tags=("signup",))
    def signup_free(ctx: RequestContext, body: SignupFreeIn) -> SignupFreeOut:
        """The free plan: an invite straight away (Supabase mails the link to set a password)."""
        with session_scope() as db:
            signup.register_free(db_session=db, email=str(body.email))
        return SignupFreeOut(status="invited", detail=f"an invite is on its way to {body.email}")
