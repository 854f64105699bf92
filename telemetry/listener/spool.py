"""A bounded on-disk spool of the batches the broker refused, replayed oldest first when it is back.

One JSON-lines file per batch (one forwarded line, services.lines, per file line), written to a temporary
name, fsync'd and renamed, so a crash leaves whole batches or none. Names sort by time, so replay keeps
arrival order. When the cap is reached the NEWEST batch is refused (logged and counted): what is already
on disk keeps its order and nothing written is ever rewritten. Replaying a batch twice is harmless: its
batch id is derived from its file name (batch_id), and bucket `_id`s from the batch id. Files named
`*.jsonl` without `.lines` come from listeners that parsed lines themselves and hold wire-form
readings; they are replayed as such.
"""

import contextlib
import hashlib
import json
import logging
import os
import time
from pathlib import Path

logger = logging.getLogger("telemetry.listener")

SUFFIX = ".jsonl"
LINES_SUFFIX = ".lines" + SUFFIX


class Spool:
    def __init__(self, directory: Path, *, max_bytes: int):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        # Leftovers of a write cut short by a crash: never renamed, so never complete.
        for partial in self.directory.glob("*.tmp"):
            partial.unlink(missing_ok=True)
        self._sequence = 0
        self.bytes = sum(path.stat().st_size for path in self.files())
        self.dropped_batches = 0
        self.dropped_items = 0

    def files(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{SUFFIX}"))

    def __len__(self) -> int:
        return len(self.files())

    @staticmethod
    def batch_id(path: Path) -> str:
        """The batch id of a spooled batch: the same every time it is replayed, ordered by its spooling time."""
        name = path.name.split(".", 1)[0]
        spooled_ns = int(name.split("-", 1)[0])
        return f"{spooled_ns:016x}{hashlib.blake2b(name.encode(), digest_size=4).hexdigest()}"

    @staticmethod
    def holds_lines(path: Path) -> bool:
        """True for a batch of forwarded lines, False for one of readings (spooled by an older listener)."""
        return path.name.endswith(LINES_SUFFIX)

    def append(self, items: list) -> bool:
        """Store a batch of forwarded lines durably; False (logged, counted) when the spool is full."""
        data = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in items).encode()
        if self.bytes + len(data) > self.max_bytes:
            self.dropped_batches += 1
            self.dropped_items += len(items)
            logger.error(
                "listener: spool full (%d of %d bytes); dropped the newest batch of %d lines (%d dropped so far)",
                self.bytes,
                self.max_bytes,
                len(items),
                self.dropped_items,
            )
            return False
        self._sequence += 1
        name = f"{time.time_ns():020d}-{os.getpid()}-{self._sequence:06d}"
        temporary = self.directory / f"{name}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.rename(self.directory / f"{name}{LINES_SUFFIX}")
        self._sync_directory()
        self.bytes += len(data)
        return True

    def oldest(self) -> tuple[Path, list] | None:
        """The oldest batch and its items; an unreadable file is set aside (renamed .bad) and logged."""
        for path in self.files():
            try:
                return path, [json.loads(line) for line in path.read_bytes().splitlines() if line]
            except (OSError, ValueError):
                logger.error("listener: spool file %s is unreadable; set aside as .bad", path.name)
                with contextlib.suppress(OSError):
                    self.bytes -= path.stat().st_size
                    path.rename(path.with_suffix(".bad"))
        return None

    def remove(self, path: Path) -> None:
        size = path.stat().st_size
        path.unlink()
        self.bytes -= size

    def _sync_directory(self) -> None:
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
