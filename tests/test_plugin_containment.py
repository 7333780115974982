"""A plugin's handler can't end the session or write into the --json stream."""

from __future__ import annotations

from pathlib import Path

import pytest

EXITS = """
import sys
from voiceglimmer import hookimpl
from voiceglimmer.dialog.understanding import Intent


def leave(turn):
    print("plugin chatter on stdout")
    sys.exit(3)


def interrupt(turn):
    raise KeyboardInterrupt


def chatty(turn):
    print("more plugin chatter")
    return "Chatty answer."


@hookimpl
def register_intents(register):
    register(Intent(name="leave", templates=["leave now"], handler=leave))
    register(Intent(name="interrupt", templates=["interrupt me"], handler=interrupt))
    register(Intent(name="chatty", templates=["talk to me"], handler=chatty))
"""


@pytest.fixture
def plugins_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir(mode=0o700)
    (folder / "exits.py").write_text(EXITS)
    return folder


def test_sys_exit_and_interrupt_in_a_handler_cost_one_reply(plugins_dir: Path, cli) -> None:
    said = "leave now\ninterrupt me\nglimmer: still here\n"
    run = cli("--plugins-dir", str(plugins_dir), "chat", "--json", input=said)
    lines = run.json_lines()  # every line on stdout is JSON
    assert [line["plugin"] for line in lines] == ["exits", "exits", "log"]
    assert "problem" in lines[0]["reply"] and "problem" in lines[1]["reply"]
    assert lines[2]["glimmer_id"] is not None  # the session went on
    assert "exits" in run.stderr and "failed handling 'leave'" in run.stderr
    assert run.returncode == 0


def test_plugin_output_never_reaches_the_json_stream(plugins_dir: Path, cli) -> None:
    run = cli("--plugins-dir", str(plugins_dir), "chat", "--json", input="talk to me\n")
    assert [line["reply"] for line in run.json_lines()] == ["Chatty answer."]
    assert "more plugin chatter" in run.stderr
