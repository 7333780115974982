"""Backups, restore and damage: real SQLite files, the real CLI in a child process.

The clock moves through VOICEGLIMMER_NOW (the ``cli`` fixture's ``now=``), so
"once a day" is tested across real days without waiting for them.
"""

from __future__ import annotations

import json
import os
import pty
import random
import select
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW, ZONE
from voiceglimmer.app import App
from voiceglimmer.store import backup
from voiceglimmer.store import journal as journal_module
from voiceglimmer.store.home import Home
from voiceglimmer.store.journal import MIGRATIONS, Journal, JournalError


def backups_in(home: Path) -> list[Path]:
    return [b.path for b in backup.list_backups(home / "backups")]  # newest first


def fill(
    home: Path, count: int, *, text: str = "a long quiet walk by the river number {n}"
) -> None:
    """A journal with many glimmers, written directly (hundreds of CLI runs would be slow)."""
    with Journal(home / "journal.sqlite3") as j:
        for n in range(count):
            j.add(text.format(n=n), created_at=NOW - timedelta(minutes=count - n))


def damage(path: Path, kind: str = "pages") -> None:
    """Overwrite a few whole pages in the middle of the file with garbage, or
    scatter a few garbage bytes past the first two pages (the header stays
    good either way, so the file still opens)."""
    data = bytearray(path.read_bytes())
    page, rng = 4096, random.Random(3 if kind == "pages" else 5)
    if kind == "pages":
        middle = len(data) // page // 2
        for n in range(middle - 1, middle + 2):
            data[n * page : (n + 1) * page] = rng.randbytes(page)
    else:
        for _ in range(6):
            at = rng.randrange(2 * page, len(data) - 100)
            data[at : at + 16] = rng.randbytes(16)
    path.write_bytes(bytes(data))


def glimmer_count(path: Path) -> int:
    # read-write, so a journal in WAL mode leaves no -wal or -shm behind when closed
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT count(*) FROM glimmers").fetchone()[0]


def user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def export(cli) -> list[dict]:
    run = cli("export", "--format", "json", input="")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["glimmers"]


