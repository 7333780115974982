"""Finding and loading plugins, and keeping a broken one from breaking the rest.

The plugin manager is the only shared state in voiceglimmer. Plugins come from
the ``voiceglimmer`` entry-point group (the built-in log, savor-guide and recall
plugins arrive this way too) and from single ``.py`` files in plugin folders.
A plugin that fails to import, or whose hook raises, is reported once by name
and left out; everything else carries on. That includes ``sys.exit()`` and
KeyboardInterrupt raised by plugin code, and anything a plugin prints goes to
stderr, so ``--json`` output on stdout stays machine-readable.

Plugin folders run as the person's own code, so a folder or ``.py`` file that
someone else could have written (group- or world-writable, another user's, or
inside such a folder, symlinks resolved first) is refused with a warning that
names the path and the fix.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from voiceglimmer import hookspecs
from voiceglimmer.dialog.deadline import HandlerTimeout, deadline
from voiceglimmer.store.home import untrusted, untrusted_folder

ENTRY_POINT_GROUP = "voiceglimmer"


@dataclass(frozen=True)
class Problem:
    plugin: str
    what: str
    error: str

    def __str__(self) -> str:
        if not self.plugin:  # about a plugin folder, not one plugin
            return f"{self.what}: {self.error}"
        return f"plugin {self.plugin!r} {self.what}: {self.error}"


#: What plugin code may raise that must not end voiceglimmer: a plugin's sys.exit() or
#: a KeyboardInterrupt it raises is its own failure, reported like any other.
PLUGIN_FAILURES = (Exception, SystemExit, KeyboardInterrupt)


@contextlib.contextmanager
def contained_output() -> Iterator[None]:
    """Run plugin code with its ``print()`` sent to stderr.

    stdout belongs to voiceglimmer: ``chat --json`` and ``run --json`` print one
    JSON object per line there, and a plugin's stray print would corrupt it.
    """
    with contextlib.redirect_stdout(sys.stderr):
        yield


def describe(error: BaseException) -> str:
    """A failure as one line: ``RuntimeError: kaboom``, or what sys.exit() was given."""
    if isinstance(error, SystemExit):
        code = "" if error.code is None else repr(error.code)
        return f"SystemExit: it called sys.exit({code})"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


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
        text = error if isinstance(error, str) else describe(error)
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
        ``timeout`` in seconds, or sys.exit()) doesn't silence the others.

        Plugin code runs with its output sent to stderr; the caller's own code
        between the results it yields is not affected.
        """
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order
            name = impl.plugin_name
            try:
                with deadline(timeout), contained_output():
                    result = impl.function(*(kwargs[a] for a in impl.argnames))
            except (*PLUGIN_FAILURES, HandlerTimeout) as exc:
                self.report(name, f"failed in {hook_name}", exc)
                continue
            yield name, result


def _load_file(name: str, path: Path) -> ModuleType:
    """Import a single-file plugin from the very file that was checked.

    The source is read through one descriptor whose owner and mode are checked
    (no swap between check and read) and compiled here, so no bytecode from a
    ``__pycache__`` folder, which could have been planted, is ever used.
    """
    module_name = f"voiceglimmer_userplugin_{name}"
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ImportError(f"{path} is not a regular file")
        problem = untrusted(path, st)
        if problem:
            raise _Refused(problem)
        source = f.read()
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None:
        raise ImportError(f"can't load {path}")
    module = importlib.util.module_from_spec(spec)
    code = compile(source, str(path), "exec", dont_inherit=True)
    sys.modules[module_name] = module
    try:
        exec(code, module.__dict__)  # the plugin, after the checks above
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


class _Refused(Exception):
    """A plugin file someone else could have written: not run, reported with the fix."""


def _plugin_files(
    folder: Path, plugins: Plugins, seen: dict[Path, str | None]
) -> Iterator[tuple[str, Path]]:
    """The ``.py`` files of a plugin folder that may run, as (name, resolved path).

    The folder is judged by its resolved target and the folders above it; a
    refused folder gives one warning and nothing from it runs.
    """
    problem = untrusted_folder(folder, seen)
    if problem:
        real = folder.resolve()
        shown = str(folder) if real == folder.absolute() else f"{folder} (-> {real})"
        plugins.report("", f"plugins in {shown} were not loaded", problem)
        return
    for path in sorted(folder.resolve().glob("*.py")):
        if path.name.startswith("_"):
            continue
        real = path.resolve()
        if real.parent != path.parent:  # a symlinked file: its own folder counts too
            problem = untrusted_folder(real.parent, seen)
            if problem:
                plugins.report(path.stem, "was not loaded", f"{path} -> {real}: {problem}")
                continue
        if real.is_file():
            yield path.stem, real


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
            with contained_output():
                module = load_module()
            pm.register(module, name=name)
            plugins.order.append(name)
        except _Refused as exc:
            plugins.report(name, "was not loaded", str(exc))
        except PLUGIN_FAILURES as exc:
            plugins.report(name, "could not be loaded", exc)

    if entry_points:
        found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(found, key=lambda e: e.name):
            register(ep.name, ep.load)
    seen: dict[Path, str | None] = {}
    for folder in plugin_dirs:
        if folder.is_dir():
            for name, path in _plugin_files(folder, plugins, seen):
                register(name, lambda name=name, path=path: _load_file(name, path))
    for name, module in extra:
        register(name, lambda module=module: module)
    return plugins
