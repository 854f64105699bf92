"""Vault service refusals as Vault's API states them, so clients raise the exceptions they raise against Vault."""

from vault.api.http import error_response
from vault.services.errors import (
    CheckAndSetMismatch,
    CheckAndSetRequired,
    MountExists,
    MountNotFound,
    RevealBudgetExceeded,
    SecretNotFound,
    VaultError,
    VersionNotFound,
    VersionUnavailable,
)

# Vault's exact texts, which clients and scripts match on.
CAS_MISMATCH = "check-and-set parameter did not match the current version"
CAS_REQUIRED = "check-and-set parameter required for this call"


def vault_error_response(error: VaultError):
    """The API response for a service refusal: Vault's status and text where Vault has one, else ours."""
    match error:
        case CheckAndSetMismatch():
            return error_response(400, [CAS_MISMATCH])
        case CheckAndSetRequired():
            return error_response(400, [CAS_REQUIRED])
        case SecretNotFound() | VersionNotFound() | VersionUnavailable() | MountNotFound():
            # Vault's 404 for a missing secret has an empty list; the message would add nothing.
            return error_response(404, [])
        case MountExists():
            return error_response(400, [str(error)])
        case RevealBudgetExceeded():
            return error_response(429, [str(error)], {"Retry-After": str(error.retry_after)})
    headers = {"Retry-After": str(error.retry_after)} if hasattr(error, "retry_after") else None
    # Other refusals keep their status: 400 bad input, 413 too large, 503 budget unavailable.
    return error_response(error.status if error.status != 409 else 400, [str(error)], headers)
