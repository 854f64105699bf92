"""A server or worker the bench starts for a benchmark and stops after it, whatever happens in between."""

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_SECONDS = 20


@contextlib.contextmanager
def running(
    args: list[str], *, env: dict | None = None, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
) -> Iterator:
    """Popen `args` in the repository; on the way out SIGTERM, then SIGKILL after STOP_SECONDS."""
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=stdout, stderr=stderr, text=True)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
