"""Revealing a secret version: the only path by which plaintext leaves the vault, always recorded before it does."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.services.audit import Action, Outcome, audit_record
from vault.crypto import DecryptError
from vault.models import DEFAULT_MOUNT
from vault.services.budget import reveal_budget_take
from vault.services.errors import RevealBudgetExceeded, RevealUnavailable, VersionUnavailable
from vault.services.lookup import version_for_read
from vault.services.reauth import reauth_check
from vault.services.sealing import version_open
from vault.services.secrets import mount_detail

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RevealedSecret:
    """The plaintext of one version. Its repr omits values, so it is safe if it ends up in a log line."""

    path: str
    version: int
    fields: dict[str, str] = field(repr=False)
    notes: str = field(default="", repr=False)
    secret_id: int = 0
    created: datetime | None = None
    # When delete_version_after will make it read as deleted; None: never.
    deletion_due: datetime | None = None
    # The secret's custom metadata (never values), which KV v2 returns beside the data.
    custom_metadata: dict = field(default_factory=dict)


@sensitive_variables("content")
def secret_reveal(
    *,
    user,
    path: str,
    authenticated_at: float | None,
    version: int | None = None,
    mount: str = DEFAULT_MOUNT,
    request=None,
) -> RevealedSecret:
    """Decrypt version `version` (default: current) of `user`'s secret at `path`.

    `authenticated_at` is when this user last proved their identity (epoch seconds; see
    vault.services.reauth.session_authenticated_at). In order, the caller can rely on:
    ReauthenticationRequired when that is older than VAULT_REVEAL_REAUTH_SECONDS; SecretNotFound /
    VersionNotFound / VersionUnavailable (deleted, destroyed, or past delete_version_after);
    RevealBudgetExceeded past the hourly budget (audited as denied); a tampered or moved blob raises
    DecryptError (audited as a failure). Only then is the success record written, and if it cannot be,
    RevealUnavailable is raised and the plaintext, held in this frame alone, is never returned.
    """
    reauth_check(authenticated_at=authenticated_at)
    stored = version_for_read(owner=user, path=path, version=version, mount=mount)
    deletion_due = stored.created + timedelta(seconds=stored.delete_after) if stored.delete_after else None
    # delete_version_after (KV v2): past it, the version reads as deleted, though no row has changed yet.
    if deletion_due is not None and deletion_due <= timezone.now() and not stored.destroyed:
        raise VersionUnavailable(f"Version {stored.version} is deleted (delete_version_after has passed).")
    detail = {"secret": stored.secret_id, **mount_detail(mount), "version": stored.version}

    def record(outcome: str, reason: str | None = None) -> None:
        extra = {"reason": reason} if reason else {}
        audit_record(
            action=Action.SECRET_REVEAL,
            outcome=outcome,
            actor=user,
            request=request,
            target=stored.secret_path,
            detail={**detail, **extra},
        )

    try:
        reveal_budget_take(user=user, secret_id=stored.secret_id)
    except RevealBudgetExceeded:
        record(Outcome.DENIED, "reveal budget")
        raise
    try:
        content = version_open(version=stored, owner_id=user.pk)
    except DecryptError:
        record(Outcome.FAILURE, "decrypt failed")
        raise
    # Decrypted first and recorded second, so the record is one short transaction of its own and a failed
    # decrypt never needs a success record rolled back; nothing leaves this function before the record.
    try:
        record(Outcome.SUCCESS)
    except DatabaseError as error:
        # Fail closed with a clear 503 rather than a 500 and a traceback; the database's message stays out
        # of the log line, since a failing INSERT may echo the row.
        logger.error("reveal refused: its audit record could not be written (%s)", type(error).__name__)
        raise RevealUnavailable("Revealing is unavailable right now; try again in a moment.") from None
    return RevealedSecret(
        path=stored.secret_path,
        version=stored.version,
        fields=content.fields,
        notes=content.notes,
        secret_id=stored.secret_id,
        created=stored.created,
        deletion_due=deletion_due,
        custom_metadata=stored.custom_metadata,
    )
