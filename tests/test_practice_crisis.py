"""Crisis words: every phrase is caught, anywhere, ahead of everything else.

These tests are the other half of ``voiceglimmer/crisis.py``: a change to its
phrase list or reply must keep them passing, and be reviewed by a person.
"""

from __future__ import annotations

import pytest

import voiceglimmer.crisis as crisis
from voiceglimmer.crisis import PHRASES, crisis_phrase, is_crisis
from voiceglimmer.handle import Assistant


def _spoken_forms(phrase: str) -> list[str]:
    """A phrase as people say and recognisers write it: bare, contracted, in a sentence."""
    contracted = phrase.replace("do not", "don't").replace("cannot", "can't")
    return [
        phrase,
        phrase.upper(),
        contracted,
        contracted.replace("'", ""),
        f"Honestly, I think {contracted}.",
        f"some days {phrase} and I don't know why",
        f"I noticed a glimmer: {phrase}",
    ]


@pytest.mark.parametrize("phrase", PHRASES)
def test_every_phrase_is_caught_in_every_form(assistant: Assistant, phrase: str) -> None:
    for text in _spoken_forms(phrase):
        assert is_crisis(text), text
        match = assistant.registry.match(text)
        assert match is not None and match.intent.plugin == "crisis", text


@pytest.mark.parametrize(
    "text",
    [
        "I noticed a glimmer: the sunset killed me, it was so beautiful",
        "the suspense was killing me but the ending was lovely",
        "a chocolate cake to die for",
        "I'm dying to go back to that beach",
        "dead tired but happy after the walk",
        "I laughed so hard I nearly died",
        "my cat hurt her paw but she's fine now",
        "I cut the bread myself this morning",
        "I killed it at work today",
        "the end of the film made me cry happy tears",
        "I'm stressed",
        "I feel overwhelmed",
        "I'm so anxious about tomorrow",
        "I could have stayed there all day",
        "I want to dye my hair",
        "take my time with breakfast",
        "the harmony of the choir",
        "savor it",
    ],
)
def test_ordinary_sentences_are_not_crisis(assistant: Assistant, text: str) -> None:
    assert not is_crisis(text)
    match = assistant.registry.match(text)
    assert match is None or match.intent.plugin != "crisis"


def test_known_false_positives_are_accepted_on_purpose() -> None:
    # documented in crisis.py: showing the pointer needlessly is the safer mistake
    assert crisis_phrase("at the end it all made sense") == "end it all"
    assert is_crisis("we watched Suicide Squad")


def test_the_reply_points_to_people_and_asks_nothing(assistant: Assistant) -> None:
    handled = assistant.handle("I want to die")
    reply = handled.reply
    assert (handled.plugin, handled.intent) == ("crisis", "crisis")
    for needed in ("emergency number", "988", "Samaritans", "116 123", "findahelpline.com"):
        assert needed in reply.text
    assert reply.follow_up is None and reply.data == {"crisis": True}
    # brief, and no breathing exercise or glimmer offered instead of help
    assert len(reply.text.split()) < 90
    for not_here in ("breath", "savor", "glimmer"):
        assert not_here not in reply.text.lower()


def test_a_glimmer_with_crisis_words_is_not_saved(assistant: Assistant) -> None:
    handled = assistant.handle("I noticed a glimmer: nothing, I want to kill myself")
    assert handled.plugin == "crisis"
    assert assistant.journal.count() == 0


def test_crisis_outranks_every_other_intent(assistant: Assistant) -> None:
    top = max(i.priority for i in assistant.registry.intents if i.plugin != "crisis")
    assert top < crisis.PRIORITY
    crisis_intents = [i for i in assistant.registry.intents if i.plugin == "crisis"]
    # never suggested as something to say
    assert crisis_intents and all(not i.examples for i in crisis_intents)


def test_crisis_words_instead_of_a_yes_or_no(assistant: Assistant) -> None:
    assistant.handle("glimmer: warm socks")  # asks "Would you like to savor it?"
    assert assistant.handle("no, I don't want to live anymore").plugin == "crisis"
    assert assistant.awaiting is None


def test_crisis_words_in_the_practice_plugins_free_text_answers(assistant: Assistant) -> None:
    assistant.handle("glimmer: tea")
    assistant.handle("no")
    assistant.handle("glimmer: a kind message")
    assistant.handle("no")
    assert "Which one" in assistant.handle("let's reflect").reply.text
    reply = assistant.handle("none, I've been thinking about suicide").reply
    assert reply.data == {"crisis": True} and reply.follow_up is None
    assert "note" not in reply.text


def test_the_module_says_it_must_be_reviewed() -> None:
    assert "must be read and approved" in (crisis.__doc__ or "")
    assert "by a person" in (crisis.__doc__ or "")


def test_through_the_cli(cli) -> None:
    run = cli("chat", "--json", input="glimmer: I just want to end it all\nlist\n")
    first = run.json_lines()[0]
    assert (first["plugin"], first["intent"]) == ("crisis", "crisis")
    assert "988" in first["reply"] and first["awaiting"] is None
    assert cli("list").stdout == "No glimmers saved yet.\n"


def test_crisis_words_answering_another_plugins_question(assistant: Assistant) -> None:
    assert assistant.handle("I have a glimmer").reply.text == "Lovely. What was it?"
    assert assistant.handle("I want to die").plugin == "crisis"
    assert assistant.journal.count() == 0
