"""Third-party plugins: installed packages, plugin folders, and broken plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from voiceglimmer.app import open_assistant

GRATITUDE = """
from voiceglimmer import hookimpl
from voiceglimmer.dialog.understanding import Intent


def thanks(turn):
    return f"Thank you noted: {turn.slots['what']}."


@hookimpl
def register_intents(register):
    register(Intent(
        name="gratitude",
        templates=["i am grateful for {what}", "thankful for {what}"],
        handler=thanks,
        examples=["I'm grateful for my friends"],
    ))
"""


def pip_install_target(package: Path, target: Path) -> None:
    """Really install a package (its entry points included) into ``target``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(package)],
        check=True,
        capture_output=True,
    )  # fmt: skip


def test_installed_package_plugin_is_found_through_its_entry_point(tmp_path, cli) -> None:
    pkg = tmp_path / "voiceglimmer-gratitude"
    pkg.mkdir()
    (pkg / "vg_gratitude.py").write_text(GRATITUDE)
    (pkg / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "voiceglimmer-gratitude"
        version = "1.0"
        [project.entry-points.voiceglimmer]
        gratitude = "vg_gratitude"
        [tool.setuptools]
        py-modules = ["vg_gratitude"]
        """)
    )
    site = tmp_path / "site"
    pip_install_target(pkg, site)
    env = {"PYTHONPATH": str(site)}

    listing = json.loads(cli("plugins", "--json", env=env).stdout)
    names = [p["name"] for p in listing["plugins"]]
    # entry points load in name order, a third-party one among the built-ins
    assert names == sorted(names)
    assert {"gratitude", "log", "recall", "savor-guide"} <= set(names)
    gratitude = listing["plugins"][names.index("gratitude")]
    assert gratitude["intents"][0]["examples"] == ["I'm grateful for my friends"]

    run = cli("chat", "--json", input="I'm grateful for warm socks\n", env=env)
    [event] = run.json_lines()
    assert (event["plugin"], event["intent"]) == ("gratitude", "gratitude")
    assert event["reply"] == "Thank you noted: warm socks."


def test_plugin_file_in_a_plugins_dir(tmp_path, cli, home) -> None:
    folder = tmp_path / "my-plugins"
    folder.mkdir()
    (folder / "gratitude.py").write_text(GRATITUDE)
    run = cli("--plugins-dir", str(folder), "chat", "--json", input="thankful for rain\n")
    assert run.json_lines()[0]["plugin"] == "gratitude"
    # the default folder in the config dir is read too
    (home / "plugins").mkdir(parents=True)
    (home / "plugins" / "gratitude.py").write_text(GRATITUDE)
    assert (
        cli("chat", "--json", input="thankful for rain\n").json_lines()[0]["plugin"] == "gratitude"
    )


def test_plugins_listing_shows_intents_and_examples(cli) -> None:
    out = cli("plugins").stdout
    assert "log\n  log_glimmer\n" in out
    assert '"I noticed a glimmer: the warm sunlight on my face"' in out
    assert "savor-guide\n  savor\n" in out
    assert "recall\n  recall_span\n" in out


BROKEN = {
    "import_error": "import no_such_module_anywhere\n",
    "raises": """
from voiceglimmer import hookimpl
from voiceglimmer.dialog.understanding import Intent

def boom(turn):
    raise RuntimeError("kaboom")

@hookimpl
def register_intents(register):
    register(Intent(name="boom", templates=["explode"], handler=boom))
""",
    "garbage": """
from voiceglimmer import hookimpl
from voiceglimmer.dialog.understanding import Intent

@hookimpl
def register_intents(register):
    register(Intent(name="garbage", templates=["give me garbage"], handler=lambda turn: 42))
    register("not an intent")
""",
    "bad_register": """
from voiceglimmer import hookimpl

@hookimpl
def register_intents(register):
    raise ValueError("cannot register today")
""",
    "bad_template": """
from voiceglimmer import hookimpl
from voiceglimmer.dialog.understanding import Intent

@hookimpl
def register_intents(register):
    register(Intent(name="unclosed", templates=["(open paren never closed"], handler=print))
""",
}


@pytest.fixture
def broken_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    folder.mkdir()
    for name, code in BROKEN.items():
        (folder / f"{name}.py").write_text(code)
    return folder


def test_broken_plugins_are_reported_once_and_the_rest_works(broken_dir, cli) -> None:
    lines = "explode\nexplode\ngive me garbage\nglimmer: the sea is calm\n"
    run = cli("--plugins-dir", str(broken_dir), "chat", "--json", input=lines)
    assert run.returncode == 0
    events = run.json_lines()
    assert (
        "boom" not in events[0]["reply"]
        and "raises plugin ran into a problem" in events[0]["reply"]
    )
    assert "garbage plugin had no answer" in events[2]["reply"]
    assert events[3]["reply"].startswith("Saved: the sea is calm.")  # built-ins unaffected
    warnings = [w for w in run.stderr.splitlines() if "warning" in w]
    expected = {
        "plugin 'import_error' could not be loaded: ModuleNotFoundError",
        "plugin 'raises' failed handling 'boom': RuntimeError: kaboom",
        "plugin 'garbage' returned no reply for 'garbage': 42",
        "plugin 'garbage' registered something that is not an Intent",
        "plugin 'bad_register' failed in register_intents: ValueError: cannot register today",
        "plugin 'bad_template' has a broken intent 'unclosed'",
    }
    for fragment in expected:
        assert sum(fragment in w for w in warnings) == 1, (fragment, warnings)
    assert len(warnings) == len(expected)  # each told once, though "explode" was said twice


def test_broken_plugins_through_the_python_api(broken_dir, home) -> None:
    problems = []
    from voiceglimmer.app import App
    from voiceglimmer.store.home import Home

    app = App(home=Home(home, home), plugin_dirs=[broken_dir], on_problem=problems.append)
    handled = app.assistant.handle("explode")
    assert handled.plugin == "raises" and "problem" in handled.reply.text
    assert {p.plugin for p in problems} == set(BROKEN)
    assert app.assistant.handle("glimmer: still here").reply.glimmer_id is not None
    app.close()


def test_priority_decides_between_plugins_that_claim_the_same_words(home) -> None:
    from voiceglimmer import hookimpl
    from voiceglimmer.dialog.understanding import Intent

    def make(name: str, priority: int):
        class P:
            @hookimpl
            def register_intents(self, register):
                register(Intent(name=name, templates=["savor it"], handler=lambda t: name,
                                priority=priority))  # fmt: skip

        return P()

    low = open_assistant(home=home, extra_plugins=[("eager", make("eager", 0))])
    assert low.handle("savor it").plugin == "savor-guide"  # built-in declared priority 5
    high = open_assistant(home=home, extra_plugins=[("eager", make("eager", 9))])
    assert high.handle("savor it").plugin == "eager"
    # equal priority and equal match: load order (entry points sorted by name) decides
    both = [("b", make("first", 0)), ("c", make("second", 0))]
    a = open_assistant(home=home, entry_points=False, extra_plugins=both)
    assert [a.handle("savor it").plugin for _ in range(3)] == ["b", "b", "b"]


def test_scaffolded_plugin_installs_and_its_test_passes(tmp_path, cli) -> None:
    made = cli("plugins", "new", "kindness", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    pkg = tmp_path / "voiceglimmer-kindness"
    assert (pkg / "pyproject.toml").exists() and (pkg / "tests").is_dir()
    site = tmp_path / "site"
    pip_install_target(pkg, site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    test = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pkg / "tests")],
        capture_output=True, text=True, env=env, cwd=pkg,
    )  # fmt: skip
    assert test.returncode == 0, test.stdout + test.stderr
    assert "1 passed" in test.stdout
    event = cli("chat", "--json", input="kindness check\n", env={"PYTHONPATH": str(site)})
    assert event.json_lines()[0]["plugin"] == "kindness"
    # a second scaffold with the same name does not overwrite the first
    again = cli("plugins", "new", "kindness", "--dir", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert cli("plugins", "new", "9 lives").returncode == 2


UNRULY = {
    "quitter": "import sys\nsys.exit(3)\n",
    "interrupter": "raise KeyboardInterrupt\n",
    "chatty": """
import sys
from voiceglimmer import hookimpl

print("chatty says hello while importing")


@hookimpl
def glimmer_saved(glimmer, journal):
    print("chatty saw a glimmer saved")


@hookimpl
def register_commands(subparsers):
    print("chatty is adding no commands")
""",
    "exit_on_save": """
import sys
from voiceglimmer import hookimpl


@hookimpl
def glimmer_saved(glimmer, journal):
    sys.exit("bye from exit_on_save")
""",
    "interrupt_on_save": """
from voiceglimmer import hookimpl


@hookimpl
def glimmer_saved(glimmer, journal):
    raise KeyboardInterrupt
""",
}


@pytest.fixture
def unruly_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "unruly"
    folder.mkdir()
    for name, code in UNRULY.items():
        (folder / f"{name}.py").write_text(code)
    return folder


def test_sys_exit_or_ctrl_c_from_a_plugin_is_reported_and_the_session_goes_on(
    unruly_dir, cli
) -> None:
    """Finding 7: sys.exit() at a plugin's import (or in its hooks) ended the CLI silently."""
    lines = "glimmer: the sea is calm\nglimmer: a robin\nwhat's my streak\n"
    run = cli("--plugins-dir", str(unruly_dir), "chat", "--json", input=lines)
    assert run.returncode == 0, run.stderr
    events = run.json_lines()  # every stdout line is JSON: nothing a plugin printed
    assert [e["reply"].split(".")[0] for e in events[:2]] == [
        "Saved: the sea is calm",
        "Saved: a robin",
    ]
    assert len(events) == 3, "the whole session was answered"
    warnings = [w for w in run.stderr.splitlines() if w.startswith("voiceglimmer: warning:")]
    expected = [
        "plugin 'quitter' could not be loaded: SystemExit: it called sys.exit(3)",
        "plugin 'interrupter' could not be loaded: KeyboardInterrupt",
        "plugin 'exit_on_save' failed in glimmer_saved: SystemExit: it called "
        "sys.exit('bye from exit_on_save')",
        "plugin 'interrupt_on_save' failed in glimmer_saved: KeyboardInterrupt",
    ]
    for line in expected:
        assert sum(w.endswith(line) for w in warnings) == 1, (line, warnings)
    assert len(warnings) == len(expected)


def test_a_plugins_print_never_reaches_stdout(unruly_dir, cli) -> None:
    """Plugin output goes to stderr, so `chat --json` and `plugins --json` stay pure JSON."""
    run = cli("--plugins-dir", str(unruly_dir), "chat", "--json", input="glimmer: rain\n")
    [event] = run.json_lines()
    assert event["glimmer_id"] is not None
    assert "chatty" not in run.stdout
    assert "chatty says hello while importing" in run.stderr
    assert "chatty saw a glimmer saved" in run.stderr

    listing = cli("--plugins-dir", str(unruly_dir), "plugins", "--json")
    assert "chatty" in [p["name"] for p in json.loads(listing.stdout)["plugins"]]
    assert "chatty is adding no commands" in listing.stderr


def test_call_each_contains_exits_and_output_through_the_python_api(
    home, capsys: pytest.CaptureFixture[str]
) -> None:
    from voiceglimmer import hookimpl
    from voiceglimmer.dialog.plugin_manager import contained_output, load

    class Leaver:
        @hookimpl
        def announcements(self, now, journal):
            print("leaver speaking on stdout")
            raise SystemExit(0)

    class Speaker:
        @hookimpl
        def announcements(self, now, journal):
            print("speaker speaking on stdout")
            return ["Time to look for a glimmer."]

    problems = []
    plugins = load(
        entry_points=False, extra=[("leaver", Leaver()), ("speaker", Speaker())],
        on_problem=problems.append,
    )  # fmt: skip
    results = dict(plugins.call_each("announcements", now=None, journal=None))
    assert results == {"speaker": ["Time to look for a glimmer."]}
    assert [str(p) for p in problems] == [
        "plugin 'leaver' failed in announcements: SystemExit: it called sys.exit(0)"
    ]
    out = capsys.readouterr()
    assert "speaking" not in out.out
    assert "leaver speaking on stdout" in out.err and "speaker speaking on stdout" in out.err
    with contained_output():
        print("inside")
    print("outside")
    out = capsys.readouterr()
    assert (out.out, out.err) == ("outside\n", "inside\n")
