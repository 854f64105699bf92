"""Reads configuration from the environment, with `NAME_FILE` variants for Docker secrets."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def read(name: str, default: str | None = None) -> str | None:
    """Return `name` from the environment, or the contents of the file named by `name_FILE`.

    Setting both is refused: silently preferring one would hide a deployment mistake.
    """
    file_name = os.environ.get(f"{name}_FILE")
    if file_name and name in os.environ:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name:
        try:
            # Secret files usually end with a newline that is not part of the value.
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name} cannot be read: {exc.strerror}") from None
    return os.environ.get(name, default)


def read_bool(name: str, default: bool) -> bool:
    value = read(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def read_int(name: str, default: int) -> int:
    value = read(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def read_list(name: str, default: list[str]) -> list[str]:
    value = read(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
