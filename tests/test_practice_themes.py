"""Senses and themes: guessed openly from the words, corrected by voice."""

from __future__ import annotations

import pytest
from voiceglimmer_plugins.themes import (
    glimmer_tags,
    infer,
    tag_counts,
    tag_sources,
    tag_untagged,
    untagged,
)

from tests.practice_data import GLIMMERS, glimmer_id, months  # noqa: F401 (fixture)
from voiceglimmer.dialog.assistant import Assistant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "the warm sunlight on my face",
            [
                ("touch", ("warm", "sunlight")),
                ("sight", ("sunlight", "face")),
                ("nature", ("sunlight",)),
                ("comfort", ("warm",)),
            ],
        ),
        (
            "my cat purring on my lap",
            [("sound", ("purring",)), ("touch", ("cat",)), ("animals", ("cat", "purring"))],
        ),
        ("a friend's kind message", [("connection", ("friend", "kind", "message"))]),
        ("the smell of fresh coffee", [("smell", ("smell", "coffee")), ("taste", ("coffee",))]),
        ("birdsong at dawn", [("sound", ("birdsong",)), ("nature", ("birdsong", "dawn"))]),
        ("a long hot shower after a run", [("touch", ("shower",)), ("body", ("shower", "run"))]),
        (
            "my sister's voice on the phone",
            [("sound", ("voice",)), ("connection", ("sister", "phone"))],
        ),
        ("a nice moment", []),
    ],
)
def test_tags_are_inferred_with_the_words_that_suggest_them(text: str, expected: list) -> None:
    assert [(g.tag, g.words) for g in infer(text)] == expected


def test_every_new_glimmer_is_tagged_on_saving(assistant: Assistant) -> None:
    glimmer_id = assistant.handle("glimmer: birdsong at dawn").reply.glimmer_id
    assert glimmer_tags(assistant.journal, glimmer_id) == ["sound", "nature"]
    assert set(tag_sources(assistant.journal, glimmer_id).values()) == {"inferred"}


def test_what_is_that_tagged_says_why(assistant: Assistant) -> None:
    assistant.handle("glimmer: the warm sunlight on my face")
    reply = assistant.handle("what is that tagged?").reply
    assert reply.text.startswith(
        "The warm sunlight on your face is tagged touch, sight, nature and comfort."
    )
    assert "touch from \u201cwarm\u201d and \u201csunlight\u201d" in reply.text
    assert "tag that as" in reply.text
    assert reply.data["sources"] == {t: "inferred" for t in ("touch", "sight", "nature", "comfort")}


def test_tag_correction_by_voice(assistant: Assistant) -> None:
    gid = assistant.handle("glimmer: the warm sunlight on my face").reply.glimmer_id
    assistant.handle("no")
    reply = assistant.handle("tag that as connection").reply
    assert reply.text == "Done. The warm sunlight on your face is tagged connection now."
    assert glimmer_tags(assistant.journal, gid) == ["connection"]
    assert tag_sources(assistant.journal, gid)["connection"] == "person"
    assert assistant.handle("what is that tagged").reply.text == (
        "You tagged the warm sunlight on your face as connection."
    )
    assistant.handle("that one was about nature")
    assert glimmer_tags(assistant.journal, gid) == ["nature"]
    assistant.handle("also tag it as comfort")
    assert glimmer_tags(assistant.journal, gid) == ["nature", "comfort"]
    reply = assistant.handle("that wasn't about nature").reply
    assert reply.text == "Okay, not nature. It's tagged comfort now."
    assert tag_counts(assistant.journal) == {"comfort": 1}


def test_a_tag_of_the_persons_own(assistant: Assistant) -> None:
    gid = assistant.handle("glimmer: a letter from Gran").reply.glimmer_id
    assistant.handle("no")
    assert "tagged gratitude now" in assistant.handle("tag it as gratitude").reply.text
    assert glimmer_tags(assistant.journal, gid) == ["gratitude"]
    # everyday names for the known tags land on the known tag
    assistant.handle("tag that as family")
    assert glimmer_tags(assistant.journal, gid) == ["connection"]
    long = assistant.handle("tag that as the time my gran wrote to me from Spain").reply
    assert "long tag" in long.text and glimmer_tags(assistant.journal, gid) == ["connection"]


def test_the_savoring_invites_the_tagged_sense(assistant: Assistant) -> None:
    assistant.handle("glimmer: a slow morning with Sam")  # no sense in the words
    assistant.handle("no")
    general = assistant.handle("a quick savor").reply.text
    assert "every detail" in general
    assistant.handle("tag that as sound")
    tuned = assistant.handle("a quick savor").reply.text
    assert "its sound" in tuned and "every detail" not in tuned


def test_old_glimmers_are_tagged_when_asked(assistant: Assistant) -> None:
    from tests.practice_data import months_export

    assistant.journal.import_records(months_export())
    assert len(untagged(assistant.journal)) == len(GLIMMERS)
    # "that" is the latest glimmer, "a neighbour waved at me", imported without tags
    reply = assistant.handle("what is that tagged").reply
    assert "connection" in reply.data["tags"] and "\u201cneighbour\u201d" in reply.text
    assert tag_untagged(assistant.journal) > 10
    counts = tag_counts(assistant.journal)
    assert counts["nature"] >= 4 and counts["connection"] >= 3


def test_through_the_cli_on_a_months_journal(cli, months) -> None:  # noqa: F811
    lines = [
        "what is that tagged",
        "glimmer: my friend's laugh on the phone",
        "no",
        "what is that tagged",
        "tag that as comfort",
        "what is that tagged",
    ]
    events = cli("chat", "--json", input="\n".join(lines) + "\n").json_lines()
    assert [e["intent"] for e in events] == [
        "what_tags", "log_glimmer", "log_glimmer", "what_tags", "tag_as", "what_tags"
    ]  # fmt: skip
    assert events[0]["glimmer_id"] == glimmer_id("a neighbour waved at me")
    assert events[3]["data"]["tags"] == ["sound", "connection"]
    assert "\u201claugh\u201d" in events[3]["reply"]
    assert events[5]["data"] == {"tags": ["comfort"], "sources": {"comfort": "person"}}
