"""The private journal: one SQLite file on the person's own machine.

Every write commits before it returns (WAL, synchronous=FULL), so a glimmer
the assistant has confirmed survives a crash or a pulled plug. Times are
stored twice: the ISO text keeps the offset the person was in when they
noticed it, and a UTC timestamp makes day and week ranges an index lookup.
"""

from __future__ import annotations

import gc
import json
import math
import os
import random
import re
import shutil
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal, NamedTuple

from voiceglimmer import crisis
from voiceglimmer.events import Glimmer, Savoring, Source
from voiceglimmer.store import clock

SOURCES: tuple[Source, ...] = ("typed", "voice", "imported")
EXPORT_FORMAT = "voiceglimmer-journal"
#: Version 2 adds tags, calm ratings, reflections and reminders; version 1
#: files (glimmers and savorings only) still import.
EXPORT_VERSION = 2

TagSource = Literal["inferred", "person"]
TAG_SOURCES: tuple[TagSource, ...] = ("inferred", "person")
#: When a reminder repeats: every day, on weekdays, at weekends, or on the
#: named days ("mon,wed,fri").
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SETS = {"daily": WEEKDAYS, "weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:]}

# -- the range of values the journal keeps ---------------------------------------
#
# One bad value used to brick the journal: a year-1 time made stats fail ("year 0")
# and listing overflow, an infinite savoring length broke stats and exported
# "Infinity". These limits are the one place that says what may be stored; Journal
# checks them on every write and import, `log --at` asks check_moment, and the
# readers (stats, report, list, export) skip whatever an older version let in.

#: The earliest moment kept. Room for any remembered moment, while every time,
#: its local day and its UTC day stay well inside what datetime and SQLite can
#: compute with (year 1 in a zone east of UTC has no UTC day at all).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
EARLIEST_TS = EARLIEST.timestamp()
#: The hard ceiling the journal itself holds to, whatever clock its caller runs
#: on (tests and demonstrations pin one): far enough that no pinned clock meets
#: it, near enough that no offset can push a time past datetime's year 9999.
CEILING = datetime(2200, 1, 1, tzinfo=UTC)
CEILING_TS = CEILING.timestamp()
#: How far past "now" a moment may be where now is known (`log --at`, import):
#: room for a clock set a little wrong on the machine an export came from, never
#: room for a typo such as year 9999.
CLOCK_SKEW = timedelta(days=1)
#: The longest savoring believed: a real one lasts a minute or two, so a longer
#: value is a broken one, and an unbounded one would swamp every total.
MAX_SAVORING_SECONDS = 86_400.0
#: SQLite's ids are signed 64-bit integers; a larger one can't even be looked up.
MAX_ID = 2**63 - 1
#: How the range is said in every refusal.
RANGE_WORDS = "glimmer times run from 1 January 1900 (UTC) up to now"


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a bulk job, then as it was found.

    A large export is millions of small containers with no cycles; building
    more objects beside them sets off collections that walk them all again and
    again (more than a third of a 200,000-glimmer import's time).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def latest_now() -> datetime:
    """The later of the system clock and a pinned VOICEGLIMMER_NOW.

    Used where a caller gives no "now": a demonstration clock pinned in the past
    must not make a real glimmer from today look like the future.
    """
    real = datetime.now(UTC)
    try:
        pinned = clock.now()
    except ValueError:  # an unreadable VOICEGLIMMER_NOW is reported where it is used
        return real
    return max(real, pinned)


def moment_problem(when: datetime, now: datetime | None = None) -> str | None:
    """Why ``when`` can't be kept, as words that follow "the time", or None if it can.

    Always within [EARLIEST, CEILING); with ``now``, also no later than
    ``now + CLOCK_SKEW``.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        return "has no time zone"
    return _timestamp_problem(when.timestamp(), _latest_ts(now))


def _latest_ts(now: datetime | None) -> float:
    """The last timestamp allowed: CEILING, or sooner when ``now`` is known."""
    if now is None:
        return CEILING_TS
    return min(CEILING_TS, now.timestamp() + CLOCK_SKEW.total_seconds())


def _timestamp_problem(ts: float, latest_ts: float) -> str | None:
    """The range check itself, on timestamps (no datetime arithmetic can overflow)."""
    if ts < EARLIEST_TS:
        return "is before 1900"
    if ts > latest_ts or ts >= CEILING_TS:
        return "is in the future"
    return None


def check_moment(when: datetime, now: datetime | None = None, what: str = "the time") -> datetime:
    """``when`` if the journal can keep it (see moment_problem), else a ValueError
    worded for the person, naming ``what`` and the allowed range."""
    problem = moment_problem(when, now)
    if problem:
        raise ValueError(f"{what} {when.isoformat()} {problem}; {RANGE_WORDS}")
    return when


def seconds_problem(seconds: object) -> str | None:
    """Why ``seconds`` can't be a savoring's length, or None if it can."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return "is not a number"
    if not math.isfinite(seconds):
        return "is not a finite number"
    if not 0 <= seconds <= MAX_SAVORING_SECONDS:
        return f"is not between 0 and {MAX_SAVORING_SECONDS:.0f} (a day)"
    return None


def usable_seconds(seconds: float) -> float:
    """A stored savoring length for arithmetic: one out of range (infinite, from an
    older version) counts as nothing rather than swamping a total."""
    return float(seconds) if seconds_problem(seconds) is None else 0.0


#: SQL for the same rule, over a ``seconds`` column.
USABLE_SECONDS_SQL = (
    f"(CASE WHEN seconds BETWEEN 0 AND {MAX_SAVORING_SECONDS} THEN seconds ELSE 0 END)"
)


def local_time(when: datetime, tz: tzinfo | None) -> datetime:
    """``when`` in ``tz``; a moment with no such local time (year 1 east of UTC,
    stored by an older version) is shown as it was stored instead of failing."""
    try:
        return when.astimezone(tz)
    except (OverflowError, ValueError):
        return when


# Each entry moves the schema one version forward; never edit a released step,
# add a new one. PRAGMA user_version records how far a file has come.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE glimmers (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        created_ts REAL NOT NULL,
        text TEXT NOT NULL CHECK (length(trim(text)) > 0),
        source TEXT NOT NULL CHECK (source IN ('typed', 'voice', 'imported'))
    );
    CREATE INDEX glimmers_by_time ON glimmers (created_ts);
    CREATE TABLE savorings (
        id INTEGER PRIMARY KEY,
        glimmer_id INTEGER NOT NULL REFERENCES glimmers (id) ON DELETE CASCADE,
        started_at TEXT NOT NULL,
        seconds REAL NOT NULL CHECK (seconds >= 0),
        length TEXT NOT NULL,
        completed INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX savorings_by_glimmer ON savorings (glimmer_id);
    CREATE VIRTUAL TABLE glimmers_fts USING fts5(
        text, content='glimmers', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER glimmers_fts_insert AFTER INSERT ON glimmers BEGIN
        INSERT INTO glimmers_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER glimmers_fts_delete AFTER DELETE ON glimmers BEGIN
        INSERT INTO glimmers_fts (glimmers_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER glimmers_fts_update AFTER UPDATE OF text ON glimmers BEGIN
        INSERT INTO glimmers_fts (glimmers_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO glimmers_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TABLE plugin_state (
        plugin TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (plugin, key)
    );
    """,
    # 2: the deeper practice: themes, calm ratings, reflections, reminders.
    """
    CREATE TABLE tags (
        glimmer_id INTEGER NOT NULL REFERENCES glimmers (id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('inferred', 'person')),
        PRIMARY KEY (glimmer_id, tag)
    );
    CREATE INDEX tags_by_tag ON tags (tag);
    ALTER TABLE savorings ADD COLUMN calm_before INTEGER CHECK (calm_before BETWEEN 1 AND 5);
    ALTER TABLE savorings ADD COLUMN calm_after INTEGER CHECK (calm_after BETWEEN 1 AND 5);
    CREATE TABLE reflections (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        created_at TEXT NOT NULL,
        note TEXT NOT NULL,
        glimmer_id INTEGER REFERENCES glimmers (id) ON DELETE SET NULL
    );
    CREATE INDEX reflections_by_day ON reflections (day);
    CREATE TABLE reminders (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        days TEXT NOT NULL DEFAULT 'daily',
        message TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        last_fired TEXT,
        enabled INTEGER NOT NULL DEFAULT 1
    );
    """,
)

_GLIMMER_COLUMNS = f"""
    g.id, g.created_at, g.text, g.source,
    (SELECT count(*) FROM savorings s WHERE s.glimmer_id = g.id),
    (SELECT coalesce(sum({USABLE_SECONDS_SQL}), 0) FROM savorings s WHERE s.glimmer_id = g.id)
"""


class Imported(NamedTuple):
    """What an import did with the glimmers in the file."""

    added: int
    skipped: int
    #: Entries whose words may mean danger: not kept as glimmers (see crisis.py).
    withheld: int = 0


class JournalError(RuntimeError):
    """A journal problem worded for the person, with what to do about it."""


class JournalWriteError(JournalError):
    """The disk refused a write (full, read-only, gone): nothing was saved."""


def _why_not_written(exc: sqlite3.Error, folder: Path) -> str | None:
    """The plain reason a write failed, or None if it isn't the disk's doing."""
    text = str(exc).lower()
    try:
        nearly_full = shutil.disk_usage(folder).free < 256 * 1024
    except OSError:
        nearly_full = False
    if "full" in text or (nearly_full and ("i/o" in text or "unable to open" in text)):
        return "the disk is full"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return f"{folder} is read-only or unavailable"
    if "i/o" in text:
        return f"the disk reported an error ({exc})"
    return None


@dataclass(frozen=True)
class Reflection:
    """A note the person added to one day, maybe about one of its glimmers."""

    id: int
    day: date
    created_at: datetime
    note: str
    glimmer_id: int | None = None


@dataclass(frozen=True)
class Reminder:
    """A daily (or weekly-pattern) nudge toward the practice.

    ``kind`` says what it is for ("look", "reflect", "morning", "custom");
    ``at`` is a local wall-clock time, so a reminder at 08:00 stays at 08:00
    across daylight-saving changes and travel.
    """

    id: int
    kind: str
    at: time
    days: str
    message: str
    created_at: datetime
    last_fired: datetime | None = None
    enabled: bool = True

    @property
    def weekdays(self) -> tuple[str, ...]:
        """The days it repeats on, as three-letter names."""
        return days_of(self.days)


@dataclass(frozen=True)
class CalmRating:
    """How settled someone felt before and after one savoring (1 to 5)."""

    savoring_id: int
    glimmer_id: int
    started_at: datetime
    before: int | None
    after: int | None

    @property
    def rise(self) -> int | None:
        """How much calmer afterwards; None unless both ratings were given."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def days_of(days: str) -> tuple[str, ...]:
    """'daily' / 'weekdays' / 'weekends' / 'mon,thu' as weekday names; ValueError otherwise."""
    key = days.strip().lower()
    if key in DAY_SETS:
        return DAY_SETS[key]
    named = tuple(d.strip()[:3] for d in key.split(",") if d.strip())
    if not named or any(d not in WEEKDAYS for d in named):
        raise ValueError(f"unknown reminder days {days!r}")
    return tuple(d for d in WEEKDAYS if d in named)


def _hhmm(at: time | str) -> str:
    """'HH:MM' from a time or from '8:00' / '08:00'; ValueError for anything else."""
    if isinstance(at, str):
        found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", at)
        if not found:
            raise ValueError(f"a reminder time looks like 08:00, not {at!r}")
        at = time(int(found.group(1)), int(found.group(2)))
    return f"{at.hour:02d}:{at.minute:02d}"


def _reminder(row: tuple[Any, ...]) -> Reminder:
    return Reminder(
        id=row[0],
        kind=row[1],
        at=time.fromisoformat(row[2]),
        days=row[3],
        message=row[4],
        created_at=datetime.fromisoformat(row[5]),
        last_fired=datetime.fromisoformat(row[6]) if row[6] else None,
        enabled=bool(row[7]),
    )


_REMINDER_COLUMNS = "id, kind, at, days, message, created_at, last_fired, enabled"


def _rating(value: int | None, which: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError(f"a calm rating ({which}) is a whole number from 1 to 5, not {value!r}")
    return value


def _in_range(when: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or when >= start) and (end is None or when < end)


# Tags that count for a glimmer: the person's own when they gave any, else
# the inferred ones. A correction replaces a guess; it doesn't sit beside it.
_EFFECTIVE_TAGS = """
    SELECT t.glimmer_id, t.tag, t.rowid AS position FROM tags t
    WHERE t.source = 'person' OR NOT EXISTS (
        SELECT 1 FROM tags p WHERE p.glimmer_id = t.glimmer_id AND p.source = 'person'
    )
"""


def _glimmer(row: tuple[Any, ...]) -> Glimmer:
    return Glimmer(
        id=row[0],
        created_at=datetime.fromisoformat(row[1]),
        text=row[2],
        source=row[3],
        savor_count=row[4],
        savored_seconds=float(row[5]),
    )


def _check_seconds(seconds: object) -> None:
    problem = seconds_problem(seconds)
    if problem:
        raise ValueError(f"a savoring's length in seconds ({seconds!r}) {problem}")


def _require_aware(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("journal times must carry a time zone")
    return when


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (triggers keep their inner ';')."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                yield statement.strip()
            statement = ""


def _fts_query(words: Iterable[str], joiner: str) -> str:
    """Quote every word so FTS5 syntax in what the person said is just text."""
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    return f" {joiner} ".join(quoted)


class Journal:
    """All reads and writes of the journal go through here."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            # Create the file owner-only before SQLite does (it would honour the
            # umask); SQLite gives its -wal and -shm files the same mode.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            self._db = sqlite3.connect(path, timeout=10, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout = 10000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            # Deleted words are overwritten in the file, not just unlinked:
            # "forget" must really forget.
            self._db.execute("PRAGMA secure_delete = ON")
            self._migrate()
        except sqlite3.OperationalError as exc:
            why = _why_not_written(exc, path.parent)
            if why:
                raise JournalWriteError(
                    f"The journal at {path} can't be opened for writing: {why}. "
                    "Nothing was changed."
                ) from exc
            raise JournalError(f"The journal at {path} can't be used right now ({exc}).") from exc
        except sqlite3.DatabaseError as exc:
            raise JournalError(
                f"The journal at {path} can't be read ({exc}). It has not been changed. "
                "Move it aside and restore a backup, or set VOICEGLIMMER_HOME to use "
                "another folder."
            ) from exc

    # -- lifecycle ---------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise JournalError(
                f"The journal at {self.path} was written by a newer voiceglimmer "
                f"(schema {version}); upgrade voiceglimmer to open it."
            )
        while version < len(MIGRATIONS):
            # One step per write transaction, the version read inside it: two
            # processes opening a new journal at once must not both migrate.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                if version < len(MIGRATIONS):
                    for statement in _statements(MIGRATIONS[version]):
                        self._db.execute(statement)
                    version += 1
                    self._db.execute(f"PRAGMA user_version = {version}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (the connection otherwise commits statement by statement)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def backup_to(self, target: Path) -> None:
        """A consistent copy through SQLite's online backup API, owner-only."""
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
        with closing(sqlite3.connect(target)) as copy:
            self._db.backup(copy)

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- glimmers ----------------------------------------------------------

    def add(self, text: str, *, created_at: datetime, source: Source = "typed") -> Glimmer:
        """Save a glimmer; it is committed to disk when this returns.

        NUL characters are dropped: SQLite's text functions stop at them. A time
        outside the journal's range is refused (ValueError) here as well as at
        the command line, so no plugin can store one that breaks stats or lists.
        Words of harm raise :class:`crisis.NotAGlimmer`: whatever path they came
        by, they are never kept as a glimmer.
        """
        if not isinstance(text, str):
            raise ValueError(f"a glimmer's words are text, not {type(text).__name__}")
        text = text.replace("\x00", "").strip()
        if not text:
            raise ValueError("a glimmer needs some words")
        crisis.check_glimmer(text)
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        _require_aware(created_at)
        check_moment(created_at, what="a glimmer's time")
        try:
            with self._db:
                cur = self._db.execute(
                    "INSERT INTO glimmers (created_at, text, source, created_ts) "
                    "VALUES (?, ?, ?, ?)",
                    (created_at.isoformat(), text, source, created_at.timestamp()),
                )
        except sqlite3.OperationalError as exc:
            why = _why_not_written(exc, self.path.parent) or f"the journal refused it ({exc})"
            raise JournalWriteError(f"I couldn't save it: {why} ({self.path.parent}).") from exc
        return Glimmer(id=int(cur.lastrowid or 0), created_at=created_at, text=text, source=source)

    def get(self, glimmer_id: int) -> Glimmer | None:
        row = self._db.execute(
            f"SELECT {_GLIMMER_COLUMNS} FROM glimmers g WHERE g.id = ?", (glimmer_id,)
        ).fetchone()
        return _glimmer(row) if row else None

    def latest(self, limit: int = 1) -> list[Glimmer]:
        rows = self._db.execute(
            f"SELECT {_GLIMMER_COLUMNS} FROM glimmers g ORDER BY g.created_ts DESC, g.id DESC "
            "LIMIT ?",
            (limit,),
        )
        return [_glimmer(r) for r in rows]

    def between(
        self, start: datetime, end: datetime, *, limit: int = -1, offset: int = 0
    ) -> list[Glimmer]:
        """Glimmers noticed in [start, end), oldest first, the way a day is told."""
        rows = self._db.execute(
            f"SELECT {_GLIMMER_COLUMNS} FROM glimmers g "
            "WHERE g.created_ts >= ? AND g.created_ts < ? "
            "ORDER BY g.created_ts, g.id LIMIT ? OFFSET ?",
            (_require_aware(start).timestamp(), _require_aware(end).timestamp(), limit, offset),
        )
        return [_glimmer(r) for r in rows]

    def count_between(self, start: datetime, end: datetime) -> int:
        return int(
            self._db.execute(
                "SELECT count(*) FROM glimmers WHERE created_ts >= ? AND created_ts < ?",
                (_require_aware(start).timestamp(), _require_aware(end).timestamp()),
            ).fetchone()[0]
        )

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM glimmers").fetchone()[0])

    def _match(self, words: Iterable[str]) -> tuple[str, int] | None:
        """The FTS query for the words (all of them, else any) and how many it finds."""
        # letters, digits and combining marks (Devanagari and Thai vowel signs are marks)
        words = [
            w
            for w in (
                "".join(c for c in w if unicodedata.category(c)[0] in "LNM" or c in "'-_")
                for w in words
            )
            if w
        ]
        if not words:
            return None
        for joiner in ("AND", "OR"):
            query = _fts_query(words, joiner)
            found = self._db.execute(
                "SELECT count(*) FROM glimmers_fts WHERE glimmers_fts MATCH ?", (query,)
            ).fetchone()[0]
            if found or len(words) == 1:
                return query, int(found)
        return None

    def search_count(self, words: Iterable[str]) -> int:
        """How many glimmers ``search`` would find, without reading them."""
        match = self._match(words)
        return match[1] if match else 0

    def search(self, words: Iterable[str], *, limit: int = -1, offset: int = 0) -> list[Glimmer]:
        """Newest glimmers containing all the words (stemmed), else any of them."""
        match = self._match(words)
        if not match or not match[1]:
            return []
        # Sort and cut the ids first; the savoring columns only for the rows returned.
        rows = self._db.execute(
            f"SELECT {_GLIMMER_COLUMNS} FROM ("
            "SELECT g.id AS id, g.created_ts AS ts FROM glimmers_fts f "
            "JOIN glimmers g ON g.id = f.rowid WHERE glimmers_fts MATCH ? "
            "ORDER BY g.created_ts DESC, g.id DESC LIMIT ? OFFSET ?"
            ") m JOIN glimmers g ON g.id = m.id ORDER BY m.ts DESC, m.id DESC",
            (match[0], limit, offset),
        )
        return [_glimmer(r) for r in rows]

    def random(self, rng: random.Random) -> Glimmer | None:
        total = self.count()
        if not total:
            return None
        row = self._db.execute(
            f"SELECT {_GLIMMER_COLUMNS} FROM glimmers g ORDER BY g.id LIMIT 1 OFFSET ?",
            (rng.randrange(total),),
        ).fetchone()
        return _glimmer(row)

    def delete(self, glimmer_id: int) -> bool:
        with self._db:
            cur = self._db.execute("DELETE FROM glimmers WHERE id = ?", (glimmer_id,))
        return cur.rowcount > 0

    def __iter__(self) -> Iterator[Glimmer]:
        rows = self._db.execute(
            f"SELECT {_GLIMMER_COLUMNS} FROM glimmers g ORDER BY g.created_ts, g.id"
        )
        return (_glimmer(r) for r in rows)

    # -- savoring ----------------------------------------------------------

    def record_savoring(
        self,
        glimmer_id: int,
        *,
        started_at: datetime,
        seconds: float,
        length: str,
        completed: bool = True,
    ) -> Savoring:
        """Store one savoring; its start must be in the journal's range and its
        length a finite number of seconds up to a day (ValueError otherwise)."""
        check_moment(_require_aware(started_at), what="a savoring's start")
        _check_seconds(seconds)
        with self._db:
            cur = self._db.execute(
                "INSERT INTO savorings (glimmer_id, started_at, seconds, length, completed) "
                "VALUES (?, ?, ?, ?, ?)",
                (glimmer_id, _require_aware(started_at).isoformat(), seconds, length, completed),
            )
        return Savoring(
            id=int(cur.lastrowid or 0),
            glimmer_id=glimmer_id,
            started_at=started_at,
            seconds=seconds,
            length=length,
            completed=completed,
        )

    def finish_savoring(self, savoring_id: int, *, seconds: float, completed: bool) -> None:
        """Correct a savoring to what was really spoken (it may have been stopped)."""
        _check_seconds(seconds)
        with self._db:
            self._db.execute(
                "UPDATE savorings SET seconds = ?, completed = ? WHERE id = ?",
                (seconds, completed, savoring_id),
            )

    def savorings(self, glimmer_id: int) -> list[Savoring]:
        rows = self._db.execute(
            "SELECT id, glimmer_id, started_at, seconds, length, completed FROM savorings "
            "WHERE glimmer_id = ? ORDER BY started_at, id",
            (glimmer_id,),
        )
        return [
            Savoring(
                r[0], r[1], datetime.fromisoformat(r[2]), usable_seconds(r[3]), r[4], bool(r[5])
            )
            for r in rows
        ]

    def rate_savoring(
        self, savoring_id: int, *, before: int | None = None, after: int | None = None
    ) -> None:
        """Store how settled the person felt (1 to 5); a rating left out is left as it was."""
        updates = {
            column: value
            for column, value in (
                ("calm_before", _rating(before, "before")),
                ("calm_after", _rating(after, "after")),
            )
            if value is not None
        }
        if not updates:
            return
        assignments = ", ".join(f"{column} = ?" for column in updates)
        with self._db:
            self._db.execute(
                f"UPDATE savorings SET {assignments} WHERE id = ?", (*updates.values(), savoring_id)
            )

    def rated_savorings(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[CalmRating]:
        """Savorings with at least one calm rating, started in [start, end), oldest first."""
        rows = self._db.execute(
            "SELECT id, glimmer_id, started_at, calm_before, calm_after FROM savorings "
            "WHERE calm_before IS NOT NULL OR calm_after IS NOT NULL ORDER BY id"
        )
        ratings = [CalmRating(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4]) for r in rows]
        ratings = [r for r in ratings if _in_range(r.started_at, start, end)]
        return sorted(ratings, key=lambda r: (r.started_at, r.savoring_id))

    def calm_ratings(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[tuple[datetime, int | None, int | None]]:
        """(when, before, after) for every rated savoring in [start, end), oldest first."""
        return [(r.started_at, r.before, r.after) for r in self.rated_savorings(start, end)]

    # -- tags (senses and themes) ------------------------------------------

    @staticmethod
    def _clean_tags(tags: Iterable[str]) -> list[str]:
        cleaned = (" ".join(str(t).lower().split()) for t in tags)
        return list(dict.fromkeys(t for t in cleaned if t))

    def set_tags(self, glimmer_id: int, tags: Iterable[str], source: TagSource) -> None:
        """Replace the tags of one source on a glimmer (lower-cased, no repeats).

        A tag the person gave is never downgraded by a later guess; when the
        person gives a tag that was guessed, it becomes theirs.
        """
        if source not in TAG_SOURCES:
            raise ValueError(f"unknown tag source {source!r}")
        cleaned = self._clean_tags(tags)
        with self._db:
            self._db.execute(
                "DELETE FROM tags WHERE glimmer_id = ? AND source = ?", (glimmer_id, source)
            )
            for tag in cleaned:
                if source == "person":  # the person's order, not the guess's
                    self._db.execute(
                        "DELETE FROM tags WHERE glimmer_id = ? AND tag = ?", (glimmer_id, tag)
                    )
                self._db.execute(
                    "INSERT OR IGNORE INTO tags (glimmer_id, tag, source) VALUES (?, ?, ?)",
                    (glimmer_id, tag, source),
                )

    def tags(self, glimmer_id: int, source: TagSource | None = None) -> list[str]:
        """A glimmer's tags in the order given: the person's if any, else the guessed ones.

        With ``source``, only the tags from that source.
        """
        if source is None:
            rows = self._db.execute(
                f"SELECT tag FROM ({_EFFECTIVE_TAGS}) WHERE glimmer_id = ? ORDER BY position",
                (glimmer_id,),
            )
        else:
            rows = self._db.execute(
                "SELECT tag FROM tags WHERE glimmer_id = ? AND source = ? ORDER BY rowid",
                (glimmer_id, source),
            )
        return [r[0] for r in rows]

    def tag_sources(self, glimmer_id: int) -> dict[str, TagSource]:
        """Every stored tag of a glimmer and who gave it (guessed ones hidden by a
        correction included)."""
        rows = self._db.execute(
            "SELECT tag, source FROM tags WHERE glimmer_id = ? ORDER BY rowid", (glimmer_id,)
        )
        return {r[0]: r[1] for r in rows}

    def untagged(self, limit: int = -1) -> list[Glimmer]:
        """Glimmers with no tag at all (imported from an old export, or saved
        before tagging existed), oldest first."""
        rows = self._db.execute(
            f"SELECT {_GLIMMER_COLUMNS} FROM glimmers g "
            "WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.glimmer_id = g.id) "
            "ORDER BY g.created_ts, g.id LIMIT ?",
            (limit,),
        )
        return [_glimmer(r) for r in rows]

    def _range_clause(
        self, start: datetime | None, end: datetime | None
    ) -> tuple[str, list[float]]:
        clauses, params = [], []
        if start is not None:
            clauses.append("g.created_ts >= ?")
            params.append(_require_aware(start).timestamp())
        if end is not None:
            clauses.append("g.created_ts < ?")
            params.append(_require_aware(end).timestamp())
        return (" AND ".join(clauses) or "1"), params

    def tag_counts(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> dict[str, int]:
        """How many glimmers noticed in [start, end) carry each tag, most first."""
        where, params = self._range_clause(start, end)
        rows = self._db.execute(
            f"SELECT e.tag, count(*) AS n FROM ({_EFFECTIVE_TAGS}) e "
            f"JOIN glimmers g ON g.id = e.glimmer_id WHERE {where} "
            "GROUP BY e.tag ORDER BY n DESC, e.tag",
            params,
        )
        return {r[0]: int(r[1]) for r in rows}

    def tags_between(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[tuple[Glimmer, list[str]]]:
        """Glimmers noticed in [start, end), oldest first, each with its tags."""
        where, params = self._range_clause(start, end)
        rows = self._db.execute(
            f"SELECT {_GLIMMER_COLUMNS} FROM glimmers g WHERE {where} ORDER BY g.created_ts, g.id",
            params,
        ).fetchall()
        return [(_glimmer(r), self.tags(r[0])) for r in rows]

    def with_tag(self, tag: str, *, limit: int = -1) -> list[Glimmer]:
        """Newest glimmers carrying ``tag``."""
        rows = self._db.execute(
            f"SELECT {_GLIMMER_COLUMNS} FROM glimmers g JOIN ({_EFFECTIVE_TAGS}) e "
            "ON e.glimmer_id = g.id WHERE e.tag = ? ORDER BY g.created_ts DESC, g.id DESC LIMIT ?",
            (" ".join(tag.lower().split()), limit),
        )
        return [_glimmer(r) for r in rows]

    # -- reflections -------------------------------------------------------

    def add_reflection(
        self,
        day: date | str,
        note: str,
        *,
        created_at: datetime,
        glimmer_id: int | None = None,
    ) -> Reflection:
        """Add a note to a day (its local date); committed when this returns."""
        note = note.strip()
        if not note:
            raise ValueError("a reflection needs some words")
        day = date.fromisoformat(day) if isinstance(day, str) else day
        _require_aware(created_at)
        with self._db:
            cur = self._db.execute(
                "INSERT INTO reflections (day, created_at, note, glimmer_id) VALUES (?, ?, ?, ?)",
                (day.isoformat(), created_at.isoformat(), note, glimmer_id),
            )
        return Reflection(int(cur.lastrowid or 0), day, created_at, note, glimmer_id)

    def reflections(self, day: date | str | None = None) -> list[Reflection]:
        """The notes of one day (every note when ``day`` is None), oldest first."""
        query = "SELECT id, day, created_at, note, glimmer_id FROM reflections"
        params: tuple[str, ...] = ()
        if day is not None:
            query += " WHERE day = ?"
            params = (day if isinstance(day, str) else day.isoformat(),)
        rows = self._db.execute(query + " ORDER BY day, created_at, id", params)
        return [
            Reflection(r[0], date.fromisoformat(r[1]), datetime.fromisoformat(r[2]), r[3], r[4])
            for r in rows
        ]

    # -- reminders ---------------------------------------------------------

    def add_reminder(
        self,
        kind: str,
        at: time | str,
        *,
        created_at: datetime,
        message: str = "",
        days: str = "daily",
        enabled: bool = True,
    ) -> Reminder:
        """Save a reminder at a local time ("08:00"); committed when this returns."""
        if not kind.strip():
            raise ValueError("a reminder needs a kind")
        days_of(days)  # refuse what could never fire
        hhmm = _hhmm(at)
        _require_aware(created_at)
        with self._db:
            cur = self._db.execute(
                "INSERT INTO reminders (kind, at, days, message, created_at, enabled) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (kind.strip(), hhmm, days, message.strip(), created_at.isoformat(), enabled),
            )
        found = self.reminder(int(cur.lastrowid or 0))
        assert found is not None
        return found

    def reminder(self, reminder_id: int) -> Reminder | None:
        row = self._db.execute(
            f"SELECT {_REMINDER_COLUMNS} FROM reminders WHERE id = ?", (reminder_id,)
        ).fetchone()
        return _reminder(row) if row else None

    def reminders(self, *, enabled_only: bool = False) -> list[Reminder]:
        """Every reminder, in the order of the day (then by id)."""
        where = " WHERE enabled = 1" if enabled_only else ""
        rows = self._db.execute(f"SELECT {_REMINDER_COLUMNS} FROM reminders{where} ORDER BY at, id")
        return [_reminder(r) for r in rows]

    def remove_reminder(self, reminder_id: int) -> bool:
        with self._db:
            cur = self._db.execute("DELETE FROM reminders WHERE id = ?", (reminder_id,))
        return cur.rowcount > 0

    def set_reminder_enabled(self, reminder_id: int, enabled: bool) -> bool:
        with self._db:
            cur = self._db.execute(
                "UPDATE reminders SET enabled = ? WHERE id = ?", (enabled, reminder_id)
            )
        return cur.rowcount > 0

    def mark_reminder_fired(self, reminder_id: int, when: datetime) -> None:
        """Note that a reminder was said, so it is not said again the same day."""
        with self._db:
            self._db.execute(
                "UPDATE reminders SET last_fired = ? WHERE id = ?",
                (_require_aware(when).isoformat(), reminder_id),
            )

    def due_reminders(self, now: datetime) -> list[Reminder]:
        """Enabled reminders whose time has come today and that have not fired today.

        "Today" and the reminder's time are in ``now``'s time zone. A reminder
        set after its time today (8 am, set at 3 pm) first fires tomorrow:
        a nudge right after asking for it would only be noise.
        """
        _require_aware(now)
        today, weekday = now.date(), WEEKDAYS[now.weekday()]
        due = []
        for reminder in self.reminders(enabled_only=True):
            moment = datetime.combine(today, reminder.at, tzinfo=now.tzinfo)
            if weekday not in reminder.weekdays or moment > now:
                continue
            if reminder.created_at > moment:
                continue
            fired = reminder.last_fired
            if fired is not None and fired.astimezone(now.tzinfo).date() >= today:
                continue
            due.append(reminder)
        return due

    # -- plugin state ------------------------------------------------------

    def state_get(self, plugin: str, key: str, default: Any = None) -> Any:
        row = self._db.execute(
            "SELECT value FROM plugin_state WHERE plugin = ? AND key = ?", (plugin, key)
        ).fetchone()
        return json.loads(row[0]) if row else default

    def state_set(self, plugin: str, key: str, value: Any) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO plugin_state (plugin, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value",
                (plugin, key, json.dumps(value)),
            )

    # -- export and import -------------------------------------------------

    def export_records(self) -> dict[str, Any]:
        """Everything a person wrote, in a plain structure that import reads back."""
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "glimmers": [
                {
                    "id": g.id,
                    "created_at": g.created_at.isoformat(),
                    "text": g.text,
                    "source": g.source,
                    "savorings": self._export_savorings(g.id),
                    "tags": [
                        {"tag": tag, "source": source}
                        for tag, source in self.tag_sources(g.id).items()
                    ],
                }
                for g in self
            ],
            "reflections": [
                {
                    "id": r.id,
                    "day": r.day.isoformat(),
                    "created_at": r.created_at.isoformat(),
                    "note": r.note,
                    "glimmer_id": r.glimmer_id,
                }
                for r in self.reflections()
            ],
            "reminders": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "at": _hhmm(r.at),
                    "days": r.days,
                    "message": r.message,
                    "created_at": r.created_at.isoformat(),
                    "last_fired": r.last_fired.isoformat() if r.last_fired else None,
                    "enabled": r.enabled,
                }
                for r in self._reminders_by_id()
            ],
        }

    def _export_savorings(self, glimmer_id: int) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT started_at, seconds, length, completed, calm_before, calm_after "
            "FROM savorings WHERE glimmer_id = ? ORDER BY started_at, id",
            (glimmer_id,),
        )
        return [
            {
                "started_at": r[0],
                # only values import takes back: an infinite length (an older
                # version's) would otherwise be written as the non-JSON Infinity
                "seconds": usable_seconds(r[1]),
                "length": r[2],
                "completed": bool(r[3]),
                "calm_before": r[4],
                "calm_after": r[5],
            }
            for r in rows
        ]

    def _reminders_by_id(self) -> list[Reminder]:
        rows = self._db.execute(f"SELECT {_REMINDER_COLUMNS} FROM reminders ORDER BY id")
        return [_reminder(r) for r in rows]

    def import_records(self, records: dict[str, Any], *, now: datetime | None = None) -> Imported:
        """Add exported glimmers (with their savorings, ratings and tags), reflections
        and reminders; returns how many glimmers were added, were already present,
        and were withheld because their words may mean danger (never kept as glimmers).

        Ids are kept when free so an export restored into an empty home is the
        same journal; a glimmer with the same time and words is not doubled,
        nor is a reflection or reminder that is already there. Everything is
        checked first (types, times from EARLIEST to ``now`` plus CLOCK_SKEW,
        finite lengths, ratings, ids SQLite can hold) and a refusal names the
        record and the field; then everything is written in one transaction.

        One pass, where a scan of the whole table per row once made a
        200,000-glimmer file take 27 minutes: a twin already in the journal is
        looked up through the time index (``created_ts`` is derived from
        ``created_at``), and only for a time within the journal's own span; a
        twin earlier in the file is found in a dict; the ids in use are read once.
        """
        if not isinstance(records, dict) or records.get("format") != EXPORT_FORMAT:
            raise JournalError(
                f'That file is not a voiceglimmer export (expected "format": '
                f'"{EXPORT_FORMAT}"). Make one with `voiceglimmer export --format json`.'
            )
        items = records.get("glimmers")
        if not isinstance(items, list):
            raise JournalError("The export has no list of glimmers; nothing was imported.")
        with collector_paused():
            return self._import(records, items, now or latest_now())

    def _import(self, records: dict[str, Any], items: list[Any], now: datetime) -> Imported:
        latest_ts = _latest_ts(now)
        parsed = [_parse_glimmer(item, n, latest_ts) for n, item in enumerate(items, start=1)]
        kept = [g for g in parsed if not crisis.is_crisis(g.text)]
        withheld, parsed = len(parsed) - len(kept), kept
        reflections = [
            _parse_reflection(r, n, now)
            for n, r in enumerate(_optional_list(records, "reflections"), start=1)
        ]
        reminders = [
            _parse_reminder(r, n, now)
            for n, r in enumerate(_optional_list(records, "reminders"), start=1)
        ]
        added = skipped = 0
        new_ids: dict[int, int] = {}  # id in the file -> id here
        db = self._db
        try:
            with self._transaction():  # all or nothing
                # Ids in use, read once: a kept id is then a set lookup, not a query.
                taken = {row[0] for row in db.execute("SELECT id FROM glimmers")}
                # A twin already in the journal lies within its time range (looked up
                # by the time index); a twin earlier in the file is in ``in_file``.
                lo, hi = db.execute(
                    "SELECT min(created_ts), max(created_ts) FROM glimmers"
                ).fetchone()
                in_file: dict[tuple[str, str], int] = {}
                savoring_rows: list[tuple[Any, ...]] = []
                tag_rows: list[tuple[int, str, str]] = []
                for g in parsed:
                    key = (g.created_at, g.text)
                    twin = in_file.get(key)
                    if twin is None and lo is not None and lo - 1 <= g.created_ts <= hi + 1:
                        row = db.execute(
                            "SELECT id FROM glimmers WHERE created_ts BETWEEN ? AND ? "
                            "AND created_at = ? AND text = ? LIMIT 1",
                            (g.created_ts - 1, g.created_ts + 1, g.created_at, g.text),
                        ).fetchone()
                        twin = row[0] if row else None
                    if twin is not None:
                        if g.id is not None:
                            new_ids[g.id] = twin
                        skipped += 1
                        continue
                    cur = db.execute(
                        "INSERT INTO glimmers (id, created_at, text, source, created_ts) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (
                            g.id if g.id not in taken else None,
                            g.created_at,
                            g.text,
                            g.source,
                            g.created_ts,
                        ),
                    )
                    glimmer_id = int(cur.lastrowid or 0)
                    taken.add(glimmer_id)
                    in_file[key] = glimmer_id
                    if g.id is not None:
                        new_ids[g.id] = glimmer_id
                    savoring_rows += [(glimmer_id, *sv) for sv in g.savorings]
                    tag_rows += [(glimmer_id, tag, source) for tag, source in g.tags]
                    added += 1
                db.executemany(
                    "INSERT INTO savorings (glimmer_id, started_at, seconds, length, "
                    "completed, calm_before, calm_after) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    savoring_rows,
                )
                db.executemany(
                    "INSERT OR IGNORE INTO tags (glimmer_id, tag, source) VALUES (?, ?, ?)",
                    tag_rows,
                )
                for r in reflections:
                    if db.execute(
                        "SELECT 1 FROM reflections WHERE day = ? AND created_at = ? AND note = ?",
                        (r["day"], r["created_at"], r["note"]),
                    ).fetchone():
                        continue
                    db.execute(
                        "INSERT INTO reflections (id, day, created_at, note, glimmer_id) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (
                            self._free_id("reflections", r["id"]),
                            r["day"],
                            r["created_at"],
                            r["note"],
                            new_ids.get(r["glimmer_id"]) if r["glimmer_id"] else None,
                        ),
                    )
                # Reminders have no index to look a twin up by: one read of the
                # (short) table keeps even a file full of them one pass.
                keys = ("kind", "at", "days", "message", "created_at")
                present = set(db.execute(f"SELECT {', '.join(keys)} FROM reminders"))
                for m in reminders:
                    key = tuple(m[k] for k in keys)
                    if key in present:
                        continue
                    present.add(key)
                    db.execute(
                        "INSERT INTO reminders (id, kind, at, days, message, created_at, "
                        "last_fired, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            self._free_id("reminders", m["id"]),
                            m["kind"],
                            m["at"],
                            m["days"],
                            m["message"],
                            m["created_at"],
                            m["last_fired"],
                            m["enabled"],
                        ),
                    )
        except sqlite3.Error as exc:
            raise JournalError(
                f"The export has a value the journal can't take ({exc}); nothing was imported."
            ) from exc
        return Imported(added, skipped, withheld)

    def _free_id(self, table: str, wanted: int | None) -> int | None:
        """``wanted`` if it is an unused id in ``table`` (a fixed internal name), else None."""
        if wanted is None:
            return None
        taken = self._db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (wanted,)).fetchone()
        return None if taken else wanted


# -- checking an import, record by record ---------------------------------------------

_MISSING = object()


@dataclass(frozen=True)
class _Incoming:
    """One glimmer from an export, checked and ready to write."""

    id: int | None
    created_at: str
    created_ts: float
    text: str
    source: str
    savorings: list[tuple[str, float, str, bool, int | None, int | None]]
    tags: list[tuple[str, str]]


class _Refused(Exception):
    """One field of one record can't be imported: ``field`` and what is wrong with it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, problem)
        self.field = field
        self.problem = problem


def _kind(value: object) -> str:
    """A JSON value's type as the person's file shows it."""
    if value is _MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _shown(value: object) -> str:
    """A short, safe rendering of a bad value for a message (no giant or nested dumps)."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**40 else "a number with over 40 digits"
    return _kind(value)


def _field(record: dict[str, Any], name: str, label: str | None = None) -> tuple[str, Any]:
    return (label or f'"{name}"'), record.get(name, _MISSING)


def _text(record: dict[str, Any], name: str, *, default: str | None = None, label: str = "") -> str:
    field, value = _field(record, name, label or None)
    if value is _MISSING and default is not None:
        return default
    if not isinstance(value, str):
        raise _Refused(field, f"is {_kind(value)}, not text")
    return value


def _moment(
    record: dict[str, Any], name: str, now: datetime, *, label: str = "", optional: bool = False
) -> datetime | None:
    field, value = _field(record, name, label or None)
    if optional and value in (_MISSING, None):
        return None
    if not isinstance(value, str):
        raise _Refused(field, f"is {_kind(value)}, not a time such as 2026-11-03T09:15:00-05:00")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise _Refused(field, f"({_shown(value)}) can't be read as a time") from None
    problem = moment_problem(when, now)
    if problem:
        raise _Refused(field, f"({_shown(value)}) {problem}; {RANGE_WORDS}")
    return when


def _record_id(record: dict[str, Any], name: str = "id") -> int | None:
    field, value = _field(record, name)
    if value in (_MISSING, None):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refused(field, f"({_shown(value)}) is not a whole number")
    if not 1 <= value <= MAX_ID:
        raise _Refused(field, f"({_shown(value)}) is not between 1 and {MAX_ID}")
    return value


def _flag(record: dict[str, Any], name: str, label: str = "") -> bool:
    field, value = _field(record, name, label or None)
    if value is _MISSING:
        return True
    if not isinstance(value, bool):
        raise _Refused(field, f"is {_kind(value)}, not true or false")
    return value


def _refusal(where: str, refused: _Refused) -> JournalError:
    return JournalError(
        f"{where} can't be imported: its {refused.field} {refused.problem}; nothing was "
        "imported. Correct that value in the file (or remove the record) and import again."
    )


def _when(value: Any, field: str, latest_ts: float) -> tuple[str, float]:
    """An imported time as (ISO text, timestamp), or _Refused naming ``field``.

    The hot path of a large import: one parse, one timestamp, two comparisons.
    """
    if type(value) is not str:
        raise _Refused(field, f"is {_kind(value)}, not a time such as 2026-11-03T09:15:00-05:00")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise _Refused(field, f"({_shown(value)}) can't be read as a time") from None
    if when.tzinfo is None:
        raise _Refused(field, f"({_shown(value)}) has no time zone")
    ts = when.timestamp()
    if problem := _timestamp_problem(ts, latest_ts):
        raise _Refused(field, f"({_shown(value)}) {problem}; {RANGE_WORDS}")
    return when.isoformat(), ts


def _parse_glimmer(item: Any, number: int, latest_ts: float) -> _Incoming:
    """One exported glimmer, every field checked (written out, not through the generic
    helpers: a 200,000-glimmer file passes through here a million times)."""
    where = f"Glimmer number {number} in the file"
    if type(item) is not dict:
        raise JournalError(f"{where} is {_kind(item)}, not a glimmer; nothing was imported.")
    get = item.get
    try:
        text = get("text", "")
        if type(text) is not str:
            raise _Refused('"text"', f"is {_kind(text)}, not text")
        text = text.strip()
        if not text:
            raise JournalError(f"{where} has no text; nothing was imported.")
        created_at, created_ts = _when(get("created_at", _MISSING), '"created_at"', latest_ts)
        source = get("source", "imported")
        if type(source) is not str or source not in SOURCES:
            raise _Refused('"source"', f"({_shown(source)}) is not one of {', '.join(SOURCES)}")
        glimmer_id = _record_id(item)
        savorings = []
        raw = get("savorings", ())
        if type(raw) is not list and raw != ():
            raise _Refused('"savorings"', f"is {_kind(raw)}, not a list")
        for k, sv in enumerate(raw, start=1):
            if type(sv) is not dict:
                raise _Refused(f"savoring {k}", f"is {_kind(sv)}, not an object")
            at = f"savoring {k}'s"
            started_at, _ = _when(sv.get("started_at", _MISSING), f'{at} "started_at"', latest_ts)
            seconds = sv.get("seconds", _MISSING)
            if problem := seconds_problem(seconds):
                shown = _shown(seconds) if seconds is not _MISSING else "missing"
                raise _Refused(f'{at} "seconds"', f"({shown}) {problem}")
            before, after = sv.get("calm_before"), sv.get("calm_after")
            for which, rating in (("before", before), ("after", after)):
                if rating is not None and (type(rating) is not int or not 1 <= rating <= 5):
                    raise _Refused(f'{at} "calm_{which}"', "is not a whole number from 1 to 5")
            length = sv.get("length", "standard")
            if type(length) is not str:
                raise _Refused(f'{at} "length"', f"is {_kind(length)}, not text")
            completed = sv.get("completed", True)
            if type(completed) is not bool:
                raise _Refused(f'{at} "completed"', f"is {_kind(completed)}, not true or false")
            savorings.append((started_at, float(seconds), length, completed, before, after))
        tags = []
        raw = get("tags", ())
        if type(raw) is not list and raw != ():
            raise _Refused('"tags"', f"is {_kind(raw)}, not a list")
        for k, t in enumerate(raw, start=1):
            if type(t) is not dict:
                raise _Refused(f"tag {k}", f"is {_kind(t)}, not an object")
            tag, tag_source = t.get("tag", _MISSING), t.get("source", "inferred")
            if type(tag) is not str or not tag.strip():
                raise _Refused(f'tag {k}\'s "tag"', f"({_shown(tag)}) is not a word")
            if tag_source not in TAG_SOURCES:
                raise _Refused(f'tag {k}\'s "source"', f"({_shown(tag_source)}) is not one of "
                               f"{', '.join(TAG_SOURCES)}")  # fmt: skip
            tags.append((tag, tag_source))
        return _Incoming(glimmer_id, created_at, created_ts, text, source, savorings, tags)
    except _Refused as refused:
        raise _refusal(where, refused) from None


def _optional_list(records: dict[str, Any], key: str) -> list[Any]:
    value = records.get(key, [])
    if not isinstance(value, list):
        raise JournalError(f'The export\'s "{key}" is not a list; nothing was imported.')
    return value


def _parse_reflection(item: Any, number: int, now: datetime) -> dict[str, Any]:
    where = f"Reflection number {number} in the file"
    if not isinstance(item, dict):
        raise JournalError(f"{where} is {_kind(item)}, not a reflection; nothing was imported.")
    try:
        note = _text(item, "note").strip()
        if not note:
            raise _Refused('"note"', "has no words")
        said = _text(item, "day")
        try:
            day = date.fromisoformat(said)
        except ValueError:
            raise _Refused('"day"', f"({_shown(said)}) is not a date such as 2026-11-03") from None
        if problem := moment_problem(datetime.combine(day, time(12), tzinfo=UTC), now):
            raise _Refused('"day"', f"({_shown(said)}) {problem}; {RANGE_WORDS}")
        created = _moment(item, "created_at", now)
        assert created is not None
        return {
            "id": _record_id(item),
            "day": day.isoformat(),
            "created_at": created.isoformat(),
            "note": note,
            "glimmer_id": _record_id(item, "glimmer_id"),
        }
    except _Refused as refused:
        raise _refusal(where, refused) from None


def _parse_reminder(item: Any, number: int, now: datetime) -> dict[str, Any]:
    where = f"Reminder number {number} in the file"
    if not isinstance(item, dict):
        raise JournalError(f"{where} is {_kind(item)}, not a reminder; nothing was imported.")
    try:
        kind = _text(item, "kind").strip()
        if not kind:
            raise _Refused('"kind"', "is empty")
        days = _text(item, "days", default="daily")
        try:
            days_of(days)
        except ValueError:
            raise _Refused('"days"', f"({_shown(days)}) names no days of the week") from None
        at = _text(item, "at")
        try:
            hhmm = _hhmm(at)
        except ValueError:
            raise _Refused('"at"', f"({_shown(at)}) is not a time of day such as 08:00") from None
        created = _moment(item, "created_at", now)
        fired = _moment(item, "last_fired", now, optional=True)
        assert created is not None
        return {
            "id": _record_id(item),
            "kind": kind,
            "at": hhmm,
            "days": days,
            "message": _text(item, "message", default="").strip(),
            "created_at": created.isoformat(),
            "last_fired": fired.isoformat() if fired else None,
            "enabled": _flag(item, "enabled"),
        }
    except _Refused as refused:
        raise _refusal(where, refused) from None
