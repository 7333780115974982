"""A plugin's own tables in the journal: declared, migrated, queried, exported, forgotten.

A plugin that keeps data (the themes plugin's tags, rituals' reminders, a
third-party mood tracker's moods) declares it through the ``journal_schema``
hook as a :class:`PluginSchema`: its tables and the ordered SQL migrations that
make them. The journal applies the migrations it has not applied yet, each in
its own transaction, and records how far each plugin has come in the
``plugin_schemas`` table, just as ``PRAGMA user_version`` records the core's
own schema. Then the plugin reads and writes through a :class:`PluginStore`:
the journal's own connection (so its writes are as durable as a glimmer, and
can share a transaction), limited to what the plugin owns.

What a declaration buys, with no further code in the plugin:

- **Names that can't clash.** Every table, index and trigger a plugin's
  migrations create starts with its prefix (``savor-guide`` -> ``savor_guide_``);
  a migration that creates anything else is rolled back and reported.
- **Export and import.** ``voiceglimmer export`` writes every declared table's
  rows in a section of its own, and import puts them back, giving links to
  glimmers and savorings (the declared ``glimmer_column`` / ``savoring_column``)
  the ids those got in the journal, skipping rows already there, and passing
  each row through the table's ``check`` first.
- **Forgetting.** A declared glimmer column must reference ``glimmers (id)``
  with ``ON DELETE CASCADE`` (or ``SET NULL``), and a savoring column
  ``savorings (id)`` likewise, so forgetting a glimmer takes its rows with it,
  from the journal and from every backup; ``forget --all`` empties every table.
- **Backups.** They are copies of the whole file, so they hold plugin tables too.
- **Isolation.** A store's statements may write only the plugin's own tables and
  read only those, ``glimmers`` and ``savorings`` (an SQLite authorizer checks
  each statement as it is prepared): a plugin changes glimmers through the
  Journal's methods, which keep the journal's rules, and never another
  plugin's data.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: Where the journal records how far each plugin's migrations have come.
PLUGIN_SCHEMAS_TABLE = "plugin_schemas"

#: The core tables a plugin's queries may read (never write): its rows point at
#: these, and a report groups them by the glimmer's time.
READABLE_CORE_TABLES = frozenset({"glimmers", "savorings", "glimmers_fts"})

#: Read-only PRAGMAs a plugin may use on its tables (to look at their shape).
_READ_PRAGMAS = frozenset(
    {"table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list"}
)

#: The actions a plugin's statement may take on tables it owns.
_WRITES = {sqlite3.SQLITE_INSERT: "insert into", sqlite3.SQLITE_UPDATE: "update",
           sqlite3.SQLITE_DELETE: "delete from"}  # fmt: skip
_ALWAYS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE})

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


class PluginSchemaError(RuntimeError):
    """A plugin's declared tables can't be set up (a bad migration, a newer schema,
    a name outside its prefix); worded for the person, naming the plugin."""


class PluginStoreError(RuntimeError):
    """A plugin asked its store for something it may not do, or has no tables."""


class ImportRefused(ValueError):
    """A whole sentence saying why an export can't be imported (nothing is)."""


#: A value the file doesn't have at all (as opposed to null).
MISSING: Any = object()


def kind_of(value: object) -> str:
    """A JSON value's type as the person's file shows it ("text", "a number" ...)."""
    if value is MISSING:
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


def shown(value: object) -> str:
    """A short, safe rendering of a bad value for a message (no giant or nested dumps)."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**40 else "a number with over 40 digits"
    return kind_of(value)


def refusal(where: str, problem: str) -> ImportRefused:
    """The import's one way of refusing a record: ``where`` names it ("Reminder number 2
    in the file"), ``problem`` says what is wrong, starting "its ..."."""
    return ImportRefused(
        f"{where} can't be imported: {problem}; nothing was imported. Correct that value "
        "in the file (or remove the record) and import again."
    )


def table_prefix(plugin: str) -> str:
    """The prefix of every table a plugin owns: its name in lower case, each run of
    other characters as one underscore, then an underscore ('savor-guide' ->
    'savor_guide_'). ValueError for a name that makes no SQL identifier."""
    base = re.sub(r"[^a-z0-9]+", "_", plugin.lower()).strip("_")
    if not base or not base[0].isalpha():
        raise ValueError(f"plugin name {plugin!r} can't name tables (it must start with a letter)")
    return f"{base}_"


def quoted(identifier: str) -> str:
    """An SQL identifier, quoted, for table and column names read from the schema."""
    return '"' + identifier.replace('"', '""') + '"'


# -- what a plugin declares ----------------------------------------------------------


