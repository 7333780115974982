"""The insight plugin: streaks and themes, asked for in words, through the real chat."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW
from tests.test_report import SAMPLE, expected
from voiceglimmer.dialog.assistant import Assistant

STREAK_QUESTIONS = [
    "what's my streak",
    "What is my streak?",
    "how long is my streak",
    "how many days in a row",
    "How many days in a row have I noticed a glimmer?",
    "what's my current streak",
    "what's my longest streak",
    "how's my streak going",
]
THEME_QUESTIONS = [
    "what kind of glimmers do I have most",
    "What kinds of glimmers do I have the most?",
    "what are my glimmers usually about",
    "what are my glimmers mostly about?",
    "what sort of glimmers do I notice most",
    "what are my top themes",
]


@pytest.mark.parametrize("text", STREAK_QUESTIONS)
def test_streak_questions_route_to_insight(assistant: Assistant, text: str) -> None:
    match = assistant.registry.match(text)
    assert match is not None and (match.intent.plugin, match.intent.name) == ("insight", "streak")


@pytest.mark.parametrize("text", THEME_QUESTIONS)
def test_theme_questions_route_to_insight(assistant: Assistant, text: str) -> None:
    match = assistant.registry.match(text)
    assert match is not None
    assert (match.intent.plugin, match.intent.name) == ("insight", "top_themes")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("how many glimmers this week", "count_glimmers"),
        ("any glimmers about tea?", "search_glimmers"),
        ("what were yesterday's glimmers?", "recall_span"),
        ("how many glimmers do I have in total", "count_glimmers"),
    ],
)
def test_recall_questions_stay_with_recall(assistant: Assistant, text: str, intent: str) -> None:
    match = assistant.registry.match(text)
    assert match is not None and (match.intent.plugin, match.intent.name) == ("recall", intent)


def ask(cli, *questions: str, now=NOW) -> list[dict]:
    run = cli("chat", "--json", input="".join(q + "\n" for q in questions), now=now)
    assert run.returncode == 0, run.stderr
    return run.json_lines()


@pytest.fixture(scope="module")
def records() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def sample(cli) -> None:
    assert cli("import", str(SAMPLE)).returncode == 0


def test_streak_in_words(cli, sample, records: dict) -> None:
    want = expected(records)
    events = ask(cli, "what's my streak", "how many days in a row", "how long is my streak")
    assert {(e["plugin"], e["intent"]) for e in events} == {("insight", "streak")}
    reply = events[0]["reply"]
    assert reply == (
        f"You've noted a glimmer {want.current} days in a row, counting today. "
        f"Your longest streak is {want.longest} days."
    )
    assert events[0]["data"]["current"] == want.current
    assert events[0]["data"]["longest"] == want.longest
    assert events[1]["reply"] == events[2]["reply"] == reply


def test_streak_alive_until_tonight_then_lapsed(cli, sample, records: dict) -> None:
    tomorrow = NOW + timedelta(days=1)
    want = expected(records, now=tomorrow)
    [event] = ask(cli, "what's my streak", now=tomorrow)
    assert event["reply"] == (
        f"You've noted a glimmer {want.current} days in a row, up to yesterday. "
        f"One today keeps it going. Your longest streak is {want.longest} days."
    )
    [event] = ask(cli, "what's my streak", now=NOW + timedelta(days=3))
    assert event["reply"] == (
        "No streak is running just now; your last glimmer was on Tuesday. "
        f"Your longest run so far is {want.longest} days. "
        "One small glimmer today starts a new one."
    )


def test_a_new_longest_streak_is_named_as_such(cli) -> None:
    for days_ago in range(3):
        assert cli("log", "warm tea", "--at", f"{days_ago} days ago").returncode == 0
    [event] = ask(cli, "what's my streak")
    assert event["reply"] == (
        "You've noted a glimmer 3 days in a row, counting today. That's your longest streak so far."
    )


def test_themes_in_words_with_counts(cli, sample, records: dict) -> None:
    top = expected(records).top_themes
    events = ask(cli, "what kind of glimmers do I have most", "what are my glimmers usually about")
    assert {(e["plugin"], e["intent"]) for e in events} == {("insight", "top_themes")}
    (first, n1), (second, n2), (third, n3) = top[:3]
    reply = events[0]["reply"]
    assert reply.startswith(
        f"Your glimmers are most often about {first}: {n1} of them. "
        f"Then come {second} with {n2} and {third} with {n3}."
    )
    assert "other themes too." in reply
    assert [(t["tag"], t["count"]) for t in events[0]["data"]["themes"]][:6] == top
    assert events[1]["reply"] == reply


def test_no_tags_yet_is_answered_gently(cli, home: Path, records: dict) -> None:
    bare = {**records, "glimmers": [{**g, "tags": []} for g in records["glimmers"][:20]]}
    source = home.parent / "bare.json"
    source.write_text(json.dumps(bare))
    assert cli("import", str(source)).returncode == 0
    [event] = ask(cli, "what are my glimmers usually about")
    assert event["plugin"] == "insight"
    assert event["reply"].startswith("Your glimmers don't have any themes yet")
    assert event["data"]["themes"] == []


def test_an_empty_journal(cli) -> None:
    streak, themes = ask(cli, "what's my streak", "what kind of glimmers do I have most")
    assert streak["reply"].startswith("There's no streak yet")
    assert themes["reply"].startswith("Your journal is empty so far")
