"""Every hook a voiceglimmer plugin can implement.

Plugins, the built-in ones included, implement these with
``@voiceglimmer.hookimpl`` and are found through the ``voiceglimmer``
entry-point group or as single files in a plugins folder.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from voiceglimmer.dialog.understanding import Intent
    from voiceglimmer.events import Glimmer, Savoring
    from voiceglimmer.store.journal import Journal
    from voiceglimmer.voice.tts import SpeechEngine

hookspec = pluggy.HookspecMarker("voiceglimmer")
hookimpl = pluggy.HookimplMarker("voiceglimmer")


@hookspec
def register_intents(register: Callable[[Intent], None]) -> None:
    """Add intents: sentence templates with slots and the handler that answers them."""


@hookspec
def register_commands(subparsers: argparse._SubParsersAction) -> None:
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
