"""App configuration for vault."""

from django.apps import AppConfig
from django.core.signals import setting_changed


def _keyring_setting_changed(*, setting: str, **kwargs) -> None:
    """Drop the cached keyring when VAULT_KEYS changes (override_settings in tests)."""
    if setting == "VAULT_KEYS":
        from vault.crypto import reload_keyring

        reload_keyring()


class VaultConfig(AppConfig):
    name = "vault"

    def ready(self) -> None:
        from accounts.services import auditchain
        from vault import checks  # noqa: F401  (registers the keyring check)
        from vault.crypto import audit_key

        # accounts must not import vault, so the vault hands its audit MAC keys to the chain.
        auditchain.register_key_provider(audit_key)
        setting_changed.connect(_keyring_setting_changed, dispatch_uid="vault.keyring.reload")