@dataclass(frozen=True)
class PluginTable:
    """One table a plugin owns, named without its prefix ("tags" is ``themes_tags``).

    ``glimmer_column`` and ``savoring_column`` name the columns that point at a
    glimmer or a savoring (they must reference ``glimmers (id)`` / ``savorings
    (id)`` ON DELETE CASCADE or SET NULL): import gives them the new ids, and
    forgetting a glimmer removes (or unlinks) the rows. ``check`` validates one
    imported row (a dict of column values, as in the file) and returns it,
    perhaps normalised; it raises ValueError with words that follow "its", e.g.
    ``'its "at" (25:99) is not a time of day such as 08:00'``.
    """

    name: str
    glimmer_column: str | None = None
    savoring_column: str | None = None
    check: Callable[[dict[str, Any]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class OldRow:
    """One row of a plugin table found in an export made before plugins had sections."""

    table: str
    #: The record it came from, for a refusal ("Glimmer number 3 in the file").
    where: str
    row: dict[str, Any]


class ExportRefs:
    """How an old export's glimmers and savorings are pointed at from rows: by their
    place in the file (1-based), since an old export's records may have no ids."""

    def __init__(self, glimmers: Sequence[int], savorings: Sequence[Sequence[int]]) -> None:
        self._glimmers = glimmers
        self._savorings = savorings

    def glimmer(self, number: int) -> int:
        """The reference for the ``number``-th glimmer of the file."""
        return self._glimmers[number - 1]

    def savoring(self, number: int, k: int) -> int:
        """The reference for the ``k``-th savoring of the ``number``-th glimmer."""
        return self._savorings[number - 1][k - 1]


@dataclass(frozen=True)
class PluginSchema:
    """A plugin's tables and the SQL that makes them, one migration per version.

    Migrations run in order, each once, each in its own transaction; never edit
    one that has been released, add another. Every object a migration creates
    must be named with the plugin's prefix, and every table it creates must be
    declared in ``tables``. ``from_old_export`` reads this plugin's data out of
    an export made before plugins had sections of their own (voiceglimmer 0.1,
    where the built-ins' data sat in fixed places), as :class:`OldRow` s whose
    links are :class:`ExportRefs` references.
    """

    tables: tuple[PluginTable, ...]
    migrations: tuple[str, ...]
    from_old_export: Callable[[dict[str, Any], ExportRefs], Iterable[OldRow]] | None = None

    def __post_init__(self) -> None:
        if not self.migrations:
            raise ValueError("a plugin schema needs at least one migration")
        names = [t.name for t in self.tables]
        for name in names:
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"table name {name!r} is not lower-case letters, digits and _")
        if len(set(names)) != len(names):
            raise ValueError("a plugin schema declares the same table twice")


# -- the store a plugin uses -----------------------------------------------------------


@dataclass
class Guard:
    """The journal connection's authorizer: which plugin's statement is being
    prepared (None: the journal's own), and what it may touch."""

    acting: AttachedPlugin | None = None
    denied: str = ""

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None
    ) -> int:
        plugin = self.acting
        if plugin is None or action in _ALWAYS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            if arg1 in plugin.full_names or arg1 in READABLE_CORE_TABLES:
                return sqlite3.SQLITE_OK
            return self._deny(f"read {arg1}: it belongs to voiceglimmer or another plugin")
        if action in _WRITES:
            if arg1 in plugin.full_names:
                return sqlite3.SQLITE_OK
            return self._deny(f"{_WRITES[action]} {arg1}: a plugin writes only its own tables")
        if action == sqlite3.SQLITE_PRAGMA and arg1 in _READ_PRAGMAS:
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            return self._deny("control transactions itself: use store.transaction()")
        return self._deny(
            "change the schema or the connection: tables are made by the plugin's migrations"
        )

    def _deny(self, why: str) -> int:
        self.denied = why
        return sqlite3.SQLITE_DENY


@dataclass
class AttachedPlugin:
    """A plugin whose tables are set up in an open journal."""

    plugin: str
    prefix: str
    schema: PluginSchema
    version: int
    full_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.full_names = frozenset(self.prefix + t.name for t in self.schema.tables)


