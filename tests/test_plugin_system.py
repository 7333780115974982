"""Third-party plugins: installed packages, plugin folders, and broken plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from voiceglimmer import open_assistant

GRATITUDE = """
from voiceglimmer import Intent, hookimpl


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
from voiceglimmer import Intent, hookimpl

def boom(turn):
    raise RuntimeError("kaboom")

@hookimpl
def register_intents(register):
    register(Intent(name="boom", templates=["explode"], handler=boom))
""",
    "garbage": """
from voiceglimmer import Intent, hookimpl

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
from voiceglimmer import Intent, hookimpl

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
    from voiceglimmer import Intent, hookimpl

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


def test_scaffolded_plugin_installs_and_its_test_passes(tmp_path, cli, home) -> None:
    """`plugins new` makes what a plugin author starts from: a package using only the front
    door, with its sentences as package data, a table and a setting of its own, and a test
    that passes against the pip-installed copy (not the source folder)."""
    made = cli("plugins", "new", "kindness", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    pkg = tmp_path / "voiceglimmer-kindness"
    assert (pkg / "pyproject.toml").exists() and (pkg / "tests").is_dir()
    site = tmp_path / "site"
    pip_install_target(pkg, site)
    assert (site / "voiceglimmer_kindness" / "intents.yaml").is_file()  # shipped as data
    env = {**os.environ, "PYTHONPATH": str(site)}
    test = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pkg / "tests")],
        capture_output=True, text=True, env=env, cwd=site,
    )  # fmt: skip
    assert test.returncode == 0, test.stdout + test.stderr
    assert "2 passed" in test.stdout  # its table, and its setting read from config.toml

    # Installed, through its entry point: the setting from [plugins.kindness], the rows
    # in its own table, beside the glimmer "it" meant, and out in the export.
    env = {"PYTHONPATH": str(site)}
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text("[plugins.kindness]\nkeep = 1\n")
    said = "glimmer: warm tea\nno\nkindness note: slow down\nkindness note: rest\nkindness check\n"
    events = cli("chat", "--json", input=said, env=env).json_lines()
    assert [(e["plugin"], e["intent"]) for e in events[2:]] == [("kindness", "note")] * 2 + [
        ("kindness", "check")
    ]
    assert events[4]["reply"] == "The kindness plugin is working. It holds one note."
    listing = json.loads(cli("plugins", "--json", env=env).stdout)
    [kindness] = [p for p in listing["plugins"] if p["name"] == "kindness"]
    assert [i["name"] for i in kindness["intents"]] == ["note", "check"]
    assert kindness["settings"] == [
        {"name": "keep", "value": 1, "default": 100, "help": "how many notes to keep"}
    ]
    assert "  setting keep = 1: how many notes to keep\n" in cli("plugins", env=env).stdout
    exported = json.loads(cli("export", "--format", "json", env=env).stdout)
    assert exported["plugins"]["kindness"]["tables"]["notes"] == [
        {"id": 2, "text": "rest", "glimmer_id": events[0]["glimmer_id"]}
    ]
    # a value the setting's declaration refuses is named, not used
    (home / "config.toml").write_text("[plugins.kindness]\nkeep = 0\n")
    refused = cli("chat", input="kindness check\n", env=env)
    assert refused.returncode == 1
    assert "[plugins.kindness] keep = 0 is out of range" in refused.stderr

    # a second scaffold with the same name does not overwrite the first
    again = cli("plugins", "new", "kindness", "--dir", str(tmp_path))
    assert again.returncode == 1 and "already exists" in again.stderr
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


# -- the front door: `from voiceglimmer import ...` is the whole plugin API ----------

#: Runs in a child process, so nothing this test session imported counts.
LAZY = """
import json, sys
import voiceglimmer
ours = lambda: sorted(m for m in sys.modules if m.startswith(("voiceglimmer", "pluggy", "hassil")))
first = ours()
version = voiceglimmer.__version__
from voiceglimmer import Reply
print(json.dumps({"first": first, "version": version, "after_reply": ours()}))
"""


