"""The private journal: one SQLite file on the person's own machine.

Every write commits before it returns (WAL, synchronous=FULL), so a glimmer
the assistant has confirmed survives a crash or a pulled plug. Times are
stored twice: the ISO text keeps the offset the person was in when they
noticed it, and a UTC timestamp makes day and week ranges an index lookup.
"""

from __future__ import annotations

import gc
import itertools
import json
import math
import os
import random
import shutil
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, NamedTuple

from voiceglimmer import crisis
from voiceglimmer.events import Glimmer, GlimmerSource, Savoring
from voiceglimmer.store import clock
from voiceglimmer.store.plugin_store import (
    MISSING,
    PLUGIN_SCHEMAS_TABLE,
    AttachedPlugin,
    ExportRefs,
    Guard,
    ImportRefused,
    PluginSchema,
    PluginSchemaError,
    PluginStore,
    PluginStoreError,
    PluginTable,
    created_problem,
    quoted,
    refusal,
    run_migration,
    schema_objects,
    shape_problem,
    table_prefix,
)
from voiceglimmer.store.plugin_store import kind_of as _kind
from voiceglimmer.store.plugin_store import shown as _shown

SOURCES: tuple[GlimmerSource, ...] = ("typed", "voice", "imported")
EXPORT_FORMAT = "voiceglimmer-journal"
#: Version 3 gives each plugin's tables a section of their own ("plugins") and
#: savorings their ids. Versions 1 and 2 still import: version 2's tags, calm
#: ratings, reflections and reminders (kept in fixed places then) are read by
#: the plugins that own them now (``PluginSchema.from_old_export``).
EXPORT_VERSION = 3

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
    # 2 (released in 0.1): the deeper practice's tables, made here before plugins could
    # own tables. They belong to the themes, savor-guide, reflect and rituals plugins
    # now: each plugin's first migration moves its rows into its own table and drops
    # these (see HANDED_TO_PLUGINS); nothing in the core reads or writes them.
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
    # 3: plugins own tables (see plugin_store): how far each plugin's migrations came.
    f"""
    CREATE TABLE {PLUGIN_SCHEMAS_TABLE} (
        plugin TEXT PRIMARY KEY,
        version INTEGER NOT NULL CHECK (version >= 0)
    );
    """,
)

