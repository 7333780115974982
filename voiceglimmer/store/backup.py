"""Backups, restore and forgetting: the journal's safety net and its off switch.

A journal of glimmers grows over years, and one bad sector, a full disk or a
wrong command must not cost it. So:

- The App copies the journal once a day (and always before a schema upgrade)
  with SQLite's online backup API into ``backups/`` beside it, keeps the newest
  seven and drops the rest. Copies are single self-contained files (rollback
  mode, no -wal) so they can be read, listed and restored without a server.
- Every start runs ``PRAGMA quick_check`` (about 0.1 s for 100,000 glimmers) so
  damage is reported at once with the way back, instead of being copied over
  the good backups day after day, and the damaged file is never touched.
- A backup that can't be made (disk full) costs one warning line, never the
  session: the person keeps using their journal.
- Restore never destroys anything: the journal it replaces, damaged or not, is
  kept beside it, and the swap is one atomic rename. It accepts only a sound
  voiceglimmer journal (the tables and columns our migrations make, a schema
  version we know), proves the copy opens before swapping it in, names the
  set-aside journal on every failure after it was made, and refuses while
  another voiceglimmer has the journal open: every process that opens it holds
  a shared ``flock`` on ``journal.sqlite3.lock``, restore and ``forget --all``
  need it exclusively. Otherwise a chat left open keeps saving into the file
  that was set aside.
- "Forget" really forgets: rows are deleted with secure_delete on, the FTS
  index is optimized so its old segments are overwritten, the write-ahead log
  is checkpointed and truncated, and the words are removed from the backups
  and the journals set aside by restore too; half-made copies (a backup's
  ``.partial``, a restore's ``.restoring``) are shredded (``forget --all``
  deletes every copy).

Everything here reaches the database through the Journal's public methods or
a separate sqlite3 connection, so the Journal's own schema code stays its own.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import os
import re
import shutil
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from voiceglimmer.events import Glimmer
from voiceglimmer.store import journal as journal_schema
from voiceglimmer.store.diagnostics import get_logger
from voiceglimmer.store.home import Home
from voiceglimmer.store.journal import Journal, JournalError
from voiceglimmer.store.plugin_store import PLUGIN_SCHEMAS_TABLE, PluginSchema, PluginSchemaError
from voiceglimmer.wording import plural

log = get_logger(__name__)

FOLDER = "backups"
KEEP = 7
EVERY = timedelta(hours=24)
STAMP = "%Y%m%dT%H%M%SZ"
RESTORE_LATEST = "voiceglimmer restore --latest"
ASIDE_MARK = ".before-restore-"
#: Beside the journal: held shared by every process with the journal open
#: (``open_journal``), exclusively by restore and ``forget --all``.
LOCK_SUFFIX = ".lock"
#: How long an opening process waits for a restore or ``forget --all`` to finish.
LOCK_WAIT = 10.0
#: SQLite's files beside a database; never journals of their own.
_SIDECARS = ("-wal", "-shm", "-journal")
FORGET_ALL_ANSWER = "forget everything"
_NAME = re.compile(r"^journal-(\d{8}T\d{6}Z)(?:_(\d{2,}))?\.sqlite3$")
_STALE_PARTIAL = 3600.0  # seconds; younger ones may belong to a running copy
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


# -- finding backups -----------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    """One rotating backup; its name carries when it was made (UTC)."""

    path: Path
    made: datetime
    seq: int = 1

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Inspection:
    """What SQLite says about a file that might be restored."""

    path: Path
    problems: tuple[str, ...] = ()
    glimmers: int = 0
    version: int = 0
    #: True when SQLite found damage; False when the file is sound but not a
    #: journal this voiceglimmer can use (another program's, or a newer one's).
    damaged: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def why(self) -> str:
        """Why it can't be restored, as a clause after the file's name."""
        if self.ok:
            return "is fine"
        if self.damaged:
            return f"fails SQLite's integrity check ({self.problems[0]})"
        return self.problems[0]


def folder_for(journal_path: Path) -> Path:
    """The backups folder beside a journal file (``home.data / "backups"``)."""
    return journal_path.parent / FOLDER


def list_backups(folder: Path) -> list[Backup]:
    """Rotating backups, newest first; a directory listing, no file is opened."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in entries:
        m = _NAME.match(entry.name)
        if m and entry.is_file():
            made = datetime.strptime(m[1], STAMP).replace(tzinfo=UTC)
            found.append(Backup(Path(entry.path), made, int(m[2] or 1)))
    return sorted(found, key=lambda b: (b.made, b.seq), reverse=True)


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _is_damage(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _DAMAGE_CODES


def summary(problems: list[str] | tuple[str, ...]) -> str:
    """SQLite's check output (one row may hold many lines) as one short clause."""
    lines = [
        line.strip()
        for row in problems
        for line in row.splitlines()
        if line.strip() and not line.startswith("*** ")
    ]
    if not lines:
        return "the integrity check failed"
    more = f", and {len(lines) - 1} more problems" if len(lines) > 1 else ""
    return f"{lines[0][:120]}{more}"


def _schema(db: sqlite3.Connection) -> dict[tuple[str, str], frozenset[str]]:
    """Tables, indexes and triggers by (type, name), with each table's column names.

    FTS5's shadow tables (``glimmers_fts_data`` ...) are left out: SQLite makes
    them itself and their shape may change between SQLite versions.
    """
    rows = db.execute(
        "SELECT type, name, sql FROM sqlite_master "
        "WHERE type IN ('table', 'index', 'trigger') AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    virtual = [name for kind, name, sql in rows if kind == "table" and "VIRTUAL" in (sql or "")]
    found: dict[tuple[str, str], frozenset[str]] = {}
    for kind, name, _ in rows:
        if any(name.startswith(f"{v}_") for v in virtual):
            continue
        columns: frozenset[str] = frozenset()
        if kind == "table":
            columns = frozenset(r[1] for r in db.execute(f"PRAGMA table_info({_name(name)})"))
        found[(kind, name)] = columns
    return found


@functools.cache
def reference_schema(version: int) -> dict[tuple[str, str], frozenset[str]]:
    """What voiceglimmer's own migrations create at ``version``, built in memory
    from journal.MIGRATIONS so it can never drift from what Journal makes.

    The objects of a migration handed to plugins (``HANDED_TO_PLUGINS``: the 0.1
    practice tables, which the plugins that own them move into tables of their
    own and drop) are not the core's to expect: they are made and then forgotten.
    """
    handed: dict[tuple[str, str], frozenset[str] | None] = {}  # None: the whole object
    with closing(sqlite3.connect(":memory:")) as db:
        for step, script in enumerate(journal_schema.MIGRATIONS[:version]):
            before = _schema(db)
            db.executescript(script)
            if step in journal_schema.HANDED_TO_PLUGINS:
                for key, columns in _schema(db).items():
                    handed[key] = columns - before[key] if key in before else None
        made = _schema(db)
    return {
        key: columns - (handed.get(key) or frozenset())
        for key, columns in made.items()
        if not (key in handed and handed[key] is None)
    }


def schema_problem(db: sqlite3.Connection) -> str | None:
    """Why ``db`` is not a journal this voiceglimmer can open, or None.

    A file is a journal when its schema version is one voiceglimmer wrote and it
    has every table, column, index and trigger that version's migrations make
    (extra ones are tolerated). Anything else, restored, would make every
    command fail afterwards.
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > len(journal_schema.MIGRATIONS):
        return f"it was written by a newer voiceglimmer (schema {version})"
    if version < 1:
        return "it is not a voiceglimmer journal (it has no voiceglimmer schema version)"
    have = _schema(db)
    for (kind, name), columns in reference_schema(version).items():
        if (kind, name) not in have:
            return f"it is not a voiceglimmer journal (it has no {kind} {name})"
        missing = sorted(columns - have[(kind, name)])
        if missing:
            return f"it is not a voiceglimmer journal (table {name} has no column {missing[0]})"
    return None


def inspect(path: Path, *, full: bool = True) -> Inspection:
    """Integrity (or quick) check, schema, version and glimmer count, read-only."""
    try:
        with closing(read_only(path)) as db:
            rows = [r[0] for r in db.execute(f"PRAGMA {'integrity' if full else 'quick'}_check")]
            if rows != ["ok"]:
                return Inspection(path, (summary(rows),))
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            foreign = schema_problem(db)
            if foreign:
                return Inspection(path, (foreign,), 0, version, damaged=False)
            count = int(db.execute("SELECT count(*) FROM glimmers").fetchone()[0])
    except sqlite3.Error as exc:
        if _is_damage(exc):
            return Inspection(path, (str(exc),))
        return Inspection(path, (f"it can't be read ({exc})",), damaged=False)
    return Inspection(path, (), count, version, damaged=False)


def newest_good(folder: Path) -> tuple[Backup, Inspection] | None:
    """The newest backup that passes SQLite's full integrity check."""
    for backup in list_backups(folder):
        found = inspect(backup.path)
        if found.ok:
            return backup, found
    return None


# -- making backups ------------------------------------------------------------


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(*paths: Path) -> None:
    for path in paths:
        with suppress(FileNotFoundError):
            path.unlink()


def _private_file(path: Path) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))


