"""Sharing: a Markdown card in the person's own folder, and nothing sent anywhere."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

from voiceglimmer_plugins.share import date_in_words, slug

from tests.practice_data import months  # noqa: F401 (fixture)
from voiceglimmer.dialog.assistant import Assistant


def test_date_in_words_and_slugs() -> None:
    assert date_in_words(date(2026, 11, 24)) == "Tuesday the 24th of November 2026"
    assert date_in_words(date(2026, 11, 1)) == "Sunday the 1st of November 2026"
    assert date_in_words(date(2026, 11, 12)) == "Thursday the 12th of November 2026"
    assert slug("Mum's laugh, in Paris!") == "mums-laugh-in-paris"
    assert slug("café au lait 😊 on a cold grey morning by the sea") == "cafe-au-lait-on-a-cold"
    assert slug("🍵") == "glimmer"


def test_share_my_last_glimmer_writes_a_private_card(assistant: Assistant, home: Path) -> None:
    assistant.handle("glimmer: Mum's *laugh* on the phone #1")
    assistant.handle("yes")  # savored once
    reply = assistant.handle("share my last glimmer").reply
    path = home / "shared" / "2026-11-24-mums-laugh-on-the-phone-1.md"
    assert reply.text == (
        "I made a card of it, in the shared folder beside your journal. "
        "It's only on this computer. Pass it on however you like."
    )
    assert "/" not in reply.text  # a path is never read aloud; it travels in the data
    assert reply.data == {"path": str(path)}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text() == (
        "# A glimmer\n"
        "\n"
        "> Mum's \\*laugh\\* on the phone \\#1\n"
        "\n"
        "Noticed on Tuesday the 24th of November 2026.\n"
        "\n"
        "Savored once, for about 2 minutes in all.\n"
        "\n"
        "*A small moment of calm, kept with voiceglimmer.*\n"
    )
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_an_unsavored_glimmer_has_no_savoring_line(assistant: Assistant, home: Path) -> None:
    assistant.handle("glimmer: fresh snow")
    assistant.handle("no")
    path = Path(assistant.handle("share that").reply.data["path"])
    assert "Savored" not in path.read_text()
    # sharing the same glimmer again is the same card, not a copy
    assert assistant.handle("share it").reply.data["path"] == str(path)
    assert len(list(path.parent.iterdir())) == 1


def test_two_glimmers_with_the_same_words_get_two_cards(assistant: Assistant) -> None:
    assistant.handle("glimmer: fresh snow")
    assistant.handle("no")
    first = assistant.handle("share it").reply.data["path"]
    assistant.handle("glimmer: fresh snow!")
    assistant.handle("yes")
    second = assistant.handle("share it").reply.data["path"]
    assert first.endswith("-fresh-snow.md") and second.endswith("-fresh-snow-2.md")


def test_nothing_to_share_yet(assistant: Assistant, home: Path) -> None:
    assert "no glimmer to share" in assistant.handle("share my last glimmer").reply.text
    assert not (home / "shared").exists()


def test_through_the_cli_prints_only_the_reply(cli, months, home: Path) -> None:  # noqa: F811
    run = cli("chat", input="share my last glimmer\n")
    path = home / "shared" / "2026-11-24-a-neighbour-waved-at-me.md"
    assert run.stdout == (
        "I made a card of it, in the shared folder beside your journal. "
        "It's only on this computer. Pass it on however you like.\n"
    )
    assert run.stderr == ""
    card = path.read_text()
    assert "> a neighbour waved at me\n" in card
    assert "Noticed on Tuesday the 24th of November 2026." in card
