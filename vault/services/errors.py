"""Vault errors: each carries a message that can be shown to the user as is (no values, no key material)."""


class VaultError(Exception):
    """Base of every refusal by a vault service. `str(error)` is safe to show; `status` suggests an HTTP code."""

    status = 400


class InvalidPath(VaultError):
    """The path is empty, too long, or looks like traversal (`..`, `//`, a leading `/`, control characters)."""


class InvalidFields(VaultError):
    """A field name is empty, too long, repeated or not text, or a value is not valid text."""


class SecretTooLarge(VaultError):
    """The version is over VAULT_MAX_SECRET_BYTES."""

    status = 413


class InvalidSearch(VaultError):
    """A search or listing parameter that cannot match anything (control characters)."""


class InvalidMetadata(VaultError):
    """Tags, custom metadata or max_versions are outside their limits."""


class SecretNotFound(VaultError):
    """No secret at that path for this user (also what another user's secret looks like)."""

    status = 404


class SecretExists(VaultError):
    """A create or move targets a path that is already taken."""

    status = 409


class VersionNotFound(VaultError):
    """No such version (never written, or pruned by max_versions)."""

    status = 404


class VersionUnavailable(VaultError):
    """The version is soft-deleted or destroyed, so its data cannot be read."""

    status = 404


class CheckAndSetMismatch(VaultError):
    """`cas` does not match the current version: the write was based on a stale copy."""

    status = 409


class CheckAndSetRequired(VaultError):
    """The secret has cas_required and the write gave no `cas`."""


class ReauthenticationRequired(VaultError):
    """The last password or two-factor check is too old for a reveal; the UI asks for the password."""

    status = 401


class ReauthenticationFailed(VaultError):
    """The password given to confirm a reveal is wrong (the attempt is counted and audited)."""

    status = 400


class RetryLater(VaultError):
    """A refusal that lifts by itself: `retry_after` is the wait in seconds (an HTTP 429 with Retry-After)."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ReauthenticationLocked(RetryLater):
    """Too many wrong confirmations: the account may not confirm again for `retry_after` seconds."""


class RevealBudgetExceeded(RetryLater):
    """The user revealed too many distinct secrets this hour. `retry_after` is in seconds."""


class RevealUnavailable(VaultError):
    """The reveal budget cannot be checked (cache down) or the reveal recorded (audit write failed): fail closed."""

    status = 503


class MountNotFound(VaultError):
    """The user has no mount at that path."""

    status = 404


class MountExists(VaultError):
    """A mount is being created where the user already has one."""


class InvalidMount(VaultError):
    """A mount path that is malformed, reserved, or a change that mounts do not allow."""