def test_the_front_door_costs_nothing_until_a_name_is_used() -> None:
    """`voiceglimmer --version` imports the package: that alone must load nothing else."""
    done = subprocess.run(
        [sys.executable, "-c", LAZY], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(done.stdout)
    assert seen["first"] == ["voiceglimmer"]
    assert seen["version"] == __import__("voiceglimmer").__version__
    # Reply's own module, and nothing of the journal, the dialog or the hooks
    assert seen["after_reply"] == ["voiceglimmer", "voiceglimmer.events"]


def test_every_front_door_name_is_the_object_its_module_defines() -> None:
    import importlib

    import voiceglimmer

    assert voiceglimmer.__all__[0] == "__version__"
    for name, where in voiceglimmer._API.items():
        module, _, attribute = where.partition(":")
        assert getattr(voiceglimmer, name) is getattr(
            importlib.import_module(module), attribute or name
        ), name
    assert set(voiceglimmer.__all__) <= set(dir(voiceglimmer))
    with pytest.raises(AttributeError, match="no attribute 'Nonsense'"):
        voiceglimmer.Nonsense  # noqa: B018
    # the core's own `from voiceglimmer import crisis` still finds the module
    from voiceglimmer import crisis

    assert crisis.__name__ == "voiceglimmer.crisis"


def test_type_checkers_see_the_same_front_door_as_the_running_code() -> None:
    """The names are imported for type checkers too (or a plugin's `Turn` would be `Any`
    under mypy): the two lists must not drift apart."""
    import ast

    import voiceglimmer

    tree = ast.parse(Path(voiceglimmer.__file__).read_text(encoding="utf-8"))
    [block] = [
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    typed = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.unparse(node)
        for alias in node.names:
            renamed = alias.asname not in (None, alias.name)
            where = f"{node.module}:{alias.name}" if renamed else node.module
            typed[alias.asname or alias.name] = where
    assert typed == voiceglimmer._API


TEA = '''
"""A third-party plugin that does, through the front door alone, what the built-ins do."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from voiceglimmer import (
    App,
    Intent,
    Reply,
    Subparsers,
    Turn,
    UserError,
    hookimpl,
    plural,
    quote,
    readable,
)


def point(turn: Turn) -> Reply:
    found = readable(turn.journal.search([turn.slots["what"]]))
    if not found:
        return Reply.say("Nothing about that.")
    return Reply.say(f"Pointing at {quote(turn.use(found[0]).text)}.")


def not_that_one(turn: Turn) -> Reply:
    glimmer = turn.last_glimmer
    if glimmer is not None:
        turn.stop_using(glimmer)
    return Reply.say("Okay, not that one.")


def peek(turn: Turn) -> str:
    return f"can reach the assistant: {hasattr(turn, 'assistant')}"


@hookimpl
def register_intents(register: Callable[[Intent], None]) -> None:
    register(Intent(name="point", templates=["point at {what}"], handler=point, priority=20))
    register(Intent(name="not_that", templates=["not that one"], handler=not_that_one))
    register(Intent(name="peek", templates=["peek"], handler=peek))


def count_command(args: argparse.Namespace, app: App) -> int:
    if args.fail:
        raise UserError("tea-count was asked to fail.")
    print(f"Your journal holds {plural(app.journal.count(), 'glimmer')}.")
    return 0


@hookimpl
def register_commands(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("tea-count", help="count the glimmers")
    p.add_argument("--fail", action="store_true")
    p.set_defaults(func=count_command)
'''


def test_a_pip_installed_plugin_needs_only_the_front_door(tmp_path, cli) -> None:
    """Commands (typed with the public Subparsers), intents, what "it" means and the
    crisis filter: all reached through `from voiceglimmer import ...`."""
    pkg = tmp_path / "voiceglimmer-tea"
    pkg.mkdir()
    (pkg / "vg_tea.py").write_text(TEA)
    (pkg / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "voiceglimmer-tea"
        version = "1.0"
        [project.entry-points.voiceglimmer]
        tea = "vg_tea"
        [tool.setuptools]
        py-modules = ["vg_tea"]
        """)
    )
    site = tmp_path / "site"
    pip_install_target(pkg, site)
    env = {"PYTHONPATH": str(site)}

    lines = [
        "glimmer: warm tea at dawn",
        "glimmer: a robin singing",
        "point at tea",
        "savor it",  # "it" is the tea the plugin pointed at
        "stop",
        "point at tea",
        "not that one",
        "savor it",  # no longer the tea: the newest glimmer
        "stop",
        "peek",
    ]
    events = cli("chat", "--json", input="\n".join(lines) + "\n", env=env).json_lines()
    replies = [e["reply"] for e in events]
    assert replies[2] == "Pointing at warm tea at dawn."
    assert "tea at dawn" in replies[3] and "robin" not in replies[3]
    assert replies[6] == "Okay, not that one."
    assert "robin singing" in replies[7] and "tea" not in replies[7]
    assert replies[9] == "can reach the assistant: False"

    counted = cli("tea-count", env=env)
    assert (counted.returncode, counted.stdout) == (0, "Your journal holds 2 glimmers.\n")
    failed = cli("tea-count", "--fail", env=env)
    # a UserError from a plugin command is told plainly (no traceback) and fails the command
    assert failed.returncode != 0 and "tea-count was asked to fail." in failed.stderr
    assert "Traceback" not in failed.stderr


def test_the_readme_documents_every_front_door_name() -> None:
    """The API is documented in one place: the README's "The public API" table names
    every public name, and names nothing that is not one."""
    import re

    import voiceglimmer

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[
        readme.index("**The public API**") : readme.index("**Failures stay contained.**")
    ]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    named = {
        name
        for row in rows[1:]  # past the header
        for cell in [row.split("|")[2]]
        for name in re.findall(r"`([A-Za-z_]\w*)", cell)
    }
    assert named == set(voiceglimmer.__all__)


# -- sentences as data ---------------------------------------------------------------------

KINDNESS_MODULE = """
from voiceglimmer import Intent, hookimpl


def noted(turn):
    return f"Kindness noted ({turn.slots['who']}): {turn.slots['what']}."


@hookimpl
def register_intents(register):
    for intent in Intent.from_data(__name__, {"kindness": noted}, priority=10):
        register(intent)
"""

KINDNESS_SENTENCES = """
language: en
intents:
  kindness:
    data:
      - sentences:
          - "<someone> was kind [to me] {what}"
          - "kindness from {who} {what}"
    examples:
      - "A stranger was kind: held the door open"
lists:
  who:
    values:
      - {in: "a stranger", out: "stranger"}
      - {in: "my neighbour", out: "neighbour"}
      - "friend"
  what:
    wildcard: true
expansion_rules:
  someone: "[a|my] {who}"
"""


def test_an_installed_plugin_keeps_its_sentences_in_a_data_file(tmp_path, cli) -> None:
    """The built-ins' form is open to anyone: a package with its sentences in intents.yaml,
    shipped as package data and installed with pip."""
    pkg = tmp_path / "voiceglimmer-kindness"
    (pkg / "vg_kindness").mkdir(parents=True)
    (pkg / "vg_kindness" / "__init__.py").write_text(KINDNESS_MODULE)
    (pkg / "vg_kindness" / "intents.yaml").write_text(KINDNESS_SENTENCES)
    (pkg / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "voiceglimmer-kindness"
        version = "1.0"
        [project.entry-points.voiceglimmer]
        kindness = "vg_kindness"
        [tool.setuptools]
        packages = ["vg_kindness"]
        [tool.setuptools.package-data]
        vg_kindness = ["*.yaml"]
        """)
    )
    site = tmp_path / "site"
    pip_install_target(pkg, site)
    assert (site / "vg_kindness" / "intents.yaml").is_file()
    env = {"PYTHONPATH": str(site)}

    listing = json.loads(cli("plugins", "--json", env=env).stdout)
    [kindness] = [p for p in listing["plugins"] if p["name"] == "kindness"]
    assert kindness["intents"][0]["examples"] == ["A stranger was kind: held the door open"]
    said = "a stranger was kind: held the door open\nkindness from my neighbour: soup\n"
    events = cli("chat", "--json", input=said, env=env).json_lines()
    assert [(e["plugin"], e["reply"]) for e in events] == [
        ("kindness", "Kindness noted (stranger): held the door open."),
        ("kindness", "Kindness noted (neighbour): soup."),
    ]


SENTENCE_FILE_PROBLEMS = {
    "not YAML": ("intents: [unclosed\n", "not a YAML file voiceglimmer can read"),
    "an unknown key": (
        "intents:\n  thanks:\n    data:\n      - sentences: [thanks]\n    priority: 3\n",
        "intents.thanks: unknown key 'priority'",
    ),
    "a rule it lacks": (
        'intents:\n  thanks:\n    data:\n      - sentences: ["<polite> thanks"]\n',
        "<polite> is used but not in expansion_rules",
    ),
    "an intent with no handler": (
        "intents:\n  thanks:\n    data:\n      - sentences: [thanks]\n"
        "  cheers:\n    data:\n      - sentences: [cheers]\n",
        "no handler for 'cheers'",
    ),
}


@pytest.mark.parametrize(
    ("sentences", "told"), SENTENCE_FILE_PROBLEMS.values(), ids=SENTENCE_FILE_PROBLEMS.keys()
)
def test_a_broken_sentence_file_is_reported_by_name_and_the_rest_works(
    tmp_path, cli, sentences: str, told: str
) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "thanks.py").write_text(
        "from voiceglimmer import Intent, hookimpl\n\n"
        "@hookimpl\ndef register_intents(register):\n"
        "    for intent in Intent.from_data(__name__, {'thanks': lambda t: 'Welcome.'}):\n"
        "        register(intent)\n"
    )
    (folder / "thanks.yaml").write_text(sentences)
    run = cli("--plugins-dir", str(folder), "chat", "--json", input="glimmer: tea\nglimmer: a\n")
    assert [e["plugin"] for e in run.json_lines()] == ["log", "log"]
    warnings = [w for w in run.stderr.splitlines() if "warning" in w]
    assert len(warnings) == 1, warnings
    assert "plugin 'thanks' failed in register_intents: ValueError: " in warnings[0]
    assert f"{folder.resolve() / 'thanks.yaml'}: " in warnings[0] and told in warnings[0]


