"""The real ``voiceglimmer`` command, run as a person or a script would run it."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

from tests.conftest import NOW

SESSION = """\
I noticed a glimmer: the warm sunlight on my face
yes
Glimmer: the first sip of tea
no
I have a glimmer
a stranger's genuine smile
no
what were today's glimmers?
any glimmers about tea
how many glimmers this week
a quick savor
remind me of a glimmer
"""


def test_a_whole_typed_session_as_json(cli) -> None:
    run = cli("chat", "--json", input=SESSION)
    assert run.returncode == 0, run.stderr
    events = run.json_lines()
    assert len(events) == len(SESSION.splitlines())
    for e in events:
        assert {"text", "plugin", "intent", "slots", "reply", "glimmer_id"} <= e.keys()
    logged, savored = events[0], events[1]
    assert (logged["plugin"], logged["intent"]) == ("log", "log_glimmer")
    assert logged["slots"] == {"glimmer": "the warm sunlight on my face"}
    assert logged["glimmer_id"] == 1
    assert (savored["plugin"], savored["intent"], savored["glimmer_id"]) == (
        "savor-guide",
        "savor",
        1,
    )
    # pauses live in segments; the reply text is words only
    assert sum(s["pause"] for s in savored["segments"]) > 30
    assert "pause" not in savored["reply"]
    assert (
        events[5]["reply"]
        == "Saved: a stranger's genuine smile. Would you like to savor it for a moment?"
    )
    assert events[7]["reply"].startswith(
        "Today you noted 3 glimmers: the warm sunlight on your face;"
    )
    assert events[8]["data"]["count"] == 1
    assert events[9]["reply"] == "This week you noted 3 glimmers."
    assert events[10]["data"]["length"] == "quick"


def test_plain_chat_prints_replies_only(cli) -> None:
    run = cli("chat", input="glimmer: a cat in the window\nno\n")
    assert run.stdout.splitlines() == [
        "Saved: a cat in the window. Would you like to savor it for a moment?",
        "Okay. It's kept safe for whenever you want it.",
    ]


def test_no_command_means_chat(cli) -> None:
    assert cli(input="how many glimmers\n").stdout.startswith("Your journal is empty so far.")


def test_log_and_backfill_then_list_by_day(cli) -> None:
    assert cli("log", "fresh", "snow").returncode == 0
    back = cli("log", "the smell of pine", "--at", "yesterday 9am")
    assert back.stdout.startswith("Saved #2 (2026-11-23 09:00): the smell of pine")
    listed = cli("list", "--day", "yesterday").stdout.splitlines()
    assert listed == ["2026-11-23 09:00  #2    the smell of pine"]
    assert cli("list").stdout.splitlines() == [
        "2026-11-23 09:00  #2    the smell of pine",
        "2026-11-24 15:30  #1    fresh snow",
    ]


def test_list_orders_oldest_first_and_searches(cli) -> None:
    cli("log", "fresh snow")
    cli("log", "the smell of pine", "--at", "2026-11-20T08:15")
    lines = cli("list").stdout.splitlines()
    assert lines[0].startswith("2026-11-20 08:15") and lines[1].startswith("2026-11-24 15:30")
    assert cli("list", "--search", "pines").stdout.count("\n") == 1
    assert cli("list", "--day", "last month").stdout == "No glimmers found.\n"


def test_bad_when_is_a_clear_error_and_saves_nothing(cli) -> None:
    bad = cli("log", "a rainbow", "--at", "the 45th")
    assert bad.returncode == 1
    assert "the 45th" in bad.stderr and "Traceback" not in bad.stderr
    future = cli("log", "a rainbow", "--at", "tomorrow 9am")
    assert future.returncode == 1 and "Traceback" not in future.stderr
    assert cli("list").stdout == "No glimmers saved yet.\n"
    assert cli("list", "--day", "someday soon").returncode == 2


def test_export_formats(cli, tmp_path) -> None:
    cli("log", 'tea with "Ana", at last', "--at", "2026-11-20T08:15")
    cli("log", "birdsong")
    md = cli("export").stdout
    assert md.startswith("# My glimmers")
    assert '## Friday 20 November 2026\n\n- 08:15 tea with "Ana", at last' in md
    csv_text = cli("export", "--format", "csv").stdout.splitlines()
    assert csv_text[0] == "id,created_at,text,source,savor_count,savored_seconds"
    assert csv_text[1] == '1,2026-11-20T08:15:00-05:00,"tea with ""Ana"", at last",typed,0,0.0'
    out = tmp_path / "mine.json"
    run = cli("export", "--format", "json", "--output", str(out))
    assert run.returncode == 0 and "Wrote 2 glimmers" in run.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [g["text"] for g in json.loads(out.read_text())["glimmers"]] == [
        'tea with "Ana", at last',
        "birdsong",
    ]


def test_export_then_import_into_an_empty_home_is_the_same_journal(cli, tmp_path) -> None:
    session = "glimmer: sun on the snow\nyes\nglimmer: 茶の香り 🍵\nno\n"
    cli("chat", input=session)
    cli("log", "an old one", "--at", "2025-02-01T07:00:00+01:00")
    cli(
        "chat",
        input="glimmer: a typo I will undo\nno\nundo that\nyes\n",
        now=NOW + timedelta(hours=1),
    )
    exported = tmp_path / "journal.json"
    cli("export", "--format", "json", "--output", str(exported))
    original = json.loads(exported.read_text())
    assert any(g["savorings"] for g in original["glimmers"])

    other_home = tmp_path / "other"
    env = {"VOICEGLIMMER_HOME": str(other_home)}
    first = cli("import", str(exported), env=env)
    assert first.stdout.strip() == f"Imported 3 glimmers from {exported}."
    again = cli("export", "--format", "json", env=env)
    assert json.loads(again.stdout) == original
    # importing twice does not double anything
    assert "3 were already in the journal" in cli("import", str(exported), env=env).stdout
    assert json.loads(cli("export", "--format", "json", env=env).stdout) == original


def test_import_errors_are_clear(cli, tmp_path) -> None:
    missing = cli("import", str(tmp_path / "nope.json"))
    assert missing.returncode == 1 and "no file" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    run = cli("import", str(broken))
    assert run.returncode == 1 and "nothing was imported" in run.stderr
    assert "Traceback" not in run.stderr


def test_version_and_help(cli) -> None:
    assert cli("--version").stdout.startswith("voiceglimmer ")
    helptext = cli("--help").stdout
    for command in ("chat", "log", "list", "export", "import", "plugins"):
        assert command in helptext
