"""Checks on everything a caller hands the vault: paths, fields, notes, tags and custom metadata."""

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings

from vault.models import PATH_MAX_LENGTH
from vault.services.errors import InvalidFields, InvalidMetadata, InvalidPath, SecretTooLarge

FIELD_NAME_MAX_LENGTH = 128
MAX_FIELDS = 200
MAX_TAGS = 32
TAG_MAX_LENGTH = 64
# HashiCorp Vault's custom_metadata limits, so the KV v2 API accepts what Vault accepts.
METADATA_MAX_KEYS = 64
METADATA_KEY_MAX_BYTES = 128
METADATA_VALUE_MAX_BYTES = 512
MAX_VERSIONS_LIMIT = 1000


def _has_control(text: str) -> bool:
    # Cc (C0/C1 controls) and Cf (bidi overrides, zero-width) make paths and names that look like others.
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def _is_text(value: object) -> bool:
    """A str that encodes as UTF-8 (no lone surrogates, which JSON and PostgreSQL would choke on)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def path_normalize(path: object) -> str:
    """The canonical form of a secret path (NFC), or InvalidPath. Nothing is silently rewritten but Unicode form."""
    if not _is_text(path):
        raise InvalidPath("The path must be text.")
    path = unicodedata.normalize("NFC", path)
    if not path:
        raise InvalidPath("The path is empty.")
    if len(path) > PATH_MAX_LENGTH:
        raise InvalidPath(f"The path is longer than {PATH_MAX_LENGTH} characters.")
    if _has_control(path):
        raise InvalidPath("The path contains control characters.")
    if "\\" in path:
        raise InvalidPath("Use / to separate folders; backslashes are not allowed in paths.")
    if path.startswith("/"):
        raise InvalidPath("The path must not start with /.")
    if path.endswith("/"):
        raise InvalidPath("The path names a folder; add the secret's name after the last /.")
    if "//" in path:
        raise InvalidPath("The path contains an empty folder (//).")
    for segment in path.split("/"):
        if segment in (".", ".."):
            raise InvalidPath("The path must not contain . or .. segments.")
        if segment != segment.strip():
            raise InvalidPath("Folder and secret names must not start or end with spaces.")
    return path


def folder_normalize(prefix: object) -> str:
    """A folder prefix for browsing: "" (the root) or a normalized path ending in "/"."""
    if prefix in (None, ""):
        return ""
    if not isinstance(prefix, str):
        raise InvalidPath("The folder must be text.")
    return path_normalize(prefix.rstrip("/")) + "/"


@dataclass(frozen=True, slots=True)
class CleanVersion:
    """Validated content of one version: fields by NFC name, notes, and the names alone."""

    fields: dict[str, str]
    notes: str

    @property
    def field_names(self) -> list[str]:
        return sorted(self.fields)


def version_clean(*, fields: Mapping[str, str] | Iterable[tuple[str, str]], notes: str = "") -> CleanVersion:
    """Validate fields (a mapping, or (name, value) pairs so repeats can be seen) and notes.

    Raises InvalidFields or SecretTooLarge; the messages name fields, never values.
    """
    pairs = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
    if len(pairs) > MAX_FIELDS:
        raise InvalidFields(f"A secret holds at most {MAX_FIELDS} fields.")
    clean: dict[str, str] = {}
    size = 0
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidFields("Fields must be name/value pairs.")
        name, value = pair
        if not _is_text(name):
            raise InvalidFields("Field names must be valid text.")
        name = unicodedata.normalize("NFC", name)
        if not name.strip():
            raise InvalidFields("A field name is empty.")
        if len(name) > FIELD_NAME_MAX_LENGTH:
            raise InvalidFields(f"Field names are at most {FIELD_NAME_MAX_LENGTH} characters.")
        if _has_control(name) or name != name.strip():
            raise InvalidFields("Field names must not contain control characters or surrounding spaces.")
        if name in clean:
            raise InvalidFields(f"The field name {name!r} is used twice.")
        if not _is_text(value):
            raise InvalidFields(f"The value of field {name!r} is not valid text.")
        clean[name] = value
        size += len(name.encode()) + len(value.encode())
    if not clean:
        raise InvalidFields("A secret needs at least one field.")
    if not _is_text(notes):
        raise InvalidFields("The notes are not valid text.")
    size += len(notes.encode())
    if size > settings.VAULT_MAX_SECRET_BYTES:
        raise SecretTooLarge(f"The secret is over the limit of {settings.VAULT_MAX_SECRET_BYTES} bytes.")
    return CleanVersion(fields=clean, notes=notes)


def tags_clean(tags: Iterable[str] | None) -> list[str]:
    """Tags de-duplicated and sorted, lower-cased so search and filters match regardless of case."""
    if tags is None:
        return []
    if isinstance(tags, str):
        raise InvalidMetadata("Tags must be a list.")
    clean = set()
    for tag in tags:
        if not _is_text(tag) or not tag.strip():
            raise InvalidMetadata("Tags must be non-empty text.")
        tag = unicodedata.normalize("NFC", tag.strip().lower())
        if len(tag) > TAG_MAX_LENGTH or _has_control(tag) or "\n" in tag:
            raise InvalidMetadata(f"Tags are at most {TAG_MAX_LENGTH} characters, without control characters.")
        clean.add(tag)
    if len(clean) > MAX_TAGS:
        raise InvalidMetadata(f"A secret has at most {MAX_TAGS} tags.")
    return sorted(clean)


def metadata_clean(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Custom metadata within Vault's limits (64 keys, key ≤128 bytes, value ≤512 bytes, strings only)."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidMetadata("Custom metadata must be an object of strings.")
    if len(metadata) > METADATA_MAX_KEYS:
        raise InvalidMetadata(f"Custom metadata holds at most {METADATA_MAX_KEYS} keys.")
    for key, value in metadata.items():
        if not _is_text(key) or not key or len(key.encode()) > METADATA_KEY_MAX_BYTES:
            raise InvalidMetadata(f"Custom metadata keys are 1 to {METADATA_KEY_MAX_BYTES} bytes of text.")
        if not _is_text(value) or len(value.encode()) > METADATA_VALUE_MAX_BYTES:
            raise InvalidMetadata(f"Custom metadata values are text of at most {METADATA_VALUE_MAX_BYTES} bytes.")
    return dict(metadata)


# A year: far beyond any sensible automatic deletion, and a small integer of seconds on every database.
DELETE_AFTER_LIMIT = 366 * 24 * 3600


def delete_after_clean(seconds: object) -> int:
    """delete_version_after in whole seconds, 0 (never) to DELETE_AFTER_LIMIT."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= DELETE_AFTER_LIMIT:
        raise InvalidMetadata(f"delete_version_after must be 0 to {DELETE_AFTER_LIMIT} seconds.")
    return seconds


def max_versions_clean(max_versions: int | None) -> int | None:
    if max_versions is None:
        return None
    if (
        isinstance(max_versions, bool)
        or not isinstance(max_versions, int)
        or not 1 <= max_versions <= MAX_VERSIONS_LIMIT
    ):
        raise InvalidMetadata(f"max_versions must be between 1 and {MAX_VERSIONS_LIMIT}.")
    return max_versions