class PluginStore:
    """A plugin's way into its own tables, on the journal's connection.

    Statements commit one by one (like every journal write, before the call
    returns); :meth:`transaction` groups several into one. Table names are the
    full ones (``themes_tags``); :meth:`table` turns a declared name into it.
    """

    def __init__(self, db: sqlite3.Connection, attached: AttachedPlugin, guard: Guard) -> None:
        self._db = db
        self._attached = attached
        self._guard = guard
        # A tag of its own keeps the plugin's prepared statements apart from the
        # journal's in sqlite3's statement cache: the authorizer judges a statement
        # when it is prepared, so one prepared for the journal must never be reused.
        self._tag = f"/* plugin {attached.prefix} */ "

    @property
    def plugin(self) -> str:
        return self._attached.plugin

    @property
    def prefix(self) -> str:
        return self._attached.prefix

    @property
    def version(self) -> int:
        """How many of the plugin's migrations this journal has applied."""
        return self._attached.version

    def table(self, name: str) -> str:
        """The full name of a declared table: ``store.table("tags")`` is ``themes_tags``."""
        full = self.prefix + name
        if full not in self._attached.full_names:
            raise PluginStoreError(f"plugin {self.plugin!r} declared no table {name!r}")
        return full

    @contextmanager
    def _as_plugin(self) -> Iterator[None]:
        self._guard.acting, self._guard.denied = self._attached, ""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if self._guard.denied:
                raise PluginStoreError(
                    f"plugin {self.plugin!r} may not {self._guard.denied} ({exc})"
                ) from exc
            raise
        finally:
            self._guard.acting = None

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        """Run one statement on the plugin's tables (committed at once outside a
        :meth:`transaction`). Read a SELECT's rows with :meth:`query` instead."""
        with self._as_plugin():
            return self._db.execute(self._tag + sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        """One statement for many rows, in one transaction."""
        with self.transaction(), self._as_plugin():
            return self._db.executemany(self._tag + sql, rows)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        """Every row a SELECT finds."""
        with self._as_plugin():
            return self._db.execute(self._tag + sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple[Any, ...] | None:
        """The first row a SELECT finds, or None."""
        with self._as_plugin():
            row = self._db.execute(self._tag + sql, params).fetchone()
        return None if row is None else tuple(row)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several statements as one: all are committed, or none (an exception undoes
        them). Inside a transaction already (an import), a savepoint."""
        if self._db.in_transaction:
            self._db.execute("SAVEPOINT plugin_store")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK TO plugin_store")
                self._db.execute("RELEASE plugin_store")
                raise
            self._db.execute("RELEASE plugin_store")
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


# -- setting a plugin's tables up ------------------------------------------------------


def schema_objects(db: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """Every named schema object: name -> (type, the table it belongs to)."""
    rows = db.execute(
        "SELECT name, type, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    )
    return {name: (kind, table) for name, kind, table in rows}


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (a trigger keeps its inner ';')."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                yield statement.strip()
            statement = ""


def created_problem(
    plugin: str, prefix: str, schema: PluginSchema, before: dict[str, Any], after: dict[str, Any]
) -> str | None:
    """What a migration made that it may not have: an object without the prefix, or a
    table not declared (a virtual table's own shadow tables excepted)."""
    declared = {prefix + t.name for t in schema.tables}
    made = [name for name in after if name not in before]
    virtual = [n for n in made if n in declared]
    for name in made:
        kind, _ = after[name]
        if not name.startswith(prefix):
            return f"its migration created {kind} {name}, whose name doesn't start with {prefix}"
        shadow = any(name.startswith(f"{v}_") for v in virtual)
        if kind == "table" and name not in declared and not shadow:
            return f"its migration created table {name}, which its schema doesn't declare"
    return None


def run_migration(db: sqlite3.Connection, script: str) -> None:
    for statement in _statements(script):
        db.execute(statement)


def shape_problem(db: sqlite3.Connection, prefix: str, schema: PluginSchema) -> str | None:
    """Whether every declared table is there, and its links to glimmers and
    savorings are real foreign keys that let a glimmer be forgotten."""
    present = {name for name, (kind, _) in schema_objects(db).items() if kind == "table"}
    for table in schema.tables:
        full = prefix + table.name
        if full not in present:
            return f"its migrations don't create the table {full} it declares"
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({quoted(full)})")}
        links = {"glimmers": table.glimmer_column, "savorings": table.savoring_column}
        keys = db.execute(f"PRAGMA foreign_key_list({quoted(full)})").fetchall()
        for target, column in links.items():
            if column is None:
                found = [k for k in keys if k[2] == target]
                if found:
                    which = "glimmer" if target == "glimmers" else "savoring"
                    return (
                        f"{full}.{found[0][3]} references {target}: declare it as the table's "
                        f"{which}_column so import can follow it"
                    )
                continue
            if column not in columns:
                return f"{full} has no column {column} (declared as pointing at {target})"
            fitting = [
                k
                for k in keys
                if k[2] == target and k[3] == column and k[4] in (None, "id") and
                k[6].upper() in ("CASCADE", "SET NULL")
            ]  # fmt: skip
            if not fitting:
                return (
                    f"{full}.{column} must be declared REFERENCES {target} (id) ON DELETE "
                    "CASCADE (or SET NULL), so that forgetting a glimmer removes its rows"
                )
    return None
