"""Finding and loading plugins, and keeping a broken one from breaking the rest.

The plugin manager is the only shared state in voiceglimmer. Plugins come from
the ``voiceglimmer`` entry-point group (the built-in log, savor-guide and recall
plugins arrive this way too) and from single ``.py`` files in plugin folders.
A plugin that fails to import, or whose hook raises, is reported once by name
and left out; everything else carries on.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from voiceglimmer import hookspecs
from voiceglimmer.deadline import HandlerTimeout, deadline

ENTRY_POINT_GROUP = "voiceglimmer"


@dataclass(frozen=True)
class Problem:
    plugin: str
    what: str
    error: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} {self.what}: {self.error}"


@dataclass
class Plugins:
    """The plugin manager plus the record of what went wrong with whom."""

    pm: pluggy.PluginManager
    problems: list[Problem] = field(default_factory=list)
    #: Called once per new problem, e.g. to print a warning.
    on_problem: Callable[[Problem], None] | None = None
    #: Plugin names in load order (pluggy keeps a set), so ties break the same way.
    order: list[str] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def report(self, plugin: str, what: str, error: BaseException | str) -> None:
        """Remember a plugin's failure; each plugin/what pair is told only once."""
        if (plugin, what) in self._seen:
            return
        self._seen.add((plugin, what))
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        problem = Problem(plugin, what, text)
        self.problems.append(problem)
        if self.on_problem:
            self.on_problem(problem)

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def names(self) -> list[str]:
        return list(self.order)

    def call_each(
        self, hook_name: str, *, timeout: float = 0, **kwargs: Any
    ) -> Iterator[tuple[str, Any]]:
        """Call one hook plugin by plugin, so one failure (or hang, given a
        ``timeout`` in seconds) doesn't silence the others."""
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order
            name = impl.plugin_name
            try:
                with deadline(timeout):
                    result = impl.function(*(kwargs[a] for a in impl.argnames))
            except (Exception, HandlerTimeout) as exc:
                self.report(name, f"failed in {hook_name}", exc)
                continue
            yield name, result


def _load_file(path: Path) -> ModuleType:
    module_name = f"voiceglimmer_userplugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"can't load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def load(
    plugin_dirs: Iterable[Path] = (),
    *,
    entry_points: bool = True,
    extra: Iterable[tuple[str, object]] = (),
    on_problem: Callable[[Problem], None] | None = None,
) -> Plugins:
    """Build the plugin manager from entry points, plugin folders and ``extra``."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    plugins = Plugins(pm=pm, on_problem=on_problem)

    def register(name: str, load_module: Callable[[], object]) -> None:
        if pm.has_plugin(name):
            plugins.report(name, "is installed twice", "the second copy was ignored")
            return
        try:
            module = load_module()
            pm.register(module, name=name)
            plugins.order.append(name)
        except Exception as exc:
            plugins.report(name, "could not be loaded", exc)

    if entry_points:
        found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(found, key=lambda e: e.name):
            register(ep.name, ep.load)
    for folder in plugin_dirs:
        if folder.is_dir():
            for path in sorted(folder.glob("*.py")):
                if not path.name.startswith("_"):
                    register(path.stem, lambda path=path: _load_file(path))
    for name, module in extra:
        register(name, lambda module=module: module)
    return plugins
