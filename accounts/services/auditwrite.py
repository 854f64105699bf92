"""Appending to the audit chain: lock the head row, MAC the record against it, insert, move the head.

The lock (PostgreSQL `SELECT ... FOR UPDATE`; SQLite's IMMEDIATE transactions already serialize writers)
means concurrent writers can never fork the chain. The SQL is plain because every reveal appends a record
and the ORM took longer to build these single-row statements than the database took to run them (bench
vault_reveal). A lock-free compare-and-swap append was measured too and gained nothing: the commit's
WAL flush, not the round trips, is what an append costs.
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


def chain_append(event: AuditEvent) -> AuditEvent:
    """Give an unsaved event its place, time and MAC, and insert it. Raises on any failure (fail closed).

    Inside a caller's transaction, the head row stays locked until that transaction ends, so call it last.
    """
    with transaction.atomic():
        key_id, seal = _stamp(event, *_locked_head())
        fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        values = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_quoted(AuditEvent)} ({columns}) VALUES ({placeholders}) RETURNING id",  # noqa: S608
                values,
            )
            event.pk = cursor.fetchone()[0]
            event._state.adding, event._state.db = False, connection.alias
            cursor.execute(
                f"UPDATE {_quoted(AuditChainHead)} SET seq = %s, mac = %s, key_id = %s, seal = %s WHERE id = %s",  # noqa: S608
                [event.seq, event.mac, key_id, seal, HEAD_PK],
            )
    return event
