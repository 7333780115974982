"""Schema 2 in the journal: tags, calm ratings, reflections, reminders, and export."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest

from tests.conftest import NOW
from tests.practice_data import GLIMMERS, months_export
from voiceglimmer.store.journal import Journal, JournalError


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "data" / "journal.sqlite3")
    yield j
    j.close()


def test_tags_of_one_source_are_replaced_and_the_persons_win(journal: Journal) -> None:
    g = journal.add("the sunset over the sea", created_at=NOW)
    journal.set_tags(g.id, ["Sight", " nature ", "sight"], "inferred")
    assert journal.tags(g.id) == ["sight", "nature"]
    journal.set_tags(g.id, ["sight"], "inferred")
    assert journal.tags(g.id) == ["sight"]
    # the person's tags replace the guess; the guess is kept but not counted
    journal.set_tags(g.id, ["connection"], "person")
    assert journal.tags(g.id) == ["connection"]
    assert journal.tags(g.id, "inferred") == ["sight"]
    assert journal.tag_sources(g.id) == {"sight": "inferred", "connection": "person"}
    # a later guess never downgrades a tag the person gave
    journal.set_tags(g.id, ["connection", "sight"], "inferred")
    assert journal.tag_sources(g.id)["connection"] == "person"
    with pytest.raises(ValueError):
        journal.set_tags(g.id, ["x"], "machine")  # type: ignore[arg-type]


def test_tag_counts_and_tags_between_respect_the_range(journal: Journal) -> None:
    old = journal.add("rain", created_at=NOW - timedelta(days=40))
    new = journal.add("tea with a friend", created_at=NOW)
    journal.set_tags(old.id, ["sound", "nature"], "inferred")
    journal.set_tags(new.id, ["taste", "connection"], "inferred")
    journal.set_tags(new.id, ["connection", "comfort"], "person")
    assert journal.tag_counts() == {"comfort": 1, "connection": 1, "nature": 1, "sound": 1}
    week = (NOW - timedelta(days=7), NOW + timedelta(hours=1))
    assert journal.tag_counts(*week) == {"comfort": 1, "connection": 1}
    assert [(g.text, tags) for g, tags in journal.tags_between(*week)] == [
        ("tea with a friend", ["connection", "comfort"])
    ]
    assert [g.text for g in journal.with_tag("nature")] == ["rain"]
    assert [g.text for g in journal.untagged()] == []


def test_calm_ratings_are_validated_and_kept_separately(journal: Journal) -> None:
    g = journal.add("rain", created_at=NOW)
    s = journal.record_savoring(g.id, started_at=NOW, seconds=50, length="quick")
    journal.rate_savoring(s.id, before=2)
    journal.rate_savoring(s.id, after=5)
    journal.rate_savoring(s.id)  # nothing given, nothing changed
    assert journal.calm_ratings() == [(NOW, 2, 5)]
    [rating] = journal.rated_savorings()
    assert (rating.glimmer_id, rating.rise) == (g.id, 3)
    assert journal.calm_ratings(NOW + timedelta(seconds=1)) == []
    for bad in (0, 6, 2.5, True, "3"):
        with pytest.raises(ValueError):
            journal.rate_savoring(s.id, after=bad)  # type: ignore[arg-type]
    assert journal.calm_ratings() == [(NOW, 2, 5)]


def test_reflections_belong_to_a_day(journal: Journal) -> None:
    g = journal.add("tea", created_at=NOW)
    journal.add_reflection(NOW.date(), "slow start, kind evening", created_at=NOW, glimmer_id=g.id)
    journal.add_reflection("2026-11-23", "rainy", created_at=NOW - timedelta(days=1))
    [today] = journal.reflections(NOW.date())
    assert (today.note, today.glimmer_id, today.day) == (
        "slow start, kind evening",
        g.id,
        NOW.date(),
    )
    assert [r.note for r in journal.reflections("2026-11-23")] == ["rainy"]
    assert len(journal.reflections()) == 2
    with pytest.raises(ValueError):
        journal.add_reflection(NOW.date(), "   ", created_at=NOW)
    # deleting the glimmer keeps the note
    journal.delete(g.id)
    assert journal.reflections(NOW.date())[0].glimmer_id is None


def test_reminders_crud(journal: Journal) -> None:
    a = journal.add_reminder("look", "8:00", created_at=NOW)
    b = journal.add_reminder("custom", time(7, 30), created_at=NOW, message="sun", days="mon,Thu")
    assert [r.id for r in journal.reminders()] == [b.id, a.id]  # in the order of the day
    assert (a.at, a.days, a.enabled, a.last_fired) == (time(8, 0), "daily", True, None)
    assert b.weekdays == ("mon", "thu")
    journal.mark_reminder_fired(a.id, NOW)
    assert journal.reminder(a.id).last_fired == NOW
    assert journal.set_reminder_enabled(b.id, False)
    assert [r.id for r in journal.reminders(enabled_only=True)] == [a.id]
    assert journal.remove_reminder(a.id) and not journal.remove_reminder(a.id)
    with pytest.raises(ValueError):
        journal.add_reminder("look", "8:00", created_at=NOW, days="someday")
    with pytest.raises(ValueError):
        journal.add_reminder("look", "25:00", created_at=NOW)


def _day(hour: int, minute: int = 0, days: int = 0):
    return (NOW + timedelta(days=days)).replace(hour=hour, minute=minute)


def test_due_reminders_across_the_day(journal: Journal) -> None:
    yesterday = NOW - timedelta(days=1)
    morning = journal.add_reminder("look", "08:00", created_at=yesterday)
    evening = journal.add_reminder("reflect", "21:00", created_at=yesterday)
    assert journal.due_reminders(_day(7, 59)) == []
    assert [r.id for r in journal.due_reminders(_day(8, 0))] == [morning.id]
    assert [r.id for r in journal.due_reminders(_day(12))] == [morning.id]  # still owed
    journal.mark_reminder_fired(morning.id, _day(12))
    assert journal.due_reminders(_day(12, 1)) == []
    assert [r.id for r in journal.due_reminders(_day(21, 30))] == [evening.id]
    journal.mark_reminder_fired(evening.id, _day(21, 30))
    assert journal.due_reminders(_day(23, 59)) == []
    # the next day both come round again
    assert [r.id for r in journal.due_reminders(_day(22, days=1))] == [morning.id, evening.id]


def test_a_reminder_set_after_its_time_waits_for_tomorrow(journal: Journal) -> None:
    late = journal.add_reminder("look", "08:00", created_at=NOW)  # set at 15:30
    assert journal.due_reminders(_day(16)) == []
    assert [r.id for r in journal.due_reminders(_day(8, days=1))] == [late.id]


def test_weekday_patterns_and_disabled_reminders(journal: Journal) -> None:
    before = NOW - timedelta(days=10)
    weekdays = journal.add_reminder("look", "08:00", created_at=before, days="weekdays")
    weekends = journal.add_reminder("look", "09:00", created_at=before, days="weekends")
    off = journal.add_reminder("look", "07:00", created_at=before)
    journal.set_reminder_enabled(off.id, False)
    tuesday, saturday = _day(10), _day(10, days=4)
    assert saturday.strftime("%a") == "Sat"
    assert [r.id for r in journal.due_reminders(tuesday)] == [weekdays.id]
    assert [r.id for r in journal.due_reminders(saturday)] == [weekends.id]


def test_a_fire_in_another_time_zone_counts_by_local_day(journal: Journal) -> None:
    r = journal.add_reminder("look", "08:00", created_at=NOW - timedelta(days=1))
    # fired at 23:30 New York on the 23rd = 04:30 UTC on the 24th: not today's firing
    journal.mark_reminder_fired(r.id, _day(23, 30, days=-1).astimezone(tz=None))
    assert [x.id for x in journal.due_reminders(_day(8))] == [r.id]


def test_export_import_round_trip_is_lossless(tmp_path) -> None:
    first = Journal(tmp_path / "a" / "journal.sqlite3")
    first.import_records(months_export())
    rain = first.search(["rain"])[0]
    first.set_tags(rain.id, ["smell", "nature"], "inferred")
    first.set_tags(rain.id, ["comfort"], "person")
    first.add_reminder("custom", "07:30", created_at=NOW, message="a minute in the sun")
    first.remove_reminder(1)  # a gap in reminder ids survives too
    exported = first.export_records()
    assert exported["version"] == 2
    second = Journal(tmp_path / "b" / "journal.sqlite3")
    assert second.import_records(json.loads(json.dumps(exported))) == (len(GLIMMERS), 0, 0)
    assert second.export_records() == exported
    assert second.tags(rain.id) == ["comfort"]
    assert second.calm_ratings() == first.calm_ratings()
    # importing again adds nothing, not even a second note or reminder
    assert second.import_records(exported) == (0, len(GLIMMERS), 0)
    assert second.export_records() == exported
    first.close()
    second.close()


def test_reflections_follow_their_glimmer_to_its_new_id(journal: Journal) -> None:
    journal.add("already here", created_at=NOW - timedelta(days=200))  # takes id 1
    records = months_export()
    journal.import_records(records)
    [note] = journal.reflections()
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
    assert journal.import_records(v1) == (1, 0, 0)
    assert journal.calm_ratings() == [] and journal.reminders() == []
    assert [g.text for g in journal.untagged()] == ["tea"]


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
    assert journal.count() == 0 and journal.reminders() == [] and journal.reflections() == []


def test_the_new_tables_reach_a_schema_1_journal(tmp_path) -> None:
    import sqlite3

    from voiceglimmer.store.journal import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
        db.execute(
            "INSERT INTO glimmers (created_at, created_ts, text, source) VALUES (?, ?, ?, ?)",
            (NOW.isoformat(), NOW.timestamp(), "old tea", "typed"),
        )
    with Journal(path) as j:
        assert j.schema_version == len(MIGRATIONS)
        [g] = list(j)
        j.set_tags(g.id, ["taste"], "inferred")
        j.add_reflection(date(2026, 11, 24), "fine", created_at=NOW)
        assert j.tags(g.id) == ["taste"]
