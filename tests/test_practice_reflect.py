"""The evening reflection: today's glimmers, the one that stayed, a note."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from voiceglimmer_plugins.reflect import FIND_ONE, NOTE_OFFER, match_answer, reflections

from tests.conftest import NOW
from tests.practice_data import glimmer_id, months  # noqa: F401 (fixture)
from voiceglimmer.app import open_assistant
from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.events import Glimmer


def _g(n: int, text: str) -> Glimmer:
    return Glimmer(id=n, created_at=NOW, text=text, source="typed")


TODAY = [_g(1, "steam rising from my cup"), _g(2, "the first sip of tea"), _g(3, "Ana's laugh")]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("the first one", 1),
        ("the second", 2),
        ("the last one", 3),
        ("number two", 2),
        ("3", 3),
        ("the tea, definitely", 2),
        ("the first sip", 2),  # words beat position
        ("I think it was Ana laughing", 3),
        ("the steam", 1),
        ("the walk home", None),
        ("the fifth one", None),
        ("", None),
    ],
)
def test_which_glimmer_an_answer_means(answer: str, expected: int | None) -> None:
    found = match_answer(answer, TODAY)
    assert (found.id if found else None) == expected


def _log(a: Assistant, text: str, hours_ago: float = 0) -> int:
    g = a.journal.add(text, created_at=NOW - timedelta(hours=hours_ago))
    return g.id


def test_a_reflection_with_glimmers_today(assistant: Assistant) -> None:
    _log(assistant, "rain on the roof", hours_ago=30)  # yesterday: not read
    _log(assistant, "steam rising from my cup", hours_ago=6)
    tea = _log(assistant, "the first sip of tea", hours_ago=3)
    opening = assistant.handle("let's reflect").reply
    assert opening.text == (
        "Today you noted 2 glimmers: steam rising from your cup; and the first sip of tea. "
        "Which one stayed with you most?"
    )
    chosen = assistant.handle("the tea").reply
    assert chosen.text == (
        "The first sip of tea: a good one to keep close. Would you like to savor it again?"
    )
    savored = assistant.handle("yes")
    assert savored.reply.glimmer_id == tea
    assert "the first sip of tea" in savored.reply.text
    assert savored.reply.segments[-1].text == NOTE_OFFER  # the note comes at the very end
    assert assistant.journal.savorings(tea)
    done = assistant.handle("Slow start, but a kind evening.").reply
    assert done.text == "Added to today's notes."
    [note] = reflections(assistant.journal, NOW.date())
    assert (note.note, note.glimmer_id) == ("Slow start, but a kind evening.", tea)


def test_declining_the_savor_still_offers_the_note_and_skip_skips(assistant: Assistant) -> None:
    _log(assistant, "steam rising from my cup", hours_ago=6)
    _log(assistant, "the first sip of tea", hours_ago=3)
    assistant.handle("evening reflection")
    assistant.handle("the second one")
    assert assistant.handle("no").reply.text == f"Okay. {NOTE_OFFER}"
    assert assistant.handle("skip").reply.text == "Okay. Thank you for looking back on today."
    assert reflections(assistant.journal, NOW.date()) == []


def test_one_glimmer_today_goes_straight_to_the_offer(assistant: Assistant) -> None:
    _log(assistant, "the first sip of tea", hours_ago=3)
    reply = assistant.handle("how was my day?").reply
    assert reply.text == (
        "Today you noted one glimmer: the first sip of tea. Would you like to savor it again?"
    )


def test_none_or_all_of_them(assistant: Assistant) -> None:
    _log(assistant, "steam rising from my cup", hours_ago=6)
    _log(assistant, "the first sip of tea", hours_ago=3)
    assistant.handle("let's reflect")
    assert assistant.handle("all of them").reply.text.startswith("All of them, then.")
    assistant.handle("no")
    assistant.handle("let's reflect")
    none = assistant.handle("none really").reply
    assert none.text.startswith("That's okay.") and none.text.endswith(NOTE_OFFER)


def test_an_answer_that_is_a_new_glimmer_can_be_saved(assistant: Assistant) -> None:
    _log(assistant, "steam rising from my cup", hours_ago=6)
    _log(assistant, "the first sip of tea", hours_ago=3)
    assistant.handle("let's reflect")
    offer = assistant.handle("actually, the walk home in the cold").reply
    assert offer.text == (
        "That isn't one of today's glimmers. Shall I save the walk home in the cold as one?"
    )
    saved = assistant.handle("yes").reply
    assert saved.text.startswith("Saved: the walk home in the cold.")
    assert assistant.journal.latest(1)[0].text == "the walk home in the cold"


def test_no_glimmers_today_gently_helps_find_one(assistant: Assistant) -> None:
    _log(assistant, "rain on the roof", hours_ago=30)
    ask = assistant.handle("let's reflect").reply
    assert ask.text == f"You haven't noted a glimmer today yet. {FIND_ONE}"
    assert ask.follow_up.kind == "text"
    found = assistant.handle("I guess the warm bus on the way home").reply
    assert found.text == (
        "Saved: the warm bus on the way home. Glad you found it. "
        "Would you like to savor it for a moment?"
    )
    latest = assistant.journal.latest(1)[0]
    assert latest.text == "the warm bus on the way home" and latest.created_at == NOW
    assert assistant.handle("no").reply.text == f"Okay. {NOTE_OFFER}"
    assistant.handle("no")
    assert reflections(assistant.journal) == []


def test_no_glimmers_and_nothing_comes(assistant: Assistant) -> None:
    assistant.handle("how was my day")
    reply = assistant.handle("not really, no").reply
    assert reply.text.startswith("That's okay. Some days are like that")
    assert assistant.journal.count() == 0
    assistant.handle("it rained all day")  # the note, in the person's words
    assert [r.note for r in reflections(assistant.journal, NOW.date())] == ["it rained all day"]


def test_a_yes_asks_what_it_was(assistant: Assistant) -> None:
    assistant.handle("let's reflect")
    assert assistant.handle("yes").reply.text == "What was it?"
    assistant.handle("my neighbour's dog")
    assert assistant.journal.latest(1)[0].text == "my neighbour's dog"


def test_add_a_note_directly(assistant: Assistant) -> None:
    reply = assistant.handle("add a note to today: slept badly, but the evening was soft").reply
    assert reply.text == "Added to today's notes." and reply.data["day"] == "2026-11-24"
    asked = assistant.handle("add a note").reply
    assert asked.follow_up.kind == "text"
    assistant.handle("tea with Ana")
    notes = [r.note for r in reflections(assistant.journal, NOW.date())]
    assert notes == ["slept badly, but the evening was soft", "tea with Ana"]


def test_with_the_calm_check_the_note_waits_for_the_ratings(home: Path, clock) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("calm_check = true\n")
    a = open_assistant(home=home, clock=clock, seed=3)
    _log(a, "the first sip of tea", hours_ago=3)
    a.handle("let's reflect")
    assert "settled" in a.handle("yes").reply.text
    script = a.handle("two").reply
    assert script.segments[-1].text.startswith("From one to five")
    after = a.handle("four").reply
    assert after.text.startswith("Noted: from 2 to 4.") and after.text.endswith(NOTE_OFFER)
    a.handle("a good day")
    assert len(reflections(a.journal, NOW.date())) == 1
    a.journal.close()


def test_through_the_cli_on_a_months_journal(cli, months) -> None:  # noqa: F811
    lines = ["let's reflect", "the tea", "yes", "A quiet day with a kind neighbour."]
    events = cli("chat", "--json", input="\n".join(lines) + "\n").json_lines()
    assert events[0]["reply"] == (
        "Today you noted 2 glimmers: the first sip of tea; and a neighbour waved at you. "
        "Which one stayed with you most?"
    )
    assert events[1]["glimmer_id"] == glimmer_id("the first sip of tea")
    assert events[2]["segments"][-1]["text"] == NOTE_OFFER
    assert sum(s["pause"] for s in events[2]["segments"]) > 30  # a real savoring
    assert events[3]["reply"] == "Added to today's notes."
    export = cli("export", "--format", "json").stdout
    assert "A quiet day with a kind neighbour." in export
    assert "the pine smell stayed with me" in export  # yesterday's note, imported
