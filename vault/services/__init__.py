"""Vault services: every write to secrets and every reveal goes through these functions."""

from vault.services.diff import VersionDiff, secret_diff
from vault.services.errors import (
    CheckAndSetMismatch,
    CheckAndSetRequired,
    InvalidFields,
    InvalidMetadata,
    InvalidPath,
    ReauthenticationFailed,
    ReauthenticationLocked,
    ReauthenticationRequired,
    RevealBudgetExceeded,
    RevealUnavailable,
    SecretExists,
    SecretNotFound,
    SecretTooLarge,
    VaultError,
    VersionNotFound,
    VersionUnavailable,
)
from vault.services.reauth import reveal_password_confirm, reveal_reauth_mark, session_authenticated_at
from vault.services.reveal import RevealedSecret, secret_reveal
from vault.services.rotation import secret_versions_rewrap
from vault.services.secrets import (
    secret_create,
    secret_delete_all,
    secret_metadata_update,
    secret_move,
    secret_restore_version,
    secret_update,
)
from vault.services.versions import secret_versions_delete, secret_versions_destroy, secret_versions_undelete

__all__ = [
    "CheckAndSetMismatch",
    "CheckAndSetRequired",
    "InvalidFields",
    "InvalidMetadata",
    "InvalidPath",
    "ReauthenticationFailed",
    "ReauthenticationLocked",
    "ReauthenticationRequired",
    "RevealBudgetExceeded",
    "RevealUnavailable",
    "RevealedSecret",
    "SecretExists",
    "SecretNotFound",
    "SecretTooLarge",
    "VaultError",
    "VersionDiff",
    "VersionNotFound",
    "VersionUnavailable",
    "reveal_password_confirm",
    "reveal_reauth_mark",
    "secret_create",
    "secret_delete_all",
    "secret_diff",
    "secret_metadata_update",
    "secret_move",
    "secret_restore_version",
    "secret_reveal",
    "secret_update",
    "secret_versions_delete",
    "secret_versions_destroy",
    "secret_versions_rewrap",
    "secret_versions_undelete",
    "session_authenticated_at",
]
