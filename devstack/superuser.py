"""Creates the first superuser when there is none, printing its one-time password as JSON on stdout.

Run by `devstack run` as `python -m devstack.superuser` with the stack's environment; the password is
handed to the parent through the pipe and stored nowhere.
"""

import json
import os
import secrets
import sys

EMAIL = "admin@keyhold.localhost"


def ensure_superuser() -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return {"created": False}
    if user_model.objects.filter(email__iexact=EMAIL).exists():
        return {"created": False, "problem": f"{EMAIL} exists but is not a superuser"}
    password = secrets.token_urlsafe(18)  # 24 characters, 144 random bits
    user_model.objects.create_superuser(email=EMAIL, password=password)
    return {"created": True, "email": EMAIL, "password": password}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(ensure_superuser()) + "\n")
