"""Where a person's private data lives on their own machine, and who else can touch it.

One folder holds the journal, its backups and the config; tests and people who
want a second journal point VOICEGLIMMER_HOME elsewhere. Folders are created
owner-only because a glimmer journal is intimate.

The same module judges whether a file or folder can be trusted: the journal
and config should be private (a warning names the ``chmod`` that makes them
so; modes are never changed behind the person's back), and anything voiceglimmer
reads as code or as parsed templates must be writable by nobody but its owner
(the plugin loader and the template cache refuse it otherwise).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from voiceglimmer.store.diagnostics import get_logger

APP = "voiceglimmer"
ENV = "VOICEGLIMMER_HOME"
#: A cache folder shared by every home (for rebuildable files holding nothing personal).
CACHE_ENV = "VOICEGLIMMER_CACHE"

log = get_logger(__name__)


class HomeError(Exception):
    """The data or config folder can't be used (a file is in the way, no permission).

    The app turns it into a UserError, printed without a traceback.
    """


@dataclass(frozen=True)
class Home:
    data: Path
    config: Path
    #: Files that can be rebuilt at any time (parsed templates); under ``data`` when
    #: VOICEGLIMMER_HOME or a test gives one folder for everything.
    cache: Path | None = None
    #: Where the folders came from, for messages: the variable that named them, if any.
    origin: str | None = None

    @classmethod
    def locate(cls) -> Home:
        override = os.environ.get(ENV)
        if override:
            root = Path(override).expanduser()
            return cls(data=root, config=root, origin=ENV)
        return cls(
            data=Path(platformdirs.user_data_dir(APP, appauthor=False)),
            config=Path(platformdirs.user_config_dir(APP, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP, appauthor=False)),
        )

    @property
    def journal(self) -> Path:
        return self.data / "journal.sqlite3"

    @property
    def config_file(self) -> Path:
        return self.config / "config.toml"

    @property
    def cache_dir(self) -> Path:
        return self.cache or self.data / "cache"

    @property
    def shared_cache_dir(self) -> Path:
        """Where rebuildable files that hold nothing personal may be shared between homes
        (the trained understanding model): ``VOICEGLIMMER_CACHE`` when set (the tests
        share one), else the cache folder."""
        shared = os.environ.get(CACHE_ENV)
        return Path(shared).expanduser() if shared else self.cache_dir

    @property
    def plugins_dir(self) -> Path:
        return self.config / "plugins"

    def ensure(self) -> None:
        """Create the data and config folders (owner-only); HomeError if that can't be done."""
        self._make(self.data, "data folder")
        if self.config != self.data:
            self._make(self.config, "config folder")

    def _make(self, folder: Path, role: str) -> None:
        if self.origin:
            named, fix = f"{self.origin} is {folder}, which", f"Point {self.origin} at a folder"
        else:
            named = f"The {role} {folder}"
            fix = f"Move that file away, or set {ENV} to a folder"
        if folder.exists() and not folder.is_dir():
            raise HomeError(f"{named} is a file, not a folder. {fix} (it is created if missing).")
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except NotADirectoryError:
            blocker = next((p for p in folder.parents if p.exists() and not p.is_dir()), None)
            where = f"{blocker} is a file" if blocker else "part of its path is a file"
            raise HomeError(f"{named} can't be created: {where}. {fix} you own.") from None
        except FileExistsError:  # a dangling symlink, or a file made meanwhile
            raise HomeError(f"{named} is a broken link, not a folder. {fix} you own.") from None
        except OSError as exc:
            raise HomeError(
                f"{named} can't be created ({exc.strerror or exc}). {fix} you own."
            ) from None

    def privacy_warnings(self) -> None:
        """Warn (once per process) about home, config or journal that others can read or write."""
        for folder in sorted({self.data, self.config}):
            warn_if_shared(folder)
        warn_if_shared(self.journal)
        warn_if_shared(self.config_file)


# -- private data: warn, don't change modes ----------------------------------------------

_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Log ``message`` as a warning (``voiceglimmer: warning: MESSAGE`` on stderr), the
    first time it comes up: the same shared folder is met by every command of a session."""
    if message in _warned:
        return
    _warned.add(message)
    log.warning("%s", message)


def sharing(path: Path) -> str | None:
    """What other users can do to a private file or folder, as a warning with its fix.

    None when it is missing or private. A folder's execute bits alone let others
    pass through it, not list or change it, so only read and write bits count.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    mode = st.st_mode
    can = [w for w, bits in (("read", 0o044), ("changed", 0o022)) if mode & bits]
    if not can:
        return None
    is_dir = stat.S_ISDIR(mode)
    kind = "the folder " if is_dir else ""
    if is_dir and _shared_scratch(mode):
        return (
            f"{kind}{path} is a shared folder every user can write to; keep your journal in "
            f"a folder of your own (set {ENV} to one, or unset it)"
        )
    fix = f"chmod {700 if is_dir else 600} {path}"
    return f"{kind}{path} can be {' and '.join(can)} by other users; run: {fix}"


def warn_if_shared(path: Path) -> None:
    problem = sharing(path)
    if problem:
        warn_once(problem)


# -- code and parsed templates: refuse what others could have written ------------------


def trusted_owners() -> frozenset[int]:
    """Who may own what voiceglimmer runs: the person running it, and root (who could
    change anything anyway). Files of any other user are someone else's code."""
    return frozenset({os.geteuid(), 0})


def _shared_scratch(mode: int) -> bool:
    """A world-writable folder with the sticky bit, like /tmp: anyone can add files."""
    return bool(mode & stat.S_ISVTX) and bool(mode & stat.S_IWOTH)


def untrusted(path: Path, st: os.stat_result) -> str | None:
    """Why ``path`` (already stat'ed, symlinks resolved) can't hold code we run, with the
    fix; None when only its owner (the user or root) can change it."""
    mode = st.st_mode
    is_dir = stat.S_ISDIR(mode)
    if st.st_uid not in trusted_owners():
        owner = _user_name(st.st_uid)
        return (
            f"{path} belongs to another user ({owner}); if it is yours to trust, "
            f"run: chown {_user_name(os.geteuid())} {path}"
        )
    if is_dir and _shared_scratch(mode):
        return (
            f"{path} is a shared folder every user can write to; move the files you "
            "trust to a folder only you can write to"
        )
    if mode & 0o022:
        who = "other users" if mode & 0o002 else "its group"
        return f"{path} can be changed by {who}; run: chmod go-w {path}"
    return None


def untrusted_folder(folder: Path, seen: dict[Path, str | None] | None = None) -> str | None:
    """Why a folder of code can't be trusted, or None.

    ``folder`` is resolved first, so a symlinked folder is judged by its target.
    The target itself must be changeable only by its owner; each folder above it
    must be owned by the user or root and not writable by others (a sticky
    shared folder like /tmp is fine as a parent: others can't rename what is
    inside it), or someone else could swap the folder for another. ``seen``
    caches verdicts across calls.
    """
    seen = {} if seen is None else seen
    real = folder.resolve()
    if real in seen:
        return seen[real]
    verdict: str | None = None
    try:
        verdict = untrusted(real, real.stat())
        for parent in real.parents:
            if verdict:
                break
            st = parent.stat()
            if st.st_uid in trusted_owners() and _shared_scratch(st.st_mode):
                continue  # like /tmp: others can add files there, not replace ours
            reason = untrusted(parent, st)
            if reason:
                verdict = f"{reason} (it holds {real})"
    except OSError as exc:
        verdict = f"{real} can't be checked ({exc.strerror or exc})"
    seen[real] = verdict
    return verdict


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"
