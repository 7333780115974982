"""The private journal: one SQLite file on the person's own machine.

Every write commits before it returns (WAL, synchronous=FULL), so a glimmer
the assistant has confirmed survives a crash or a pulled plug. Times are
stored twice: the ISO text keeps the offset the person was in when they
noticed it, and a UTC timestamp makes day and week ranges an index lookup.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from voiceglimmer.events import Glimmer, Savoring, Source

SOURCES: tuple[Source, ...] = ("typed", "voice", "imported")
EXPORT_FORMAT = "voiceglimmer-journal"

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
)

_GLIMMER_COLUMNS = """
    g.id, g.created_at, g.text, g.source,
    (SELECT count(*) FROM savorings s WHERE s.glimmer_id = g.id),
    (SELECT coalesce(sum(seconds), 0) FROM savorings s WHERE s.glimmer_id = g.id)
"""


class JournalError(RuntimeError):
    """A journal problem worded for the person, with what to do about it."""


def _glimmer(row: tuple[Any, ...]) -> Glimmer:
    return Glimmer(
        id=row[0],
        created_at=datetime.fromisoformat(row[1]),
        text=row[2],
        source=row[3],
        savor_count=row[4],
        savored_seconds=float(row[5]),
    )


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
            self._migrate()
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
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits on its own, so the version bump rides inside
            # the same explicit transaction as the schema change.
            self._db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )

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
        """Save a glimmer; it is committed to disk when this returns."""
        text = text.strip()
        if not text:
            raise ValueError("a glimmer needs some words")
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        _require_aware(created_at)
        with self._db:
            cur = self._db.execute(
                "INSERT INTO glimmers (created_at, text, source, created_ts) VALUES (?, ?, ?, ?)",
                (created_at.isoformat(), text, source, created_at.timestamp()),
            )
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

    def search(self, words: Iterable[str], *, limit: int = -1) -> list[Glimmer]:
        """Newest glimmers containing all the words (stemmed), else any of them."""
        words = [w for w in (re.sub(r"[^\w'-]", "", w) for w in words) if w]
        if not words:
            return []
        for joiner in ("AND", "OR"):
            rows = self._db.execute(
                f"SELECT {_GLIMMER_COLUMNS} FROM glimmers_fts f JOIN glimmers g ON g.id = f.rowid "
                "WHERE glimmers_fts MATCH ? ORDER BY g.created_ts DESC, g.id DESC LIMIT ?",
                (_fts_query(words, joiner), limit),
            ).fetchall()
            if rows or len(words) == 1:
                return [_glimmer(r) for r in rows]
        return []

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
            Savoring(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4], bool(r[5])) for r in rows
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
        """Everything a person wrote, in a plain structure that import reads back."""
        return {
            "format": EXPORT_FORMAT,
            "version": 1,
            "glimmers": [
                {
                    "id": g.id,
                    "created_at": g.created_at.isoformat(),
                    "text": g.text,
                    "source": g.source,
                    "savorings": [
                        {
                            "started_at": s.started_at.isoformat(),
                            "seconds": s.seconds,
                            "length": s.length,
                            "completed": s.completed,
                        }
                        for s in self.savorings(g.id)
                    ],
                }
                for g in self
            ],
        }

    def import_records(self, records: dict[str, Any]) -> tuple[int, int]:
        """Add exported glimmers; returns (added, already present).

        Ids are kept when free so an export restored into an empty home is the
        same journal; a glimmer with the same time and words is not doubled.
        """
        if not isinstance(records, dict) or records.get("format") != EXPORT_FORMAT:
            raise JournalError(
                f'That file is not a voiceglimmer export (expected "format": '
                f'"{EXPORT_FORMAT}"). Make one with `voiceglimmer export --format json`.'
            )
        items = records.get("glimmers")
        if not isinstance(items, list):
            raise JournalError("The export has no list of glimmers; nothing was imported.")
        parsed = [self._parse_import(i, n) for n, i in enumerate(items, start=1)]
        added = skipped = 0
        with self._db:  # all or nothing
            for item, created, savorings in parsed:
                if self._db.execute(
                    "SELECT 1 FROM glimmers WHERE created_at = ? AND text = ?",
                    (created.isoformat(), item["text"].strip()),
                ).fetchone():
                    skipped += 1
                    continue
                wanted = item.get("id")
                free = (
                    isinstance(wanted, int)
                    and not self._db.execute(
                        "SELECT 1 FROM glimmers WHERE id = ?", (wanted,)
                    ).fetchone()
                )
                cur = self._db.execute(
                    "INSERT INTO glimmers (id, created_at, text, source, created_ts) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        wanted if free else None,
                        created.isoformat(),
                        item["text"].strip(),
                        item.get("source") or "imported",
                        created.timestamp(),
                    ),
                )
                for s in savorings:
                    self._db.execute(
                        "INSERT INTO savorings (glimmer_id, started_at, seconds, length, "
                        "completed) VALUES (?, ?, ?, ?, ?)",
                        (cur.lastrowid, *s),
                    )
                added += 1
        return added, skipped

    @staticmethod
    def _parse_import(
        item: Any, number: int
    ) -> tuple[dict[str, Any], datetime, list[tuple[str, float, str, bool]]]:
        where = f"glimmer number {number} in the file"
        if not isinstance(item, dict) or not str(item.get("text", "")).strip():
            raise JournalError(f"{where.capitalize()} has no text; nothing was imported.")
        try:
            created = _require_aware(datetime.fromisoformat(str(item.get("created_at"))))
            savorings = [
                (
                    _require_aware(datetime.fromisoformat(str(s["started_at"]))).isoformat(),
                    float(s["seconds"]),
                    str(s.get("length", "standard")),
                    bool(s.get("completed", True)),
                )
                for s in item.get("savorings", [])
            ]
        except (ValueError, TypeError, KeyError) as exc:
            raise JournalError(
                f"{where.capitalize()} has a time that can't be read ({exc}); nothing was imported."
            ) from exc
        if item.get("source", "imported") not in SOURCES:
            raise JournalError(f"{where.capitalize()} has an unknown source; nothing was imported.")
        return item, created, savorings