def test_a_sentence_file_others_can_change_is_not_read(tmp_path, cli) -> None:
    """Sentences decide what words do, so a file beside a trusted plugin must be as safe
    from others as the plugin itself."""
    folder = tmp_path / "plugins"
    folder.mkdir(mode=0o700)
    (folder / "thanks.py").write_text(
        "from voiceglimmer import Intent, hookimpl\n\n"
        "@hookimpl\ndef register_intents(register):\n"
        "    for intent in Intent.from_data(__name__, {'thanks': lambda t: 'Welcome.'}):\n"
        "        register(intent)\n"
    )
    data = folder / "thanks.yaml"
    data.write_text("intents:\n  thanks:\n    data:\n      - sentences: ['thanks [a lot]']\n")
    data.chmod(0o600)
    trusted = cli("--plugins-dir", str(folder), "chat", "--json", input="thanks a lot\n")
    assert trusted.json_lines()[0]["reply"] == "Welcome."
    data.chmod(0o666)
    run = cli("--plugins-dir", str(folder), "chat", "--json", input="thanks a lot\n")
    assert run.json_lines()[0]["plugin"] != "thanks"
    assert "plugin 'thanks' failed in register_intents" in run.stderr
    assert f"chmod go-w {data.resolve()}" in run.stderr


