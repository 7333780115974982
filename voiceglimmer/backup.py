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
  kept beside it, and the swap is one atomic rename.
- "Forget" really forgets: rows are deleted with secure_delete on, the FTS
  index is optimized so its old segments are overwritten, the write-ahead log
  is checkpointed and truncated, and the words are removed from the backups
  too (``forget --all`` deletes the backups).

Everything here reaches the database through the Journal's public methods or
a separate sqlite3 connection, so the Journal's own schema code stays its own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from voiceglimmer import journal as journal_schema
from voiceglimmer.app import App, UserError
from voiceglimmer.events import Glimmer
from voiceglimmer.home import Home
from voiceglimmer.journal import Journal, JournalError
from voiceglimmer.wording import plural

FOLDER = "backups"
KEEP = 7
EVERY = timedelta(hours=24)
STAMP = "%Y%m%dT%H%M%SZ"
RESTORE_LATEST = "voiceglimmer restore --latest"
ASIDE_MARK = ".before-restore-"
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

    @property
    def ok(self) -> bool:
        return not self.problems


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


def _read_only(path: Path) -> sqlite3.Connection:
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


def inspect(path: Path, *, full: bool = True) -> Inspection:
    """Integrity (or quick) check, schema version and glimmer count, read-only."""
    try:
        with closing(_read_only(path)) as db:
            rows = [r[0] for r in db.execute(f"PRAGMA {'integrity' if full else 'quick'}_check")]
            if rows != ["ok"]:
                return Inspection(path, (summary(rows),))
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > len(journal_schema.MIGRATIONS):
                return Inspection(path, ("it was written by a newer voiceglimmer",), 0, version)
            count = int(db.execute("SELECT count(*) FROM glimmers").fetchone()[0])
    except sqlite3.Error as exc:
        reason = "it is not a voiceglimmer journal" if "no such table" in str(exc) else str(exc)
        return Inspection(path, (reason,))
    return Inspection(path, (), count, version)


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
    print(f"voiceglimmer: warning: {message}", file=sys.stderr)


def _when(moment: datetime, now: datetime) -> str:
    return f"{moment.astimezone(now.tzinfo):%Y-%m-%d %H:%M}"


