"""Parsers for `.env`, nested JSON and Bitwarden CSV files into plain rows, with located, value-free errors."""

import csv
import io
import json
import re

from vault.transfer.rows import ImportFileError, ImportRow, ParsedFile, RowError

FORMATS = ("env", "json", "bitwarden")
# In JSON a secret's notes ride beside its fields under this key (see docs/export-format.md).
NOTES_KEY = "#notes"
BITWARDEN_HEADER = [
    "folder", "favorite", "type", "name", "notes", "fields", "reprompt",
    "login_uri", "login_username", "login_password", "login_totp",
]  # fmt: skip
BITWARDEN_LOGIN_FIELDS = (("login_username", "username"), ("login_password", "password"),
                          ("login_uri", "uri"), ("login_totp", "totp"))  # fmt: skip
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ENV_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


def file_text(data: bytes) -> str:
    """The file as text: UTF-8 (a byte-order mark is dropped), or ImportFileError for binary or other encodings."""
    if b"\x00" in data:
        raise ImportFileError("The file looks binary (it contains NUL bytes); upload a text file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(f"The file is not valid UTF-8 (line {line}); save it as UTF-8 and try again.") from None


def _too_many(count: int, max_rows: int) -> None:
    if count > max_rows:
        raise ImportFileError(f"The file holds more than {max_rows} secrets, the limit for one import.")


def _env_double_quoted(lines: list[str], start: int, rest: str) -> tuple[str, int, str]:
    """Read a double-quoted value that may span lines. Returns (value, last line index, text after the quote)."""
    out, index, text = [], start, rest
    while True:
        position = 0
        while position < len(text):
            char = text[position]
            if char == "\\" and position + 1 < len(text):
                following = text[position + 1]
                # Unknown escapes stay as written, as python-dotenv and docker compose do.
                out.append(_ENV_ESCAPES.get(following, "\\" + following))
                position += 2
                continue
            if char == '"':
                return "".join(out), index, text[position + 1 :]
            out.append(char)
            position += 1
        index += 1
        if index >= len(lines):
            raise ValueError("the quoted value is never closed")
        out.append("\n")
        text = lines[index]


def _env_value(lines: list[str], index: int, raw: str) -> tuple[str, int]:
    raw = raw.lstrip()
    if raw.startswith('"'):
        value, index, after = _env_double_quoted(lines, index, raw[1:])
    elif raw.startswith("'"):
        closing = raw.find("'", 1)
        if closing < 0:
            raise ValueError("the quoted value is never closed")
        value, after = raw[1:closing], raw[closing + 1 :]
    else:
        # An unquoted value ends at a comment, which needs a space before its # (so a#b stays whole).
        return re.split(r"\s#", raw, maxsplit=1)[0].strip(), index
    if after.strip() and not after.strip().startswith("#"):
        raise ValueError("there is text after the closing quote")
    return value, index


def parse_env(text: str, *, path: str, max_rows: int) -> ParsedFile:
    """A `.env` file as one secret at `path`, one field per variable (comments, `export `, quotes, escapes)."""
    parsed = ParsedFile()
    fields: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    # Only \n and \r\n end lines: str.splitlines would also split values at \x0c, \x1e or U+2028.
    lines = text.replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines):
        number, line = index + 1, lines[index].strip()
        index += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        name, equals, raw = line.partition("=")
        name = name.strip()
        if not equals or not _ENV_NAME.fullmatch(name):
            parsed.errors.append(RowError(f"line {number}", "expected NAME=value (letters, digits, _ . - in NAME)"))
            continue
        try:
            value, last = _env_value(lines, index - 1, raw)
        except ValueError as error:
            parsed.errors.append(RowError(f"line {number}", f"{name}: {error}", path))
            break
        index = last + 1
        if name in seen:
            parsed.errors.append(RowError(f"line {number}", f"{name} is already set on line {seen[name]}", path))
            continue
        seen[name] = number
        fields.append((name, value))
    if fields:
        parsed.rows.append(ImportRow(where="whole file", path=path, fields=fields))
    elif not parsed.errors:
        raise ImportFileError("The file sets no variables.")
    return parsed


class _Pairs(list):
    """A JSON object as its (key, value) pairs in file order, so repeated keys are seen instead of overwritten."""


