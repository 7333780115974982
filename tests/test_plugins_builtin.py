"""What the built-in log, savor-guide and recall plugins do for a person."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from tests.conftest import NOW
from voiceglimmer.dialog.assistant import Assistant


def seed(assistant: Assistant, *entries: tuple[float, str]) -> None:
    """Glimmers noticed ``days`` before NOW (fractions allowed)."""
    for days, text in entries:
        assistant.journal.add(text, created_at=NOW - timedelta(days=days), source="typed")


# -- log ---------------------------------------------------------------------


def test_log_saves_before_confirming_and_keeps_own_words(assistant: Assistant) -> None:
    handled = assistant.handle("I noticed a glimmer: Mum's laugh, in Paris!")
    saved = assistant.journal.get(handled.reply.glimmer_id)
    assert saved.text == "Mum's laugh, in Paris!"
    assert saved.source == "typed"
    assert saved.created_at == NOW
    assert "Mum's laugh, in Paris!" in handled.reply.text


def test_voice_utterances_are_saved_as_voice(assistant: Assistant) -> None:
    from voiceglimmer.events import Utterance

    handled = assistant.handle(Utterance("glimmer the kettle singing", source="voice"))
    assert assistant.journal.get(handled.reply.glimmer_id).source == "voice"


def test_the_echo_is_in_the_assistants_voice(assistant: Assistant) -> None:
    reply = assistant.handle("glimmer: I felt my shoulders drop").reply.text
    assert "Saved: you felt your shoulders drop." in reply


def test_glimmer_saved_hook_fires_with_the_committed_glimmer(home, clock) -> None:
    from voiceglimmer import hookimpl
    from voiceglimmer.app import open_assistant

    seen = []

    class Listener:
        @hookimpl
        def glimmer_saved(self, glimmer, journal):
            # the glimmer is already readable from a separate connection
            from voiceglimmer.store.journal import Journal

            other = Journal(journal.path)
            seen.append((glimmer.text, other.get(glimmer.id) is not None))
            other.close()

    a = open_assistant(home=home, clock=clock, extra_plugins=[("listener", Listener())])
    a.handle("glimmer: a warm scarf")
    assert seen == [("a warm scarf", True)]


# -- savor-guide ------------------------------------------------------------


def test_savor_it_uses_the_last_glimmer_and_records_the_savoring(assistant: Assistant) -> None:
    seed(assistant, (1, "the first sip of coffee"), (0.1, "steam rising from my cup"))
    handled = assistant.handle("savor it")
    assert handled.reply.glimmer_id == assistant.journal.latest(1)[0].id
    assert "steam rising from your cup" in handled.reply.text
    savorings = assistant.journal.savorings(handled.reply.glimmer_id)
    assert len(savorings) == 1 and savorings[0].length == "standard"
    assert savorings[0].seconds == pytest.approx(handled.reply.duration_estimate)


@pytest.mark.parametrize(("utterance", "low", "high"), [("a quick savor", 30, 75),
                                                         ("a long savor", 95, 150),
                                                         ("savor it", 95, 150)])  # fmt: skip
def test_script_lengths(assistant: Assistant, utterance: str, low: float, high: float) -> None:
    seed(assistant, (0, "birdsong at dawn"))
    reply = assistant.handle(utterance).reply
    assert low <= reply.duration_estimate <= high
    # mostly slow speech and real silences of whole seconds
    pauses = [s.pause for s in reply.segments if s.pause]
    assert len(pauses) >= 6 and max(pauses) >= 4
    assert sum(pauses) > reply.duration_estimate * 0.3


def test_script_follows_the_arc_and_weaves_in_the_glimmer(assistant: Assistant) -> None:
    seed(assistant, (0, "the smell of fresh bread"))
    text = assistant.handle("savor it").reply.text.lower()
    assert "the smell of fresh bread" in text
    assert "breath" in text or "breathe" in text
    assert "smell" in text.split("the smell of fresh bread", 1)[1]  # the sense is invited


def test_two_sessions_in_a_row_sound_different(assistant: Assistant) -> None:
    seed(assistant, (0, "the cat purring"))
    scripts = [assistant.handle("savor it").reply for _ in range(6)]
    for a, b in itertools.pairwise(scripts):
        # no sentence repeats from the session before (short breath cues
        # such as "Out." may)
        a_lines = {s.text for s in a.segments[1:] if len(s.text.split()) >= 4}
        b_lines = {s.text for s in b.segments[1:] if len(s.text.split()) >= 4}
        assert not a_lines & b_lines


def test_variety_persists_across_processes(home, clock) -> None:
    from voiceglimmer.app import open_assistant

    first = open_assistant(home=home, clock=clock, seed=3)
    first.journal.add("a quiet street", created_at=NOW)
    one = first.handle("savor it").reply.text
    second = open_assistant(home=home, clock=clock, seed=3)  # same seed, new session
    assert second.handle("savor it").reply.text != one


def test_savor_named_words_finds_the_journal_entry(assistant: Assistant) -> None:
    seed(assistant, (3, "warm sunlight through the kitchen window"), (0, "a friendly dog"))
    handled = assistant.handle("help me savor the sunlight")
    assert "warm sunlight through the kitchen window" in handled.reply.text
    assert assistant.journal.get(handled.reply.glimmer_id).savor_count == 1


def test_savoring_something_new_offers_to_keep_it(assistant: Assistant) -> None:
    first = assistant.handle("help me savor the sound of waves")
    assert first.reply.glimmer_id is None
    assert "keep the sound of waves as a glimmer" in first.reply.text
    kept = assistant.handle("yes")
    glimmer = assistant.journal.get(kept.reply.glimmer_id)
    assert glimmer.text == "the sound of waves" and glimmer.savor_count == 1


def test_savor_with_an_empty_journal_explains(assistant: Assistant) -> None:
    assert "no glimmer to savor yet" in assistant.handle("savor it").reply.text


# -- recall ------------------------------------------------------------------


def test_yesterdays_glimmers_read_back_in_order(assistant: Assistant) -> None:
    seed(assistant, (1.2, "the moon through clouds"), (0.9, "my friend laughed"), (3, "old one"))
    reply = assistant.handle("what were yesterday's glimmers?").reply
    assert reply.text == (
        "Yesterday you noted 2 glimmers: the moon through clouds; and your friend laughed."
    )
    assert reply.data["count"] == 2


def test_a_week_reads_at_most_five_then_offers_more(assistant: Assistant) -> None:
    # last week: Monday 16th to Sunday 22nd November 2026
    seed(assistant, *[(2 + i * 0.5, f"moment {i}") for i in range(12)])
    first = assistant.handle("read me my glimmers from last week")
    total = first.reply.data["count"]
    assert total == len(first.reply.data["read"]) + first.reply.data["remaining"]
    assert len(first.reply.data["read"]) == 5
    assert "There are 7 more. Would you like to hear them?" in first.reply.text
    # oldest first, each day named once
    assert "noted 12 glimmers: on Tuesday the 17th of November, moment 11 and moment 10;" in (
        first.reply.text
    )
    more = assistant.handle("yes")
    assert more.reply.text.startswith("On Thursday, moment 6; on Friday, moment 5 and moment 4;")
    assert set(more.reply.data["read"]).isdisjoint(first.reply.data["read"])
    last = assistant.handle("yes please")
    assert last.reply.text == "On Sunday, moment 1 and moment 0."
    assert last.reply.follow_up is None


def test_dates_resolve_in_the_local_time_zone(assistant: Assistant) -> None:
    # 23:30 New York on Monday the 23rd is already Tuesday in UTC
    late = NOW.replace(day=23, hour=23, minute=30)
    assistant.journal.add("fireflies", created_at=late)
    assert "fireflies" in assistant.handle("what were yesterday's glimmers").reply.text
    assert "didn't note any" in assistant.handle("what were today's glimmers").reply.text


def test_weekday_and_calendar_dates(assistant: Assistant) -> None:
    assistant.journal.add("a red leaf", created_at=NOW.replace(day=3, hour=9))
    assistant.journal.add("a letter", created_at=NOW.replace(day=23, hour=9))
    assert "a red leaf" in assistant.handle("what did I notice on November 3rd?").reply.text
    assert "a red leaf" in assistant.handle("what did I notice on november third").reply.text
    assert "a letter" in assistant.handle("glimmers from Monday").reply.text


def test_unparseable_dates_get_a_helpful_answer(assistant: Assistant) -> None:
    reply = assistant.handle("glimmers from the 45th").reply.text
    assert "the 45th" in reply and "yesterday" in reply


def test_counts(assistant: Assistant) -> None:
    seed(assistant, (0, "a"), (1, "b"), (1.5, "c"), (40, "d"))
    assert assistant.handle("how many glimmers this week").reply.data["count"] == 3
    assert "4 glimmers in all" in assistant.handle("how many glimmers in total").reply.text


def test_search_by_word_uses_stems(assistant: Assistant) -> None:
    seed(assistant, (5, "green tea in the garden"), (2, "teas with Ana"), (1, "a bicycle ride"))
    reply = assistant.handle("any glimmers about tea?").reply
    assert reply.data["count"] == 2
    assert reply.text.index("teas with Ana") < reply.text.index("green tea")  # newest first
    assert assistant.handle("any glimmers about volcanoes").reply.data["count"] == 0


def test_random_glimmer_for_hard_moments(assistant: Assistant) -> None:
    seed(assistant, (10, "the smell of pine"), (4, "a hug from Dad"))
    texts = {assistant.handle("remind me of a glimmer").reply.text for _ in range(12)}
    assert any("the smell of pine" in t for t in texts) and any(
        "a hug from Dad" in t for t in texts
    )
    # "it" now refers to the glimmer just heard
    heard = assistant.handle("remind me of a glimmer")
    assert assistant.handle("savor it").reply.glimmer_id == heard.reply.glimmer_id


def test_recall_on_an_empty_journal_is_gentle(assistant: Assistant) -> None:
    assert (
        "no glimmers in your journal yet" in assistant.handle("remind me of a glimmer").reply.text
    )
    assert (
        "didn't note any glimmers yesterday"
        in assistant.handle("what were yesterday's glimmers").reply.text
    )
