"""docker-compose.yml runs the whole stack the way operators rely on: started in order, every service
health-checked, app roles locked down and built from one anchor, secrets from files, the broker
durable and the cache disposable, and only the web port published, on loopback by default."""

import copy
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft7Validator

from tests.containers.files import (
    APP_ROLES,
    DATASTORES,
    ENTRYPOINT,
    ROOT,
    compose,
    compose_raw,
    dockerfile_instructions,
    environment,
    excluded_from_build_context,
    load_docker_module,
    runtime_user,
    service,
)

# The Compose Specification's JSON schema; its "$comment" says where the copy comes from.
COMPOSE_SCHEMA = Path(__file__).with_name("compose-spec.schema.json")


def schema_errors(document: dict) -> list[str]:
    validator = Draft7Validator(json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8")))
    return sorted(f"{error.json_path}: {error.message}" for error in validator.iter_errors(document))


def test_compose_file_validates_against_the_compose_specification():
    assert schema_errors(compose()) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "web", "read_only"), ["yes"]),  # a list where a boolean belongs
        (("services", "migrate", "depends_on", "postgres", "condition"), "service_ready"),  # no such condition
        (("services", "web", "healthchek"), {"test": ["CMD", "true"]}),  # misspelt key
        (("services", "worker", "ports"), {"published": 80}),  # a mapping where a list belongs
        (("volumez",), {}),  # unknown top-level key
    ],
)
def test_a_broken_compose_file_fails_the_schema(path, value):
    document = copy.deepcopy(compose())
    *parents, key = path
    target = document
    for name in parents:
        target = target[name]
    target[key] = value
    assert schema_errors(document), f"setting {'.'.join(path)} to {value!r} passed the schema"


def test_compose_defines_the_whole_stack():
    assert set(compose()["services"]) == set(APP_ROLES) | set(DATASTORES)


def test_every_app_role_is_built_from_the_shared_x_app_anchor():
    anchor = compose()["x-app"]
    for role in APP_ROLES:
        definition = service(role)
        for key, value in anchor.items():
            if key == "environment":
                assert environment(anchor).items() <= environment(definition).items(), role
            elif key not in {"deploy", "restart"}:
                assert definition[key] == value, f"{role}.{key} differs from x-app"
    # And the text really uses the anchor, not a copy that could drift.
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert text.count("<<: *app\n") == len(APP_ROLES)


def test_each_role_runs_a_command_the_entrypoint_knows():
    roles = re.search(r'^roles="([^"]+)"', ENTRYPOINT.read_text(encoding="utf-8"), re.MULTILINE).group(1).split()
    for role in APP_ROLES:
        assert service(role)["command"][0] == role
        assert role in roles


def test_every_service_has_a_healthcheck_except_one_shot_migrate():
    checks = load_docker_module("healthcheck").CHECKS
    for name, definition in compose()["services"].items():
        healthcheck = definition.get("healthcheck") or {}
        if name == "migrate":
            assert healthcheck == {"disable": True}, "migrate exits when done; the image's web check does not apply"
            continue
        test = healthcheck.get("test")
        assert test, f"{name} has no healthcheck"
        assert test[0] in {"CMD", "CMD-SHELL"}
        assert "timeout" in healthcheck
        if "/app/docker/healthcheck.py" in test:
            assert test[-1] in checks, f"{name} asks for an unknown health check {test[-1]}"


def test_services_start_in_order_migrate_first():
    services = compose()["services"]
    healthy = {"condition": "service_healthy"}
    done = {"condition": "service_completed_successfully"}
    # migrate also creates the MongoDB indexes (manage.py telemetry_indexes).
    assert services["migrate"]["depends_on"] == {"postgres": healthy, "mongodb": healthy}
    assert environment(services["migrate"])["MONGODB_URL"] == "mongodb://mongodb:27017/keyhold"
    app_servers = {"cache": healthy, "broker": healthy, "mongodb": healthy}
    for role in ("web", "worker", "listener"):
        assert services[role]["depends_on"] == {"migrate": done, **app_servers}
    assert services["beat"]["depends_on"] == {"migrate": done, "broker": healthy}
    for definition in services.values():
        for dependency, condition in (definition.get("depends_on") or {}).items():
            if condition == healthy:
                assert services[dependency].get("healthcheck", {}).get("test"), dependency
    assert services["migrate"]["restart"] == "no"