def copy_database(source: Journal | sqlite3.Connection, target: Path) -> None:
    """A consistent, owner-only, self-contained copy, landing atomically.

    The copy is written beside ``target`` and renamed into place, so a failure
    (a full disk) leaves no half-written backup that looks like a good one.
    """
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(f".{target.name}.partial")
    try:
        if isinstance(source, Journal):
            source.backup_to(partial)
        else:
            _private_file(partial)
            with closing(sqlite3.connect(partial)) as copy:
                source.backup(copy)
        with closing(sqlite3.connect(partial)) as copy:
            # The live journal is in WAL mode and the copy inherits that; a
            # backup is easier to read, list and restore as one plain file.
            copy.execute("PRAGMA journal_mode = DELETE")
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except BaseException:
        _remove(partial, *(Path(f"{partial}{s}") for s in ("-journal", "-wal", "-shm")))
        raise


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime(STAMP)


def _next_backup(folder: Path, now: datetime) -> Backup:
    made = now.astimezone(UTC).replace(microsecond=0)
    seq = 1
    while True:
        suffix = "" if seq == 1 else f"_{seq:02d}"
        path = folder / f"journal-{_stamp(made)}{suffix}.sqlite3"
        if not path.exists():
            return Backup(path, made, seq)
        seq += 1


