"""Exporting secrets: the current version of every secret in scope, as JSON or .env, optionally encrypted.

Exporting reads every value, so it needs the account password in the same request (not only a recent
sign-in) and is audited as one SECRET_EXPORT event, written before anything is decrypted. It does not
count against the hourly reveal budget: that budget limits what a hijacked but unconfirmed session can
read one secret at a time, and an export has just proved the password; counting each secret would make
any vault larger than the budget impossible to back up. Deleted or destroyed current versions are skipped.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.services.audit import Action, Outcome, audit_record
from vault.crypto import DecryptError
from vault.models import DEFAULT_MOUNT, SecretVersion
from vault.services.errors import ReauthenticationLocked
from vault.services.reauth import password_recheck, reauth_locked_error
from vault.services.sealing import version_open
from vault.services.validation import folder_normalize
from vault.transfer import envelope
from vault.transfer.errors import ExportPasswordWrong, ExportRefused
from vault.transfer.formats import ExportedSecret, ExportFormatError, render_env, render_json

ENCRYPTIONS = ("none", "passphrase", "recipient")
MIN_PASSPHRASE_LENGTH = 12


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A finished export: what the browser downloads. `data` is plaintext when `encryption` is "none"."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)
    count: int
    encryption: str


def _exportable(*, user, folder: str):
    """Current versions in scope that still hold data, with their secrets, in path order (no blobs read twice)."""
    versions = SecretVersion.objects.filter(
        secret__owner=user,
        secret__mount=DEFAULT_MOUNT,
        version=F("secret__current_version"),
        deleted_at__isnull=True,
        destroyed=False,
    )
    if folder:
        versions = versions.filter(secret__path__startswith=folder)
    return versions.select_related("secret").order_by("secret__path")


def _refuse(*, user, request, reason: str, detail: dict, message: str, outcome=Outcome.DENIED) -> ExportRefused:
    audit_record(
        action=Action.SECRET_EXPORT, outcome=outcome, actor=user, request=request, detail={**detail, "reason": reason}
    )
    return ExportRefused(message)


@sensitive_variables("password", "passphrase", "secrets", "document", "data")
def secrets_export(
    *,
    user,
    password: str,
    folder: str = "",
    fmt: str = "json",
    encryption: str = "none",
    passphrase: str = "",
    recipient: str = "",
    request=None,
) -> ExportFile:
    """Export `user`'s secrets under `folder` (all when empty). ExportRefused, audited, when the password is
    wrong, the recipient key is unusable, the passphrase too short or the format cannot hold the secrets."""
    folder = folder_normalize(folder)
    if fmt not in ("json", "env") or encryption not in ENCRYPTIONS:
        raise ExportRefused("Choose a format and an encryption.")
    detail = {"scope": folder or "(all)", "format": fmt, "encryption": encryption}
    try:
        right, lockout = password_recheck(user=user, password=password)
    except ReauthenticationLocked:
        _refuse(user=user, request=request, reason="password locked", detail=detail, message="")
        raise
    if not right:
        _refuse(user=user, request=request, reason="wrong password", detail=detail, message="")
        if lockout:
            raise reauth_locked_error(lockout)
        raise ExportPasswordWrong("That password is not right.")
    if encryption == "passphrase" and len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise ExportRefused(f"Use a passphrase of at least {MIN_PASSPHRASE_LENGTH} characters.")
    if encryption == "recipient":
        try:
            envelope.public_key_parse(recipient)
        except envelope.EnvelopeError as error:
            raise ExportRefused(str(error)) from None
    try:
        with transaction.atomic():
            versions = list(_exportable(user=user, folder=folder))
            # The record comes first and commits with the decrypts: no plaintext leaves without it.
            audit_record(
                action=Action.SECRET_EXPORT, actor=user, request=request, detail={**detail, "count": len(versions)}
            )
            secrets = []
            for version in versions:
                content = version_open(version=version, owner_id=user.pk)
                secrets.append(ExportedSecret(version.secret.path, version.version, content.fields, content.notes))
            document = (render_json if fmt == "json" else render_env)(secrets, folder=folder)
    except ExportFormatError as error:
        raise _refuse(user=user, request=request, reason="format", detail=detail, message=str(error)) from None
    except DecryptError:
        # The success record rolled back with the transaction; record what really happened.
        message = "A secret could not be decrypted (its stored data failed authentication); nothing was exported."
        raise _refuse(
            user=user, request=request, reason="decrypt failed", detail=detail, message=message, outcome=Outcome.FAILURE
        ) from None
    data = document.encode("utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    name, content_type = f"keyhold-export-{stamp}.{fmt}", "application/json" if fmt == "json" else "text/plain"
    if encryption == "passphrase":
        data = envelope.encrypt_to_passphrase(data, passphrase=passphrase, content=fmt)
    elif encryption == "recipient":
        data = envelope.encrypt_to_recipient(data, recipient=recipient, content=fmt)
    if encryption != "none":
        name, content_type = f"{name}.keyhold", "application/octet-stream"
    return ExportFile(filename=name, content_type=content_type, data=data, count=len(secrets), encryption=encryption)
