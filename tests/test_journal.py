"""The journal as a real SQLite file: durability, privacy, search, migrations."""

from __future__ import annotations

import sqlite3
import stat
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import NOW
from voiceglimmer.store.journal import MIGRATIONS, Journal, JournalError


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "data" / "journal.sqlite3")
    yield j
    j.close()


def test_new_journal_is_private(journal: Journal) -> None:
    journal.add("a", created_at=NOW)
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    for sidecar in journal.path.parent.glob("journal.sqlite3-*"):
        assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600


def test_a_saved_glimmer_is_visible_to_another_connection_at_once(journal: Journal) -> None:
    g = journal.add("the smell of rain", created_at=NOW, source="voice")
    with sqlite3.connect(journal.path) as other:
        row = other.execute("SELECT text, source, created_at FROM glimmers WHERE id = ?", (g.id,))
        assert row.fetchone() == ("the smell of rain", "voice", NOW.isoformat())


def test_times_keep_their_original_offset(journal: Journal) -> None:
    tokyo = datetime(2026, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=9)))
    g = journal.add("cherry blossom", created_at=tokyo)
    assert journal.get(g.id).created_at == tokyo
    assert journal.get(g.id).created_at.utcoffset() == timedelta(hours=9)
    with pytest.raises(ValueError, match="time zone"):
        journal.add("naive", created_at=datetime(2026, 5, 1))


def test_empty_text_and_unknown_source_are_refused(journal: Journal) -> None:
    with pytest.raises(ValueError):
        journal.add("   ", created_at=NOW)
    with pytest.raises(ValueError):
        journal.add("x", created_at=NOW, source="telepathy")  # type: ignore[arg-type]
    assert journal.count() == 0


def test_between_is_half_open_and_ordered(journal: Journal) -> None:
    for h in (1, 3, 2):
        journal.add(f"at {h}", created_at=NOW.replace(hour=h))
    got = journal.between(NOW.replace(hour=1), NOW.replace(hour=3))
    assert [g.text for g in got] == ["at 1", "at 2"]
    assert journal.count_between(NOW.replace(hour=0), NOW.replace(hour=4)) == 3


@pytest.mark.parametrize(
    "text",
    [
        "Robert'); DROP TABLE glimmers;--",
        'tea "with" {glimmer} and * NEAR( OR AND',
        "{{ template }} $1 %s \\n",
        "茶の香り 🍵",
    ],
)
def test_metacharacters_are_just_text(journal: Journal, text: str) -> None:
    g = journal.add(text, created_at=NOW)
    assert journal.get(g.id).text == text
    assert journal.search(text.split())  # searching with the same words finds it
    assert journal.count() == 1


def test_search_stems_and_falls_back_to_any_word(journal: Journal) -> None:
    journal.add("walking by the sea", created_at=NOW - timedelta(days=2))
    journal.add("a walk in the woods", created_at=NOW)
    assert [g.text for g in journal.search(["walks"])] == [
        "a walk in the woods",
        "walking by the sea",
    ]
    assert [g.text for g in journal.search(["sea", "mountain"])] == ["walking by the sea"]
    assert journal.search(["volcano"]) == []


def test_deleting_removes_it_from_the_search_index(journal: Journal) -> None:
    g = journal.add("secret lagoon", created_at=NOW)
    journal.record_savoring(g.id, started_at=NOW, seconds=40, length="quick")
    assert journal.delete(g.id)
    assert journal.search(["lagoon"]) == []
    with sqlite3.connect(journal.path) as other:
        assert other.execute("SELECT count(*) FROM savorings").fetchone()[0] == 0
        hits = other.execute("SELECT count(*) FROM glimmers_fts WHERE glimmers_fts MATCH 'lagoon'")
        assert hits.fetchone()[0] == 0


def test_savorings_are_counted_on_the_glimmer(journal: Journal) -> None:
    g = journal.add("birdsong", created_at=NOW)
    journal.record_savoring(g.id, started_at=NOW, seconds=45, length="quick")
    journal.record_savoring(g.id, started_at=NOW, seconds=20.5, length="standard", completed=False)
    got = journal.get(g.id)
    assert (got.savor_count, got.savored_seconds) == (2, 65.5)
    assert [s.completed for s in journal.savorings(g.id)] == [True, False]


def test_plugin_state_round_trips(journal: Journal) -> None:
    assert journal.state_get("p", "k", {"d": 1}) == {"d": 1}
    journal.state_set("p", "k", {"arrive": 2})
    journal.state_set("p", "k", {"arrive": 3})
    assert journal.state_get("p", "k") == {"arrive": 3}


def test_schema_is_migrated_from_nothing_and_reopened(tmp_path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        assert j.schema_version == len(MIGRATIONS)
        j.add("kept", created_at=NOW)
    with Journal(path) as j:  # reopening runs no migration twice
        assert [g.text for g in j] == ["kept"]


def test_a_journal_from_a_newer_version_is_not_touched(tmp_path) -> None:
    path = tmp_path / "j.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    with pytest.raises(JournalError, match="newer voiceglimmer"):
        Journal(path)


def test_a_corrupt_file_is_reported_and_left_as_it_was(tmp_path) -> None:
    path = tmp_path / "j.sqlite3"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.raises(JournalError, match="can't be read") as err:
        Journal(path)
    assert "backup" in str(err.value) and str(path) in str(err.value)
    assert path.read_bytes() == garbage


def test_two_writers_at_once_lose_nothing(tmp_path) -> None:
    path = tmp_path / "j.sqlite3"
    a, b = Journal(path), Journal(path)
    for i in range(50):
        a.add(f"a{i}", created_at=NOW)
        b.add(f"b{i}", created_at=NOW)
    assert a.count() == b.count() == 100
    a.close()
    b.close()


def test_import_refuses_foreign_files_without_adding_anything(journal: Journal) -> None:
    with pytest.raises(JournalError, match="not a voiceglimmer export"):
        journal.import_records({"glimmers": []})
    bad = {
        "format": "voiceglimmer-journal",
        "glimmers": [
            {"text": "fine", "created_at": NOW.isoformat()},
            {"text": "broken", "created_at": "last tuesday-ish"},
        ],
    }
    with pytest.raises(JournalError, match="number 2"):
        journal.import_records(bad)
    assert journal.count() == 0


def test_no_caller_can_store_a_value_that_breaks_stats(journal: Journal) -> None:
    """A plugin writes through Journal, not `log --at`: the range holds there too."""
    good = journal.add("tea", created_at=NOW)
    for moment in (datetime(1, 1, 1, tzinfo=NOW.tzinfo), datetime(9999, 1, 1, tzinfo=NOW.tzinfo)):
        with pytest.raises(ValueError, match="glimmer times run from 1 January 1900"):
            journal.add("out of range", created_at=moment)
        with pytest.raises(ValueError, match="glimmer times run from"):
            journal.record_savoring(good.id, started_at=moment, seconds=5, length="quick")
    for seconds in (float("inf"), float("nan"), -1, 86_401):
        with pytest.raises(ValueError, match="seconds"):
            journal.record_savoring(good.id, started_at=NOW, seconds=seconds, length="quick")
        with pytest.raises(ValueError, match="seconds"):
            journal.finish_savoring(1, seconds=seconds, completed=False)
    assert [g.text for g in journal] == ["tea"] and journal.savorings(good.id) == []
