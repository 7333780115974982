"""Forgetting: one glimmer by number or by words, or everything, with no trace left.

"No trace" is checked the hard way: the raw bytes of every file under the home
folder (journal, -wal, -shm, backups, journals set aside by restore) are
searched for a word that appears nowhere else, in its full and stemmed forms.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW
from tests.test_backup import backups_in, in_terminal
from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.store import backup

MARK = "Quokkaberry"
# What FTS5's porter stemmer keeps of it ("quokkaberri"), and the word itself.
NEEDLE = b"quokkaberr"


def traces(home: Path) -> list[Path]:
    """Every file under ``home`` whose bytes hold the marker, in any case."""
    return [p for p in sorted(home.rglob("*")) if p.is_file() and NEEDLE in p.read_bytes().lower()]


def rows(home: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(home / "journal.sqlite3")) as db:
        return db.execute(sql).fetchall()


def save_and_savor(cli, text: str) -> None:
    run = cli("chat", "--json", input=f"I noticed a glimmer: {text}\nyes\n")
    assert run.returncode == 0, run.stderr
    assert [line["intent"] for line in run.json_lines()] == ["log_glimmer", "savor"]


# -- forget --all ------------------------------------------------------------------


def test_forget_all_leaves_no_trace_anywhere_under_home(cli, home: Path) -> None:
    save_and_savor(cli, f"a {MARK} pie cooling on the sill")
    cli("log", f"{MARK} jam with my sister")
    later = NOW + timedelta(days=1)
    cli("log", "warm tea", now=later)  # a daily backup (of two glimmers)
    cli("backup", now=later)
    assert cli("restore", "--latest", "--yes", input="", now=later).returncode == 0  # set aside
    left_by_a_killed_copy(home / "journal.sqlite3", home / ".journal.sqlite3.restoring")
    assert len(traces(home)) >= 5  # journal, two backups, the set-aside journal, a partial
    assert rows(home, "SELECT count(*) FROM savorings") == [(1,)]
    assert rows(home, "SELECT count(*) FROM plugin_state") != [(0,)]

    run = cli("forget", "--all", "--yes", input="")
    assert run.returncode == 0, run.stderr
    assert "Forgot 3 glimmers" in run.stdout and "Your journal is empty" in run.stdout

    assert traces(home) == []
    assert backups_in(home) == [] and not list(home.glob("*before-restore*"))
    for table in ("glimmers", "savorings", "plugin_state"):
        assert rows(home, f"SELECT count(*) FROM {table}") == [(0,)]
    assert rows(home, f"SELECT rowid FROM glimmers_fts WHERE glimmers_fts MATCH '{MARK}'") == []
    assert "No glimmers saved yet" in cli("list").stdout
    assert cli("log", "a fresh start").returncode == 0  # the journal still works


def test_forget_all_needs_confirmation_and_a_pipe_is_not_one(cli, home: Path) -> None:
    cli("log", f"{MARK} jam")
    cli("backup")
    run = cli("forget", "--all", input="forget everything\n")
    assert run.returncode == 2
    assert "needs your confirmation" in run.stderr and "--yes" in run.stderr
    assert "Nothing was changed" in run.stderr
    assert rows(home, "SELECT count(*) FROM glimmers") == [(1,)]
    assert len(backups_in(home)) == 1


def test_forget_all_at_a_terminal_wants_the_exact_words(cli, home: Path) -> None:
    cli("log", f"{MARK} jam")
    cli("backup")
    code, seen = in_terminal(home, "forget", "--all", answer="yes")
    assert code == 1 and "Nothing was changed" in seen
    assert 'Type "forget everything"' in seen and "can't be undone" in seen
    assert "all one glimmer" in seen and "It also deletes the one backup" in seen
    assert rows(home, "SELECT count(*) FROM glimmers") == [(1,)]

    code, seen = in_terminal(home, "forget", "--all", answer="forget everything")
    assert code == 0 and "Forgot one glimmer" in seen
    assert traces(home) == []


# -- forget ID ---------------------------------------------------------------------


def test_forget_one_leaves_no_trace_in_the_journal_or_later_backups(cli, home: Path) -> None:
    cli("log", "warm tea")
    save_and_savor(cli, f"a {MARK} pie cooling on the sill")  # glimmer #2, savored
    cli("log", "rain on the window")
    cli("backup")  # an earlier backup holding it
    assert rows(home, "SELECT count(*) FROM savorings WHERE glimmer_id = 2") == [(1,)]

    run = cli("forget", "2", "--yes", input="")
    assert run.returncode == 0, run.stderr
    assert "Forgot glimmer #2" in run.stdout and "removed from one backup" in run.stdout

    assert traces(home) == []  # journal, -wal, -shm and the earlier backup
    assert cli("backup").returncode == 0
    assert traces(home) == []  # and a backup made afterwards
    assert [t for (t,) in rows(home, "SELECT text FROM glimmers ORDER BY id")] == [
        "warm tea",
        "rain on the window",
    ]
    assert rows(home, "SELECT count(*) FROM savorings WHERE glimmer_id = 2") == [(0,)]
    assert "warm tea" in cli("list", "--search", "tea").stdout


def left_by_a_killed_copy(journal: Path, partial: Path) -> None:
    """What a backup or restore killed mid-copy leaves: a copy under its temporary name."""
    with closing(sqlite3.connect(journal)) as source, closing(sqlite3.connect(partial)) as copy:
        source.backup(copy)


def test_forget_one_also_scrubs_set_aside_and_partial_copies(cli, home: Path) -> None:
    cli("log", "warm tea")
    cli("log", f"a {MARK} pie cooling on the sill")  # glimmer #2
    cli("backup")
    cli("log", "rain on the window")
    assert cli("restore", "--latest", "--yes", input="").returncode == 0
    (aside,) = home.glob("journal.sqlite3.before-restore-*")  # holds all three
    partials = [
        home / "backups" / ".journal-20261124T203000Z.sqlite3.partial",
        home / ".journal.sqlite3.restoring",
    ]
    for partial in partials:
        left_by_a_killed_copy(home / "journal.sqlite3", partial)
    assert {aside, *partials} <= set(traces(home))

    run = cli("forget", "2", "--yes", input="")
    assert run.returncode == 0, run.stderr
    assert "removed from one backup and one set-aside journal" in run.stdout

    assert traces(home) == []
    assert not any(p.exists() for p in partials)
    with closing(sqlite3.connect(aside)) as db:  # the set-aside journal keeps the rest
        kept = [t for (t,) in db.execute("SELECT text FROM glimmers ORDER BY id")]
    assert kept == ["warm tea", "rain on the window"]
    assert cli("restore", str(aside), "--yes", input="").returncode == 0
    assert "rain on the window" in cli("list").stdout


def test_forget_one_needs_confirmation_and_a_real_number(cli, home: Path) -> None:
    cli("log", f"{MARK} jam")
    run = cli("forget", "1", input="yes\n")
    assert run.returncode == 2 and "--yes" in run.stderr
    assert rows(home, "SELECT count(*) FROM glimmers") == [(1,)]

    code, seen = in_terminal(home, "forget", "1", answer="no")
    assert code == 1 and f"Forget #1 \u201c{MARK} jam\u201d?" in seen
    assert rows(home, "SELECT count(*) FROM glimmers") == [(1,)]

    missing = cli("forget", "99", "--yes", input="")
    assert missing.returncode == 1 and "There is no glimmer #99" in missing.stderr
    nothing = cli("forget", input="")
    assert nothing.returncode == 2 and "forget --all" in nothing.stderr


# -- forgetting by words -------------------------------------------------------------

LOG, FORGET = "log", "forget_glimmer"


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("forget my glimmer about the beach", FORGET, {"topic": "the beach"}),
        ("Delete the glimmer about tea.", FORGET, {"topic": "tea"}),
        ("delete my glimmer about my grandmother", FORGET, {"topic": "my grandmother"}),
        ("remove the glimmer with the dog", FORGET, {"topic": "the dog"}),
        ("erase the glimmer mentioning rain", FORGET, {"topic": "rain"}),
        ("forget the glimmer that mentions the sea", FORGET, {"topic": "the sea"}),
        ("can you delete my glimmer about work", FORGET, {"topic": "work"}),
        # neighbours keep their meaning
        ("delete the last glimmer", "undo_last", {}),
        ("any glimmers about tea", "search_glimmers", {"topic": "tea"}),
        ("glimmers about music", "search_glimmers", {"topic": "music"}),
        ("save a glimmer about the smell of rain", "log_glimmer", {"glimmer": "the smell of rain"}),
    ],
)
def test_forget_by_words_routing(assistant: Assistant, text: str, intent: str, slots: dict) -> None:
    match = assistant.registry.match(text)
    assert match is not None
    assert (match.intent.name, match.slots) == (intent, slots)
    if intent == FORGET:
        assert match.intent.plugin == LOG


def test_forget_by_words_asks_and_forgets_only_after_yes(assistant: Assistant) -> None:
    older = assistant.save("the first sip of tea", when=NOW - timedelta(days=2))
    newest = assistant.save("tea with my sister", when=NOW - timedelta(days=1))
    asked = assistant.handle("forget my glimmer about tea")
    assert asked.intent == FORGET and assistant.awaiting is not None
    text = asked.reply.text
    assert "The newest of 2 glimmers about tea is tea with your sister" in text
    assert "one other matches" in text
    assert text.endswith("Forget your glimmer tea with your sister? It can't be undone.")

    assert assistant.handle("no").reply.text == "Okay, I kept it."
    assert assistant.journal.get(newest.id) is not None

    assistant.handle("delete the glimmer about tea")
    assert assistant.handle("yes please").reply.text == "It's gone."
    assert assistant.journal.get(newest.id) is None
    assert assistant.journal.get(older.id) is not None

    only = assistant.handle("forget my glimmer about tea").reply.text
    assert only == "Forget your glimmer the first sip of tea? It can't be undone."
    assistant.handle("cancel")
    assert assistant.journal.count() == 1


def test_forget_by_words_when_nothing_matches(assistant: Assistant) -> None:
    assistant.save("warm tea")
    reply = assistant.handle("forget my glimmer about zebras").reply
    assert reply.text == "I didn't find a glimmer about zebras, so nothing was changed."
    assert assistant.awaiting is None
    reply = assistant.handle("delete the glimmer about the").reply  # only stopwords
    assert "didn't find" in reply.text and assistant.journal.count() == 1


def test_forget_by_words_leaves_no_trace_in_backups_made_afterwards(
    assistant: Assistant, home: Path
) -> None:
    folder = home / "backups"
    assistant.save("warm tea")
    marked = assistant.save(f"a {MARK} pie cooling on the sill")
    assistant.journal.record_savoring(marked.id, started_at=NOW, seconds=50, length="quick")
    assistant.save("rain on the window")
    before = backup.make_backup(assistant.journal, folder, NOW - timedelta(days=1))
    assert NEEDLE in before.path.read_bytes().lower()

    assistant.handle(f"forget the glimmer about {MARK.lower()}")
    assert assistant.handle("yes").reply.text == "It's gone."
    # while the journal is still open: the file, its log and the index
    assert traces(home) == []
    after = backup.make_backup(assistant.journal, folder, NOW)
    assert NEEDLE not in after.path.read_bytes().lower()
    assert traces(home) == []
    assert assistant.journal.savorings(marked.id) == []
    assert [g.text for g in assistant.journal.search(["tea"])] == ["warm tea"]


def test_scrub_reports_a_log_it_could_not_truncate(assistant: Assistant) -> None:
    assistant.save(f"{MARK} jam")
    assert backup.scrub(assistant.journal) is True
    with closing(sqlite3.connect(assistant.journal.path)) as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM glimmers").fetchone()  # holds a read snapshot
        assistant.save("more")
        assert backup.scrub(assistant.journal) is False


def test_forget_also_deletes_the_cards_and_report_that_quote_it(cli, home) -> None:
    cli("chat", input="glimmer: the smell of <rain> & wet stone\nyes\n")  # saved and savored
    cli("log", "warm bread")
    assert cli("chat", input="share my last glimmer\n").returncode == 0  # a card of the bread
    cards = home / "shared"
    (cards / "rain.md").write_text("# A glimmer\n\nthe smell of <rain> & wet stone\n")
    assert cli("report").returncode == 0
    report = home / "glimmer-report.html"
    assert report.is_file() and "wet stone" in report.read_text()
    done = cli("forget", "1", "--yes")
    assert done.returncode == 0, done.stderr
    assert "share card or report" in done.stdout
    assert not report.exists() and not (cards / "rain.md").exists()
    # the card of the other glimmer stays
    assert [p.read_text().count("warm bread") for p in cards.glob("*.md")] == [1]
