"""Parsed templates kept between starts: faster start-up, never a stale answer, and never
anything that runs code or that someone else could have written."""

from __future__ import annotations

import json
import os
import pickle
import pwd
from collections.abc import Callable
from pathlib import Path

import pytest

from voiceglimmer.app import App, open_assistant
from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.dialog.understanding import IntentRegistry
from voiceglimmer.store.home import Home

PLUGIN = """
from voiceglimmer import hookimpl
from voiceglimmer.dialog.understanding import Intent


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
    cache = home / "cache" / "templates.json"
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


def _hassil_version() -> str:
    from importlib.metadata import version

    return version("hassil")


def _cache_of(entries: list) -> bytes:
    return json.dumps({"format": 1, "hassil": _hassil_version(), "entries": entries}).encode()


CHUNK = "sunny"
DAMAGE = {
    "empty": b"",
    "garbage": b"not json at all \xff",
    "wrong-shape": json.dumps({"format": 1, "hassil": "3.12.1", "entries": {}}).encode(),
    "not-an-object": b"[1, 2, 3]",
    "a-pickle": pickle.dumps({"hassil": "3.13.0", "entries": {}}),
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
    "unknown-node": _cache_of([[["sentences", "on a {kind} day {what}"], ["sentences", [
        [["x", "os.system"], "t"]]]]]),
    "number-as-text": _cache_of([[["sentences", "on a {kind} day {what}"], ["sentences", [
        [["s", [["t", 5, -1]]], "t"]]]]]),
    "parent-out-of-range": _cache_of([[["sentences", "on a {kind} day {what}"], ["sentences", [
        [["s", [["t", "on a", 7]]], "t"]]]]]),
    "slot-value-object": _cache_of([[["pairs", "kind"], ["slots", "kind", [
        [CHUNK, {"__reduce__": "os.system"}]]]]]),
}  # fmt: skip


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_or_odd_cache_is_ignored_and_rebuilt(tmp_path: Path, damage: bytes) -> None:
    home, plugins = tmp_path / "home", tmp_path / "plugins"
    _write_plugin(plugins, "on a {kind} day {what}")
    cache = home / "cache" / "templates.json"
    cache.parent.mkdir(parents=True, mode=0o700)
    cache.write_bytes(damage)
    assert _say(home, plugins, "on a rainy day tea") == "Noted the rain: tea."
    assert json.loads(cache.read_bytes())["entries"], "rewritten with this start's templates"


def test_a_cache_that_cannot_be_written_costs_nothing_but_speed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, plugins = tmp_path / "home", tmp_path / "plugins"
    _write_plugin(plugins, "on a {kind} day {what}")
    home.mkdir(mode=0o700)
    (home / "cache").write_text("a file where the cache folder would go")
    assert _say(home, plugins, "on a sunny day birds") == "Noted the sun: birds."
    assert capsys.readouterr().err == ""


def test_a_cache_from_another_hassil_version_is_not_trusted(tmp_path: Path) -> None:
    home, plugins = tmp_path / "home", tmp_path / "plugins"
    _write_plugin(plugins, "on a {kind} day {what}")
    _say(home, plugins, "on a sunny day birds")
    cache = home / "cache" / "templates.json"
    stored = json.loads(cache.read_bytes())
    # What an older hassil might have left: every template parsed as some other one.
    keys = [key for key, _ in stored["entries"]]
    values = [value for _, value in stored["entries"]]
    stored["entries"] = [list(pair) for pair in zip(keys, values[1:] + values[:1], strict=True)]
    stored["hassil"] = "0.0.1"
    cache.write_text(json.dumps(stored))
    assert _say(home, plugins, "on a rainy day tea") == "Noted the rain: tea."


#: Things to say from the README, beyond the plugins' own examples.
README_SENTENCES = [
    "I noticed a glimmer: the warm sunlight on my face", "glimmer: -5 degrees and clear",
    "log a glimmer the smell of rain", "today's glimmer was a friend's kind message",
    "I just had a glimmer: my cat purring", "I have a glimmer", "undo that",
    "delete the last glimmer", "savor it", "help me savor the sunlight",
    "savor my last glimmer", "a quick savor", "a long savor",
    "what were yesterday's glimmers", "read me my glimmers from last week",
    "glimmers from Monday", "what did I notice on November 3rd",
    "how many glimmers this week", "any glimmers about tea", "remind me of a glimmer",
    "delete the glimmer about tea", "let's reflect", "evening reflection", "how was my day",
    "add a note to today: slow morning", "I'm stressed", "I feel overwhelmed",
    "I'm triggered", "I need a glimmer", "what is that tagged", "tag that as connection",
    "what kind of glimmers do I have most", "what's my streak",
    "remind me to look for glimmers at 8am", "every evening at 9 ask me to reflect",
    "turn on the morning ritual", "what reminders do I have", "share my last glimmer",
    "cancel", "never mind", "stop", "help", "um okay so glimmer: tea, please",
]  # fmt: skip


def test_every_example_is_understood_the_same_from_the_cache(home: Path) -> None:
    """The JSON round trip rebuilds hassil's parse exactly: each built-in example sentence
    gets the same plugin, intent and slots as from a fresh parse."""
    app = App(home=Home(home, home))
    cache = home / "cache" / "templates.json"
    try:
        fresh = Assistant(plugins=app.plugins, journal=app.journal).registry
        Assistant(plugins=app.plugins, journal=app.journal, template_cache=cache)  # writes it
        cached = Assistant(plugins=app.plugins, journal=app.journal, template_cache=cache)
    finally:
        app.close()
    assert cached.registry.cache._stored, "the second registry was built from the file"
    examples = [e for intent in fresh.intents for e in intent.examples] + README_SENTENCES
    assert len(examples) > 60

    def understood(registry: IntentRegistry, text: str) -> tuple | None:
        found = registry.match(text)
        return found and (found.intent.plugin, found.intent.name, found.slots)

    answers = [understood(fresh, text) for text in examples]
    assert sum(a is not None for a in answers) > 60
    for text, answer in zip(examples, answers, strict=True):
        assert understood(cached.registry, text) == answer, text


class Planted:
    """A pickle payload: unpickling it creates ``marker`` (what an attacker's would run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def test_a_planted_pickle_is_never_run(tmp_path: Path, home: Path, cli: Callable) -> None:
    """The issue's attack: a 0777 home, a templates.pickle planted in its cache folder."""
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"hassil": _hassil_version(), "entries": Planted(marker)})
    pickle.loads(payload)  # the payload really runs code when unpickled ...
    assert marker.is_dir()
    marker.rmdir()

    home.mkdir()
    home.chmod(0o777)
    (home / "cache").mkdir(mode=0o700)
    (home / "cache" / "templates.pickle").write_bytes(payload)  # where earlier versions looked
    (home / "cache" / "templates.json").write_bytes(payload)  # and where this one looks
    run = cli("chat", "--json", input="what's my streak\n")
    assert run.returncode == 0, run.stderr
    assert run.json_lines()[0]["intent"] != "none"
    assert not marker.exists(), "... but voiceglimmer never unpickles it"
    assert not (home / "cache" / "templates.pickle").exists(), "the old file is removed"
    assert json.loads((home / "cache" / "templates.json").read_text())["entries"]
    assert not marker.exists()


