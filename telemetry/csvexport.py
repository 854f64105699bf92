"""CSV export of raw readings: one line per reading, safe to open in a spreadsheet, bounded in size."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

EXPORT_MAX_ROWS = 100_000
CHUNK_LINES = 1000
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


def csv_lines(rows: Iterable[dict], units: dict, *, limit: int = EXPORT_MAX_ROWS) -> Iterator[str]:
    """The header, then one line per reading ({"t","metric","value","tags"}), at most `limit` of them.

    Yielded CHUNK_LINES lines at a time: one write per line into a response is what would cost most.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    # A series' readings share one tags dict: its cell is made once (the dict is kept, so its id stays its own).
    tag_cells: dict[int, tuple[dict, str]] = {}
    for count, row in enumerate(rows):
        if count >= limit:
            writer.writerow([f"# truncated after {limit} readings: export a shorter range"])
            break
        metric, tags = row.get("metric", ""), row.get("tags") or ""
        if tags:
            known = tag_cells.get(id(tags))
            if known is None or known[0] is not tags:
                known = tag_cells[id(tags)] = (tags, csv_cell(tags))
            tags_cell = known[1]
        else:
            tags_cell = ""
        writer.writerow(
            [
                csv_cell(row.get("t")),
                csv_cell(metric),
                csv_cell(row.get("value")),
                csv_cell(units.get(metric, "")),
                tags_cell,
            ]
        )
        if count % CHUNK_LINES == CHUNK_LINES - 1:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
