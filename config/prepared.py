"""Server-side prepared statements on PostgreSQL: a hot statement parsed and planned once per connection, not per call.

Shared by the apps (the reveal's lookup in vault, the audit append in accounts), so it lives with the project's
infrastructure rather than in either.
"""

import itertools
import re

from django.db import DatabaseError

_PLACEHOLDER = re.compile(r"%s")
# invalid_sql_statement_name: the server has no such statement (DISCARD ALL, DEALLOCATE);
# feature_not_supported: "cached plan must not change result type", a selected column changed under it.
_GONE_OR_STALE = frozenset({"26000", "0A000"})


def prepared_fetchone(connection, *, name: str, types: tuple[str, ...], sql: str, params: list):
    """The first row of `sql` (`%s` placeholders of PostgreSQL `types`), run as statement `name` on this connection.

    Prepared only on PostgreSQL outside a transaction; elsewhere the query runs plainly. There a failed EXECUTE
    aborts nothing, so a statement the server no longer has or can no longer run as prepared (DISCARD ALL; a
    selected column's type changed by a migration) is dropped and the query runs plainly, to be prepared again
    on the next call. Such an EXECUTE fails before the statement runs, so running it again changes nothing twice.
    """
    return _run(connection, name=name, types=types, sql=sql, params=params, fetch=lambda cursor: cursor.fetchone())


def prepared_fetchall(connection, *, name: str, types: tuple[str, ...], sql: str, params: list) -> list:
    """Every row of `sql`, as `prepared_fetchone` runs it."""
    return _run(connection, name=name, types=types, sql=sql, params=params, fetch=lambda cursor: cursor.fetchall())


def _run(connection, *, name, types, sql, params, fetch):
    with connection.cursor() as cursor:
        if not _usable(connection):
            cursor.execute(sql, params)
            return fetch(cursor)
        prepared = _prepared_names(connection)
        if name not in prepared:
            cursor.execute(f"PREPARE {name} ({', '.join(types)}) AS {_numbered(sql)}")
            prepared.add(name)
        try:
            cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
        except DatabaseError as error:
            if getattr(error.__cause__, "pgcode", None) not in _GONE_OR_STALE:
                raise
            prepared.clear()
            cursor.execute("DEALLOCATE ALL")
            cursor.execute(sql, params)
        return fetch(cursor)


def _usable(connection) -> bool:
    # Inside a caller's transaction a failed EXECUTE would abort the caller's work.
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _prepared_names(connection) -> set[str]:
    # Prepared statements live as long as the server session, so they are tracked per DB-API connection: a
    # reconnect (CONN_MAX_AGE, a dropped connection) starts with none. Holding the object, not its id(), means
    # a new connection can never be mistaken for the old one.
    state = getattr(connection, "keyhold_prepared", None)
    if state is None or state[0] is not connection.connection:
        state = (connection.connection, set())
        connection.keyhold_prepared = state
    return state[1]


def _numbered(sql: str) -> str:
    if "%%" in sql:
        raise ValueError("a prepared query cannot hold a literal %")
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", sql)
