"""JSON merge patch of a secret's fields (KV v2 PATCH): a reveal of the current version, then a new version."""

from collections.abc import Mapping

from django.views.decorators.debug import sensitive_variables

from vault.models import DEFAULT_MOUNT, SecretVersion
from vault.services.errors import CheckAndSetMismatch
from vault.services.reveal import secret_reveal
from vault.services.secrets import secret_update


@sensitive_variables("patch", "current", "merged")
def secret_patch(
    *,
    user,
    path: str,
    patch: Mapping[str, str | None],
    authenticated_at: float | None,
    cas: int | None = None,
    mount: str = DEFAULT_MOUNT,
    request=None,
) -> SecretVersion:
    """Apply an RFC 7386 merge patch to the current fields (a null removes a field) and write the result.

    The current version is read through secret_reveal (audited, counted against the reveal budget, refused
    when deleted or destroyed), and the write is checked against that version, so a concurrent write makes
    this one fail with CheckAndSetMismatch rather than be silently overwritten. Notes are kept.
    """
    current = secret_reveal(user=user, path=path, authenticated_at=authenticated_at, mount=mount, request=request)
    if cas is not None and cas != current.version:
        raise CheckAndSetMismatch("The secret changed since the version given in cas.")
    merged = dict(current.fields)
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return secret_update(
        owner=user, path=path, fields=merged, notes=current.notes, cas=current.version, mount=mount, request=request
    )
