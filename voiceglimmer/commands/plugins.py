"""``voiceglimmer plugins``: see what is loaded, and start a new plugin.

The scaffold is a complete, installable package (entry point, one intent,
a passing test) so a plugin author starts from something that works.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from voiceglimmer.app import App
from voiceglimmer.errors import UserError


def add_commands(sub: argparse._SubParsersAction) -> None:
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
    listing = []
    for name in app.plugins.names():
        intents = [i for i in assistant.registry.intents if i.plugin == name]
        listing.append(
            {
                "name": name,
                "intents": [
                    {"name": i.name, "priority": i.priority, "examples": list(i.examples)}
                    for i in intents
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
    if app.plugins.problems:
        print(f"\n{len(app.plugins.problems)} plugin problem(s) reported above.", file=sys.stderr)
    return 0


def new_plugin(args: argparse.Namespace, app: App) -> int:
    del app
    name = args.name.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise UserError(
            f"{args.name!r} can't be a plugin name: use letters, digits, '-' or '_', "
            "starting with a letter (e.g. gratitude)."
        )
    module = "voiceglimmer_" + name.replace("-", "_")
    root = args.dir / f"voiceglimmer-{name}"
    if root.exists():
        raise UserError(f"{root} already exists; choose another name or --dir.")
    files = {
        "pyproject.toml": _PYPROJECT,
        f"{module}.py": _MODULE,
        f"tests/test_{module}.py": _TEST,
        "README.md": _README,
    }
    for rel, template in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = template.replace("@NAME@", name).replace("@MODULE@", module)
        path.write_text(text.replace("@INTENT@", module.removeprefix("voiceglimmer_")))
    print(f"Created {root}")
    print(f"Install it with:  pip install -e {root}")
    print(f"Then try:         voiceglimmer chat   and say: {name} check")
    return 0


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "voiceglimmer-@NAME@"
version = "0.1.0"
description = "A voiceglimmer plugin."
requires-python = ">=3.10"
dependencies = ["voiceglimmer"]

[project.optional-dependencies]
test = ["pytest"]

[project.entry-points.voiceglimmer]
@NAME@ = "@MODULE@"

[tool.setuptools]
py-modules = ["@MODULE@"]
"""

_MODULE = '''\
"""The @NAME@ plugin for voiceglimmer."""

from voiceglimmer import hookimpl
from voiceglimmer.events import Reply
from voiceglimmer.dialog.assistant import Turn
from voiceglimmer.dialog.understanding import Intent
from voiceglimmer.wording import plural


def check(turn: Turn) -> Reply:
    count = plural(turn.journal.count(), "glimmer")
    return Reply.say(f"The @NAME@ plugin is working. Your journal holds {count}.")


@hookimpl
def register_intents(register):
    register(
        Intent(
            name="@INTENT@_check",
            templates=["@NAME@ check", "is [the] @NAME@ plugin working"],
            handler=check,
            examples=["@NAME@ check"],
        )
    )
'''

_TEST = """\
import @MODULE@
from voiceglimmer.app import open_assistant


def test_check_counts_the_journal(tmp_path):
    assistant = open_assistant(
        home=tmp_path, entry_points=False, extra_plugins=[("@NAME@", @MODULE@)]
    )
    assistant.journal.add("warm tea", created_at=assistant.clock())
    handled = assistant.handle("@NAME@ check")
    assert handled.plugin == "@NAME@"
    assert "holds one glimmer" in handled.reply.text
"""

_README = """\
# voiceglimmer-@NAME@

A voiceglimmer plugin. Install with `pip install -e .`, then say "@NAME@ check".
Run its test with `pip install -e ".[test]" && pytest`.
"""
