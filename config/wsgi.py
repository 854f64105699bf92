"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# gunicorn runs no system checks: load the vault keyring now so a missing or malformed key stops
# the web process at start instead of failing the first reveal.
from vault.crypto import keyring  # noqa: E402

keyring()