def prune(folder: Path, keep: int = KEEP, *, protect: Path | None = None) -> list[Path]:
    """Keep the newest ``keep`` backups (and ``protect``); remove the rest."""
    backups = list_backups(folder)
    ordered = [b for b in backups if b.path == protect] + [b for b in backups if b.path != protect]
    doomed = [b.path for b in ordered[max(keep, 1) :]]
    _remove(*doomed)
    cutoff = time.time() - _STALE_PARTIAL
    for stale in folder.glob(".journal-*.partial*"):
        with suppress(OSError):
            if stale.stat().st_mtime < cutoff:
                stale.unlink()
    return doomed


def make_backup(
    source: Journal | sqlite3.Connection, folder: Path, now: datetime, keep: int = KEEP
) -> Backup:
    """Copy the journal into the rotating backups, then prune the oldest."""
    backup = _next_backup(folder, now)
    copy_database(source, backup.path)
    prune(folder, keep, protect=backup.path)
    return backup


def backup_due(folder: Path, now: datetime) -> bool:
    """True unless a backup was made within the last 24 hours (by its name)."""
    newest = next(iter(list_backups(folder)), None)
    return newest is None or abs(now - newest.made) >= EVERY


# -- opening the journal at start-up -------------------------------------------


def _warn(message: str) -> None:
    log.warning("%s", message)


def moment_words(moment: datetime, now: datetime) -> str:
    return f"{moment.astimezone(now.tzinfo):%Y-%m-%d %H:%M}"


def damaged_message(path: Path, folder: Path, problem: str, now: datetime) -> str:
    """What to say about a damaged journal: what, that it's untouched, the way back."""
    lines = [f"Your journal at {path} is damaged ({problem}). It has not been changed."]
    good = newest_good(folder)
    if good:
        backup, found = good
        lines += [
            f"The newest good backup is {backup.path} from {moment_words(backup.made, now)} "
            f"with {plural(found.glimmers, 'glimmer')}.",
            f"To go back to it, run: {RESTORE_LATEST}",
            f"Restoring keeps the damaged journal as {path.name}{ASIDE_MARK}<time>, "
            "so nothing is lost.",
        ]
    else:
        lines += [
            f"There is no good backup in {folder} to go back to. Keep the damaged file: "
            f"`sqlite3 {path} .recover` can often rescue most of it.",
            "To start a fresh journal meanwhile, set VOICEGLIMMER_HOME to another folder.",
        ]
    return "\n".join(lines)


