"""Writing a file that holds glimmers, without ever harming what was there.

Exports and the report are written wherever the person points ``--output``,
and that place is not always a plain file: ``/dev/null``, a named pipe, a
symbolic link, a folder, a folder that does not exist. Writing "over" those the
naive way replaces a device node with a regular file (as root, ``/dev/null``
itself), follows a link somebody else planted to a file of theirs, or dies with
a traceback and leaves a temporary copy of the journal lying next to it. So
:func:`write_private`:

- refuses an existing device, named pipe, socket or folder, with a sentence
  that says what it is, and refuses a folder that does not exist;
- refuses a symbolic link at the target rather than following it or replacing
  it: following would write the journal wherever the link points (a link in a
  shared folder can be planted by someone else), and replacing it would
  quietly turn the person's own link into a plain file. Neither is something
  they asked for; naming the link lets them choose;
- writes a new owner-only (0600) temporary file in the same folder, fsyncs it
  and renames it over the target in one step, so a reader sees the old file or
  the whole new one, never half;
- removes the temporary file on every failure, Ctrl-C included.

This module imports nothing else of voiceglimmer, so any part can use it.
"""

from __future__ import annotations

import os
import secrets
import stat
from contextlib import suppress
from pathlib import Path

__all__ = ["OutputError", "check_target", "write_private"]


class OutputError(Exception):
    """The output can't (or mustn't) be written; the message says why, for a person."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def check_target(path: Path) -> None:
    """Raise OutputError unless ``path`` is a missing or regular file in an existing folder.

    Done before any work, so a wrong ``--output`` is reported at once; the
    write itself never relies on this check alone (the rename replaces only a
    directory entry, whatever appeared there meanwhile).
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        mode = None  # a parent is a file: reported below
    except OSError as exc:
        raise OutputError(f"{path} can't be checked ({exc.strerror or exc}).", path) from None
    if mode is not None:
        kind = _kind(mode)
        if stat.S_ISLNK(mode):
            target = os.readlink(path)
            raise OutputError(
                f"{path} is a symbolic link (to {target}); it was left as it is. "
                "Give the real file's name, or remove the link first.",
                path,
            )
        if stat.S_ISDIR(mode):
            raise OutputError(
                f"{path} is a folder; give a file name inside it, e.g. {path / 'glimmers.md'}.",
                path,
            )
        if kind is not None:
            raise OutputError(
                f"{path} is {kind}, not a regular file; it was left as it is. "
                "Choose a file name to write to.",
                path,
            )
    parent = path.parent
    try:
        parent_mode = os.stat(parent).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise OutputError(
            f"There is no folder {parent} to write {path.name} into; create it first.", path
        ) from None
    except OSError as exc:
        raise OutputError(f"{parent} can't be used ({exc.strerror or exc}).", path) from None
    if not stat.S_ISDIR(parent_mode):
        raise OutputError(f"{parent} is not a folder, so {path} can't be written.", path)


def write_private(path: Path, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` atomically, as a file only its owner can read.

    Raises OutputError (and leaves nothing behind) if the target is unsafe to
    write or the write fails; KeyboardInterrupt and the like still propagate,
    also with the temporary file removed.
    """
    path = Path(path)
    check_target(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    # A name no one could have planted (128 random bits), known *before* the file
    # exists: Ctrl-C can land the instant after it is created, and the cleanup
    # below must still know what to remove. (mkstemp returns the name only after
    # creating the file, which leaves that instant uncovered.)
    name = path.parent / f".{path.name}.{secrets.token_hex(16)}.tmp"
    tmp: Path | None = name  # None once it is not ours to remove
    try:
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            tmp = None  # not ours: never remove it
            raise
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)  # exactly owner-only, whatever the umask
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        # rename replaces the directory entry and never follows a link there.
        os.replace(name, path)
        tmp = None
        _fsync_folder(path.parent)
    except OSError as exc:
        why = "it is a folder" if isinstance(exc, IsADirectoryError) else exc.strerror or str(exc)
        raise OutputError(
            f"{path} couldn't be written ({why}); nothing was written.", path
        ) from exc
    finally:
        if tmp is not None:
            with suppress(OSError):
                os.unlink(tmp)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: some file systems refuse)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
