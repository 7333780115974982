"""``voiceglimmer plugins``: see what is loaded, and start a new plugin.

The scaffold is a complete, installable package (entry point, sentences in a
data file, a table and a setting of its own, a passing test) so a plugin
author starts from something that works and shows every part a built-in has.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from voiceglimmer import __version__
from voiceglimmer.app import App
from voiceglimmer.errors import UsageError, UserError
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.store.config import Setting
from voiceglimmer.store.diagnostics import get_logger
from voiceglimmer.store.plugin_store import table_prefix

log = get_logger(__name__)


def add_commands(sub: Subparsers) -> None:
    p = sub.add_parser("plugins", help="list loaded plugins and their intents, or make a new one")
    p.add_argument("--json", action="store_true", help="machine-readable listing")
    p.set_defaults(func=list_plugins)
    psub = p.add_subparsers(dest="plugins_command", metavar="SUBCOMMAND")
    new = psub.add_parser("new", help="create a working plugin package to start from")
    new.add_argument("name", help="plugin name, e.g. gratitude")
    new.add_argument("--dir", type=Path, default=Path.cwd(), help="where to create it")
    new.set_defaults(func=new_plugin)


def list_plugins(args: argparse.Namespace, app: App) -> int:
    import json

    assistant = app.assistant
    values = app.settings  # config.toml read and checked: a wrong value stops here, named
    declared: dict[str, list[Setting]] = {}
    for owner, settings in app.plugins.call_each("plugin_settings"):
        declared[owner] = [s for s in settings or () if isinstance(s, Setting)]
    listing: list[dict[str, Any]] = []  # the --json shape
    for name in app.plugins.names():
        intents = [i for i in assistant.registry.intents if i.plugin == name]
        current = values.of(name)
        listing.append(
            {
                "name": name,
                "intents": [
                    {"name": i.name, "priority": i.priority, "examples": list(i.examples)}
                    for i in intents
                ],
                # what [plugins.NAME] in config.toml may set, and what it is now
                "settings": [
                    {
                        "name": s.name,
                        "value": current.get(s.name, s.default),
                        "default": s.default,
                        "help": s.help,
                    }
                    for s in declared.get(name, ())
                ],
            }
        )
    if args.json:
        problems = [
            {"plugin": p.plugin, "problem": f"{p.what}: {p.error}"} for p in app.plugins.problems
        ]
        print(json.dumps({"plugins": listing, "problems": problems}, indent=2))
        return 0
    for plugin in listing:
        print(plugin["name"])
        if not plugin["intents"]:
            print("  (no intents)")
        for intent in plugin["intents"]:
            print(f"  {intent['name']}")
            for example in intent["examples"][:3]:
                print(f'      "{example}"')
        for setting in plugin["settings"]:
            # JSON's true, 5 and "text" are TOML's too, as config.toml would have them
            said = f"  setting {setting['name']} = {json.dumps(setting['value'])}"
            print(f"{said}: {setting['help']}" if setting["help"] else said)
    if app.plugins.problems:
        log.warning("%d plugin problem(s) reported above.", len(app.plugins.problems))
    return 0


def new_plugin(args: argparse.Namespace, app: App) -> int:
    """Write a plugin package from the templates below; refuse to touch an existing folder."""
    del app
    name = args.name.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise UsageError(
            f"{args.name!r} can't be a plugin name: use letters, digits, '-' or '_', "
            "starting with a letter (e.g. gratitude)."
        )
    module = "voiceglimmer_" + name.replace("-", "_")
    root = args.dir / f"voiceglimmer-{name}"
    if root.exists():
        raise UserError(f"{root} already exists; choose another name or --dir.")
    words = " ".join(re.findall(r"[a-z0-9]+", name))  # how it is said: my-plugin -> my plugin
    fill = {
        "@NAME@": name,
        "@MODULE@": module,
        "@PREFIX@": table_prefix(name),
        "@WORDS@": words,
        "@VERSION@": __version__,
    }
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"{module}/__init__.py": _MODULE,
        f"{module}/intents.yaml": _SENTENCES,
        f"tests/test_{module}.py": _TEST,
    }
    for rel, template in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(re.sub("|".join(fill), lambda m: fill[m.group()], template))
    print(f"Created {root}")
    print(f'Install it with:  pip install -e "{root}[test]"   (then run its test: pytest)')
    print(f"Then try:         voiceglimmer chat   and say: {words} note: be gentle with myself")
    return 0


# -- the scaffold ---------------------------------------------------------------------
#
# The generated files use only the front door, ``from voiceglimmer import ...``
# (tests/test_layers.py checks them as it checks the built-in plugins), and
# tests/test_plugin_system.py installs one with pip and runs its test. They are
# the first code a plugin author reads: keep them short, and explain why, not what.

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "voiceglimmer-@NAME@"
version = "0.1.0"
description = "A voiceglimmer plugin."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["voiceglimmer>=@VERSION@"]

[project.optional-dependencies]
test = ["pytest"]

# How voiceglimmer finds the plugin. The name on the left is the plugin's name:
# its section in config.toml ([plugins.@NAME@]) and how messages name it.
[project.entry-points.voiceglimmer]
@NAME@ = "@MODULE@"

[tool.setuptools]
packages = ["@MODULE@"]

# The sentences travel with the code that reads them.
[tool.setuptools.package-data]
@MODULE@ = ["*.yaml"]
"""

