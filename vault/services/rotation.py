"""Online key rotation: re-wrap data keys under the active KEK in small batches, without touching values."""

import logging

from django.db import connection, transaction

from vault.crypto import DecryptError, keyring, rewrap_many, row_aad
from vault.models import SecretVersion

logger = logging.getLogger(__name__)


def _batch(*, to_kek: str, after_id: int, batch_size: int) -> list[SecretVersion]:
    rows = (
        SecretVersion.objects.filter(destroyed=False, wrapped_key__isnull=False, id__gt=after_id)
        .exclude(kek_id=to_kek)
        .select_related("secret")
        .only("id", "version", "wrapped_key", "kek_id", "secret__owner_id", "secret__id")
        .order_by("id")
    )
    features = connection.features
    if features.has_select_for_update:
        # Other workers take other rows; writers of the secret itself are never blocked by the join.
        rows = rows.select_for_update(
            skip_locked=features.has_select_for_update_skip_locked,
            of=("self",) if features.has_select_for_update_of else (),
        )
    return list(rows[:batch_size])


def secret_versions_rewrap_batch(*, to_kek: str, after_id: int = 0, batch_size: int = 500) -> tuple[int, int | None]:
    """Re-wrap one batch of data keys (ids above `after_id`) under `to_kek`, in one transaction.

    Returns (how many were re-wrapped, the cursor to pass as `after_id` next) or (0, None) when nothing is
    left. Safe to repeat: a batch that did not commit is simply selected again. Raises UnknownKeyError if
    `to_kek` is not in the keyring.
    """
    ring = keyring()
    ring.cipher(to_kek)  # UnknownKeyError before any work
    with transaction.atomic():
        rows = _batch(to_kek=to_kek, after_id=after_id, batch_size=batch_size)
        if not rows:
            return 0, None
        items = [(row.wrapped_key, row_aad(row.secret.owner_id, row.secret.id, row.version)) for row in rows]
        results = rewrap_many(items, to_kek=to_kek, ring=ring)
        changed = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, DecryptError):
                logger.error("rewrap skipped secret version %s: its data key does not open", row.pk)
                continue
            row.wrapped_key, row.kek_id = result, to_kek
            changed.append(row)
        SecretVersion.objects.bulk_update(changed, ["wrapped_key", "kek_id"])
    return len(changed), rows[-1].pk


def secret_versions_rewrap(*, batch_size: int = 500, to_kek: str | None = None) -> int:
    """Re-wrap every data key not yet under `to_kek` (default: the active KEK); returns how many were re-wrapped.

    Idempotent and resumable: rows already under the target are never selected, each batch commits on its
    own, and a crash loses at most the batch in flight. A row that does not open (tampered, unknown KEK) is
    logged by id and skipped, so one bad row cannot stall a rotation; census still counts it.
    Raises UnknownKeyError if `to_kek` is not in the keyring.
    """
    target = keyring().active_id if to_kek is None else to_kek
    done, after_id = 0, 0
    while True:
        count, cursor = secret_versions_rewrap_batch(to_kek=target, after_id=after_id, batch_size=batch_size)
        if cursor is None:
            return done
        done, after_id = done + count, cursor
