"""The ledger under concurrency: conditional debits never overdraw; refunds compensate; sums reconcile."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.credits import service as credits_service
from shared.credits.models import CreditTransaction, CreditWallet
from shared.db import session_scope
from shared.errors import InsufficientCredits


def wallet_of(scope) -> CreditWallet:  # type: ignore[no-untyped-def]
    with session_scope() as db:
        return credits_service.get_wallet(db_session=db, scope=scope)


def ledger_sum(wallet_id: int) -> int:
    with session_scope() as db:
        return int(
            db.scalar(
                select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
                    CreditTransaction.wallet_id == wallet_id
                )
            )
            or 0
        )


def test_200_parallel_debits_on_10_credits(make_scope) -> None:  # type: ignore[no-untyped-def]
    wallet = wallet_of(make_scope(credits=10))
    url = get_settings().database.url.get_secret_value()  # type: ignore[union-attr]
    engine = create_engine(url, pool_size=24, max_overflow=0)
    lowest: list[int] = []
    done = threading.Event()

    def observe() -> None:
        with engine.connect() as connection:
            while not done.is_set():
                lowest.append(
                    connection.execute(
                        text("SELECT balance FROM credit_wallets WHERE id = :w"), {"w": wallet.id}
                    ).scalar_one()
                )

    def spend(i: int) -> bool:
        try:
            with Session(engine) as db, db.begin():
                credits_service.debit(db_session=db, wallet_id=wallet.id, amount=1, idempotency_key=f"spend-{i}")
            return True
        except InsufficientCredits:
            return False

    watcher = threading.Thread(target=observe)
    watcher.start()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(spend, range(200)))
    done.set()
    watcher.join()
    engine.dispose()
    assert results.count(True) == 10
    assert wallet_of_id(wallet.id).balance == 0
    assert min(lowest) >= 0 and len(lowest) > 1
    assert ledger_sum(wallet.id) == 0
    with session_scope() as db:
        assert credits_service.reconcile(db_session=db) == []


def wallet_of_id(wallet_id: int) -> CreditWallet:
    with session_scope() as db:
        wallet = db.get(CreditWallet, wallet_id)
        assert wallet is not None
        return wallet


def test_replayed_key_returns_the_first_entry(make_scope) -> None:  # type: ignore[no-untyped-def]
    wallet = wallet_of(make_scope(credits=50))
    with session_scope() as db:
        first = credits_service.debit(db_session=db, wallet_id=wallet.id, amount=20, idempotency_key="k1")
    with session_scope() as db:
        again = credits_service.debit(db_session=db, wallet_id=wallet.id, amount=20, idempotency_key="k1")
    assert again.id == first.id
    assert wallet_of_id(wallet.id).balance == 30


def test_insufficient_credits_changes_nothing(make_scope) -> None:  # type: ignore[no-untyped-def]
    wallet = wallet_of(make_scope(credits=5))
    with pytest.raises(InsufficientCredits, match="needs 6 credits; the wallet has 5"), session_scope() as db:
        credits_service.debit(db_session=db, wallet_id=wallet.id, amount=6, idempotency_key="too-much")
    assert wallet_of_id(wallet.id).balance == 5
    assert ledger_sum(wallet.id) == 5


def test_balance_check_is_the_backstop(make_scope) -> None:  # type: ignore[no-untyped-def]
    wallet = wallet_of(make_scope(credits=1))
    with pytest.raises(Exception, match="balance_not_negative"), session_scope() as db:
        db.execute(text("UPDATE credit_wallets SET balance = -1 WHERE id = :w"), {"w": wallet.id})


def test_free_allowance_then_price_then_refund(make_scope) -> None:  # type: ignore[no-untyped-def]
    scope = make_scope(credits=100)
    entries = []
    for i in range(5):  # the free plan has 3 free unlocks a month, then 25 credits each
        with session_scope() as db:
            entries.append(
                credits_service.charge(db_session=db, scope=scope, action="profile_unlock", idempotency_key=f"u{i}")
            )
    assert [e.amount for e in entries] == [0, 0, 0, -25, -25]
    with session_scope() as db:
        refund = credits_service.refund(db_session=db, idempotency_key="u4", reason="job failed")
        again = credits_service.refund(db_session=db, idempotency_key="u4", reason="job failed")
    assert refund.id == again.id and refund.amount == 25 and refund.kind == "refund"
    wallet = wallet_of(scope)
    assert wallet.balance == 75 == ledger_sum(wallet.id)
    with session_scope() as db:
        usage = credits_service.get_usage(db_session=db, scope=scope).items
    assert [(u.action, u.free_used, u.paid_used, u.credits_spent) for u in usage] == [("profile_unlock", 3, 1, 25)]


def test_new_period_restores_the_allowance(make_scope) -> None:  # type: ignore[no-untyped-def]
    scope = make_scope(credits=100)
    wallet = wallet_of(scope)
    for i in range(3):
        with session_scope() as db:
            credits_service.charge(db_session=db, scope=scope, action="profile_unlock", idempotency_key=f"a{i}")
    with session_scope() as db:
        assert credits_service.start_new_period(db_session=db, wallet_id=wallet.id) is False  # not due yet
    next_month = wallet.current_period_end + timedelta(days=1)  # type: ignore[operator]
    with session_scope() as db:
        assert credits_service.start_new_period(db_session=db, wallet_id=wallet.id, now=next_month) is True
    with session_scope() as db:
        entry = credits_service.charge(db_session=db, scope=scope, action="profile_unlock", idempotency_key="b0")
    assert entry.amount == 0  # free again in the new period
    assert wallet_of_id(wallet.id).current_period_start > datetime.now(UTC) - timedelta(days=1)  # type: ignore[operator]


def test_reconcile_finds_a_tampered_wallet(make_scope) -> None:  # type: ignore[no-untyped-def]
    wallet = wallet_of(make_scope(credits=10))
    with session_scope() as db:
        db.execute(text("UPDATE credit_wallets SET balance = 999 WHERE id = :w"), {"w": wallet.id})
    with session_scope() as db:
        assert credits_service.reconcile(db_session=db) == [{"wallet_id": wallet.id, "balance": 999, "ledger_sum": 10}]


def test_search_charge_is_keyed_by_job_and_refunded_once(make_scope) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from shared.credits import unlocks

    scope = make_scope(credits=100)
    for i in range(3):  # use up the free allowance so the search costs credits
        with session_scope() as db:
            credits_service.charge(db_session=db, scope=scope, action="profile_unlock", idempotency_key=f"f{i}")
    job_id = uuid.uuid4()
    with session_scope() as db:
        first = unlocks.charge_search(db_session=db, scope=scope, job_id=job_id)
    with session_scope() as db:
        again = unlocks.charge_search(db_session=db, scope=scope, job_id=job_id)  # a retried search request
    assert first.id == again.id and first.amount == -25
    assert first.idempotency_key == f"job:{job_id}:team:{scope.team_id}"
    with session_scope() as db:
        unlocks.refund_charge(db_session=db, charge=first, reason="scrape failed: private account")
        unlocks.refund_charge(db_session=db, charge=first, reason="scrape failed: private account")
    wallet = wallet_of(scope)
    assert wallet.balance == 100 == ledger_sum(wallet.id)


def _advisory_waiters() -> int:
    with session_scope() as db:
        return int(db.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")) or 0)


def test_concurrent_refunds_of_one_charge_give_back_the_usage_once(make_scope) -> None:  # type: ignore[no-untyped-def]
    """The job settle and the reaper can refund one charge at the same moment: one refund row, one usage back.

    The first refund holds its transaction open until the second is seen waiting on the advisory lock, so the
    second has already looked for an existing refund (under the old order it found none) when the first commits.
    """
    scope = make_scope(credits=0)
    with session_scope() as db:
        for key in ("c1", "c2"):  # both inside the free allowance: free_used = 2
            credits_service.charge(db_session=db, scope=scope, action="profile_unlock", idempotency_key=key)
    second_done = threading.Event()

    def second_refund() -> None:
        with session_scope() as db:
            credits_service.refund(db_session=db, idempotency_key="c1", reason="reaper")
        second_done.set()

    with ThreadPoolExecutor(max_workers=1) as pool:
        with session_scope() as db:
            credits_service.refund(db_session=db, idempotency_key="c1", reason="job settle")
            later = pool.submit(second_refund)
            deadline = datetime.now(UTC) + timedelta(seconds=10)
            while _advisory_waiters() == 0 and datetime.now(UTC) < deadline:
                threading.Event().wait(0.02)
            assert _advisory_waiters() == 1, "the second refund should be waiting on the first one's lock"
            assert not second_done.is_set()
        later.result(timeout=10)
    with session_scope() as db:
        refunds = db.scalars(select(CreditTransaction).where(CreditTransaction.kind == "refund")).all()
        usage = credits_service.get_usage(db_session=db, scope=scope).items
    assert len(refunds) == 1
    assert [(u.action, u.free_used) for u in usage] == [("profile_unlock", 1)]
