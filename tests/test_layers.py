"""The package layout is the architecture: each layer imports only the layers below it.

base (errors, events, crisis, wording, hookspecs) < store < dialog < voice <
app < commands (and ``python -m voiceglimmer``). Imports inside functions count (they once hid cycles);
imports only for type checkers do not. The built-in plugins use only the
public front door, ``voiceglimmer`` itself, as a third-party plugin would.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voiceglimmer"
PLUGINS = Path(__file__).resolve().parent.parent / "plugins"
LAYERS = ["base", "store", "dialog", "voice", "app", "commands"]
BASE = {"errors", "events", "crisis", "wording", "hookspecs", "__init__"}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "voiceglimmer":
        raise ValueError(module)
    if len(parts) == 1 or parts[1] in BASE:
        return "base"
    if parts[1] in ("store", "dialog", "voice", "commands"):
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
            cycle = trail[trail.index(node) :] + [node]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            if nxt in graph and nxt != node:
                walk(nxt, [*trail, node])
        done.add(node)

    for start in sorted(graph):
        walk(start, [])
