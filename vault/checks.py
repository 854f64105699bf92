"""System checks that make the site refuse to start without a usable vault keyring."""

from django.conf import settings
from django.core.checks import Error, register

from vault.crypto.keyring import KeyringError, parse_keyring


@register("vault", deploy=False)
def check_keyring(app_configs, **kwargs) -> list[Error]:
    """Error vault.E001 when VAULT_KEYS does not parse: no keyring, no secrets (fail closed)."""
    try:
        parse_keyring(getattr(settings, "VAULT_KEYS", None))
    except KeyringError as exc:
        return [
            Error(
                f"The vault keyring is unusable: {exc}",
                hint="Set VAULT_KEYS (or VAULT_KEYS_FILE) to comma-separated id:base64 entries of 32-byte keys, "
                "the active key first.",
                id="vault.E001",
            )
        ]
    return []