_MODULE = '''\
"""The @NAME@ plugin for voiceglimmer: short notes kept beside your glimmers.

A starting point made by ``voiceglimmer plugins new``: change anything. It has
each part a plugin can have, and uses only voiceglimmer's public API
(``from voiceglimmer import ...``; nothing else in voiceglimmer is promised):

- what it understands is data: the sentences are in intents.yaml beside this
  file, and the handlers below answer them;
- a table of its own in the journal (``journal_schema``), used through
  ``turn.store``; voiceglimmer exports, imports, backs up and forgets its rows
  with the glimmers they belong to;
- a setting of its own (``plugin_settings``), set in config.toml under
  ``[plugins.@NAME@]`` and read with ``turn.setting(...)``.
"""

from __future__ import annotations

from collections.abc import Callable

from voiceglimmer import (
    Intent,
    PluginSchema,
    PluginTable,
    Reply,
    Setting,
    Turn,
    hookimpl,
    plural,
    quote,
)

#: The plugin's tables and the SQL that makes them. Every name starts with
#: "@PREFIX@" so no two plugins clash. Each migration runs once, in order: to
#: change the table later, add a migration rather than editing this one.
SCHEMA = PluginSchema(
    tables=(PluginTable("notes", glimmer_column="glimmer_id"),),
    migrations=(
        """
        CREATE TABLE @PREFIX@notes (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            -- the glimmer "it" meant: forgetting that glimmer removes the note too
            glimmer_id INTEGER REFERENCES glimmers (id) ON DELETE CASCADE
        );
        """,
    ),
)


@hookimpl
def journal_schema() -> PluginSchema:
    return SCHEMA


@hookimpl
def plugin_settings() -> list[Setting]:
    # voiceglimmer refuses a value of the wrong type or out of range, naming it.
    return [Setting("keep", int, 100, help="how many notes to keep", minimum=1, maximum=10_000)]


def add_note(turn: Turn) -> Reply:
    note = turn.slots["note"]
    glimmer = turn.last_glimmer
    with turn.store.transaction():  # both statements, or neither
        turn.store.execute(
            "INSERT INTO @PREFIX@notes (text, glimmer_id) VALUES (?, ?)",
            (note, glimmer.id if glimmer else None),
        )
        turn.store.execute(  # only the newest notes stay
            "DELETE FROM @PREFIX@notes WHERE id NOT IN "
            "(SELECT id FROM @PREFIX@notes ORDER BY id DESC LIMIT ?)",
            (turn.setting("keep"),),
        )
    return Reply.say(f"Noted: {quote(note)}.")


def check(turn: Turn) -> Reply:
    [(count,)] = turn.store.query("SELECT count(*) FROM @PREFIX@notes")
    return Reply.say(f"The @NAME@ plugin is working. It holds {plural(count, 'note')}.")


@hookimpl
def register_intents(register: Callable[[Intent], None]) -> None:
    for intent in Intent.from_data(__name__, {"note": add_note, "check": check}):
        register(intent)
'''

