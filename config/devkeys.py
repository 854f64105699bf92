"""Generates development-only keys into `var/` on first use, so a fresh clone runs with no setup."""

import base64
import os
import secrets
from pathlib import Path


def _read_or_create(path: Path, make) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # Written whole to a private file, then linked into place: link() fails if the name exists, so
    # when two processes start at once one wins and the other reads the winner's complete key
    # (never an empty file caught between create and write).
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    finally:
        temporary.unlink(missing_ok=True)
    return value


def dev_secret_key(var_dir: Path) -> str:
    """Return the Django signing key for development, creating it on first use."""
    return _read_or_create(var_dir / "secret_key", lambda: secrets.token_urlsafe(50))


def dev_vault_keys(var_dir: Path) -> str:
    """Return a development vault keyring (`id:base64` entries), creating one 256-bit key on first use."""
    return _read_or_create(
        var_dir / "vault_keys",
        lambda: "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
    )