def _json_scalar(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def _json_walk(pairs: _Pairs, prefix: str, parsed: ParsedFile, max_rows: int) -> None:
    where = prefix.rstrip("/") or "(top level)"
    fields: list[tuple[str, str]] = []
    notes, names, folders = "", set(), set()
    problems = []
    for key, value in pairs:
        if isinstance(value, _Pairs):
            if key in folders:
                problems.append(f"the object {key!r} appears twice")
            folders.add(key)
            _json_walk(value, f"{prefix}{key}/", parsed, max_rows)
            continue
        text = _json_scalar(value)
        if text is None:
            problems.append(f"{key!r}: {'null' if value is None else 'an array'} is not a field value")
        elif key in names:
            problems.append(f"the field name {key!r} is used twice")
        elif key == NOTES_KEY:
            notes = text
        else:
            fields.append((key, text))
        names.add(key)
    if problems:
        parsed.errors.append(RowError(where, "; ".join(problems), prefix.rstrip("/")))
    if not fields and not notes:
        return
    if not prefix:
        parsed.errors.append(RowError(where, "values at the top level need a path: put them inside an object"))
        return
    parsed.rows.append(ImportRow(where=where, path=prefix.rstrip("/"), fields=fields, notes=notes))
    _too_many(len(parsed.rows), max_rows)


def parse_json(text: str, *, max_rows: int) -> ParsedFile:
    """Nested JSON: an object's scalar values are the fields of the secret at its path, nested objects sub-paths."""
    try:
        document = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as error:
        # error.msg is the parser's description only; the document itself is never quoted.
        raise ImportFileError(f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).") from None
    except RecursionError:
        raise ImportFileError("The JSON is nested too deeply.") from None
    if not isinstance(document, _Pairs):
        raise ImportFileError("The JSON must be an object whose keys are folders and secret names.")
    parsed = ParsedFile()
    try:
        _json_walk(document, "", parsed, max_rows)
    except RecursionError:
        raise ImportFileError("The JSON is nested too deeply.") from None
    parsed.rows.sort(key=lambda row: row.path)
    return parsed


def _bitwarden_fields(record: dict[str, str]) -> tuple[list[tuple[str, str]], str | None]:
    fields = [(name, record[column]) for column, name in BITWARDEN_LOGIN_FIELDS if record[column]]
    for number, line in enumerate(record["fields"].splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            return fields, f"custom field {number} is not written as 'name: value'"
        fields.append((name.strip(), value[1:] if value.startswith(" ") else value))
    return fields, None


def parse_bitwarden(text: str, *, max_rows: int) -> ParsedFile:
    """Bitwarden's CSV export: path `folder/name`; username, password, uri, totp and custom fields; notes."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    parsed = ParsedFile()
    try:
        header = next(reader, None)
        if header is None or [column.strip() for column in header] != BITWARDEN_HEADER:
            raise ImportFileError("This is not a Bitwarden CSV: the first line must be " + ",".join(BITWARDEN_HEADER))
        start = reader.line_num + 1
        for values in reader:
            where, start = f"line {start}", reader.line_num + 1
            if not any(values):
                continue
            _too_many(len(parsed.rows) + len(parsed.errors) + 1, max_rows)
            if len(values) != len(BITWARDEN_HEADER):
                parsed.errors.append(RowError(where, f"expected {len(BITWARDEN_HEADER)} columns, found {len(values)}"))
                continue
            record = dict(zip(BITWARDEN_HEADER, values, strict=True))
            name, folder = record["name"].strip(), record["folder"].strip().strip("/")
            path = f"{folder}/{name}" if folder else name
            if record["type"] not in ("login", "note"):
                parsed.errors.append(RowError(where, "only login and note items can be imported", path))
                continue
            if not name:
                parsed.errors.append(RowError(where, "the item has no name", path))
                continue
            fields, problem = _bitwarden_fields(record)
            if problem:
                parsed.errors.append(RowError(where, problem, path))
                continue
            notes = record["notes"]
            if not fields and notes:
                # A secure note has nothing but its text; a secret needs a field, so the text becomes one.
                fields, notes = [("note", notes)], ""
            parsed.rows.append(ImportRow(where=where, path=path, fields=fields, notes=notes))
    except csv.Error as error:
        raise ImportFileError(f"The CSV is malformed near line {reader.line_num}: {error}.") from None
    return parsed


def parse_file(data: bytes, *, kind: str, env_path: str = "", max_rows: int) -> ParsedFile:
    """Parse an uploaded file of `kind` ("env", "json" or "bitwarden"). ImportFileError when the file is unusable."""
    text = file_text(data)
    if kind == "env":
        return parse_env(text, path=env_path, max_rows=max_rows)
    if kind == "json":
        return parse_json(text, max_rows=max_rows)
    if kind == "bitwarden":
        return parse_bitwarden(text, max_rows=max_rows)
    raise ImportFileError("Choose the file's format.")
