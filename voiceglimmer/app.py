"""Wiring: a home folder, its journal, the plugins and the assistant, built once.

Front ends (the chat, the CLI commands, later the speech loop) and plugin
commands share one ``App`` so the journal is opened once and plugins are
loaded once per process.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.dialog.plugin_manager import Plugins, Problem, load
from voiceglimmer.errors import UserError
from voiceglimmer.store import clock
from voiceglimmer.store.home import Home, HomeError
from voiceglimmer.store.journal import Journal


def warn(problem: Problem) -> None:
    print(f"voiceglimmer: warning: {problem}", file=sys.stderr)


@dataclass
class App:
    home: Home = field(default_factory=Home.locate)
    plugin_dirs: list[Path] = field(default_factory=list)
    extra_plugins: list[tuple[str, object]] = field(default_factory=list)
    entry_points: bool = True
    clock: Callable[[], datetime] = clock.now
    rng: random.Random = field(default_factory=random.Random)
    on_problem: Callable[[Problem], None] | None = warn
    #: Make the daily automatic backup when the journal opens (the backup,
    #: restore and forget commands turn it off: they make or remove their own).
    backups: bool = True

    @cached_property
    def plugins(self) -> Plugins:
        return load(
            [*self.plugin_dirs, self.home.plugins_dir],
            entry_points=self.entry_points,
            extra=self.extra_plugins,
            on_problem=self.on_problem,
        )

    @cached_property
    def journal(self) -> Journal:
        """The journal, opened once; also where the person hears (once per process) that
        their home, config or journal can be read or changed by other users."""
        from voiceglimmer.store.backup import open_journal  # backup imports this module

        try:
            self.home.ensure()
        except HomeError as exc:
            raise UserError(str(exc)) from None
        journal = open_journal(self.home, self.clock(), daily=self.backups)
        self.home.privacy_warnings()
        return journal

    @cached_property
    def assistant(self) -> Assistant:
        from voiceglimmer.store import config

        timeout = config.load(self.home).get("plugin_timeout", 5.0)
        return Assistant(
            plugins=self.plugins,
            journal=self.journal,
            clock=self.clock,
            rng=self.rng,
            handler_timeout=float(timeout),
            template_cache=self.home.cache_dir / "templates.json",
        )

    def close(self) -> None:
        if "journal" in self.__dict__:
            self.journal.close()


def open_assistant(
    *,
    home: Path | None = None,
    plugin_dirs: Iterable[Path] = (),
    extra_plugins: Iterable[tuple[str, object]] = (),
    entry_points: bool = True,
    clock: Callable[[], datetime] = clock.now,
    seed: int | None = None,
) -> Assistant:
    """The assistant for a home folder: the Python API's front door (and tests')."""
    app = App(
        home=Home(data=home, config=home) if home else Home.locate(),
        plugin_dirs=list(plugin_dirs),
        extra_plugins=list(extra_plugins),
        entry_points=entry_points,
        clock=clock,
        rng=random.Random(seed),
    )
    return app.assistant
