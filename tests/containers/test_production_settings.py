"""Production settings accept what the container files feed them: the Dockerfile's throw-away build
values let collectstatic run, and the compose environment with generated secrets passes Django's
deployment checks. Values are parsed from the files, so a drift there breaks these tests."""

import base64
import json
import subprocess
import sys

import pytest

from tests.containers.files import MAKE_SECRETS, ROOT, clean_env, collectstatic_build_values, environment, image_env
from tests.containers.files import service as compose_service

pytestmark = pytest.mark.e2e


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_build_vault_keyring_is_well_formed_and_all_zero():
    key_id, _, encoded = collectstatic_build_values()["VAULT_KEYS"].partition(":")
    assert key_id
    assert base64.b64decode(encoded, validate=True) == bytes(32), "a throw-away key must be obviously not a key"


def test_collectstatic_succeeds_with_the_dockerfiles_build_values(tmp_path):
    result = manage(image_env(tmp_path), "collectstatic", "--noinput")
    assert result.returncode == 0, result.stderr
    static_root = tmp_path / "staticfiles"
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/keyhold.css"]
    assert hashed != "css/keyhold.css", "production must use the hashed manifest storage"
    assert (static_root / hashed).is_file()
    assert (static_root / f"{hashed}.gz").is_file(), "whitenoise serves pre-compressed files"


def test_compose_environment_with_generated_secrets_passes_deploy_checks(tmp_path):
    secrets = tmp_path / "secrets"
    command = ["sh", str(MAKE_SECRETS), str(secrets)]
    made = subprocess.run(command, env=clean_env(tmp_path), capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    env = environment(compose_service("web"))
    for name, value in list(env.items()):
        # /run/secrets/<name> inside the container is ./secrets/<name> here.
        if value.startswith("/run/secrets/"):
            env[name] = str(secrets / value.removeprefix("/run/secrets/"))
    env["KEYHOLD_VAR_DIR"] = str(tmp_path / "var")
    result = manage(clean_env(tmp_path, **env), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
