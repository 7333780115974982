"""Plugins own their data and settings: what a built-in can keep, a third-party plugin can.

The proof is a real package, installed with pip into a folder and found through
its entry point like any plugin: it declares a table and a setting, keeps a row
per glimmer, reads its setting from config.toml, and its rows go out in an
export, come back in an import, and leave with the glimmer they belong to when
it is forgotten (from the backups too). The storage rules are checked on real
SQLite files, and a journal made by voiceglimmer 0.1 (tests/data, made with
that release's own command line: see make_release_journal.sh) is opened by
this version and must keep every value.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import textwrap
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from voiceglimmer_plugins import reflect, rituals, savor_guide, themes

from tests.conftest import NOW, Run
from tests.test_plugin_system import pip_install_target
from voiceglimmer import PluginSchema, PluginSchemaError, PluginStoreError, PluginTable
from voiceglimmer.store import backup
from voiceglimmer.store.home import Home
from voiceglimmer.store.journal import Journal, JournalError

DATA = Path(__file__).parent / "data"
RELEASE_JOURNAL = DATA / "release-0.1.0-journal.sqlite3"
RELEASE_EXPORT = DATA / "release-0.1.0-export.json"

# -- a third-party plugin with a table and a setting -----------------------------------

MOODS = '''
from voiceglimmer import Intent, PluginSchema, PluginTable, Setting, hookimpl

SCHEMA = PluginSchema(
    tables=(PluginTable("entries", glimmer_column="glimmer_id"),),
    migrations=(
        """
        CREATE TABLE moods_entries (
            id INTEGER PRIMARY KEY,
            glimmer_id INTEGER NOT NULL REFERENCES glimmers (id) ON DELETE CASCADE,
            mood TEXT NOT NULL,
            strength INTEGER NOT NULL
        );
        CREATE INDEX moods_entries_by_glimmer ON moods_entries (glimmer_id);
        """,
    ),
)


@hookimpl
def journal_schema():
    return SCHEMA


@hookimpl
def plugin_settings():
    return [Setting("scale", int, 5, help="how strong a noted mood is", minimum=1, maximum=10)]


def felt(turn):
    glimmer = turn.last_glimmer
    strength = turn.setting("scale")
    turn.store.execute(
        "INSERT INTO moods_entries (glimmer_id, mood, strength) VALUES (?, ?, ?)",
        (glimmer.id, turn.slots["mood"], strength),
    )
    return f"Noted {turn.slots['mood']} at {strength} for {glimmer.text}."


def moods(turn):
    rows = turn.store.query(
        "SELECT e.mood, g.text FROM moods_entries e JOIN glimmers g ON g.id = e.glimmer_id "
        "ORDER BY e.id"
    )
    return "; ".join(f"{mood}: {text}" for mood, text in rows) or "No moods yet."


@hookimpl
def register_intents(register):
    register(Intent(name="felt", templates=["that felt {mood}"], handler=felt,
                    examples=["That felt calm"]))
    register(Intent(name="moods", templates=["what moods did i note"], handler=moods,
                    examples=["What moods did I note?"]))


def moods_command(args, app):
    store = app.journal.plugin_store("moods")
    (count,) = store.one("SELECT count(*) FROM moods_entries")
    print(f"{count} moods, scale {app.settings.get('moods', 'scale')}")
    return 0


@hookimpl
def register_commands(subparsers):
    subparsers.add_parser("moods", help="count the moods").set_defaults(func=moods_command)
'''


@pytest.fixture(scope="module")
def moods_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The moods plugin, pip-installed into a folder of its own."""
    root = tmp_path_factory.mktemp("moods")
    package = root / "voiceglimmer-moods"
    package.mkdir()
    (package / "vg_moods.py").write_text(MOODS)
    (package / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "voiceglimmer-moods"
        version = "1.0"
        [project.entry-points.voiceglimmer]
        moods = "vg_moods"
        [tool.setuptools]
        py-modules = ["vg_moods"]
        """)
    )
    site = root / "site"
    pip_install_target(package, site)
    return site


def ok(run: Run) -> Run:
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    return run


def mood_rows(path: Path) -> list[tuple[int, str, int]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT glimmer_id, mood, strength FROM moods_entries").fetchall()


def test_a_third_party_plugin_keeps_its_rows_and_reads_its_setting(
    cli: Callable[..., Run], home: Path, tmp_path: Path, moods_site: Path
) -> None:
    env = {"PYTHONPATH": str(moods_site)}
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text("[plugins.moods]\nscale = 7\n")
    said = "glimmer: rain on the window\nno\nthat felt calm\nwhat moods did I note\n"
    events = ok(cli("chat", "--json", input=said, env=env)).json_lines()
    assert (events[2]["plugin"], events[2]["reply"]) == (
        "moods",
        "Noted calm at 7 for rain on the window.",  # the setting, from config.toml
    )
    assert events[3]["reply"] == "calm: rain on the window"
    assert mood_rows(home / "journal.sqlite3") == [(1, "calm", 7)]
    assert ok(cli("moods", env=env)).stdout == "1 moods, scale 7\n"

    # the export carries the plugin's section; an import elsewhere brings it back
    exported = json.loads(ok(cli("export", "--format", "json", env=env)).stdout)
    assert exported["plugins"]["moods"] == {
        "schema": 1,
        "tables": {"entries": [{"id": 1, "glimmer_id": 1, "mood": "calm", "strength": 7}]},
    }
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    ok(cli("log", "the first sip of tea", env={**env, "VOICEGLIMMER_HOME": str(other)}))
    file = tmp_path / "export.json"
    file.write_text(json.dumps(exported))
    there = {**env, "VOICEGLIMMER_HOME": str(other)}
    assert ok(cli("import", str(file), env=there)).stdout.startswith("Imported 1 glimmers")
    # the row follows its glimmer to the id it has there (the tea took id 1)
    assert mood_rows(other / "journal.sqlite3") == [(2, "calm", 7)]
    ok(cli("import", str(file), env=there))  # twice: nothing doubled
    assert mood_rows(other / "journal.sqlite3") == [(2, "calm", 7)]
    # without the plugin, its section is named as not imported, never lost silently
    bare = tmp_path / "bare"
    bare.mkdir(mode=0o700)
    said_without = ok(cli("import", str(file), env={"VOICEGLIMMER_HOME": str(bare)})).stdout
    assert "plugins not installed here (moods)" in said_without


def test_forgetting_a_glimmer_takes_the_plugins_rows_from_the_journal_and_the_backups(
    cli: Callable[..., Run], home: Path, moods_site: Path
) -> None:
    env = {"PYTHONPATH": str(moods_site)}
    said = "glimmer: rain on the window\nno\nthat felt calm\nglimmer: tea\nno\nthat felt warm\n"
    ok(cli("chat", "--json", input=said, env=env))
    ok(cli("backup", env=env))
    [copy] = [b.path for b in backup.list_backups(home / "backups")]
    assert sorted(r[1] for r in mood_rows(copy)) == ["calm", "warm"]  # whole-file copies

    ok(cli("forget", "1", "--yes", env=env))
    assert mood_rows(home / "journal.sqlite3") == [(2, "warm", 5)]  # the default scale
    assert mood_rows(copy) == [(2, "warm", 5)]
    for path in (home / "journal.sqlite3", copy):
        assert b"rain on the window" not in path.read_bytes()

    ok(cli("forget", "--all", "--yes", env=env))
    assert mood_rows(home / "journal.sqlite3") == []
    # the plugin's tables are still set up: it keeps working after the wipe
    again = ok(cli("chat", "--json", input="glimmer: a bird\nno\nthat felt light\n", env=env))
    assert again.json_lines()[2]["reply"] == "Noted light at 5 for a bird."


def test_a_plugins_settings_are_checked_by_its_declaration(
    cli: Callable[..., Run], home: Path, moods_site: Path
) -> None:
    env = {"PYTHONPATH": str(moods_site)}
    home.mkdir(mode=0o700)
    config = home / "config.toml"
    config.write_text("[plugins.moods]\nscale = 99\n")
    run = cli("chat", input="hello\n", env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"{config}: [plugins.moods] scale = 99 is out of range; use a whole number " in (
        run.stderr
    )
    config.write_text('[plugins.moods]\nscale = "high"\n')
    assert '[plugins.moods] scale should be a whole number from 1 to 10, not "high"' in (
        cli("chat", input="hello\n", env=env).stderr
    )
    # unknown keys and sections are warnings: the plugin works, with its default
    config.write_text("[plugins.moods]\nscal = 3\n[plugins.nobody]\nx = 1\n")
    run = ok(cli("chat", "--json", input="glimmer: rain\nno\nthat felt calm\n", env=env))
    assert run.json_lines()[2]["reply"] == "Noted calm at 5 for rain."
    assert "[plugins.moods] has no setting 'scal' (its settings: scale); it is ignored" in (
        run.stderr
    )
    assert "[plugins.nobody] is for a plugin that is not loaded; it is ignored" in run.stderr


# -- the storage rules, on real files ---------------------------------------------------


def _schema(*migrations: str, **table: Any) -> PluginSchema:
    return PluginSchema(tables=(PluginTable("notes", **table),), migrations=migrations)


NOTES = """
CREATE TABLE extra_notes (
    id INTEGER PRIMARY KEY,
    glimmer_id INTEGER REFERENCES glimmers (id) ON DELETE CASCADE,
    note TEXT NOT NULL
);
"""


@pytest.fixture
def journal(tmp_path: Path):
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def test_a_store_touches_only_its_own_tables(journal: Journal) -> None:
    glimmer = journal.add("rain", created_at=NOW)
    store = journal.attach("extra", _schema(NOTES, glimmer_column="glimmer_id"))
    store.execute("INSERT INTO extra_notes (glimmer_id, note) VALUES (?, 'wet')", (glimmer.id,))
    # reading the glimmers its rows point at is allowed
    assert store.query(
        "SELECT g.text, n.note FROM extra_notes n JOIN glimmers g ON g.id = n.glimmer_id"
    ) == [("rain", "wet")]
    themes.set_tags(journal, glimmer.id, ["sound"], "inferred")
    for sql in (
        "DELETE FROM glimmers",  # the journal's own rows: only through Journal
        "UPDATE savorings SET seconds = 0",
        "SELECT * FROM themes_tags",  # another plugin's
        "DROP TABLE extra_notes",  # tables change only by migrations
        "CREATE TABLE extra_more (x)",
        "SELECT * FROM plugin_state",
    ):
        with pytest.raises(PluginStoreError, match="plugin 'extra' may not"):
            store.query(sql)
    assert journal.count() == 1 and themes.glimmer_tags(journal, glimmer.id) == ["sound"]
    # the journal's own statements are not limited by what a plugin may do
    assert journal.delete(glimmer.id)
    assert store.query("SELECT count(*) FROM extra_notes") == [(0,)]  # cascaded


def test_a_transaction_is_all_or_nothing(journal: Journal) -> None:
    store = journal.attach("extra", _schema(NOTES, glimmer_column="glimmer_id"))
    with pytest.raises(RuntimeError), store.transaction():
        store.execute("INSERT INTO extra_notes (note) VALUES ('one')")
        raise RuntimeError("half way")
    assert store.query("SELECT count(*) FROM extra_notes") == [(0,)]


@pytest.mark.parametrize(
    ("schema", "said"),
    [
        (_schema("CREATE TABLE notes (x TEXT);"), "doesn't start with extra_"),
        (_schema(NOTES + "CREATE TABLE extra_hidden (x);"), "which its schema doesn't declare"),
        (_schema("CREATE VIEW extra_view AS SELECT 1;"), "don't create the table extra_notes"),
        (_schema(NOTES), "references glimmers: declare it as the table's glimmer_column"),
        (
            _schema(
                "CREATE TABLE extra_notes (glimmer_id INTEGER REFERENCES glimmers (id));",
                glimmer_column="glimmer_id",
            ),
            "ON DELETE CASCADE (or SET NULL), so that forgetting a glimmer removes its rows",
        ),
        (_schema("CREATE TABLE extra_notes (x"), "migration 1 failed and was undone"),
    ],
)
def test_a_declaration_that_breaks_the_rules_is_refused_and_undone(
    journal: Journal, schema: PluginSchema, said: str
) -> None:
    before = journal.plugin_versions()
    with pytest.raises(PluginSchemaError, match=r"plugin 'extra'") as refused:
        journal.attach("extra", schema)
    assert said in str(refused.value)
    with closing(sqlite3.connect(journal.path)) as db:
        made = db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'extra%'").fetchall()
    assert made == [] and journal.plugin_versions() == before
    with pytest.raises(PluginStoreError, match="has no tables"):
        journal.plugin_store("extra")


def test_migrations_run_once_each_in_order_and_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    first = _schema(NOTES, glimmer_column="glimmer_id")
    with Journal(path) as j:
        j.attach("extra", first).execute("INSERT INTO extra_notes (note) VALUES ('kept')")
    with Journal(path) as j:  # opened again: nothing re-run, nothing lost
        assert j.attach("extra", first).query("SELECT note FROM extra_notes") == [("kept",)]
    second = _schema(
        NOTES,
        "ALTER TABLE extra_notes ADD COLUMN mood TEXT NOT NULL DEFAULT 'fine';",
        glimmer_column="glimmer_id",
    )
    with Journal(path) as j:
        store = j.attach("extra", second)
        assert store.version == 2 and j.plugin_versions() == {"extra": 2}
        assert store.query("SELECT note, mood FROM extra_notes") == [("kept", "fine")]
    with Journal(path) as j, pytest.raises(PluginSchemaError, match="made by a newer version"):
        j.attach("extra", first)


def test_the_app_backs_up_before_a_plugins_tables_are_upgraded(tmp_path: Path) -> None:
    home = Home(tmp_path, tmp_path)
    first = {"extra": _schema(NOTES, glimmer_column="glimmer_id")}
    journal = backup.open_journal(home, NOW, daily=False, schemas=first)
    journal.add("rain", created_at=NOW)
    journal.plugin_store("extra").execute("INSERT INTO extra_notes (note) VALUES ('kept')")
    journal.close()
    assert backup.list_backups(tmp_path / "backups") == []  # a first table: nothing to lose
    upgraded = {"extra": _schema(NOTES, "DELETE FROM extra_notes;", glimmer_column="glimmer_id")}
    journal = backup.open_journal(home, NOW + timedelta(hours=1), daily=False, schemas=upgraded)
    journal.close()
    [copy] = backup.list_backups(tmp_path / "backups")
    with closing(sqlite3.connect(copy.path)) as db:
        assert db.execute("SELECT note FROM extra_notes").fetchall() == [("kept",)]
    # a plugin whose tables can't be set up is reported; the journal opens for the rest
    problems: list[tuple[str, str]] = []
    broken = {"broken": _schema("CREATE TABLE elsewhere (x);"), **upgraded}
    journal = backup.open_journal(
        home, NOW, daily=False, schemas=broken,
        on_schema_problem=lambda name, exc: problems.append((name, str(exc))),
    )  # fmt: skip
    assert journal.attached == ["extra"] and journal.count() == 1
    journal.close()
    assert [name for name, _ in problems] == ["broken"]


def test_an_import_row_is_checked_and_named(journal: Journal) -> None:
    journal.attach("rituals", rituals.SCHEMA)
    records = {
        "format": "voiceglimmer-journal",
        "version": 3,
        "glimmers": [],
        "plugins": {"rituals": {"tables": {"reminders": [
            {"kind": "look", "at": "08:00", "created_at": NOW.isoformat()},
            {"kind": "look", "at": "25:99", "created_at": NOW.isoformat()},
        ]}}},
    }  # fmt: skip
    with pytest.raises(JournalError) as refused:
        journal.import_records(records)
    assert str(refused.value).startswith(
        'Row 2 of plugin "rituals"\'s "reminders" in the file can\'t be imported: its "at" '
        "('25:99') is not a time of day such as 08:00; nothing was imported."
    )
    assert rituals.all_reminders(journal) == []
    records["plugins"]["rituals"]["tables"]["reminders"][1]["surprise"] = 1
    records["plugins"]["rituals"]["tables"]["reminders"][1]["at"] = "09:00"
    with pytest.raises(JournalError, match='its "surprise" is not a column of rituals_reminders'):
        journal.import_records(records)


# -- a journal made by voiceglimmer 0.1 opens with every value --------------------------

BUILT_INS = {
    "themes": themes.SCHEMA,
    "savor-guide": savor_guide.SCHEMA,
    "reflect": reflect.SCHEMA,
    "rituals": rituals.SCHEMA,
}


def values(export: dict[str, Any]) -> dict[str, Any]:
    """Every value a person put in, whichever layout the export has (0.1's fixed places,
    or a section per plugin), in one comparable shape."""
    glimmers, tags, notes, reminders = [], {}, [], []
    if export["version"] >= 3:
        tables = {name: section["tables"] for name, section in export["plugins"].items()}
        ratings = {r["savoring_id"]: r for r in tables["savor-guide"]["ratings"]}
        for row in tables["themes"]["tags"]:
            tags.setdefault(row["glimmer_id"], []).append((row["tag"], row["source"]))
        notes = tables["reflect"]["notes"]
        reminders = [{**r, "enabled": bool(r["enabled"])} for r in tables["rituals"]["reminders"]]
    else:
        ratings = {}
        notes, reminders = export["reflections"], export["reminders"]
    for g in export["glimmers"]:
        savorings = []
        for s in g["savorings"]:
            rating = ratings.get(s.get("id"), s)
            savorings.append((s["started_at"], s["seconds"], s["length"], s["completed"],
                              rating.get("calm_before"), rating.get("calm_after")))  # fmt: skip
        glimmers.append((g["id"], g["created_at"], g["text"], g["source"], savorings))
        if export["version"] < 3:
            tags[g["id"]] = [(t["tag"], t["source"]) for t in g["tags"]]
    return {
        "glimmers": glimmers,
        "tags": {gid: rows for gid, rows in tags.items() if rows},
        "notes": sorted(notes, key=lambda n: n["id"]),
        "reminders": sorted(reminders, key=lambda r: r["id"]),
    }


def test_a_journal_from_release_0_1_keeps_every_value(
    cli: Callable[..., Run], home: Path, tmp_path: Path
) -> None:
    home.mkdir(mode=0o700)
    shutil.copy(RELEASE_JOURNAL, home / "journal.sqlite3")
    (home / "journal.sqlite3").chmod(0o600)
    release = json.loads(RELEASE_EXPORT.read_text(encoding="utf-8"))
    expected = values(release)
    assert len(expected["glimmers"]) == 5 and len(expected["reminders"]) == 4  # a real sample

    opened = json.loads(ok(cli("export", "--format", "json")).stdout)
    assert opened["version"] == 3 and values(opened) == expected
    # the upgrade was backed up first, as 0.1 wrote it
    [before] = backup.list_backups(home / "backups")
    with closing(sqlite3.connect(before.path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
        assert db.execute("SELECT count(*) FROM tags").fetchone() == (16,)
    # the plugins' state came along: the calm check stays off as the person left it
    chat = ok(cli("chat", "--json", input="savor my last glimmer\n")).json_lines()
    assert chat[0]["intent"] == "savor" and "calm_check" not in chat[0]["data"]
    # and stats and the report still show the themes and calm figures
    stats = json.loads(ok(cli("stats", "--json")).stdout)
    assert stats["themes"]["top"][:2] == [{"tag": "comfort", "count": 3},
                                          {"tag": "sound", "count": 2}]  # fmt: skip
    assert (stats["calm"]["rated"], stats["calm"]["avg_rise"]) == (1, 2.0)
    assert stats["totals"]["tagged_glimmers"] == 5

    # exported and imported again, and 0.1's own export imported: the same values
    for source, made in ((opened, "reexport"), (release, "release-export")):
        file = tmp_path / f"{made}.json"
        file.write_text(json.dumps(source))
        elsewhere = tmp_path / made
        elsewhere.mkdir(mode=0o700)
        there = {"VOICEGLIMMER_HOME": str(elsewhere)}
        assert ok(cli("import", str(file), env=there)).stdout.startswith("Imported 5 glimmers")
        again = json.loads(ok(cli("export", "--format", "json", env=there)).stdout)
        assert values(again) == expected, made
        if made == "reexport":
            assert again == opened  # the same ids, rows and order: the same journal


def test_built_in_plugins_declare_their_tables_like_any_plugin(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite3") as j:
        for name, schema in BUILT_INS.items():
            j.attach(name, schema)
        assert j.plugin_versions() == dict.fromkeys(BUILT_INS, 1)
        assert sorted(j.export_records()["plugins"]) == sorted(BUILT_INS)
