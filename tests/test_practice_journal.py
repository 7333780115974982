"""The built-in plugins' own tables: tags, calm ratings, notes, reminders, and export.

Each built-in keeps its data in its own tables through the same plugin storage
a third-party plugin uses (see test_plugin_storage.py); these are their rules.
"""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from voiceglimmer_plugins import reflect, rituals, savor_guide, themes
from voiceglimmer_plugins.reflect import add_reflection, reflections
from voiceglimmer_plugins.rituals import (
    all_reminders,
    delete_reminder,
    due_reminders,
    find_reminder,
    mark_reminder_fired,
    new_reminder,
    set_reminder_enabled,
)
from voiceglimmer_plugins.savor_guide import calm_ratings, rate_savoring, rated_savorings
from voiceglimmer_plugins.themes import (
    glimmer_tags,
    set_tags,
    tag_counts,
    tag_sources,
    tags_between,
    untagged,
    with_tag,
)

from tests.conftest import NOW
from tests.practice_data import GLIMMERS, months_export
from voiceglimmer.store.journal import Journal, JournalError

BUILT_INS = {
    "themes": themes.SCHEMA,
    "savor-guide": savor_guide.SCHEMA,
    "reflect": reflect.SCHEMA,
    "rituals": rituals.SCHEMA,
}


def practice_journal(path: Path) -> Journal:
    """A journal with the built-ins' tables set up, as the app opens it."""
    journal = Journal(path)
    for name, schema in BUILT_INS.items():
        journal.attach(name, schema)
    return journal


@pytest.fixture
def journal(tmp_path):
    j = practice_journal(tmp_path / "data" / "journal.sqlite3")
    yield j
    j.close()


def test_tags_of_one_source_are_replaced_and_the_persons_win(journal: Journal) -> None:
    g = journal.add("the sunset over the sea", created_at=NOW)
    set_tags(journal, g.id, ["Sight", " nature ", "sight"], "inferred")
    assert glimmer_tags(journal, g.id) == ["sight", "nature"]
    set_tags(journal, g.id, ["sight"], "inferred")
    assert glimmer_tags(journal, g.id) == ["sight"]
    # the person's tags replace the guess; the guess is kept but not counted
    set_tags(journal, g.id, ["connection"], "person")
    assert glimmer_tags(journal, g.id) == ["connection"]
    assert glimmer_tags(journal, g.id, "inferred") == ["sight"]
    assert tag_sources(journal, g.id) == {"sight": "inferred", "connection": "person"}
    # a later guess never downgrades a tag the person gave
    set_tags(journal, g.id, ["connection", "sight"], "inferred")
    assert tag_sources(journal, g.id)["connection"] == "person"
    with pytest.raises(ValueError):
        set_tags(journal, g.id, ["x"], "machine")  # type: ignore[arg-type]


def test_tag_counts_and_tags_between_respect_the_range(journal: Journal) -> None:
    old = journal.add("rain", created_at=NOW - timedelta(days=40))
    new = journal.add("tea with a friend", created_at=NOW)
    set_tags(journal, old.id, ["sound", "nature"], "inferred")
    set_tags(journal, new.id, ["taste", "connection"], "inferred")
    set_tags(journal, new.id, ["connection", "comfort"], "person")
    assert tag_counts(journal) == {"comfort": 1, "connection": 1, "nature": 1, "sound": 1}
    week = (NOW - timedelta(days=7), NOW + timedelta(hours=1))
    assert tag_counts(journal, *week) == {"comfort": 1, "connection": 1}
    assert [(g.text, tags) for g, tags in tags_between(journal, *week)] == [
        ("tea with a friend", ["connection", "comfort"])
    ]
    assert [g.text for g in with_tag(journal, "nature")] == ["rain"]
    assert [g.text for g in untagged(journal)] == []


def test_calm_ratings_are_validated_and_kept_separately(journal: Journal) -> None:
    g = journal.add("rain", created_at=NOW)
    s = journal.record_savoring(g.id, started_at=NOW, seconds=50, length="quick")
    rate_savoring(journal, s.id, before=2)
    rate_savoring(journal, s.id, after=5)
    rate_savoring(journal, s.id)  # nothing given, nothing changed
    assert calm_ratings(journal) == [(NOW, 2, 5)]
    [rating] = rated_savorings(journal)
    assert (rating.glimmer_id, rating.rise) == (g.id, 3)
    assert calm_ratings(journal, NOW + timedelta(seconds=1)) == []
    for bad in (0, 6, 2.5, True, "3"):
        with pytest.raises(ValueError):
            rate_savoring(journal, s.id, after=bad)  # type: ignore[arg-type]
    assert calm_ratings(journal) == [(NOW, 2, 5)]


