"""The package layout is the architecture: each layer imports only the layers below it.

base (errors, events, crisis, wording, hookspecs) < store < dialog < voice <
network < app < commands (and ``python -m voiceglimmer``). Imports inside functions
count (they once hid cycles); imports only for type checkers do not. The
built-in plugins use only the public front door, ``voiceglimmer`` itself, as a
third-party plugin would.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voiceglimmer"
PLUGINS = Path(__file__).resolve().parent.parent / "plugins"
LAYERS = ["base", "store", "dialog", "voice", "network", "app", "commands"]
BASE = {"errors", "events", "crisis", "wording", "hookspecs", "__init__"}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "voiceglimmer":
        raise ValueError(module)
    if len(parts) == 1 or parts[1] in BASE:
        return "base"
    if parts[1] in ("store", "dialog", "voice", "network", "commands"):
        return parts[1]
    if parts[1] == "app":
        return "app"
    if parts[1] == "__main__":
        return "commands"
    if parts[1] == "model_catalog":
        return "base"
    raise AssertionError(f"{module} is in no layer: place it in one of {LAYERS}")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(path: Path) -> set[str]:
    """Every voiceglimmer module ``path`` imports when it runs (not for type checkers)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("voiceglimmer."))
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module == "voiceglimmer":
                    for a in child.names:
                        sub = PACKAGE / a.name
                        if sub.is_dir() or sub.with_suffix(".py").exists():
                            found.add(f"voiceglimmer.{a.name}")
                        else:
                            found.add("voiceglimmer")
                elif child.module.startswith("voiceglimmer."):
                    found.add(child.module)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_each_module_imports_only_its_own_layer_and_those_below(path: Path) -> None:
    here = module_name(path)
    mine = LAYERS.index(layer_of(here))
    above = sorted(
        m for m in runtime_imports(path) if LAYERS.index(layer_of(m)) > mine and m != here
    )
    assert above == [], f"{here} ({LAYERS[mine]}) imports from a higher layer: {above}"


def test_errors_import_nothing_of_the_project() -> None:
    assert runtime_imports(PACKAGE / "errors.py") == set()


def test_there_are_no_import_cycles() -> None:
    graph = {module_name(p): runtime_imports(p) for p in MODULES}
    done: set[str] = set()

    def walk(node: str, trail: list[str]) -> None:
        if node in trail:
            cycle = [*trail[trail.index(node) :], node]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            if nxt in graph and nxt != node:
                walk(nxt, [*trail, node])
        done.add(node)

    for start in sorted(graph):
        walk(start, [])


# -- the front door: plugins use only `from voiceglimmer import ...` -----------


def front_door_problems(path: Path, public: set[str]) -> list[str]:
    """Every import in ``path`` (at any depth, type-checking ones included: a plugin's
    annotations are API too) that reaches past ``voiceglimmer``'s public names, or
    into another built-in plugin's private ones."""
    problems: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            problems += [
                f"{where} import {a.name}" for a in node.names if a.name.startswith("voiceglimmer.")
            ]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level or module.startswith("voiceglimmer."):
                problems.append(f"{where} from {'.' * node.level}{module} import ...")
            elif module == "voiceglimmer":
                problems += [
                    f"{where} from voiceglimmer import {a.name} (not in voiceglimmer.__all__)"
                    for a in node.names
                    if a.name not in public
                ]
            elif module.startswith("voiceglimmer_plugins"):
                problems += [
                    f"{where} from {module} import {a.name} (private)"
                    for a in node.names
                    if a.name.startswith("_")
                ]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "voiceglimmer"
            and node.attr not in public
        ):
            problems.append(f"{where} voiceglimmer.{node.attr}")
    return problems


BUILT_IN_PLUGINS = sorted(PLUGINS.glob("*.py"))


@pytest.mark.parametrize("path", BUILT_IN_PLUGINS, ids=[p.stem for p in BUILT_IN_PLUGINS])
def test_built_in_plugins_import_only_the_front_door(path: Path) -> None:
    import voiceglimmer

    assert front_door_problems(path, set(voiceglimmer.__all__)) == []


def test_the_scaffolded_plugin_imports_only_the_front_door(tmp_path: Path) -> None:
    import argparse

    import voiceglimmer
    from voiceglimmer.commands.plugins import new_plugin

    assert new_plugin(argparse.Namespace(name="kindness", dir=tmp_path), None) == 0  # type: ignore[arg-type]
    made = sorted((tmp_path / "voiceglimmer-kindness").rglob("*.py"))
    assert len(made) >= 2  # the plugin and its test
    for path in made:
        assert front_door_problems(path, set(voiceglimmer.__all__)) == [], path


def test_the_front_door_check_catches_a_reach_past_it(tmp_path: Path) -> None:
    """The check itself: each way round the front door is found."""
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "import voiceglimmer\n"
        "import voiceglimmer.store.journal\n"
        "from voiceglimmer import Turn, crisis\n"
        "from voiceglimmer.events import Reply\n"
        "from voiceglimmer_plugins.savor_script import _private, build_script\n"
        "def f():\n"
        "    from voiceglimmer.dialog import when\n"
        "    return voiceglimmer.app, voiceglimmer.Turn\n"
    )
    found = front_door_problems(sneaky, {"Turn"})
    assert [p.split(" ", 1)[0] for p in found] == [
        "sneaky.py:2",
        "sneaky.py:3",
        "sneaky.py:4",
        "sneaky.py:5",
        "sneaky.py:7",
        "sneaky.py:8",
    ], found