def _sidecars(path: Path) -> set[Path]:
    return {p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()}


def _check_before_open(path: Path, folder: Path, now: datetime, keep: int) -> str | None:
    """``_check_journal``, leaving a damaged journal's folder as it was found."""
    existed = _sidecars(path)
    try:
        return _check_journal(path, folder, now, keep)
    except JournalError:
        # The read-only check made an empty log and its index: not ours to leave.
        for made in _sidecars(path) - existed:
            if made.name.endswith("-shm") or made.stat().st_size == 0:
                _remove(made)
        raise


def _check_journal(path: Path, folder: Path, now: datetime, keep: int) -> str | None:
    """Quick-check the file and back it up if a migration is about to run.

    Done on a separate read-only connection before ``Journal()`` can write
    anything (a read-only connection never checkpoints), so a damaged file is
    reported exactly as it is. Returns a warning if the pre-migration backup
    failed; raises JournalError if the file is damaged.
    """
    with closing(read_only(path)) as db:
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            problems = [r[0] for r in db.execute("PRAGMA quick_check")]
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            if _is_damage(exc):
                raise JournalError(damaged_message(path, folder, str(exc), now)) from exc
            return None  # locked or unreadable: Journal() explains those
        if problems != ["ok"]:
            raise JournalError(damaged_message(path, folder, summary(problems), now))
        if 0 < version < len(journal_schema.MIGRATIONS):
            try:
                make_backup(db, folder, now, keep)
            except (OSError, sqlite3.Error) as exc:
                return (
                    f"couldn't back up your journal before upgrading it ({exc}). "
                    "It is upgraded and works as usual; free some disk space soon."
                )
    return None


# -- who has the journal open ---------------------------------------------------


class JournalBusy(JournalError):
    """Another voiceglimmer process holds the journal; nothing was changed."""


def lock_path(journal_path: Path) -> Path:
    """``journal.sqlite3.lock`` beside the journal: empty, only ever flock-ed."""
    return journal_path.with_name(f"{journal_path.name}{LOCK_SUFFIX}")


class JournalLock:
    """An advisory ``flock`` on the lock file beside a journal.

    Every voiceglimmer that opens the journal through :func:`open_journal`
    holds it shared for as long as the journal is open; restore and
    ``forget --all`` take it exclusively, without waiting, and refuse if they
    can't. Without it a restore under an open chat swaps the file away and the
    chat's later "Saved" glimmers land in the set-aside copy. A separate file
    (not the journal) because restore replaces the journal's inode, and flock
    rather than SQLite's own locks because those last one transaction, not a
    session. Where the file system can't lock, everything works as before.
    """

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path
        # Closing the descriptor releases the lock, also if close() is never called.
        self._close = weakref.finalize(self, os.close, fd)

    @classmethod
    def open(cls, journal_path: Path) -> JournalLock | None:
        """The lock file's descriptor (created 0600), or None if it can't be had
        (a read-only or full disk: opening the journal then explains the real problem)."""
        path = lock_path(journal_path)
        for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
            try:
                fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            except OSError:
                continue
            return cls(fd, path)
        return None

    def take(self, how: int) -> bool:
        """Try ``fcntl.LOCK_SH`` or ``LOCK_EX`` without waiting; False if someone else
        holds it. (A file system without flock counts as taken: nothing to hold.)"""
        try:
            fcntl.flock(self.fd, how | fcntl.LOCK_NB)
        except OSError as exc:
            return exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN)
        return True

    def release(self) -> None:
        self._close()


#: Exclusive locks this process holds, by journal path, so nested users share one.
_EXCLUSIVE: dict[Path, JournalLock] = {}


