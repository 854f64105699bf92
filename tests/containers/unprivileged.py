"""Runs a command on the host the way a container runs it: as an unprivileged numeric user, with a
private /tmp, and able to reach this interpreter even when it is installed under a private home."""

import os
import shlex
import stat
import sys
from pathlib import Path


def _first_closed_ancestor(path: Path) -> Path | None:
    """The outermost directory above `path` that other users cannot enter, if any."""
    for ancestor in reversed(path.parents):
        if not os.stat(ancestor).st_mode & stat.S_IXOTH:
            return ancestor
    return None


def _bind_back(source: Path, stage: Path) -> list[str]:
    """Shell steps that park `source` on `stage` before its parent is covered, then bind it back."""
    return [f"mkdir -p {shlex.quote(str(stage))}", f"mount --bind {shlex.quote(str(source))} {shlex.quote(str(stage))}"]


def as_user(argv: list[str], *, uid: int, gid: int, private_tmp: Path, stage: Path, checkout: Path) -> list[str]:
    """`argv` wrapped to run in a mount namespace of its own as uid:gid.

    In that namespace `private_tmp` is bound over /tmp (the container's tmpfs), and when Python lives
    below a directory closed to other users (pyenv under /root), an empty tmpfs hides that directory
    and only Python's own prefix is bound back into it, so the user can run it and read nothing else.
    A `checkout` (with its virtualenv) that lives under /tmp, as a CI clone may, is bound back into
    the private /tmp at the same path. `stage` is an empty directory used on the way. unshare, sh and
    setpriv all exec: the returned command's process ends up being the role's, and signals reach it.
    """
    prefix = Path(sys.base_prefix)
    closed = _first_closed_ancestor(prefix)
    under_tmp = checkout.resolve().is_relative_to("/tmp")
    steps = ["set -eu"]
    if under_tmp:
        steps += _bind_back(checkout, stage / "checkout")
    steps.append(f"mount --bind {shlex.quote(str(private_tmp))} /tmp")
    if under_tmp:
        steps += [
            f"mkdir -p {shlex.quote(str(checkout))}",
            f"mount --bind {shlex.quote(str(stage / 'checkout'))} {shlex.quote(str(checkout))}",
        ]
    if closed is not None:
        steps += [
            *_bind_back(prefix, stage / "python"),
            f"mount -t tmpfs -o mode=0755,size=1m tmpfs {shlex.quote(str(closed))}",
            f"mkdir -p {shlex.quote(str(prefix))}",
            f"mount --bind {shlex.quote(str(stage / 'python'))} {shlex.quote(str(prefix))}",
        ]
    steps.append(f'exec setpriv --reuid={uid} --regid={gid} --clear-groups -- "$@"')
    # unshare's default propagation is private: none of these mounts is visible outside.
    return ["unshare", "--mount", "--", "sh", "-c", "\n".join(steps), "as-user", *argv]