#: Migrations (0-based) whose objects the core no longer owns: plugins take them
#: over (and may drop them), so a journal is not judged by them (backup's schema check).
HANDED_TO_PLUGINS = frozenset({1})

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
    #: Plugins the file has a section for that are not installed here: not imported.
    not_imported: tuple[str, ...] = ()


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
            # Judges every statement as it is prepared: a plugin's store may touch only
            # what its plugin owns (see plugin_store); the journal's own are let through.
            self._guard = Guard()
            self._db.set_authorizer(self._guard)
            self._plugins: dict[str, AttachedPlugin] = {}
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
                    run_migration(self._db, MIGRATIONS[version])
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

    # -- plugins' own tables (see plugin_store) ------------------------------

    def plugin_versions(self) -> dict[str, int]:
        """How many of its migrations each plugin that ever had tables here has applied."""
        rows = self._db.execute(f"SELECT plugin, version FROM {PLUGIN_SCHEMAS_TABLE}")
        return {str(plugin): int(version) for plugin, version in rows}

    def pending(self, schemas: dict[str, PluginSchema]) -> list[str]:
        """The plugins among ``schemas`` whose tables here are behind their migrations."""
        versions = self.plugin_versions()
        return [n for n, s in schemas.items() if versions.get(n, 0) < len(s.migrations)]

    def attach(self, plugin: str, schema: PluginSchema) -> PluginStore:
        """Set up ``plugin``'s tables (apply the migrations this journal lacks, check
        what they made) and return its store. Raises PluginSchemaError, naming the
        plugin and leaving the journal as it was, if they can't be set up."""
        if plugin in self._plugins:
            if self._plugins[plugin].schema is not schema:
                raise PluginSchemaError(f"plugin {plugin!r} declared its tables twice")
            return self.plugin_store(plugin)
        if not isinstance(schema, PluginSchema):
            raise PluginSchemaError(
                f"plugin {plugin!r}: journal_schema returned {type(schema).__name__}, "
                "not a PluginSchema"
            )
        try:
            prefix = table_prefix(plugin)
        except ValueError as exc:
            raise PluginSchemaError(str(exc)) from None
        for other in self._plugins.values():
            if other.prefix == prefix:
                raise PluginSchemaError(
                    f"plugin {plugin!r} would name its tables {prefix}..., like plugin "
                    f"{other.plugin!r}; rename one of them"
                )
        version = self._migrate_plugin(plugin, prefix, schema)
        problem = shape_problem(self._db, prefix, schema)
        if problem:
            raise PluginSchemaError(f"plugin {plugin!r}'s tables can't be used: {problem}")
        self._plugins[plugin] = AttachedPlugin(plugin, prefix, schema, version)
        return self.plugin_store(plugin)

    def _migrate_plugin(self, plugin: str, prefix: str, schema: PluginSchema) -> int:
        """Apply ``plugin``'s missing migrations, one transaction each; its version."""
        read = f"SELECT version FROM {PLUGIN_SCHEMAS_TABLE} WHERE plugin = ?"
        row = self._db.execute(read, (plugin,)).fetchone()
        version = int(row[0]) if row else 0
        wanted = len(schema.migrations)
        if version > wanted:
            raise PluginSchemaError(
                f"plugin {plugin!r}'s tables in {self.path} were made by a newer version of "
                f"it (its schema {version}, this one knows {wanted}); upgrade the plugin"
            )
        while version < wanted:
            # As for the core: one step per transaction, the version read inside it.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(read, (plugin,)).fetchone()
                version = int(row[0]) if row else 0
                if version < wanted:
                    before = schema_objects(self._db)
                    run_migration(self._db, schema.migrations[version])
                    problem = created_problem(
                        plugin, prefix, schema, before, schema_objects(self._db)
                    )
                    if problem:
                        raise PluginSchemaError(
                            f"plugin {plugin!r}'s migration {version + 1} was undone: {problem}"
                        )
                    version += 1
                    if version == wanted and (problem := shape_problem(self._db, prefix, schema)):
                        raise PluginSchemaError(  # what it made doesn't fit: undone
                            f"plugin {plugin!r}'s tables can't be used: {problem}"
                        )
                    self._db.execute(
                        f"INSERT INTO {PLUGIN_SCHEMAS_TABLE} (plugin, version) VALUES (?, ?) "
                        "ON CONFLICT (plugin) DO UPDATE SET version = excluded.version",
                        (plugin, version),
                    )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise PluginSchemaError(
                    f"plugin {plugin!r}'s migration {version + 1} failed and was undone ({exc})"
                ) from exc
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return version

    def plugin_store(self, plugin: str, schema: PluginSchema | None = None) -> PluginStore:
        """``plugin``'s way into its own tables. With ``schema``, its tables are set up
        first if they aren't yet (so a plugin's own functions work on any Journal)."""
        attached = self._plugins.get(plugin)
        if attached is None:
            if schema is None:
                raise PluginStoreError(
                    f"plugin {plugin!r} has no tables in this journal (declare them with "
                    "the journal_schema hook)"
                )
            return self.attach(plugin, schema)
        return PluginStore(self._db, attached, self._guard)

    @property
    def attached(self) -> list[str]:
        """The plugins whose tables are set up in this journal, in the order they were."""
        return list(self._plugins)

    # -- glimmers ----------------------------------------------------------

    def add(self, text: str, *, created_at: datetime, source: GlimmerSource = "typed") -> Glimmer:
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
        """Everything a person wrote, in a plain structure that import reads back:
        glimmers with their savorings, and a section per plugin with its tables' rows."""
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
                }
                for g in self
            ],
            "plugins": {
                name: {
                    "schema": attached.version,
                    "tables": {
                        t.name: self._table_rows(attached.prefix + t.name)
                        for t in attached.schema.tables
                    },
                }
                for name, attached in sorted(self._plugins.items())
            },
        }

    def _export_savorings(self, glimmer_id: int) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, started_at, seconds, length, completed "
            "FROM savorings WHERE glimmer_id = ? ORDER BY started_at, id",
            (glimmer_id,),
        )
        return [
            {
                "id": r[0],
                "started_at": r[1],
                # only values import takes back: an infinite length (an older
                # version's) would otherwise be written as the non-JSON Infinity
                "seconds": usable_seconds(r[2]),
                "length": r[3],
                "completed": bool(r[4]),
            }
            for r in rows
        ]

    def _table_rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of a plugin table as {column: value}, in the order they were added
        (the order can matter: the themes plugin keeps a person's tags in theirs)."""
        try:
            cursor = self._db.execute(f"SELECT * FROM {quoted(table)} ORDER BY rowid")
        except sqlite3.OperationalError:  # a WITHOUT ROWID table: its key's order
            cursor = self._db.execute(f"SELECT * FROM {quoted(table)}")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, map(_to_json, row), strict=True)) for row in cursor]

    def import_records(self, records: dict[str, Any], *, now: datetime | None = None) -> Imported:
        """Add exported glimmers (with their savorings) and the plugins' rows; returns
        how many glimmers were added, were already present, and were withheld because
        their words may mean danger (never kept as glimmers), and which plugins the
        file holds data for that are not installed here.

        Ids are kept when free so an export restored into an empty home is the
        same journal; a glimmer with the same time and words is not doubled, nor
        is a plugin's row that is already there. Everything is checked (types,
        times from EARLIEST to ``now`` plus CLOCK_SKEW, finite lengths, ids SQLite
        can hold, each plugin table's ``check``) and a refusal names the record
        and the field; everything is written in one transaction, or nothing.

        A file from before plugins had sections (version 2 or 1) keeps its tags,
        calm ratings, reflections and reminders in fixed places; the plugins that
        own those now read them out (``PluginSchema.from_old_export``).

        One pass, where a scan of the whole table per row once made a
        200,000-glimmer file take 27 minutes: a twin already in the journal is
        looked up through the time index (``created_ts`` is derived from
        ``created_at``), and only for a time within the journal's own span; a
        twin earlier in the file is found in a dict; the ids in use are read once,
        and so are a plugin table's rows, to find the ones already there.
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
        refs = ExportRefs([g.ref for g in parsed], [[sv[0] for sv in g.savorings] for g in parsed])
        try:
            incoming, not_imported = self._plugin_rows(records, refs)
        except ImportRefused as exc:
            raise JournalError(str(exc)) from None
        kept = [g for g in parsed if not crisis.is_crisis(g.text)]
        withheld, parsed = len(parsed) - len(kept), kept
        added = skipped = 0
        glimmer_ids: dict[int, int] = {}  # reference in the file -> id here
        savoring_ids: dict[int, int] = {}
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
                # Savorings get their ids here (the file's when free, as glimmers do),
                # so a plugin's rows can point at them.
                savorings_taken = {row[0] for row in db.execute("SELECT id FROM savorings")}
                spare_savoring = 1 + max(
                    [0, *savorings_taken, *(sv[0] for g in parsed for sv in g.savorings)]
                )
                in_file: dict[tuple[str, str], int] = {}
                savoring_rows: list[tuple[Any, ...]] = []
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
                        glimmer_ids[g.ref] = twin
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
                    glimmer_ids[g.ref] = glimmer_id
                    for ref, *savoring in g.savorings:
                        savoring_id = ref
                        if ref < 1 or ref in savorings_taken:
                            savoring_id, spare_savoring = spare_savoring, spare_savoring + 1
                        savorings_taken.add(savoring_id)
                        savoring_ids[ref] = savoring_id
                        savoring_rows.append((savoring_id, glimmer_id, *savoring))
                    added += 1
                db.executemany(
                    "INSERT INTO savorings (id, glimmer_id, started_at, seconds, length, "
                    "completed) VALUES (?, ?, ?, ?, ?, ?)",
                    savoring_rows,
                )
                for (plugin, table_name), rows in incoming.items():
                    attached = self._plugins[plugin]
                    table = next(t for t in attached.schema.tables if t.name == table_name)
                    self._write_rows(attached, table, rows, glimmer_ids, savoring_ids)
        except ImportRefused as exc:
            raise JournalError(str(exc)) from None
        except sqlite3.Error as exc:
            raise JournalError(
                f"The export has a value the journal can't take ({exc}); nothing was imported."
            ) from exc
        return Imported(added, skipped, withheld, not_imported)

    def _plugin_rows(
        self, records: dict[str, Any], refs: ExportRefs
    ) -> tuple[dict[tuple[str, str], list[tuple[str, Any]]], tuple[str, ...]]:
        """The plugins' rows in the file, by table, each with the words that name its
        record; and the plugins with a section here that are not installed."""
        found: dict[tuple[str, str], list[tuple[str, Any]]] = {}  # (plugin, table): rows
        sections = records.get("plugins", {})
        if not isinstance(sections, dict):
            raise ImportRefused(
                f'The export\'s "plugins" is {_kind(sections)}, not an object; '
                "nothing was imported."
            )
        missing = tuple(sorted(name for name in sections if name not in self._plugins))
        for name, attached in self._plugins.items():
            declared = {t.name: t for t in attached.schema.tables}
            section = sections.get(name)
            if section is not None:
                tables = section.get("tables", {}) if isinstance(section, dict) else None
                if not isinstance(tables, dict):
                    raise ImportRefused(
                        f'The export\'s section for plugin "{name}" has no object of '
                        '"tables"; nothing was imported.'
                    )
                for table_name, rows in tables.items():
                    table = declared.get(table_name)
                    if table is None:
                        raise ImportRefused(
                            f'The export holds a table "{table_name}" for plugin "{name}", '
                            "which that plugin doesn't have here; nothing was imported."
                        )
                    if not isinstance(rows, list):
                        raise ImportRefused(
                            f'The export\'s "{table_name}" of plugin "{name}" is '
                            f"{_kind(rows)}, not a list; nothing was imported."
                        )
                    found.setdefault((name, table.name), []).extend(
                        (f'Row {k} of plugin "{name}"\'s "{table_name}" in the file', row)
                        for k, row in enumerate(rows, start=1)
                    )
            old = attached.schema.from_old_export
            if old is None or _version(records) >= 3:
                continue
            try:
                for item in old(records, refs):
                    table = declared.get(item.table)
                    if table is None:
                        raise PluginSchemaError(f"it read rows for an undeclared {item.table!r}")
                    found.setdefault((name, table.name), []).append((item.where, item.row))
            except ImportRefused:
                raise
            except Exception as exc:  # the plugin's own code: its failure, named
                raise ImportRefused(
                    f"Plugin {name!r} could not read its part of the export ({exc}); "
                    "nothing was imported."
                ) from exc
        return found, missing

    def _write_rows(
        self,
        attached: AttachedPlugin,
        table: PluginTable,
        rows: list[tuple[str, Any]],
        glimmer_ids: dict[int, int],
        savoring_ids: dict[int, int],
    ) -> None:
        """Check, relink and add one table's incoming rows, leaving out rows already
        there; a row's own integer id is kept when free."""
        full = attached.prefix + table.name
        info = self._db.execute(f"PRAGMA table_info({quoted(full)})").fetchall()
        columns = [str(r[1]) for r in info]
        required = {str(r[1]) for r in info if r[3] or r[5]}  # NOT NULL, or the key
        defaults = {  # a column the file leaves out gets its default, as an INSERT would
            str(r[1]): None if r[4] is None else self._db.execute(f"SELECT {r[4]}").fetchone()[0]
            for r in info
        }
        links: dict[str, dict[int, int]] = {}
        if table.glimmer_column:
            links[table.glimmer_column] = glimmer_ids
        if table.savoring_column:
            links[table.savoring_column] = savoring_ids
        keys = [str(r[1]) for r in info if r[5]]
        key = keys[0] if len(keys) == 1 and str(info[columns.index(keys[0])][2]).upper() == \
            "INTEGER" and keys[0] not in links else None  # fmt: skip
        compared = [c for c in columns if c != key]
        listed = ", ".join(quoted(c) for c in compared)
        present = {tuple(r) for r in self._db.execute(f"SELECT {listed} FROM {quoted(full)}")}
        taken: set[int] = set()
        wanted: dict[int, int | None] = {}
        values: list[list[Any]] = []
        for n, (where, raw) in enumerate(rows):
            row = _plugin_row(raw, where, full, columns, links, table)
            relinked = _relinked(row, links, required)
            if relinked is None:
                continue  # it pointed at a glimmer left out (withheld, or not in the file)
            compare = tuple(relinked.get(c, defaults[c]) for c in compared)
            if compare in present:
                continue
            present.add(compare)
            if key is not None:
                own = row.get(key)
                if own is not None and (type(own) is not int or not 1 <= own <= MAX_ID):
                    raise refusal(where, f'its "{key}" ({_shown(own)}) is not a whole number '
                                         f"from 1 to {MAX_ID}")  # fmt: skip
                wanted[n] = own
            values.append([n, *compare])
        if key is not None:
            # The ids to keep are known before anything is written: one SQLite would
            # give an earlier row must never be the one a later row keeps.
            taken = {r[0] for r in self._db.execute(f"SELECT {quoted(key)} FROM {quoted(full)}")}
            spare = max([*taken, *(w for w in wanted.values() if w is not None), 0]) + 1
            for row_values in values:
                own = wanted.get(row_values[0])
                if own is None or own in taken:
                    own, spare = spare, spare + 1
                taken.add(own)
                row_values[0] = own
            names = [key, *compared]
        else:
            names = compared
            values = [row_values[1:] for row_values in values]
        marks = ", ".join("?" for _ in names)
        self._db.executemany(
            f"INSERT OR IGNORE INTO {quoted(full)} ({', '.join(quoted(c) for c in names)}) "
            f"VALUES ({marks})",
            values,
        )


