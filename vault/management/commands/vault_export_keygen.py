"""`manage.py vault_export_keygen IDENTITY`: a key pair for exports encrypted to a public key."""

import os

from django.core.management.base import BaseCommand, CommandError

from vault.transfer.envelope import identity_generate


class Command(BaseCommand):
    help = "Write a new X25519 identity file (mode 0600) and print its public key, to paste into the export page."
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("identity", metavar="IDENTITY", help="Identity file to create (never overwritten).")

    def handle(self, *args, identity: str, **options) -> None:
        text, public = identity_generate()
        try:
            # O_EXCL: an existing identity is never replaced (exports made for it would become unreadable).
            descriptor = os.open(identity, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{identity} exists; choose another path (an identity is never overwritten).") from None
        except OSError as error:
            raise CommandError(f"Cannot create {identity}: {error.strerror}.") from None
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(text)
        self.stderr.write(f"Identity written to {identity} (keep it secret). Public key:")
        self.stdout.write(public)