def hold_shared(journal_path: Path, wait: float = LOCK_WAIT) -> JournalLock | None:
    """The shared lock an open journal holds; waits up to ``wait`` seconds for a
    restore or ``forget --all`` in another process to finish."""
    lock = JournalLock.open(journal_path)
    if lock is None:
        return None
    deadline = time.monotonic() + wait
    while not lock.take(fcntl.LOCK_SH):
        if time.monotonic() >= deadline:
            lock.release()
            raise JournalBusy(
                f"Another voiceglimmer is restoring or erasing your journal at {journal_path} "
                "right now. Try again when it has finished."
            )
        time.sleep(0.05)
    return lock


@contextmanager
def exclusive(journal_path: Path, doing: str, held: JournalLock | None = None) -> Iterator[None]:
    """Hold the journal exclusively, or raise JournalBusy at once naming ``doing``.

    ``held`` is this process's own shared lock (an open journal's), converted
    in place: a second descriptor would conflict with it. A failed conversion
    drops the shared lock (that's how flock works), so it is taken back.
    """
    key = journal_path.absolute()
    if key in _EXCLUSIVE:
        yield
        return
    lock = held or JournalLock.open(journal_path)
    if lock is None:
        yield
        return
    if not lock.take(fcntl.LOCK_EX):
        if held is None:
            lock.release()
        else:
            held.take(fcntl.LOCK_SH)
        raise JournalBusy(
            "Another voiceglimmer has your journal open (a chat, `voiceglimmer run` or "
            f"another command). Close it first, then {doing} again. Nothing was changed."
        )
    _EXCLUSIVE[key] = lock
    try:
        yield
    finally:
        del _EXCLUSIVE[key]
        if held is None:
            lock.release()
        else:
            held.take(fcntl.LOCK_SH)


class HeldJournal(Journal):
    """A Journal that holds the shared lock beside it until it is closed."""

    def __init__(self, path: Path, lock: JournalLock | None) -> None:
        self.lock = lock
        try:
            super().__init__(path)
        except BaseException:
            if lock is not None:
                lock.release()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.lock is not None:
                self.lock.release()


def open_journal(
    home: Home,
    now: datetime,
    *,
    daily: bool = True,
    keep: int = KEEP,
    warn: Callable[[str], None] = _warn,
    schemas: Mapping[str, PluginSchema] | None = None,
    on_schema_problem: Callable[[str, PluginSchemaError], None] | None = None,
) -> Journal:
    """The App's way into the journal: check, back up if due, never block on a backup.

    The journal comes back holding the shared lock (see JournalLock), taken
    before anything is read so a restore can't swap the file in between, with
    the plugins' tables (``schemas``, by plugin name) set up; before any of them
    is upgraded the journal is backed up, as before the core's own upgrades. A
    plugin whose tables can't be set up goes to ``on_schema_problem`` (else a
    warning) and the rest carry on.
    """
    path, folder = home.journal, home.data / FOLDER
    problem = None
    lock = hold_shared(path)
    try:
        if path.exists() and path.stat().st_size > 0:
            problem = _check_before_open(path, folder, now, keep)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    try:
        journal = HeldJournal(path, lock)
    except JournalError as exc:
        cause = exc.__cause__
        if isinstance(cause, sqlite3.Error) and _is_damage(cause):
            raise JournalError(damaged_message(path, folder, str(cause), now)) from exc
        raise
    backed_up = False
    if daily and problem is None and backup_due(folder, now):
        try:
            if journal.count():
                make_backup(journal, folder, now, keep)
                backed_up = True
        except (OSError, sqlite3.Error) as exc:
            problem = (
                f"couldn't make today's backup in {folder} ({exc}). "
                "Your journal works as usual; free some disk space so backups can resume."
            )
    schemas = dict(schemas or {})
    # A plugin's tables already holding data are about to change: back up first. (A
    # plugin's first tables hold nothing yet; the 0.1 tables the built-ins take over
    # move in the open that upgrades the core too, after the backup made for that.)
    versions = journal.plugin_versions() if schemas else {}
    upgrading = [name for name in journal.pending(schemas) if versions.get(name, 0) > 0]
    if upgrading and problem is None and not backed_up:
        try:
            if journal.count():
                make_backup(journal, folder, now, keep)
        except (OSError, sqlite3.Error) as exc:
            problem = (
                f"couldn't back up your journal before upgrading plugin tables ({exc}). "
                "It is upgraded and works as usual; free some disk space soon."
            )
    if problem:
        warn(problem)
    for name, schema in schemas.items():
        try:
            journal.attach(name, schema)
        except PluginSchemaError as exc:
            if on_schema_problem is None:
                warn(str(exc))
            else:
                on_schema_problem(name, exc)
    return journal


