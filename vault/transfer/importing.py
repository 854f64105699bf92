"""Importing secrets: a preview that classifies every row, then a commit that writes all rows or none.

Preview parses and validates with the vault's own rules, and classifies each path without decrypting
anything: new, exists (a new version will be written), duplicate (a later row with a path already seen:
not imported), or invalid. Password-like values that look weak are flagged. The rows and a fingerprint of
the affected paths (path → current version) go to the browser sealed (see preview.py); the commit refuses
when any of those paths changed since, and writes each row with check-and-set on the version it saw.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from accounts.services.audit import Action, Outcome, audit_record
from vault.models import DEFAULT_MOUNT, Secret
from vault.services import VaultError, secret_update
from vault.services.validation import path_normalize, version_clean
from vault.transfer import preview
from vault.transfer.errors import ImportRefused, ImportRowFailed, ImportTooLarge, PreviewStale
from vault.transfer.parsers import parse_file
from vault.transfer.rows import ImportFileError
from vault.transfer.weak import weak_fields

NEW, EXISTS, DUPLICATE, INVALID = "new", "exists", "duplicate", "invalid"
CREATED, UPDATED, SKIPPED = "created", "new version", "skipped"


@dataclass(slots=True)
class PreviewRow:
    """What the preview page shows for one row: names and markers, never values."""

    where: str
    path: str
    status: str
    reason: str = ""
    field_names: list[str] = field(default_factory=list)
    weak: list[tuple[str, str]] = field(default_factory=list)
    current_version: int = 0


@dataclass(slots=True)
class ImportPreview:
    kind: str
    rows: list[PreviewRow]
    token: str = ""

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)

    @property
    def committable(self) -> bool:
        return bool(self.token)

    @property
    def summary(self) -> dict[str, int]:
        counts = {status: self.count(status) for status in (NEW, EXISTS, DUPLICATE, INVALID)}
        return {**counts, "weak": sum(bool(row.weak) for row in self.rows)}


@dataclass(slots=True)
class ImportReport:
    kind: str
    rows: list[tuple[str, str, str]]  # (where, path, outcome)

    def count(self, outcome: str) -> int:
        return sum(row[2] == outcome for row in self.rows)

    @property
    def summary(self) -> dict[str, int]:
        return {"created": self.count(CREATED), "updated": self.count(UPDATED), "skipped": self.count(SKIPPED)}


def _existing(*, user, paths, lock: bool = False) -> dict[str, int]:
    secrets = Secret.objects.filter(owner=user, mount=DEFAULT_MOUNT, path__in=list(paths))
    if lock:
        secrets = secrets.select_for_update()
    return dict(secrets.values_list("path", "current_version"))


def _file_order(row: PreviewRow) -> tuple:
    """Rows located by line in line order; JSON rows (located by path) in path order."""
    kind, _, number = row.where.partition(" ")
    return (0, int(number), "") if kind == "line" and number.isdigit() else (1, 0, row.where)


@sensitive_variables("data", "parsed", "clean", "rows", "content")
def import_preview(*, user, data: bytes, kind: str, env_path: str = "") -> ImportPreview:
    """Parse and classify an uploaded file. ImportRefused (4xx) when the file as a whole is unusable.

    The preview carries a commit token only when no row is invalid: a file with errors changes nothing.
    """
    if len(data) > settings.VAULT_IMPORT_MAX_BYTES:
        raise ImportTooLarge(f"The file is larger than {settings.VAULT_IMPORT_MAX_BYTES} bytes, the import limit.")
    try:
        parsed = parse_file(data, kind=kind, env_path=env_path, max_rows=settings.VAULT_IMPORT_MAX_ROWS)
    except ImportFileError as error:
        raise ImportRefused(str(error)) from None
    shown = [PreviewRow(where=e.where, path=e.path, status=INVALID, reason=e.message) for e in parsed.errors]
    clean, seen = [], {}
    for row in parsed.rows:
        try:
            path = path_normalize(row.path)
            content = version_clean(fields=row.fields, notes=row.notes)
        except VaultError as error:
            shown.append(PreviewRow(where=row.where, path=row.path, status=INVALID, reason=str(error)))
            continue
        names = list(content.fields)
        if path in seen:
            first_where, first = seen[path]
            same = "same values" if first == content else "different values"
            reason = f"same path as {first_where} ({same}); not imported"
            shown.append(PreviewRow(where=row.where, path=path, status=DUPLICATE, reason=reason, field_names=names))
            continue
        seen[path] = (row.where, content)
        weak = weak_fields(content.fields.items())
        shown.append(PreviewRow(where=row.where, path=path, status=NEW, field_names=names, weak=weak))
        clean.append([row.where, path, list(content.fields.items()), content.notes])
    shown.sort(key=_file_order)
    existing = _existing(user=user, paths=seen)
    for row in shown:
        if row.status == NEW and row.path in existing:
            row.status, row.current_version = EXISTS, existing[row.path]
    result = ImportPreview(kind=kind, rows=shown)
    if clean and not any(row.status == INVALID for row in shown):
        payload = {"kind": kind, "rows": clean, "existing": existing, "duplicates": result.count(DUPLICATE)}
        result.token = preview.token_seal(user_id=user.pk, payload=payload)
    return result


def _audit_failure(*, user, request, kind: str, reason: str, **detail) -> None:
    audit_record(
        action=Action.SECRET_IMPORT,
        outcome=Outcome.FAILURE,
        actor=user,
        request=request,
        target=kind,
        detail={"format": kind, "reason": reason, **detail},
    )


@sensitive_variables("payload", "rows", "fields", "notes")
def import_commit(*, user, token: str, skip_existing: bool = False, request=None) -> ImportReport:
    """Write every row of a preview in one transaction, or nothing.

    PreviewInvalid for a token that is modified, expired or another user's; PreviewStale when any path of
    the preview was created, changed or deleted since; ImportRowFailed (naming the row) when one row is
    refused by the vault at write time. On success one SECRET_IMPORT event records the counts (the
    per-secret create/update events are written by secret_update as for any other write).
    """
    payload = preview.token_open(user_id=user.pk, token=token)
    kind, rows, expected = payload["kind"], payload["rows"], payload["existing"]
    report = ImportReport(kind=kind, rows=[])
    try:
        with transaction.atomic():
            if _existing(user=user, paths=[row[1] for row in rows], lock=True) != expected:
                raise PreviewStale("Your vault changed since the preview; review the import again.")
            for where, path, fields, notes in rows:
                if skip_existing and path in expected:
                    report.rows.append((where, path, SKIPPED))
                    continue
                try:
                    secret_update(
                        owner=user, path=path, fields=fields, notes=notes, cas=expected.get(path, 0), request=request
                    )
                except VaultError as error:
                    raise ImportRowFailed(str(error), where=where, path=path, status=error.status) from None
                report.rows.append((where, path, UPDATED if path in expected else CREATED))
            detail = {"format": kind, **report.summary, "duplicates": payload["duplicates"]}
            audit_record(action=Action.SECRET_IMPORT, actor=user, request=request, target=kind, detail=detail)
    except PreviewStale:
        _audit_failure(user=user, request=request, kind=kind, reason="vault changed since preview")
        raise
    except ImportRowFailed as error:
        _audit_failure(user=user, request=request, kind=kind, reason="row refused", row=error.where)
        raise
    return report
