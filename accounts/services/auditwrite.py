"""Appending to the audit chain: MAC records against the head, insert them and move the head, atomically.

Two ways, with the same result. Outside a caller's transaction on PostgreSQL, one statement: the records
are MACed against the head this process last saw, and a data-modifying statement inserts them and moves
the head only if the head is still exactly that (compare and swap: the statement is its own transaction,
so nothing can come between, and the head row is locked only while the server runs it). If another
process moved the head meanwhile, the statement inserts nothing and returns the head it found, and the
records are MACed again against that and sent again, a few times at most. Else (inside a caller's
transaction, on SQLite, or after those tries) the locked way: lock the head row (PostgreSQL `SELECT ...
FOR UPDATE`; SQLite's IMMEDIATE transactions already serialize writers), MAC against it, insert, move it.
Either way concurrent writers can never fork the chain, and `seq` is unique besides.

The locked way holds the head's lock across five round trips (BEGIN, lock, insert, update, COMMIT) and the
Python work between them; with 16 concurrent reveals over five gunicorn processes, most appends queued on
that lock behind a holder that was itself waiting for its process's interpreter lock (8 of 16 backends
waiting on the row, 187 reveals/s). A compare and swap that fails costs one statement and holds nothing.
The SQL is plain because the ORM took longer to build these statements than the database took to run them.
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone

from accounts.models.audit import AuditChainHead, AuditEvent
from accounts.services.auditchain import GENESIS_MAC, HEAD_PK, AuditChainError, head_seal, mac_key, record_mac
from config.prepared import prepared_fetchall

# Compare-and-swap attempts before taking the lock: each failure means another process appended in between.
CAS_TRIES = 4
# The head's new seq, mac, key id and seal, then its id and the seq and mac it must still have.
_HEAD_TYPES = ("bigint", "text", "text", "text", "bigint", "bigint", "text")
_FIELDS = tuple(field for field in AuditEvent._meta.concrete_fields if not field.primary_key)
# Values these take are what the database driver takes as they are; the others go through their field.
_PLAIN_TYPES = frozenset({"CharField", "BigIntegerField", "ForeignKey"})


def _quoted(db, model) -> str:
    return db.ops.quote_name(model._meta.db_table)


def _stamp(events: list[AuditEvent], head_seq: int, head_mac: str) -> tuple[str, str]:
    """Give the events their places, time, key and MACs after the head (seq, mac); returns (key id, new head seal)."""
    key_id, key = mac_key(None)
    now = timezone.now()
    previous, seq = bytes.fromhex(head_mac) if head_mac else GENESIS_MAC, head_seq
    for event in events:
        seq += 1
        event.created, event.seq, event.key_id, event.actor_ref = now, seq, key_id, event.actor_id
        previous = record_mac(key, previous, event)
        event.mac = previous.hex()
    return key_id, head_seal(key, seq, previous).hex()


def _head_read(db) -> tuple[int, str] | None:
    lock_clause = " FOR UPDATE" if db.features.has_select_for_update else ""
    with db.cursor() as cursor:
        cursor.execute(f"SELECT seq, mac FROM {_quoted(db, AuditChainHead)} WHERE id = %s{lock_clause}", [HEAD_PK])  # noqa: S608
        return cursor.fetchone()


def _locked_head(db) -> tuple[int, str]:
    """(seq, mac) of the head row, locked until the transaction ends; the row is created on first use."""
    row = _head_read(db)
    if row is not None:
        return row
    # No head yet: create it. If a concurrent first writer wins, its row is locked and used instead;
    # checking for chained records only after our own insert succeeded keeps that race harmless.
    try:
        with transaction.atomic(using=db.alias):
            AuditChainHead.objects.using(db.alias).create(pk=HEAD_PK)
    except IntegrityError:
        return _head_read(db)
    # A missing head with chained records means someone deleted it; starting over would fork the chain.
    if AuditEvent.objects.using(db.alias).filter(seq__isnull=False).exists():
        raise AuditChainError("The audit chain head row is missing; run audit_verify.")
    return 0, ""


# The head (seq, mac) this process last wrote or read, per database alias: only a guess, which the
# compare-and-swap checks against the row itself, so a stale one costs a retry and nothing else.
_last_head: dict[str, tuple[int, str]] = {}


@cache
def _layout(alias: str) -> tuple[str, str, tuple[str, ...]]:
    """The INSERT's column list, one row of typed placeholders and their types (the VALUES of the compare-and-swap
    need types: untyped there, a literal is text, and text does not go into a jsonb or inet column)."""
    db = connections[alias]
    columns = ", ".join(db.ops.quote_name(field.column) for field in _FIELDS)
    if db.vendor != "postgresql":
        return columns, "(" + ", ".join(["%s"] * len(_FIELDS)) + ")", ()
    # Text, not varchar(n): an explicit cast to varchar(n) would cut a long value instead of refusing it.
    types = tuple("text" if f.get_internal_type() == "CharField" else f.db_type(db) for f in _FIELDS)
    return columns, "(" + ", ".join(f"%s::{kind}" for kind in types) + ")", types


def _values(db, events: list[AuditEvent]) -> list:
    values = []
    for event in events:
        for field in _FIELDS:
            value = getattr(event, field.attname)
            values.append(value if field.get_internal_type() in _PLAIN_TYPES else field.get_db_prep_save(value, db))
    return values


@cache
def _cas_sql(alias: str, count: int) -> tuple[str, tuple[str, ...]]:
    """The compare-and-swap statement for `count` records, and its parameter types."""
    db = connections[alias]
    columns, row, types = _layout(alias)
    head, rows = _quoted(db, AuditChainHead), ", ".join([row] * count)
    sql = (
        f"WITH moved AS (UPDATE {head} SET seq = %s, mac = %s, key_id = %s, seal = %s"  # noqa: S608
        " WHERE id = %s AND seq = %s AND mac = %s RETURNING id),"
        f" added AS (INSERT INTO {_quoted(db, AuditEvent)} ({columns}) SELECT * FROM (VALUES {rows})"
        " AS v WHERE EXISTS (SELECT 1 FROM moved) RETURNING seq, id),"
        # When the head had moved, the head as it is now: FOR SHARE reads the newest committed version of the row
        # (after waiting for a writer still holding it), where a plain read would see the statement's snapshot.
        f" latest AS (SELECT seq, mac FROM {head} WHERE id = %s AND NOT EXISTS (SELECT 1 FROM moved) FOR SHARE)"
        " SELECT TRUE, seq, id::text FROM added UNION ALL SELECT FALSE, seq, mac FROM latest"
    )
    return sql, (*_HEAD_TYPES, *types * count, "bigint")


def _saved(db, events: list[AuditEvent], ids: dict[int, int]) -> list[AuditEvent]:
    """Mark the inserted events saved (`ids`: seq -> primary key) and remember the new head."""
    for event in events:
        event.pk = ids[event.seq]
        event._state.adding, event._state.db = False, db.alias
    _last_head[db.alias] = (events[-1].seq, events[-1].mac)
    return events


def _append_if_head_is(db, events: list[AuditEvent], head_seq: int, head_mac: str) -> tuple[int, str] | None:
    """Insert the events after (head_seq, head_mac) and move the head, in one statement.

    None when done; else the head the statement found instead, to MAC against on the next try (empty: none).
    """
    key_id, seal = _stamp(events, head_seq, head_mac)
    sql, types = _cas_sql(db.alias, len(events))
    # Prepared (config.prepared), one statement per group size: parsing and planning it took the server about as
    # long as running it.
    params = [events[-1].seq, events[-1].mac, key_id, seal, HEAD_PK, head_seq, head_mac, *_values(db, events), HEAD_PK]
    found = prepared_fetchall(db, name=f"keyhold_audit_append_{len(events)}", types=types, sql=sql, params=params)
    if found and found[0][0]:
        _saved(db, events, {seq: int(pk) for _, seq, pk in found})
        return None
    _last_head.pop(db.alias, None)
    # No head row at all: the locked way creates it, or refuses if records exist without one.
    return (found[0][1], found[0][2]) if found else ()


def _append_locked(db, events: list[AuditEvent]) -> list[AuditEvent]:
    columns, row, _ = _layout(db.alias)
    with transaction.atomic(using=db.alias):
        key_id, seal = _stamp(events, *_locked_head(db))
        with db.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_quoted(db, AuditEvent)} ({columns}) VALUES {', '.join([row] * len(events))}"  # noqa: S608
                " RETURNING seq, id",
                _values(db, events),
            )
            ids = dict(cursor.fetchall())
            cursor.execute(
                f"UPDATE {_quoted(db, AuditChainHead)} SET seq = %s, mac = %s, key_id = %s, seal = %s WHERE id = %s",  # noqa: S608
                [events[-1].seq, events[-1].mac, key_id, seal, HEAD_PK],
            )
    # After the block, so a failed append never becomes the next guess. (Inside a caller's transaction
    # that later rolls back, the guess is wrong, and the compare-and-swap finds that out.)
    return _saved(db, events, ids)


def chain_append_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Give unsaved events their places (in order), time and MACs, and insert them. Raises on any failure.

    Inside a caller's transaction, the head row stays locked until that transaction ends, so call it last.
    """
    # This thread's connection itself: each attribute read through django.db.connection costs a context-local
    # lookup, and an append made about twenty of them.
    db = connections[DEFAULT_DB_ALIAS]
    # Only outside a caller's transaction: there a failed statement would abort the caller's work, where
    # the locked way's savepoint confines the failure to the append.
    if db.vendor == "postgresql" and not db.in_atomic_block:
        head = _last_head.get(db.alias)
        for _ in range(CAS_TRIES if head is not None else 0):
            head = _append_if_head_is(db, events, *head)
            if head is None:
                return events
            if not head:
                break
    return _append_locked(db, events)


def chain_append(event: AuditEvent) -> AuditEvent:
    """Give an unsaved event its place, time and MAC, and insert it. Raises on any failure (fail closed)."""
    return chain_append_many([event])[0]
