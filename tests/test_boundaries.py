"""The journal's boundaries: a bad value can't get in, and one already in can't brick it.

Issue 11: a year-1 ``log --at`` time or imported value made stats and the report
fail and list and Markdown export overflow; an imported infinite savoring broke
stats and exported ``Infinity``; year 9999 was imported; ``"text": 123``, an id
of 10^23 and deeply nested JSON gave tracebacks; "an hour ago" just after a
daylight-saving change was an hour off. Each is tried here as the person met
it: the real ``voiceglimmer`` command in a child process, on a real journal.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import NOW, ZONE, Run
from voiceglimmer.store.journal import Journal

Cli = Callable[..., Run]


def texts(home: Path) -> list[str]:
    """What the journal at ``home`` holds, oldest first."""
    path = home / "journal.sqlite3"
    if not path.exists():
        return []
    with Journal(path) as journal:
        return [g.text for g in journal]


def refused(run: Run, *words: str) -> str:
    """The one-line refusal of a run that failed cleanly, checked for ``words``."""
    assert run.returncode != 0, run.stdout
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr
    return run.stderr


def ok(run: Run) -> Run:
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    return run


# -- log --at -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "zone", "words"),
    [
        ("0001-01-01T00:00", ZONE, "before 1900"),
        ("1899-12-31T12:00", ZONE, "before 1900"),
        ("0001-01-01T00:00", "Europe/Berlin", "too far back"),
        ("9999-01-01T00:00", ZONE, "in the future"),
        ("9999-12-31T23:59-12:00", ZONE, "in the future"),
    ],
)
def test_log_at_a_time_outside_the_journals_range_saves_nothing(
    cli: Cli, home: Path, at: str, zone: str, words: str
) -> None:
    message = refused(cli("log", "tea", "--at", at, env={"TZ": zone}), words)
    assert at in message  # the person sees which value was refused
    assert texts(home) == []
    assert ok(cli("stats")).stdout  # and the journal still works


# -- import -------------------------------------------------------------------------------

GOOD = {"id": 1, "created_at": "2026-11-20T09:00:00-05:00", "text": "warm tea", "source": "typed"}
SAVORED = {
    "id": 2,
    "created_at": "2026-11-21T09:00:00-05:00",
    "text": "rain on the window",
    "savorings": [{"started_at": "2026-11-21T09:05:00-05:00", "seconds": 60.0, "length": "quick"}],
}


def _with(change: Callable[[dict], None]) -> dict:
    second = json.loads(json.dumps(SAVORED))
    change(second)
    return second


def _savoring(**values: object) -> Callable[[dict], None]:
    return lambda g: g["savorings"][0].update(values)


#: (the second glimmer as changed, words the refusal must hold). The first is fine.
BAD_GLIMMERS = {
    "year-1 time": (_with(lambda g: g.update(created_at="0001-01-01T00:00:00+00:00")),
                    ['"created_at"', "before 1900"]),
    "year-9999 time": (_with(lambda g: g.update(created_at="9999-01-01T00:00:00-05:00")),
                       ['"created_at"', "in the future"]),
    "year-1 savoring": (_with(_savoring(started_at="0001-01-01T00:00:00+05:00")),
                        ['"started_at"', "before 1900"]),
    "infinite seconds": (_with(_savoring(seconds=float("inf"))),
                         ['"seconds"', "not a finite number"]),
    "week-long savoring": (_with(_savoring(seconds=7 * 86400)), ['"seconds"', "a day"]),
    "seconds as text": (_with(_savoring(seconds="60")), ['"seconds"', "not a number"]),
    "text as a number": (_with(lambda g: g.update(text=123)), ['"text"', "a number, not text"]),
    "id of 10^23": (_with(lambda g: g.update(id=10**23)),
                    ['"id"', "100000000000000000000000", "9223372036854775807"]),
    "id as a list": (_with(lambda g: g.update(id=[1])), ['"id"', "not a whole number"]),
}  # fmt: skip


@pytest.mark.parametrize(("second", "words"), BAD_GLIMMERS.values(), ids=BAD_GLIMMERS.keys())
def test_an_import_with_one_bad_value_names_it_and_writes_nothing(
    cli: Cli, home: Path, tmp_path: Path, second: dict, words: list[str]
) -> None:
    ok(cli("log", "already here"))
    file = tmp_path / "export.json"
    export = {"format": "voiceglimmer-journal", "version": 2, "glimmers": [GOOD, second]}
    # json writes an infinite float as Infinity; write the 1e999 instead
    file.write_text(json.dumps(export).replace("Infinity", "1e999"))
    refused(cli("import", str(file)), "Glimmer number 2 in the file", *words)
    assert texts(home) == ["already here"]  # all or nothing, as before


def test_an_import_file_that_is_nested_or_numbered_absurdly_is_refused_cleanly(
    cli: Cli, home: Path, tmp_path: Path
) -> None:
    file = tmp_path / "deep.json"
    file.write_text("[" * 200_000 + "]" * 200_000)
    refused(cli("import", str(file)), "nested too deeply", "nothing was imported")
    file.write_text('{"format": "voiceglimmer-journal", "glimmers": [' + "9" * 5000 + "]}")
    refused(cli("import", str(file)), "not a readable JSON export", "nothing was imported")
    reflection = {"day": "2026-11-20", "created_at": GOOD["created_at"], "note": "calm day",
                  "glimmer_id": 10**23}  # fmt: skip
    file.write_text(
        json.dumps({"format": "voiceglimmer-journal", "glimmers": [GOOD],
                    "reflections": [reflection]})
    )  # fmt: skip
    refused(cli("import", str(file)), "Reflection number 1 in the file", '"glimmer_id"')
    assert texts(home) == []


# -- a journal that already holds such values -----------------------------------------------


def test_stats_report_list_and_export_survive_values_an_older_version_let_in(
    cli: Cli, home: Path, tmp_path: Path
) -> None:
    """Berlin is east of UTC: a year-1 time there has no UTC moment at all."""
    berlin = {"TZ": "Europe/Berlin"}
    ok(cli("log", "the first sip of tea", env=berlin))
    with sqlite3.connect(home / "journal.sqlite3") as db:  # as an older version wrote them
        year_one = datetime(1, 1, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
        db.execute(
            "INSERT INTO glimmers (created_at, created_ts, text, source) VALUES (?, ?, ?, ?)",
            (year_one.isoformat(), year_one.timestamp(), "an ancient glimmer", "typed"),
        )
        for started, seconds in ((NOW.isoformat(), float("inf")), (NOW.isoformat(), 90.0),
                                 (year_one.isoformat(), 30.0)):  # fmt: skip
            rated = db.execute(
                "INSERT INTO savorings (glimmer_id, started_at, seconds, length) "
                "VALUES (1, ?, ?, 'quick')",
                (started, seconds),
            ).lastrowid
            db.execute(
                "INSERT INTO savor_guide_ratings (savoring_id, calm_before, calm_after) "
                "VALUES (?, 2, 4)",
                (rated,),
            )
    stats = json.loads(ok(cli("stats", "--json", env=berlin)).stdout)
    assert stats["totals"]["glimmers"] == 1  # the year-1 one is left out of the figures
    assert stats["totals"]["savorings"] == 2 and stats["totals"]["savored_seconds"] == 90.0
    assert "one glimmer" in ok(cli("stats", env=berlin)).stdout
    page = tmp_path / "report.html"
    ok(cli("report", "-o", str(page), env=berlin))
    assert "first sip of tea" in page.read_text() and "inf" not in page.read_text().lower()
    listing = ok(cli("list", env=berlin)).stdout
    assert "an ancient glimmer" in listing and "the first sip of tea" in listing
    assert "an ancient glimmer" in ok(cli("export", "--format", "md", env=berlin)).stdout
    assert ok(cli("export", "--format", "csv", env=berlin)).stdout.count("\n") == 3

    def no_constants(name: str) -> None:
        raise AssertionError(f"the export holds {name}, which is not JSON")

    exported = json.loads(
        ok(cli("export", "--format", "json", env=berlin)).stdout, parse_constant=no_constants
    )
    tea = next(g for g in exported["glimmers"] if g["text"] == "the first sip of tea")
    assert sorted(s["seconds"] for s in tea["savorings"]) == [0.0, 30.0, 90.0]


# -- "an hour ago" across a daylight-saving change -------------------------------------------


def test_an_hour_ago_just_after_the_clocks_change_is_an_hour_of_real_time(
    cli: Cli, home: Path
) -> None:
    new_york = ZoneInfo(ZONE)
    # 03:30 EDT, half an hour after 02:00 EST became 03:00 EDT: an hour ago was 01:30 EST
    spring = datetime(2026, 3, 8, 3, 30, tzinfo=new_york)
    assert "(2026-03-08 01:30)" in ok(cli("log", "tea", "--at", "an hour ago", now=spring)).stdout
    # 01:30 EST, half an hour after the clocks went back: an hour ago was 01:30 EDT
    autumn = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=new_york)
    ok(cli("log", "rain", "--at", "an hour ago", now=autumn))
    exported = json.loads(ok(cli("export", "--format", "json")).stdout)
    when = {g["text"]: g["created_at"] for g in exported["glimmers"]}
    assert when == {"tea": "2026-03-08T01:30:00-05:00", "rain": "2026-11-01T01:30:00-04:00"}
