"""Settings come from the environment: URLs parse, `_FILE` secrets load, production refuses defaults."""

import os
import re
import runpy
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "config" / "settings.py"
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MONGODB_URL")
ALL_VARS = (
    *SERVICE_VARS,
    "DJANGO_ENV",
    "SECRET_KEY",
    "VAULT_KEYS",
    "ALLOWED_HOSTS",
    "DEBUG",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER",
    "LOG_FORMAT",
)
REAL_SECRET = "s3cr3t-" + "x" * 60
REAL_KEYRING = "k1:" + "A" * 43 + "="


@pytest.fixture
def load(monkeypatch, tmp_path):
    """Evaluate config/settings.py afresh under a clean environment and return its namespace."""
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    monkeypatch.setenv("KEYHOLD_VAR_DIR", str(tmp_path / "var"))

    def _load(**environment):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return _load


def production(**extra):
    values = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": REAL_SECRET,
        "VAULT_KEYS": REAL_KEYRING,
        "ALLOWED_HOSTS": "vault.example.com",
        "DATABASE_URL": "postgres://keyhold:pw@db.internal:5433/keyhold",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "CELERY_BROKER_URL": "redis://broker.internal:6379/0",
        "MONGODB_URL": "mongodb://mongo.internal:27017/keyhold",
    }
    values.update(extra)
    return values


def test_development_needs_no_environment_and_generates_private_keys(load, tmp_path):
    namespace = load()
    var = tmp_path / "var"
    assert namespace["DEBUG"] is True
    assert namespace["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert namespace["SECRET_KEY"] == (var / "secret_key").read_text().strip()
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE((var / "vault_keys").stat().st_mode) == 0o600
    # A second start reuses the keys instead of invalidating every session and signature.
    assert load()["SECRET_KEY"] == namespace["SECRET_KEY"]


def test_service_urls_are_parsed(load):
    namespace = load(**production())
    database = namespace["DATABASES"]["default"]
    assert database["ENGINE"] == "config.postgres"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5433, "keyhold")
    assert (database["USER"], database["PASSWORD"]) == ("keyhold", "pw")
    assert database["CONN_HEALTH_CHECKS"] is True
    assert namespace["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/0"
    assert namespace["CELERY_BROKER_URL"] == "redis://broker.internal:6379/0"
    assert namespace["MONGODB_URL"] == "mongodb://mongo.internal:27017/keyhold"
    assert namespace["ALLOWED_HOSTS"] == ["vault.example.com"]
    assert namespace["DEBUG"] is False


def test_sqlite_url_gets_concurrency_options(load, tmp_path):
    namespace = load(DATABASE_URL=f"sqlite:///{tmp_path}/k.sqlite3")
    database = namespace["DATABASES"]["default"]
    assert database["NAME"] == f"{tmp_path}/k.sqlite3"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_secrets_are_read_from_files_without_the_trailing_newline(load, tmp_path):
    (tmp_path / "secret").write_text(REAL_SECRET + "\n")
    (tmp_path / "db").write_text("postgres://keyhold:from-file@db:5432/keyhold\n")
    environment = production(SECRET_KEY_FILE=str(tmp_path / "secret"), DATABASE_URL_FILE=str(tmp_path / "db"))
    del environment["SECRET_KEY"], environment["DATABASE_URL"]
    namespace = load(**environment)
    assert namespace["SECRET_KEY"] == REAL_SECRET
    assert namespace["DATABASES"]["default"]["PASSWORD"] == "from-file"


def test_a_value_and_its_file_together_are_refused(load, tmp_path):
    (tmp_path / "secret").write_text(REAL_SECRET)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY or SECRET_KEY_FILE"):
        load(**production(SECRET_KEY_FILE=str(tmp_path / "secret")))


def test_an_unreadable_secret_file_names_the_variable(load, tmp_path):
    environment = production(SECRET_KEY_FILE=str(tmp_path / "missing"))
    del environment["SECRET_KEY"]
    with pytest.raises(ImproperlyConfigured, match=r"SECRET_KEY_FILE=.*cannot be read"):
        load(**environment)


@pytest.mark.parametrize("secret", [None, "", "change-me", "django-insecure-abc" + "d" * 40, "short-but-real"])
def test_production_refuses_a_missing_or_default_secret_key(load, secret):
    environment = production()
    if secret is None:
        del environment["SECRET_KEY"]
    else:
        environment["SECRET_KEY"] = secret
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load(**environment)


@pytest.mark.parametrize("missing", ["VAULT_KEYS", "ALLOWED_HOSTS", *SERVICE_VARS])
def test_production_refuses_to_start_without_each_required_value(load, missing):
    environment = production()
    del environment[missing]
    with pytest.raises(ImproperlyConfigured, match=missing):
        load(**environment)


def test_production_never_reads_development_keys_or_stack_file(load, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "stack.json").write_text('{"postgres": "postgres://dev@127.0.0.1:1/dev"}')
    namespace = load(**production())
    assert namespace["DATABASES"]["default"]["HOST"] == "db.internal"
    assert not (var / "secret_key").exists()


def test_development_finds_the_embedded_servers_through_stack_json(load, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "stack.json").write_text(
        '{"postgres": "postgres://postgres@127.0.0.1:5999/keyhold", "cache": "redis://127.0.0.1:7001/0",'
        ' "broker": "redis://127.0.0.1:7002/0", "mongodb": "mongodb://127.0.0.1:7003/keyhold"}'
    )
    namespace = load()
    assert namespace["DATABASES"]["default"]["PORT"] == 5999
    assert namespace["REDIS_URL"] == "redis://127.0.0.1:7001/0"
    assert namespace["CELERY_BROKER_URL"] == "redis://127.0.0.1:7002/0"
    assert namespace["MONGODB_URL"] == "mongodb://127.0.0.1:7003/keyhold"


def test_cache_and_broker_on_the_same_redis_database_are_refused(load):
    with pytest.raises(ImproperlyConfigured, match="must differ"):
        load(REDIS_URL="redis://127.0.0.1:6379/0", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("Yes", True), ("off", False)])
