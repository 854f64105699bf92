"""Watches /readyz after the processes start and says once when every check is ok, with the time taken."""

import json
import threading
import time
import urllib.error
import urllib.request

from devstack.console import say

POLL_SECONDS = 0.5
GIVE_UP_SECONDS = 120.0


def fetch_checks(url: str) -> dict | None:
    """The /readyz answer as a dict, or None while the site does not answer."""
    try:
        # A fixed http:// URL built from HOST and PORT, not user input.
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as exc:  # 503 still carries the checks
        try:
            return json.load(exc)
        except ValueError:
            return None
    except (OSError, ValueError):
        return None


class ReadyWatch:
    """A daemon thread polling `readyz_url` until all checks are ok, then reporting the time since `since`."""

    def __init__(self, readyz_url: str, *, since: float) -> None:
        self.readyz_url = readyz_url
        self.since = since
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="devstack-readyz", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        deadline = time.monotonic() + GIVE_UP_SECONDS
        answer = None
        while not self._stopped.wait(POLL_SECONDS):
            answer = fetch_checks(self.readyz_url)
            if answer and answer.get("status") == "ok":
                site = self.readyz_url.removesuffix("/readyz")
                elapsed = time.monotonic() - self.since
                say(f"Keyhold is ready at {site}: every /readyz check ok, {elapsed:.1f} s after start")
                return
            if time.monotonic() > deadline:
                checks = (answer or {}).get("checks", "no answer")
                say(f"not ready after {GIVE_UP_SECONDS:.0f} s; /readyz says {checks}")
                return
