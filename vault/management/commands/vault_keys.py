"""`manage.py vault_keys add|rotate|census|retire`: the vault's key-encryption keys, online."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vault.crypto import KeyringError
from vault.services import keyops


class Command(BaseCommand):
    help = "Manage the vault keyring: add a KEK, rotate data keys to the active KEK, show the census, retire a KEK."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="add|rotate|census|retire")
        add = actions.add_parser("add", help="Generate a new 256-bit KEK and put it first in the keyring.")
        add.add_argument("--id", dest="key_id", help="Key id (default: k<YYYYMMDD>).")
        add.add_argument("--write", action="store_true", help="Write the keyring file instead of printing it.")
        rotate = actions.add_parser("rotate", help="Re-wrap every data key under the active KEK.")
        rotate.add_argument("--now", action="store_true", help="Run the batches here instead of in Celery.")
        rotate.add_argument("--batch-size", type=int, default=keyops.DEFAULT_BATCH_SIZE)
        actions.add_parser("census", help="Data keys and audit records per KEK id, and rotation progress.")
        retire = actions.add_parser("retire", help="Remove a KEK that nothing uses any more.")
        retire.add_argument("key_id", metavar="ID")
        retire.add_argument("--write", action="store_true", help="Write the keyring file instead of printing it.")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except (keyops.KeyOperationRefused, KeyringError) as exc:
            raise CommandError(str(exc)) from None

    def _add(self, *, key_id: str | None, write: bool, **_options) -> None:
        path = self._writable_file(write)
        new_id, text = keyops.keyring_add(key_id=key_id)
        self._emit(text, path=path, summary=f"Added KEK {new_id!r} (active once the keyring is reloaded).")

    def _retire(self, *, key_id: str, write: bool, **_options) -> None:
        path = self._writable_file(write)
        text = keyops.keyring_retire(key_id=key_id)
        self._emit(text, path=path, summary=f"Retired KEK {key_id!r}.")

    def _rotate(self, *, now: bool, batch_size: int, **_options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        target = keyops.key_rotation_start(batch_size=batch_size, enqueue=not now)
        remaining = keyops.rotation_remaining(to_kek=target)
        if not now:
            self.stdout.write(f"Rotation to KEK {target!r} queued: {remaining} data key(s) to re-wrap.")
            self.stdout.write("Follow it with `manage.py vault_keys census`.")
            return
        step, done = (0, 0), 0
        while step is not None:
            after_id, sweep = step
            step = keyops.key_rotation_step(to_kek=target, after_id=after_id, batch_size=batch_size, sweep=sweep)
            progress = keyops.rotation_progress()
            done = progress.done if progress else done
            self.stdout.write(f"re-wrapped {done}, remaining {keyops.rotation_remaining(to_kek=target)}")
        left = keyops.rotation_remaining(to_kek=target)
        if left:
            raise CommandError(f"{left} data key(s) did not open and were skipped; see the error log for their ids.")
        self.stdout.write(self.style.SUCCESS(f"Rotation finished: every data key is wrapped by {target!r}."))

    def _census(self, **_options) -> None:
        census = keyops.key_census()
        self.stdout.write(f"{'KEK id':<16} {'data keys':>10} {'audit records':>14}  status")
        for row in census.rows:
            status = "active" if row["active"] else ("in keyring" if row["in_keyring"] else "MISSING from keyring")
            self.stdout.write(f"{row['id']:<16} {row['data_keys']:>10} {row['audit_records']:>14}  {status}")
        if census.audit_head_key:
            self.stdout.write(f"audit chain head sealed by {census.audit_head_key!r}")
        progress = census.progress
        if progress is not None:
            self.stdout.write(
                f"rotation to {progress.target!r}: {progress.state}, started {progress.started}, "
                f"finished {progress.finished or '-'}, done {progress.done}, remaining {progress.remaining}"
            )

    def _writable_file(self, write: bool) -> Path | None:
        """The keyring file to write with --write; refuses --write when there is none or it is not writable."""
        if not write:
            return None
        path = keyops.keyring_file()
        if path is None:
            raise CommandError("--write needs the keyring in a file (VAULT_KEYS_FILE); VAULT_KEYS is set directly.")
        if not (path.exists() and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            raise CommandError(f"--write: the keyring file {path} is missing or not writable by this process.")
        return path

    def _emit(self, text: str, *, path: Path | None, summary: str) -> None:
        # The keyring goes to the file or to stdout for the operator, never to logging.
        if path is not None:
            keyops.keyring_file_write(path=path, text=text)
            self.stdout.write(self.style.SUCCESS(f"{summary} Wrote {path} (mode 0600)."))
            self.stdout.write("Restart the web and worker processes to load it.")
            return
        self.stdout.write(summary)
        hint = keyops.keyring_file()
        if hint is not None:
            self.stdout.write(
                f"Re-run with --write to rewrite {hint}; or use this VAULT_KEYS value:", self.style.NOTICE
            )
        else:
            self.stdout.write(
                "The new VAULT_KEYS value (restart web and workers after changing it):", self.style.NOTICE
            )
        self.stdout.write(text)
