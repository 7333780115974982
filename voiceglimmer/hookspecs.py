"""Every hook a voiceglimmer plugin can implement.

Plugins, the built-in ones included, implement these with
``@voiceglimmer.hookimpl`` and are found through the ``voiceglimmer``
entry-point group or as single files in a plugins folder.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    import argparse

    from voiceglimmer.dialog.understanding import Intent
    from voiceglimmer.events import Glimmer, Savoring
    from voiceglimmer.store.config import Setting
    from voiceglimmer.store.journal import Journal
    from voiceglimmer.store.plugin_store import PluginSchema
    from voiceglimmer.store.progress import Calm, ThemeFigures
    from voiceglimmer.voice.tts import SpeechEngine

hookspec = pluggy.HookspecMarker("voiceglimmer")
hookimpl = pluggy.HookimplMarker("voiceglimmer")


class Subparsers(Protocol):
    """What ``register_commands`` is given: the ``voiceglimmer`` command's list of subcommands.

    It is argparse's own subcommand action (what ``ArgumentParser.add_subparsers()``
    returns), described by the one method a plugin needs, so a plugin's
    annotations name a public type rather than argparse's private
    ``_SubParsersAction``. ``add_parser`` takes argparse's usual keywords
    (``help=``, ``description=``, ``aliases=`` ...) and returns the new command's
    ``ArgumentParser``; give it ``set_defaults(func=f)`` where ``f(args, app)``
    returns the exit code.
    """

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


@hookspec
def register_intents(register: Callable[[Intent], None]) -> None:
    """Add intents: sentence templates with slots and the handler that answers them."""


@hookspec
def register_commands(subparsers: Subparsers) -> None:
    """Add subcommands to the ``voiceglimmer`` command line (set ``func`` as a default)."""


@hookspec
def register_speech_engines(register: Callable[[str, Callable[[], SpeechEngine]], None]) -> None:
    """Offer text-to-speech engines: ``register(name, factory)``; --voice picks one by name."""


@hookspec
def announcements(now: datetime, journal: Journal) -> list[str] | None:
    """Things to say unprompted now, e.g. due reminders; the voice loop asks every half minute."""


@hookspec
def glimmer_saved(glimmer: Glimmer, journal: Journal) -> None:
    """React to a glimmer that has just been committed to the journal."""


@hookspec
def glimmer_savored(glimmer: Glimmer, savoring: Savoring, journal: Journal) -> None:
    """React to a savoring that has just been recorded for a glimmer."""


@hookspec
def journal_schema() -> PluginSchema | None:
    """Declare the plugin's own journal tables and the ordered SQL migrations that make them."""


@hookspec
def plugin_settings() -> list[Setting] | None:
    """Declare the plugin's settings: its ``[plugins.NAME]`` section of config.toml."""


@hookspec
def theme_figures(journal: Journal, now: datetime, months: int, top: int) -> ThemeFigures | None:
    """What glimmers are about, per month and overall, for ``stats`` and the report."""


@hookspec
def calm_figures(journal: Journal, now: datetime, pairs: int) -> Calm | None:
    """How settled savoring left the person, for ``stats`` and the report."""