# -- checking an import, record by record ---------------------------------------------

_MISSING = MISSING


@dataclass(frozen=True)
class _Incoming:
    """One glimmer from an export, checked and ready to write."""

    id: int | None
    #: How the file's other records point at it: its id, or (none given) minus its number.
    ref: int
    created_at: str
    created_ts: float
    text: str
    source: str
    #: (reference, started_at, seconds, length, completed): the reference is the
    #: savoring's id in the file, or (none given) a negative number of its own.
    savorings: list[tuple[int, str, float, str, bool]]


class _Refused(Exception):
    """One field of one record can't be imported: ``field`` and what is wrong with it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, problem)
        self.field = field
        self.problem = problem


def _record_id(record: dict[str, Any], name: str = "id", field: str = "") -> int | None:
    field, value = field or f'"{name}"', record.get(name, _MISSING)
    if value in (_MISSING, None):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refused(field, f"({_shown(value)}) is not a whole number")
    if not 1 <= value <= MAX_ID:
        raise _Refused(field, f"({_shown(value)}) is not between 1 and {MAX_ID}")
    return value


def _refusal(where: str, refused: _Refused) -> JournalError:
    return JournalError(str(refusal(where, f"its {refused.field} {refused.problem}")))


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
            length = sv.get("length", "standard")
            if type(length) is not str:
                raise _Refused(f'{at} "length"', f"is {_kind(length)}, not text")
            completed = sv.get("completed", True)
            if type(completed) is not bool:
                raise _Refused(f'{at} "completed"', f"is {_kind(completed)}, not true or false")
            ref = _record_id(sv, field=f'{at} "id"') if "id" in sv else None
            ref = ref if ref is not None else -next(_PLACES)
            savorings.append((ref, started_at, float(seconds), length, completed))
        ref = glimmer_id if glimmer_id is not None else -number
        return _Incoming(glimmer_id, ref, created_at, created_ts, text, source, savorings)
    except _Refused as refused:
        raise _refusal(where, refused) from None


#: Negative references for savorings an export gives no id (an older file's): never
#: an id, and never the same twice in a process.
_PLACES = itertools.count(1)


def _version(records: dict[str, Any]) -> int:
    """The export's format version (1 when it says none)."""
    version = records.get("version", 1)
    return version if type(version) is int else 1