_SENTENCES = """\
# What the @NAME@ plugin understands, in hassil's form (github.com/OHF-Voice/hassil):
# (a|b) one of, [a] may be left out, {slot} the words the handler gets in turn.slots.
# voiceglimmer takes care of case, punctuation, filler words ("um", "please") and
# contractions. `examples` are shown by `voiceglimmer plugins` and offered when
# nothing was understood. A translation is another file like this one, not new code.
language: en

intents:
  note:
    data:
      - sentences:
          - "@WORDS@ note {note}"
          - "(add|make) a @WORDS@ note [saying] {note}"
    examples:
      - "@WORDS@ note: be gentle with myself"

  check:
    data:
      - sentences:
          - "@WORDS@ check"
          - "is [the] @WORDS@ plugin working"
    examples:
      - "@WORDS@ check"

lists:
  note:
    wildcard: true  # free text, in the person's own words
"""

_TEST = '''\
"""The @NAME@ plugin, with a real journal and config.toml in a temporary folder.

Run with ``pytest`` after ``pip install -e ".[test]"``.
"""

from pathlib import Path
from typing import Any

import @MODULE@
from voiceglimmer import Assistant, open_assistant


def start(home: Path, config: str = "") -> Assistant:
    """An assistant with this plugin alone, its journal and config.toml in ``home``."""
    (home / "config.toml").write_text(config)
    plugins = [("@NAME@", @MODULE@)]
    return open_assistant(home=home, entry_points=False, extra_plugins=plugins)


def notes(assistant: Assistant) -> list[tuple[Any, ...]]:
    """What the plugin's table holds, read as the plugin reads it."""
    store = assistant.journal.plugin_store("@NAME@")
    return store.query("SELECT text, glimmer_id FROM @PREFIX@notes ORDER BY id")


def test_a_note_is_kept_in_the_plugins_table_beside_the_glimmer(tmp_path: Path) -> None:
    assistant = start(tmp_path)
    glimmer = assistant.journal.add("warm tea", created_at=assistant.clock())
    handled = assistant.handle("@WORDS@ note: be gentle with myself")
    assert handled.plugin == "@NAME@"
    assert handled.reply.text == "Noted: be gentle with myself."
    assert notes(assistant) == [("be gentle with myself", glimmer.id)]


def test_the_keep_setting_from_config_toml_limits_the_notes(tmp_path: Path) -> None:
    assistant = start(tmp_path, "[plugins.@NAME@]\\nkeep = 2\\n")
    for note in ("a walk", "a hot bath", "an early night"):
        assistant.handle(f"@WORDS@ note {note}")
    assert [text for text, _ in notes(assistant)] == ["a hot bath", "an early night"]
    handled = assistant.handle("@WORDS@ check")
    assert handled.reply.text == "The @NAME@ plugin is working. It holds 2 notes."
'''

_README = """\
# voiceglimmer-@NAME@

A [voiceglimmer](https://pypi.org/project/voiceglimmer/) plugin that keeps short
notes beside your glimmers. Say "@WORDS@ note: be gentle with myself" (the note
goes with the glimmer you last saved or heard), or "@WORDS@ check".

- Install: `pip install -e .` (voiceglimmer finds it through its entry point).
- Test: `pip install -e ".[test]" && pytest`.
- Setting, in voiceglimmer's config.toml:

  ```toml
  [plugins.@NAME@]
  keep = 100  # how many notes to keep (1 to 10000)
  ```

The code is in `@MODULE@/__init__.py`, the sentences it understands in
`@MODULE@/intents.yaml`.
"""
