"""Alembic: up from empty, models and migrations agree, down to empty, up again — on a scratch database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.engine import Engine

from infra.local.components import REPO, Postgres
from shared.schema import metadata


@pytest.fixture
def scratch(postgres: Postgres) -> Iterator[Engine]:
    admin = create_engine(postgres.url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS migrations_scratch"))
        connection.execute(text("CREATE DATABASE migrations_scratch"))
    engine = create_engine(postgres.url.rsplit("/", 1)[0] + "/migrations_scratch", poolclass=pool.NullPool)
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE migrations_scratch"))
    admin.dispose()


def _run(engine: Engine, action: str, revision: str) -> None:
    config = Config(str(REPO / "alembic.ini"))
    config.attributes["configure_logger"] = False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(scratch: Engine) -> None:
    assert _tables(scratch) == set()
    _run(scratch, "upgrade", "head")
    assert _tables(scratch) == set(metadata.tables)
    _run(scratch, "downgrade", "base")
    assert _tables(scratch) == set()
    _run(scratch, "upgrade", "head")
    assert _tables(scratch) == set(metadata.tables)


def test_migrations_match_the_models(scratch: Engine) -> None:
    _run(scratch, "upgrade", "head")
    with scratch.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert diff == []


def test_schema_guards_hold(scratch: Engine) -> None:
    """The constraints later issues rely on exist in the migrated schema, not only in the models."""
    _run(scratch, "upgrade", "head")
    with scratch.begin() as connection:
        connection.execute(
            text("INSERT INTO jobs (username, status, stages, refresh) VALUES ('a', 'queued', '{}', false)")
        )
        with pytest.raises(Exception, match="uq_jobs_username_in_flight"), connection.begin_nested():
            connection.execute(
                text("INSERT INTO jobs (username, status, stages, refresh) VALUES ('a', 'running', '{}', false)")
            )
        team = connection.execute(
            text("INSERT INTO teams (name, is_personal, plan) VALUES ('t', true, 'free') RETURNING id")
        )
        team_id = team.scalar_one()
        with pytest.raises(Exception, match="balance_not_negative"), connection.begin_nested():
            connection.execute(
                text(
                    "INSERT INTO credit_wallets (team_id, balance, lifetime_earned, lifetime_spent, is_frozen)"
                    " VALUES (:t, -1, 0, 0, false)"
                ),
                {"t": team_id},
            )


def test_0009_backfills_a_document_for_every_creator_held(scratch: Engine) -> None:
    _run(scratch, "upgrade", "0008")
    with scratch.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO creators (username, full_name, followers_count, is_verified, is_private, is_business,"
                " source, scraped_at) VALUES ('held_before', 'Held Before', 1234, false, false, false, 'apify', now())"
            )
        )
    _run(scratch, "upgrade", "0009")
    with scratch.connect() as connection:
        version, document = connection.execute(text("SELECT version, document FROM creator_reports")).one()
    assert version == 1
    assert document["profile"]["username"] == "held_before" and document["profile"]["followers_count"] == 1234
    assert document["posts"] == [] and document["insights"]["status"] == "pending"


def test_0017_stores_each_campaign_label_in_one_spelling(scratch: Engine) -> None:
    _run(scratch, "upgrade", "0016")
    labels = ["E\u0301te\u0301", "Été", " launch ", "launch", "   ", None]
    with scratch.begin() as connection:
        team = connection.execute(
            text("INSERT INTO teams (name, is_personal, plan) VALUES ('t', false, 'free') RETURNING id")
        ).scalar_one()
        for n, label in enumerate(labels):
            connection.execute(
                text(
                    "INSERT INTO team_posts (team_id, shortcode, url, kind, campaign)"
                    " VALUES (:team, :code, 'https://www.instagram.com/p/x/', 'post', :label)"
                ),
                {"team": team, "code": f"Code{n}", "label": label},
            )
    _run(scratch, "upgrade", "0017")
    with scratch.connect() as connection:
        stored = connection.execute(text("SELECT campaign FROM team_posts ORDER BY shortcode")).scalars().all()
    assert stored == ["Été", "Été", "launch", "launch", None, None]
