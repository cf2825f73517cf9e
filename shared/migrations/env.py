"""Alembic environment: the URL from settings, the metadata from every domain's models."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from shared.config import get_settings
from shared.db import database_url, tls_connect_args
from shared.schema import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    """`alembic -x database_url=...` (Cloud Build's migration step, which has no other settings), else settings."""
    return context.get_x_argument(as_dictionary=True).get("database_url") or database_url()


def _tls() -> dict[str, object]:
    """With `-x database_url`, the CA comes as `-x database_ca_cert=<PEM>` (plaintext without one, as for a local
    cluster); else from settings, which refuse plaintext outside the local profile."""
    arguments = context.get_x_argument(as_dictionary=True)
    if "database_url" in arguments:
        return tls_connect_args(arguments.get("database_ca_cert") or None)
    return tls_connect_args(get_settings().database.ca_cert)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool, connect_args=_tls())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
