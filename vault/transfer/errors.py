"""Refusals of an import or export, each with a message that can be shown as is (no values, no keys)."""

from vault.services.errors import VaultError


class ImportRefused(VaultError):
    """The file cannot be imported at all (unreadable, too large, too many rows, rows with errors)."""


class ImportTooLarge(ImportRefused):
    status = 413


class PreviewInvalid(VaultError):
    """The preview token is not one we issued to this user, was modified, or has expired."""


class PreviewStale(VaultError):
    """The vault changed between the preview and the commit."""

    status = 409


class ImportRowFailed(VaultError):
    """One row could not be written at commit, so nothing was. `where` and `path` locate it."""

    def __init__(self, message: str, *, where: str, path: str, status: int = 400) -> None:
        super().__init__(message)
        self.where = where
        self.path = path
        self.status = status


class ExportRefused(VaultError):
    """The export was not made: wrong password, unusable recipient key, or a format collision."""


class ExportPasswordWrong(ExportRefused):
    """The account password given with the export is not right."""
