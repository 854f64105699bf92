"""scripts/make-secrets.sh writes the secret files the compose stack reads: strong, in the formats
Django and PostgreSQL expect, consistent with each other, and never overwritten once made."""

import base64
import re
import stat
import subprocess
from urllib.parse import urlsplit

from tests.containers.files import MAKE_SECRETS, clean_env, environment, service

NAMES = ("django_secret_key", "vault_keys", "postgres_password", "database_url")


def make_secrets(home, directory):
    return subprocess.run(
        ["sh", str(MAKE_SECRETS), str(directory)],
        cwd=home,
        env=clean_env(home),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def read(directory) -> dict[str, str]:
    return {name: (directory / name).read_text(encoding="utf-8") for name in NAMES}


def test_creates_every_secret_in_a_private_directory(tmp_path):
    target = tmp_path / "secrets"
    result = make_secrets(tmp_path, target)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    for name, value in read(target).items():
        # Read-only, and readable by the containers' own users (Compose bind-mounts the file as is);
        # the 0700 directory keeps other host users out.
        assert stat.S_IMODE((target / name).stat().st_mode) == 0o444, name
        assert value.count("\n") == 1, name
        assert value.endswith("\n"), name
        assert f"created  {target / name}" in result.stdout


def test_vault_keyring_is_one_id_and_32_random_bytes(tmp_path):
    make_secrets(tmp_path, tmp_path / "a")
    make_secrets(tmp_path, tmp_path / "b")
    keys = [(tmp_path / run / "vault_keys").read_text().strip() for run in ("a", "b")]
    for keyring in keys:
        assert "," not in keyring
        key_id, _, encoded = keyring.partition(":")
        assert re.fullmatch(r"[A-Za-z0-9_-]+", key_id)
        assert len(base64.b64decode(encoded, validate=True)) == 32
    assert keys[0].partition(":")[2] != keys[1].partition(":")[2], "two runs made the same key"


def test_signing_key_and_password_are_long_and_url_safe(tmp_path):
    make_secrets(tmp_path, tmp_path / "s")
    values = {name: value.strip() for name, value in read(tmp_path / "s").items()}
    assert len(values["django_secret_key"]) >= 50
    assert len(values["postgres_password"]) >= 24
    for name in ("django_secret_key", "postgres_password"):
        assert re.fullmatch(r"[A-Za-z0-9_-]+", values[name]), name


def test_database_url_uses_the_postgres_password_and_the_compose_database(tmp_path):
    make_secrets(tmp_path, tmp_path / "s")
    values = {name: value.strip() for name, value in read(tmp_path / "s").items()}
    url = urlsplit(values["database_url"])
    postgres = environment(service("postgres"))
    assert url.scheme == "postgres"
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == values["postgres_password"]
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.path == f"/{postgres['POSTGRES_DB']}"


def test_a_second_run_keeps_every_existing_file(tmp_path):
    target = tmp_path / "secrets"
    make_secrets(tmp_path, target)
    before = read(target)
    again = make_secrets(tmp_path, target)
    assert again.returncode == 0, again.stderr
    assert read(target) == before
    assert again.stdout.count("kept") == len(NAMES)
    assert "created" not in again.stdout


def test_files_the_operator_put_there_are_kept_and_the_rest_made(tmp_path):
    target = tmp_path / "secrets"
    target.mkdir()
    (target / "vault_keys").write_text("old:" + base64.b64encode(bytes(32)).decode() + "\n")
    (target / "postgres_password").write_text("chosen-by-operator\n")
    result = make_secrets(tmp_path, target)
    assert result.returncode == 0, result.stderr
    values = read(target)
    assert values["vault_keys"].startswith("old:")
    assert values["postgres_password"] == "chosen-by-operator\n"
    assert values["database_url"] == "postgres://keyhold:chosen-by-operator@postgres:5432/keyhold\n"


def test_a_database_url_that_disagrees_with_the_password_is_reported(tmp_path):
    target = tmp_path / "secrets"
    target.mkdir()
    (target / "database_url").write_text("postgres://keyhold:stale@postgres:5432/keyhold\n")
    result = make_secrets(tmp_path, target)
    assert result.returncode == 0
    assert "does not use the password" in result.stderr
