"""Key operations: add and retire KEKs in the keyring text, the key census, and rotation runs with progress.

The keyring itself lives outside the database (VAULT_KEYS or VAULT_KEYS_FILE); these functions produce the
new keyring text, and write it only to a file the operator named. Rotation progress is kept in the cache:
losing it loses only the "started/done" figures, never work, because what remains is counted from the rows.
"""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import AuditEvent
from accounts.models.audit import AuditChainHead
from accounts.services.audit import audit_record
from accounts.services.auditchain import AuditChainError
from accounts.services.auditcheckpoint import audit_checkpoint, records_needing_key
from vault.crypto import generate_key_entry, keyring, parse_keyring
from vault.crypto.keyring import KEY_ID
from vault.models import SecretVersion
from vault.selectors import kek_census
from vault.services.errors import VaultError
from vault.services.rotation import secret_versions_rewrap_batch

PROGRESS_CACHE_KEY = "vault:rotation:progress"
# Long enough to still show a finished rotation next week; the rows are the source of truth anyway.
PROGRESS_TIMEOUT = 60 * 60 * 24 * 30
DEFAULT_BATCH_SIZE = 500
MAX_SWEEPS = 2


class KeyOperationRefused(VaultError):
    """A key operation that would lose access to data or audit records, or has nothing to do."""


@dataclass(frozen=True, slots=True)
class RotationProgress:
    """The last rotation run as recorded in the cache, plus what is left (counted from the rows)."""

    target: str
    state: str  # "running" or "finished"
    started: str
    finished: str | None
    done: int
    remaining: int


@dataclass(frozen=True, slots=True)
class KeyCensus:
    """Per KEK id: data keys it wraps and audit records its audit key MACed. Ids and counts only."""

    active_id: str
    keyring_ids: list[str]
    data_keys: dict[str, int]
    audit_records: dict[str, int]
    audit_head_key: str
    progress: RotationProgress | None = None
    rows: list[dict] = field(default_factory=list)


def rotation_remaining(*, to_kek: str) -> int:
    """Data keys not yet wrapped by `to_kek`."""
    return SecretVersion.objects.filter(destroyed=False, wrapped_key__isnull=False).exclude(kek_id=to_kek).count()


def rotation_progress() -> RotationProgress | None:
    """The last recorded rotation run, or None if none is recorded."""
    raw = cache.get(PROGRESS_CACHE_KEY)
    if not raw:
        return None
    return RotationProgress(**raw, remaining=rotation_remaining(to_kek=raw["target"]))


def _progress_save(**values) -> None:
    cache.set(PROGRESS_CACHE_KEY, values, PROGRESS_TIMEOUT)


def key_census() -> KeyCensus:
    """Data keys and audit records per KEK id, every keyring id included (with 0), plus rotation progress."""
    ring = keyring()
    data_keys = kek_census()
    audit_rows = AuditEvent.objects.exclude(key_id="").values("key_id").annotate(n=Count("id")).order_by("key_id")
    audit_records = {row["key_id"]: row["n"] for row in audit_rows}
    head = AuditChainHead.objects.filter(pk=1).values_list("key_id", flat=True).first() or ""
    ids = list(ring.ids) + sorted((set(data_keys) | set(audit_records)) - set(ring.ids))
    rows = [
        {
            "id": key_id,
            "active": key_id == ring.active_id,
            "in_keyring": key_id in ring,
            "data_keys": data_keys.get(key_id, 0),
            "audit_records": audit_records.get(key_id, 0),
        }
        for key_id in ids
    ]
    return KeyCensus(
        active_id=ring.active_id,
        keyring_ids=list(ring.ids),
        data_keys=data_keys,
        audit_records=audit_records,
        audit_head_key=head,
        progress=rotation_progress(),
        rows=rows,
    )


def key_rotation_start(*, actor=None, request=None, batch_size: int = DEFAULT_BATCH_SIZE, enqueue: bool = True) -> str:
    """Start re-wrapping every data key under the active KEK; returns the target KEK id.

    Raises KeyOperationRefused when every data key already uses the active KEK. With `enqueue`, the first
    `vault.tasks.rewrap_batch` is sent once this transaction commits and the batches chain from there.
    """
    target = keyring().active_id
    remaining = rotation_remaining(to_kek=target)
    if not remaining:
        raise KeyOperationRefused(f"Nothing to rotate: every data key is already wrapped by the active KEK {target!r}.")
    _progress_save(target=target, state="running", started=timezone.now().isoformat(), finished=None, done=0)
    audit_record(
        action=AuditEvent.Action.KEY_ROTATE,
        actor=actor,
        request=request,
        target=f"kek:{target}",
        detail={"to_kek": target, "remaining": remaining},
    )
    if enqueue:
        from vault.tasks import rewrap_batch  # tasks import this module

        transaction.on_commit(lambda: rewrap_batch.delay(to_kek=target, batch_size=batch_size))
    return target