def test_debug_accepts_common_boolean_words(load, raw, expected):
    assert load(DEBUG=raw)["DEBUG"] is expected


def test_debug_with_a_typo_is_refused_instead_of_guessed(load):
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        load(DEBUG="ture")


def test_production_security_headers(load):
    namespace = load(**production(SECURE_PROXY_SSL_HEADER="true"))
    assert namespace["SESSION_COOKIE_SECURE"] is True
    assert namespace["CSRF_COOKIE_SECURE"] is True
    assert namespace["SECURE_HSTS_SECONDS"] >= 31536000
    assert namespace["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_forwarded_proto_is_trusted_only_when_configured(load):
    # Without a proxy that sets it, a client could claim HTTPS with this header.
    assert "SECURE_PROXY_SSL_HEADER" not in load(**production())


def test_visibility_timeout_shorter_than_the_time_limit_is_refused(load):
    # Otherwise a slow task would be handed to a second worker while the first still runs it.
    with pytest.raises(ImproperlyConfigured, match="CELERY_VISIBILITY_TIMEOUT"):
        load(CELERY_VISIBILITY_TIMEOUT="100", CELERY_TASK_TIME_LIMIT="300")


def test_every_variable_the_settings_read_is_documented_in_env_example():
    root = SETTINGS_FILE.parents[1]
    code = "\n".join(path.read_text() for path in (root / "config").glob("*.py"))
    names = set(re.findall(r'env\.read(?:_bool|_int|_list)?\(\s*"([A-Z_]+)"', code))
    names |= set(re.findall(r'_service_url\(\s*"([A-Z_]+)"', code))
    names |= set(re.findall(r'_required_secret\(\s*"([A-Z_]+)"', code))
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(), re.MULTILINE))
    assert names, "the pattern above no longer finds the settings' variables"
    assert names - documented == set()


def test_production_passes_djangos_deployment_checks(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        # The suite's own DJANGO_ALLOW_ASYNC_UNSAFE (for Playwright) is no deployment's.
        if key not in ALL_VARS and not key.endswith("_FILE") and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    environment |= production(KEYHOLD_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=SETTINGS_FILE.parents[1],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_logs_are_json_lines_in_production_and_plain_in_development(load):
    assert load()["LOGGING"]["handlers"]["console"]["formatter"] == "plain"
    assert load(**production())["LOGGING"]["handlers"]["console"]["formatter"] == "json"
    assert load(**production(LOG_FORMAT="plain"))["LOG_FORMAT"] == "plain"
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be json or plain"):
        load(LOG_FORMAT="xml")
