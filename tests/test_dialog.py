"""Conversations over several turns, through the Python API."""

from __future__ import annotations

from voiceglimmer.dialog.assistant import Assistant, yes_or_no


def say(assistant: Assistant, *lines: str) -> list:
    return [assistant.handle(line) for line in lines]


def test_log_then_accept_the_offer_to_savor(assistant: Assistant) -> None:
    logged, savored = say(
        assistant, "I noticed a glimmer: the warm sunlight on my face", "yes please"
    )
    assert logged.reply.text.startswith("Saved: the warm sunlight on your face.")
    assert "savor it" in logged.reply.text
    assert logged.reply.glimmer_id is not None
    # the "yes" is answered by the savor-guide plugin, for the glimmer just saved
    assert (savored.plugin, savored.intent) == ("savor-guide", "savor")
    assert savored.reply.glimmer_id == logged.reply.glimmer_id
    assert "the warm sunlight on your face" in savored.reply.text
    glimmer = assistant.journal.get(logged.reply.glimmer_id)
    assert glimmer.savor_count == 1 and glimmer.savored_seconds > 60


def test_declining_the_offer_keeps_the_glimmer_unsavored(assistant: Assistant) -> None:
    logged, declined = say(assistant, "glimmer: rain on the roof", "no thanks")
    assert "kept safe" in declined.reply.text
    assert assistant.journal.get(logged.reply.glimmer_id).savor_count == 0


def test_bare_announcement_asks_what_it_was_and_logs_the_answer(assistant: Assistant) -> None:
    asked, answered = say(assistant, "I have a glimmer", "it was the smell of fresh bread")
    assert "What was it?" in asked.reply.text
    assert answered.reply.text.startswith("Saved: the smell of fresh bread.")
    assert [g.text for g in assistant.journal] == ["the smell of fresh bread"]


def test_a_request_instead_of_an_answer_is_answered_as_a_request(
    assistant: Assistant,
) -> None:
    """While "What was it?" is pending, an exact request is a request, not a glimmer
    ("help" was once saved as one)."""
    _, counted = say(assistant, "log a glimmer", "how many glimmers")
    assert counted.intent == "count_glimmers" and assistant.journal.count() == 0
    _, helped = say(assistant, "log a glimmer", "help")
    assert helped.intent == "help" and assistant.journal.count() == 0
    say(assistant, "log a glimmer", "the kettle singing")
    assert [g.text for g in assistant.journal] == ["the kettle singing"]


def test_cancel_words_end_a_pending_question(assistant: Assistant) -> None:
    for word in ("cancel", "never mind", "stop"):
        _, cancelled = say(assistant, "I have a glimmer", word)
        assert cancelled.intent == "cancel"
        assert "leave that" in cancelled.reply.text
    assert assistant.journal.count() == 0
    # with nothing pending, cancel is harmless
    assert assistant.handle("cancel").reply.text == "Okay."


def test_a_new_request_instead_of_yes_or_no_is_answered_normally(assistant: Assistant) -> None:
    _, moved_on, after = say(
        assistant, "glimmer: a kind text from Sam", "how many glimmers today", "yes"
    )
    assert moved_on.intent == "count_glimmers"
    assert "one glimmer" in moved_on.reply.text
    # the old question is gone: "yes" alone now means nothing in particular
    assert after.plugin is None


def test_undo_asks_first_and_deletes_only_after_yes(assistant: Assistant) -> None:
    say(assistant, "glimmer: first light", "no", "glimmer: a typo glimer", "no")
    asked, kept = say(assistant, "undo that", "no")
    assert "a typo glimer" in asked.reply.text
    assert assistant.journal.count() == 2 and "kept it" in kept.reply.text
    _, deleted = say(assistant, "delete the last glimmer", "yes")
    assert "Deleted" in deleted.reply.text
    assert [g.text for g in assistant.journal] == ["first light"]


def test_undo_on_an_empty_journal(assistant: Assistant) -> None:
    assert "nothing to undo" in assistant.handle("undo that").reply.text


def test_empty_and_whitespace_utterances_get_a_hint(assistant: Assistant) -> None:
    for text in ("", "   ", "um"):
        handled = assistant.handle(text)
        assert handled.plugin is None
        assert "didn't catch" in handled.reply.text
    assert assistant.journal.count() == 0


def test_a_pending_question_survives_an_empty_utterance(assistant: Assistant) -> None:
    say(assistant, "I have a glimmer", "   ")
    assert assistant.awaiting is not None
    say(assistant, "the moon")
    assert [g.text for g in assistant.journal] == ["the moon"]


def test_yes_no_understanding() -> None:
    for text in ("yes", "Yes please!", "yeah", "sure", "ok", "go ahead", "let's do it", "please"):
        assert yes_or_no(text) is True, text
    for text in ("no", "No thanks.", "nope", "not now", "maybe later", "no, thank you"):
        assert yes_or_no(text) is False, text
    for text in ("what were yesterday's glimmers", "the sunlight", "yesterday"):
        assert yes_or_no(text) is None, text
