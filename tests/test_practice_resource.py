"""Resourcing: in a hard moment, one glimmer that helped before, and a short savor."""

from __future__ import annotations

from tests.practice_data import glimmer_id, months, months_export  # noqa: F401 (fixture)
from voiceglimmer.dialog.assistant import Assistant


def test_the_best_rated_glimmer_is_offered_then_savored(assistant: Assistant) -> None:
    assistant.journal.import_records(months_export())
    rain = glimmer_id("the smell of rain on warm pavement")  # rated 2 -> 5
    offer = assistant.handle("I'm stressed").reply
    assert offer.text == (
        "I'm sorry it's hard right now. Here's a glimmer that helped you before, from "
        "Thursday the 6th of August: the smell of rain on warm pavement. "
        "Would you like a quick savor of it?"
    )
    assert offer.glimmer_id == rain and offer.data["why"] == "helped"
    savored = assistant.handle("yes please")
    assert (savored.plugin, savored.intent) == ("savor-guide", "savor")
    assert savored.reply.glimmer_id == rain and savored.reply.data["length"] == "quick"
    assert len(assistant.journal.savorings(rain)) == 2


def test_asking_again_offers_another_that_helped(assistant: Assistant) -> None:
    assistant.journal.import_records(months_export())
    first = assistant.handle("I feel overwhelmed").reply.glimmer_id
    assistant.handle("no")
    second = assistant.handle("I'm anxious").reply.glimmer_id
    assert first == glimmer_id("the smell of rain on warm pavement")
    assert second == glimmer_id("steam rising from my cup")  # 3 -> 4, then 4
    # "a friend's kind message" stayed at 3: not offered as one that helped
    assistant.handle("no")
    third = assistant.handle("I'm triggered").reply.glimmer_id
    assert third == first


def test_without_ratings_any_glimmer_will_do(assistant: Assistant) -> None:
    assistant.handle("glimmer: the smell of rain")
    assistant.handle("no")
    reply = assistant.handle("I need a glimmer").reply
    assert reply.text == (
        "Here's one of your glimmers, from today: the smell of rain. "
        "Would you like a quick savor of it?"
    )
    assert reply.data == {"why": "random"}
    assert assistant.handle("no").reply.text.startswith("Okay. It's here whenever you want it.")


def test_an_empty_journal_gets_a_breath_and_a_gentle_look_around(assistant: Assistant) -> None:
    reply = assistant.handle("I'm so stressed right now").reply
    assert reply.text.startswith("I'm sorry it's hard right now. Let's take one slow breath")
    assert reply.follow_up is None
    breaths = [s for s in reply.segments if s.pace == "slow"]
    assert breaths[1].pause > breaths[0].pause >= 3  # out longer than in, real silence


def test_crisis_words_get_help_not_a_glimmer(assistant: Assistant) -> None:
    assistant.handle("glimmer: the smell of rain")
    handled = assistant.handle("I'm so stressed I want to hurt myself")
    assert handled.plugin == "crisis" and handled.reply.glimmer_id is None


def test_through_the_cli_on_a_months_journal(cli, months) -> None:  # noqa: F811
    lines = ["I'm having a rough day", "yes", "I need a glimmer", "no"]
    events = cli("chat", "--json", input="\n".join(lines) + "\n").json_lines()
    assert events[0]["plugin"] == "resourcing" and events[0]["intent"] == "steady"
    assert "the smell of rain on warm pavement" in events[0]["reply"]
    assert events[1]["plugin"] == "savor-guide" and events[1]["slots"] == {"length": "quick"}
    assert 30 <= events[1]["data"]["seconds"] <= 60  # a quick savor, with real pauses
    assert events[2]["intent"] == "need_glimmer"
    assert "steam rising from your cup" in events[2]["reply"]