def damaged_message(path: Path, folder: Path, problem: str, now: datetime) -> str:
    """What to say about a damaged journal: what, that it's untouched, the way back."""
    lines = [f"Your journal at {path} is damaged ({problem}). It has not been changed."]
    good = newest_good(folder)
    if good:
        backup, found = good
        lines += [
            f"The newest good backup is {backup.path} from {_when(backup.made, now)} "
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
    with closing(_read_only(path)) as db:
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


def open_journal(
    home: Home,
    now: datetime,
    *,
    daily: bool = True,
    keep: int = KEEP,
    warn: Callable[[str], None] = _warn,
) -> Journal:
    """The App's way into the journal: check, back up if due, never block on a backup."""
    path, folder = home.journal, home.data / FOLDER
    problem = None
    if path.exists() and path.stat().st_size > 0:
        problem = _check_before_open(path, folder, now, keep)
    try:
        journal = Journal(path)
    except JournalError as exc:
        cause = exc.__cause__
        if isinstance(cause, sqlite3.Error) and _is_damage(cause):
            raise JournalError(damaged_message(path, folder, str(cause), now)) from exc
        raise
    if daily and problem is None and backup_due(folder, now):
        try:
            if journal.count():
                make_backup(journal, folder, now, keep)
        except (OSError, sqlite3.Error) as exc:
            problem = (
                f"couldn't make today's backup in {folder} ({exc}). "
                "Your journal works as usual; free some disk space so backups can resume."
            )
    if problem:
        warn(problem)
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
    where the file system can't link.
    """
    if not journal_path.exists():
        return None
    aside = _unique(journal_path.with_name(f"{journal_path.name}{ASIDE_MARK}{_stamp(now)}"))
    for suffix in ("", "-wal"):
        here = Path(f"{journal_path}{suffix}")
        if here.exists() and (suffix == "" or here.stat().st_size > 0):
            there = Path(f"{aside}{suffix}")
            try:
                os.link(here, there)
            except OSError:
                shutil.copy2(here, there)
    return aside


def restore(source: Path, journal_path: Path, now: datetime) -> Restored:
    """Replace the journal with a checked copy of ``source``; nothing is lost."""
    found = inspect(source)
    if not found.ok:
        raise JournalError(
            f"{source} fails SQLite's integrity check ({found.problems[0]}), so it was not "
            "restored. Your journal has not been changed."
        )
    if journal_path.exists() and source.resolve() == journal_path.resolve():
        raise JournalError(f"{source} is your journal itself; choose a backup to restore.")
    staged = journal_path.with_name(f".{journal_path.name}.restoring")
    _remove(staged)
    try:
        _private_file(staged)
        with closing(_read_only(source)) as src, closing(sqlite3.connect(staged)) as dst:
            src.backup(dst)
        _fsync(staged)
        aside = _keep_aside(journal_path, now)
        # A log left beside the new file would be replayed into it: remove it
        # (its contents went aside with the old journal) before the swap.
        _remove(Path(f"{journal_path}-wal"), Path(f"{journal_path}-shm"))
        os.replace(staged, journal_path)
        _fsync(journal_path.parent)
    except BaseException:
        _remove(staged, Path(f"{staged}-journal"))
        raise
    return Restored(source, found.glimmers, aside)


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


def _forget_in_backups(folder: Path, glimmer: Glimmer) -> int:
    """Remove one glimmer from every backup holding it; returns how many did."""
    cleaned = 0
    for backup in list_backups(folder):
        try:
            with closing(_writer(backup.path)) as db:
                db.execute("BEGIN IMMEDIATE")
                gone = db.execute(
                    "DELETE FROM glimmers WHERE id = ? AND text = ?", (glimmer.id, glimmer.text)
                ).rowcount
                if gone:
                    _optimize(db)
                db.execute("COMMIT")
        except sqlite3.Error:
            continue  # a damaged backup: restore refuses it anyway
        cleaned += bool(gone)
    return cleaned


@dataclass(frozen=True)
class Forgotten:
    glimmer: Glimmer
    backups_cleaned: int
    log_truncated: bool


def forget_glimmer(journal: Journal, glimmer_id: int) -> Forgotten | None:
    """Delete one glimmer (and its savorings) from the journal and its backups."""
    glimmer = journal.get(glimmer_id)
    if glimmer is None or not journal.delete(glimmer_id):
        return None
    truncated = scrub(journal)
    cleaned = _forget_in_backups(folder_for(journal.path), glimmer)
    return Forgotten(glimmer, cleaned, truncated)


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
    copies and journals set aside by restore."""
    folder = folder_for(journal_path)
    found = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    found += sorted(journal_path.parent.glob(f"{journal_path.name}{ASIDE_MARK}*"))
    return found


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
    every copy beside it deleted."""
    count = journal.count()
    with closing(_writer(journal.path)) as db:
        _wipe(db)
        truncated = _truncate_log(db)
    doomed = copies(journal.path)
    for path in doomed:
        _shred(path)
    return Wiped(count, len(doomed), truncated)


# -- commands ------------------------------------------------------------------


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="back up the journal now, or list the backups")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--to", metavar="FILE", type=Path, help="write the copy here instead")
    what.add_argument("--list", action="store_true", help="show the backups, newest first")
    p.set_defaults(func=backup_command)

    p = sub.add_parser("restore", help="replace the journal with a backup")
    which = p.add_mutually_exclusive_group()
    which.add_argument("file", nargs="?", type=Path, help="a backup file (see backup --list)")
    which.add_argument("--latest", action="store_true", help="the newest good backup")
    p.add_argument("--yes", action="store_true", help="don't ask for confirmation")
    p.set_defaults(func=restore_command)

    p = sub.add_parser("forget", help="forget one glimmer, or everything")
    which = p.add_mutually_exclusive_group()
    which.add_argument("id", nargs="?", type=int, help="the glimmer's number (see list)")
    which.add_argument("--all", action="store_true", help="every glimmer and every backup")
    p.add_argument("--yes", action="store_true", help="don't ask for confirmation")
    p.set_defaults(func=forget_command)


def _confirmed(question: str, answer: str, *, yes: bool, what: str) -> bool:
    """--yes, or the exact words typed at a terminal; never a guess from a pipe."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UserError(
            f"{what} needs your confirmation: run it at a terminal, or add --yes. "
            "Nothing was changed."
        )
    try:
        typed = input(question)
    except EOFError:
        typed = ""
    if typed.strip().lower() == answer:
        return True
    print("Nothing was changed.")
    return False


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    return f"{n / 1000:.1f} KB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"


def _count(path: Path) -> str:
    try:
        with closing(_read_only(path)) as db:
            total = int(db.execute("SELECT count(*) FROM glimmers").fetchone()[0])
    except sqlite3.Error:
        return "unreadable"
    return plural(total, "glimmer")


def list_command(app: App) -> int:
    folder, now = app.home.data / FOLDER, app.clock()
    backups = list_backups(folder)
    if not backups:
        print(
            f"No backups yet. One is made in {folder} once a day when voiceglimmer "
            "opens your journal, or now with `voiceglimmer backup`."
        )
        return 0
    print(f"Backups in {folder}, newest first (the newest {KEEP} are kept):")
    for b in backups:
        print(f"{_when(b.made, now)}  {_size(b.size):>9}  {_count(b.path):>14}  {b.path.name}")
    return 0


