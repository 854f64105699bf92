"""A real gunicorn serving this test session's database on a free loopback port, and a client with cookies."""

import http.cookiejar
import os
import re
import signal
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from devstack import ports
from tests import processes


class Site:
    """A gunicorn web process on a free port, logging to a file, and an HTTP client with cookies."""

    def __init__(self, log: Path, *, log_format: str = "plain", user_agent: str = "keyhold-tests") -> None:
        self.port = ports.free_port()
        self.log = log
        self.user_agent = user_agent
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        env = os.environ | {
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "1",
            "LOG_FORMAT": log_format,
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": processes.database_url(),
        }
        self.process = processes.web_server(env, log)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.url(path), data=body, headers={"User-Agent": self.user_agent})
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def answers(self) -> bool:
        try:
            return self.request("/healthz")[0] == 200
        except OSError:  # not listening yet
            return False

    def wait_answering(self) -> None:
        # Generous: on a loaded 2-core machine a worker's first boot can take a while.
        deadline = time.monotonic() + 90
        while not self.answers():
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn never answered; its log:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)

    def session_cookie(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == settings.SESSION_COOKIE_NAME)

    def post_form(self, path: str, data: dict) -> int:
        _, page = self.request(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, f"no CSRF token on {path}"
        return self.request(path, {"csrfmiddlewaretoken": token[1], **data})[0]

    def raw(self, request_line: bytes) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
            headers = b'Host: 127.0.0.1\r\nUser-Agent: \x1b[31m\x9b"}{\r\nConnection: close\r\n\r\n'
            conn.sendall(request_line + b"\r\n" + headers)
            conn.recv(65536)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)
