"""Crisis words: caught on every path, ahead of everything, never kept or read back.

These tests are the other half of ``voiceglimmer/crisis.py``: a change to its
phrase lists or replies must keep them passing, and be reviewed by a person.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import voiceglimmer.crisis as crisis
from tests.conftest import NOW
from voiceglimmer import hookimpl
from voiceglimmer.app import open_assistant
from voiceglimmer.crisis import PHRASES, crisis_phrase, is_crisis
from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.dialog.understanding import Intent


def _spoken_forms(phrase: str) -> list[str]:
    """A phrase as people type it and recognisers write it: bare, contracted, slang, in a
    sentence, with an emoticon, and lowercase with no punctuation."""
    contracted = phrase.replace("do not", "don't").replace("cannot", "can't").replace("i am", "i'm")
    slang = contracted.replace("want to", "wanna").replace("going to", "gonna")
    return [
        phrase,
        phrase.upper(),
        contracted,
        contracted.replace("'", ""),
        slang,
        f"Honestly, I think {contracted}.",
        f"some days {phrase} and I don't know why",
        f"{contracted} :(",
        f"i noticed a glimmer {phrase}",
        f"I noticed a glimmer: {phrase}",
    ]


def _is_crisis_turn(assistant: Assistant, text: str) -> bool:
    handled = assistant.handle(text)
    return (
        (handled.plugin, handled.intent) == ("crisis", "crisis")
        and handled.reply.data == {"crisis": True}
        and assistant.awaiting is None
    )


@pytest.mark.parametrize("phrase", PHRASES)
def test_every_phrase_is_caught_in_every_form(assistant: Assistant, phrase: str) -> None:
    wordings = crisis.spoken_forms(phrase)
    for wording in wordings:
        for text in _spoken_forms(wording):
            assert is_crisis(text), (phrase, text)
    for text in _spoken_forms(wordings[0]):
        assert _is_crisis_turn(assistant, text), text
    assert assistant.journal.count() == 0


# What people said in the safety review, and how a recogniser would write it.
SAID = [
    "I dont wanna live anymore",
    "I want to die :(",
    "I self-harm",
    "I'm planning to end my own life",
    "I am going to hang myself",
    "kms",
    "ngl i might kms",
    "I want to unalive myself",
    "I don't want to be alive anymore",
    "i dont want to be alive any more",
    "i want to kill my self",
    "i keep thinking about sewer slide",
    "i cant do this anymore",
    "thinking of taking all my pills tonight",
    "I'm not safe at home",
    "been cutting again",
    "I had the urge to cut last night",
    "honestly I'm just tired of existing",
    "most nights I think about dying",
    "I've written goodbye notes to my kids",
    "some days I want to drive my car into a tree",
    # stretched for feeling, as people type when it is worst
    "i cant do this anymoreeee",
    "i wanna killll myself",
]


@pytest.mark.parametrize("text", SAID)
def test_words_from_the_safety_review_get_the_pointer(assistant: Assistant, text: str) -> None:
    assert _is_crisis_turn(assistant, text), text
    assert _is_crisis_turn(assistant, text.lower().replace("'", "").replace(":(", "")), text


# Ordinary speech that must not set off the pointer (the false alarms we checked).
ORDINARY = [
    "I noticed a glimmer: the sunset killed me, it was so beautiful",
    "I think about my gran a lot, in a good way",
    "we wrote goodbye cards for the retiring headteacher",
    "the suspense was killing me but the ending was lovely",
    "a chocolate cake to die for",
    "I'm dying to go back to that beach",
    "dead tired but happy after the walk",
    "I laughed so hard I nearly died",
    "my cat hurt her paw but she's fine now",
    "I cut the bread myself this morning",
    "I cut myself a big slice of cake",
    "cut my finger chopping onions but the soup was lovely",
    "I killed it at work today",
    "the end of the film made me cry happy tears",
    "at the end it all made sense",
    "walked 5 kms along the river",
    "we ran ten kms together",
    "took the day off myself and read in the garden",
    "I'm taking my life back, one small walk at a time",
    "I'm stressed",
    "I feel overwhelmed",
    "I'm so anxious about tomorrow",
    "I could have stayed there all day",
    "I want to dye my hair",
    "take my time with breakfast",
    "the harmony of the choir",
    "a kiss on the forehead",
    "savor it",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_sentences_are_not_crisis(assistant: Assistant, text: str) -> None:
    assert not is_crisis(text), crisis_phrase(text)
    assert assistant.handle(text).plugin != "crisis"


def test_known_false_positives_are_accepted_on_purpose() -> None:
    # documented in crisis.py: showing the pointer needlessly is the safer mistake
    assert is_crisis("we watched Suicide Squad")
    assert is_crisis("kms along the river")  # "5 kms" is fine; bare "kms" is not


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


def test_crisis_is_not_a_plugin_that_can_be_outranked(assistant: Assistant) -> None:
    assert "crisis" not in assistant.plugins.names()
    assert not [i for i in assistant.registry.intents if i.plugin == "crisis"]
    # never suggested as something to say
    assert not any(is_crisis(e) for e in assistant.examples(limit=100))


@pytest.mark.parametrize(
    "answer", ["I dont wanna live anymore", "I want to die :(", "i self harm", "kms"]
)
def test_crisis_words_as_the_answer_to_what_was_it(assistant: Assistant, answer: str) -> None:
    assert assistant.handle("I have a glimmer").reply.text == "Lovely. What was it?"
    handled = assistant.handle(answer)
    assert handled.plugin == "crisis" and "988" in handled.reply.text
    assert "Saved" not in handled.reply.text and "savor" not in handled.reply.text
    assert assistant.journal.count() == 0
    assert assistant.awaiting is None


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


class CatchAll:
    """A third-party plugin that claims every sentence, at a priority above everything."""

    @hookimpl
    def register_intents(self, register):
        register(
            Intent(
                name="everything",
                templates=["{anything}"],
                handler=lambda turn: "Mine!",
                priority=5000,
            )
        )


def test_no_plugin_priority_outranks_the_pointer(home: Path) -> None:
    a = open_assistant(home=home, extra_plugins=[("catch-all", CatchAll())])
    assert a.handle("the smell of rain").reply.text == "Mine!"
    handled = a.handle("I am going to hang myself")
    assert handled.plugin == "crisis" and "988" in handled.reply.text


def test_no_time_limit_disables_the_pointer(home: Path) -> None:
    """A limit so large the timer overflows must neither break handlers nor the pointer."""
    for limit in (1e10, float("inf")):
        a = open_assistant(home=home)
        a.handler_timeout = limit
        assert a.handle("glimmer: warm bread").reply.glimmer_id is not None
        assert a.handle("I want to die").plugin == "crisis"
        a.journal.close()


@pytest.mark.parametrize("value", ["1e10", "inf", "-3", "0", "true"])
def test_a_plugin_timeout_that_would_break_every_turn_is_refused(cli, home, value) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f"plugin_timeout = {value}\n")
    run = cli("chat", input="I want to die\n")
    assert run.returncode != 0
    assert "plugin_timeout" in run.stderr and "Traceback" not in run.stderr


class SaysHarm:
    """A plugin whose own reply or announcement would say words of harm."""

    @hookimpl
    def register_intents(self, register):
        register(
            Intent(name="echo", templates=["say something dark"], handler=self.dark, priority=20)
        )

    def dark(self, turn):
        return "Sometimes I think about suicide."

    @hookimpl
    def announcements(self, now, journal):
        return ["Time to look for a glimmer.", "You wanted to kill yourself, remember?"]


def test_replies_and_announcements_never_say_words_of_harm(home: Path) -> None:
    a = open_assistant(home=home, extra_plugins=[("says-harm", SaysHarm())])
    handled = a.handle("say something dark")
    assert handled.plugin == "crisis" and "suicide" not in handled.reply.text
    said = a.announcements()
    assert "Time to look for a glimmer." in said
    assert not any(is_crisis(t) for t in said)


def _old_entries(home: Path, texts: list[str]) -> None:
    """Entries an older voiceglimmer kept before this check existed, written as it did."""
    a = open_assistant(home=home, clock=lambda: NOW.replace(hour=8))
    a.handle("glimmer: the first sip of tea")
    a.journal.close()
    with sqlite3.connect(home / "journal.sqlite3") as db:
        for n, text in enumerate(texts):
            when = NOW.replace(hour=9, minute=n)
            db.execute(
                "INSERT INTO glimmers (created_at, created_ts, text, source) VALUES (?, ?, ?, ?)",
                (when.isoformat(), when.timestamp(), text, "typed"),
            )


HARM = "I don't want to be alive anymore"


@pytest.mark.parametrize(
    "asked",
    [
        "I need a glimmer",
        "I'm stressed",
        "remind me of a glimmer",
        "what was my last glimmer",
        "what were today's glimmers",
        "any glimmers about alive",
        "savor it",
        "savor my last glimmer",
        "let's reflect",
        "share my last glimmer",
    ],
)
def test_an_old_entry_with_words_of_harm_is_never_read_back_or_offered(
    home: Path, clock, asked: str
) -> None:
    _old_entries(home, [HARM, "I want to die :(", "I dont wanna be alive"])
    for seed in range(4):
        a = open_assistant(home=home, clock=clock, seed=seed)
        handled = a.handle(asked)
        text = handled.reply.text
        assert "alive" not in text and "die" not in text, (asked, text)
        if handled.plugin != "crisis":
            assert (
                "first sip of tea" in text
                or "left out" in text
                or handled.intent
                in (
                    "search_glimmers",
                    "share",
                )
            ), (asked, text)
        a.journal.close()


def test_a_read_back_says_what_it_left_out_and_where_help_is(home: Path, clock) -> None:
    _old_entries(home, [HARM])
    a = open_assistant(home=home, clock=clock)
    reply = a.handle("what were today's glimmers").reply
    assert "the first sip of tea" in reply.text
    assert "left out one entry" in reply.text and "988" in reply.text
    assert "alive" not in reply.text


def test_log_command_refuses_and_points_to_help(cli) -> None:
    run = cli("log", HARM)
    assert run.returncode != 0
    assert "988" in run.stdout + run.stderr
    assert crisis.NOT_SAVED in run.stdout + run.stderr
    assert cli("list").stdout == "No glimmers saved yet.\n"


def test_through_the_cli(cli) -> None:
    run = cli("chat", "--json", input="I have a glimmer\nI dont wanna live anymore\nlist\n")
    lines = run.json_lines()
    assert (lines[1]["plugin"], lines[1]["intent"]) == ("crisis", "crisis")
    assert "988" in lines[1]["reply"] and lines[1]["awaiting"] is None
    assert cli("list").stdout == "No glimmers saved yet.\n"


def test_the_module_says_it_must_be_reviewed() -> None:
    assert "must be read and approved" in (crisis.__doc__ or "")
    assert "by a person" in (crisis.__doc__ or "")


def test_import_keeps_no_words_of_harm_as_glimmers(cli, home: Path, tmp_path: Path) -> None:
    export = {
        "format": "voiceglimmer-journal",
        "glimmers": [
            {"created_at": "2026-11-20T09:00:00-05:00", "text": "warm socks", "source": "typed"},
            {"created_at": "2026-11-21T09:00:00-05:00", "text": HARM, "source": "typed"},
        ],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    run = cli("import", str(path))
    assert run.returncode == 0, run.stderr
    assert "Imported 1 glimmers" in run.stdout
    assert "One entry held words" in run.stdout and "988" in run.stdout
    assert "warm socks" in cli("list").stdout and "alive" not in cli("list").stdout


def test_the_journal_itself_refuses_words_of_harm(assistant: Assistant) -> None:
    with pytest.raises(crisis.NotAGlimmer):
        assistant.journal.add("i want to kill myself", created_at=NOW)
    assert assistant.journal.count() == 0