def test_reflections_belong_to_a_day(journal: Journal) -> None:
    g = journal.add("tea", created_at=NOW)
    add_reflection(journal, NOW.date(), "slow start, kind evening", created_at=NOW, glimmer_id=g.id)
    add_reflection(journal, "2026-11-23", "rainy", created_at=NOW - timedelta(days=1))
    [today] = reflections(journal, NOW.date())
    assert (today.note, today.glimmer_id, today.day) == (
        "slow start, kind evening",
        g.id,
        NOW.date(),
    )
    assert [r.note for r in reflections(journal, "2026-11-23")] == ["rainy"]
    assert len(reflections(journal)) == 2
    with pytest.raises(ValueError):
        add_reflection(journal, NOW.date(), "   ", created_at=NOW)
    # deleting the glimmer keeps the note
    journal.delete(g.id)
    assert reflections(journal, NOW.date())[0].glimmer_id is None


def test_reminders_crud(journal: Journal) -> None:
    a = new_reminder(journal, "look", "8:00", created_at=NOW)
    b = new_reminder(journal, "custom", time(7, 30), created_at=NOW, message="sun", days="mon,Thu")
    assert [r.id for r in all_reminders(journal)] == [b.id, a.id]  # in the order of the day
    assert (a.at, a.days, a.enabled, a.last_fired) == (time(8, 0), "daily", True, None)
    assert b.weekdays == ("mon", "thu")
    mark_reminder_fired(journal, a.id, NOW)
    assert find_reminder(journal, a.id).last_fired == NOW
    assert set_reminder_enabled(journal, b.id, False)
    assert [r.id for r in all_reminders(journal, enabled_only=True)] == [a.id]
    assert delete_reminder(journal, a.id) and not delete_reminder(journal, a.id)
    with pytest.raises(ValueError):
        new_reminder(journal, "look", "8:00", created_at=NOW, days="someday")
    with pytest.raises(ValueError):
        new_reminder(journal, "look", "25:00", created_at=NOW)


def _day(hour: int, minute: int = 0, days: int = 0):
    return (NOW + timedelta(days=days)).replace(hour=hour, minute=minute)


def test_due_reminders_across_the_day(journal: Journal) -> None:
    yesterday = NOW - timedelta(days=1)
    morning = new_reminder(journal, "look", "08:00", created_at=yesterday)
    evening = new_reminder(journal, "reflect", "21:00", created_at=yesterday)
    assert due_reminders(journal, _day(7, 59)) == []
    assert [r.id for r in due_reminders(journal, _day(8, 0))] == [morning.id]
    assert [r.id for r in due_reminders(journal, _day(12))] == [morning.id]  # still owed
    mark_reminder_fired(journal, morning.id, _day(12))
    assert due_reminders(journal, _day(12, 1)) == []
    assert [r.id for r in due_reminders(journal, _day(21, 30))] == [evening.id]
    mark_reminder_fired(journal, evening.id, _day(21, 30))
    assert due_reminders(journal, _day(23, 59)) == []
    # the next day both come round again
    assert [r.id for r in due_reminders(journal, _day(22, days=1))] == [morning.id, evening.id]


def test_a_reminder_set_after_its_time_waits_for_tomorrow(journal: Journal) -> None:
    late = new_reminder(journal, "look", "08:00", created_at=NOW)  # set at 15:30
    assert due_reminders(journal, _day(16)) == []
    assert [r.id for r in due_reminders(journal, _day(8, days=1))] == [late.id]


def test_weekday_patterns_and_disabled_reminders(journal: Journal) -> None:
    before = NOW - timedelta(days=10)
    weekdays = new_reminder(journal, "look", "08:00", created_at=before, days="weekdays")
    weekends = new_reminder(journal, "look", "09:00", created_at=before, days="weekends")
    off = new_reminder(journal, "look", "07:00", created_at=before)
    set_reminder_enabled(journal, off.id, False)
    tuesday, saturday = _day(10), _day(10, days=4)
    assert saturday.strftime("%a") == "Sat"
    assert [r.id for r in due_reminders(journal, tuesday)] == [weekdays.id]
    assert [r.id for r in due_reminders(journal, saturday)] == [weekends.id]


