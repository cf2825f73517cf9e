"""Turn a notification.requested into mails: recipients, wording, sending (raising means retry)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.events.schemas import NotificationRequested
from shared.notifications.mailer import Mail, mailer_for
from shared.teams.models import TeamMember, User

SUBJECTS = {
    "payment_failed": "Your payment did not go through",
    "subscription_ending": "Your subscription is ending soon",
    "credits_low": "Your credits are running low",
    "signup_invite": "Welcome to Following Analytics",
}
BODIES = {
    "payment_failed": "We could not charge your card for {amount_due} {currency}. Stripe will try again; "
    "you can update your card from the billing page.",
    "subscription_ending": "Your subscription or trial ends soon. Keep your plan from the billing page.",
    "credits_low": "Your team has {balance} credits left. Top up or upgrade from the billing page.",
    "signup_invite": "Your {plan} account is ready. Supabase has sent you a separate mail to set your "
    "password; we never ask for it.",
}


def recipients(db_session: Session, event: NotificationRequested) -> list[str]:
    if event.email:
        return [event.email]
    if event.team_id is None:
        return []
    owners = db_session.scalars(
        select(User.email)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == event.team_id, TeamMember.role.in_(("owner", "admin")), User.email.is_not(None))
    ).all()
    return sorted({e for e in owners if e})


def render(event: NotificationRequested, to: str) -> Mail:
    values: dict[str, Any] = {k: ("" if v is None else v) for k, v in event.data.items()}
    values.setdefault("amount_due", "")
    values.setdefault("currency", "")
    values.setdefault("balance", "")
    values.setdefault("plan", "")
    return Mail(to=to, subject=SUBJECTS[event.kind], text=BODIES[event.kind].format(**values))


def send(*, db_session: Session, event: NotificationRequested) -> dict[str, Any]:
    to = recipients(db_session, event)
    mailer = mailer_for(get_settings().notify)
    for address in to:
        mailer.send(render(event, address))
    return {"kind": event.kind, "sent_to": len(to)}