# -- restore -------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    source: Path
    glimmers: int
    set_aside: Path | None


def _unique(path: Path) -> Path:
    candidate, seq = path, 1
    while candidate.exists():
        seq += 1
        candidate = path.with_name(f"{path.name}_{seq:02d}")
    return candidate


def _keep_aside(journal_path: Path, now: datetime) -> Path | None:
    """Keep the current journal (and its unfolded log) under another name.

    Hard links, so the journal stays in place until the atomic swap; a copy
    where the file system can't link. All or nothing: a half-made set-aside
    copy is removed (the journal itself is still in place then).
    """
    if not journal_path.exists():
        return None
    aside = _unique(journal_path.with_name(f"{journal_path.name}{ASIDE_MARK}{_stamp(now)}"))
    made: list[Path] = []
    try:
        for suffix in ("", "-wal"):
            here = Path(f"{journal_path}{suffix}")
            if here.exists() and (suffix == "" or here.stat().st_size > 0):
                there = Path(f"{aside}{suffix}")
                made.append(there)
                try:
                    os.link(here, there)
                except OSError:
                    shutil.copy2(here, there)
    except BaseException:
        _remove(*made)
        raise
    return aside


def _staged(journal_path: Path) -> Path:
    """Where restore builds the new journal before the swap."""
    return journal_path.with_name(f".{journal_path.name}.restoring")


def restore(source: Path, journal_path: Path, now: datetime) -> Restored:
    """Replace the journal with a checked copy of ``source``; nothing is lost.

    Only a sound voiceglimmer journal is accepted (``inspect``), only while no
    other voiceglimmer has the journal open (``exclusive``), and the staged copy
    is opened as a Journal (an older one upgraded) before anything is set aside,
    so what is swapped in is known to work. Every failure after the current
    journal was set aside names that copy.
    """
    found = inspect(source)
    if not found.ok:
        raise JournalError(
            f"{source} {found.why}, so it was not restored. Your journal has not been changed."
        )
    if journal_path.exists() and source.resolve() == journal_path.resolve():
        raise JournalError(f"{source} is your journal itself; choose a backup to restore.")
    with exclusive(journal_path, "restore"):
        staged = _staged(journal_path)
        leftovers = [staged, *(Path(f"{staged}{s}") for s in _SIDECARS)]
        _remove(*leftovers)
        aside: Path | None = None
        try:
            _private_file(staged)
            with closing(read_only(source)) as src, closing(sqlite3.connect(staged)) as dst:
                src.backup(dst)
            with Journal(staged) as copy:  # upgrades an older one, and proves it opens
                count = copy.count()
            _fsync(staged)
            aside = _keep_aside(journal_path, now)
            # A log left beside the new file would be replayed into it: remove it
            # (its contents went aside with the old journal) before the swap.
            _remove(Path(f"{journal_path}-wal"), Path(f"{journal_path}-shm"))
            os.replace(staged, journal_path)
            _fsync(journal_path.parent)
        except Exception as exc:
            _remove(*leftovers)
            raise JournalError(_restore_failed(source, exc, aside)) from exc
        except BaseException:
            _remove(*leftovers)
            if aside is not None:
                _warn(f"restore stopped; your previous journal is kept at {aside}")
            raise
    return Restored(source, count, aside)


def _restore_failed(source: Path, exc: Exception, aside: Path | None) -> str:
    reason = str(exc).rstrip(".")
    if aside is None:
        return f"Restoring {source} failed ({reason}). Your journal has not been changed."
    return (
        f"Restoring {source} failed ({reason}). Your previous journal is kept, unchanged, at "
        f"{aside}; to go back to it, run: voiceglimmer restore {aside} --yes"
    )


# -- forgetting ----------------------------------------------------------------


def _writer(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 10000")
    # Per connection: freed pages and cells are zeroed, not just unlinked.
    db.execute("PRAGMA secure_delete = ON")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _fts_tables(db: sqlite3.Connection) -> list[tuple[str, str]]:
    rows = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
    )
    return [(name, sql) for name, sql in rows if "fts5" in sql.lower()]


