"""Alembic environment for the catalog.

SqlCatalog runs migrations itself, inside the transaction it opened (see ``_engine.upgrade``), and
hands that connection over in ``config.attributes["connection"]``. Offline mode (``--sql``)
renders the SQL for a DBA from the ``sqlalchemy.url`` option.
"""

from __future__ import annotations

from alembic import context

from aether_data.catalog._schema import metadata


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("open the catalog with SqlCatalog(url): it runs its own migrations")
    # Batch mode lets later ALTERs work on SQLite, which rebuilds tables to alter them.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
