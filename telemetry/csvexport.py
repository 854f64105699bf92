"""CSV export of raw readings: one line per reading, safe to open in a spreadsheet, bounded in size."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

EXPORT_MAX_ROWS = 100_000
HEADER = ["time", "metric", "value", "unit", "tags"]
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """The text of one cell; text that a spreadsheet would run as a formula is prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        # A negative number is data, not a formula; repr-style keeps full precision.
        return repr(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return "'" + text if text.startswith(FORMULA_START) else text


def _line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def csv_lines(rows: Iterable[dict], units: dict, *, limit: int = EXPORT_MAX_ROWS) -> Iterator[str]:
    """The header, then one line per reading ({"t","metric","value","tags"}), at most `limit` of them."""
    yield _line(HEADER)
    for count, row in enumerate(rows):
        if count >= limit:
            yield _line([f"# truncated after {limit} readings: export a shorter range"])
            return
        metric = row.get("metric", "")
        cells = [row.get("t"), metric, row.get("value"), units.get(metric, ""), row.get("tags") or ""]
        yield _line([csv_cell(cell) for cell in cells])