def _optimize(db: sqlite3.Connection) -> None:
    """Merge FTS5 segments so deleted words leave the index (and, with
    secure_delete, the file): a plain delete only adds tombstones."""
    for name, _ in _fts_tables(db):
        db.execute(f"INSERT INTO {_name(name)} ({_name(name)}) VALUES ('optimize')")


def scrub(journal: Journal) -> bool:
    """After deleting: optimize the search index and fold the log into the file.

    Returns False if another open connection kept the write-ahead log from
    being truncated (the words then leave it when that connection closes).
    """
    with closing(_writer(journal.path)) as db:
        _optimize(db)
        return _truncate_log(db)


def _truncate_log(db: sqlite3.Connection) -> bool:
    """Fold the log into the file and cut it to zero bytes; False if a reader
    elsewhere still needs it (waits half a second for it, not the full timeout)."""
    db.execute("PRAGMA busy_timeout = 500")
    busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    return not busy


def _holds(path: Path, text: str) -> bool:
    """Whether the raw bytes of ``path`` (or its log) still contain ``text``."""
    needle = text.encode("utf-8")
    for file in (path, Path(f"{path}-wal")):
        with suppress(OSError):
            if needle in file.read_bytes():
                return True
    return False


def _forget_in_copy(path: Path, glimmer: Glimmer) -> bool | None:
    """Remove one glimmer from one copy: True if it held it, False if not, None
    if the copy can't be changed (damaged) and its bytes still hold the words."""
    try:
        with closing(_writer(path)) as db:
            db.execute("BEGIN IMMEDIATE")
            gone = db.execute(
                "DELETE FROM glimmers WHERE id = ? AND text = ?", (glimmer.id, glimmer.text)
            ).rowcount
            if gone:
                _optimize(db)
            db.execute("COMMIT")
            _truncate_log(db)  # a set-aside journal may be in WAL mode, with its log
    except sqlite3.Error:
        return None if _holds(path, glimmer.text) else False
    return bool(gone)


def set_aside(journal_path: Path) -> list[Path]:
    """Journals restore set aside (``journal.sqlite3.before-restore-<time>``), not
    their SQLite sidecar files."""
    found = journal_path.parent.glob(f"{journal_path.name}{ASIDE_MARK}*")
    return sorted(p for p in found if not p.name.endswith(_SIDECARS))


def partial_copies(journal_path: Path) -> list[Path]:
    """Copies left half-made: backups being written (``backups/.journal-*.partial``)
    and a restore's staged journal (``.journal.sqlite3.restoring``), sidecars included."""
    folder = folder_for(journal_path)
    found = list(folder.glob(".journal-*.partial*")) if folder.is_dir() else []
    found += journal_path.parent.glob(f"{_staged(journal_path).name}*")
    return sorted(p for p in found if p.is_file())


def _forget_in_copies(journal_path: Path, glimmer: Glimmer) -> tuple[int, int, list[Path]]:
    """Remove one glimmer from the backups and the set-aside journals, and shred
    partial copies (they are half a journal: nothing to keep).

    Returns (backups cleaned, set-aside journals cleaned, copies that could not
    be changed and still hold the words).
    """
    for partial in partial_copies(journal_path):
        _shred(partial)
    left: list[Path] = []
    counts = [0, 0]
    paths = [b.path for b in list_backups(folder_for(journal_path))]
    for which, group in enumerate((paths, set_aside(journal_path))):
        for path in group:
            held = _forget_in_copy(path, glimmer)
            if held is None:
                left.append(path)
            counts[which] += bool(held)
    return counts[0], counts[1], left


@dataclass(frozen=True)
class Forgotten:
    glimmer: Glimmer
    backups_cleaned: int
    log_truncated: bool
    #: Journals set aside by restore that held it and no longer do.
    set_aside_cleaned: int = 0
    #: Damaged copies that could not be changed and still hold its words.
    left: tuple[Path, ...] = ()
    #: Share cards and the HTML report that quoted it, deleted.
    derived_removed: int = 0


