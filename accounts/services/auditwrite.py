"""Appending to the audit chain: MAC the record against the head, insert it and move the head, atomically.

Two ways, with the same result. Usually one statement: this process remembers the head it last wrote,
and on PostgreSQL, outside a caller's transaction, inserts the record and moves the head in one
data-modifying statement that changes nothing unless the head is still exactly that (compare and
swap; the statement is its own transaction, so nothing can come between). Else, or when another
process moved the head meanwhile, the locked way: lock the head row (PostgreSQL `SELECT ... FOR
UPDATE`; SQLite's IMMEDIATE transactions already serialize writers), MAC against it, insert, move it.
Either way concurrent writers can never fork the chain, and `seq` is unique besides. The SQL is plain
because every reveal appends a record and the ORM took longer to build these single-row statements
than the database took to run them. The locked way costs five round trips (BEGIN, lock, insert,
update, COMMIT) against one: audit_record took about 1.1 ms against 0.8 ms (see the README's
Performance).
"""

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models.audit import AuditChainHead, AuditEvent
from accounts.services.auditchain import GENESIS_MAC, HEAD_PK, AuditChainError, head_seal, mac_key, record_mac


def _quoted(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _stamp(event: AuditEvent, head_seq: int, head_mac: str) -> tuple[str, str]:
    """Give the event its place, time, key and MAC after the head (seq, mac); returns (key id, head seal)."""
    key_id, key = mac_key(None)
    event.created = timezone.now()
    event.seq = head_seq + 1
    event.key_id = key_id
    event.actor_ref = event.actor_id
    mac = record_mac(key, bytes.fromhex(head_mac) if head_mac else GENESIS_MAC, event)
    event.mac = mac.hex()
    return key_id, head_seal(key, event.seq, mac).hex()


def _head_read() -> tuple[int, str] | None:
    lock_clause = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, mac FROM {_quoted(AuditChainHead)} WHERE id = %s{lock_clause}", [HEAD_PK])  # noqa: S608
        return cursor.fetchone()


def _locked_head() -> tuple[int, str]:
    """(seq, mac) of the head row, locked until the transaction ends; the row is created on first use."""
    row = _head_read()
    if row is not None:
        return row
    # No head yet: create it. If a concurrent first writer wins, its row is locked and used instead;
    # checking for chained records only after our own insert succeeded keeps that race harmless.
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=HEAD_PK)
    except IntegrityError:
        return _head_read()
    # A missing head with chained records means someone deleted it; starting over would fork the chain.
    if AuditEvent.objects.filter(seq__isnull=False).exists():
        raise AuditChainError("The audit chain head row is missing; run audit_verify.")
    return 0, ""


# The head (seq, mac) this process last wrote or read, per database alias: only a guess, which the
# compare-and-swap checks against the row itself, so a stale one costs the locked way and nothing else.
_last_head: dict[str, tuple[int, str]] = {}


def _columns_and_values(event: AuditEvent) -> tuple[str, str, list]:
    """The event's columns, as many placeholders, and its values, for an INSERT."""
    fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
    return columns, ", ".join(["%s"] * len(values)), values


def _saved(event: AuditEvent, pk: int) -> AuditEvent:
    event.pk = pk
    event._state.adding, event._state.db = False, connection.alias
    _last_head[connection.alias] = (event.seq, event.mac)
    return event


def _append_if_head_is(event: AuditEvent, head_seq: int, head_mac: str) -> bool:
    """Insert the event after (head_seq, head_mac) and move the head, in one statement; False if the head moved."""
    key_id, seal = _stamp(event, head_seq, head_mac)
    columns, placeholders, values = _columns_and_values(event)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS (UPDATE {_quoted(AuditChainHead)} SET seq = %s, mac = %s, key_id = %s, seal = %s"  # noqa: S608
            " WHERE id = %s AND seq = %s AND mac = %s RETURNING id)"
            f" INSERT INTO {_quoted(AuditEvent)} ({columns}) SELECT {placeholders}"
            " WHERE EXISTS (SELECT 1 FROM moved) RETURNING id",
            [event.seq, event.mac, key_id, seal, HEAD_PK, head_seq, head_mac, *values],
        )
        row = cursor.fetchone()
    if row is None:
        _last_head.pop(connection.alias, None)
        return False
    _saved(event, row[0])
    return True


def chain_append(event: AuditEvent) -> AuditEvent:
    """Give an unsaved event its place, time and MAC, and insert it. Raises on any failure (fail closed).

    Inside a caller's transaction, the head row stays locked until that transaction ends, so call it last.
    """
    last = _last_head.get(connection.alias)
    # Only outside a caller's transaction: there a failed statement would abort the caller's work, where
    # the locked way's savepoint confines the failure to the append.
    compare_and_swap = last is not None and connection.vendor == "postgresql" and not connection.in_atomic_block
    if compare_and_swap and _append_if_head_is(event, *last):
        return event
    with transaction.atomic():
        key_id, seal = _stamp(event, *_locked_head())
        columns, placeholders, values = _columns_and_values(event)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_quoted(AuditEvent)} ({columns}) VALUES ({placeholders}) RETURNING id",  # noqa: S608
                values,
            )
            pk = cursor.fetchone()[0]
            cursor.execute(
                f"UPDATE {_quoted(AuditChainHead)} SET seq = %s, mac = %s, key_id = %s, seal = %s WHERE id = %s",  # noqa: S608
                [event.seq, event.mac, key_id, seal, HEAD_PK],
            )
    # After the block, so a failed append never becomes the next guess. (Inside a caller's transaction
    # that later rolls back, the guess is wrong, and the compare-and-swap finds that out.)
    return _saved(event, pk)