def test_a_fire_in_another_time_zone_counts_by_local_day(journal: Journal) -> None:
    r = new_reminder(journal, "look", "08:00", created_at=NOW - timedelta(days=1))
    # fired at 23:30 New York on the 23rd = 04:30 UTC on the 24th: not today's firing
    mark_reminder_fired(journal, r.id, _day(23, 30, days=-1).astimezone(tz=None))
    assert [x.id for x in due_reminders(journal, _day(8))] == [r.id]


def test_export_import_round_trip_is_lossless(tmp_path) -> None:
    first = practice_journal(tmp_path / "a" / "journal.sqlite3")
    first.import_records(months_export())
    rain = first.search(["rain"])[0]
    set_tags(first, rain.id, ["smell", "nature"], "inferred")
    set_tags(first, rain.id, ["comfort"], "person")
    new_reminder(first, "custom", "07:30", created_at=NOW, message="a minute in the sun")
    delete_reminder(first, 1)  # a gap in reminder ids survives too
    exported = first.export_records()
    assert exported["version"] == 3
    assert sorted(exported["plugins"]) == ["reflect", "rituals", "savor-guide", "themes"]
    second = practice_journal(tmp_path / "b" / "journal.sqlite3")
    assert second.import_records(json.loads(json.dumps(exported))) == (len(GLIMMERS), 0, 0, ())
    assert second.export_records() == exported
    assert glimmer_tags(second, rain.id) == ["comfort"]
    assert calm_ratings(second) == calm_ratings(first)
    # importing again adds nothing, not even a second note or reminder
    assert second.import_records(exported) == (0, len(GLIMMERS), 0, ())
    assert second.export_records() == exported
    first.close()
    second.close()


def test_reflections_follow_their_glimmer_to_its_new_id(journal: Journal) -> None:
    journal.add("already here", created_at=NOW - timedelta(days=200))  # takes id 1
    records = months_export()
    journal.import_records(records)
    [note] = reflections(journal)
    pine = journal.search(["pine"])[0]
    assert note.glimmer_id == pine.id


def test_a_version_1_export_still_imports(journal: Journal) -> None:
    v1 = {
        "format": "voiceglimmer-journal",
        "version": 1,
        "glimmers": [
            {
                "id": 1,
                "created_at": NOW.isoformat(),
                "text": "tea",
                "source": "typed",
                "savorings": [
                    {"started_at": NOW.isoformat(), "seconds": 5, "length": "quick",
                     "completed": True}
                ],
            }
        ],
    }  # fmt: skip
    assert journal.import_records(v1) == (1, 0, 0, ())
    assert calm_ratings(journal) == [] and all_reminders(journal) == []
    assert [g.text for g in untagged(journal)] == ["tea"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["reminders"][0].update(at="25:99"), "Reminder number 1"),
        (lambda r: r["reminders"][1].update(days="someday"), "Reminder number 2"),
        (lambda r: r["reflections"][0].update(day="yesterday"), "Reflection number 1"),
        (lambda r: r["glimmers"][1]["savorings"][0].update(calm_after=9), "number 2"),
        (lambda r: r["glimmers"][0].update(tags=[{"tag": "x", "source": "ai"}]), "number 1"),
        (lambda r: r.update(reminders={"not": "a list"}), "not a list"),
    ],
)
def test_a_bad_new_section_imports_nothing(journal: Journal, change, message: str) -> None:
    records = months_export()
    change(records)
    with pytest.raises(JournalError, match=message):
        journal.import_records(records)
    assert journal.count() == 0 and all_reminders(journal) == [] and reflections(journal) == []


def test_the_plugins_tables_reach_a_schema_1_journal(tmp_path) -> None:
    import sqlite3

    from voiceglimmer.store.journal import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
        db.execute(
            "INSERT INTO glimmers (created_at, created_ts, text, source) VALUES (?, ?, ?, ?)",
            (NOW.isoformat(), NOW.timestamp(), "old tea", "typed"),
        )
    with practice_journal(path) as j:
        assert j.schema_version == len(MIGRATIONS)
        assert j.plugin_versions() == {name: 1 for name in BUILT_INS}
        [g] = list(j)
        set_tags(j, g.id, ["taste"], "inferred")
        add_reflection(j, date(2026, 11, 24), "fine", created_at=NOW)
        assert glimmer_tags(j, g.id) == ["taste"]
    with sqlite3.connect(path) as db:  # 0.1's practice tables went to their plugins
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in db.execute("PRAGMA table_info(savorings)")}
    assert not tables & {"tags", "reflections", "reminders"}
    assert {"themes_tags", "reflect_notes", "rituals_reminders", "savor_guide_ratings"} <= tables
    assert not columns & {"calm_before", "calm_after"}
