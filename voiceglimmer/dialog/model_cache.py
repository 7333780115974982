"""A learned model kept in the cache folder: read it back, or train it and keep it.

The intent classifier, the moment boundary and the safety net are all trained
once for what they learn from and kept under a name with a hash of it; an
older copy (another hash) is removed when a new one is kept. A cache that
can't be written (read-only) only means training again next time.

A model read from the cache is also kept in memory for the process: a process
that opens several assistants (one per room, or a test run) reads each model
once. Only the last few are kept, and a file changed on disk is read again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast


class Saved(Protocol):
    def save(self, path: Path) -> None: ...


M = TypeVar("M", bound=Saved)

#: How many models read from disk the process keeps (the intents, the boundary, the
#: safety net, and one more while a cache is replaced).
KEPT = 4
#: Models read from disk, by the name, time and size of their files (read-only once
#: loaded, so every assistant in the process may share them).
_READ: OrderedDict[tuple[tuple[str, int, int], ...], Any] = OrderedDict()


def forget() -> None:
    """Drop the models kept in memory, so the next ``cached`` reads from disk (a
    benchmark timing that read)."""
    _READ.clear()


def _stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    """The files a model at ``path`` is kept in ("x.json", "x.npz", "x-pieces.json"), by
    name, modification time and size: a file rewritten or damaged changes it."""
    files = sorted(path.parent.glob(f"{path.stem}*")) if path.parent.is_dir() else []
    stamps = []
    for file in files:
        try:
            info = file.stat()
        except OSError:
            continue
        stamps.append((str(file), info.st_mtime_ns, info.st_size))
    return tuple(stamps) or ((str(path), 0, 0),)


def cached(
    path: Path | None,
    stale: str,
    load: Callable[[Path], M | None],
    train: Callable[[], M | None],
) -> M | None:
    """The model at ``path`` if it loads, else ``train()`` kept there (files matching
    ``stale`` beside it removed first). None when training can't run: scikit-learn
    missing (ImportError) or nothing to learn from (``train`` returns None)."""
    if path is not None:
        stamp = _stamp(path)
        if stamp in _READ:
            _READ.move_to_end(stamp)
            return cast(M, _READ[stamp])
        if (found := load(path)) is not None:
            _READ[stamp] = found
            while len(_READ) > KEPT:
                _READ.popitem(last=False)
            return found
    try:
        model = train()
    except ImportError:
        return None
    if model is not None and path is not None:
        try:
            for old in path.parent.glob(stale):
                old.unlink()
            model.save(path)
        except OSError:
            pass  # a read-only cache: train again next time
    return model
