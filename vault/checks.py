"""System checks that make the site refuse to start without a usable keyring or with an admin showing blobs."""

from django.conf import settings
from django.core.checks import Error, register
from django.db import models

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


# Stored blobs of secret versions. Plaintext is never in a model, but a blob in a page or form invites
# copying it between rows and leaks what exists; no admin may touch them.
ENCRYPTED_FIELDS = frozenset({"ciphertext", "wrapped_key"})
_NAME_OPTIONS = (
    "list_display",
    "list_display_links",
    "list_editable",
    "list_filter",
    "readonly_fields",
    "fields",
    "search_fields",
    "sortable_by",
    "raw_id_fields",
    "autocomplete_fields",
    "ordering",
)


def _names(value) -> list[str]:
    """Field-like names in an admin option, flattening tuples; callables and filter classes are skipped."""
    found = []
    for item in value or ():
        if isinstance(item, list | tuple):
            found += _names(item)
        elif isinstance(item, str):
            found.append(item.lstrip("-^=@"))
    return found


def _touches_blob(name: str) -> bool:
    # "secret__versions__ciphertext" in a search or filter reaches a blob through a relation.
    return any(part in ENCRYPTED_FIELDS for part in name.split("__"))


def admin_blob_exposures(admin_class, model) -> list[str]:
    """The options of `admin_class` (a ModelAdmin or inline) that would display, edit or search a blob."""
    problems = []
    for option in _NAME_OPTIONS:
        for name in _names(getattr(admin_class, option, None)):
            if _touches_blob(name):
                problems.append(f"{option} names {name!r}")
    for _title, options in getattr(admin_class, "fieldsets", None) or ():
        for name in _names(options.get("fields")):
            if _touches_blob(name):
                problems.append(f"fieldsets name {name!r}")
    # Without explicit fields the form takes every editable field not excluded.
    if getattr(admin_class, "fields", None) is None and getattr(admin_class, "fieldsets", None) is None:
        excluded = set(getattr(admin_class, "exclude", None) or ())
        for field in model._meta.get_fields():
            is_blob = isinstance(field, models.Field) and field.name in ENCRYPTED_FIELDS
            if is_blob and field.editable and field.name not in excluded:
                problems.append(f"the default form would edit {field.name!r} (list it in exclude)")
    return problems


def _has_blob(model) -> bool:
    return any(getattr(field, "name", None) in ENCRYPTED_FIELDS for field in model._meta.get_fields())


@register("vault", "admin")
def check_admin_hides_blobs(app_configs, site=None, **kwargs) -> list[Error]:
    """Error vault.E002 for any registered admin (or its inlines) that would show or edit a vault blob."""
    from django.contrib import admin

    site = site if site is not None else admin.site
    errors = []
    for model, model_admin in site._registry.items():
        targets = [(type(model_admin), model)] + [(inline, inline.model) for inline in model_admin.inlines]
        for admin_class, target_model in targets:
            if target_model._meta.app_label != "vault" and not _has_blob(target_model):
                continue
            for problem in admin_blob_exposures(admin_class, target_model):
                errors.append(
                    Error(
                        f"{admin_class.__qualname__} ({target_model._meta.label}): {problem}.",
                        hint="Vault admin pages show metadata only; remove ciphertext and wrapped_key.",
                        obj=admin_class,
                        id="vault.E002",
                    )
                )
    return errors
