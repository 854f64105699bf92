"""gunicorn's own log lines (access and error) go through Keyhold's formatters: JSON, escaped, redacted."""

import json
import os
import signal
import time
import urllib.request

import pytest

from devstack import ports
from tests import processes
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

TOKEN = "khs_0123abcd_" + "Zz9-_" * 8 + "abc"


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_access_lines_are_json_with_tokens_redacted_and_controls_escaped(tmp_path):
    port = ports.free_port()
    env = os.environ | {"PORT": str(port), "WEB_CONCURRENCY": "1", "LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "gunicorn.log"
    web = processes.web_server(env, log)
    try:
        url = f"http://127.0.0.1:{port}/healthz?p={TOKEN}&note=%1b%5b31mred"

        def answered():
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        # Generous: on a loaded 2-core machine a worker's first boot can take a while.
        if not wait_for(answered, timeout=90):
            pytest.fail(f"gunicorn never answered; its log:\n{log.read_text(errors='replace')[-3000:]}")
        wait_until(lambda: "/healthz" in log.read_text(errors="replace"), timeout=10)
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=20)

    text = log.read_text(errors="replace")
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    access = [entry for entry in entries if entry["logger"] == "gunicorn.access"]
    assert access, text
    assert any(entry["logger"] == "gunicorn.error" and "Booting worker" in entry["message"] for entry in entries)
    line = access[-1]["message"]
    assert "/healthz?p=khs_0123abcd_[redacted]" in line
    assert TOKEN not in text
    # gunicorn logs the query still percent-encoded, so no raw ESC can reach the terminal either way.
    assert "\x1b" not in text
