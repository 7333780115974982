"""Parsed templates kept between starts: faster start-up, never a stale answer."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from voiceglimmer.app import open_assistant

PLUGIN = """
from voiceglimmer import hookimpl
from voiceglimmer.intent import Intent


@hookimpl
def register_intents(register):
    register(Intent(
        name="weather_glimmer",
        templates=[{template!r}],
        slots={{"kind": {{"sunny": "sun", "rainy": "rain"}}}},
        handler=lambda turn: f"Noted the {{turn.slots['kind']}}: {{turn.slots['what']}}.",
    ))
"""


def _write_plugin(folder: Path, template: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weather.py").write_text(PLUGIN.format(template=template))


def _say(home: Path, plugins: Path, text: str) -> str:
    assistant = open_assistant(home=home, plugin_dirs=[plugins])
    try:
        return assistant.handle(text).reply.text
    finally:
        assistant.journal.close()


def test_the_second_start_reads_templates_back_and_answers_the_same(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cache = home / "cache" / "templates.pickle"
    first = [open_assistant(home=home).handle(t).reply.text for t in ("what's my streak", "help")]
    assert cache.exists()
    assert cache.stat().st_mode & 0o777 == 0o600
    written = cache.stat().st_mtime_ns
    again = [open_assistant(home=home).handle(t).reply.text for t in ("what's my streak", "help")]
    assert again == first
    assert cache.stat().st_mtime_ns == written, "nothing changed, so nothing is rewritten"


def test_an_edited_template_is_parsed_afresh(tmp_path: Path) -> None:
    home, plugins = tmp_path / "home", tmp_path / "plugins"
    _write_plugin(plugins, "on a {kind} day {what}")
    assert _say(home, plugins, "on a sunny day the dog ran") == "Noted the sun: the dog ran."

    _write_plugin(plugins, "weather was {kind} and {what}")
    assert _say(home, plugins, "weather was rainy and I stayed in") == (
        "Noted the rain: I stayed in."
    )
    # the old sentence is gone with the old template, not answered from the cache
    assert "Noted" not in _say(home, plugins, "on a sunny day the dog ran")


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a pickle at all", pickle.dumps({"hassil": "3.12.1", "entries": []})],
    ids=["empty", "garbage", "wrong-shape"],
)
def test_a_damaged_or_outdated_cache_is_rebuilt(tmp_path: Path, damage: bytes) -> None:
    home, plugins = tmp_path / "home", tmp_path / "plugins"
    _write_plugin(plugins, "on a {kind} day {what}")
    cache = home / "cache" / "templates.pickle"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(damage)
    assert _say(home, plugins, "on a rainy day tea") == "Noted the rain: tea."
    assert pickle.loads(cache.read_bytes())["entries"], "rewritten with this start's templates"


def test_a_cache_that_cannot_be_written_costs_nothing_but_speed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, plugins = tmp_path / "home", tmp_path / "plugins"
    _write_plugin(plugins, "on a {kind} day {what}")
    home.mkdir()
    (home / "cache").write_text("a file where the cache folder would go")
    assert _say(home, plugins, "on a sunny day birds") == "Noted the sun: birds."
    assert capsys.readouterr().err == ""


def test_a_cache_from_another_hassil_version_is_not_trusted(tmp_path: Path) -> None:
    home, plugins = tmp_path / "home", tmp_path / "plugins"
    _write_plugin(plugins, "on a {kind} day {what}")
    _say(home, plugins, "on a sunny day birds")
    cache = home / "cache" / "templates.pickle"
    stored = pickle.loads(cache.read_bytes())
    # What an older hassil might have left: every template parsed as some other one.
    values = list(stored["entries"].values())
    stored["entries"] = dict(zip(stored["entries"], values[1:] + values[:1], strict=True))
    stored["hassil"] = "0.0.1"
    cache.write_bytes(pickle.dumps(stored))
    assert _say(home, plugins, "on a rainy day tea") == "Noted the rain: tea."
