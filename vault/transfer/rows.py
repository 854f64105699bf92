"""What every import parser returns: plain rows to write and per-row errors that never contain values."""

from dataclasses import dataclass, field


class ImportFileError(Exception):
    """The whole file is unusable (not UTF-8, bad JSON, wrong CSV header, too many rows). Safe to show."""

    status = 400


@dataclass(slots=True)
class ImportRow:
    """One secret to write. `where` locates it in the file ("line 12", or a JSON path); `fields` keep file order."""

    where: str
    path: str
    fields: list[tuple[str, str]] = field(repr=False)
    notes: str = field(default="", repr=False)


@dataclass(slots=True)
class RowError:
    """A row that cannot be imported: where it is and why, in words that never repeat a value."""

    where: str
    message: str
    path: str = ""


@dataclass(slots=True)
class ParsedFile:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
