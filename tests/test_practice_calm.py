"""The calm check: "how settled do you feel?" before and after a savoring."""

from __future__ import annotations

from pathlib import Path

import pytest
from voiceglimmer_plugins.savor_guide import ASK_AFTER, ASK_BEFORE, calm_ratings, read_rating

from tests.conftest import NOW
from voiceglimmer.app import open_assistant
from voiceglimmer.dialog.assistant import Assistant


@pytest.mark.parametrize(
    ("said", "rating"),
    [
        ("3", 3),
        ("three", 3),
        ("about a four", 4),
        ("Maybe a 2?", 2),
        ("4 out of 5", 4),
        ("five!", 5),
        ("one", 1),
        ("for", 4),  # a recogniser's "four"
        ("about a for", 4),
        ("ten", None),
        ("0", None),
        ("7", None),
        ("skip", None),
        ("I'm not sure", None),
        ("", None),
    ],
)
def test_ratings_are_read_from_ordinary_answers(said: str, rating: int | None) -> None:
    assert read_rating(said) == rating


def _calm_on(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[plugins.savor-guide]\ncalm_check = true\n")


@pytest.fixture
def calm(home: Path, clock) -> Assistant:
    _calm_on(home)
    a = open_assistant(home=home, clock=clock, seed=7)
    yield a
    a.journal.close()


def test_off_by_default_savor_starts_at_once(assistant: Assistant) -> None:
    assistant.handle("glimmer: rain on the window")
    reply = assistant.handle("yes").reply
    assert ASK_BEFORE not in reply.text and ASK_AFTER not in reply.text
    assert reply.follow_up is None
    assert calm_ratings(assistant.journal) == []


def test_before_and_after_ratings_are_stored(calm: Assistant) -> None:
    calm.handle("glimmer: rain on the window")
    asked = calm.handle("yes")
    assert asked.reply.text == ASK_BEFORE and asked.reply.follow_up.kind == "text"
    script = calm.handle("about a two").reply
    assert script.data["calm_before"] == 2
    assert script.segments[-1].text == ASK_AFTER
    assert "Breathe" in script.text or "breath" in script.text
    done = calm.handle("four").reply
    assert done.text.startswith("Noted: from 2 to 4.")
    assert calm_ratings(calm.journal) == [(NOW, 2, 4)]


def test_skip_skips_just_that_rating(calm: Assistant) -> None:
    calm.handle("glimmer: rain on the window")
    calm.handle("no")
    calm.handle("savor it")
    script = calm.handle("skip").reply
    assert "calm_before" not in script.data and script.segments[-1].text == ASK_AFTER
    assert calm.handle("three").reply.text.startswith("Noted: 3.")
    assert calm_ratings(calm.journal) == [(NOW, None, 3)]
    calm.handle("savor it")
    calm.handle("5")
    assert calm.handle("skip").reply.text == "Okay, no rating this time."
    assert calm_ratings(calm.journal)[-1][1:] == (5, None)


def test_a_new_request_instead_of_a_rating_is_answered(calm: Assistant) -> None:
    calm.handle("glimmer: rain on the window")
    calm.handle("no")
    calm.handle("savor it")
    moved_on = calm.handle("how many glimmers")
    assert moved_on.plugin == "recall"
    assert calm.journal.savorings(1) == []  # nothing was savored
    assert calm.handle("savor it").reply.text == ASK_BEFORE
    assert calm.handle("I want to die").plugin == "crisis"  # not taken as a rating


def test_switched_by_voice_and_the_voice_wins(assistant: Assistant, home: Path) -> None:
    assistant.handle("glimmer: rain on the window")
    assistant.handle("no")
    assert "I'll ask" in assistant.handle("turn on the calm check").reply.text
    assert assistant.handle("savor it").reply.text == ASK_BEFORE
    assistant.handle("cancel")
    _calm_on(home)  # the file says on, but the person said off last
    assistant.handle("stop asking me how settled I feel")
    assert assistant.handle("savor it").reply.follow_up is None


def test_the_setting_is_the_plugins_own_and_the_old_key_still_works(cli, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    said = "glimmer: steam rising from my cup\nyes\n"
    # 0.1's top-level key: still obeyed, with one line saying where it lives now
    (home / "config.toml").write_text("calm_check = true\n")
    run = cli("chat", "--json", input=said)
    assert run.returncode == 0, run.stderr
    assert run.json_lines()[1]["reply"] == ASK_BEFORE
    notes = [line for line in run.stderr.splitlines() if "now lives under" in line]
    assert notes == [f"voiceglimmer: warning: {home / 'config.toml'}: calm_check now lives "
                     "under [plugins.savor-guide]; it still works here"]  # fmt: skip
    # the plugin's section: checked by the plugin's declaration, wrong values named
    (home / "config.toml").write_text('[plugins.savor-guide]\ncalm_check = "yes"\n')
    refused = cli("chat", "--json", input=said)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert '[plugins.savor-guide] calm_check should be true or false, not "yes"' in refused.stderr
    # a key the plugin doesn't have is a warning, and the rest still counts
    (home / "config.toml").write_text("[plugins.savor-guide]\ncalm_check = true\ncalm = 3\n")
    warned = cli("chat", "--json", input=said)
    assert warned.returncode == 0 and warned.json_lines()[1]["reply"] == ASK_BEFORE
    assert "[plugins.savor-guide] has no setting 'calm' (its settings: calm_check)" in (
        warned.stderr
    )


def test_through_the_cli(cli, home: Path) -> None:
    _calm_on(home)
    lines = ["glimmer: steam rising from my cup", "yes", "three", "five", "list"]
    events = cli("chat", "--json", input="\n".join(lines) + "\n").json_lines()
    assert events[1]["reply"] == ASK_BEFORE and events[1]["awaiting"] == "text"
    assert events[2]["data"]["calm_before"] == 3 and events[2]["awaiting"] == "text"
    assert events[3]["reply"].startswith("Noted: from 3 to 5.")
    exported = cli("export", "--format", "json").stdout
    assert '"calm_before": 3' in exported and '"calm_after": 5' in exported