def _doctor(cache: Path) -> None:
    """Make the weather plugin's "sunny" mean "HACKED", as someone else's edit could."""
    stored = json.loads(cache.read_text())
    for key, value in stored["entries"]:
        if key[:2] == ["pairs", "kind"]:
            for pair in value[2]:
                pair[1] = "HACKED" if pair[1] == "sun" else pair[1]
    cache.write_text(json.dumps(stored))


def _chown_nobody(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    os.chown(path, 65534, 65534)


ME = pwd.getpwuid(os.geteuid()).pw_name
UNTRUSTED = {
    # the folder: not read, not rewritten, and the person is told the fix
    "folder-world-writable": (lambda cache: cache.parent.chmod(0o777), "chmod go-w"),
    "folder-group-writable": (lambda cache: cache.parent.chmod(0o770), "chmod go-w"),
    "folder-of-another-user": (lambda cache: _chown_nobody(cache.parent), f"chown {ME}"),
    # the file in a private folder: not read, and replaced by the user's own
    "file-world-writable": (lambda cache: cache.chmod(0o666), None),
    "file-of-another-user": (lambda cache: _chown_nobody(cache), None),
}


@pytest.mark.parametrize(("make_untrusted", "fix"), UNTRUSTED.values(), ids=UNTRUSTED.keys())
def test_a_cache_others_could_have_written_is_not_read(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_untrusted: Callable[[Path], None],
    fix: str | None,
) -> None:
    home, plugins = tmp_path / "home", tmp_path / "plugins"
    _write_plugin(plugins, "on a {kind} day {what}")
    _say(home, plugins, "on a sunny day birds")
    cache = home / "cache" / "templates.json"
    _doctor(cache)
    # the doctored file is read while only its owner can write it (so this test can fail) ...
    assert _say(home, plugins, "on a sunny day birds") == "Noted the HACKED: birds."
    capsys.readouterr()
    make_untrusted(cache)
    # ... and not once someone else could have written it or its folder
    assert _say(home, plugins, "on a sunny day birds") == "Noted the sun: birds."
    err = capsys.readouterr().err
    if fix:
        assert f"voiceglimmer: warning: the template cache in {cache.parent} was not used" in err
        assert f"{fix} {cache.parent}" in err
        assert "HACKED" in cache.read_text(), "nothing is written where others can write"
    else:
        assert err == ""
        assert "HACKED" not in cache.read_text()
        assert (cache.stat().st_uid, cache.stat().st_mode & 0o777) == (os.geteuid(), 0o600)


WEATHER_MODULE = """
from voiceglimmer import Intent, hookimpl


def noted(turn):
    return f"Noted the {turn.slots['kind']}: {turn.slots['what']}."


@hookimpl
def register_intents(register):
    for intent in Intent.from_data(__name__, {"weather_glimmer": noted}):
        register(intent)
"""

WEATHER_SENTENCES = """
intents:
  weather_glimmer:
    data:
      - sentences: ["<on_a> {kind} day {what}"]
lists:
  kind:
    values:
      - {in: sunny, out: sun}
      - {in: rainy, out: rain}
  what:
    wildcard: true
expansion_rules:
  on_a: "(on|in) a"
"""


def test_a_sentence_file_is_read_back_from_the_cache_until_it_is_edited(
    tmp_path: Path, home: Path, cli: Callable
) -> None:
    """A plugin's sentence file is parsed once; later starts take the parse from the cache,
    which holds it by the file's exact bytes, so an edit is always read afresh."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "weather.py").write_text(WEATHER_MODULE)
    sentences = plugins / "weather.yaml"
    sentences.write_text(WEATHER_SENTENCES)

    def say(text: str) -> str:
        run = cli("--plugins-dir", str(plugins), "chat", "--json", input=text + "\n")
        return run.json_lines()[0]["reply"]

    assert say("in a sunny day birds") == "Noted the sun: birds."
    cache = home / "cache" / "templates.json"
    stored = json.loads(cache.read_text())
    [data] = [
        value
        for key, value in stored["entries"]
        if key[0] == "data" and "weather_glimmer" in value[1]["intents"]
    ]
    # what the cache holds is what a start uses while the file is unchanged (and ours) ...
    data[1]["lists"]["kind"]["values"][0]["out"] = "HACKED"
    cache.write_text(json.dumps(stored))
    assert say("in a sunny day birds") == "Noted the HACKED: birds."
    # ... and an edited file is read again, never answered from the old parse
    sentences.write_text(WEATHER_SENTENCES.replace("(on|in) a", "(on|in|under) a"))
    assert say("under a sunny day birds") == "Noted the sun: birds."
    assert say("in a sunny day birds") == "Noted the sun: birds."
