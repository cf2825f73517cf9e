"""Hypothesis drives debits, refunds, grants and period resets in random order against real Postgres:
balance == sum(ledger) >= 0 after every step, and the balance matches a plain model of the rules."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from shared.auth import service as auth_service
from shared.auth.schemas import Claims
from shared.credits import service as credits_service
from shared.credits.models import CreditTransaction, CreditWallet
from shared.db import session_scope
from shared.errors import InsufficientCredits
from shared.teams.scope import scope_for


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def open_wallet(self) -> None:
        claims = Claims(sub=uuid.uuid4(), email=None, role="authenticated")
        with session_scope() as db:
            caller = auth_service.provision(db_session=db, claims=claims)
            scope = scope_for(db_session=db, user_id=caller.user_id, team_id=caller.personal_team_id)
            self.wallet_id = credits_service.get_wallet(db_session=db, scope=scope).id
        self.expected = 0
        self.debits: dict[str, int] = {}
        self.refunded: set[str] = set()
        self.steps = 0

    def _key(self) -> str:
        self.steps += 1
        return f"{self.wallet_id}:{self.steps}"

    @rule(amount=st.integers(min_value=0, max_value=40))
    def debit(self, amount: int) -> None:
        key = self._key()
        try:
            with session_scope() as db:
                credits_service.debit(db_session=db, wallet_id=self.wallet_id, amount=amount, idempotency_key=key)
        except InsufficientCredits:
            assert amount > self.expected
            return
        self.expected -= amount
        self.debits[key] = amount

    @rule(amount=st.integers(min_value=0, max_value=60))
    def grant(self, amount: int) -> None:
        with session_scope() as db:
            credits_service.add(
                db_session=db, wallet_id=self.wallet_id, amount=amount, kind="grant", idempotency_key=self._key()
            )
        self.expected += amount

    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        if not self.debits:
            return
        key = data.draw(st.sampled_from(sorted(self.debits)))
        with session_scope() as db:
            credits_service.refund(db_session=db, idempotency_key=key, reason="test")
        if key not in self.refunded:
            self.refunded.add(key)
            self.expected += self.debits[key]

    @rule(months=st.integers(min_value=0, max_value=2))
    def reset(self, months: int) -> None:
        with session_scope() as db:
            wallet = db.get(CreditWallet, self.wallet_id)
            assert wallet is not None and wallet.current_period_end is not None
            now = wallet.current_period_end + timedelta(days=31 * months) - timedelta(seconds=1 if months == 0 else 0)
            credits_service.start_new_period(db_session=db, wallet_id=self.wallet_id, now=now)

    @invariant()
    def balance_is_the_ledger(self) -> None:
        if not hasattr(self, "wallet_id"):
            return
        with session_scope() as db:
            balance = db.scalar(select(CreditWallet.balance).where(CreditWallet.id == self.wallet_id))
            total = db.scalar(
                select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
                    CreditTransaction.wallet_id == self.wallet_id
                )
            )
        assert balance == total == self.expected
        assert balance >= 0


@pytest.mark.usefixtures("db")
def test_ledger_state_machine() -> None:
    machine = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,
    )(LedgerMachine)
    machine.TestCase().runTest()
