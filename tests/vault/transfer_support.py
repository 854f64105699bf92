"""Helpers for the import and export tests: uploading a file, reading stored values, hunting for a canary."""

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_redis import get_redis_connection

from vault.models import Secret
from vault.services.lookup import version_get
from vault.services.sealing import version_open


def upload(client, content: str | bytes, *, kind: str = "json", env_path: str = "", name: str = "import.txt"):
    data = content.encode() if isinstance(content, str) else content
    payload = {"kind": kind, "env_path": env_path, "file": SimpleUploadedFile(name, data)}
    return client.post(reverse("vault:secret-import"), payload)


def commit(client, token: str, **extra):
    return client.post(reverse("vault:secret-import-commit"), {"token": token, **extra})


def stored(owner, path: str) -> tuple[dict[str, str], str]:
    """(fields, notes) of the current version of `owner`'s secret at `path`, decrypted for the assertion."""
    secret = Secret.objects.get(owner=owner, path=path)
    content = version_open(version=version_get(secret=secret, version=None), owner_id=owner.pk)
    return content.fields, content.notes


def canary_places(canary: str, session_key: str | None) -> list[str]:
    """Where `canary` is stored: any model row (text columns), the decoded session, or any Redis value."""
    found = []
    for model in apps.get_models():
        for row in model.objects.values_list():
            if canary in repr(row):
                found.append(model._meta.label)
    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    if session_key and canary in repr(session_store(session_key=session_key).load()):
        found.append("session")
    redis = get_redis_connection("default")
    for key in redis.scan_iter("*"):
        if redis.type(key) == b"string" and canary.encode() in (redis.get(key) or b""):
            found.append(f"redis {key!r}")
    return found
