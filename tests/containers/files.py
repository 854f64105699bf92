"""Readers for the container files (Dockerfile instructions, the compose file with its variables
filled in as Compose does, .dockerignore matching, docker/*.py) and a clean environment for
running the container scripts on the host."""

import importlib.util
import json
import re
import shlex
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "docker-compose.yml"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
MAKE_SECRETS = ROOT / "scripts" / "make-secrets.sh"
VENV_BIN = Path(sys.executable).parent

APP_ROLES = ("migrate", "web", "worker", "beat", "listener")
DATASTORES = ("postgres", "broker", "cache", "mongodb")


# --- Dockerfile ----------------------------------------------------------------------------------


@cache
def dockerfile_instructions() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments and blank lines dropped."""
    instructions, pending = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return tuple(instructions)


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, starting with its FROM."""
    result: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def exec_form(arguments: str) -> list[str] | None:
    """The JSON array of an exec-form CMD/ENTRYPOINT, or None for shell form."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(item, str) for item in value) else None


def stage_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    """The ENV values a stage sets (KEY=VALUE form)."""
    env = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            for word in shlex.split(arguments):
                name, _, value = word.partition("=")
                env[name] = value
    return env


def collectstatic_build_values() -> dict[str, str]:
    """The NAME=value assignments that prefix `manage.py collectstatic` on its RUN line."""
    for keyword, arguments in dockerfile_instructions():
        if keyword == "RUN" and "collectstatic" in arguments:
            command = next(part for part in arguments.split("&&") if "collectstatic" in part)
            values = {}
            for word in shlex.split(command):
                if not re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", word):
                    break
                name, _, value = word.partition("=")
                values[name] = value
            return values
    raise AssertionError("no RUN line runs collectstatic")


# --- .dockerignore ---------------------------------------------------------------------------------


@cache
def dockerignore_patterns() -> tuple[str, ...]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.strip().startswith("#"))


def _pattern_regex(pattern: str) -> re.Pattern:
    # Docker's matcher: `**` spans directories, `*` and `?` stay within one path segment.
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 3 if pattern.startswith("**/", i) else 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out += "[^" + pattern[i + 2 : end + 1] if pattern.startswith("[!", i) else pattern[i : end + 1]
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def excluded_from_build_context(path: str) -> bool:
    """Whether `path` (relative to the repo) is left out of the build context by .dockerignore.

    As in Docker, a pattern matching a directory excludes everything below it, later patterns win,
    and `!pattern` puts a path back.
    """
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for raw in dockerignore_patterns():
        negated = raw.startswith("!")
        pattern = raw.lstrip("!").strip("/")
        regex = _pattern_regex(pattern)
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


# --- docker-compose.yml ----------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value, env: dict[str, str]):
    """Fill ${NAME}, ${NAME:-default}, ${NAME-default} and ${NAME:?error} as Compose does."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        current = env.get(name)
        # With a colon, an empty value counts as unset.
        present = bool(current) if op in (":-", ":?") else current is not None
        if present:
            return current
        if op in ("-", ":-"):
            return arg
        if op in ("?", ":?"):
            raise KeyError(f"{name}: {arg}")
        return ""

    return _VARIABLE.sub(replace, value)


@cache
def compose_raw() -> dict:
    """The compose file as YAML (anchors and merge keys resolved), variables not yet filled."""
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def compose(env: dict[str, str] | None = None) -> dict:
    """The compose file with variables filled from `env` (required ones set to example values)."""
    values = {"KEYHOLD_ALLOWED_HOSTS": "vault.example.com"} if env is None else env
    return interpolate(compose_raw(), values)


def service(name: str, env: dict[str, str] | None = None) -> dict:
    return compose(env)["services"][name]


def environment(service_definition: dict) -> dict[str, str]:
    env = service_definition.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


# --- docker/*.py -----------------------------------------------------------------------------------


def load_docker_module(name: str) -> ModuleType:
    """Import docker/<name>.py, which is not a package (it runs as a script in the image)."""
    spec = importlib.util.spec_from_file_location(f"docker_{name}", ROOT / "docker" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clean_env(home: Path, **values: str) -> dict[str, str]:
    """A minimal environment plus `values`: nothing from the test run (DATABASE_URL, *_FILE) leaks in."""
    env = {"PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    env.update(values)
    return env


def image_env(home: Path, **values: str) -> dict[str, str]:
    """The runtime image's ENV and the collectstatic line's throw-away values, host paths for its dirs."""
    env = {key: value for key, value in stage_env(stages()[-1]).items() if key != "PATH"}
    env.update(collectstatic_build_values())
    env.update(STATIC_ROOT=str(home / "staticfiles"), KEYHOLD_VAR_DIR=str(home / "var"))
    env.update(values)
    return clean_env(home, **env)


# --- a role as the container runs it ---------------------------------------------------------------


def runtime_user() -> tuple[int, int]:
    """The numeric uid and gid of the runtime stage's last USER."""
    user = [arguments for keyword, arguments in stages()[-1] if keyword == "USER"][-1]
    uid, _, gid = user.partition(":")
    return int(uid), int(gid or uid)


def _to_host(value: str, paths: dict[str, Path]) -> str:
    for inside, outside in paths.items():
        if value == inside or value.startswith(inside + "/"):
            return str(outside) + value[len(inside) :]
    return value


def role_command(role: str, paths: dict[str, Path]) -> list[str]:
    """The Dockerfile's ENTRYPOINT plus the compose service's command, container paths mapped by `paths`."""
    entrypoint = exec_form(dict(dockerfile_instructions())["ENTRYPOINT"])
    return [_to_host(word, paths) for word in [*entrypoint, *service(role)["command"]]]


def role_healthcheck(role: str, paths: dict[str, Path]) -> list[str]:
    """The compose service's health-check command (CMD form), container paths mapped by `paths`."""
    test = service(role)["healthcheck"]["test"]
    assert test[0] == "CMD", f"{role}: only exec-form health checks run unchanged on the host"
    return [_to_host(word, paths) for word in test[1:]]


def role_env(role: str, home: Path, paths: dict[str, Path], **values: str) -> dict[str, str]:
    """The image's ENV and the compose service's environment, container paths mapped, then `values`."""
    env = {key: value for key, value in stage_env(stages()[-1]).items() if key != "PATH"}
    env.update(environment(service(role)))
    env = {key: _to_host(value, paths) for key, value in env.items()}
    env.update(values)
    return clean_env(home, **env)