def in_terminal(home: Path, *args: str, answer: str) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin/stdout and type ``answer``."""
    env = {**os.environ, "VOICEGLIMMER_HOME": str(home), "VOICEGLIMMER_NOW": NOW.isoformat()}
    env["TZ"] = ZONE
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "voiceglimmer", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
    )
    os.close(child)
    seen, typed = b"", False
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            proc.kill()
            raise AssertionError(f"no prompt; got {seen!r}")
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not typed and seen.rstrip().endswith(b":"):
            os.write(main, answer.encode() + b"\n")
            typed = True
    os.close(main)
    return proc.wait(timeout=30), seen.decode(errors="replace")


# -- automatic backups -----------------------------------------------------------


def test_the_first_open_each_day_backs_up_privately(cli, home: Path) -> None:
    assert cli("log", "the smell of rain").returncode == 0
    assert backups_in(home) == []  # the journal was empty when it opened: nothing to keep
    assert cli("list", now=NOW + timedelta(minutes=5)).returncode == 0
    first = backups_in(home)
    assert len(first) == 1 and glimmer_count(first[0]) == 1
    assert first[0].name == "journal-20261124T203500Z.sqlite3"  # sortable UTC time
    assert stat.S_IMODE((home / "backups").stat().st_mode) == 0o700
    assert stat.S_IMODE(first[0].stat().st_mode) == 0o600

    cli("log", "warm tea", now=NOW + timedelta(hours=20))
    assert backups_in(home) == first  # less than a day since the last one
    cli("list", now=NOW + timedelta(days=1, minutes=6))
    assert len(backups_in(home)) == 2
    assert glimmer_count(backups_in(home)[0]) == 2
    # Backups are single files: no -wal or -shm left beside them.
    assert sorted(p.name for p in (home / "backups").iterdir()) == sorted(
        p.name for p in backups_in(home)
    )


def test_rotation_keeps_the_newest_seven(home: Path) -> None:
    fill(home, 3)
    for day in range(10):
        moment = NOW + timedelta(days=day)
        app = App(home=Home(home, home), clock=lambda moment=moment: moment, entry_points=False)
        app.journal.add(f"day {day}", created_at=moment)
        app.close()
    kept = backups_in(home)
    assert len(kept) == backup.KEEP
    assert [b.made for b in backup.list_backups(home / "backups")] == [
        (NOW + timedelta(days=d)).astimezone(UTC) for d in range(9, 2, -1)
    ]
    # each copy is the journal as it was that morning
    assert glimmer_count(kept[0]) == 3 + 9


def test_a_backup_that_fails_never_stops_the_journal(cli, home: Path) -> None:
    fill(home, 2)
    home.joinpath("backups").write_text("in the way")  # the folder can't be made
    run = cli("log", "birdsong at dawn")
    assert run.returncode == 0, run.stderr
    assert "Saved #3" in run.stdout
    warnings = [line for line in run.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "backup" in warnings[0] and "works as usual" in warnings[0]


def test_a_full_disk_leaves_no_half_backup_and_warns_once(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(home, 2)

    def disk_full(self: Journal, target: Path) -> None:
        target.write_bytes(b"SQLite format 3\0" + b"\0" * 100)  # half written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Journal, "backup_to", disk_full)
    app = App(home=Home(home, home), clock=lambda: NOW, entry_points=False)
    assert app.journal.count() == 2
    app.journal.add("still works", created_at=NOW)
    app.close()
    err = capsys.readouterr().err
    assert err.count("warning") == 1 and "No space left" in err
    assert list((home / "backups").iterdir()) == []


@pytest.mark.skipif(len(MIGRATIONS) < 2, reason="needs a schema with more than one version")
def test_an_old_journal_is_backed_up_before_it_is_upgraded(cli, home: Path) -> None:
    home.mkdir(mode=0o700)
    with closing(sqlite3.connect(home / "journal.sqlite3")) as db, db:
        db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
        db.execute(
            "INSERT INTO glimmers (created_at, created_ts, text, source) VALUES (?, ?, ?, ?)",
            (NOW.isoformat(), NOW.timestamp(), "an old glimmer", "typed"),
        )
    run = cli("list")
    assert run.returncode == 0 and "an old glimmer" in run.stdout
    (saved,) = backups_in(home)
    assert user_version(saved) == 1 and glimmer_count(saved) == 1
    assert user_version(home / "journal.sqlite3") == len(MIGRATIONS)


def test_a_migration_is_preceded_by_a_backup_even_after_todays(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(home, 2)
    app = App(home=Home(home, home), clock=lambda: NOW, entry_points=False)
    app.journal  # noqa: B018 - today's backup
    app.close()
    assert len(backups_in(home)) == 1
    later = (*MIGRATIONS, "CREATE TABLE a_later_step (x INTEGER);")
    monkeypatch.setattr(journal_module, "MIGRATIONS", later)
    soon = NOW + timedelta(hours=1)
    app = App(home=Home(home, home), clock=lambda: soon, entry_points=False)
    assert app.journal.schema_version == len(later)
    app.close()
    newest = backups_in(home)[0]
    assert len(backups_in(home)) == 2
    assert user_version(newest) == len(MIGRATIONS)


# -- backup and restore commands -------------------------------------------------


def test_backup_now_to_the_rotation_or_a_file_and_list(cli, home: Path, tmp_path: Path) -> None:
    cli("log", "the smell of rain")
    cli("log", "warm tea")  # today's automatic backup, of one glimmer
    assert len(backups_in(home)) == 1
    run = cli("backup")
    assert run.returncode == 0, run.stderr
    assert "Backed up 2 glimmers to" in run.stdout
    assert len(backups_in(home)) == 2  # the command's own, not also an automatic one
    assert str(backups_in(home)[0]) in run.stdout

    target = tmp_path / "elsewhere" / "mine.sqlite3"
    run = cli("backup", "--to", str(target))
    assert run.returncode == 0 and glimmer_count(target) == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    again = cli("backup", "--to", str(target))
    assert again.returncode == 1 and "already exists" in again.stderr

    cli("log", "a third", now=NOW + timedelta(days=1))  # opens the journal: a daily backup
    listing = cli("backup", "--list", now=NOW + timedelta(days=1)).stdout.splitlines()
    assert "newest first" in listing[0]
    assert "2026-11-25 15:30" in listing[1] and "2 glimmers" in listing[1]
    assert "2026-11-24 15:30" in listing[2] and "2 glimmers" in listing[2]
    assert "one glimmer" in listing[3] and "KB" in listing[3]


def test_list_with_no_backups_says_how_they_come(cli) -> None:
    run = cli("backup", "--list")
    assert run.returncode == 0 and "No backups yet" in run.stdout


def test_restore_round_trip_keeps_the_replaced_journal(cli, home: Path) -> None:
    cli("log", "the smell of rain")
    cli("log", "warm tea")
    made = cli("backup").stdout.split(" to ")[1].strip()
    before = export(cli)
    cli("log", "a robin on the fence after the backup")
    assert len(export(cli)) == 3

    run = cli("restore", made, "--yes", input="")
    assert run.returncode == 0, run.stderr
    assert "Restored 2 glimmers" in run.stdout
    assert export(cli) == before
    (aside,) = home.glob("journal.sqlite3.before-restore-*")
    assert str(aside) in run.stdout
    assert glimmer_count(aside) == 3  # nothing is lost
    assert stat.S_IMODE(aside.stat().st_mode) == 0o600

    # by name alone, as `backup --list` shows it
    run = cli("restore", Path(made).name, "--yes", input="")
    assert run.returncode == 0 and len(list(home.glob("journal.sqlite3.before-restore-*"))) == 2


def test_restore_latest_and_no_stale_log(cli, home: Path) -> None:
    cli("log", "the smell of rain")
    cli("backup")
    journal, log = home / "journal.sqlite3", home / "journal.sqlite3-wal"
    with Journal(journal) as j:
        j.add("only in the log", created_at=NOW)
        crashed = journal.read_bytes(), log.read_bytes()
    journal.write_bytes(crashed[0])  # as a crash leaves them: a glimmer not yet folded in
    log.write_bytes(crashed[1])
    run = cli("restore", "--latest", "--yes", input="")
    assert run.returncode == 0, run.stderr
    assert [g["text"] for g in export(cli)] == ["the smell of rain"]
    (aside,) = home.glob("journal.sqlite3.before-restore-*[!l]")
    assert glimmer_count(aside) == 2  # the log went aside with it


def test_restore_asks_first_and_refuses_from_a_pipe(cli, home: Path) -> None:
    cli("log", "the smell of rain")
    cli("backup")
    cli("log", "warm tea")
    run = cli("restore", "--latest", input="yes\n")
    assert run.returncode == 2
    assert "add --yes" in run.stderr and "Nothing was changed" in run.stderr
    assert len(export(cli)) == 2 and not list(home.glob("*before-restore*"))

    code, seen = in_terminal(home, "restore", "--latest", answer="no")
    assert code == 1 and "Type yes to replace your journal with" in seen
    assert "Nothing was changed" in seen and len(export(cli)) == 2

    code, seen = in_terminal(home, "restore", "--latest", answer="yes")
    assert code == 0 and "Restored one glimmer" in seen
    assert len(export(cli)) == 1


def test_restore_refuses_a_damaged_backup(cli, home: Path, tmp_path: Path) -> None:
    fill(home, 300)
    cli("backup")
    bad = tmp_path / "bad.sqlite3"
    cli("backup", "--to", str(bad))
    damage(bad)
    before = (home / "journal.sqlite3").read_bytes()
    run = cli("restore", str(bad), "--yes", input="")
    assert run.returncode == 1
    assert "integrity check" in run.stderr and "has not been changed" in run.stderr
    assert (home / "journal.sqlite3").read_bytes() == before

    # --latest passes over a damaged newest backup to the newest good one
    good = backups_in(home)[0]
    newer = good.with_name("journal-20261124T235959Z.sqlite3")
    newer.write_bytes(bad.read_bytes())
    run = cli("restore", "--latest", "--yes", input="")
    assert run.returncode == 0 and str(good) in run.stdout


# -- a damaged journal at start --------------------------------------------------


@pytest.mark.parametrize("kind", ["pages", "cells"])
def test_a_damaged_journal_is_reported_with_the_way_back(cli, home: Path, kind: str) -> None:
    fill(home, 300)
    cli("list")  # today's backup
    (good,) = backups_in(home)
    journal = home / "journal.sqlite3"
    damage(journal, kind)
    damaged = journal.read_bytes()
    found = sorted(p.name for p in home.iterdir())  # the journal, its lock file, backups
    assert user_version(journal) == len(MIGRATIONS)  # it opens: only a check finds it

    run = cli("log", "a glimmer that must not be written into a damaged file", input="")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "is damaged" in run.stderr and "It has not been changed" in run.stderr
    assert str(good) in run.stderr and "300 glimmers" in run.stderr
    assert "voiceglimmer restore --latest" in run.stderr
    assert journal.read_bytes() == damaged
    assert sorted(p.name for p in home.iterdir()) == found
    assert len(backups_in(home)) == 1  # damage is never copied over the good backups

    run = cli("restore", "--latest", "--yes", input="")
    assert run.returncode == 0, run.stderr
    assert len(export(cli)) == 300
    (aside,) = home.glob("journal.sqlite3.before-restore-*")
    assert aside.read_bytes() == damaged


def test_a_file_that_is_not_a_database_names_the_backup_too(cli, home: Path) -> None:
    cli("log", "the smell of rain")
    cli("backup")
    garbage = b"this is not a database" * 500
    (home / "journal.sqlite3").write_bytes(garbage)
    run = cli("list")
    assert run.returncode == 1
    assert "voiceglimmer restore --latest" in run.stderr and "one glimmer" in run.stderr
    assert (home / "journal.sqlite3").read_bytes() == garbage


def test_damage_without_a_backup_says_how_to_rescue(cli, home: Path) -> None:
    fill(home, 300)
    damage(home / "journal.sqlite3")
    run = cli("list")
    assert run.returncode == 1
    assert "no good backup" in run.stderr and ".recover" in run.stderr


def test_open_journal_raises_journal_error_for_damage(home: Path) -> None:
    fill(home, 300)
    damage(home / "journal.sqlite3")
    with pytest.raises(JournalError, match=r"(?s)is damaged.*no good backup"):
        backup.open_journal(Home(home, home), NOW)


# -- restore takes only a journal, says where the old one went, and waits its turn ---


def foreign(path: Path, kind: str) -> Path:
    """A sound SQLite file that voiceglimmer did not make (or a newer one did)."""
    with closing(sqlite3.connect(path)) as db:
        if kind == "another program's":  # has a glimmers table, nothing else of ours
            db.execute("CREATE TABLE glimmers (id INTEGER PRIMARY KEY, text TEXT)")
            db.execute("INSERT INTO glimmers (text) VALUES ('not ours')")
        else:
            db.executescript("".join(MIGRATIONS))
            if kind == "no schema version":
                db.execute("PRAGMA user_version = 0")
            elif kind == "missing a table":
                db.execute("DROP TABLE savorings")
                db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
            elif kind == "missing a column":
                db.execute("ALTER TABLE savorings DROP COLUMN length")
                db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
            elif kind == "newer":
                db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
        db.commit()
    return path


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("another program's", "is not a voiceglimmer journal"),
        ("no schema version", "no voiceglimmer schema version"),
        ("missing a table", "has no table savorings"),
        ("missing a column", "table savorings has no column length"),
        ("newer", "written by a newer voiceglimmer"),
    ],
)
def test_restore_accepts_only_a_voiceglimmer_journal(
    cli, home: Path, tmp_path: Path, kind: str, said: str
) -> None:
    cli("log", "the smell of rain")
    cli("backup")
    before = export(cli)
    source = foreign(tmp_path / "other.sqlite3", kind)
    run = cli("restore", str(source), "--yes", input="")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert said in run.stderr and "Your journal has not been changed" in run.stderr
    assert not list(home.glob("*before-restore*")) and export(cli) == before

    # --latest passes over such a file in the backups folder to the newest journal
    (good,) = backups_in(home)
    newer = good.with_name("journal-20261124T235959Z.sqlite3")
    newer.write_bytes(source.read_bytes())
    run = cli("restore", "--latest", "--yes", input="")
    assert run.returncode == 0 and str(good) in run.stdout
    assert [g["text"] for g in export(cli)] == ["the smell of rain"]


def test_an_older_journal_restores_and_is_upgraded(cli, home: Path, tmp_path: Path) -> None:
    old = tmp_path / "v1.sqlite3"
    with closing(sqlite3.connect(old)) as db:
        db.executescript(MIGRATIONS[0])
        db.execute(
            "INSERT INTO glimmers (created_at, created_ts, text, source) "
            "VALUES ('2026-11-20T08:15:00-05:00', 1795698900, 'an old glimmer', 'typed')"
        )
        db.execute("PRAGMA user_version = 1")
        db.commit()
    cli("log", "today's")
    run = cli("restore", str(old), "--yes", input="")
    assert run.returncode == 0, run.stderr
    assert [g["text"] for g in export(cli)] == ["an old glimmer"]
    assert user_version(home / "journal.sqlite3") == len(MIGRATIONS)


def test_a_restore_that_fails_after_setting_aside_names_the_set_aside_journal(
    cli, home: Path
) -> None:
    cli("log", "the smell of rain")
    cli("backup")
    cli("log", "warm tea")
    journal = home / "journal.sqlite3"
    # The swap itself fails: an immutable journal can be copied aside but not replaced.
    if subprocess.run(["chattr", "+i", str(journal)], capture_output=True).returncode:
        pytest.skip("chattr +i is not possible here")
    try:
        run = cli("restore", "--latest", "--yes", input="")
    finally:
        subprocess.run(["chattr", "-i", str(journal)], check=True)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    (aside,) = home.glob("journal.sqlite3.before-restore-*")
    assert f"Your previous journal is kept, unchanged, at {aside}" in run.stderr
    assert glimmer_count(aside) == 2
    assert not list(home.glob(".journal.sqlite3.restoring*"))  # no staged copy left
    # the way back it names works
    back = cli("restore", str(aside), "--yes", input="")
    assert back.returncode == 0, back.stderr
    assert [g["text"] for g in export(cli)] == ["the smell of rain", "warm tea"]


def _say(chat: subprocess.Popen, line: str) -> str:
    """Type one line into a running chat and read its one-line answer."""
    chat.stdin.write(line + "\n")
    chat.stdin.flush()
    ready, _, _ = select.select([chat.stdout], [], [], 60)
    assert ready, "the chat did not answer"
    return chat.stdout.readline()


def test_restore_and_forget_all_wait_for_an_open_chat_to_close(cli, home: Path) -> None:
    cli("log", "the smell of rain")
    cli("backup")
    env = {**os.environ, "VOICEGLIMMER_HOME": str(home), "VOICEGLIMMER_NOW": NOW.isoformat()}
    env["TZ"] = ZONE
    chat = subprocess.Popen(
        [sys.executable, "-m", "voiceglimmer", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert _say(chat, "glimmer: warm tea").startswith("Saved")  # the chat has it open
        for args in (["restore", "--latest", "--yes"], ["forget", "--all", "--yes"]):
            run = cli(*args, input="")
            assert run.returncode == 1 and "Traceback" not in run.stderr
            assert "Another voiceglimmer has your journal open" in run.stderr
            assert "Close it first" in run.stderr and "Nothing was changed" in run.stderr
        assert not list(home.glob("*before-restore*"))
        # what the chat saves afterwards lands in the journal, not in a set-aside copy
        assert _say(chat, "glimmer: a heron at dusk").startswith("Saved")
    finally:
        chat.stdin.close()
        chat.wait(timeout=60)
    assert chat.returncode == 0, chat.stderr.read()
    assert [g["text"] for g in export(cli)] == ["the smell of rain", "warm tea", "a heron at dusk"]
    run = cli("restore", "--latest", "--yes", input="")  # closed: now it may
    assert run.returncode == 0, run.stderr
    assert [g["text"] for g in export(cli)] == ["the smell of rain"]