def _to_json(value: Any) -> Any:
    """A plugin table's value as JSON: bytes as {"hex": ...}, everything else as it is."""
    return {"hex": value.hex()} if isinstance(value, bytes) else value


def _plugin_row(
    raw: Any,
    where: str,
    table: str,
    columns: list[str],
    links: dict[str, dict[int, int]],
    declared: PluginTable,
) -> dict[str, Any]:
    """One plugin row from the file, as {column: value}: an object of plain values
    with known columns, links that can be ids, then through the table's own check."""
    if type(raw) is not dict:
        raise ImportRefused(f"{where} is {_kind(raw)}, not a row; nothing was imported.")
    row: dict[str, Any] = {}
    for column, value in raw.items():
        if column not in columns:
            raise refusal(where, f'its "{column}" is not a column of {table}')
        if type(value) is dict and set(value) == {"hex"} and type(value["hex"]) is str:
            try:
                value = bytes.fromhex(value["hex"])
            except ValueError:
                raise refusal(where, f'its "{column}" is not hexadecimal bytes') from None
        elif value is not None and type(value) not in (str, int, float, bool, bytes):
            raise refusal(where, f'its "{column}" is {_kind(value)}, not a plain value')
        elif type(value) is int and not -MAX_ID <= value <= MAX_ID:
            raise refusal(where, f'its "{column}" ({_shown(value)}) is too large a number')
        if column in links and value is not None and type(value) is not int:
            raise refusal(where, f'its "{column}" ({_shown(value)}) is not a whole number')
        row[column] = value
    if declared.check is not None:
        try:
            checked = declared.check(dict(row))
        except ValueError as exc:
            raise refusal(where, str(exc)) from None
        if not isinstance(checked, dict) or set(checked) - set(columns):
            raise ImportRefused(
                f"{where} was turned into something that is not a row of {table} by its "
                "plugin's check; nothing was imported."
            )
        row = checked
    return row


def _relinked(
    row: dict[str, Any], links: dict[str, dict[int, int]], required: set[str]
) -> dict[str, Any] | None:
    """``row`` with its links given the ids their glimmers and savorings got here; a
    link to one that wasn't imported is emptied, or the row is left out if the link
    is required."""
    for column, ids in links.items():
        value = row.get(column)
        if value is None:
            continue
        found = ids.get(value)
        if found is None and column in required:
            return None
        row[column] = found
    return row
