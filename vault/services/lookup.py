"""Finding a user's secret and versions by path for the services, with row locks where writes need them."""

from django.db.models import QuerySet

from vault.models import Secret, SecretVersion
from vault.services.errors import SecretNotFound, VersionNotFound
from vault.services.validation import path_normalize


def secret_locked(*, owner, path: str) -> Secret:
    """The owner's secret at `path`, locked for the transaction (SELECT ... FOR UPDATE), or SecretNotFound.

    Locking serializes writers of one secret, so version numbers and check-and-set cannot race.
    """
    secret = Secret.objects.select_for_update().filter(owner=owner, path=path_normalize(path)).first()
    if secret is None:
        raise SecretNotFound("There is no secret at that path.")
    return secret


def secret_get(*, owner, path: str) -> Secret:
    """The owner's secret at `path` (no lock), or SecretNotFound."""
    secret = Secret.objects.filter(owner=owner, path=path_normalize(path)).first()
    if secret is None:
        raise SecretNotFound("There is no secret at that path.")
    return secret


def version_get(*, secret: Secret, version: int | None) -> SecretVersion:
    """Version `version` of `secret` (None: the current one), or VersionNotFound."""
    number = secret.current_version if version is None else version
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise VersionNotFound("Versions are numbered from 1.")
    found = SecretVersion.objects.filter(secret=secret, version=number).first()
    if found is None:
        raise VersionNotFound(f"Version {number} does not exist (never written, or pruned).")
    return found


def versions_of(*, secret: Secret, versions) -> QuerySet[SecretVersion]:
    """The listed versions of `secret` that exist; unknown numbers are ignored, as in Vault KV v2."""
    numbers = {v for v in versions if isinstance(v, int) and not isinstance(v, bool) and v > 0}
    return SecretVersion.objects.filter(secret=secret, version__in=numbers)