def test_only_web_and_the_listener_publish_ports_and_on_loopback_by_default():
    services = compose()["services"]
    published = {name: definition["ports"] for name, definition in services.items() if definition.get("ports")}
    assert published == {
        "web": ["127.0.0.1:8000:8000"],
        "listener": ["127.0.0.1:8089:8089/udp", "127.0.0.1:8094:8094/tcp"],
    }
    overridden = compose({"KEYHOLD_ALLOWED_HOSTS": "x", "KEYHOLD_BIND": "0.0.0.0", "KEYHOLD_PORT": "80"})
    assert overridden["services"]["web"]["ports"] == ["0.0.0.0:80:8000"]


def test_worker_can_be_scaled():
    for definition in compose()["services"].values():
        assert "container_name" not in definition, "a fixed name breaks --scale"
    assert "ports" not in service("worker")


def test_app_roles_are_locked_down():
    for role in APP_ROLES:
        definition = service(role)
        assert definition["read_only"] is True, role
        assert any(entry.split(":")[0] == "/tmp" for entry in definition["tmpfs"]), role
        assert definition["cap_drop"] == ["ALL"], role
        assert "no-new-privileges:true" in definition["security_opt"], role
        assert definition["deploy"]["resources"]["limits"]["memory"], role
        assert definition["init"] is True, role
        assert not definition.get("privileged"), role
        assert definition["environment"]["DJANGO_ENV"] == "production"
    for name in DATASTORES:
        definition = service(name)
        assert "no-new-privileges:true" in definition["security_opt"], name
        assert definition["deploy"]["resources"]["limits"]["memory"], name
        assert definition["networks"] == ["backend"], f"{name} must stay on the internal network"
    assert compose()["networks"]["backend"]["internal"] is True


