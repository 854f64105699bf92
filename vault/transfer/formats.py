"""Rendering exported secrets as nested JSON or as a `.env` file, refusing what a format cannot hold."""

import json
import re
from dataclasses import dataclass, field

from django.views.decorators.debug import sensitive_variables

from vault.transfer.parsers import NOTES_KEY

EXPORT_FORMATS = ("json", "env")
_ENV_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
_ENV_QUOTED = {"\\": "\\\\", '"': '\\"', "$": "\\$", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class ExportFormatError(Exception):
    """The secrets cannot be written in the chosen format (a name collision). Names paths, never values."""


@dataclass(frozen=True, slots=True)
class ExportedSecret:
    """The current version of one secret, in the clear, on its way into an export document."""

    path: str
    version: int
    fields: dict[str, str] = field(repr=False)
    notes: str = field(default="", repr=False)


@sensitive_variables("secrets", "tree", "node")
def render_json(secrets: list[ExportedSecret], *, folder: str = "") -> str:
    """Nested JSON, as parse_json reads it: folders are objects, a secret's fields are its string members.

    Paths are relative to `folder`. Notes ride under "#notes". A field whose name is also a sub-folder
    (secret `db` with a field `main` beside a secret `db/main`) cannot be written and is refused.
    """
    tree: dict = {}
    for secret in secrets:
        node = tree
        for segment in secret.path[len(folder) :].split("/"):
            child = node.setdefault(segment, {})
            if not isinstance(child, dict):
                raise ExportFormatError(
                    f"{secret.path} sits where another secret has a field of the same name; JSON cannot hold both."
                )
            node = child
        if NOTES_KEY in secret.fields:
            raise ExportFormatError(f"{secret.path} has a field named {NOTES_KEY}, which JSON exports reserve.")
        for name, value in [*secret.fields.items(), *([(NOTES_KEY, secret.notes)] if secret.notes else [])]:
            if isinstance(node.get(name), dict):
                raise ExportFormatError(f"{secret.path} has a field {name!r} and a sub-folder of the same name.")
            node[name] = value
    return json.dumps(tree, indent=2, ensure_ascii=False) + "\n"


def env_name(relative_path: str, field_name: str) -> str:
    """`db/main` + `password` → DB_MAIN_PASSWORD: upper-cased, every run of other characters one `_`."""
    name = _ENV_UNSAFE.sub("_", f"{relative_path}_{field_name}").strip("_").upper()
    return f"_{name}" if name[:1].isdigit() else name


def _env_quote(value: str) -> str:
    return '"' + "".join(_ENV_QUOTED.get(char, char) for char in value) + '"'


@sensitive_variables("secrets", "lines")
def render_env(secrets: list[ExportedSecret], *, folder: str = "") -> str:
    """A `.env` file: one PATH_FIELD variable per field, paths relative to `folder`, values double-quoted.

    Notes are not written (a .env has no place for them). Two fields that map to the same name are refused.
    """
    lines, origin = [], {}
    for secret in secrets:
        relative = secret.path[len(folder) :]
        lines.append(f"# {secret.path} (version {secret.version})")
        for field_name, value in secret.fields.items():
            name = env_name(relative, field_name)
            if not name:
                raise ExportFormatError(f"The field {field_name!r} of {secret.path} has no letters or digits.")
            if name in origin:
                raise ExportFormatError(
                    f"{name} would be written twice: by {origin[name]} and by {secret.path} ({field_name!r}). "
                    "Export as JSON, or rename one of them."
                )
            origin[name] = f"{secret.path} ({field_name!r})"
            lines.append(f"{name}={_env_quote(value)}")
    return "\n".join(lines) + "\n"
