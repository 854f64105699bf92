"""Runs against a site's own database from outside pytest: `python -m tests.reliability.vault_probe setup|check`.

`setup` creates a verified user and a read/write API token and prints the token. `check` opens every
secret version and prints, as JSON, the rows that are half-written or do not decrypt, and each secret's
current value, so the test can compare them with the writes the site acknowledged.
"""

import json
import os
import sys

import django


def setup() -> str:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.services.tokens import token_create

    user = get_user_model().objects.create_user(email="pg-restart@example.test", password="x" * 20)
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return token_create(user=user, name="writer", can_read=True, can_write=True)[1]


def check() -> dict:
    from vault.crypto import DecryptError
    from vault.models import Secret, SecretVersion
    from vault.services.sealing import version_open

    broken, values = [], {}
    for version in SecretVersion.objects.select_related("secret").order_by("id"):
        if version.wrapped_key is None or version.ciphertext is None:
            broken.append(f"{version.pk}: missing its data key or ciphertext")
            continue
        try:
            content = version_open(version=version, owner_id=version.secret.owner_id)
        except DecryptError:
            broken.append(f"{version.pk}: does not decrypt")
            continue
        values[version.secret.path] = content.fields
    empty = list(Secret.objects.filter(versions__isnull=True).values_list("path", flat=True))
    return {"versions": SecretVersion.objects.count(), "broken": broken, "empty_secrets": empty, "values": values}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    result = setup() if sys.argv[1] == "setup" else check()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