def test_secrets_come_from_files_and_reach_django_through_file_variables():
    top = compose()["secrets"]
    assert top == {
        name: {"file": f"./secrets/{name}"}
        for name in ("django_secret_key", "vault_keys", "postgres_password", "database_url")
    }
    expected = {
        "SECRET_KEY_FILE": "django_secret_key",
        "VAULT_KEYS_FILE": "vault_keys",
        "DATABASE_URL_FILE": "database_url",
    }
    for role in APP_ROLES:
        definition = service(role)
        env = environment(definition)
        for variable, secret in expected.items():
            assert env[variable] == f"/run/secrets/{secret}", role
            assert secret in definition["secrets"], role
        # The plain variables would win nothing and leak into `docker inspect`.
        assert not {"SECRET_KEY", "VAULT_KEYS", "DATABASE_URL"} & set(env), role
    postgres = service("postgres")
    assert environment(postgres)["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert postgres["secrets"] == ["postgres_password"]
    assert "POSTGRES_PASSWORD" not in environment(postgres)


def test_required_settings_fail_fast_with_a_message():
    raw = compose_raw()["x-app-environment"]["ALLOWED_HOSTS"]
    assert re.fullmatch(r"\$\{KEYHOLD_ALLOWED_HOSTS:\?.{10,}\}", raw)
    with pytest.raises(KeyError, match="KEYHOLD_ALLOWED_HOSTS"):
        compose({})


def test_broker_never_evicts_and_keeps_an_append_only_file():
    broker = service("broker")
    command = " ".join(broker["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert any(volume.endswith(":/data") for volume in broker["volumes"])


def test_cache_evicts_least_recently_used_and_keeps_nothing():
    cache = service("cache")
    command = cache["command"]
    assert "--maxmemory-policy allkeys-lru" in " ".join(command)
    assert "--maxmemory" in command
    assert command[command.index("--save") + 1] == ""
    assert command[command.index("--appendonly") + 1] == "no"
    assert "volumes" not in cache


def test_app_urls_point_at_the_right_services():
    env = environment(service("web"))
    hosts = {name: urlsplit(env[name]).hostname for name in ("REDIS_URL", "CELERY_BROKER_URL", "MONGODB_URL")}
    assert hosts == {"REDIS_URL": "cache", "CELERY_BROKER_URL": "broker", "MONGODB_URL": "mongodb"}
    assert set(hosts.values()) <= set(compose()["services"])


def test_datastore_images_are_pinned():
    for name in DATASTORES:
        image = service(name)["image"]
        assert re.fullmatch(r"[a-z]+:\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?(@sha256:[0-9a-f]{64})?", image), image
    assert service("postgres")["image"].startswith("postgres:16.")
    assert service("postgres")["healthcheck"]["test"][1] == "pg_isready"
    assert "mongosh" in service("mongodb")["healthcheck"]["test"]


def test_every_compose_setting_is_in_the_example_env_file():
    example = ROOT / "docker" / "compose.env.example"
    lines = [line for line in example.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    values = dict(line.split("=", 1) for line in lines)
    used = set(re.findall(r"\$\{(KEYHOLD_[A-Z_]+)", (ROOT / "docker-compose.yml").read_text(encoding="utf-8")))
    assert set(values) == used
    # Apart from the site's own names, the example's values are the file's defaults.
    site = {name: values[name] for name in ("KEYHOLD_ALLOWED_HOSTS", "KEYHOLD_CSRF_TRUSTED_ORIGINS")}
    assert compose(values) == compose(site)
    assert excluded_from_build_context("docker/compose.env.example")


def test_listener_runs_by_default_with_its_command():
    assert (ROOT / "telemetry" / "management" / "commands" / "telemetry_listener.py").exists()
    assert "profiles" not in service("listener"), "`docker compose up` must start the listener too"
    # The names the listener's settings read (config/settings.py).
    assert {"TELEMETRY_LISTENER_HOST", "TELEMETRY_UDP_PORT", "TELEMETRY_TCP_PORT"} <= set(
        service("listener")["environment"]
    )


def test_secrets_directory_is_never_committed():
    probe = "secrets/django_secret_key"
    result = subprocess.run(["git", "check-ignore", "-q", probe], cwd=ROOT, check=False)
    assert result.returncode == 0, f"{probe} is not git-ignored"


def test_listener_spools_to_a_named_volume_in_its_read_only_container():
    listener = service("listener")
    # The listener spools to VAR_DIR/spool (telemetry/listener/server.py), VAR_DIR from KEYHOLD_VAR_DIR.
    assert 'settings.VAR_DIR / "spool"' in (ROOT / "telemetry" / "listener" / "server.py").read_text(encoding="utf-8")
    spool = f"{environment(listener)['KEYHOLD_VAR_DIR']}/spool"
    assert listener["volumes"] == [f"listener_spool:{spool}"]
    assert "listener_spool" in compose()["volumes"]
    assert listener["read_only"] is True, "the volume is the one writable place besides /tmp"
    assert not any(spool.startswith(entry.split(":")[0] + "/") for entry in listener["tmpfs"]), "a tmpfs forgets"
    assert int(environment(listener)["TELEMETRY_SPOOL_MAX_MB"]) >= 256
    for role in set(APP_ROLES) - {"listener"}:
        assert "volumes" not in service(role), f"{role} has no business writing to disk"
    # A new named volume takes the owner of the image's directory at its mount point.
    uid, gid = runtime_user()
    runs = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]
    assert any(f"install -d -o {uid} -g {gid} -m 0700 {spool}" in run for run in runs)