def key_rotation_step(
    *, to_kek: str, after_id: int = 0, batch_size: int = DEFAULT_BATCH_SIZE, sweep: int = 0
) -> tuple[int, int] | None:
    """Re-wrap one batch and record progress; returns (after_id, sweep) for the next step, or None when done.

    Idempotent: after a crash the same step re-selects whatever did not commit. Rows locked by a concurrent
    writer are skipped by a pass, so a pass that ends with rows left starts one more sweep from the beginning
    (at most MAX_SWEEPS: rows that never open must not loop forever). The step that finds nothing left marks
    the run finished and records one audit event.
    """
    count, cursor = secret_versions_rewrap_batch(to_kek=to_kek, after_id=after_id, batch_size=batch_size)
    raw = cache.get(PROGRESS_CACHE_KEY) or {}
    if raw.get("target") != to_kek:
        # Started elsewhere (or the cache was cleared): record it from here on.
        raw = {"target": to_kek, "state": "running", "started": timezone.now().isoformat(), "finished": None, "done": 0}
    if cursor is not None:
        raw["done"] += count
        _progress_save(**raw)
        return cursor, sweep
    left = rotation_remaining(to_kek=to_kek)
    if left and after_id and sweep < MAX_SWEEPS:
        return 0, sweep + 1
    if raw["state"] != "finished":
        raw.update(state="finished", finished=timezone.now().isoformat())
        _progress_save(**raw)
        audit_record(
            action=AuditEvent.Action.VAULT_REWRAP,
            target=f"kek:{to_kek}",
            detail={"to_kek": to_kek, "rewrapped": raw["done"], "left_unopened": left},
        )
    return None


def keyring_file() -> Path | None:
    """The file the keyring is read from, if any: VAULT_KEYS_FILE, or the development key file in var/."""
    named = os.environ.get("VAULT_KEYS_FILE")
    if named:
        return Path(named)
    if "VAULT_KEYS" not in os.environ and not getattr(settings, "PRODUCTION", False):
        return Path(settings.VAR_DIR) / "vault_keys"
    return None


@sensitive_variables("text", "current")
def keyring_text() -> str:
    """The keyring as configured now: the file's content when it comes from a file, else the setting."""
    path = keyring_file()
    if path is not None and path.exists():
        return path.read_text(encoding="utf-8").strip()
    return settings.VAULT_KEYS


@sensitive_variables("text", "fd", "handle")
def keyring_file_write(*, path: Path, text: str) -> None:
    """Replace the keyring file atomically, readable by its owner only (0600)."""
    parse_keyring(text)  # never write a keyring the site would refuse
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def _new_key_id(taken: list[str]) -> str:
    base = f"k{timezone.now():%Y%m%d}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@sensitive_variables("current", "entry", "text")
def keyring_add(*, key_id: str | None = None, actor=None) -> tuple[str, str]:
    """A new 256-bit KEK first in the keyring: returns (its id, the new keyring text). Writes nothing.

    Raises KeyOperationRefused for an id already in the keyring or a malformed one.
    """
    current = keyring_text()
    ids = parse_keyring(current).ids
    if key_id is None:
        key_id = _new_key_id(ids)
    if not KEY_ID.fullmatch(key_id):
        raise KeyOperationRefused("A key id is 1-16 characters from A-Z a-z 0-9 _ -.")
    if key_id in ids:
        raise KeyOperationRefused(f"The keyring already holds a key with id {key_id!r}.")
    entry = generate_key_entry(key_id)
    audit_record(action=AuditEvent.Action.KEY_ADD, actor=actor, target=f"kek:{key_id}", detail={"kek_id": key_id})
    return key_id, f"{entry},{current}"


@sensitive_variables("current", "kept", "text")
def keyring_retire(*, key_id: str, actor=None) -> str:
    """The keyring text without KEK `key_id`; the caller writes it where the keyring lives.

    Raises KeyOperationRefused if it is the active KEK, not in the keyring, or still wraps a data key. When
    audit records MACed with its key are not yet vouched for by a checkpoint, the chain is verified and a
    checkpoint appended under the active key first (refused if the chain is broken), so audit_verify keeps
    working without the retired key.
    """
    current = keyring_text()
    ring = parse_keyring(current)
    if key_id not in ring:
        raise KeyOperationRefused(f"The keyring holds no key with id {key_id!r}.")
    if key_id == ring.active_id:
        raise KeyOperationRefused(f"{key_id!r} is the active KEK: add a new key and rotate first.")
    data_keys = kek_census().get(key_id, 0)
    if data_keys:
        raise KeyOperationRefused(f"{key_id!r} still wraps {data_keys} data key(s): run `vault_keys rotate` first.")
    head_uses_it = AuditChainHead.objects.filter(pk=1, key_id=key_id).exists()
    if head_uses_it or records_needing_key(key_id):
        try:
            audit_checkpoint(actor=actor, reason=f"retire kek:{key_id}")
        except AuditChainError as error:
            raise KeyOperationRefused(f"{key_id!r} cannot be retired: {error}") from error
    kept = [entry.strip() for entry in current.split(",") if entry.strip().partition(":")[0] != key_id]
    audit_record(action=AuditEvent.Action.KEY_RETIRE, actor=actor, target=f"kek:{key_id}", detail={"kek_id": key_id})
    return ",".join(kept)
