"""`manage.py vault_export_decrypt FILE`: open an encrypted export with its passphrase or identity file.

Needs no database and no keyring: it only reads the file (see docs/export-format.md).
"""

import getpass
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vault.transfer.envelope import EnvelopeError, decrypt, envelope_header, identity_parse


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read the {what} {path}: {error.strerror}.") from None


class Command(BaseCommand):
    help = "Decrypt an encrypted Keyhold export to standard output or a new file."
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE", help="The encrypted export (*.keyhold).")
        key = parser.add_mutually_exclusive_group()
        key.add_argument("--identity", metavar="F", help="Identity file, for an export encrypted to a public key.")
        key.add_argument(
            "--passphrase-file", metavar="F", help="File whose first line is the passphrase (default: prompt)."
        )
        parser.add_argument("--output", "-o", metavar="F", help="Write the plaintext to this new file (mode 0600).")

    def handle(self, *args, file: str, identity: str | None, passphrase_file: str | None, output: str | None, **_):
        data = _read(file, "export")
        try:
            kind = envelope_header(data)["kind"]
            if kind == "x25519":
                if identity is None:
                    raise CommandError("This export is encrypted to a public key: give --identity.")
                key = identity_parse(_read(identity, "identity").decode(errors="replace"))
                content, plaintext = decrypt(data, identity=key)
            else:
                if identity is not None:
                    raise CommandError("This export is encrypted with a passphrase, not to an identity.")
                passphrase = self._passphrase(passphrase_file)
                content, plaintext = decrypt(data, passphrase=passphrase)
        except EnvelopeError as error:
            raise CommandError(str(error)) from None
        self._emit(plaintext, output)
        self.stderr.write(f"Decrypted a {content} export.")

    def _passphrase(self, passphrase_file: str | None) -> str:
        if passphrase_file is None:
            return getpass.getpass("Passphrase: ")
        try:
            lines = _read(passphrase_file, "passphrase file").decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise CommandError("The passphrase file is not UTF-8 text.") from None
        return lines[0] if lines else ""

    def _emit(self, plaintext: bytes, output: str | None) -> None:
        if output is None:
            sys.stdout.buffer.write(plaintext)
            sys.stdout.flush()
            return
        try:
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{output} exists; the plaintext is never written over a file.") from None
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(plaintext)
