"""The audit hash chain: each record's HMAC covers the previous record's MAC and its own content.

    mac_n  = HMAC-SHA256(key, b"keyhold audit record v1\\0" | mac_(n-1) (32 bytes; zeros for n=1) | canonical_n)
    seal   = HMAC-SHA256(key, b"keyhold audit head v1\\0" | n (u64 BE) | mac_n)      (on the head row)

`canonical_n` is the record's content as JSON (sorted keys, ASCII, no spaces), including its
position `seq` and `key_id`. Keys come from a provider the vault registers at startup (accounts
does not import vault): `provider(None)` gives the active (id, key), `provider(id)` an older one.
Records MACed with a key that has since left the keyring verify through a later checkpoint record
(see auditdigest). Appends (auditwrite) move the single head row forward only from the state they
MACed against, so concurrent writers cannot fork the chain.
"""

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from accounts.models.audit import AuditChainHead, AuditEvent
from accounts.services.auditdigest import CHECKPOINT_ACTION, Coverage, checkpoint_claim

KeyProvider = Callable[[str | None], tuple[str, bytes]]

GENESIS_MAC = bytes(32)
RECORD_LABEL = b"keyhold audit record v1\x00"
HEAD_LABEL = b"keyhold audit head v1\x00"
HEAD_PK = 1

_provider: KeyProvider | None = None


class AuditChainError(Exception):
    """The chain cannot be appended to (no key source, missing head). Audit writes fail closed on it."""


def register_key_provider(provider: KeyProvider | None) -> KeyProvider | None:
    """Install the MAC key source; returns the previous one (so tests can restore it)."""
    global _provider
    previous, _provider = _provider, provider
    return previous


def mac_key(key_id: str | None) -> tuple[str, bytes]:
    """(id, key) from the registered provider: the active key for None. Raises AuditChainError or LookupError."""
    if _provider is None:
        raise AuditChainError("No audit chain key source is registered; is the vault app installed?")
    return _provider(key_id)


def canonical(event: AuditEvent) -> bytes:
    """The MACed content of a record: every field except the database id, the actor FK and the MAC itself."""
    content = {
        "seq": event.seq,
        "key_id": event.key_id,
        "created": event.created.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_ref,
        "actor_email": event.actor_email,
        "action": event.action,
        "outcome": event.outcome,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "target": event.target,
        "detail": event.detail,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def record_mac(key: bytes, previous_mac: bytes, event: AuditEvent, content: bytes | None = None) -> bytes:
    """The record's MAC; pass `content` when its canonical form is already at hand."""
    content = canonical(event) if content is None else content
    return hmac.new(key, RECORD_LABEL + previous_mac + content, hashlib.sha256).digest()


def head_seal(key: bytes, seq: int, mac: bytes) -> bytes:
    return hmac.new(key, HEAD_LABEL + seq.to_bytes(8, "big") + mac, hashlib.sha256).digest()


@dataclass(frozen=True)
class ChainReport:
    records: int
    problem: str = ""
    event_id: int | None = None
    # The checkpoint digest through `records` (see auditdigest), for writing a checkpoint after a clean walk.
    digest: str = ""

    @property
    def intact(self) -> bool:
        return not self.problem


class _Keys(dict):
    """MAC keys by id, fetched from the provider once each."""

    def __missing__(self, key_id: str) -> bytes:
        self[key_id] = mac_key(key_id)[1]
        return self[key_id]


def chain_verify() -> ChainReport:
    """Walk the chain in order and return the first broken link, if any."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        # One snapshot for head and records, so appends during the walk do not look like breaks
        # (only possible as the first statement of a transaction; SQLite transactions are snapshots).
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _verify()


def _checkpoint_positions() -> set[int]:
    """The positions checkpoints claim to vouch through, so the walk keeps the digest at each of them."""
    details = AuditEvent.objects.filter(action=CHECKPOINT_ACTION, seq__isnull=False).values_list("detail", flat=True)
    return {claim[0] for claim in map(checkpoint_claim, details) if claim is not None}


def _verify() -> ChainReport:
    keys = _Keys()
    stray = AuditEvent.objects.filter(seq__isnull=True).order_by("id").values_list("id", flat=True).first()
    if stray is not None:
        return ChainReport(0, "the record has no chain position: it was written around audit_record", stray)
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    coverage = Coverage(wanted=_checkpoint_positions())
    User = get_user_model()
    users_exist: dict[int, bool] = {}
    previous, count, last_mac = GENESIS_MAC, 0, GENESIS_MAC
    for event in AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000):
        expected = count + 1
        if event.seq != expected:
            return ChainReport(count, f"seq {event.seq} follows seq {count}: records were deleted", event.pk)
        content = canonical(event)
        try:
            key = keys[event.key_id]
        except LookupError:
            # A retired key: the record can still be vouched for by a later checkpoint (checked as we go).
            try:
                mac = bytes.fromhex(event.mac)
            except ValueError:
                return ChainReport(count, f"malformed MAC at seq {event.seq}", event.pk)
            coverage.await_checkpoint(event.seq, event.pk, event.key_id)
        else:
            mac = record_mac(key, previous, event, content)
            if not hmac.compare_digest(mac.hex(), event.mac):
                return ChainReport(count, f"MAC mismatch at seq {event.seq}: edited, reordered or forged", event.pk)
            if event.action == CHECKPOINT_ACTION and (problem := coverage.checkpoint(event.seq, event.detail)):
                return ChainReport(count, problem, event.pk)
        if event.actor_id != event.actor_ref:
            # The FK is legitimately nulled when a user is deleted; otherwise it must match what was MACed.
            if event.actor_id is not None or event.actor_ref is None:
                return ChainReport(count, f"actor changed at seq {event.seq}", event.pk)
            if event.actor_ref not in users_exist:
                users_exist[event.actor_ref] = User.objects.filter(pk=event.actor_ref).exists()
            if users_exist[event.actor_ref]:
                return ChainReport(count, f"actor cleared at seq {event.seq} although the user exists", event.pk)
        coverage.add(event.seq, content, mac)
        previous = last_mac = mac
        count += 1
    if unvouched := coverage.first_unvouched():
        seq, event_id, key_id = unvouched
        return ChainReport(
            count, f"its MAC key {key_id!r} is not in the keyring and no checkpoint vouches for seq {seq}", event_id
        )
    report = _verify_head(head, count, last_mac, keys)
    return ChainReport(report.records, report.problem, report.event_id, digest=coverage.digest.hex())


def _verify_head(head: AuditChainHead | None, count: int, last_mac: bytes, keys: _Keys) -> ChainReport:
    if head is None:
        return ChainReport(count, "the chain head row is missing" if count else "")
    if head.seq != count or (count and head.mac != last_mac.hex()):
        return ChainReport(count, f"the chain head names seq {head.seq} but the chain ends at seq {count}")
    if count == 0:
        return ChainReport(0)
    try:
        key = keys[head.key_id]
    except LookupError:
        return ChainReport(count, f"the head's MAC key {head.key_id!r} is not in the keyring")
    if not hmac.compare_digest(head_seal(key, head.seq, last_mac).hex(), head.seal):
        return ChainReport(count, "the chain head's seal does not match: records at the end were cut off")
    return ChainReport(count)
