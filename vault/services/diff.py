"""Comparing two versions of a secret by field name, without handing out any value."""

from dataclasses import dataclass

from django.views.decorators.debug import sensitive_variables

from accounts.services.audit import Action, audit_record
from vault.services.lookup import secret_get, version_get
from vault.services.sealing import version_open


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """Field names added, removed and changed from version `a` to `b` (sorted), and whether notes changed."""

    a: int
    b: int
    added: list[str]
    removed: list[str]
    changed: list[str]
    notes_changed: bool


@sensitive_variables("old", "new")
def secret_diff(*, owner, path: str, a: int, b: int, request=None) -> VersionDiff:
    """Diff versions `a` and `b` of the owner's secret. Both are decrypted here and only names come back.

    VersionUnavailable if either is deleted or destroyed (a diff of hidden data would leak it). Audited, as
    it says whether values changed; not counted against the reveal budget and needing no fresh password,
    because no value leaves this function.
    """
    secret = secret_get(owner=owner, path=path)
    old = version_open(version=version_get(secret=secret, version=a), owner_id=secret.owner_id)
    new = version_open(version=version_get(secret=secret, version=b), owner_id=secret.owner_id)
    common = old.fields.keys() & new.fields.keys()
    audit_record(
        action=Action.SECRET_DIFF,
        actor=owner,
        request=request,
        target=secret.path,
        detail={"secret": secret.pk, "versions": [a, b]},
    )
    return VersionDiff(
        a=a,
        b=b,
        added=sorted(new.fields.keys() - old.fields.keys()),
        removed=sorted(old.fields.keys() - new.fields.keys()),
        changed=sorted(name for name in common if old.fields[name] != new.fields[name]),
        notes_changed=old.notes != new.notes,
    )