def backup_command(args: argparse.Namespace, app: App) -> int:
    if args.list:
        return list_command(app)
    app.backups = False  # this command makes its own
    journal, now = app.journal, app.clock()
    if args.to:
        target = args.to.expanduser()
        if target.exists():
            raise UserError(f"{target} already exists; choose a new file name.")
        copy_database(journal, target)
    else:
        target = make_backup(journal, app.home.data / FOLDER, now).path
    print(f"Backed up {plural(journal.count(), 'glimmer')} to {target}")
    return 0


def _restore_source(args: argparse.Namespace, app: App) -> tuple[Path, Inspection, str]:
    folder, now = app.home.data / FOLDER, app.clock()
    if args.latest:
        good = newest_good(folder)
        if good is None:
            raise UserError(f"There is no good backup in {folder} to restore.")
        backup, found = good
        return backup.path, found, _when(backup.made, now)
    if args.file is None:
        raise UserError(
            "Say which backup to restore: voiceglimmer restore --latest, or a file "
            "(voiceglimmer backup --list shows them)."
        )
    source = args.file.expanduser()
    if not source.exists() and (folder / source.name).exists():
        source = folder / source.name
    if not source.is_file():
        raise UserError(f"There is no backup file {source}.")
    found = inspect(source)
    if not found.ok:
        raise UserError(
            f"{source} fails SQLite's integrity check ({found.problems[0]}), so it was not "
            "restored. Your journal has not been changed."
        )
    made = datetime.fromtimestamp(source.stat().st_mtime, UTC)
    return source, found, _when(made, now)


def restore_command(args: argparse.Namespace, app: App) -> int:
    source, found, made = _restore_source(args, app)
    question = (
        f"Type yes to replace your journal with {source} "
        f"({plural(found.glimmers, 'glimmer')}, from {made}): "
    )
    if not _confirmed(question, "yes", yes=args.yes, what="Restoring a backup"):
        return 1
    try:
        done = restore(source, app.home.journal, app.clock())
    except JournalError as exc:
        raise UserError(str(exc)) from exc
    print(f"Restored {plural(done.glimmers, 'glimmer')} from {source}.")
    if done.set_aside:
        print(f"Your previous journal is kept at {done.set_aside}.")
    return 0


def _forget_one(args: argparse.Namespace, app: App) -> int:
    glimmer = app.journal.get(args.id)
    if glimmer is None:
        raise UserError(f"There is no glimmer #{args.id} (voiceglimmer list shows them).")
    question = (
        f"Forget #{glimmer.id} \u201c{glimmer.text}\u201d? It is removed from your backups "
        "too and can't be undone. Type yes to forget it: "
    )
    if not _confirmed(question, "yes", yes=args.yes, what=f"Forgetting glimmer #{args.id}"):
        return 1
    done = forget_glimmer(app.journal, args.id)
    if done is None:
        raise UserError(f"There is no glimmer #{args.id} any more.")
    backups = f" It was also removed from {plural(done.backups_cleaned, 'backup')}."
    print(f"Forgot glimmer #{args.id}.{backups if done.backups_cleaned else ''}")
    if not done.log_truncated:
        print("Another voiceglimmer is open; the words leave its log when it closes.")
    return 0


def _forget_all(args: argparse.Namespace, app: App) -> int:
    journal = app.journal
    held = len(copies(journal.path))
    backups = (
        "There are no backups to delete."
        if not held
        else f"It also deletes {'the one backup' if held == 1 else f'all {held} backups'} "
        f"in {journal.path.parent}."
    )
    question = (
        f"This forgets all {plural(journal.count(), 'glimmer')}, their savorings and "
        f"everything plugins keep in your journal. {backups} It can't be undone.\n"
        f'Type "{FORGET_ALL_ANSWER}" to go ahead: '
    )
    if not _confirmed(question, FORGET_ALL_ANSWER, yes=args.yes, what="Forgetting everything"):
        return 1
    done = forget_everything(journal)
    print(
        f"Forgot {plural(done.glimmers, 'glimmer')} and deleted "
        f"{plural(done.copies_deleted, 'backup')}. Your journal is empty."
    )
    if not done.log_truncated:
        print("Another voiceglimmer is open; the words leave its log when it closes.")
    return 0


def forget_command(args: argparse.Namespace, app: App) -> int:
    app.backups = False  # no fresh copy of what is about to be forgotten
    if args.all:
        return _forget_all(args, app)
    if args.id is None:
        raise UserError(
            "Say what to forget: voiceglimmer forget ID (voiceglimmer list shows the "
            "numbers), or voiceglimmer forget --all."
        )
    return _forget_one(args, app)
