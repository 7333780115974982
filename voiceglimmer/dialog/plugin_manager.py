"""Finding and loading plugins, and keeping a broken one from breaking the rest.

The plugin manager is the only shared state in voiceglimmer. Plugins come from
the ``voiceglimmer`` entry-point group (the built-in log, savor-guide and recall
plugins arrive this way too) and from single ``.py`` files in plugin folders.
A plugin that fails to import, or whose hook raises, is reported once by name
and left out; everything else carries on. That includes ``sys.exit()`` and
KeyboardInterrupt raised by plugin code, and anything a plugin prints goes to
stderr, so ``--json`` output on stdout stays machine-readable.

Hooks are called through pluggy itself (``plugins.call("glimmer_saved", ...)``,
which is ``pm.hook.glimmer_saved(...)`` plus a time limit), so ``tryfirst``,
``trylast``, ``wrapper=True`` and ``hookwrapper=True`` mean what pluggy's
documentation says. The fence is put around each implementation as it is
registered (:class:`FencedPluginManager`): a plain implementation that raises,
hangs past the call's time limit or returns something the caller can't use
counts as having returned nothing, and a wrapper that fails is stepped over,
so one plugin's failure never reaches the others or the caller. Plugins are
registered in reverse load order, so plain implementations are called in load
order (pluggy calls the last registered first): entry points by name, then
plugin folders.

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
from collections.abc import Callable, Generator, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, cast

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


#: Reports a plugin's failure: (plugin name, what went wrong, the error or a description).
Reporter = Callable[[str, str, "BaseException | str"], None]


@dataclass(frozen=True)
class _Call:
    """What the caller of one hook asked for, seen by every fenced implementation."""

    hook: str = ""
    #: Seconds each implementation (and each part of a wrapper) may take; 0: no limit.
    timeout: float = 0.0
    #: Whether one implementation's result is usable; None: anything is.
    accept: Callable[[Any], bool] | None = None
    #: Plugins whose implementation failed during this call.
    failed: set[str] = field(default_factory=set)


_CALL: ContextVar[_Call | None] = ContextVar("voiceglimmer_hook_call", default=None)
_RUNNING: ContextVar[str | None] = ContextVar("voiceglimmer_running_plugin", default=None)


def running_plugin() -> str | None:
    """The name of the plugin whose hook code is running now, or None outside plugin code.

    A callback a hook is given (``register`` in ``register_intents``) uses it to
    know which plugin is calling, since pluggy calls every plugin in one go.
    """
    return _RUNNING.get()


@contextlib.contextmanager
def _as_plugin(name: str, timeout: float) -> Iterator[None]:
    """Run one piece of a plugin's hook code: named, time-limited, its prints on stderr."""
    token = _RUNNING.set(name)
    try:
        with deadline(timeout), contained_output():
            yield
    finally:
        _RUNNING.reset(token)


#: What fenced plugin code may raise: its own failures, and the time limit running out.
_STOPPED = (*PLUGIN_FAILURES, HandlerTimeout)


def _fence_plain(impl: pluggy.HookImpl, hook: str, report: Reporter) -> Callable[..., Any]:
    """``impl``'s function, contained: a failure is reported and counts as no result."""
    function, name = impl.function, impl.plugin_name

    def fenced(*args: Any, **kwargs: Any) -> Any:
        call = _CALL.get() or _Call(hook)  # pm.hook called directly: no limit
        try:
            with _as_plugin(name, call.timeout):
                result = function(*args, **kwargs)
        except _STOPPED as exc:
            call.failed.add(name)
            report(name, f"failed in {hook}", exc)
            return None
        if result is not None and call.accept is not None and not call.accept(result):
            call.failed.add(name)
            report(name, f"returned something odd from {hook}", repr(result)[:200])
            return None
        return result

    fenced.__wrapped__ = function  # type: ignore[attr-defined]
    return fenced


