"""Wiring: a home folder, its journal, the plugins and the assistant, built once.

Front ends (the chat, the CLI commands, later the speech loop) and plugin
commands share one ``App`` so the journal is opened once and plugins are
loaded once per process.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.dialog.plugin_manager import Plugins, Problem, load
from voiceglimmer.errors import UserError
from voiceglimmer.store import clock
from voiceglimmer.store.config import PluginSettings, Setting
from voiceglimmer.store.diagnostics import get_logger
from voiceglimmer.store.home import Home, HomeError
from voiceglimmer.store.journal import Journal
from voiceglimmer.store.plugin_store import PluginSchema

log = get_logger(__name__)


def _words_rng() -> random.Random:
    """What varies the assistant's words: unseeded, unless VOICEGLIMMER_SEED pins it, so
    two front ends (``chat --json`` and ``serve``'s handle service) can be compared turn
    by turn, as VOICEGLIMMER_NOW pins the clock."""
    seed = os.environ.get("VOICEGLIMMER_SEED")
    return random.Random(seed) if seed else random.Random()


def warn(problem: Problem) -> None:
    """Report a plugin's problem as a warning; the assistant carries on without it."""
    log.warning("%s", problem)


@dataclass
class App:
    home: Home = field(default_factory=Home.locate)
    plugin_dirs: list[Path] = field(default_factory=list)
    extra_plugins: list[tuple[str, object]] = field(default_factory=list)
    entry_points: bool = True
    clock: Callable[[], datetime] = clock.now
    rng: random.Random = field(default_factory=_words_rng)
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
        journal = open_journal(
            self.home,
            self.clock(),
            daily=self.backups,
            schemas=self.plugin_schemas,
            on_schema_problem=lambda plugin, exc: self.plugins.report(
                plugin, "could not set up its journal tables", str(exc)
            ),
        )
        self.home.privacy_warnings()
        return journal

    @cached_property
    def plugin_schemas(self) -> dict[str, PluginSchema]:
        """The tables each plugin declares (``journal_schema``), by plugin name."""
        found: dict[str, PluginSchema] = {}
        for plugin, schema in self.plugins.call_each("journal_schema"):
            if isinstance(schema, PluginSchema):
                found[plugin] = schema
            elif schema is not None:
                self.plugins.report(plugin, "returned something odd from journal_schema",
                                    repr(schema)[:200])  # fmt: skip
        return found

    @cached_property
    def settings(self) -> PluginSettings:
        """Each plugin's settings: its ``[plugins.NAME]`` in config.toml over the defaults
        it declares (``plugin_settings``). A wrong value is refused, an unknown one warned of."""
        from voiceglimmer.store import config

        declared: dict[str, list[Setting]] = {}
        for plugin, settings in self.plugins.call_each("plugin_settings"):
            if settings is None:
                continue
            listed = list(settings) if isinstance(settings, list | tuple) else [settings]
            names = {s.name for s in listed if isinstance(s, Setting)}
            if len(names) != len(listed):  # not all Settings, or a name twice
                self.plugins.report(plugin, "returned something odd from plugin_settings",
                                    repr(settings)[:200])  # fmt: skip
                continue
            declared[plugin] = listed
        return config.plugin_settings(self.home, declared)

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
            model_cache=self.home.shared_cache_dir,
            settings=self.settings,
        )

    def close(self) -> None:
        """Close the journal if it was opened (once: a second close does nothing)."""
        journal = self.__dict__.pop("journal", None)
        if journal is not None:
            journal.close()


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