def forget_glimmer(journal: Journal, glimmer_id: int) -> Forgotten | None:
    """Delete one glimmer (and its savorings) from the journal and every copy of it:
    backups, journals set aside by restore, and partial copies."""
    glimmer = journal.get(glimmer_id)
    if glimmer is None or not journal.delete(glimmer_id):
        return None
    truncated = scrub(journal)
    backups, asides, left = _forget_in_copies(journal.path, glimmer)
    quoted = [p for p in derived_files(journal.path) if _quotes(p, glimmer.text)]
    for path in quoted:
        _shred(path)
    return Forgotten(glimmer, backups, truncated, asides, tuple(left), len(quoted))


#: Files made from the journal that quote glimmers: share cards (the share
#: plugin's folder) and the HTML report's default file.
DERIVED = ("shared/*.md", "glimmer-report.html")


def derived_files(journal_path: Path) -> list[Path]:
    """Files beside the journal that were made from it and may quote its words."""
    found: list[Path] = []
    for pattern in DERIVED:
        found += sorted(journal_path.parent.glob(pattern))
    return [p for p in found if p.is_file() and not p.is_symlink()]


def _quotes(path: Path, text: str) -> bool:
    """Whether a card or report holds ``text``, as written or HTML-escaped."""
    import html

    try:
        content = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return text in content or html.escape(text) in content or html.escape(text, False) in content


def _shred(path: Path) -> None:
    """Overwrite with zeros, then delete (best effort: SSDs and copy-on-write
    file systems may keep old blocks, but no file holds the words any more)."""
    with suppress(OSError), open(path, "r+b") as f:
        left, block = os.fstat(f.fileno()).st_size, b"\0" * (1 << 20)
        while left > 0:
            left -= f.write(block[: min(left, len(block))])
        f.flush()
        os.fsync(f.fileno())
    _remove(path)


def copies(journal_path: Path) -> list[Path]:
    """Every file beside the journal holding a copy of it: backups, partial
    copies, journals set aside by restore (with their logs) and a restore's
    staged journal."""
    folder = folder_for(journal_path)
    found = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    found += sorted(journal_path.parent.glob(f"{journal_path.name}{ASIDE_MARK}*"))
    found += sorted(journal_path.parent.glob(f"{_staged(journal_path).name}*"))
    return [p for p in found if p.is_file()]


def _wipe(db: sqlite3.Connection) -> None:
    """Empty every table (whatever later migrations add), then rebuild the file."""
    tables = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    fts = _fts_tables(db)
    virtual = {name for name, _ in fts}
    shadow = {name for name, _ in tables for v in virtual if name.startswith(f"{v}_")}
    plain = [
        name
        for name, _ in tables
        if name not in virtual and name not in shadow and not name.startswith("sqlite_")
    ]
    # How far each plugin's tables have come is not the person's data: emptied, the
    # plugins would try to make tables that are there.
    plain = [name for name in plain if name != PLUGIN_SCHEMAS_TABLE]
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("BEGIN IMMEDIATE")
    for name in plain:
        db.execute(f"DELETE FROM {_name(name)}")
    for name, sql in fts:
        if "content=" in sql.replace(" ", "").lower():
            db.execute(f"INSERT INTO {_name(name)} ({_name(name)}) VALUES ('delete-all')")
        else:
            db.execute(f"DELETE FROM {_name(name)}")
    db.execute("COMMIT")
    db.execute("VACUUM")


@dataclass(frozen=True)
class Wiped:
    glimmers: int
    copies_deleted: int
    log_truncated: bool


def forget_everything(journal: Journal) -> Wiped:
    """Every glimmer, savoring and plugin value gone, the file rebuilt, and
    every copy beside it deleted.

    Refused (JournalBusy) while another voiceglimmer has the journal open: it
    would keep writing into, and reading from, what is being erased.
    """
    with exclusive(journal.path, "forget --all", lock_of(journal)):
        count = journal.count()
        with closing(_writer(journal.path)) as db:
            _wipe(db)
            truncated = _truncate_log(db)
        doomed = copies(journal.path) + derived_files(journal.path)
        for path in doomed:
            _shred(path)
    return Wiped(count, len(doomed), truncated)


def lock_of(journal: Journal) -> JournalLock | None:
    """The shared lock an open journal holds (``open_journal`` gives one), if any."""
    return journal.lock if isinstance(journal, HeldJournal) else None


# -- commands ------------------------------------------------------------------