def _fence_wrapper(
    impl: pluggy.HookImpl, hook: str, report: Reporter, firstresult: bool
) -> Callable[..., Generator[Any, Any, Any]]:
    """A wrapper implementation's generator, stepped through piece by piece under the fence.

    A wrapper whose code before or after its ``yield`` fails is reported and
    stepped over: the result of the implementations inside passes through
    unchanged, as if the wrapper weren't there. A new-style wrapper that
    returns an unusable result is treated the same way.
    """
    function, name, new_style = impl.function, impl.plugin_name, impl.wrapper

    def usable(value: Any, call: _Call) -> bool:
        if not new_style:
            return True  # an old-style wrapper's return value is ignored by pluggy
        accept = call.accept or (lambda _: True)
        if firstresult:
            return value is None or accept(value)
        return isinstance(value, list) and all(v is not None and accept(v) for v in value)

    def failed(call: _Call, problem: BaseException | str) -> None:
        call.failed.add(name)
        report(name, f"failed in {hook}", problem)

    def fenced(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        call = _CALL.get() or _Call(hook)  # pm.hook called directly: no limit
        # a generator: none of the plugin's code runs until it is stepped
        steps = cast(Generator[Any, Any, Any], function(*args, **kwargs))
        try:
            with _as_plugin(name, call.timeout):
                next(steps)
        except StopIteration:
            failed(call, "its wrapper did not yield")
            return (yield)
        except _STOPPED as exc:
            failed(call, exc)
            return (yield)
        try:
            inner = yield
        except BaseException as error:  # an implementation inside raised: the wrapper's to see
            try:
                with _as_plugin(name, call.timeout):
                    steps.throw(error)
            except StopIteration as stop:
                return stop.value
            except _STOPPED as exc:
                if exc is not error:  # not just passed on: the wrapper's own failure
                    failed(call, exc)
            else:
                with contextlib.suppress(*_STOPPED):
                    steps.close()
                failed(call, "its wrapper yielded twice")
            raise  # what the implementations inside raised, as without the wrapper
        try:
            with _as_plugin(name, call.timeout):
                steps.send(inner)
        except StopIteration as stop:
            if usable(stop.value, call):
                return stop.value
            call.failed.add(name)
            report(name, f"returned something odd from {hook}", repr(stop.value)[:200])
            return inner
        except _STOPPED as exc:
            failed(call, exc)
            return inner
        with contextlib.suppress(*_STOPPED):
            steps.close()
        failed(call, "its wrapper yielded twice")
        return inner

    fenced.__wrapped__ = function  # type: ignore[attr-defined]
    return fenced


class FencedPluginManager(pluggy.PluginManager):
    """pluggy's plugin manager, with a fence put around each implementation as it is
    registered (by :func:`load`, or later, like the speech engines).

    pluggy calls ``HookImpl.function``; replacing it keeps pluggy's ordering and
    wrapping intact while making each plugin's code contained: named, time
    limited by the call (:meth:`Plugins.call`), its prints sent to stderr, and
    its failures reported once instead of raised.
    """

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        #: Where failures are reported; :class:`Plugins` sets its own.
        self.report: Reporter = lambda plugin, what, error: None

    def register(self, plugin: object, name: str | None = None) -> str | None:
        registered = super().register(plugin, name)
        if registered is None:
            return None
        for caller in self.get_hookcallers(plugin) or ():
            firstresult = bool(caller.spec and caller.spec.opts.get("firstresult"))
            for impl in caller.get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                if impl.wrapper or impl.hookwrapper:
                    fenced = _fence_wrapper(impl, caller.name, self._report, firstresult)
                else:
                    fenced = _fence_plain(impl, caller.name, self._report)
                # HookImpl's fields are marked Final for type checkers; pluggy reads
                # this one at every call, so replacing it is how the fence goes in.
                setattr(impl, "function", fenced)  # noqa: B010
        return registered

    def _report(self, plugin: str, what: str, error: BaseException | str) -> None:
        self.report(plugin, what, error)


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

    def __post_init__(self) -> None:
        if isinstance(self.pm, FencedPluginManager):
            self.pm.report = self.report

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

    def call(
        self,
        hook_name: str,
        *,
        timeout: float = 0,
        accept: Callable[[Any], bool] | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """Call a hook through pluggy: every implementation, in pluggy's order, inside
        the wrappers, and the list of results (None results left out).

        Each implementation (and each part of a wrapper) may take ``timeout``
        seconds (0: no limit); one that raises, hangs, calls sys.exit() or
        returns something ``accept`` refuses is reported by name and gives no
        result. Callbacks passed in ``kwargs`` can ask :func:`running_plugin`
        which plugin is calling them.
        """
        token = _CALL.set(_Call(hook_name, timeout, accept))
        try:
            results = getattr(self.pm.hook, hook_name)(**kwargs)
        finally:
            _CALL.reset(token)
        if isinstance(results, list):
            return results
        return [] if results is None else [results]  # a firstresult hook

    def call_each(
        self, hook_name: str, *, timeout: float = 0, **kwargs: Any
    ) -> Iterator[tuple[str, Any]]:
        """Call one hook plugin by plugin, for callers that must know who returned what.

        Each plugin is called through pluggy on its own (its own wrappers apply,
        other plugins' don't), in the order :meth:`call` would use; a plugin
        whose implementation failed is reported and left out of what is yielded.
        Prefer :meth:`call` (with :func:`running_plugin` in a callback), which
        lets every wrapper see every implementation.
        """
        hook = getattr(self.pm.hook, hook_name)
        plain = [i for i in reversed(hook.get_hookimpls()) if not (i.wrapper or i.hookwrapper)]
        everyone = dict(self.pm.list_name_plugin())
        for name in dict.fromkeys(i.plugin_name for i in plain):
            others = [p for n, p in everyone.items() if n != name and p is not None]
            alone = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            call = _Call(hook_name, timeout)
            token = _CALL.set(call)
            try:
                results = alone(**kwargs)
            finally:
                _CALL.reset(token)
            if name not in call.failed:
                yield name, results[0] if results else None


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


def _itself(module: object) -> object:
    """An ``extra`` plugin, already imported by whoever passed it."""
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
    pm = FencedPluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    plugins = Plugins(pm=pm, on_problem=on_problem)
    loaded: dict[str, object] = {}

    def load_one(name: str, load_module: Callable[[], object]) -> None:
        if name in loaded:
            plugins.report(name, "is installed twice", "the second copy was ignored")
            return
        try:
            with contained_output():
                module = load_module()
        except _Refused as exc:
            plugins.report(name, "was not loaded", str(exc))
            return
        except PLUGIN_FAILURES as exc:
            plugins.report(name, "could not be loaded", exc)
            return
        twin = next((other for other, m in loaded.items() if m is module), None)
        if twin is not None:  # pluggy takes one object once: the first name keeps it
            plugins.report(name, "could not be loaded", f"it is already loaded as {twin!r}")
            return
        loaded[name] = module

    if entry_points:
        found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(found, key=lambda e: e.name):
            load_one(ep.name, ep.load)
    seen: dict[Path, str | None] = {}
    for folder in plugin_dirs:
        if folder.is_dir():
            for name, path in _plugin_files(folder, plugins, seen):
                load_one(name, partial(_load_file, name, path))
    for name, module in extra:
        load_one(name, partial(_itself, module))
    # Last loaded, first registered: pluggy calls the last registered first, so plain
    # implementations run in load order (tryfirst and trylast still move them).
    for name, module in reversed(loaded.items()):
        try:
            with contained_output():
                pm.register(module, name=name)
        except PLUGIN_FAILURES as exc:
            plugins.report(name, "could not be loaded", exc)
    plugins.order = [name for name in loaded if pm.has_plugin(name)]
    return plugins
