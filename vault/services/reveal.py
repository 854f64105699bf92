"""Revealing a secret version: the only path by which plaintext leaves the vault, always audited first."""

from dataclasses import dataclass, field

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from accounts.services.audit import Action, Outcome, audit_record
from vault.crypto import DecryptError
from vault.services.budget import reveal_budget_take
from vault.services.errors import RevealBudgetExceeded
from vault.services.lookup import secret_get, version_get
from vault.services.reauth import reauth_check
from vault.services.sealing import version_open


@dataclass(frozen=True, slots=True)
class RevealedSecret:
    """The plaintext of one version. Its repr omits values, so it is safe if it ends up in a log line."""

    path: str
    version: int
    fields: dict[str, str] = field(repr=False)
    notes: str = field(default="", repr=False)


@sensitive_variables("content")
def secret_reveal(
    *, user, path: str, authenticated_at: float | None, version: int | None = None, request=None
) -> RevealedSecret:
    """Decrypt version `version` (default: current) of `user`'s secret at `path`.

    `authenticated_at` is when this user last proved their identity (epoch seconds; see
    vault.services.reauth.session_authenticated_at). In order, the caller can rely on:
    ReauthenticationRequired when that is older than VAULT_REVEAL_REAUTH_SECONDS; SecretNotFound /
    VersionNotFound / VersionUnavailable (deleted or destroyed); RevealBudgetExceeded past the hourly budget
    (audited as denied); then the audit record is written in the same transaction as the decrypt, and
    if it cannot be written the exception propagates and no plaintext is returned. A tampered or moved blob
    raises DecryptError (audited as a failure).
    """
    reauth_check(authenticated_at=authenticated_at)
    secret = secret_get(owner=user, path=path)
    stored = version_get(secret=secret, version=version)
    detail = {"secret": secret.pk, "version": stored.version}

    def record(outcome: str, reason: str | None = None) -> None:
        extra = {"reason": reason} if reason else {}
        audit_record(
            action=Action.SECRET_REVEAL,
            outcome=outcome,
            actor=user,
            request=request,
            target=secret.path,
            detail={**detail, **extra},
        )

    try:
        reveal_budget_take(user=user, secret_id=secret.pk)
    except RevealBudgetExceeded:
        record(Outcome.DENIED, "reveal budget")
        raise
    try:
        with transaction.atomic():
            # The record comes first: if it fails, we never decrypt (no plaintext without a record).
            record(Outcome.SUCCESS)
            content = version_open(version=stored, owner_id=secret.owner_id)
    except DecryptError:
        # The success record rolled back with the transaction; record what really happened.
        record(Outcome.FAILURE, "decrypt failed")
        raise
    return RevealedSecret(path=secret.path, version=stored.version, fields=content.fields, notes=content.notes)