BUILT_IN_SENTENCES = sorted((Path(__file__).parent.parent / "plugins").glob("*.yaml"))


@pytest.mark.parametrize("path", BUILT_IN_SENTENCES, ids=[p.stem for p in BUILT_IN_SENTENCES])
def test_each_built_in_sentence_file_is_hassils_own_form(path: Path) -> None:
    """hassil itself loads each file (so it can be read, translated and trained on without
    voiceglimmer), and reads every example as its intent, among those the words fit."""
    import yaml
    from hassil import Intents, recognize_all

    intents = Intents.from_yaml(path.open(encoding="utf-8"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["intents"], path
    for name, body in data["intents"].items():
        assert body["examples"], f"{path.name}: {name} has no examples"
        for example in body["examples"]:
            found = {r.intent.name for r in recognize_all(example, intents)}
            assert name in found, (path.name, example, found)


def test_every_known_tag_has_its_own_name_in_the_themes_sentences() -> None:
    from voiceglimmer_plugins import themes

    from voiceglimmer.dialog.understanding import IntentFile

    tags = IntentFile.load("voiceglimmer_plugins.themes").lists["tag"]
    assert isinstance(tags, dict)
    assert {tag: tags.get(tag) for tag in themes.KNOWN} == {tag: tag for tag in themes.KNOWN}
    assert set(tags.values()) == set(themes.KNOWN)
