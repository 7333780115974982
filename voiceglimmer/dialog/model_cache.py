"""A learned model kept in the cache folder: read it back, or train it and keep it.

The intent classifier, the moment boundary and the safety net are all trained
once for what they learn from and kept under a name with a hash of it; an
older copy (another hash) is removed when a new one is kept. A cache that
can't be written (read-only) only means training again next time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar


class Saved(Protocol):
    def save(self, path: Path) -> None: ...


M = TypeVar("M", bound=Saved)


def cached(
    path: Path | None,
    stale: str,
    load: Callable[[Path], M | None],
    train: Callable[[], M | None],
) -> M | None:
    """The model at ``path`` if it loads, else ``train()`` kept there (files matching
    ``stale`` beside it removed first). None when training can't run: scikit-learn
    missing (ImportError) or nothing to learn from (``train`` returns None)."""
    if path is not None and (found := load(path)) is not None:
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
